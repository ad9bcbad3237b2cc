package workosapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac/workosapi"
)

// badRequest is a request the handler must refuse.
type badRequest struct {
	name         string
	method, path string
	body         string
	auth         string // the Authorization header; "" means the test key, "-" none
	status       int
	code         string // the body's code ("" when it must have none)
	field        string // a field the body's errors must name, if any
}

// badRequests lists hostile and mistaken requests, each with the answer it
// must get. f holds the ids of the seeded memberships.
func badRequests(f *fixture) []badRequest {
	long := strings.Repeat("a", 2000)
	n49 := strings.Repeat("n", 49)
	return []badRequest{
		// Authentication.
		{name: "no key", method: "GET", path: "/authorization/roles", auth: "-", status: 401, code: "unauthorized"},
		{name: "empty bearer", method: "GET", path: "/authorization/roles", auth: "Bearer ", status: 401, code: "unauthorized"},
		{name: "basic scheme", method: "GET", path: "/authorization/roles", auth: "Basic " + testKey, status: 401, code: "unauthorized"},
		{name: "wrong key", method: "GET", path: "/authorization/roles", auth: "Bearer sk_test_wrong", status: 401, code: "unauthorized"},
		{name: "key with a suffix", method: "GET", path: "/authorization/roles", auth: "Bearer " + testKey + "x", status: 401, code: "unauthorized"},
		{name: "key prefix", method: "GET", path: "/authorization/roles", auth: "Bearer " + testKey[:10], status: 401, code: "unauthorized"},
		{name: "unauthenticated write", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"X"}`, auth: "-", status: 401, code: "unauthorized"},

		// Other environments are out of reach.
		{name: "other key reads a membership", method: "GET", path: "/user_management/organization_memberships/" + f.u1, auth: "Bearer " + otherKey, status: 404, code: "organization_membership_not_found"},
		{name: "other key deactivates a membership", method: "PUT", path: "/user_management/organization_memberships/" + f.u1 + "/deactivate", auth: "Bearer " + otherKey, status: 404, code: "organization_membership_not_found"},
		{name: "other key checks a membership", method: "POST", path: "/authorization/organization_memberships/" + f.u1 + "/check", body: `{"permission_slug":"videos:view"}`, auth: "Bearer " + otherKey, status: 404, code: "organization_membership_not_found"},
		{name: "other key deletes an organization role", method: "DELETE", path: "/authorization/organizations/acme/roles/org-billing", auth: "Bearer " + otherKey, status: 404, code: "role_not_found"},
		{name: "test key reads the other's role", method: "GET", path: "/authorization/roles/secret", status: 404, code: "role_not_found"},
		{name: "test key deletes the other's membership", method: "DELETE", path: "/user_management/organization_memberships/" + f.o1, status: 404, code: "organization_membership_not_found"},

		// Bodies that are not what JSON or the route allows.
		{name: "truncated JSON", method: "POST", path: "/authorization/roles", body: `{"slug":`, status: 400, code: "bad_request"},
		{name: "malformed JSON", method: "POST", path: "/authorization/permissions", body: `{slug: "x"}`, status: 400, code: "bad_request"},
		{name: "array body", method: "POST", path: "/authorization/roles", body: `[{"slug":"x","name":"X"}]`, status: 400, code: "bad_request"},
		{name: "string body", method: "POST", path: "/organizations", body: `"acme"`, status: 400, code: "bad_request"},
		{name: "null body", method: "PATCH", path: "/authorization/roles/admin", body: `null`, status: 400, code: "bad_request"},
		{name: "trailing data", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"X"} {"slug":"y"}`, status: 400, code: "bad_request"},
		{name: "form body", method: "POST", path: "/authorization/roles", body: `slug=x&name=X`, status: 400, code: "bad_request"},
		{name: "body over the limit", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"` + strings.Repeat("x", 2<<20) + `"}`, status: 413, code: "request_entity_too_large"},
		{name: "slug a number", method: "POST", path: "/authorization/roles", body: `{"slug":5,"name":"X"}`, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "name an array", method: "POST", path: "/authorization/permissions", body: `{"slug":"x","name":["X"]}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "description an object", method: "PATCH", path: "/authorization/roles/admin", body: `{"description":{"a":1}}`, status: 422, code: "invalid_request_parameters", field: "description"},
		{name: "permissions a string", method: "PUT", path: "/authorization/roles/admin/permissions", body: `{"permissions":"videos:view"}`, status: 422, code: "invalid_request_parameters", field: "permissions"},
		{name: "permissions numbers", method: "PUT", path: "/authorization/roles/admin/permissions", body: `{"permissions":[1,2]}`, status: 422, code: "invalid_request_parameters", field: "permissions"},
		{name: "unknown field", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"X","permissions":["videos:view"]}`, status: 422, code: "invalid_request_parameters", field: "permissions"},
		{name: "misspelt membership field", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u9","role":"admin"}`, status: 422, code: "invalid_request_parameters", field: "role"},
		{name: "NUL in a name", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"X\u0000Y"}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "control character in a description", method: "PATCH", path: "/authorization/permissions/videos:view", body: `{"description":"bell\u0007"}`, status: 422, code: "invalid_request_parameters", field: "description"},
		{name: "NUL in a user id", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u\u0000"}`, status: 422, code: "invalid_request_parameters", field: "user_id"},

		// Fields that break the rules.
		{name: "missing name", method: "POST", path: "/authorization/roles", body: `{"slug":"x"}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "empty body on a create", method: "POST", path: "/authorization/permissions", body: ``, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "invalid role slug", method: "POST", path: "/authorization/roles", body: `{"slug":"Admin!","name":"X"}`, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "role slug too long", method: "POST", path: "/authorization/roles", body: `{"slug":"` + n49 + `","name":"X"}`, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "environment role with the org- prefix", method: "POST", path: "/authorization/roles", body: `{"slug":"org-x","name":"X"}`, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "name too long", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"` + n49 + `"}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "description too long", method: "POST", path: "/authorization/permissions", body: `{"slug":"x","name":"X","description":"` + strings.Repeat("d", 151) + `"}`, status: 422, code: "invalid_request_parameters", field: "description"},
		{name: "invalid permission slug", method: "POST", path: "/authorization/permissions", body: `{"slug":"Videos View","name":"X"}`, status: 422, code: "invalid_request_parameters", field: "slug"},
		{name: "null name in an update", method: "PATCH", path: "/authorization/roles/admin", body: `{"name":null}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "other resource type", method: "POST", path: "/authorization/roles", body: `{"slug":"x","name":"X","resource_type_slug":"project"}`, status: 422, code: "invalid_request_parameters", field: "resource_type_slug"},
		{name: "unknown permission in a set", method: "PUT", path: "/authorization/roles/admin/permissions", body: `{"permissions":["videos:view","nope"]}`, status: 422, code: "invalid_request_parameters", field: "permissions"},
		{name: "set without permissions", method: "PUT", path: "/authorization/organizations/acme/roles/org-billing/permissions", body: `{}`, status: 422, code: "invalid_request_parameters", field: "permissions"},
		{name: "add an unknown permission", method: "POST", path: "/authorization/roles/admin/permissions", body: `{"slug":"nope"}`, status: 404, code: "permission_not_found"},
		{name: "add without slug", method: "POST", path: "/authorization/organizations/acme/roles/org-billing/permissions", body: `{}`, status: 422, code: "invalid_request_parameters", field: "slug"},

		// Conflicts, WorkOS's codes.
		{name: "role slug taken", method: "POST", path: "/authorization/roles", body: `{"slug":"admin","name":"Admin"}`, status: 409, code: "role_slug_conflict"},
		{name: "permission slug taken", method: "POST", path: "/authorization/permissions", body: `{"slug":"videos:view","name":"V"}`, status: 409, code: "permission_slug_conflict"},
		{name: "organization role slug taken", method: "POST", path: "/authorization/organizations/acme/roles", body: `{"slug":"billing","name":"B"}`, status: 409, code: "organization_role_slug_conflict"},
		{name: "delete a role members hold", method: "DELETE", path: "/authorization/organizations/acme/roles/org-billing", status: 409, code: "role_has_assignments"},
		{name: "delete a role a group maps to", method: "DELETE", path: "/authorization/organizations/acme/roles/org-sso", status: 409, code: "role_has_group_role_mappings"},
		{name: "delete the organization default", method: "DELETE", path: "/authorization/organizations/globex/roles/org-lead", status: 409, code: "role_is_default"},
		{name: "delete a system permission", method: "DELETE", path: "/authorization/permissions/audit:read", status: 403, code: "system_permission"},
		{name: "membership exists", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u1"}`, status: 409, code: "organization_membership_already_exists"},
		{name: "create over a pending membership", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u3","role_slug":"admin"}`, status: 400, code: "cannot_reactivate_pending_organization_membership"},
		{name: "organization id taken", method: "POST", path: "/organizations", body: `{"id":"acme","name":"Acme again"}`, status: 409, code: "organization_already_exists"},

		// Unknown ids.
		{name: "unknown role", method: "GET", path: "/authorization/roles/nope", status: 404, code: "role_not_found"},
		{name: "update an unknown role", method: "PATCH", path: "/authorization/roles/nope", body: `{"name":"N"}`, status: 404, code: "role_not_found"},
		{name: "organization role of an environment role's slug", method: "PATCH", path: "/authorization/organizations/acme/roles/admin", body: `{"name":"N"}`, status: 404, code: "role_not_found"},
		{name: "roles of an unknown organization", method: "GET", path: "/authorization/organizations/nope/roles", status: 404, code: "organization_not_found"},
		{name: "role in an unknown organization", method: "POST", path: "/authorization/organizations/nope/roles", body: `{"name":"X"}`, status: 404, code: "organization_not_found"},
		{name: "delete an unknown permission", method: "DELETE", path: "/authorization/permissions/nope", status: 404, code: "permission_not_found"},
		{name: "remove a permission from an unknown role", method: "DELETE", path: "/authorization/organizations/acme/roles/org-nope/permissions/videos:view", status: 404, code: "role_not_found"},
		{name: "unknown organization", method: "GET", path: "/organizations/nope", status: 404, code: "organization_not_found"},
		{name: "delete an unknown organization", method: "DELETE", path: "/organizations/nope", status: 404, code: "organization_not_found"},
		{name: "unknown membership", method: "GET", path: "/user_management/organization_memberships/om_nope", status: 404, code: "organization_membership_not_found"},
		{name: "update an unknown membership", method: "PUT", path: "/user_management/organization_memberships/om_nope", body: `{"role_slug":"admin"}`, status: 404, code: "organization_membership_not_found"},
		{name: "membership in an unknown organization", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"nope","user_id":"u9"}`, status: 404, code: "organization_not_found"},
		{name: "check an unknown membership", method: "POST", path: "/authorization/organization_memberships/om_nope/check", body: `{"permission_slug":"videos:view"}`, status: 404, code: "organization_membership_not_found"},
		{name: "members of an unknown organization", method: "GET", path: "/user_management/organization_memberships?organization_id=nope", status: 404, code: "organization_not_found"},

		// Memberships.
		{name: "invalid role", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u9","role_slug":"org-lead"}`, status: 422, code: "invalid_role"},
		{name: "multiple roles not enabled", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u9","role_slugs":["admin","editor"]}`, status: 422, code: "multiple_roles_not_enabled"},
		{name: "role_slug and role_slugs", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u9","role_slug":"admin","role_slugs":["admin"]}`, status: 422, code: "invalid_request_parameters", field: "role_slugs"},
		{name: "no user id", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme"}`, status: 422, code: "invalid_request_parameters", field: "user_id"},
		{name: "user id with a space", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"u 9"}`, status: 422, code: "invalid_request_parameters", field: "user_id"},
		{name: "user id too long", method: "POST", path: "/user_management/organization_memberships", body: `{"organization_id":"acme","user_id":"` + strings.Repeat("u", 129) + `"}`, status: 422, code: "invalid_request_parameters", field: "user_id"},
		{name: "no roles", method: "PUT", path: "/user_management/organization_memberships/" + f.u1, body: `{"role_slugs":[]}`, status: 422, code: "invalid_request_parameters", field: "role_slugs"},
		{name: "update to an invisible role", method: "PUT", path: "/user_management/organization_memberships/" + f.u1, body: `{"role_slug":"org-lead"}`, status: 422, code: "invalid_role"},
		{name: "deactivate a pending membership", method: "PUT", path: "/user_management/organization_memberships/" + f.u3 + "/deactivate", status: 400, code: "cannot_deactivate_pending_organization_membership"},
		{name: "reactivate a pending membership", method: "PUT", path: "/user_management/organization_memberships/" + f.u3 + "/reactivate", status: 400, code: "cannot_reactivate_pending_organization_membership"},

		// Lists and their pages.
		{name: "memberships without a filter", method: "GET", path: "/user_management/organization_memberships", status: 400, code: "missing_user_id_or_organization_id"},
		{name: "unknown status", method: "GET", path: "/user_management/organization_memberships?organization_id=acme&statuses=gone", status: 400, code: "invalid_request_parameters", field: "statuses"},
		{name: "limit 0", method: "GET", path: "/authorization/permissions?limit=0", status: 400, code: "invalid_request_parameters", field: "limit"},
		{name: "limit 101", method: "GET", path: "/organizations?limit=101", status: 400, code: "invalid_request_parameters", field: "limit"},
		{name: "limit not a number", method: "GET", path: "/authorization/permissions?limit=ten", status: 400, code: "invalid_request_parameters", field: "limit"},
		{name: "negative limit", method: "GET", path: "/user_management/organization_memberships?user_id=u1&limit=-1", status: 400, code: "invalid_request_parameters", field: "limit"},
		{name: "limit twice", method: "GET", path: "/organizations?limit=1&limit=2", status: 400, code: "invalid_request_parameters", field: "limit"},
		{name: "unknown order", method: "GET", path: "/organizations?order=sideways", status: 400, code: "invalid_request_parameters", field: "order"},
		{name: "before and after", method: "GET", path: "/organizations?before=a&after=b", status: 400, code: "invalid_request_parameters", field: "before"},
		{name: "cursor with a control character", method: "GET", path: "/authorization/permissions?after=perm%01", status: 400, code: "invalid_request_parameters", field: "after"},
		{name: "cursor with a space", method: "GET", path: "/authorization/permissions?before=a%20b", status: 400, code: "invalid_request_parameters", field: "before"},
		{name: "cursor too long", method: "GET", path: "/organizations?after=" + strings.Repeat("c", 200), status: 400, code: "invalid_request_parameters", field: "after"},
		{name: "bad query escape", method: "GET", path: "/organizations?after=%zz", status: 400, code: "invalid_request_parameters", field: "query"},
		{name: "search is not served", method: "GET", path: "/organizations?search=acme", status: 400, code: "invalid_request_parameters", field: "search"},

		// Paths.
		{name: "dot-dot segment", method: "GET", path: "/authorization/roles/..", status: 400, code: "bad_request"},
		{name: "dot-dot climbing", method: "DELETE", path: "/authorization/organizations/acme/roles/../../permissions/videos:view", status: 400, code: "bad_request"},
		{name: "encoded dot-dot", method: "GET", path: "/organizations/%2e%2e", status: 400, code: "bad_request"},
		{name: "NUL in a segment", method: "GET", path: "/organizations/acme%00", status: 400, code: "bad_request"},
		{name: "newline in a segment", method: "DELETE", path: "/user_management/organization_memberships/" + f.u1 + "%0A", status: 400, code: "bad_request"},
		{name: "invalid UTF-8 in a segment", method: "GET", path: "/authorization/roles/%ff", status: 400, code: "bad_request"},
		{name: "very long segment", method: "GET", path: "/organizations/" + long, status: 400, code: "bad_request"},
		{name: "long segment, still an id", method: "GET", path: "/organizations/" + long[:500], status: 404, code: "organization_not_found"},
		{name: "trailing slash", method: "GET", path: "/authorization/roles/", status: 400, code: "bad_request"},
		{name: "double slash", method: "GET", path: "/authorization//roles", status: 400, code: "bad_request"},
		{name: "encoded slash stays in its segment", method: "DELETE", path: "/organizations/acme%2F..%2Fglobex", status: 404, code: "organization_not_found"},
		{name: "encoded slash in a role slug", method: "DELETE", path: "/authorization/organizations/acme/roles/org-billing%2Fpermissions%2Fbilling:manage", status: 404, code: "role_not_found"},
		{name: "unknown route", method: "GET", path: "/authorization/widgets", status: 404, code: "not_found"},
		{name: "users are not served", method: "GET", path: "/user_management/users", status: 404, code: "not_found"},
		{name: "method not allowed", method: "DELETE", path: "/authorization/roles/admin", status: 405, code: "method_not_allowed"},

		// Checks.
		{name: "check without a permission", method: "POST", path: "/authorization/organization_memberships/" + f.u1 + "/check", body: `{}`, status: 422, code: "invalid_request_parameters", field: "permission_slug"},
		{name: "check another organization", method: "POST", path: "/authorization/organization_memberships/" + f.u1 + "/check", body: `{"permission_slug":"videos:view","resource_type_slug":"organization","resource_external_id":"globex"}`, status: 404, code: "resource_not_found"},
		{name: "check by another organization's external id", method: "POST", path: "/authorization/organization_memberships/" + f.u2 + "/check", body: `{"permission_slug":"videos:view","resource_type_slug":"organization","resource_external_id":"ext-globex"}`, status: 404, code: "resource_not_found"},
		{name: "check by id of another organization", method: "POST", path: "/authorization/organization_memberships/" + f.u2 + "/check", body: `{"permission_slug":"videos:view","resource_id":"globex"}`, status: 404, code: "resource_not_found"},
		{name: "check half a resource", method: "POST", path: "/authorization/organization_memberships/" + f.u1 + "/check", body: `{"permission_slug":"videos:view","resource_external_id":"acme"}`, status: 422, code: "invalid_request_parameters", field: "resource_type_slug"},

		// Organizations.
		{name: "organization without a name", method: "POST", path: "/organizations", body: `{}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "organization with domains", method: "POST", path: "/organizations", body: `{"name":"Initech","domains":["initech.com"]}`, status: 422, code: "invalid_request_parameters", field: "domains"},
		{name: "external_id taken", method: "POST", path: "/organizations", body: `{"name":"Initech","external_id":"ext-acme"}`, status: 400, code: "external_id_already_used"},
		{name: "external_id with a space", method: "POST", path: "/organizations", body: `{"name":"Initech","external_id":"ext 1"}`, status: 422, code: "invalid_request_parameters", field: "external_id"},
		{name: "external_id a number", method: "POST", path: "/organizations", body: `{"name":"Initech","external_id":7}`, status: 422, code: "invalid_request_parameters", field: "external_id"},
		{name: "metadata value a number", method: "POST", path: "/organizations", body: `{"name":"Initech","metadata":{"tier":1}}`, status: 422, code: "invalid_request_parameters", field: "metadata"},
		{name: "metadata an array", method: "PUT", path: "/organizations/acme", body: `{"metadata":["gold"]}`, status: 422, code: "invalid_request_parameters", field: "metadata"},
		{name: "metadata key too long", method: "POST", path: "/organizations", body: `{"name":"Initech","metadata":{"` + strings.Repeat("k", 41) + `":"v"}}`, status: 422, code: "invalid_request_parameters", field: "metadata"},
		{name: "metadata with 51 keys", method: "POST", path: "/organizations", body: `{"name":"Initech","metadata":{` + manyKeys(51) + `}}`, status: 422, code: "invalid_request_parameters", field: "metadata"},
		{name: "control character in metadata", method: "PUT", path: "/organizations/acme", body: `{"metadata":{"tier":"gold\u0000"}}`, status: 422, code: "invalid_request_parameters", field: "metadata"},
		{name: "update: external_id taken", method: "PUT", path: "/organizations/globex", body: `{"external_id":"ext-acme"}`, status: 400, code: "external_id_already_used"},
		{name: "update: empty name", method: "PUT", path: "/organizations/acme", body: `{"name":""}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "update: null name", method: "PUT", path: "/organizations/acme", body: `{"name":null}`, status: 422, code: "invalid_request_parameters", field: "name"},
		{name: "update: domains", method: "PUT", path: "/organizations/acme", body: `{"domain_data":[{"domain":"acme.com","state":"verified"}]}`, status: 422, code: "invalid_request_parameters", field: "domain_data"},
		{name: "update: unknown organization", method: "PUT", path: "/organizations/nope", body: `{"name":"Nope"}`, status: 404, code: "organization_not_found"},
		{name: "unknown external_id", method: "GET", path: "/organizations/external_id/nope", status: 404, code: "organization_not_found"},
		{name: "external_id with a NUL", method: "GET", path: "/organizations/external_id/ext%00acme", status: 400, code: "bad_request"},

		// rbac's own routes.
		{name: "delete the default without replacement", method: "DELETE", path: "/rbac/roles/member", status: 409, code: "replacement_role_required"},
		{name: "replacement not an environment role", method: "DELETE", path: "/rbac/roles/member?replacement_default=org-billing", status: 422, code: "invalid_role"},
		{name: "misspelt dry_run", method: "DELETE", path: "/rbac/roles/editor?dryrun=true", status: 400, code: "invalid_request_parameters", field: "dryrun"},
		{name: "dry_run not a boolean", method: "DELETE", path: "/rbac/organizations/acme?dry_run=maybe", status: 400, code: "invalid_request_parameters", field: "dry_run"},
		{name: "reassign option on an environment role", method: "DELETE", path: "/rbac/roles/editor?reassign_to=admin", status: 400, code: "invalid_request_parameters", field: "reassign_to"},
		{name: "reassign to the role itself", method: "DELETE", path: "/rbac/organizations/acme/roles/org-billing?reassign_to=org-billing", status: 422, code: "invalid_role"},
		{name: "order missing a role", method: "PUT", path: "/rbac/environment/priority_order", body: `{"priority_order":["admin","member"]}`, status: 422, code: "invalid_request_parameters", field: "priority_order"},
		{name: "order with a role twice", method: "PUT", path: "/rbac/organizations/acme/priority_order", body: `{"priority_order":["admin","admin","editor","member","org-billing"]}`, status: 422, code: "invalid_request_parameters", field: "priority_order"},
		{name: "default an unknown role", method: "PUT", path: "/rbac/environment/default_role", body: `{"role_slug":"nope"}`, status: 422, code: "invalid_role"},
		{name: "organization default from another organization", method: "PUT", path: "/rbac/organizations/acme/default_role", body: `{"role_slug":"org-lead"}`, status: 422, code: "invalid_role"},
		{name: "multiple roles not a boolean", method: "PUT", path: "/rbac/environment/multiple_roles", body: `{"enabled":"yes"}`, status: 422, code: "invalid_request_parameters", field: "enabled"},
		{name: "multiple roles missing", method: "PUT", path: "/rbac/environment/multiple_roles", body: `{}`, status: 422, code: "invalid_request_parameters", field: "enabled"},
		{name: "group mapping source", method: "POST", path: "/rbac/organizations/acme/group_role_mappings", body: `{"source":"ldap","group_id":"g1","role_slug":"admin"}`, status: 422, code: "invalid_request_parameters", field: "source"},
		{name: "group mapped twice", method: "POST", path: "/rbac/organizations/acme/group_role_mappings", body: `{"source":"directory","group_id":"g-sso","role_slug":"admin"}`, status: 409, code: "group_role_mapping_conflict"},
		{name: "group mapped to an invisible role", method: "POST", path: "/rbac/organizations/acme/group_role_mappings", body: `{"source":"sso","group_id":"g2","role_slug":"org-lead"}`, status: 422, code: "invalid_role"},
		{name: "unmap an unknown source", method: "DELETE", path: "/rbac/organizations/acme/group_role_mappings/ldap/g-sso", status: 404, code: "group_role_mapping_not_found"},
		{name: "unmap an unknown group", method: "DELETE", path: "/rbac/organizations/acme/group_role_mappings/sso/g-sso", status: 404, code: "group_role_mapping_not_found"},
		{name: "sync without groups", method: "POST", path: "/rbac/organizations/acme/group_sync", body: `{"user_id":"u1","source":"sso"}`, status: 422, code: "invalid_request_parameters", field: "groups"},
		{name: "accept an active membership", method: "PUT", path: "/rbac/organization_memberships/" + f.u1 + "/accept", status: 409, code: "organization_membership_not_pending"},
		{name: "membership with an unknown status", method: "POST", path: "/rbac/organization_memberships", body: `{"organization_id":"acme","user_id":"u9","status":"invited"}`, status: 422, code: "invalid_request_parameters", field: "status"},
	}
}

// TestBadRequests sends every bad request and checks the status, the body
// (WorkOS's shape: a message, the code, the field at fault) and that
// neither environment changed, revision included.
func TestBadRequests(t *testing.T) {
	for _, kind := range []storeKind{memory, postgres} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, kind, workosapi.Options{})
			reqs := badRequests(f)
			if len(reqs) < 60 {
				t.Fatalf("only %d bad requests", len(reqs))
			}
			before := f.dumps()
			for _, br := range reqs {
				t.Run(br.name, func(t *testing.T) {
					auth := "Bearer " + testKey
					switch br.auth {
					case "-":
						auth = ""
					case "":
					default:
						auth = br.auth
					}
					r := f.request(br.method, br.path, br.body, auth)
					if r.status != br.status {
						t.Errorf("status %d, want %d; body %s", r.status, br.status, r.body)
					}
					if ct := r.header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("Content-Type %q", ct)
					}
					body := r.json(t)
					if msg, _ := body["message"].(string); msg == "" {
						t.Errorf("no message in %s", r.body)
					}
					if code, _ := body["code"].(string); code != br.code {
						t.Errorf("code %q, want %q; body %s", code, br.code, r.body)
					}
					if br.field != "" {
						if !namesField(body, br.field) {
							t.Errorf("errors do not name field %q: %s", br.field, r.body)
						}
					}
					if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
					if r.status == 405 && r.header.Get("Allow") == "" {
						t.Error("405 without Allow")
					}
				})
			}
			if diff := cmp.Diff(before, f.dumps()); diff != "" {
				t.Errorf("the bad requests changed the state (-before +after):\n%s", diff)
			}
		})
	}
}

// TestBadRequestsOneByOne checks after each bad request, on the in-memory
// store, that it changed nothing: a failure names the request at fault.
func TestBadRequestsOneByOne(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	for _, br := range badRequests(f) {
		before := f.dumps()
		auth := "Bearer " + testKey
		if br.auth == "-" {
			auth = ""
		} else if br.auth != "" {
			auth = br.auth
		}
		f.request(br.method, br.path, br.body, auth)
		if diff := cmp.Diff(before, f.dumps()); diff != "" {
			t.Errorf("%s changed the state (-before +after):\n%s", br.name, diff)
		}
	}
}

// manyKeys returns n metadata entries, "k0":"v",….
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"v"`, i)
	}
	return b.String()
}

func namesField(body map[string]any, field string) bool {
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok && m["field"] == field {
			if code, _ := m["code"].(string); code != "" {
				return true
			}
		}
	}
	return false
}

// TestBodyLimit checks the limit on a declared length (refused before
// the body is read) and on a streamed body of unknown length.
func TestBodyLimit(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{MaxBodyBytes: 64})
	before := f.dumps()
	big := `{"slug":"x","name":"` + strings.Repeat("x", 100) + `"}`
	for _, chunked := range []bool{false, true} {
		r := httptest.NewRequest("POST", "/authorization/roles", strings.NewReader(big))
		r.Header.Set("Authorization", "Bearer "+testKey)
		if chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "request_entity_too_large") {
			t.Errorf("chunked %v: %d %s", chunked, w.Code, w.Body)
		}
	}
	// A body within the limit passes.
	f.ok(201, "POST", "/authorization/roles", `{"slug":"x","name":"X"}`)
	after := f.dumps()
	if len(after[0].Roles) != len(before[0].Roles)+1 {
		t.Errorf("roles %d, want %d", len(after[0].Roles), len(before[0].Roles)+1)
	}
}
