/*
Package workosapi serves WorkOS's HTTP API for roles, permissions,
organizations and organization memberships over an [rbac.Service], so that
WorkOS's own SDKs — and any HTTP client — manage roles and check
permissions against the application's own store.

	svc := rbac.New(store)
	az, _ := authz.New(ctx, svc, "production")
	api := workosapi.New(svc, workosapi.Options{
		Keys:    map[string]string{os.Getenv("RBAC_API_KEY"): "production"},
		Checker: func(env string) workosapi.Checker { return az },
	})
	mux.Handle("/", api) // or under a prefix, with http.StripPrefix

The rbac command (cmd/rbac) runs this handler as a server: rbac serve.

# Authentication

Every request carries an API key, "Authorization: Bearer KEY", and each key
is bound to one environment ([Options.Keys]): the request acts in that
environment and can read or change nothing of another. Keys are compared
in constant time. A request without a valid key is answered 401 with code
unauthorized, before anything else is looked at.

# WorkOS's routes

The paths, request fields, objects, status codes and error codes are
WorkOS's (its OpenAPI document is the reference):

	POST   /authorization/roles                                     create an environment role → 201
	GET    /authorization/roles                                     environment roles, priority order
	GET    /authorization/roles/{slug}
	PATCH  /authorization/roles/{slug}                              name, description
	PUT    /authorization/roles/{slug}/permissions                  replace the permissions
	POST   /authorization/roles/{slug}/permissions                  add one ({"slug"}); present: no-op
	POST   /authorization/organizations/{org}/roles                 create an organization role (slug "org-…") → 201
	GET    /authorization/organizations/{org}/roles                 environment and organization roles, the organization's order
	GET    /authorization/organizations/{org}/roles/{slug}          either kind
	PATCH  /authorization/organizations/{org}/roles/{slug}
	DELETE /authorization/organizations/{org}/roles/{slug}          → 204; 409 role_has_assignments, role_has_group_role_mappings, role_is_default
	PUT    /authorization/organizations/{org}/roles/{slug}/permissions
	POST   /authorization/organizations/{org}/roles/{slug}/permissions
	DELETE /authorization/organizations/{org}/roles/{slug}/permissions/{permission}
	POST   /authorization/permissions                               → 201
	GET    /authorization/permissions                               paginated
	GET    /authorization/permissions/{slug}
	PATCH  /authorization/permissions/{slug}
	DELETE /authorization/permissions/{slug}                        → 204; removed from every role; 403 system_permission
	POST   /authorization/organization_memberships/{id}/check      {"permission_slug"} → {"authorized": bool}
	POST   /organizations                                           name, external_id, metadata → 201; 400 external_id_already_used
	GET    /organizations                                           paginated
	GET    /organizations/{id}
	PUT    /organizations/{id}                                      name, external_id, metadata (each optional)
	DELETE /organizations/{id}                                      → 200; with its roles, settings, memberships and mappings
	GET    /organizations/external_id/{external_id}
	POST   /user_management/organization_memberships                role_slug or role_slugs → 201; reactivates an inactive one
	GET    /user_management/organization_memberships                organization_id and/or user_id, statuses, paginated
	GET    /user_management/organization_memberships/{id}
	PUT    /user_management/organization_memberships/{id}           role_slug or role_slugs
	DELETE /user_management/organization_memberships/{id}           → 200
	PUT    /user_management/organization_memberships/{id}/deactivate
	PUT    /user_management/organization_memberships/{id}/reactivate

Decisions where WorkOS is silent: creating an organization also accepts
"id", the application's own tenant id (rbac's extension; generated "org_…"
otherwise), and refuses domains (rbac's organizations have none);
allow_profiles_outside_organization, deprecated at WorkOS, is accepted and
ignored. In an update, a null external_id removes it, metadata replaces the whole
metadata and a null metadata clears it. Roles
and permissions have resource_type_slug "organization", the only resource
type; a request naming another is refused. A check may name its resource
(resource_id, the organization's id; or resource_type_slug "organization"
with resource_external_id, the organization's id or external id): it must
be the membership's organization, else 404 resource_not_found; a check of
an unknown permission is false. Removing a
permission a role does not have returns the role unchanged. Updating a
membership with neither role_slug nor role_slugs changes nothing.

# rbac's own routes

What WorkOS keeps in its Dashboard is served under /rbac, in the same
conventions:

	GET    /rbac/environment                                        the environment: default role, priority order, multiple roles, revision
	PUT    /rbac/environment/default_role                           {"role_slug"}
	PUT    /rbac/environment/priority_order                         {"priority_order": [every environment role]}
	PUT    /rbac/environment/multiple_roles                         {"enabled": bool}; off keeps each membership's highest role
	DELETE /rbac/roles/{slug}?replacement_default=R&dry_run=true    delete an environment role → 200 deletion plan
	DELETE /rbac/permissions/{slug}?dry_run=true                    → 200 deletion plan
	GET    /rbac/organizations/{org}/settings                       effective default role and order, inherited or own
	PUT    /rbac/organizations/{org}/default_role                   {"role_slug"}; gives the organization its own settings
	PUT    /rbac/organizations/{org}/priority_order                 {"priority_order": [every visible role]}
	DELETE /rbac/organizations/{org}?dry_run=true                   → 200 deletion plan
	DELETE /rbac/organizations/{org}/roles/{slug}?reassign_to=R&dry_run=true
	                                                                delete an organization role, moving its members,
	                                                                mappings and default to R → 200 deletion plan
	GET    /rbac/organizations/{org}/group_role_mappings            paginated
	POST   /rbac/organizations/{org}/group_role_mappings            {"source": "directory"|"sso", "group_id", "role_slug"} → 201
	DELETE /rbac/organizations/{org}/group_role_mappings/{source}/{group_id} → 204
	POST   /rbac/organizations/{org}/group_sync                     {"user_id", "source", "groups": [...]} → 200 group_sync_result
	POST   /rbac/organization_memberships                           as WorkOS's create, with "status": "active"|"pending" → 201
	PUT    /rbac/organization_memberships/{id}/accept               pending → active

Deleting an environment role that is a default (of the environment or of
any organization) needs replacement_default, else 409
replacement_role_required, whose body lists the organizations concerned
("organizations") and whether the environment default is ("environment_default").
With dry_run=true a deletion computes its plan — defaults replaced,
memberships reassigned, group mappings re-pointed or deleted, roles
changed — and changes nothing. The deletion routes refuse any other query
parameter, so that a misspelt dry_run never deletes.

# Objects and lists

Objects have WorkOS's fields: "object" ("role", "permission",
"organization", "organization_membership", "list"), ids, RFC 3339 times in
UTC with milliseconds ("2026-01-15T12:00:00.000Z"), and null for an empty
description or external_id. A membership has role (the primary one, the
highest in priority) and roles (all of them, in priority order), and no
"user": rbac has no users, user ids are the application's. Role lists are
not paginated and have no list_metadata.

Other lists are paginated as WorkOS's: limit (1–100, default 10), order
("desc", the default, newest first; "asc"; "normal", descending with
before fetching older objects and after newer ones), and a cursor, before
or after (an object id; not both), with list_metadata.before and .after
the cursors of the neighbouring pages (null at an end). Objects are ordered
by id; the library's generated ids are time-ordered, so this is creation
order. statuses takes repeated values, "statuses[]" or a comma-separated
list; memberships are active only by default.

# Errors

Errors are WorkOS's {"code", "message"}, with the status WorkOS uses:

	400 bad_request                  malformed JSON, a body that is not one object, a malformed path
	400 invalid_request_parameters   a query parameter (limit, order, cursors, statuses) — errors names it
	400 missing_user_id_or_organization_id
	400 cannot_deactivate_pending_organization_membership, cannot_reactivate_pending_organization_membership
	400 external_id_already_used     another organization has the external id
	401 unauthorized                 no valid API key
	403 system_permission            deleting a system permission
	404 role_not_found, permission_not_found, organization_not_found, organization_membership_not_found, …
	405 method_not_allowed           with Allow
	409 role_slug_conflict, organization_role_slug_conflict, permission_slug_conflict,
	    role_has_assignments, role_has_group_role_mappings, role_is_default,
	    organization_membership_already_exists, organization_already_exists,
	    group_role_mapping_conflict, replacement_role_required
	413 request_entity_too_large     a body over [Options.MaxBodyBytes]
	422 invalid_request_parameters   a body field of the wrong type, unknown, missing or breaking a rule
	422 invalid_role, multiple_roles_not_enabled
	499 canceled                     the client went away before the call finished; nothing was written
	503 commit_outcome_unknown       the store lost the answer to a commit: read the state before retrying
	500 internal_error               anything else; the cause is logged, never sent

A validation error names the fields at fault in WorkOS's shape, "errors":
[{"field": "slug", "code": "lowercase letters, digits, '-' and '_' only"}],
the code being the rule broken, in words. Every refused request changes
nothing. Bodies are read as JSON whatever their Content-Type, and decoded
strictly: a field the route does not know is
refused (so a misspelt field is never silently ignored), as is a string
holding a control character. A path is taken as it is sent, never cleaned:
empty, "." and ".." segments (also percent-encoded), control characters,
invalid UTF-8 and segments over 1,024 bytes are refused with 400; an
encoded slash stays inside its segment.

WorkOS's SDKs retry 5xx answers (the Node SDK 408, 429, 500, 502, 503 and
504; the Go SDK 429, 500, 502, 503 and 504), so a 503 after an unknown
commit outcome is retried: a retried create whose first attempt did commit
answers a conflict (the slug or membership exists), a retried delete 404 —
except creating an organization without an id or an organization role
without a slug, whose retry can create a second one. The Idempotency-Key
header the SDKs send with a POST is accepted and not used: answers are
not replayed.

# Checks

The check route finds the membership in the store, then asks the
environment's [Checker] — typically the in-memory authorizer, so that a
check reads no roles or permissions from the store — and falls back to
[rbac.Service.Can] when there is none. An inactive or pending membership is
never authorized.
*/
package workosapi
