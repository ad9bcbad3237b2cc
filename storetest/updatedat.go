package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/orgroles/rbac"
)

// scenarioBulkUpdatedAt checks the stores' side of the bulk changes: a
// role deletion reassigning members (rule 9.2), a deleted organization
// role's members and mappings moved (9.3), re-pointed mappings, replaced
// organization defaults, a permission removed from roles (3.3), an
// environment role added to and removed from every own order (4.3, 9.2),
// multiple roles switched off (8.7). Every record such a change touches
// has its UpdatedAt moved to the time of the call; every other record
// keeps its own. (The environment record's moves when its settings
// change, not with every revision.)
func scenarioBulkUpdatedAt(t *testing.T, ns func(*testing.T) rbac.Store) {
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	f := newFixture(t, ns, rbac.WithClock(func() time.Time { return now }))
	ctx, s := f.ctx, f.s
	f.standard("prod")
	ok(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "audit", Name: "Audit"}))(f)
	ok(s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "temp", Name: "Temporary", Permissions: []string{"read", "audit"}}))(f)
	ok(s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Permissions: &[]string{"audit"}}))(f)
	for _, id := range []string{"initech", "hooli"} {
		ok(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: id}))(f)
	}
	ok(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"write", "audit"}}))(f)
	ok(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "ops", Name: "Ops"}))(f)
	ok(s.SetOrganizationDefaultRole(ctx, "prod", "acme", "temp"))(f)
	ok(s.SetOrganizationDefaultRole(ctx, "prod", "initech", "admin"))(f)
	ids := map[string]string{}
	for _, m := range []struct{ key, org, user, role string }{
		{"a1", "acme", "u1", "temp"}, {"a2", "acme", "u2", "org-billing"}, {"a3", "acme", "u3", "admin"},
		{"g1", "globex", "u1", "temp"}, {"g2", "globex", "u2", "viewer"},
		{"i1", "initech", "u1", "temp"}, {"i2", "initech", "u2", "member"},
	} {
		ids[m.key] = f.member("prod", m.org, m.user, m.role).ID
	}
	mapping := func(org string, src rbac.GroupSource, group, role string) string {
		return ok(s.CreateGroupMapping(ctx, "prod", org, rbac.GroupMappingInput{Source: src, GroupID: group, Role: role}))(f).ID
	}
	ids["acme/t"] = mapping("acme", rbac.GroupSourceSSO, "grp-t", "temp")
	ids["acme/b"] = mapping("acme", rbac.GroupSourceSSO, "grp-b", "org-billing")
	ids["acme/a"] = mapping("acme", rbac.GroupSourceDirectory, "grp-a", "admin")
	ids["globex/t"] = mapping("globex", rbac.GroupSourceSSO, "grp-t", "temp")
	ids["globex/v"] = mapping("globex", rbac.GroupSourceSSO, "grp-v", "viewer")

	// Every record was written at base: the expectations start there.
	want := f.updatedAt()
	for k, at := range want {
		if !at.Equal(base) {
			t.Fatalf("%s: UpdatedAt %v; want %v, the time of the call", k, at, base)
		}
	}
	// step runs change at a new time and checks that exactly the records
	// named moved to it.
	step := func(what string, change func(), touched ...string) {
		t.Helper()
		now = now.Add(time.Hour)
		change()
		got := f.updatedAt()
		for _, k := range touched {
			want[k] = now
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				delete(want, k) // deleted by the change
			}
		}
		var bad []string
		for _, k := range sortedKeys(got) {
			if w, ok := want[k]; !ok || !got[k].Equal(w) {
				bad = append(bad, k+": "+got[k].Format(time.TimeOnly)+", want "+w.Format(time.TimeOnly))
			}
		}
		if len(bad) > 0 {
			t.Fatalf("%s at %s: UpdatedAt wrong:\n%s", what, now.Format(time.TimeOnly), strings.Join(bad, "\n"))
		}
	}
	m := func(key string) string { return "membership " + ids[key] }
	g := func(key string) string { return "mapping " + ids[key] }

	step("deleting permission audit", func() {
		ok(s.DeletePermission(ctx, "prod", "audit", rbac.DeleteOptions{}))(f)
	}, "role temp", "role viewer", "role acme/org-billing")
	step("deleting org-billing, reassigning to org-ops", func() {
		ok(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "org-ops"}))(f)
	}, m("a2"), g("acme/b"), "organization acme")
	step("creating environment role extra", func() {
		ok(s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "extra", Name: "Extra"}))(f)
	}, "role extra", "organization acme", "organization initech", "environment")
	step("deleting temp, the default of acme, replaced by viewer", func() {
		ok(s.DeleteRole(ctx, "prod", "temp", rbac.DeleteOptions{ReplacementDefault: "viewer"}))(f)
	}, m("a1"), m("g1"), m("i1"), g("acme/t"), g("globex/t"), "organization acme", "organization initech", "environment")
	step("switching multiple roles on", func() {
		ok(s.SetMultipleRoles(ctx, "prod", true))(f)
	}, "environment")
	step("giving a3 two roles", func() {
		ok(s.UpdateMembershipRoles(ctx, "prod", ids["a3"], []string{"admin", "viewer"}))(f)
	}, m("a3"))
	step("switching multiple roles off", func() {
		ok(s.SetMultipleRoles(ctx, "prod", false))(f)
	}, m("a3"), "environment")
	step("deleting extra, a default nowhere", func() {
		ok(s.DeleteRole(ctx, "prod", "extra", rbac.DeleteOptions{}))(f)
	}, "organization acme", "organization initech", "environment")
	step("making admin the default of acme", func() {
		ok(s.SetOrganizationDefaultRole(ctx, "prod", "acme", "admin"))(f)
	}, "organization acme")
	step("deleting viewer, held and mapped, without replacement", func() {
		ok(s.DeleteRole(ctx, "prod", "viewer", rbac.DeleteOptions{}))(f)
	}, m("a1"), m("g2"), "organization acme", "organization initech", "environment")
	if len(want) < 15 {
		t.Fatalf("only %d records followed", len(want))
	}
}

// updatedAt reads the UpdatedAt of every record of environment prod, by
// "kind id".
func (f *fixture) updatedAt() map[string]time.Time {
	f.t.Helper()
	ctx, s := f.ctx, f.s
	out := map[string]time.Time{}
	env := ok(s.GetEnvironment(ctx, "prod"))(f)
	out["environment"] = env.UpdatedAt
	for _, p := range ok(listPermissions(ctx, s, "prod"))(f) {
		out["permission "+p.Slug] = p.UpdatedAt
	}
	for _, r := range ok(listRoles(ctx, s, "prod"))(f) {
		out["role "+r.Slug] = r.UpdatedAt
	}
	for _, o := range ok(listOrganizations(ctx, s, "prod"))(f) {
		out["organization "+o.ID] = o.UpdatedAt
		for _, r := range ok(listOrganizationRoles(ctx, s, "prod", o.ID))(f) {
			if r.OrganizationID != "" {
				out["role "+o.ID+"/"+r.Slug] = r.UpdatedAt
			}
		}
		for _, m := range ok(listMemberships(ctx, s, "prod", rbac.MembershipFilter{OrganizationID: o.ID, Statuses: allStatuses}))(f) {
			out["membership "+m.ID] = m.UpdatedAt
		}
		for _, g := range ok(listGroupMappings(ctx, s, "prod", o.ID))(f) {
			out["mapping "+g.ID] = g.UpdatedAt
		}
	}
	return out
}
