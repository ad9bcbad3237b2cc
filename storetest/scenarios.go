package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgroles/rbac"
)

// fixture is a Service on a fresh store with helpers that fail the test on
// an unexpected error.
type fixture struct {
	t   *testing.T
	ctx context.Context
	s   *rbac.Service
}

func newFixture(t *testing.T, newStore func(t *testing.T) rbac.Store, opts ...rbac.Option) *fixture {
	t.Helper()
	return &fixture{t: t, ctx: context.Background(), s: rbac.New(newStore(t), opts...)}
}

// ok returns a function that fails the fixture's test if err is not nil
// and returns v: ok(f.s.GetRole(…))(f).
func ok[V any](v V, err error) func(*fixture) V {
	return func(f *fixture) V {
		f.t.Helper()
		if err != nil {
			f.t.Fatal(err)
		}
		return v
	}
}

// no fails the test if err is not nil.
func (f *fixture) no(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// standard builds environment env with permissions read and write, roles
// admin (read, write), member (the seeded default, read) and viewer, in
// that priority order, and organizations acme and globex.
func (f *fixture) standard(env string) {
	f.t.Helper()
	ok(f.s.CreateEnvironment(f.ctx, rbac.EnvironmentInput{ID: env}))(f)
	ok(f.s.CreatePermission(f.ctx, env, rbac.PermissionInput{Slug: "read", Name: "Read"}))(f)
	ok(f.s.CreatePermission(f.ctx, env, rbac.PermissionInput{Slug: "write", Name: "Write"}))(f)
	ok(f.s.UpdateRole(f.ctx, env, "member", rbac.RoleUpdate{Permissions: &[]string{"read"}}))(f)
	ok(f.s.CreateRole(f.ctx, env, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"read", "write"}}))(f)
	ok(f.s.CreateRole(f.ctx, env, rbac.RoleInput{Slug: "viewer", Name: "Viewer"}))(f)
	ok(f.s.SetPriorityOrder(f.ctx, env, []string{"admin", "member", "viewer"}))(f)
	ok(f.s.CreateOrganization(f.ctx, env, rbac.OrganizationInput{ID: "acme"}))(f)
	ok(f.s.CreateOrganization(f.ctx, env, rbac.OrganizationInput{ID: "globex"}))(f)
}

func (f *fixture) settings(env, org string) rbac.Settings {
	f.t.Helper()
	return ok(f.s.OrganizationSettings(f.ctx, env, org))(f)
}

func (f *fixture) member(env, org, user string, roles ...string) rbac.Membership {
	f.t.Helper()
	return ok(f.s.CreateMembership(f.ctx, env, rbac.MembershipInput{OrganizationID: org, UserID: user, Roles: roles}))(f)
}

func (f *fixture) roles(env, id string) []string {
	f.t.Helper()
	return ok(f.s.GetMembership(f.ctx, env, id))(f).Roles
}

func (f *fixture) dump() observed {
	f.t.Helper()
	st, err := dumpAll(f.ctx, f.s)
	if err != nil {
		f.t.Fatal(err)
	}
	if bad := invariants(st); len(bad) > 0 {
		f.t.Fatalf("invariants broken:\n%s", strings.Join(bad, "\n"))
	}
	return st
}

// unchanged fails the test if the state differs from before (rule 12.2).
func (f *fixture) unchanged(before observed, what string) {
	f.t.Helper()
	if diff := cmp.Diff(before, f.dump(), cmpopts.EquateEmpty()); diff != "" {
		f.t.Fatalf("%s changed the state (-before +after):\n%s", what, diff)
	}
}

func wantErrCode(t *testing.T, err error, kind rbac.Kind, code string) {
	t.Helper()
	if msg := matchErr(err, &expErr{Kind: kind, Code: code}); err == nil || msg != "" {
		t.Fatalf("error %v; want a %v error with code %q", err, kind, code)
	}
}

func equal[V any](t *testing.T, what string, got, want V) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s (-want +got):\n%s", what, diff)
	}
}

func testScenarios(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	for _, sc := range []struct {
		name string
		fn   func(*testing.T, func(*testing.T) rbac.Store)
	}{
		{"1.1/EnvironmentsAreIsolated", scenarioEnvironmentIsolation},
		{"1.7/GeneratedIDs", scenarioGeneratedIDs},
		{"2.4/PartialUpdate", scenarioPartialUpdate},
		{"3.3/DeletePermissionFromEveryRole", scenarioDeletePermission},
		{"4.1/SeededMemberRole", scenarioSeededMember},
		{"4.2/EnvironmentSlugsNotOrgPrefixed", scenarioEnvSlugPrefix},
		{"4.3/NewEnvironmentRoleAppendedEverywhere", scenarioAppendEnvRole},
		{"5.2/OrganizationRoleSlugs", scenarioOrgRoleSlugs},
		{"5.3/SameOrganizationSlugInTwoOrganizations", scenarioOrgSlugPerOrg},
		{"5.4/OrganizationRoleInvisibleElsewhere", scenarioOrgRoleInvisible},
		{"5.5/FirstOrganizationRoleForks", scenarioFirstOrgRoleForks},
		{"5.7/OwnSettingsOutliveCustomRoles", scenarioKeepOwnSettings},
		{"6.4/MembershipGetsEffectiveDefault", scenarioEffectiveDefault},
		{"7.3/SettingDefaultOrOrderForks", scenarioSettingForks},
		{"8.2/DuplicatesCollapsed", scenarioDuplicateRoles},
		{"8.3/PrimaryRoleIsHighestPriority", scenarioPrimaryRole},
		{"8.4/CreateReactivatesInactive", scenarioReactivateOnCreate},
		{"8.5/StatusTransitions", scenarioStatusTransitions},
		{"8.6/ListFilters", scenarioListFilters},
		{"8.7/MultipleRolesOffKeepsHighest", scenarioMultipleRolesOff},
		{"9.1/ReplacementRequired", scenarioReplacementRequired},
		{"9.2/SingleRoleReassignedToNewDefault", scenarioReassignSingle},
		{"9.2/MultipleRolesRoleRemoved", scenarioReassignMultiple},
		{"9.3/OrganizationRoleDeletion", scenarioDeleteOrgRole},
		{"9.5/DryRunChangesNothing", scenarioDryRun},
		{"9.6/DeleteOrganization", scenarioDeleteOrganization},
		{"9.2/BulkChangesMoveUpdatedAt", scenarioBulkUpdatedAt},
		{"9.5/BulkReassignmentSummarised", scenarioBulkReassignment},
		{"11.1/Claims", scenarioClaims},
		{"11.2/Can", scenarioCan},
		{"13.1/Events", scenarioEvents},
	} {
		t.Run(sc.name, func(t *testing.T) { sc.fn(t, newStore) })
	}
	t.Run("Groups", func(t *testing.T) { runGroups(t, newStore) })
}

