package dashboard_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/orgroles/rbac"
)

// manyMembers adds n members to org with the roles given.
func manyMembers(t *testing.T, svc *rbac.Service, org, prefix string, n int, roles ...string) {
	t.Helper()
	for i := range n {
		if _, err := svc.CreateMembership(bg, testEnv, rbac.MembershipInput{OrganizationID: org,
			UserID: fmt.Sprintf("%s%04d", prefix, i), Roles: roles}); err != nil {
			t.Fatal(err)
		}
	}
}

// A role held by more than 100 memberships is planned from listings:
// the page says that it does not count them, and the deletion still
// does what the library does.
func TestDeletingARoleHeldByMany(t *testing.T) {
	c, svc := signedIn(t)
	manyMembers(t, svc, "globex", "g", 101)
	before := revision(t, svc)

	r := c.get(prefix + "role/delete" + q("slug", "member"))
	wantStatus(t, r, http.StatusOK, "the first step")
	wantText(t, r, "the first step", "Select a replacement role", `role "member" is the environment default role; name a replacement default role`)
	wantNoText(t, r, "the first step", "What the deletion does")

	r = c.get(prefix + "role/delete" + q("slug", "member", "replacement_default", "nope"))
	wantStatus(t, r, http.StatusUnprocessableEntity, "an unknown replacement")
	wantText(t, r, "an unknown replacement", "Role 'nope' is not a valid role.")

	r = c.get(prefix + "role/delete" + q("slug", "member", "replacement_default", "admin"))
	wantStatus(t, r, http.StatusOK, "the plan")
	wantText(t, r, "the plan", "The environment's default role becomes admin.", "More than 100 memberships hold the role",
		"The first 20 are listed below", "Memberships reassigned (the first 20)", "Delete role member")
	if after := revision(t, svc); after != before {
		t.Fatalf("the steps changed the store")
	}
	r = c.post(prefix+"role/delete"+q("slug", "member"), form("replacement_default", "admin"))
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantText(t, c.follow(r), "after delete", "Role member deleted; 104 memberships reassigned.")
	if m := memberOf(t, svc, "globex", "g0100"); m.Role != "admin" {
		t.Errorf("g0100 has %v, want the new default admin", m.Roles)
	}

	// An organization role held by many, with a target.
	if _, err := svc.CreateOrganizationRole(bg, testEnv, "globex", rbac.RoleInput{Slug: "org-ops", Name: "Ops"}); err != nil {
		t.Fatal(err)
	}
	manyMembers(t, svc, "globex", "ops", 101, "org-ops")
	r = c.get(prefix + "org/role/delete" + q("org", "globex", "role", "org-ops"))
	wantText(t, r, "the org role's first step", "Select a replacement role", `role "org-ops" is assigned to 101 memberships`)
	r = c.get(prefix + "org/role/delete" + q("org", "globex", "role", "org-ops", "reassign_to", "org-nope"))
	wantStatus(t, r, http.StatusUnprocessableEntity, "an unknown target")
	r = c.get(prefix + "org/role/delete" + q("org", "globex", "role", "org-ops", "reassign_to", "admin"))
	wantStatus(t, r, http.StatusOK, "the org role's plan")
	wantText(t, r, "the org role's plan", "More than 100 memberships hold the role", "every one of them is reassigned to admin")
	r = c.post(prefix+"org/role/delete"+q("org", "globex", "role", "org-ops"), form("reassign_to", "admin"))
	wantStatus(t, r, http.StatusSeeOther, "delete the org role")
	wantText(t, c.follow(r), "after deleting the org role", "Role org-ops deleted; 101 memberships and 0 group mappings moved to admin.")

	// A role held by many that is no default needs no replacement.
	if _, err := svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "heavy", Name: "Heavy"}); err != nil {
		t.Fatal(err)
	}
	manyMembers(t, svc, "acme", "h", 101, "heavy")
	r = c.get(prefix + "role/delete" + q("slug", "heavy"))
	wantStatus(t, r, http.StatusOK, "a heavy role that is no default")
	wantText(t, r, "a heavy role that is no default", "More than 100 memberships hold the role", "Delete role heavy")
	wantNoText(t, r, "a heavy role that is no default", "Select a replacement role")
}
