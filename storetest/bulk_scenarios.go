package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/orgroles/rbac"
)

// scenarioBulkReassignment deletes an organization role and then an
// environment role each held by more than rbac.MaxListedMemberships
// memberships: the plan counts them all and lists the first
// MaxListedMemberships by id, one organization_membership.bulk_updated
// event stands for their updated events, and every holder is reassigned
// (rules 9.2, 9.3, 9.5, 13.1).
func scenarioBulkReassignment(t *testing.T, ns func(*testing.T) rbac.Store) {
	f := newFixture(t, ns)
	log := recordEvents(f.s)
	f.standard("prod")
	ok(f.s.SetMultipleRoles(f.ctx, "prod", true))(f)
	ok(f.s.SetOrganizationDefaultRole(f.ctx, "prod", "acme", "viewer"))(f)
	ok(f.s.CreateOrganizationRole(f.ctx, "prod", "acme", rbac.RoleInput{Slug: "team", Name: "Team", Permissions: []string{"write"}}))(f)
	const big = rbac.MaxListedMemberships + 50
	// acme: big holders of org-team, one in ten also admin, and one
	// member; globex: ten viewers.
	var team, withAdmin []string
	for j := range big {
		roles := []string{"org-team"}
		if j%10 == 0 {
			roles = append(roles, "admin")
		}
		m := f.member("prod", "acme", fmt.Sprintf("u%04d", j), roles...)
		team = append(team, m.ID)
		if j%10 == 0 {
			withAdmin = append(withAdmin, m.ID)
		}
	}
	other := f.member("prod", "acme", "other", "member")
	var globex []string
	for j := range 10 {
		globex = append(globex, f.member("prod", "globex", fmt.Sprintf("g%d", j), "viewer").ID)
	}
	slices.Sort(team)
	log.take()

	checkBulk := func(what string, plan rbac.DeletionPlan, want []string, e rbac.Event) {
		t.Helper()
		if plan.MembershipCount != len(want) {
			t.Fatalf("%s: plan counts %d memberships, want %d (rule 9.5)", what, plan.MembershipCount, len(want))
		}
		equal(t, what+": plan's sample, the first memberships by id", plan.Memberships, want[:rbac.MaxListedMemberships])
		if plan.DryRun {
			if es := log.take(); len(es) != 0 {
				t.Fatalf("%s: a dry run emitted %d events", what, len(es))
			}
			return
		}
		var got []rbac.Event
		for _, x := range log.take() {
			switch x.Type {
			case rbac.EventMembershipUpdated:
				t.Fatalf("%s: an organization_membership.updated event for %s; a bulk reassignment has one summary (rule 13.1)", what, x.MembershipID)
			case rbac.EventMembershipsReassigned:
				x.Revision, x.Time, x.EnvironmentID = 0, e.Time, ""
				got = append(got, x)
			}
		}
		equal(t, what+": summary events", got, []rbac.Event{e})
	}

	// The organization role, to viewer: a dry run, then the deletion.
	opt := rbac.DeleteOptions{ReassignTo: "viewer", DryRun: true}
	plan := ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-team", opt))(f)
	checkBulk("dry run of the organization role's deletion", plan, team, rbac.Event{})
	if got := ok(listMemberships(f.ctx, f.s, "prod", rbac.MembershipFilter{Role: "org-team", OrganizationID: "acme"}))(f); len(got) != big {
		t.Fatalf("after the dry run %d memberships hold org-team, want %d", len(got), big)
	}
	opt.DryRun = false
	plan = ok(f.s.DeleteOrganizationRole(f.ctx, "prod", "acme", "org-team", opt))(f)
	checkBulk("organization role deletion", plan, team, rbac.Event{Type: rbac.EventMembershipsReassigned,
		OrganizationID: "acme", RoleSlug: "org-team", ReassignedTo: "viewer", Count: big})
	roles := map[string][]string{}
	for _, m := range ok(listMemberships(f.ctx, f.s, "prod", rbac.MembershipFilter{}))(f) {
		roles[m.ID] = slices.Sorted(slices.Values(m.Roles))
	}
	for _, id := range team {
		want := []string{"viewer"}
		if slices.Contains(withAdmin, id) {
			want = []string{"admin", "viewer"}
		}
		equal(t, "reassigned to viewer: "+id, roles[id], want)
	}
	equal(t, "unaffected member", roles[other.ID], []string{"member"})

	// The environment role viewer, acme's default: its holders in both
	// organizations; acme's default is replaced by member.
	holders := append(slices.Clone(team), globex...)
	slices.Sort(holders)
	plan = ok(f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{ReplacementDefault: "member", DryRun: true}))(f)
	checkBulk("dry run of the environment role's deletion", plan, holders, rbac.Event{})
	plan = ok(f.s.DeleteRole(f.ctx, "prod", "viewer", rbac.DeleteOptions{ReplacementDefault: "member"}))(f)
	checkBulk("environment role deletion", plan, holders, rbac.Event{Type: rbac.EventMembershipsReassigned,
		RoleSlug: "viewer", Count: len(holders)})
	all := ok(listMemberships(f.ctx, f.s, "prod", rbac.MembershipFilter{}))(f)
	if len(all) != big+11 {
		t.Fatalf("I8: %d memberships after the reassignments, want %d", len(all), big+11)
	}
	for _, m := range all {
		want := []string{"member"} // the effective default of both
		if slices.Contains(withAdmin, m.ID) {
			want = []string{"admin"} // kept a role
		}
		equal(t, "reassigned from viewer: "+m.ID, m.Roles, want)
	}
}
