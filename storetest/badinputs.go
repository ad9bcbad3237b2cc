package storetest

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgroles/rbac"
)

// codeSentinels are the exported code sentinels; an error with one of
// these codes must match its sentinel with errors.Is.
var codeSentinels = map[string]error{
	rbac.CodeInvalidRole:                  rbac.ErrInvalidRole,
	rbac.CodeRoleSlugConflict:             rbac.ErrRoleSlugConflict,
	rbac.CodeOrganizationRoleSlugConflict: rbac.ErrOrganizationRoleSlugConflict,
	rbac.CodePermissionSlugConflict:       rbac.ErrPermissionSlugConflict,
	rbac.CodeRoleHasAssignments:           rbac.ErrRoleHasAssignments,
	rbac.CodeRoleHasGroupRoleMappings:     rbac.ErrRoleHasGroupRoleMappings,
	rbac.CodeRoleIsDefault:                rbac.ErrRoleIsDefault,
	rbac.CodeMultipleRolesNotEnabled:      rbac.ErrMultipleRolesNotEnabled,
	rbac.CodeCannotReactivatePending:      rbac.ErrCannotReactivatePending,
	rbac.CodeCannotDeactivatePending:      rbac.ErrCannotDeactivatePending,
	rbac.CodeMembershipAlreadyExists:      rbac.ErrMembershipAlreadyExists,
	rbac.CodeMembershipNotPending:         rbac.ErrMembershipNotPending,
	rbac.CodeSystemPermission:             rbac.ErrSystemPermission,
	rbac.CodeEnvironmentExists:            rbac.ErrEnvironmentExists,
	rbac.CodeOrganizationExists:           rbac.ErrOrganizationExists,
	rbac.CodeGroupMappingConflict:         rbac.ErrGroupMappingConflict,
	rbac.CodeExternalIDAlreadyUsed:        rbac.ErrExternalIDAlreadyUsed,
}

// badCase is one bad input: a call and the error it must fail with.
type badCase struct {
	name string
	call func() error
	want *expErr
}

