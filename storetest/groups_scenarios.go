package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/orgroles/rbac"
)

// runGroups checks role assignment from identity-provider groups (rules §10)
// on stores made by newStore, scenario by scenario, after the WorkOS
// documentation of IdP role assignment. [Run] calls it; it is exported so a
// store can run it alone.
func runGroups(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	for _, sc := range []struct {
		name string
		fn   func(*testing.T, *groupsFixture)
	}{
		{"10.1/MappingTargetsVisibleRole", testMappingVisibility},
		{"10.3/SingleRoleHighestPriorityWins", testSyncPriority},
		{"10.3/MultipleRolesAllMapped", testSyncMultipleRoles},
		{"10.3/NoGroupMappedGivesDefault", testSyncDefault},
		{"10.2/DirectoryBeatsSSO", testDirectoryBeatsSSO},
		{"10.2/ManualHoldsUntilNextSync", testManualUntilSync},
		{"10.2/ManualBeatsSSODefault", testManualBeatsSSODefault},
		{"10.4/RemovedWinningMappingResetsToDefault", testRemovedMapping},
		{"9.3/OrganizationRoleWithMappings", testDeleteOrgRoleWithMappings},
		{"9.2/EnvironmentRoleMappingsRepointedOrRemoved", testDeleteEnvRoleMappings},
		{"9.6/OrganizationDeletionDeletesMappings", testDeleteOrgMappings},
	} {
		t.Run(sc.name, func(t *testing.T) {
			sc.fn(t, newGroupsFixture(t, newStore(t)))
		})
	}
}

// groupsFixture is an environment "prod" with roles admin, member (the
// default) and viewer, and organizations acme and globex.
type groupsFixture struct {
	t   *testing.T
	ctx context.Context
	s   *rbac.Service
}

const gEnv = "prod"

func newGroupsFixture(t *testing.T, store rbac.Store) *groupsFixture {
	f := &groupsFixture{t: t, ctx: context.Background(), s: rbac.New(store)}
	f.must(f.s.CreateEnvironment(f.ctx, rbac.EnvironmentInput{ID: gEnv}))
	f.must(f.s.CreatePermission(f.ctx, gEnv, rbac.PermissionInput{Slug: "posts:write", Name: "Write posts"}))
	f.must(f.s.CreateRole(f.ctx, gEnv, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"posts:write"}}))
	f.must(f.s.CreateRole(f.ctx, gEnv, rbac.RoleInput{Slug: "viewer", Name: "Viewer"}))
	// Priority: admin, member, viewer.
	f.must(f.s.SetPriorityOrder(f.ctx, gEnv, []string{"admin", "member", "viewer"}))
	f.must(f.s.CreateOrganization(f.ctx, gEnv, rbac.OrganizationInput{ID: "acme"}))
	f.must(f.s.CreateOrganization(f.ctx, gEnv, rbac.OrganizationInput{ID: "globex"}))
	return f
}

func (f *groupsFixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *groupsFixture) mapGroup(org string, src rbac.GroupSource, group, role string) {
	f.t.Helper()
	f.must(f.s.CreateGroupMapping(f.ctx, gEnv, org, rbac.GroupMappingInput{Source: src, GroupID: group, Role: role}))
}