func scenarioEnvironmentIsolation(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	f.standard("staging")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	m := f.member("prod", "acme", "u1", "org-billing")
	before := f.dump()["staging"]
	// Changes in prod...
	ok(f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{}))(f)
	ok(f.s.SetDefaultRole(f.ctx, "prod", "admin"))(f)
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	ok(f.s.DeletePermission(f.ctx, "prod", "write", rbac.DeleteOptions{}))(f)
	// ...are not seen in staging.
	equal(t, "staging after changes in prod", f.dump()["staging"], before)
	// prod's organization role and membership are not visible in staging's
	// organization of the same id.
	_, err := f.s.GetOrganizationRole(f.ctx, "staging", "acme", "org-billing")
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeRoleNotFound)
	_, err = f.s.CreateMembership(f.ctx, "staging", rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"org-billing"}})
	wantErrCode(t, err, rbac.KindInvalid, rbac.CodeInvalidRole)
	_, err = f.s.GetMembership(f.ctx, "staging", m.ID)
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
	if ok, err := f.s.Can(f.ctx, "staging", "acme", "u1", "read"); ok || err != nil {
		t.Fatalf("Can in staging for a prod member = %v, %v", ok, err)
	}
	_, err = f.s.GetEnvironment(f.ctx, "qa")
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeEnvironmentNotFound)
	equal(t, "Environments", ok(f.s.Environments(f.ctx))(f), []string{"prod", "staging"})
}

func scenarioGeneratedIDs(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	seen := map[string]bool{}
	for range 20 {
		o := ok(f.s.CreateOrganization(f.ctx, "prod", rbac.OrganizationInput{}))(f)
		if !strings.HasPrefix(o.ID, "org_") || seen[o.ID] || o.Name != o.ID {
			t.Fatalf("generated organization %+v: want a new org_ id, name defaulting to it", o)
		}
		seen[o.ID] = true
		m := f.member("prod", o.ID, "u1")
		if !strings.HasPrefix(m.ID, "om_") || seen[m.ID] {
			t.Fatalf("generated membership id %q", m.ID)
		}
		seen[m.ID] = true
	}
	o := ok(f.s.CreateOrganization(f.ctx, "prod", rbac.OrganizationInput{ID: "tenant-42|eu"}))(f)
	if o.ID != "tenant-42|eu" {
		t.Fatalf("application id not kept: %q", o.ID)
	}
	_, err := f.s.CreateOrganization(f.ctx, "prod", rbac.OrganizationInput{ID: "tenant-42|eu"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeOrganizationExists)
}

func scenarioPartialUpdate(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.UpdatePermission(f.ctx, "prod", "read", rbac.PermissionUpdate{Description: rbac.Ptr("Read things")}))(f)
	p := ok(f.s.UpdatePermission(f.ctx, "prod", "read", rbac.PermissionUpdate{Name: rbac.Ptr("Reader")}))(f)
	if p.Slug != "read" || p.Name != "Reader" || p.Description != "Read things" {
		t.Fatalf("permission after partial updates: %+v", p)
	}
	r := ok(f.s.UpdateRole(f.ctx, "prod", "admin", rbac.RoleUpdate{Description: rbac.Ptr("All of it")}))(f)
	if r.Name != "Admin" || r.Description != "All of it" || !slices.Equal(r.Permissions, []string{"read", "write"}) {
		t.Fatalf("role after a description update: %+v", r)
	}
	r = ok(f.s.UpdateRole(f.ctx, "prod", "admin", rbac.RoleUpdate{Permissions: &[]string{"write", "read", "write"}}))(f)
	if r.Name != "Admin" || r.Description != "All of it" || !slices.Equal(r.Permissions, []string{"read", "write"}) {
		t.Fatalf("role after a permissions update: %+v (want sorted, no duplicates)", r)
	}
}

func scenarioDeletePermission(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "writer", Name: "Writer", Permissions: []string{"write"}}))(f)
	ok(f.s.CreatePermission(f.ctx, "prod", rbac.PermissionInput{Slug: "audit", Name: "Audit", System: true}))(f)
	ok(f.s.UpdateRole(f.ctx, "prod", "viewer", rbac.RoleUpdate{Permissions: &[]string{"audit"}}))(f)
	plan := ok(f.s.DeletePermission(f.ctx, "prod", "write", rbac.DeleteOptions{}))(f)
	equal(t, "roles that lost the permission", sortedRefs(plan.Roles), []rbac.RoleRef{{Slug: "admin"}, {OrganizationID: "acme", Slug: "org-writer"}})
	if r := ok(f.s.GetOrganizationRole(f.ctx, "prod", "acme", "org-writer"))(f); len(r.Permissions) != 0 {
		t.Fatalf("organization role keeps deleted permission: %v", r.Permissions)
	}
	before := f.dump()
	_, err := f.s.DeletePermission(f.ctx, "prod", "audit", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeSystemPermission)
	f.unchanged(before, "deleting a system permission")
	_, err = f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "w", Name: "W", Permissions: []string{"write"}})
	if msg := matchErr(err, errInvalid("permissions")); msg != "" {
		t.Fatalf("role with a deleted permission (3.2): %s", msg)
	}
}

func sortedRefs(rs []rbac.RoleRef) []rbac.RoleRef {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b rbac.RoleRef) int {
		return strings.Compare(a.OrganizationID+"\x00"+a.Slug, b.OrganizationID+"\x00"+b.Slug)
	})
	return rs
}

func scenarioSeededMember(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	e := ok(f.s.CreateEnvironment(f.ctx, rbac.EnvironmentInput{ID: "prod", Name: "Production"}))(f)
	if e.ID != "prod" || e.Name != "Production" || e.DefaultRole != "member" || !slices.Equal(e.PriorityOrder, []string{"member"}) || e.MultipleRoles {
		t.Fatalf("new environment %+v", e)
	}
	r := ok(f.s.GetRole(f.ctx, "prod", "member"))(f)
	if r.Type != rbac.EnvironmentRole || r.OrganizationID != "" || r.Name == "" {
		t.Fatalf("seeded member role %+v", r)
	}
	_, err := f.s.CreateEnvironment(f.ctx, rbac.EnvironmentInput{ID: "prod"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeEnvironmentExists)
}

func scenarioEnvSlugPrefix(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	before := f.dump()
	_, err := f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "org-admin", Name: "Org admin"})
	if msg := matchErr(err, errInvalid("slug")); msg != "" {
		t.Fatal(msg)
	}
	_, err = f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "admin", Name: "Again"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeRoleSlugConflict)
	f.unchanged(before, "refused environment roles")
}