// testBadInputs calls every write, and the listings, with bad inputs, one
// at a time, and checks the exact typed error (kind, code, and field and
// rule for invalid input; rules 2.5–2.7, 12.1, 19.1) and that nothing
// changed, revision included (rule 12.2). The first cases are written by
// hand, one per rule; the rest are generated, every odd value of
// oddvalues.go in every field of every write.
func testBadInputs(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	t.Run("KeptAsGiven", func(t *testing.T) { testKeptAsGiven(t, newStore) })
	t.Run("Reads", func(t *testing.T) { testOddReads(t, newStore) })
	watch := &watchStore{}
	f := newFixture(t, func(t *testing.T) rbac.Store { watch.Store = newStore(t); return watch })
	f.standard("prod")
	ctx, s := f.ctx, f.s
	ok(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "audit", Name: "Audit", System: true}))(f)
	ok(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	ok(s.CreateOrganizationRole(ctx, "prod", "globex", rbac.RoleInput{Slug: "ops", Name: "Ops"}))(f)
	ok(s.UpdateOrganization(ctx, "prod", "globex", rbac.OrganizationUpdate{ExternalID: rbac.Ptr("ext-globex"),
		Metadata: &map[string]string{"plan": "pro"}}))(f)
	active := f.member("prod", "acme", "u1", "org-billing")
	pending := ok(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u2", Status: rbac.StatusPending}))(f)
	ok(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "viewer"}))(f)

	long := func(n int) string { return strings.Repeat("a", n) }
	notFound := errNotFound
	conflict := errConflict
	roleInput := func(slug string) rbac.RoleInput { return rbac.RoleInput{Slug: slug, Name: "N"} }
	mem := func(org, user string, roles ...string) rbac.MembershipInput {
		return rbac.MembershipInput{OrganizationID: org, UserID: user, Roles: roles}
	}
	cases := []badCase{
		// Environments.
		{"CreateEnvironment/empty id", func() error { return second(s.CreateEnvironment(ctx, rbac.EnvironmentInput{})) }, errInvalid("id")},
		{"CreateEnvironment/upper case id", func() error { return second(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "Prod"})) }, errInvalid("id")},
		{"CreateEnvironment/long name", func() error {
			return second(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "qa", Name: long(49)}))
		}, errInvalid("name")},
		{"CreateEnvironment/exists", func() error { return second(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"})) }, conflict(rbac.CodeEnvironmentExists)},
		{"GetEnvironment/missing", func() error { return second(s.GetEnvironment(ctx, "qa")) }, notFound(rbac.CodeEnvironmentNotFound)},
		{"CreateRole/missing environment", func() error { return second(s.CreateRole(ctx, "qa", roleInput("x"))) }, notFound(rbac.CodeEnvironmentNotFound)},
		{"SetDefaultRole/unknown", func() error { return second(s.SetDefaultRole(ctx, "prod", "ghost")) }, errInvalidRole()},
		{"SetDefaultRole/organization role", func() error { return second(s.SetDefaultRole(ctx, "prod", "org-billing")) }, errInvalidRole()},
		{"SetPriorityOrder/missing role", func() error { return second(s.SetPriorityOrder(ctx, "prod", []string{"admin", "member"})) }, errInvalid("priority_order")},
		{"SetPriorityOrder/twice", func() error {
			return second(s.SetPriorityOrder(ctx, "prod", []string{"admin", "member", "viewer", "admin"}))
		}, errInvalid("priority_order")},
		{"SetPriorityOrder/unknown", func() error {
			return second(s.SetPriorityOrder(ctx, "prod", []string{"admin", "member", "ghost"}))
		}, errInvalid("priority_order")},

		// Permissions (2.2, 2.3, 3.1, 3.3).
		{"CreatePermission/empty slug", func() error { return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Name: "N"})) }, errInvalid("slug")},
		{"CreatePermission/upper case", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "Read", Name: "N"}))
		}, errInvalid("slug")},
		{"CreatePermission/space", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "a b", Name: "N"}))
		}, errInvalid("slug")},
		{"CreatePermission/49 characters", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: long(49), Name: "N"}))
		}, errInvalid("slug")},
		{"CreatePermission/no name", func() error { return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "p"})) }, errInvalid("name")},
		{"CreatePermission/blank name", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "p", Name: " \t"}))
		}, errInvalid("name")},
		{"CreatePermission/49-character name", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "p", Name: strings.Repeat("é", 49)}))
		}, errInvalid("name")},
		{"CreatePermission/151-character description", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "p", Name: "N", Description: strings.Repeat("é", 151)}))
		}, errInvalid("description")},
		{"CreatePermission/description not UTF-8", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "p", Name: "N", Description: "\xff"}))
		}, errInvalid("description")},
		{"CreatePermission/taken", func() error {
			return second(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "read", Name: "N"}))
		}, conflict(rbac.CodePermissionSlugConflict)},
		{"UpdatePermission/empty name", func() error {
			return second(s.UpdatePermission(ctx, "prod", "read", rbac.PermissionUpdate{Name: rbac.Ptr("")}))
		}, errInvalid("name")},
		{"UpdatePermission/missing", func() error {
			return second(s.UpdatePermission(ctx, "prod", "ghost", rbac.PermissionUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodePermissionNotFound)},
		{"DeletePermission/missing", func() error { return second(s.DeletePermission(ctx, "prod", "ghost", rbac.DeleteOptions{})) }, notFound(rbac.CodePermissionNotFound)},
		{"DeletePermission/system", func() error { return second(s.DeletePermission(ctx, "prod", "audit", rbac.DeleteOptions{})) }, conflict(rbac.CodeSystemPermission)},

		// Environment roles (2.1, 4.2, 3.2, 9.1).
		{"CreateRole/empty slug", func() error { return second(s.CreateRole(ctx, "prod", roleInput(""))) }, errInvalid("slug")},
		{"CreateRole/upper case", func() error { return second(s.CreateRole(ctx, "prod", roleInput("Admin2"))) }, errInvalid("slug")},
		{"CreateRole/leading separator", func() error { return second(s.CreateRole(ctx, "prod", roleInput("-a"))) }, errInvalid("slug")},
		{"CreateRole/trailing separator", func() error { return second(s.CreateRole(ctx, "prod", roleInput("a_"))) }, errInvalid("slug")},
		{"CreateRole/double separator", func() error { return second(s.CreateRole(ctx, "prod", roleInput("a-_b"))) }, errInvalid("slug")},
		{"CreateRole/colon", func() error { return second(s.CreateRole(ctx, "prod", roleInput("a:b"))) }, errInvalid("slug")},
		{"CreateRole/49 characters", func() error { return second(s.CreateRole(ctx, "prod", roleInput(long(49)))) }, errInvalid("slug")},
		{"CreateRole/org- prefix", func() error { return second(s.CreateRole(ctx, "prod", roleInput("org-admin"))) }, errInvalid("slug")},
		{"CreateRole/taken", func() error { return second(s.CreateRole(ctx, "prod", roleInput("admin"))) }, conflict(rbac.CodeRoleSlugConflict)},
		{"CreateRole/unknown permission", func() error {
			return second(s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "x", Name: "N", Permissions: []string{"read", "ghost"}}))
		}, errInvalid("permissions")},
		{"CreateRole/bad permission slug", func() error {
			return second(s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "x", Name: "N", Permissions: []string{"Bad Perm"}}))
		}, errInvalid("permissions")},
		{"UpdateRole/missing", func() error { return second(s.UpdateRole(ctx, "prod", "ghost", rbac.RoleUpdate{Name: rbac.Ptr("N")})) }, notFound(rbac.CodeRoleNotFound)},
		{"UpdateRole/organization role", func() error {
			return second(s.UpdateRole(ctx, "prod", "org-billing", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodeRoleNotFound)},
		{"UpdateRole/unknown permission", func() error {
			return second(s.UpdateRole(ctx, "prod", "admin", rbac.RoleUpdate{Permissions: &[]string{"ghost"}}))
		}, errInvalid("permissions")},
		{"UpdateRole/long description", func() error {
			return second(s.UpdateRole(ctx, "prod", "admin", rbac.RoleUpdate{Description: rbac.Ptr(long(151))}))
		}, errInvalid("description")},
		{"DeleteRole/missing", func() error { return second(s.DeleteRole(ctx, "prod", "ghost", rbac.DeleteOptions{})) }, notFound(rbac.CodeRoleNotFound)},
		{"DeleteRole/default without replacement", func() error { return second(s.DeleteRole(ctx, "prod", "member", rbac.DeleteOptions{})) },
			&expErr{Kind: rbac.KindReplacementRequired, Code: rbac.CodeReplacementRequired, Orgs: []string{"acme", "globex"}, EnvDefault: true}},
		{"DeleteRole/replacement is itself", func() error {
			return second(s.DeleteRole(ctx, "prod", "member", rbac.DeleteOptions{ReplacementDefault: "member"}))
		}, errBadReplacement("replacement_default")},
		{"DeleteRole/replacement is an organization role", func() error {
			return second(s.DeleteRole(ctx, "prod", "member", rbac.DeleteOptions{ReplacementDefault: "org-billing"}))
		}, errBadReplacement("replacement_default")},
		{"DeleteRole/replacement missing", func() error {
			return second(s.DeleteRole(ctx, "prod", "viewer", rbac.DeleteOptions{ReplacementDefault: "ghost"}))
		}, errBadReplacement("replacement_default")},

		// Organizations (1.7, 7.2).
		{"CreateOrganization/space in id", func() error { return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "a b"})) }, errInvalid("id")},
		{"CreateOrganization/long id", func() error {
			return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: long(rbac.MaxIDLen + 1)}))
		}, errInvalid("id")},
		{"CreateOrganization/long name", func() error {
			return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "x", Name: long(256)}))
		}, errInvalid("name")},
		{"CreateOrganization/taken", func() error { return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"})) }, conflict(rbac.CodeOrganizationExists)},
		{"DeleteOrganization/missing", func() error { return second(s.DeleteOrganization(ctx, "prod", "ghost", rbac.DeleteOptions{})) }, notFound(rbac.CodeOrganizationNotFound)},
		{"GetOrganization/missing", func() error { return second(s.GetOrganization(ctx, "prod", "ghost")) }, notFound(rbac.CodeOrganizationNotFound)},
		{"SetOrganizationDefaultRole/missing organization", func() error {
			return second(s.SetOrganizationDefaultRole(ctx, "prod", "ghost", "admin"))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"SetOrganizationDefaultRole/role of another organization", func() error {
			return second(s.SetOrganizationDefaultRole(ctx, "prod", "acme", "org-ops"))
		}, errInvalidRole()},
		{"SetOrganizationPriorityOrder/environment order only", func() error {
			return second(s.SetOrganizationPriorityOrder(ctx, "prod", "acme", []string{"admin", "member", "viewer"}))
		}, errInvalid("priority_order")},
		{"SetOrganizationPriorityOrder/role of another organization", func() error {
			return second(s.SetOrganizationPriorityOrder(ctx, "prod", "acme", []string{"admin", "member", "viewer", "org-ops"}))
		}, errInvalid("priority_order")},

		// Organization roles (5.2, 5.3, 9.3).
		{"CreateOrganizationRole/bare prefix", func() error { return second(s.CreateOrganizationRole(ctx, "prod", "acme", roleInput("org-"))) }, errInvalid("slug")},
		{"CreateOrganizationRole/upper case", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", roleInput("Billing")))
		}, errInvalid("slug")},
		{"CreateOrganizationRole/too long once prefixed", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", roleInput(long(45))))
		}, errInvalid("slug")},
		{"CreateOrganizationRole/taken", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", roleInput("billing")))
		}, conflict(rbac.CodeOrganizationRoleSlugConflict)},
		{"CreateOrganizationRole/taken with prefix", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", roleInput("org-billing")))
		}, conflict(rbac.CodeOrganizationRoleSlugConflict)},
		{"CreateOrganizationRole/missing organization", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "ghost", roleInput("x")))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"CreateOrganizationRole/no name", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "x"}))
		}, errInvalid("name")},
		{"CreateOrganizationRole/unknown permission", func() error {
			return second(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "x", Name: "N", Permissions: []string{"ghost"}}))
		}, errInvalid("permissions")},
		{"UpdateOrganizationRole/environment role", func() error {
			return second(s.UpdateOrganizationRole(ctx, "prod", "acme", "admin", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodeRoleNotFound)},
		{"UpdateOrganizationRole/role of another organization", func() error {
			return second(s.UpdateOrganizationRole(ctx, "prod", "acme", "org-ops", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodeRoleNotFound)},
		{"DeleteOrganizationRole/held", func() error {
			return second(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{}))
		}, conflict(rbac.CodeRoleHasAssignments)},
		{"DeleteOrganizationRole/replacement of another organization", func() error {
			return second(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "org-ops"}))
		}, errBadReplacement("reassign_to")},
		{"DeleteOrganizationRole/environment role", func() error {
			return second(s.DeleteOrganizationRole(ctx, "prod", "acme", "admin", rbac.DeleteOptions{ReassignTo: "viewer"}))
		}, notFound(rbac.CodeRoleNotFound)},

		// Memberships (8.1, 8.2, 8.4, 8.5).
		{"CreateMembership/no user", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", ""))) }, errInvalid("user_id")},
		{"CreateMembership/space in user", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", "a b"))) }, errInvalid("user_id")},
		{"CreateMembership/long user", func() error {
			return second(s.CreateMembership(ctx, "prod", mem("acme", long(rbac.MaxIDLen+1))))
		}, errInvalid("user_id")},
		{"CreateMembership/no organization", func() error { return second(s.CreateMembership(ctx, "prod", mem("", "u9"))) }, errInvalid("organization_id")},
		{"CreateMembership/inactive status", func() error {
			return second(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u9", Status: rbac.StatusInactive}))
		}, errInvalid("status")},
		{"CreateMembership/missing organization", func() error { return second(s.CreateMembership(ctx, "prod", mem("ghost", "u9"))) }, notFound(rbac.CodeOrganizationNotFound)},
		{"CreateMembership/two roles", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", "u9", "admin", "viewer"))) },
			&expErr{Kind: rbac.KindInvalid, Code: rbac.CodeMultipleRolesNotEnabled, Field: "roles"}},
		{"CreateMembership/unknown role", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", "u9", "ghost"))) }, errInvalidRole()},
		{"CreateMembership/role of another organization", func() error {
			return second(s.CreateMembership(ctx, "prod", mem("acme", "u9", "org-ops")))
		}, errInvalidRole()},
		{"CreateMembership/active exists", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", "u1"))) }, conflict(rbac.CodeMembershipAlreadyExists)},
		{"CreateMembership/pending exists", func() error { return second(s.CreateMembership(ctx, "prod", mem("acme", "u2"))) }, conflict(rbac.CodeMembershipAlreadyExists)},
		{"UpdateMembershipRoles/none", func() error { return second(s.UpdateMembershipRoles(ctx, "prod", active.ID, nil)) }, errInvalid("roles")},
		{"UpdateMembershipRoles/missing", func() error { return second(s.UpdateMembershipRoles(ctx, "prod", "om_ghost", []string{"admin"})) }, notFound(rbac.CodeMembershipNotFound)},
		{"UpdateMembershipRoles/unknown role", func() error { return second(s.UpdateMembershipRoles(ctx, "prod", active.ID, []string{"ghost"})) }, errInvalidRole()},
		{"UpdateMembershipRoles/two roles", func() error {
			return second(s.UpdateMembershipRoles(ctx, "prod", active.ID, []string{"admin", "org-billing"}))
		}, &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeMultipleRolesNotEnabled, Field: "roles"}},
		{"DeactivateMembership/pending", func() error { return second(s.DeactivateMembership(ctx, "prod", pending.ID)) }, conflict(rbac.CodeCannotDeactivatePending)},
		{"ReactivateMembership/pending", func() error { return second(s.ReactivateMembership(ctx, "prod", pending.ID)) }, conflict(rbac.CodeCannotReactivatePending)},
		{"AcceptMembership/active", func() error { return second(s.AcceptMembership(ctx, "prod", active.ID)) }, conflict(rbac.CodeMembershipNotPending)},
		{"AcceptMembership/missing", func() error { return second(s.AcceptMembership(ctx, "prod", "om_ghost")) }, notFound(rbac.CodeMembershipNotFound)},
		{"DeleteMembership/missing", func() error { return s.DeleteMembership(ctx, "prod", "om_ghost") }, notFound(rbac.CodeMembershipNotFound)},
		{"DeleteMembership/missing environment", func() error { return s.DeleteMembership(ctx, "staging", active.ID) }, notFound(rbac.CodeEnvironmentNotFound)},
		{"ListMemberships/unknown status", func() error {
			return second(s.ListMemberships(ctx, "prod", rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{"gone"}}, rbac.ListOptions{}))
		}, errInvalid("statuses")},
		{"ListMemberships/negative limit", func() error {
			return second(s.ListMemberships(ctx, "prod", rbac.MembershipFilter{}, rbac.ListOptions{Limit: -1}))
		}, errInvalid("limit")},
		{"Claims/no membership", func() error { return second(s.Claims(ctx, "prod", "globex", "u1")) }, notFound(rbac.CodeMembershipNotFound)},

		// Group mappings and sync (10.1).
		{"CreateGroupMapping/unknown source", func() error {
			return second(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: "ldap", GroupID: "g", Role: "admin"}))
		}, errInvalid("source")},
		{"CreateGroupMapping/no group", func() error {
			return second(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, Role: "admin"}))
		}, errInvalid("group_id")},
		{"CreateGroupMapping/role of another organization", func() error {
			return second(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g2", Role: "org-ops"}))
		}, errInvalidRole()},
		{"CreateGroupMapping/mapped", func() error {
			return second(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "admin"}))
		}, conflict(rbac.CodeGroupMappingConflict)},
		{"CreateGroupMapping/missing organization", func() error {
			return second(s.CreateGroupMapping(ctx, "prod", "ghost", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "admin"}))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"DeleteGroupMapping/missing", func() error {
			return s.DeleteGroupMapping(ctx, "prod", "acme", rbac.GroupSourceDirectory, "g1")
		}, notFound(rbac.CodeGroupMappingNotFound)},
		{"SyncGroups/unknown source", func() error {
			return second(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: "u1", Source: "ldap"}))
		}, errInvalid("source")},
		{"SyncGroups/no user", func() error {
			return second(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", Source: rbac.GroupSourceSSO}))
		}, errInvalid("user_id")},
		{"SyncGroups/no organization", func() error {
			return second(s.SyncGroups(ctx, "prod", rbac.SyncInput{UserID: "u1", Source: rbac.GroupSourceSSO}))
		}, errInvalid("organization_id")},
		{"SyncGroups/missing organization", func() error {
			return second(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "ghost", UserID: "u1", Source: rbac.GroupSourceSSO}))
		}, notFound(rbac.CodeOrganizationNotFound)},

		// External ids and metadata (1.2, 2.6).
		{"CreateOrganization/external id taken", func() error {
			return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "x", ExternalID: "ext-globex"}))
		}, errExternalIDUsed()},
		{"UpdateOrganization/external id of another", func() error {
			return second(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{ExternalID: rbac.Ptr("ext-globex")}))
		}, errExternalIDUsed()},
		{"UpdateOrganization/empty name", func() error {
			return second(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Name: rbac.Ptr("")}))
		}, errInvalid("name")},
		{"UpdateOrganization/missing", func() error {
			return second(s.UpdateOrganization(ctx, "prod", "ghost", rbac.OrganizationUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"CreateOrganization/51 metadata keys", func() error {
			return second(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "x", Metadata: manyKeys(rbac.MaxMetadataKeys + 1)}))
		}, errInvalid("metadata")},
		{"UpdateOrganization/51 metadata keys", func() error {
			md := manyKeys(rbac.MaxMetadataKeys + 1)
			return second(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Metadata: &md}))
		}, errInvalid("metadata")},
		{"GetOrganizationByExternalID/missing", func() error { return second(s.GetOrganizationByExternalID(ctx, "prod", "ext-ghost")) },
			notFound(rbac.CodeOrganizationNotFound)},

		// The one-permission role changes (3.4).
		{"AddRolePermission/missing role", func() error { return second(s.AddRolePermission(ctx, "prod", "ghost", "read")) }, notFound(rbac.CodeRoleNotFound)},
		{"AddRolePermission/organization role", func() error { return second(s.AddRolePermission(ctx, "prod", "org-billing", "read")) },
			notFound(rbac.CodeRoleNotFound)},
		{"AddRolePermission/missing permission", func() error { return second(s.AddRolePermission(ctx, "prod", "admin", "ghost")) },
			notFound(rbac.CodePermissionNotFound)},
		{"RemoveRolePermission/missing permission", func() error { return second(s.RemoveRolePermission(ctx, "prod", "admin", "ghost")) },
			notFound(rbac.CodePermissionNotFound)},
		{"AddOrganizationRolePermission/role of another organization", func() error {
			return second(s.AddOrganizationRolePermission(ctx, "prod", "acme", "org-ops", "read"))
		}, notFound(rbac.CodeRoleNotFound)},
		{"AddOrganizationRolePermission/environment role", func() error {
			return second(s.AddOrganizationRolePermission(ctx, "prod", "acme", "admin", "read"))
		}, notFound(rbac.CodeRoleNotFound)},
		// An organization role call without an organization does not
		// reach the environment roles.
		{"UpdateOrganizationRole/no organization", func() error {
			return second(s.UpdateOrganizationRole(ctx, "prod", "", "viewer", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"AddOrganizationRolePermission/no organization", func() error {
			return second(s.AddOrganizationRolePermission(ctx, "prod", "", "viewer", "read"))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"RemoveOrganizationRolePermission/no organization", func() error {
			return second(s.RemoveOrganizationRolePermission(ctx, "prod", "", "admin", "read"))
		}, notFound(rbac.CodeOrganizationNotFound)},
		{"RemoveOrganizationRolePermission/missing organization", func() error {
			return second(s.RemoveOrganizationRolePermission(ctx, "prod", "ghost", "org-billing", "read"))
		}, notFound(rbac.CodeOrganizationNotFound)},

		// Environments (9.6).
		{"DeleteEnvironment/missing", func() error { return s.DeleteEnvironment(ctx, "qa") }, notFound(rbac.CodeEnvironmentNotFound)},

		// Deletion options that do not apply (9.7).
		{"DeleteRole/reassignment target", func() error {
			return second(s.DeleteRole(ctx, "prod", "viewer", rbac.DeleteOptions{ReassignTo: "admin"}))
		}, errInvalid("reassign_to")},
		{"DeleteOrganizationRole/replacement default", func() error {
			return second(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReplacementDefault: "admin"}))
		}, errInvalid("replacement_default")},
		{"DeletePermission/replacement default", func() error {
			return second(s.DeletePermission(ctx, "prod", "write", rbac.DeleteOptions{ReplacementDefault: "admin"}))
		}, errInvalid("replacement_default")},
		{"DeletePermission/reassignment target", func() error {
			return second(s.DeletePermission(ctx, "prod", "write", rbac.DeleteOptions{ReassignTo: "admin"}))
		}, errInvalid("reassign_to")},
		{"DeleteOrganization/replacement default", func() error {
			return second(s.DeleteOrganization(ctx, "prod", "globex", rbac.DeleteOptions{ReplacementDefault: "admin", DryRun: true}))
		}, errInvalid("replacement_default")},
		{"DeleteOrganization/reassignment target", func() error {
			return second(s.DeleteOrganization(ctx, "prod", "globex", rbac.DeleteOptions{ReassignTo: "admin"}))
		}, errInvalid("reassign_to")},

		// Paging (19.1).
		{"ListRoles/cursor not of the listing", func() error {
			return second(s.ListRoles(ctx, "prod", rbac.ListOptions{After: "role_00000000000000000000000000"}))
		}, errInvalid("after")},
		{"ListOrganizationRoles/cursor of another organization", func() error {
			r := ok(s.GetOrganizationRole(ctx, "prod", "globex", "org-ops"))(f)
			return second(s.ListOrganizationRoles(ctx, "prod", "acme", rbac.ListOptions{Before: r.ID}))
		}, errInvalid("before")},
	}
	cases = append(cases, generatedBadInputs(f, active.ID, pending.ID)...)
	if len(cases) < 500 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	if testing.Verbose() {
		t.Logf("%d bad inputs", len(cases))
	}
	before := f.dump()
	stored := f.storeState("prod")
	n := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			watch.updates.Store(0)
			watch.views.Store(0)
			err := c.call()
			updates, views := watch.updates.Load(), watch.views.Load()
			// Rule 2.7: ids and text that break rule 2.6 are refused
			// before the store is touched.
			if c.want.Kind == rbac.KindInvalid && c.want.Code == rbac.CodeInvalid && syntaxFields[c.want.Field] && updates+views > 0 {
				t.Errorf("an invalid %s reached the store: %d read-write and %d read-only transactions (rule 2.7)", c.want.Field, updates, views)
			}
			// Only a read-write transaction can change the state: read it
			// all again after every call that ran one (and now and then
			// after one that did not).
			if n++; updates > 0 || n%16 == 0 {
				f := &fixture{t: t, ctx: ctx, s: s}
				after := f.dump()
				if diff := cmp.Diff(before, after, cmpopts.EquateEmpty()); diff != "" {
					before = after // so that the next cases are judged on their own
					t.Errorf("changed the state (rule 12.2) (-before +after):\n%s", diff)
				}
			}
			if err == nil {
				t.Fatalf("succeeded; want %s", c.want)
			}
			if msg := matchErr(err, c.want); msg != "" {
				t.Fatal(msg)
			}
			if st := rbac.HTTPStatus(err); st < 400 || st >= 500 {
				t.Fatalf("HTTPStatus(%v) = %d; want a 4xx", err, st)
			}
		})
	}
	// What the Store holds, indexes included, is as it was.
	if diff := cmp.Diff(stored, f.storeState("prod"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the bad inputs changed what the store holds (-before +after):\n%s", diff)
	}
}

// syntaxFields are the fields of ids and text (rule 2.6).
var syntaxFields = map[string]bool{"id": true, "user_id": true, "organization_id": true, "group_id": true,
	"external_id": true, "name": true, "description": true, "metadata": true}

// watchStore counts the transactions run on the Store it wraps.
type watchStore struct {
	rbac.Store
	updates, views atomic.Int64
}

func (w *watchStore) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	w.updates.Add(1)
	return w.Store.Update(ctx, env, fn)
}

func (w *watchStore) View(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	w.views.Add(1)
	return w.Store.View(ctx, env, fn)
}

// storeState reads env from the Store itself, in one transaction.
func (f *fixture) storeState(env string) storeState {
	f.t.Helper()
	st, err := readStore(f.ctx, f.s.Store(), env, nil, nil, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}