func (f *groupsFixture) sync(org, user string, src rbac.GroupSource, groups ...string) rbac.SyncResult {
	f.t.Helper()
	r, err := f.s.SyncGroups(f.ctx, gEnv, rbac.SyncInput{OrganizationID: org, UserID: user, Source: src, Groups: groups})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// wantRoles checks the stored membership of user in org, read back.
func (f *groupsFixture) wantRoles(org, user string, source rbac.RoleSource, roles ...string) {
	f.t.Helper()
	m, err := f.s.FindMembership(f.ctx, gEnv, org, user)
	if err != nil {
		f.t.Fatal(err)
	}
	if !slices.Equal(m.Roles, roles) || m.Role != roles[0] || m.RoleSource != source {
		f.t.Fatalf("membership of %s in %s: roles %v (primary %q) from %q, want %v from %q", user, org, m.Roles, m.Role, m.RoleSource, roles, source)
	}
}

// wantMappingsValid checks that every mapping of every organization targets
// a role visible in it.
func (f *groupsFixture) wantMappingsValid() {
	f.t.Helper()
	for _, org := range []string{"acme", "globex"} {
		ms, err := listGroupMappings(f.ctx, f.s, gEnv, org)
		if errors.Is(err, rbac.ErrNotFound) {
			continue
		}
		if err != nil {
			f.t.Fatal(err)
		}
		for _, m := range ms {
			if _, err := f.s.GetOrganizationRole(f.ctx, gEnv, org, m.Role); err != nil {
				f.t.Fatalf("mapping %s/%s of %s targets %q, not visible there: %v", m.Source, m.GroupID, org, m.Role, err)
			}
		}
	}
}

func wantErr(t *testing.T, err error, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func testMappingVisibility(t *testing.T, f *groupsFixture) {
	secret, err := f.s.CreateOrganizationRole(f.ctx, gEnv, "globex", rbac.RoleInput{Slug: "secret", Name: "Secret"})
	if err != nil {
		t.Fatal(err)
	}
	own, err := f.s.CreateOrganizationRole(f.ctx, gEnv, "acme", rbac.RoleInput{Slug: "auditor", Name: "Auditor"})
	if err != nil {
		t.Fatal(err)
	}
	in := func(group, role string) rbac.GroupMappingInput {
		return rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: group, Role: role}
	}
	_, err = f.s.CreateGroupMapping(f.ctx, gEnv, "acme", in("g1", "nope"))
	wantErr(t, err, rbac.ErrInvalidRole)
	// globex's organization role is not visible in acme (rule 5.4).
	_, err = f.s.CreateGroupMapping(f.ctx, gEnv, "acme", in("g1", secret.Slug))
	wantErr(t, err, rbac.ErrInvalidRole)
	_, err = f.s.CreateGroupMapping(f.ctx, gEnv, "nope", in("g1", "admin"))
	wantErr(t, err, rbac.ErrNotFound)
	_, err = f.s.CreateGroupMapping(f.ctx, gEnv, "acme", rbac.GroupMappingInput{Source: "ldap", GroupID: "g1", Role: "admin"})
	wantErr(t, err, rbac.ErrInvalid)
	f.mapGroup("acme", rbac.GroupSourceDirectory, "g1", "admin")
	f.mapGroup("acme", rbac.GroupSourceSSO, "g1", own.Slug) // same group id, other source
	_, err = f.s.CreateGroupMapping(f.ctx, gEnv, "acme", in("g1", "viewer"))
	wantErr(t, err, rbac.ErrGroupMappingConflict)
	ms, err := listGroupMappings(f.ctx, f.s, gEnv, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Source != rbac.GroupSourceDirectory || ms[0].Role != "admin" || ms[1].Role != own.Slug {
		t.Fatalf("mappings of acme: %+v", ms)
	}
	if ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "globex"); len(ms) != 0 {
		t.Fatalf("mappings leaked to globex: %+v", ms)
	}
	f.wantMappingsValid()
}

func testSyncPriority(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceDirectory, "engineering", "member")
	f.mapGroup("acme", rbac.GroupSourceDirectory, "admins", "admin")
	r := f.sync("acme", "alice", rbac.GroupSourceDirectory, "engineering", "admins", "unmapped")
	if !r.Created || !r.Applied || r.Membership.Role != "admin" {
		t.Fatalf("first sync: %+v", r)
	}
	f.wantRoles("acme", "alice", rbac.SourceDirectory, "admin")
	// The organization ranks member above admin now.
	if _, err := f.s.SetOrganizationPriorityOrder(f.ctx, gEnv, "acme", []string{"member", "admin", "viewer"}); err != nil {
		t.Fatal(err)
	}
	r = f.sync("acme", "alice", rbac.GroupSourceDirectory, "engineering", "admins")
	if r.Created || !r.Applied {
		t.Fatalf("second sync: %+v", r)
	}
	f.wantRoles("acme", "alice", rbac.SourceDirectory, "member")
	// An organization role takes part like any other (rule 5.9).
	lead, err := f.s.CreateOrganizationRole(f.ctx, gEnv, "acme", rbac.RoleInput{Slug: "lead", Name: "Lead"})
	if err != nil {
		t.Fatal(err)
	}
	f.mapGroup("acme", rbac.GroupSourceDirectory, "leads", lead.Slug)
	if _, err := f.s.SetOrganizationPriorityOrder(f.ctx, gEnv, "acme", []string{lead.Slug, "member", "admin", "viewer"}); err != nil {
		t.Fatal(err)
	}
	f.sync("acme", "alice", rbac.GroupSourceDirectory, "engineering", "leads")
	f.wantRoles("acme", "alice", rbac.SourceDirectory, lead.Slug)
}