func scenarioAppendEnvRole(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	ok(f.s.SetOrganizationPriorityOrder(f.ctx, "prod", "acme", []string{"org-billing", "viewer", "member", "admin"}))(f)
	ok(f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "auditor", Name: "Auditor"}))(f)
	equal(t, "environment order", ok(f.s.GetEnvironment(f.ctx, "prod"))(f).PriorityOrder, []string{"admin", "member", "viewer", "auditor"})
	equal(t, "forked order", f.settings("prod", "acme").PriorityOrder, []string{"org-billing", "viewer", "member", "admin", "auditor"})
	st := f.settings("prod", "globex")
	if !st.Inherited || !slices.Equal(st.PriorityOrder, []string{"admin", "member", "viewer", "auditor"}) {
		t.Fatalf("inheriting organization: %+v", st)
	}
	// 4.4: visible and assignable everywhere.
	f.member("prod", "acme", "u1", "auditor")
	f.member("prod", "globex", "u1", "auditor")
}

func scenarioOrgRoleSlugs(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	for _, c := range []struct{ in, want string }{
		{"billing-admin", "org-billing-admin"},
		{"org-support", "org-support"},
		{"org_x", "org-org_x"},
	} {
		r := ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: c.in, Name: "N"}))(f)
		if r.Slug != c.want || r.Type != rbac.OrganizationRole || r.OrganizationID != "acme" {
			t.Fatalf("slug %q gave %+v; want slug %q", c.in, r, c.want)
		}
	}
	for _, name := range []string{"Billing Admin", "  Ünïcode   Ops!! ", "***", "a_-b", strings.Repeat("Long name ", 5)[:48]} {
		r := ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Name: name}))(f)
		checkGeneratedSlug(t, "CreateOrganizationRole(name "+name+")", name, r.Slug)
	}
	if got := slugBase("Billing Admin"); got != "billing-admin" {
		t.Fatalf("slugBase = %q", got)
	}
	// The 48-character limit applies after prefixing.
	_, err := f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: strings.Repeat("s", 45), Name: "N"})
	if msg := matchErr(err, errInvalid("slug")); msg != "" {
		t.Fatal(msg)
	}
	r := ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: strings.Repeat("s", 44), Name: "N"}))(f)
	if len(r.Slug) != 48 {
		t.Fatalf("slug %q", r.Slug)
	}
	_, err = f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "support", Name: "N"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeOrganizationRoleSlugConflict)
}

func scenarioOrgSlugPerOrg(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	a := ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"read"}}))(f)
	g := ok(f.s.CreateOrganizationRole(f.ctx, "prod", "globex", rbac.RoleInput{Slug: "billing", Name: "Billing too", Permissions: []string{"write"}}))(f)
	if a.Slug != g.Slug || a.OrganizationID == g.OrganizationID {
		t.Fatalf("%+v and %+v", a, g)
	}
	f.member("prod", "acme", "u1", "org-billing")
	f.member("prod", "globex", "u1", "org-billing")
	c := ok(f.s.Claims(f.ctx, "prod", "acme", "u1"))(f)
	equal(t, "acme permissions", c.Permissions, []string{"read"})
	c = ok(f.s.Claims(f.ctx, "prod", "globex", "u1"))(f)
	equal(t, "globex permissions", c.Permissions, []string{"write"})
}

func scenarioOrgRoleInvisible(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	m := f.member("prod", "globex", "u1")
	before := f.dump()
	for name, err := range map[string]error{
		"assign on create":    second(f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "globex", UserID: "u2", Roles: []string{"org-billing"}})),
		"assign on update":    second(f.s.UpdateMembershipRoles(f.ctx, "prod", m.ID, []string{"org-billing"})),
		"default":             second(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "globex", "org-billing")),
		"map":                 second(f.s.CreateGroupMapping(f.ctx, "prod", "globex", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g", Role: "org-billing"})),
		"resolve":             second(f.s.ResolveRole(f.ctx, "prod", "globex", []string{"org-billing"})),
		"environment default": second(f.s.SetDefaultRole(f.ctx, "prod", "org-billing")),
	} {
		if msg := matchErr(err, errInvalidRole()); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
	_, err := f.s.GetOrganizationRole(f.ctx, "prod", "globex", "org-billing")
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeRoleNotFound)
	for _, r := range ok(listOrganizationRoles(f.ctx, f.s, "prod", "globex"))(f) {
		if r.OrganizationID != "" {
			t.Fatalf("globex lists %+v", r)
		}
	}
	f.unchanged(before, "using another organization's role")
}

func second[V any](_ V, err error) error { return err }

func scenarioFirstOrgRoleForks(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetDefaultRole(f.ctx, "prod", "viewer"))(f)
	st := f.settings("prod", "acme")
	if !st.Inherited || st.DefaultRole != "viewer" {
		t.Fatalf("5.1: inheriting settings %+v", st)
	}
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	want := rbac.Settings{DefaultRole: "viewer", PriorityOrder: []string{"admin", "member", "viewer", "org-billing"}}
	equal(t, "settings after the first organization role", f.settings("prod", "acme"), want)
	o := ok(f.s.GetOrganization(f.ctx, "prod", "acme"))(f)
	if !o.HasOwnSettings() || o.DefaultRole != "viewer" {
		t.Fatalf("organization record %+v", o)
	}
	// 5.6: further roles at the bottom.
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "support", Name: "Support"}))(f)
	want.PriorityOrder = append(want.PriorityOrder, "org-support")
	equal(t, "settings after the second organization role", f.settings("prod", "acme"), want)
	// I4: independent from later environment changes.
	ok(f.s.SetDefaultRole(f.ctx, "prod", "admin"))(f)
	ok(f.s.SetPriorityOrder(f.ctx, "prod", []string{"viewer", "member", "admin"}))(f)
	equal(t, "settings after environment changes", f.settings("prod", "acme"), want)
	st = f.settings("prod", "globex")
	if !st.Inherited || st.DefaultRole != "admin" || !slices.Equal(st.PriorityOrder, []string{"viewer", "member", "admin"}) {
		t.Fatalf("5.1: inheriting organization does not follow: %+v", st)
	}
}

