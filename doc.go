/*
Package rbac gives a Go application the roles and permissions model of
WorkOS — environment roles, per-organization custom roles, a default role
and a priority order per organization, memberships, identity-provider group
mappings and role-aware session claims — inside its own process and on its
own database.

A [Service] enforces the rules on top of a [Store]. The in-memory store,
[github.com/orgroles/rbac/memstore], needs nothing else:

	s := rbac.New(memstore.New())
	s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"})
	s.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: "videos:create", Name: "Create videos"})
	s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"videos:create"}})
	s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"})
	s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"admin"}})
	ok, _ := s.Can(ctx, "production", "acme", "u1", "videos:create") // true

Every call returns an [*Error] when it fails; check it (the tour in the
repository's README does). The sections below walk through the model in the
order an application meets it. Where WorkOS documents a behaviour the
library follows it, with the same names and error codes; where WorkOS is
silent the library takes a decision, and each section states it. The rules
are numbered in docs/rules.md, which tests and comments cite.

# Environments

An [Environment] ("production", "staging") is an isolated world: its own
permissions, environment roles, organizations, memberships and settings. One
Store holds any number of environments and nothing crosses between them;
every Service method takes the environment id first after the context.
[Service.CreateEnvironment] seeds a new environment with the environment role
"member", which is its default role and the whole of its priority order.
Environment ids follow the role slug rules. Multiple-roles mode
([Service.SetMultipleRoles]) starts off.

Every committed write bumps the environment's Revision by one; a write that
would change nothing (an update to the values a record already has) commits
nothing and returns the current record. [Service.DeleteEnvironment] deletes
an environment and everything in it.

# Permissions

A [Permission] is environment-level: [Service.CreatePermission] with a slug
such as "videos:create" or "billing.*" — lowercase letters, digits and
"- _ : . *", 1–48 characters ([ValidatePermissionSlug]) — unique in the
environment (code permission_slug_conflict). Roles grant permissions by slug.

Decisions: a role may only name permissions that exist in its environment,
and its permission set is kept sorted and without duplicates.
[Service.DeletePermission] removes the permission from every role that
granted it, environment and organization roles alike, in the same atomic
step; a permission created with System set cannot be deleted.

# Environment roles

An environment role ([Service.CreateRole]) is visible in every organization
of its environment and cannot be hidden from one. Its slug is lowercase
letters, digits, "-" and "_", with no leading, trailing or doubled separator,
1–48 characters ([ValidateRoleSlug]), and unique in the environment (code
role_slug_conflict). A new environment role is appended at the bottom of the
environment's priority order and of the order of every organization that has
its own.

Decision: environment role slugs may not begin with "org-", which is
reserved for organization roles, so an organization role can never shadow
an environment role and a slug alone tells the two kinds apart
([IsOrganizationRoleSlug]).

Names are 1–48 characters and need not be unique; descriptions at most 150.
Slugs never change: updates ([Service.UpdateRole], [RoleUpdate]) are partial
and touch only the name, the description and the permission set.

# Organization roles and inheritance

An [Organization] starts with no roles of its own: it inherits the
environment roles, the environment default role and the environment priority
order, and follows later changes to them. [Service.OrganizationSettings]
returns the effective default and order either way.

[Service.CreateOrganizationRole] creates a role visible in that organization
only: it can never be assigned, listed, mapped or resolved anywhere else. Its
slug always begins with "org-": a supplied slug without the prefix gets it
(billing-admin becomes org-billing-admin, see [OrganizationRoleSlug]); with
no slug, one is generated from the name ([GenerateOrganizationRoleSlug]):
"org-", the name lowercased with whitespace turned into "-", other characters
outside [a-z0-9_-] dropped and separators collapsed, then "-" and a random
six-character suffix, the name part cut so that the whole fits in 48
characters. Organization role slugs are unique within their organization
(code organization_role_slug_conflict); two organizations may each have
org-billing.

Creating the first organization role gives the organization its own default
role and priority order, independent of the environment from then on: the
order is a copy of the environment order with the new role at the bottom,
the default is the environment default. Each further organization role goes
to the bottom of that order. [Service.ListOrganizationRoles] lists both kinds
merged, in that order; [Service.GetOrganizationRole] resolves both kinds.

Decisions: an organization keeps its own default and order once it has them,
even after all its custom roles are deleted; and setting an organization's
default role or priority order while it still inherits gives it its own
settings the same way.

# Default role and priority order

The environment, and every organization with its own settings, has exactly
one default role, which must be visible there ([Service.SetDefaultRole],
[Service.SetOrganizationDefaultRole]). A membership created without roles
gets its organization's effective default.

A priority order ranks roles, highest first. Orders are replaced whole
([Service.SetPriorityOrder], [Service.SetOrganizationPriorityOrder]) and the
new order must hold every role visible at that level exactly once; anything
else is rejected and nothing changes. The order resolves a set of candidate
roles to one ([Service.ResolveRole], [Resolve]): the primary role of a
multi-role membership, the role a member with several mapped groups gets,
and the role kept when multiple-roles mode is switched off.

# Memberships

A [Membership] links one user — the application's own opaque user id — to
one organization, with a status (active, inactive, pending) and its roles;
there is at most one per (organization, user). Its Role is the primary
(highest-priority) role and Roles lists them all in priority order.
[Service.CreateMembership] checks that every role is visible in the
organization (code invalid_role, "Role 'x' is not a valid role."); with
multiple-roles mode off it accepts one role at most (code
multiple_roles_not_enabled). Creating a membership for a user whose
membership there is inactive reactivates it with the given roles.

[Service.DeactivateMembership] and [Service.ReactivateMembership] follow the
WorkOS state rules; a pending membership (an invitation) becomes active with
[Service.AcceptMembership]. [Service.ListMemberships] lists active
memberships unless asked for other statuses.

Decisions: creating a membership for a user whose membership there is
inactive reuses it — active, or pending when the call asks for pending (a
new invitation). Organization ids may be the application's own tenant ids;
when omitted the library generates "org_…" ids, as it does "om_…" ids for
memberships.

# Organizations

[Service.CreateOrganization] takes an optional id, a name, the
application's own external id (unique in the environment, code
external_id_already_used) and metadata; [Service.UpdateOrganization]
changes them and [Service.GetOrganizationByExternalID] finds an
organization by its external id.

# Ids and text

Ids the application supplies or names — organization, user, membership,
group and external ids — are 1 to 128 bytes of valid UTF-8 with no control,
format or space character of any script ([MaxIDLen]). Names and
descriptions are valid UTF-8 without control characters. The rules are the
same whatever the store: a write with an id or text that breaks them fails
with an invalid error naming the field before the store is touched, and a
read with an id no store could hold answers "not found" (or false, for a
check).

Generated ids are time-ordered, as ULIDs are: 48 bits of milliseconds then
80 random bits, in 26 characters of Crockford base32 after a prefix
("org_01J…"). Ids one Service generates sort in the order it generated
them.

# Listings

Every List method takes [ListOptions] — Limit (1 to [MaxLimit], 0 for
[DefaultLimit]), Before or After (the id of a record of the listing), Order
([OrderAsc] or [OrderDesc]) — and returns a [Page] with the cursors of the
previous and next pages, "" at either end. Organizations, permissions,
memberships and group mappings are listed by id, which is the order of
creation for generated ids; role listings are in priority order.

	opt := rbac.ListOptions{Limit: 100}
	for {
		page, err := s.ListOrganizations(ctx, "production", opt)
		if err != nil {
			return err
		}
		for _, o := range page.Data {
			…
		}
		if page.After == "" {
			break
		}
		opt.After = page.After
	}

# Deleting roles

No member is ever left with a role that does not exist.

[Service.DeleteRole] deletes an environment role. If it is the environment
default or the default of any organization, the caller must name a
replacement default ([DeleteOptions].ReplacementDefault): another
environment role. Without one the call fails with
[ErrReplacementRequired], and the [*Error] lists the organizations
concerned. With one, in a single step, the replacement becomes the default
everywhere the deleted role was, the role leaves every priority order, and
every membership that held it is reassigned: in single-role mode to its
organization's (new) default, in multiple-roles mode by dropping the role and
giving the default to a membership left with none. Group mappings to the
role are re-pointed to the replacement, or deleted when there is none.

[Service.DeleteOrganizationRole] refuses, as WorkOS does, while members hold
the role ([ErrRoleHasAssignments]) or group mappings target it
([ErrRoleHasGroupRoleMappings]), and also while it is the organization
default ([ErrRoleIsDefault]). Beyond WorkOS, naming a role to reassign them
to ([DeleteOptions].ReassignTo: any other role visible in the organization)
moves its members, mappings and default to that role in the same step. An
option given to a deletion it does not apply to is an invalid error naming
it.

Beyond WorkOS, every deletion is synchronous and atomic — either all of it is
visible or none of it — and [DeleteOptions].DryRun returns the
[DeletionPlan] (defaults replaced, memberships reassigned, mappings
affected) without changing anything. Deleting an organization deletes its
roles, settings, memberships and mappings.

# Group mappings

[Service.CreateGroupMapping] maps an identity-provider group of an
organization — a Directory Sync group or a group asserted at SSO login — to a
role visible there. [Service.SyncGroups] applies a user's current groups: in
single-role mode the mapped role highest in the priority order wins, in
multiple-roles mode every mapped role applies, and with no mapped group the
member gets the default role. A membership records where its roles came
from ([RoleSource]); an explicit directory mapping beats an explicit SSO
mapping, which beats a manual assignment, which beats the default. A manual
change lasts until the next sync that maps a group.

Decision: a group maps to one role per source; mapping it again is
[ErrGroupMappingConflict].

# Claims and checks

[Service.Claims] returns the role-aware claims of a session token for a user
in an organization — org_id, role, roles and permissions, with the JSON names
of WorkOS session tokens — and [Service.Can] answers a permission check.
Only an active membership has claims or permissions.

Both read the Store on every call, which makes them the reference, not the
thing to call on every request. The package
[github.com/orgroles/rbac/authz] is the read model for that: an in-memory
snapshot of one environment that answers the same questions without locks,
allocations or store access, is updated by every write through the Service
before the write returns, follows the writes of other processes through a
[Feed], and can deny checks when it cannot confirm it is current.
[github.com/orgroles/rbac/rbachttp] puts it in front of HTTP handlers.

A caller that must see its own writes in a cache (read your writes) passes
a [Receipt] to its write calls with [WithReceipt]: the receipt holds the
revision they committed at, to wait for.

# Errors

Every failure is an [*Error]. Test its kind with [errors.Is] and the kind
sentinels ([ErrNotFound], [ErrInvalid], [ErrConflict],
[ErrReplacementRequired], [ErrCanceled], [ErrOutcomeUnknown],
[ErrInternal]), its code with the code sentinels
([ErrInvalidRole], [ErrRoleSlugConflict], …), and read the details — the
WorkOS code, the field and rule at fault, the organizations concerned — with
[errors.As]. Codes are the WorkOS API codes where WorkOS has one, so an HTTP
layer can pass them through; [HTTPStatus] maps an error to a status code.

A call that fails changes nothing. A call whose context ends first fails
with [ErrCanceled], which also matches the context's own error
(errors.Is(err, context.Canceled)). A write whose commit was sent to the
store but whose answer was lost — the connection broke — fails with
[ErrOutcomeUnknown]: it may or may not be stored, so read before retrying;
the Service's OnCommit handlers are told, so caches catch up either way.

# Events

Every committed write produces [Event] values — role.created,
organization_role.deleted, organization_membership.updated and the other
WorkOS names, plus the library's own environment, organization and
group_role_mapping events — all stamped with the environment revision the
write committed, and each carrying the record it is about as it is after
the change. A reassignment reports organization_membership.updated for
every membership it changed. [Service.OnCommit] hands them to same-process
subscribers before the write returns (it returns a function that
unregisters); the Store's Publish hands them to other processes, and
[ChangeOf] summarises a write for caches ([Change]).

# Stores

A [Store] keeps records and applies a few bulk effects (reassign every holder
of a role, drop a role from every order) as one operation each, so that a SQL
store runs one statement and not one per row; the Service holds all the
rules. Every Service write is one Store transaction, scoped to one
environment. [github.com/orgroles/rbac/memstore] is the in-memory store,
[github.com/orgroles/rbac/pgstore] keeps the same state in PostgreSQL, and
[github.com/orgroles/rbac/storetest] is the conformance suite every Store
must pass — a third-party Store runs it too, with storetest.Run. The [Tx] a
Store hands the Service is made of one interface per noun ([EnvironmentTx],
[PermissionTx], [RoleTx], [OrganizationTx], [MembershipTx],
[GroupMappingTx], [ChangeTx]), each method with its contract.
*/
package rbac