func testSyncMultipleRoles(t *testing.T, f *groupsFixture) {
	if _, err := f.s.SetMultipleRoles(f.ctx, gEnv, true); err != nil {
		t.Fatal(err)
	}
	f.mapGroup("acme", rbac.GroupSourceSSO, "viewers", "viewer")
	f.mapGroup("acme", rbac.GroupSourceSSO, "admins", "admin")
	f.mapGroup("acme", rbac.GroupSourceSSO, "staff", "admin") // two groups, one role
	f.sync("acme", "bob", rbac.GroupSourceSSO, "viewers", "admins", "staff")
	f.wantRoles("acme", "bob", rbac.SourceSSO, "admin", "viewer")
	c, err := f.s.Claims(f.ctx, gEnv, "acme", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if c.Role != "admin" || !slices.Equal(c.Roles, []string{"admin", "viewer"}) || !c.Has("posts:write") {
		t.Fatalf("claims: %+v", c)
	}
	f.sync("acme", "bob", rbac.GroupSourceSSO, "viewers")
	f.wantRoles("acme", "bob", rbac.SourceSSO, "viewer")
}

func testSyncDefault(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceSSO, "admins", "admin")
	r := f.sync("acme", "carol", rbac.GroupSourceSSO, "someone-elses-group")
	if !r.Created || r.Membership.Role != "member" {
		t.Fatalf("sync: %+v", r)
	}
	f.wantRoles("acme", "carol", rbac.SourceSSODefault, "member")
	// The default is the organization's effective default.
	if _, err := f.s.SetOrganizationDefaultRole(f.ctx, gEnv, "globex", "viewer"); err != nil {
		t.Fatal(err)
	}
	f.sync("globex", "carol", rbac.GroupSourceDirectory)
	f.wantRoles("globex", "carol", rbac.SourceSSODefault, "viewer")
}

func testDirectoryBeatsSSO(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceDirectory, "dir-viewers", "viewer")
	f.mapGroup("acme", rbac.GroupSourceSSO, "sso-admins", "admin")
	f.sync("acme", "dave", rbac.GroupSourceDirectory, "dir-viewers")
	r := f.sync("acme", "dave", rbac.GroupSourceSSO, "sso-admins")
	if r.Applied {
		t.Fatalf("an SSO sync overrode a directory role: %+v", r)
	}
	f.wantRoles("acme", "dave", rbac.SourceDirectory, "viewer")
	// The other way round, the directory wins too.
	f.sync("acme", "erin", rbac.GroupSourceSSO, "sso-admins")
	f.wantRoles("acme", "erin", rbac.SourceSSO, "admin")
	f.sync("acme", "erin", rbac.GroupSourceDirectory, "dir-viewers")
	f.wantRoles("acme", "erin", rbac.SourceDirectory, "viewer")
}

func testManualUntilSync(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceDirectory, "admins", "admin")
	r := f.sync("acme", "frank", rbac.GroupSourceDirectory, "admins")
	if _, err := f.s.UpdateMembershipRoles(f.ctx, gEnv, r.Membership.ID, []string{"viewer"}); err != nil {
		t.Fatal(err)
	}
	f.wantRoles("acme", "frank", rbac.SourceManual, "viewer")
	f.sync("acme", "frank", rbac.GroupSourceDirectory, "admins")
	f.wantRoles("acme", "frank", rbac.SourceDirectory, "admin")
}

func testManualBeatsSSODefault(t *testing.T, f *groupsFixture) {
	m, err := f.s.CreateMembership(f.ctx, gEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "gina", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.RoleSource != rbac.SourceManual {
		t.Fatalf("created membership has source %q", m.RoleSource)
	}
	r := f.sync("acme", "gina", rbac.GroupSourceSSO, "unmapped")
	if r.Applied {
		t.Fatalf("the SSO default overrode a manual role: %+v", r)
	}
	f.wantRoles("acme", "gina", rbac.SourceManual, "admin")
}

func testRemovedMapping(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceSSO, "admins", "admin")
	f.sync("acme", "hank", rbac.GroupSourceSSO, "admins")
	f.wantRoles("acme", "hank", rbac.SourceSSO, "admin")
	if err := f.s.DeleteGroupMapping(f.ctx, gEnv, "acme", rbac.GroupSourceSSO, "admins"); err != nil {
		t.Fatal(err)
	}
	// Nothing changes until the next sync.
	f.wantRoles("acme", "hank", rbac.SourceSSO, "admin")
	f.sync("acme", "hank", rbac.GroupSourceSSO, "admins")
	f.wantRoles("acme", "hank", rbac.SourceSSODefault, "member")
	err := f.s.DeleteGroupMapping(f.ctx, gEnv, "acme", rbac.GroupSourceSSO, "admins")
	wantErr(t, err, rbac.ErrNotFound)
}