func scenarioKeepOwnSettings(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{}))(f)
	want := rbac.Settings{DefaultRole: "member", PriorityOrder: []string{"admin", "member", "viewer"}}
	equal(t, "settings with no custom role left", f.settings("prod", "acme"), want)
	ok(f.s.SetDefaultRole(f.ctx, "prod", "viewer"))(f)
	ok(f.s.SetPriorityOrder(f.ctx, "prod", []string{"viewer", "admin", "member"}))(f)
	equal(t, "settings after environment changes", f.settings("prod", "acme"), want)
}

func scenarioEffectiveDefault(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetDefaultRole(f.ctx, "prod", "viewer"))(f)
	if m := f.member("prod", "globex", "u1"); !slices.Equal(m.Roles, []string{"viewer"}) || m.Role != "viewer" {
		t.Fatalf("inheriting organization: %+v", m)
	}
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "guest", Name: "Guest"}))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "org-guest"))(f)
	if m := f.member("prod", "acme", "u1"); !slices.Equal(m.Roles, []string{"org-guest"}) {
		t.Fatalf("organization with its own default: %+v", m)
	}
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	if m := f.member("prod", "acme", "u2"); !slices.Equal(m.Roles, []string{"org-guest"}) {
		t.Fatalf("multiple-roles mode, no roles given: %+v", m)
	}
}

func scenarioSettingForks(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	st := ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "viewer"))(f)
	equal(t, "after setting the default", st, rbac.Settings{DefaultRole: "viewer", PriorityOrder: []string{"admin", "member", "viewer"}})
	st = ok(f.s.SetOrganizationPriorityOrder(f.ctx, "prod", "globex", []string{"viewer", "admin", "member"}))(f)
	equal(t, "after setting the order", st, rbac.Settings{DefaultRole: "member", PriorityOrder: []string{"viewer", "admin", "member"}})
	ok(f.s.SetDefaultRole(f.ctx, "prod", "admin"))(f)
	ok(f.s.SetPriorityOrder(f.ctx, "prod", []string{"member", "viewer", "admin"}))(f)
	equal(t, "acme after environment changes", f.settings("prod", "acme"), rbac.Settings{DefaultRole: "viewer", PriorityOrder: []string{"admin", "member", "viewer"}})
	equal(t, "globex after environment changes", f.settings("prod", "globex"), rbac.Settings{DefaultRole: "member", PriorityOrder: []string{"viewer", "admin", "member"}})
	// 7.2: a wrong order is refused whole.
	before := f.dump()
	for _, order := range [][]string{
		{"viewer", "admin"},
		{"viewer", "admin", "member", "member"},
		{"viewer", "admin", "ghost"},
		{"viewer", "admin", "member", "ghost"},
		nil,
	} {
		_, err := f.s.SetOrganizationPriorityOrder(f.ctx, "prod", "globex", order)
		if msg := matchErr(err, errInvalid("priority_order")); msg != "" {
			t.Fatalf("order %v: %s", order, msg)
		}
		_, err = f.s.SetPriorityOrder(f.ctx, "prod", order)
		if msg := matchErr(err, errInvalid("priority_order")); msg != "" {
			t.Fatalf("environment order %v: %s", order, msg)
		}
	}
	f.unchanged(before, "invalid orders")
}

func scenarioDuplicateRoles(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	if m := f.member("prod", "acme", "u1", "viewer", "viewer"); !slices.Equal(m.Roles, []string{"viewer"}) {
		t.Fatalf("single-role mode, the same role twice: %v", m.Roles)
	}
	before := f.dump()
	_, err := f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u2", Roles: []string{"viewer", "admin"}})
	wantErrCode(t, err, rbac.KindInvalid, rbac.CodeMultipleRolesNotEnabled)
	f.unchanged(before, "two roles in single-role mode")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	if m := f.member("prod", "acme", "u2", "viewer", "admin", "viewer"); !slices.Equal(m.Roles, []string{"admin", "viewer"}) {
		t.Fatalf("multiple-roles mode, duplicates: %v", m.Roles)
	}
}

func scenarioPrimaryRole(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	m := f.member("prod", "acme", "u1", "viewer", "admin")
	if m.Role != "admin" || !slices.Equal(m.Roles, []string{"admin", "viewer"}) {
		t.Fatalf("membership %+v: want admin first", m)
	}
	ok(f.s.SetOrganizationPriorityOrder(f.ctx, "prod", "acme", []string{"viewer", "member", "admin"}))(f)
	m = ok(f.s.GetMembership(f.ctx, "prod", m.ID))(f)
	if m.Role != "viewer" || !slices.Equal(m.Roles, []string{"viewer", "admin"}) {
		t.Fatalf("after reordering %+v: want viewer first", m)
	}
	c := ok(f.s.Claims(f.ctx, "prod", "acme", "u1"))(f)
	if c.Role != "viewer" || !slices.Equal(c.Roles, []string{"viewer", "admin"}) {
		t.Fatalf("claims %+v", c)
	}
	if r := ok(f.s.ResolveRole(f.ctx, "prod", "acme", []string{"admin", "viewer"}))(f); r != "viewer" {
		t.Fatalf("ResolveRole = %q (7.4)", r)
	}
}

func scenarioReactivateOnCreate(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	m := f.member("prod", "acme", "u1", "admin")
	ok(f.s.DeactivateMembership(f.ctx, "prod", m.ID))(f)
	again := f.member("prod", "acme", "u1", "viewer")
	if again.ID != m.ID || again.Status != rbac.StatusActive || !slices.Equal(again.Roles, []string{"viewer"}) {
		t.Fatalf("re-creating an inactive membership: %+v; want id %s active with viewer", again, m.ID)
	}
	before := f.dump()
	_, err := f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u1"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeMembershipAlreadyExists)
	f.unchanged(before, "creating over an active membership")
	ok(f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u2", Status: rbac.StatusPending}))(f)
	before = f.dump()
	_, err = f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u2"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeMembershipAlreadyExists)
	f.unchanged(before, "creating over a pending membership")
}

func scenarioStatusTransitions(t *testing.T, ns func(*testing.T) rbac.Store) {
	type call func(ctx context.Context, env, id string) (rbac.Membership, error)
	f := newFixture(t, ns)
	f.standard("prod")
	s := f.s
	for _, c := range []struct {
		name     string
		from     rbac.MembershipStatus
		op       call
		want     rbac.MembershipStatus
		wantCode string
	}{
		{"deactivate active", rbac.StatusActive, s.DeactivateMembership, rbac.StatusInactive, ""},
		{"deactivate inactive", rbac.StatusInactive, s.DeactivateMembership, rbac.StatusInactive, ""},
		{"deactivate pending", rbac.StatusPending, s.DeactivateMembership, "", rbac.CodeCannotDeactivatePending},
		{"reactivate inactive", rbac.StatusInactive, s.ReactivateMembership, rbac.StatusActive, ""},
		{"reactivate active", rbac.StatusActive, s.ReactivateMembership, rbac.StatusActive, ""},
		{"reactivate pending", rbac.StatusPending, s.ReactivateMembership, "", rbac.CodeCannotReactivatePending},
		{"accept pending", rbac.StatusPending, s.AcceptMembership, rbac.StatusActive, ""},
		{"accept active", rbac.StatusActive, s.AcceptMembership, "", rbac.CodeMembershipNotPending},
		{"accept inactive", rbac.StatusInactive, s.AcceptMembership, "", rbac.CodeMembershipNotPending},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fixture{t: t, ctx: f.ctx, s: s}
			user := strings.ReplaceAll(c.name, " ", "-")
			status := c.from
			if status == rbac.StatusInactive {
				status = ""
			}
			m := ok(s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: user, Roles: []string{"admin"}, Status: status}))(f)
			if c.from == rbac.StatusInactive {
				m = ok(s.DeactivateMembership(f.ctx, "prod", m.ID))(f)
			}
			before := f.dump()
			got, err := c.op(f.ctx, "prod", m.ID)
			if c.wantCode != "" {
				wantErrCode(t, err, rbac.KindConflict, c.wantCode)
				f.unchanged(before, c.name)
				return
			}
			if err != nil || got.Status != c.want || !slices.Equal(got.Roles, []string{"admin"}) {
				t.Fatalf("%s = %+v, %v; want status %s keeping role admin", c.name, got, err, c.want)
			}
			if back := ok(s.GetMembership(f.ctx, "prod", m.ID))(f); back.Status != c.want {
				t.Fatalf("read back status %s", back.Status)
			}
		})
	}
	m := f.member("prod", "globex", "u9")
	f.no(f.s.DeleteMembership(f.ctx, "prod", m.ID))
	_, err := f.s.GetMembership(f.ctx, "prod", m.ID)
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
	wantErrCode(t, f.s.DeleteMembership(f.ctx, "prod", m.ID), rbac.KindNotFound, rbac.CodeMembershipNotFound)
}

func scenarioListFilters(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	a1 := f.member("prod", "acme", "u1")
	a2 := f.member("prod", "acme", "u2")
	g1 := f.member("prod", "globex", "u1")
	ok(f.s.DeactivateMembership(f.ctx, "prod", a2.ID))(f)
	p := ok(f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "globex", UserID: "u3", Status: rbac.StatusPending}))(f)
	ids := func(filter rbac.MembershipFilter) []string {
		t.Helper()
		var out []string
		for _, m := range ok(listMemberships(f.ctx, f.s, "prod", filter))(f) {
			out = append(out, m.ID)
		}
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	equal(t, "default filter: active only", ids(rbac.MembershipFilter{}), sorted(a1.ID, g1.ID))
	equal(t, "organization", ids(rbac.MembershipFilter{OrganizationID: "acme"}), sorted(a1.ID))
	equal(t, "user", ids(rbac.MembershipFilter{UserID: "u1"}), sorted(a1.ID, g1.ID))
	equal(t, "organization and user", ids(rbac.MembershipFilter{OrganizationID: "globex", UserID: "u1"}), sorted(g1.ID))
	equal(t, "inactive", ids(rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusInactive}}), sorted(a2.ID))
	equal(t, "pending", ids(rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusPending}}), sorted(p.ID))
	all := sorted(a1.ID, a2.ID, g1.ID, p.ID)
	equal(t, "every status", ids(rbac.MembershipFilter{Statuses: allStatuses}), all)
	page, err := f.s.ListMemberships(f.ctx, "prod", rbac.MembershipFilter{Statuses: allStatuses}, rbac.ListOptions{After: all[0], Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for _, m := range page.Data {
		paged = append(paged, m.ID)
	}
	equal(t, "paged", paged, all[1:3])
	if page.Before != all[1] || page.After != all[2] {
		t.Errorf("page cursors before %q after %q; want %q and %q", page.Before, page.After, all[1], all[2])
	}
	_, err = listMemberships(f.ctx, f.s, "prod", rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{"gone"}})
	if msg := matchErr(err, errInvalid("statuses")); msg != "" {
		t.Fatal(msg)
	}
}

func scenarioMultipleRolesOff(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	ok(f.s.SetOrganizationPriorityOrder(f.ctx, "prod", "acme", []string{"viewer", "org-billing", "admin", "member"}))(f)
	a := f.member("prod", "acme", "u1", "admin", "org-billing", "member")
	g := f.member("prod", "globex", "u1", "viewer", "member")
	inactive := f.member("prod", "globex", "u2", "viewer", "admin")
	ok(f.s.DeactivateMembership(f.ctx, "prod", inactive.ID))(f)
	ok(f.s.SetMultipleRoles(f.ctx, "prod", false))(f)
	equal(t, "acme (own order)", f.roles("prod", a.ID), []string{"org-billing"})
	equal(t, "globex (environment order)", f.roles("prod", g.ID), []string{"member"})
	equal(t, "inactive membership", f.roles("prod", inactive.ID), []string{"admin"})
}

func scenarioReplacementRequired(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "globex", "viewer"))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "viewer"))(f)
	before := f.dump()
	for _, c := range []struct {
		slug       string
		orgs       []string
		envDefault bool
	}{
		{"viewer", []string{"acme", "globex"}, false},
		{"member", nil, true},
	} {
		_, err := f.s.DeleteRole(f.ctx, "prod", c.slug, rbac.DeleteOptions{})
		if msg := matchErr(err, &expErr{Kind: rbac.KindReplacementRequired, Code: rbac.CodeReplacementRequired, Orgs: c.orgs, EnvDefault: c.envDefault}); msg != "" {
			t.Fatalf("deleting %s: %s", c.slug, msg)
		}
		for _, bad := range []string{c.slug, "ghost", "org-x"} {
			_, err := f.s.DeleteRole(f.ctx, "prod", c.slug, rbac.DeleteOptions{ReplacementDefault: bad})
			if msg := matchErr(err, errBadReplacement("replacement_default")); msg != "" {
				t.Fatalf("deleting %s with replacement %q: %s", c.slug, bad, msg)
			}
		}
	}
	f.unchanged(before, "refused deletions")
	// A role that is no default anywhere needs no replacement.
	ok(f.s.DeleteRole(f.ctx, "prod", "admin", rbac.DeleteOptions{}))(f)
}