func testDeleteOrgRoleWithMappings(t *testing.T, f *groupsFixture) {
	billing, err := f.s.CreateOrganizationRole(f.ctx, gEnv, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"})
	if err != nil {
		t.Fatal(err)
	}
	f.mapGroup("acme", rbac.GroupSourceDirectory, "finance", billing.Slug)
	_, err = f.s.DeleteOrganizationRole(f.ctx, gEnv, "acme", billing.Slug, rbac.DeleteOptions{})
	wantErr(t, err, rbac.ErrRoleHasGroupRoleMappings)
	f.wantMappingsValid()
	plan, err := f.s.DeleteOrganizationRole(f.ctx, gEnv, "acme", billing.Slug, rbac.DeleteOptions{ReassignTo: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.GroupMappings) != 1 || plan.GroupMappings[0].GroupID != "finance" {
		t.Fatalf("plan: %+v", plan)
	}
	ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "acme")
	if len(ms) != 1 || ms[0].Role != "viewer" {
		t.Fatalf("mappings after re-pointing: %+v", ms)
	}
	f.sync("acme", "ivan", rbac.GroupSourceDirectory, "finance")
	f.wantRoles("acme", "ivan", rbac.SourceDirectory, "viewer")
	f.wantMappingsValid()
}

func testDeleteEnvRoleMappings(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceDirectory, "readers", "viewer")
	f.mapGroup("globex", rbac.GroupSourceSSO, "readers", "viewer")
	f.mapGroup("acme", rbac.GroupSourceDirectory, "admins", "admin")
	// viewer is no default: deleting it without a replacement removes its
	// mappings.
	plan, err := f.s.DeleteRole(f.ctx, gEnv, "viewer", rbac.DeleteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.GroupMappings) != 2 {
		t.Fatalf("dry-run plan: %+v", plan)
	}
	if ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "acme"); len(ms) != 2 {
		t.Fatalf("the dry run changed mappings: %+v", ms)
	}
	if _, err := f.s.DeleteRole(f.ctx, gEnv, "viewer", rbac.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "acme"); len(ms) != 1 || ms[0].Role != "admin" {
		t.Fatalf("acme mappings: %+v", ms)
	}
	if ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "globex"); len(ms) != 0 {
		t.Fatalf("globex mappings: %+v", ms)
	}
	// With a replacement, they are re-pointed.
	if _, err := f.s.DeleteRole(f.ctx, gEnv, "admin", rbac.DeleteOptions{ReplacementDefault: "member"}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := listGroupMappings(f.ctx, f.s, gEnv, "acme"); len(ms) != 1 || ms[0].Role != "member" {
		t.Fatalf("acme mappings: %+v", ms)
	}
	f.wantMappingsValid()
}

func testDeleteOrgMappings(t *testing.T, f *groupsFixture) {
	f.mapGroup("acme", rbac.GroupSourceDirectory, "admins", "admin")
	f.sync("acme", "judy", rbac.GroupSourceDirectory, "admins")
	if _, err := f.s.DeleteOrganization(f.ctx, gEnv, "acme", rbac.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := listGroupMappings(f.ctx, f.s, gEnv, "acme")
	wantErr(t, err, rbac.ErrNotFound)
	// A new organization with the same id starts clean.
	f.must(f.s.CreateOrganization(f.ctx, gEnv, rbac.OrganizationInput{ID: "acme"}))
	if ms, err := listGroupMappings(f.ctx, f.s, gEnv, "acme"); err != nil || len(ms) != 0 {
		t.Fatalf("mappings of the new acme: %+v, %v", ms, err)
	}
	if _, err := f.s.FindMembership(f.ctx, gEnv, "acme", "judy"); !errors.Is(err, rbac.ErrNotFound) {
		t.Fatalf("membership survived its organization: %v", err)
	}
}