func scenarioReassignSingle(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganization(f.ctx, "prod", rbac.OrganizationInput{ID: "initech"}))(f)
	// acme: own default viewer; globex: inherits (member); initech: own
	// default member (forked), so its default is replaced too.
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "viewer"))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "initech", "member"))(f)
	a := f.member("prod", "acme", "u1", "member")
	g := f.member("prod", "globex", "u1", "member")
	i := f.member("prod", "initech", "u1", "member")
	keep := f.member("prod", "globex", "u2", "admin")
	plan := ok(f.s.DeleteRole(f.ctx, "prod", "member", rbac.DeleteOptions{ReplacementDefault: "admin"}))(f)
	want := rbac.DeletionPlan{Role: "member", ReplacementDefault: "admin", EnvironmentDefaultReplaced: true,
		DefaultsReplaced: []string{"initech"}, MembershipCount: 3, Memberships: sortedIDs(a.ID, g.ID, i.ID)}
	equal(t, "plan", plan, want)
	equal(t, "acme member (own default viewer)", f.roles("prod", a.ID), []string{"viewer"})
	equal(t, "globex member (new environment default)", f.roles("prod", g.ID), []string{"admin"})
	equal(t, "initech member (replaced own default)", f.roles("prod", i.ID), []string{"admin"})
	equal(t, "unaffected member", f.roles("prod", keep.ID), []string{"admin"})
	equal(t, "environment", ok(f.s.GetEnvironment(f.ctx, "prod"))(f).PriorityOrder, []string{"admin", "viewer"})
	equal(t, "acme settings", f.settings("prod", "acme"), rbac.Settings{DefaultRole: "viewer", PriorityOrder: []string{"admin", "viewer"}})
	equal(t, "initech settings", f.settings("prod", "initech"), rbac.Settings{DefaultRole: "admin", PriorityOrder: []string{"admin", "viewer"}})
	if n := len(ok(listMemberships(f.ctx, f.s, "prod", rbac.MembershipFilter{}))(f)); n != 4 {
		t.Fatalf("I8: %d memberships after reassignment, want 4", n)
	}
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func scenarioReassignMultiple(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "member"))(f)
	both := f.member("prod", "acme", "u1", "viewer", "admin")
	only := f.member("prod", "acme", "u2", "viewer")
	plan := ok(f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{}))(f)
	equal(t, "memberships in plan", plan.Memberships, sortedIDs(both.ID, only.ID))
	equal(t, "membership that kept a role", f.roles("prod", both.ID), []string{"admin"})
	equal(t, "membership left without a role", f.roles("prod", only.ID), []string{"member"})
}

func scenarioDeleteOrgRole(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "support", Name: "Support"}))(f)
	m := f.member("prod", "acme", "u1", "org-billing")
	ok(f.s.CreateGroupMapping(f.ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "org-billing"}))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "org-billing"))(f)
	_, err := f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeRoleHasAssignments)
	ok(f.s.UpdateMembershipRoles(f.ctx, "prod", m.ID, []string{"viewer"}))(f)
	_, err = f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeRoleHasGroupRoleMappings)
	f.no(f.s.DeleteGroupMapping(f.ctx, "prod", "acme", rbac.GroupSourceSSO, "g1"))
	_, err = f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeRoleIsDefault)
	for _, bad := range []string{"org-billing", "org-ghost", "ghost"} {
		_, err = f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: bad})
		if msg := matchErr(err, errBadReplacement("reassign_to")); msg != "" {
			t.Fatalf("replacement %q: %s", bad, msg)
		}
	}
	// Back to the state with holder, mapping and default, then reassign
	// all three at once.
	ok(f.s.UpdateMembershipRoles(f.ctx, "prod", m.ID, []string{"org-billing"}))(f)
	ok(f.s.CreateGroupMapping(f.ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "org-billing"}))(f)
	mapping := ok(listGroupMappings(f.ctx, f.s, "prod", "acme"))(f)
	plan := ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "org-support"}))(f)
	want := rbac.DeletionPlan{Role: "org-billing", OrganizationID: "acme", ReassignedTo: "org-support",
		DefaultsReplaced: []string{"acme"}, MembershipCount: 1, Memberships: []string{m.ID}, GroupMappings: mapping}
	if diff := cmp.Diff(want, plan, cmpPlan...); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	equal(t, "holder moved", f.roles("prod", m.ID), []string{"org-support"})
	equal(t, "default moved", f.settings("prod", "acme"), rbac.Settings{DefaultRole: "org-support",
		PriorityOrder: []string{"admin", "member", "viewer", "org-support"}})
	gm := ok(listGroupMappings(f.ctx, f.s, "prod", "acme"))(f)
	if len(gm) != 1 || gm[0].Role != "org-support" {
		t.Fatalf("mapping not re-pointed: %+v", gm)
	}
	// An environment role is a valid target too.
	ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-support", rbac.DeleteOptions{ReassignTo: "viewer"}))(f)
	equal(t, "holder moved to an environment role", f.roles("prod", m.ID), []string{"viewer"})
	_, err = f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-support", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeRoleNotFound)
	_, err = f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "viewer", rbac.DeleteOptions{})
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeRoleNotFound)
}

func scenarioDryRun(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"write"}}))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "viewer"))(f)
	f.member("prod", "acme", "u1", "viewer")
	f.member("prod", "acme", "u2", "org-billing")
	f.member("prod", "globex", "u1", "viewer")
	ok(f.s.CreateGroupMapping(f.ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: "g1", Role: "viewer"}))(f)
	ok(f.s.CreateGroupMapping(f.ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g2", Role: "org-billing"}))(f)
	var events int
	f.s.OnCommit(func(c rbac.Commit) { events += len(c.Events) })
	for _, c := range []struct {
		name string
		del  func(dry bool) (rbac.DeletionPlan, error)
	}{
		{"environment role", func(dry bool) (rbac.DeletionPlan, error) {
			return f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{ReplacementDefault: "admin", DryRun: dry})
		}},
		{"organization role", func(dry bool) (rbac.DeletionPlan, error) {
			return f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "member", DryRun: dry})
		}},
		{"permission", func(dry bool) (rbac.DeletionPlan, error) {
			return f.s.DeletePermission(f.ctx, "prod", "write", rbac.DeleteOptions{DryRun: dry})
		}},
		{"organization", func(dry bool) (rbac.DeletionPlan, error) {
			return f.s.DeleteOrganization(f.ctx, "prod", "acme", rbac.DeleteOptions{DryRun: dry})
		}},
	} {
		before := f.dump()
		n := events
		dry := ok(c.del(true))(f)
		f.unchanged(before, "dry run of "+c.name)
		if events != n {
			t.Fatalf("dry run of %s emitted events", c.name)
		}
		if !dry.DryRun || len(dry.Memberships) == 0 && len(dry.Roles) == 0 {
			t.Fatalf("dry run of %s reported %+v", c.name, dry)
		}
		real := ok(c.del(false))(f)
		if real.DryRun {
			t.Fatalf("real deletion of %s says dry run", c.name)
		}
		dry.DryRun = false
		if diff := cmp.Diff(dry, real, cmpPlan...); diff != "" {
			t.Fatalf("%s: dry run and real plans differ (-dry +real):\n%s", c.name, diff)
		}
	}
}

func scenarioDeleteOrganization(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	f.standard("staging")
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))(f)
	m := f.member("prod", "acme", "u1", "org-billing")
	ok(f.s.CreateGroupMapping(f.ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "org-billing"}))(f)
	keep := f.dump()
	plan := ok(f.s.DeleteOrganization(f.ctx, "prod", "acme", rbac.DeleteOptions{}))(f)
	if !slices.Equal(plan.Memberships, []string{m.ID}) || len(plan.Roles) != 1 || len(plan.GroupMappings) != 1 {
		t.Fatalf("plan %+v", plan)
	}
	_, err := f.s.GetOrganization(f.ctx, "prod", "acme")
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeOrganizationNotFound)
	_, err = f.s.GetMembership(f.ctx, "prod", m.ID)
	wantErrCode(t, err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
	after := f.dump()
	equal(t, "the same id in another environment", after["staging"], keep["staging"])
	var globex orgObs
	for _, o := range keep["prod"].Orgs {
		if o.ID == "globex" {
			globex = o
		}
	}
	equal(t, "the other organization", after["prod"].Orgs, []orgObs{globex})
	// The id can be used again, and starts empty.
	ok(f.s.CreateOrganization(f.ctx, "prod", rbac.OrganizationInput{ID: "acme"}))(f)
	if st := f.settings("prod", "acme"); !st.Inherited {
		t.Fatalf("re-created organization has settings %+v", st)
	}
	if gm := ok(listGroupMappings(f.ctx, f.s, "prod", "acme"))(f); len(gm) != 0 {
		t.Fatalf("re-created organization has mappings %+v", gm)
	}
	if rs := ok(listOrganizationRoles(f.ctx, f.s, "prod", "acme"))(f); len(rs) != 3 {
		t.Fatalf("re-created organization has roles %+v", rs)
	}
}

func scenarioClaims(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	ok(f.s.CreatePermission(f.ctx, "prod", rbac.PermissionInput{Slug: "billing.*", Name: "Billing"}))(f)
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"billing.*", "read"}}))(f)
	f.member("prod", "acme", "u1", "viewer", "org-billing", "member")
	c := ok(f.s.Claims(f.ctx, "prod", "acme", "u1"))(f)
	want := rbac.Claims{OrganizationID: "acme", Role: "member", Roles: []string{"member", "viewer", "org-billing"}, Permissions: []string{"billing.*", "read"}}
	equal(t, "claims", c, want)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sortedKeys(fields), []string{"org_id", "permissions", "role", "roles"}) {
		t.Fatalf("claims JSON %s: want the fields org_id, role, roles, permissions", b)
	}
	if !bytes.Contains(b, []byte(`"org_id":"acme"`)) {
		t.Fatalf("claims JSON %s", b)
	}
	pending := ok(f.s.CreateMembership(f.ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u2", Status: rbac.StatusPending}))(f)
	inactive := f.member("prod", "acme", "u3")
	ok(f.s.DeactivateMembership(f.ctx, "prod", inactive.ID))(f)
	for _, c := range []struct{ org, user string }{{"acme", "u2"}, {"acme", "u3"}, {"acme", "u4"}, {"globex", "u1"}, {"ghost", "u1"}} {
		_, err := f.s.Claims(f.ctx, "prod", c.org, c.user)
		wantErrCode(t, err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
	}
	ok(f.s.AcceptMembership(f.ctx, "prod", pending.ID))(f)
	if c := ok(f.s.Claims(f.ctx, "prod", "acme", "u2"))(f); c.Role != "member" || len(c.Permissions) != 1 {
		t.Fatalf("claims after accepting: %+v", c)
	}
}

func scenarioCan(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	f.standard("prod")
	m := f.member("prod", "acme", "u1", "admin")
	for _, c := range []struct {
		org, user, perm string
		want            bool
	}{
		{"acme", "u1", "write", true},
		{"acme", "u1", "read", true},
		{"acme", "u1", "delete", false},
		{"globex", "u1", "read", false},
		{"acme", "u2", "read", false},
		{"ghost", "u1", "read", false},
	} {
		if got := ok(f.s.Can(f.ctx, "prod", c.org, c.user, c.perm))(f); got != c.want {
			t.Errorf("Can(%s, %s, %s) = %v; want %v", c.org, c.user, c.perm, got, c.want)
		}
	}
	ok(f.s.DeactivateMembership(f.ctx, "prod", m.ID))(f)
	if ok(f.s.Can(f.ctx, "prod", "acme", "u1", "read"))(f) {
		t.Fatal("an inactive member can")
	}
	ok(f.s.ReactivateMembership(f.ctx, "prod", m.ID))(f)
	ok(f.s.UpdateRole(f.ctx, "prod", "admin", rbac.RoleUpdate{Permissions: &[]string{"read"}}))(f)
	if ok(f.s.Can(f.ctx, "prod", "acme", "u1", "write"))(f) {
		t.Fatal("a permission removed from the role still grants")
	}
}

// eventsOf collects the events the Service commits.
// recordEvents returns a log of the events of every commit of s.
func recordEvents(s *rbac.Service) *eventLog {
	l := &eventLog{}
	s.OnCommit(func(c rbac.Commit) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, slices.Clone(c.Events))
	})
	return l
}

type eventLog struct {
	mu     sync.Mutex
	events [][]rbac.Event
}

func (l *eventLog) take() []rbac.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []rbac.Event
	for _, es := range l.events {
		out = append(out, es...)
	}
	l.events = nil
	return out
}

func scenarioEvents(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	log := recordEvents(f.s)
	f.standard("prod")
	log.take()
	rev := ok(f.s.GetEnvironment(f.ctx, "prod"))(f).Revision

	// ev is the part of an event a test can predict.
	type ev struct {
		Type                       rbac.EventType
		Org, Role, Perm, User, Grp string
		Membership                 bool
	}
	summary := func(es []rbac.Event) []ev {
		var out []ev
		for _, e := range es {
			out = append(out, ev{e.Type, e.OrganizationID, e.RoleSlug, e.PermissionSlug, e.UserID, e.GroupID, e.MembershipID != ""})
		}
		return out
	}
	// expect checks that one call committed exactly want (in any order),
	// all at the next revision of environment prod.
	expect := func(what string, want ...ev) {
		t.Helper()
		got := log.take()
		rev++
		for _, e := range got {
			if e.Revision != rev || e.EnvironmentID != "prod" || e.Time.IsZero() {
				t.Fatalf("%s: event %+v; want revision %d of prod with a time", what, e, rev)
			}
		}
		if back := ok(f.s.GetEnvironment(f.ctx, "prod"))(f).Revision; back != rev {
			t.Fatalf("%s: environment revision %d; want %d", what, back, rev)
		}
		less := func(a, b ev) bool { return fmt_(a) < fmt_(b) }
		if diff := cmp.Diff(want, summary(got), cmpopts.SortSlices(less), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s: events (-want +got):\n%s", what, diff)
		}
	}
	// nothing checks that a write that changed nothing emitted nothing
	// and committed no revision.
	nothing := func(what string) {
		t.Helper()
		if got := log.take(); len(got) > 0 {
			t.Fatalf("%s: events %+v; want none", what, got)
		}
		if back := ok(f.s.GetEnvironment(f.ctx, "prod"))(f).Revision; back != rev {
			t.Fatalf("%s: environment revision %d; want %d, unchanged", what, back, rev)
		}
	}
	ok(f.s.CreatePermission(f.ctx, "prod", rbac.PermissionInput{Slug: "audit", Name: "Audit"}))(f)
	expect("create permission", ev{Type: rbac.EventPermissionCreated, Perm: "audit"})
	ok(f.s.UpdatePermission(f.ctx, "prod", "audit", rbac.PermissionUpdate{Name: rbac.Ptr("Audit")}))(f)
	nothing("update permission to the name it has")
	ok(f.s.UpdatePermission(f.ctx, "prod", "audit", rbac.PermissionUpdate{Name: rbac.Ptr("Audit log")}))(f)
	expect("update permission", ev{Type: rbac.EventPermissionUpdated, Perm: "audit"})
	ok(f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "auditor", Name: "Auditor", Permissions: []string{"audit"}}))(f)
	expect("create role", ev{Type: rbac.EventRoleCreated, Role: "auditor"})
	ok(f.s.UpdateRole(f.ctx, "prod", "auditor", rbac.RoleUpdate{Name: rbac.Ptr("Auditors")}))(f)
	expect("update role", ev{Type: rbac.EventRoleUpdated, Role: "auditor"})
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"audit"}}))(f)
	expect("create organization role", ev{Type: rbac.EventOrganizationRoleCreated, Org: "acme", Role: "org-billing"})
	ok(f.s.UpdateOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.RoleUpdate{Description: rbac.Ptr("Pays")}))(f)
	expect("update organization role", ev{Type: rbac.EventOrganizationRoleUpdated, Org: "acme", Role: "org-billing"})
	ok(f.s.DeletePermission(f.ctx, "prod", "audit", rbac.DeleteOptions{}))(f)
	expect("delete permission", ev{Type: rbac.EventPermissionDeleted, Perm: "audit"},
		ev{Type: rbac.EventRoleUpdated, Role: "auditor"}, ev{Type: rbac.EventOrganizationRoleUpdated, Org: "acme", Role: "org-billing"})
	m1 := f.member("prod", "acme", "u1", "org-billing")
	expect("create membership", ev{Type: rbac.EventMembershipCreated, Org: "acme", User: "u1", Membership: true})
	m2 := f.member("prod", "acme", "u2", "auditor")
	expect("create membership", ev{Type: rbac.EventMembershipCreated, Org: "acme", User: "u2", Membership: true})
	m3 := f.member("prod", "globex", "u3", "auditor")
	expect("create membership", ev{Type: rbac.EventMembershipCreated, Org: "globex", User: "u3", Membership: true})
	ok(f.s.UpdateMembershipRoles(f.ctx, "prod", m1.ID, []string{"org-billing"}))(f)
	nothing("update membership to the roles it has")
	ok(f.s.UpdateMembershipRoles(f.ctx, "prod", m1.ID, []string{"auditor"}))(f)
	expect("update membership", ev{Type: rbac.EventMembershipUpdated, Org: "acme", User: "u1", Membership: true})
	ok(f.s.UpdateMembershipRoles(f.ctx, "prod", m1.ID, []string{"org-billing"}))(f)
	expect("update membership back", ev{Type: rbac.EventMembershipUpdated, Org: "acme", User: "u1", Membership: true})
	ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "viewer"}))(f)
	expect("reassigning organization role", ev{Type: rbac.EventOrganizationRoleDeleted, Org: "acme", Role: "org-billing"},
		ev{Type: rbac.EventMembershipUpdated, Org: "acme", User: "u1", Membership: true})
	ok(f.s.DeleteRole(f.ctx, "prod", "auditor", rbac.DeleteOptions{}))(f)
	if got := f.roles("prod", m3.ID); !slices.Equal(got, []string{"member"}) {
		t.Fatalf("reassigned membership holds %v", got)
	}
	expect("reassigning environment role", ev{Type: rbac.EventRoleDeleted, Role: "auditor"},
		ev{Type: rbac.EventMembershipUpdated, Org: "acme", User: "u2", Membership: true},
		ev{Type: rbac.EventMembershipUpdated, Org: "globex", User: "u3", Membership: true})
	f.no(f.s.DeleteMembership(f.ctx, "prod", m2.ID))
	expect("delete membership", ev{Type: rbac.EventMembershipDeleted, Org: "acme", User: "u2", Membership: true})

	// Failed calls and dry runs emit nothing and do not move the revision.
	_, err := f.s.CreateRole(f.ctx, "prod", rbac.RoleInput{Slug: "admin", Name: "Admin"})
	wantErrCode(t, err, rbac.KindConflict, rbac.CodeRoleSlugConflict)
	ok(f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{DryRun: true}))(f)
	if es := log.take(); len(es) != 0 {
		t.Fatalf("failed call or dry run emitted %+v", es)
	}
	if back := ok(f.s.GetEnvironment(f.ctx, "prod"))(f).Revision; back != rev {
		t.Fatalf("revision moved to %d without a change; want %d", back, rev)
	}
}

func fmt_(e any) string {
	b, _ := json.Marshal(e)
	return string(b)
}
