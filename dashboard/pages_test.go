package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac"
)

var bg = context.Background()

func memberOf(t *testing.T, svc *rbac.Service, org, user string) rbac.Membership {
	t.Helper()
	m, err := svc.FindMembership(bg, testEnv, org, user)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func orgOrder(t *testing.T, svc *rbac.Service, org string) rbac.Settings {
	t.Helper()
	st, err := svc.OrganizationSettings(bg, testEnv, org)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPermissionPages(t *testing.T) {
	c, svc := signedIn(t)
	r := c.get(prefix + "permissions")
	wantStatus(t, r, http.StatusOK, "permissions")
	wantText(t, r, "permissions", "billing:manage", "Manage billing", "Change the plan and see invoices", "videos:view")

	r = c.post(prefix+"permissions", form("slug", "reports:read", "name", "Read reports", "description", "Monthly"))
	wantStatus(t, r, http.StatusSeeOther, "create a permission")
	wantText(t, c.follow(r), "after creating", "Permission reports:read created.", "Read reports")
	if p, err := svc.GetPermission(bg, testEnv, "reports:read"); err != nil || p.Name != "Read reports" || p.Description != "Monthly" {
		t.Fatalf("stored permission %+v, %v", p, err)
	}

	r = c.get(prefix + "permission" + q("slug", "reports:read"))
	wantStatus(t, r, http.StatusOK, "edit page")
	wantText(t, r, "edit page", "Edit permission reports:read")
	r = c.post(prefix+"permission"+q("slug", "reports:read"), form("name", "Read all reports", "description", ""))
	wantStatus(t, r, http.StatusSeeOther, "save a permission")
	if p, _ := svc.GetPermission(bg, testEnv, "reports:read"); p.Name != "Read all reports" || p.Description != "" {
		t.Fatalf("stored permission after edit %+v", p)
	}

	// Deleting shows which roles lose it, then deletes it from them.
	r = c.get(prefix + "permission/delete" + q("slug", "billing:manage"))
	wantStatus(t, r, http.StatusOK, "delete page")
	wantText(t, r, "delete page", "It is removed from these 1 roles:", "admin (environment role)")
	if _, err := svc.GetPermission(bg, testEnv, "billing:manage"); err != nil {
		t.Fatal("the delete page deleted the permission")
	}
	r = c.post(prefix+"permission/delete"+q("slug", "billing:manage"), nil)
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantText(t, c.follow(r), "after delete", "Permission billing:manage deleted; 1 roles no longer grant it.")
	admin, _ := svc.GetRole(bg, testEnv, "admin")
	if slices.Contains(admin.Permissions, "billing:manage") {
		t.Error("admin still grants the deleted permission")
	}
}

func TestEnvironmentRolePages(t *testing.T) {
	c, svc := signedIn(t)
	r := c.get(prefix + "roles")
	wantStatus(t, r, http.StatusOK, "roles")
	wantText(t, r, "roles", "1 Admin Everything admin", "2 Member Default member", "Multiple roles are off")

	r = c.post(prefix+"roles", form("slug", "auditor", "name", "Auditor", "description", "Reads", "permissions", "videos:view"))
	wantStatus(t, r, http.StatusSeeOther, "create")
	r = c.follow(r)
	wantText(t, r, "after create", "Role auditor created at the bottom of the priority order.", "3 Auditor")
	env, _ := svc.GetEnvironment(bg, testEnv)
	if !slices.Equal(env.PriorityOrder, []string{"admin", "member", "auditor"}) {
		t.Fatalf("order %v", env.PriorityOrder)
	}

	r = c.post(prefix+"priority-order", form("order", "admin,member,auditor", "role", "auditor", "dir", "up"))
	wantStatus(t, r, http.StatusSeeOther, "move up")
	env, _ = svc.GetEnvironment(bg, testEnv)
	if !slices.Equal(env.PriorityOrder, []string{"admin", "auditor", "member"}) {
		t.Fatalf("order after move %v", env.PriorityOrder)
	}
	wantText(t, c.follow(r), "after move", "Role auditor moved up.", "2 Auditor")

	wantStatus(t, c.post(prefix+"default-role", form("role", "auditor")), http.StatusSeeOther, "make default")
	if env, _ = svc.GetEnvironment(bg, testEnv); env.DefaultRole != "auditor" {
		t.Fatalf("default %q", env.DefaultRole)
	}

	wantStatus(t, c.post(prefix+"multiple-roles", form("multiple_roles", "on")), http.StatusSeeOther, "multiple roles on")
	if env, _ = svc.GetEnvironment(bg, testEnv); !env.MultipleRoles {
		t.Fatal("multiple roles are not on")
	}
	wantText(t, c.get(prefix+"roles"), "roles", "Multiple roles are on")
	wantStatus(t, c.post(prefix+"multiple-roles", form("multiple_roles", "off")), http.StatusSeeOther, "multiple roles off")
	if env, _ = svc.GetEnvironment(bg, testEnv); env.MultipleRoles {
		t.Fatal("multiple roles are still on")
	}

	r = c.get(prefix + "role" + q("slug", "auditor"))
	wantStatus(t, r, http.StatusOK, "edit page")
	if !strings.Contains(r.Body, `value="videos:view" checked`) {
		t.Error("the edit page does not check the role's permission")
	}
	r = c.post(prefix+"role"+q("slug", "auditor"), form("name", "Auditors", "description", "", "permissions", "videos:view", "permissions", "videos:create"))
	wantStatus(t, r, http.StatusSeeOther, "save")
	role, _ := svc.GetRole(bg, testEnv, "auditor")
	if diff := cmp.Diff([]string{"videos:create", "videos:view"}, role.Permissions); diff != "" || role.Name != "Auditors" {
		t.Fatalf("saved role %+v: %s", role, diff)
	}
}

// The seed's story at the environment level: deleting a role that is a
// default asks for a replacement before anything changes.
func TestEnvironmentRoleDeletionAsksForAReplacement(t *testing.T) {
	c, svc := signedIn(t)
	if _, err := svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "auditor", Name: "Auditor"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetOrganizationDefaultRole(bg, testEnv, "acme", "auditor"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "carol"} {
		if _, err := svc.UpdateMembershipRoles(bg, testEnv, memberOf(t, svc, "acme", u).ID, []string{"auditor"}); err != nil {
			t.Fatal(err)
		}
	}
	before := revision(t, svc)

	r := c.get(prefix + "role/delete" + q("slug", "auditor"))
	wantStatus(t, r, http.StatusOK, "the first step")
	wantText(t, r, "the first step", "Select a replacement role", `role "auditor" is the default role of 1 organization; name a replacement default role`,
		"It is the default role of 1 organizations: acme", "Nothing changes until you confirm")
	wantNoText(t, r, "the first step", "What the deletion does")
	if strings.Contains(r.Body, `method="post" action="/dashboard/role/delete`) {
		t.Error("the first step already offers to delete")
	}

	// Posting without a replacement is refused with the library's words.
	r = c.post(prefix+"role/delete"+q("slug", "auditor"), nil)
	wantStatus(t, r, http.StatusConflict, "deleting without a replacement")
	wantText(t, r, "deleting without a replacement", "name a replacement default role", "Organizations concerned: acme", "replacement_role_required")
	r = c.get(prefix + "role/delete" + q("slug", "auditor", "replacement_default", "nope"))
	wantStatus(t, r, http.StatusUnprocessableEntity, "an unknown replacement")
	wantText(t, r, "an unknown replacement", "Role 'nope' is not a valid role.")
	if after := revision(t, svc); after != before {
		t.Fatalf("the steps changed the store: revision %d → %d", before, after)
	}

	r = c.get(prefix + "role/delete" + q("slug", "auditor", "replacement_default", "member"))
	wantStatus(t, r, http.StatusOK, "the plan")
	wantText(t, r, "the plan", "What the deletion does", "The default role of 1 organizations becomes member: acme",
		"2 memberships are reassigned", "bob acme auditor", "carol acme auditor", "Delete role auditor")
	if after := revision(t, svc); after != before {
		t.Fatalf("the plan changed the store")
	}

	r = c.post(prefix+"role/delete"+q("slug", "auditor"), form("replacement_default", "member"))
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantText(t, c.follow(r), "after delete", "Role auditor deleted; 2 memberships reassigned. member is now the default role wherever auditor was (1 organizations).")
	if _, err := svc.GetRole(bg, testEnv, "auditor"); err == nil {
		t.Fatal("the role still exists")
	}
	for _, u := range []string{"bob", "carol"} {
		if m := memberOf(t, svc, "acme", u); !slices.Equal(m.Roles, []string{"member"}) {
			t.Errorf("%s has roles %v, want the new default member", u, m.Roles)
		}
	}
	if st := orgOrder(t, svc, "acme"); st.DefaultRole != "member" || slices.Contains(st.PriorityOrder, "auditor") {
		t.Errorf("acme settings %+v", st)
	}

	// A role that is no default anywhere goes after one confirmation.
	if _, err := svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "temp", Name: "Temp"}); err != nil {
		t.Fatal(err)
	}
	r = c.get(prefix + "role/delete" + q("slug", "temp"))
	wantText(t, r, "a role that is no default", "What the deletion does", "0 memberships are reassigned")
	wantNoText(t, r, "a role that is no default", "Select a replacement role")
	wantStatus(t, c.post(prefix+"role/delete"+q("slug", "temp"), nil), http.StatusSeeOther, "delete temp")
}

func TestOrganizationsListSearchAndPages(t *testing.T) {
	c, svc := signedIn(t)
	for i := range 120 {
		if _, err := svc.CreateOrganization(bg, testEnv, rbac.OrganizationInput{ID: fmt.Sprintf("t%03d", i), Name: fmt.Sprintf("Tenant %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r := c.get(prefix + "organizations")
	wantStatus(t, r, http.StatusOK, "first page")
	wantText(t, r, "first page", "Acme Inc acme inherits the environment's", "Globex", "Next page")
	if strings.Contains(r.Body, "t048") || !strings.Contains(r.Body, "t047") {
		t.Error("the first page is not the first 50 by id")
	}
	r = c.get(prefix + "organizations" + q("after", "t047"))
	wantText(t, r, "second page", "t048", "t097", "First page", "Next page")
	wantNoText(t, r, "second page", "t047 ", "t098")
	if !strings.Contains(r.Body, `href="/dashboard/organizations?before=t048" rel="prev">Previous page`) {
		t.Error("the second page has no link to the previous one")
	}
	r = c.get(prefix + "organizations" + q("before", "t048"))
	wantText(t, r, "the page before the second", "Acme Inc", "t047", "Next page")
	wantNoText(t, r, "the page before the second", "t048", "Previous page")
	r = c.get(prefix + "organizations" + q("after", "t097"))
	wantText(t, r, "last page", "t098", "t119")
	wantNoText(t, r, "last page", "Next page")

	r = c.get(prefix + "organizations" + q("q", "ACME"))
	wantText(t, r, "search by name", "Acme Inc")
	wantNoText(t, r, "search by name", "Globex", "Tenant")
	r = c.get(prefix + "organizations" + q("q", "t11"))
	wantText(t, r, "search by id", "Tenant 110", "Tenant 119")
	wantNoText(t, r, "search by id", "Tenant 109", "Next page")
	r = c.get(prefix + "organizations" + q("q", "Tenant"))
	wantText(t, r, "a search of several pages", "Tenant 0", "Next page")
	r = c.get(prefix + "organizations" + q("q", "nothing-like-it"))
	wantText(t, r, "no match", "No organization matches “nothing-like-it”.")

	r = c.post(prefix+"organizations", form("id", "initech", "name", "Initech"))
	wantStatus(t, r, http.StatusSeeOther, "create")
	if loc := r.Header.Get("Location"); loc != prefix+"org/roles?org=initech" {
		t.Errorf("after create, redirect to %q", loc)
	}
	if o, err := svc.GetOrganization(bg, testEnv, "initech"); err != nil || o.Name != "Initech" {
		t.Fatalf("stored %+v %v", o, err)
	}
	wantStatus(t, c.get(prefix+"org"+q("org", "initech")), http.StatusSeeOther, "the organization's page")
}

// The seed's story in an organization: create a role, see its slug and
// the organization's own order; a new environment role goes to the
// bottom; make it the default; delete an organization role with a
// reassignment target.
func TestOrganizationRolesTab(t *testing.T) {
	c, svc := signedIn(t)
	r := c.get(prefix + "org/roles" + q("org", "acme"))
	wantStatus(t, r, http.StatusOK, "roles tab")
	wantText(t, r, "roles tab", "This organization inherits the environment's default role (member)",
		"1 Admin Everything admin Environment (inherited)", "2 Member Default member Environment (inherited)", "The role's slug will be org-")

	// The preview button (for browsers without the script) shows the slug.
	r = c.post(prefix+"org/roles"+q("org", "acme"), form("name", "Billing Admin", "slug", "", "preview", "1"))
	wantStatus(t, r, http.StatusOK, "preview from the name")
	wantText(t, r, "preview from the name", "The role's slug will be org-billing-admin-xxxxxx")
	r = c.post(prefix+"org/roles"+q("org", "acme"), form("name", "Billing Admin", "slug", "billing", "preview", "1"))
	wantText(t, r, "preview from a slug", "The role's slug will be org-billing")
	wantNoText(t, r, "preview from a slug", "xxxxxx")
	if _, err := svc.GetOrganizationRole(bg, testEnv, "acme", "org-billing"); err == nil {
		t.Fatal("a preview created the role")
	}

	r = c.post(prefix+"org/roles"+q("org", "acme"), form("name", "Billing Admin", "slug", "billing-admin", "permissions", "billing:manage"))
	wantStatus(t, r, http.StatusSeeOther, "create")
	r = c.follow(r)
	wantText(t, r, "after create", "Role org-billing-admin created at the bottom of this organization's priority order.",
		"This organization has its own default role (member)", "3 Billing Admin org-billing-admin Organization billing:manage")
	st := orgOrder(t, svc, "acme")
	if st.Inherited || !slices.Equal(st.PriorityOrder, []string{"admin", "member", "org-billing-admin"}) {
		t.Fatalf("acme settings %+v", st)
	}

	// A role created from a name alone gets a generated slug.
	r = c.follow(c.post(prefix+"org/roles"+q("org", "acme"), form("name", "Support Staff")))
	wantText(t, r, "generated slug", "Role org-support-staff-")

	// A new environment role goes to the bottom of the organization's order.
	wantStatus(t, c.post(prefix+"roles", form("slug", "auditor", "name", "Auditor")), http.StatusSeeOther, "environment role")
	r = c.get(prefix + "org/roles" + q("org", "acme"))
	wantText(t, r, "after the environment role", "5 Auditor auditor Environment (inherited)")

	order := strings.Join(orgOrder(t, svc, "acme").PriorityOrder, ",")
	wantStatus(t, c.post(prefix+"org/priority-order"+q("org", "acme"), form("order", order, "role", "org-billing-admin", "dir", "up")),
		http.StatusSeeOther, "move up")
	if got := orgOrder(t, svc, "acme").PriorityOrder; got[1] != "org-billing-admin" {
		t.Fatalf("order after move %v", got)
	}
	if env, _ := svc.GetEnvironment(bg, testEnv); env.PriorityOrder[1] != "member" {
		t.Fatalf("moving in the organization changed the environment order %v", env.PriorityOrder)
	}

	wantStatus(t, c.post(prefix+"org/default-role"+q("org", "acme"), form("role", "auditor")), http.StatusSeeOther, "make default")
	if st := orgOrder(t, svc, "acme"); st.DefaultRole != "auditor" {
		t.Fatalf("default %q", st.DefaultRole)
	}
	wantText(t, c.get(prefix+"org/roles"+q("org", "acme")), "after default", "Auditor Default auditor")

	r = c.get(prefix + "org/role" + q("org", "acme", "role", "org-billing-admin"))
	wantStatus(t, r, http.StatusOK, "edit page")
	wantStatus(t, c.post(prefix+"org/role"+q("org", "acme", "role", "org-billing-admin"), form("name", "Billing", "description", "Pays")),
		http.StatusSeeOther, "save")
	if role, _ := svc.GetOrganizationRole(bg, testEnv, "acme", "org-billing-admin"); role.Name != "Billing" || len(role.Permissions) != 0 {
		t.Fatalf("saved %+v", role)
	}
	// An environment role's edit link from the tab goes to the environment.
	r = c.get(prefix + "org/role" + q("org", "acme", "role", "admin"))
	wantStatus(t, r, http.StatusSeeOther, "editing an environment role from an organization")

	// Deleting a role members hold asks for a reassignment target.
	bob := memberOf(t, svc, "acme", "bob")
	if _, err := svc.UpdateMembershipRoles(bg, testEnv, bob.ID, []string{"org-billing-admin"}); err != nil {
		t.Fatal(err)
	}
	before := revision(t, svc)
	r = c.get(prefix + "org/role/delete" + q("org", "acme", "role", "org-billing-admin"))
	wantStatus(t, r, http.StatusOK, "delete step")
	wantText(t, r, "delete step", "Select a replacement role", `role "org-billing-admin" is assigned to 1 membership; name a role to reassign them to`)
	r = c.post(prefix+"org/role/delete"+q("org", "acme", "role", "org-billing-admin"), nil)
	wantStatus(t, r, http.StatusConflict, "delete without a target")
	wantText(t, r, "delete without a target", "role_has_assignments")
	r = c.get(prefix + "org/role/delete" + q("org", "acme", "role", "org-billing-admin", "reassign_to", "admin"))
	wantText(t, r, "delete plan", "1 memberships are reassigned to admin", "bob acme org-billing-admin")
	if after := revision(t, svc); after != before {
		t.Fatal("the steps changed the store")
	}
	r = c.post(prefix+"org/role/delete"+q("org", "acme", "role", "org-billing-admin"), form("reassign_to", "admin"))
	wantStatus(t, r, http.StatusSeeOther, "delete")
	wantText(t, c.follow(r), "after delete", "Role org-billing-admin deleted; 1 memberships and 0 group mappings moved to admin.")
	if m := memberOf(t, svc, "acme", "bob"); !slices.Equal(m.Roles, []string{"admin"}) {
		t.Errorf("bob has %v, want admin", m.Roles)
	}
	// Environment roles are not deleted from an organization.
	wantStatus(t, c.get(prefix+"org/role/delete"+q("org", "acme", "role", "admin")), http.StatusNotFound, "an environment role")
}

func TestMembersTab(t *testing.T) {
	c, svc := signedIn(t)
	r := c.get(prefix + "org/members" + q("org", "acme"))
	wantStatus(t, r, http.StatusOK, "members")
	wantText(t, r, "members", "alice", "active", "bob", "carol")
	wantNoText(t, r, "members", "dave")

	r = c.post(prefix+"org/members"+q("org", "acme"), form("user_id", "erin", "roles", "", "status", "pending"))
	wantStatus(t, r, http.StatusSeeOther, "add")
	wantText(t, c.follow(r), "after add", "erin is a member with the role member.")
	erin := memberOf(t, svc, "acme", "erin")
	if erin.Status != rbac.StatusPending || erin.Role != "member" {
		t.Fatalf("erin %+v", erin)
	}
	path := func(p, id string) string { return prefix + p + q("org", "acme", "m", id) }
	wantStatus(t, c.post(path("org/member/status", erin.ID), form("action", "accept")), http.StatusSeeOther, "accept")
	wantStatus(t, c.post(path("org/member/status", erin.ID), form("action", "deactivate")), http.StatusSeeOther, "deactivate")
	if m := memberOf(t, svc, "acme", "erin"); m.Status != rbac.StatusInactive {
		t.Fatalf("erin is %s", m.Status)
	}
	wantText(t, c.get(prefix+"org/members"+q("org", "acme")), "an inactive member", "erin", "inactive", "Reactivate")
	wantStatus(t, c.post(path("org/member/status", erin.ID), form("action", "reactivate")), http.StatusSeeOther, "reactivate")
	wantStatus(t, c.post(path("org/member/roles", erin.ID), form("roles", "admin")), http.StatusSeeOther, "change role")
	if m := memberOf(t, svc, "acme", "erin"); m.Status != rbac.StatusActive || m.Role != "admin" {
		t.Fatalf("erin %+v", m)
	}

	// With multiple roles on, the tab offers every role.
	if _, err := svc.SetMultipleRoles(bg, testEnv, true); err != nil {
		t.Fatal(err)
	}
	r = c.get(prefix + "org/members" + q("org", "acme"))
	if !strings.Contains(r.Body, `type="checkbox" name="roles" value="admin" checked`) {
		t.Error("multiple roles: the tab does not offer checkboxes")
	}
	wantStatus(t, c.post(path("org/member/roles", erin.ID), form("roles", "member", "roles", "admin")), http.StatusSeeOther, "two roles")
	if m := memberOf(t, svc, "acme", "erin"); !slices.Equal(m.Roles, []string{"admin", "member"}) {
		t.Fatalf("erin's roles %v", m.Roles)
	}

	r = c.get(path("org/member/remove", erin.ID))
	wantStatus(t, r, http.StatusOK, "remove page")
	wantText(t, r, "remove page", "Remove erin from Acme Inc", "deleted for good")
	wantStatus(t, c.post(path("org/member/remove", erin.ID), nil), http.StatusSeeOther, "remove")
	if _, err := svc.FindMembership(bg, testEnv, "acme", "erin"); err == nil {
		t.Fatal("erin is still a member")
	}
}

func TestMembersPages(t *testing.T) {
	c, svc := signedIn(t)
	for i := range 60 {
		if _, err := svc.CreateMembership(bg, testEnv, rbac.MembershipInput{OrganizationID: "globex", UserID: fmt.Sprintf("user%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r := c.get(prefix + "org/members" + q("org", "globex"))
	if n := strings.Count(r.Body, `data-user="`); n != 50 {
		t.Fatalf("first page lists %d members, want 50", n)
	}
	i := strings.Index(r.Body, `rel="next"`)
	j := strings.LastIndex(r.Body[:i], `href="`)
	next := strings.ReplaceAll(r.Body[j+len(`href="`):i-2], "&amp;", "&")
	r = c.get(next)
	if n := strings.Count(r.Body, `data-user="`); n != 11 {
		t.Fatalf("second page lists %d members, want 11", n)
	}
	wantText(t, r, "second page", "First page")
	wantNoText(t, r, "second page", "Next page")
}

func TestGroupsTab(t *testing.T) {
	c, svc := signedIn(t)
	r := c.get(prefix + "org/groups" + q("org", "acme"))
	wantStatus(t, r, http.StatusOK, "groups")
	wantText(t, r, "groups", "No group is mapped.")
	r = c.post(prefix+"org/groups"+q("org", "acme"), form("source", "directory", "group_id", "engineering", "role", "admin"))
	wantStatus(t, r, http.StatusSeeOther, "map")
	wantText(t, c.follow(r), "after map", "The directory group engineering maps to admin.", "Directory Sync engineering admin")
	ms, _ := svc.ListGroupMappings(bg, testEnv, "acme", rbac.ListOptions{})
	if len(ms.Data) != 1 || ms.Data[0].GroupID != "engineering" || ms.Data[0].Role != "admin" {
		t.Fatalf("mappings %+v", ms)
	}
	wantStatus(t, c.post(prefix+"org/group/delete"+q("org", "acme"), form("source", "directory", "group_id", "engineering")), http.StatusSeeOther, "delete")
	if ms, _ := svc.ListGroupMappings(bg, testEnv, "acme", rbac.ListOptions{}); len(ms.Data) != 0 {
		t.Fatalf("mappings after delete %+v", ms)
	}
}

// Every form refused by the library shows the library's words where the
// form is, with the field at fault marked, and changes nothing.
func TestFormErrors(t *testing.T) {
	type tc struct {
		name   string
		path   string
		form   url.Values
		status int
		says   []string
		field  string // the field marked invalid, if any
	}
	acme := func(p string, kv ...string) string { return prefix + p + q(append([]string{"org", "acme"}, kv...)...) }
	setup := func(t *testing.T, svc *rbac.Service) map[string]string {
		if _, err := svc.CreatePermission(bg, testEnv, rbac.PermissionInput{Slug: "sys:root", Name: "Root", System: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateOrganizationRole(bg, testEnv, "acme", rbac.RoleInput{Slug: "org-held", Name: "Held"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateMembership(bg, testEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "pat", Status: rbac.StatusPending, Roles: []string{"org-held"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateGroupMapping(bg, testEnv, "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "eng", Role: "admin"}); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"bob": memberOf(t, svc, "acme", "bob").ID, "pat": memberOf(t, svc, "acme", "pat").ID,
			"dave": memberOf(t, svc, "globex", "dave").ID}
	}
	cases := func(ids map[string]string) []tc {
		return []tc{
			{"permission slug", prefix + "permissions", form("slug", "Bad Slug", "name", "X"), 422, []string{`permission slug "Bad Slug" has the character 'B', which is not allowed`}, "slug"},
			{"permission taken", prefix + "permissions", form("slug", "videos:view", "name", "X"), 409, []string{`a permission with slug "videos:view" already exists`, "permission_slug_conflict"}, ""},
			{"permission without name", prefix + "permissions", form("slug", "a:b", "name", ""), 422, []string{"name is required"}, "name"},
			{"permission name too long", prefix + "permission" + q("slug", "videos:view"), form("name", strings.Repeat("n", 49)), 422, []string{"name has 49 characters, more than 48"}, "name"},
			{"unknown permission", prefix + "permission" + q("slug", "nope:x"), form("name", "X"), 404, []string{`permission "nope:x" not found`}, ""},
			{"system permission", prefix + "permission/delete" + q("slug", "sys:root"), nil, 409, []string{`permission "sys:root" is a system permission and cannot be deleted`}, ""},
			{"role slug org-", prefix + "roles", form("slug", "org-x", "name", "X"), 422, []string{`environment role slug "org-x" begins with "org-", which is reserved for organization roles`, `must not begin with "org-"`}, "slug"},
			{"role taken", prefix + "roles", form("slug", "admin", "name", "X"), 409, []string{`an environment role with slug "admin" already exists`}, ""},
			{"role with unknown permission", prefix + "roles", form("slug", "x", "name", "X", "permissions", "nope:x"), 422, []string{`permission "nope:x" does not exist`}, "permissions"},
			{"role description too long", prefix + "role" + q("slug", "admin"), form("name", "Admin", "description", strings.Repeat("d", 151)), 422, []string{"description has 151 characters, more than 150"}, "description"},
			{"stale order", prefix + "priority-order", form("order", "member,admin", "role", "admin", "dir", "up"), 409, []string{"The priority order changed since this page was shown; nothing was changed."}, ""},
			{"impossible move", prefix + "priority-order", form("order", "admin,member", "role", "admin", "dir", "up"), 422, []string{"That role cannot move that way; nothing was changed."}, ""},
			{"unknown default", prefix + "default-role", form("role", "nope"), 422, []string{"Role 'nope' is not a valid role."}, ""},
			{"delete the default", prefix + "role/delete" + q("slug", "member"), nil, 409, []string{`role "member" is the environment default role and the default of 1 organization; name a replacement default role`}, ""},
			{"replace with itself", prefix + "role/delete" + q("slug", "member"), form("replacement_default", "member"), 422, []string{"Role 'member' is not a valid role.", "must be another environment role"}, "replacement_default"},
			{"unknown role", prefix + "role" + q("slug", "nope"), form("name", "X"), 404, []string{`environment role "nope" not found`}, ""},
			{"organization taken", prefix + "organizations", form("id", "acme", "name", "X"), 409, []string{`organization "acme" already exists`}, ""},
			{"organization id", prefix + "organizations", form("id", "a\tb", "name", "X"), 422, []string{`id "a\tb" has the character U+0009, which ids may not hold`}, "id"},
			{"organization role without name", acme("org/roles"), form("name", ""), 422, []string{"name is required"}, "name"},
			{"organization role slug", acme("org/roles"), form("name", "X", "slug", "Bad"), 422, []string{`role slug "org-Bad" has the character 'B', which is not allowed`}, "slug"},
			{"organization role taken", acme("org/roles"), form("name", "X", "slug", "held"), 409, []string{`organization "acme" already has a role with slug "org-held"`, "organization_role_slug_conflict"}, ""},
			{"unknown organization", prefix + "org/roles" + q("org", "nope"), form("name", "X"), 404, []string{`organization "nope" not found`}, ""},
			{"organization default unknown", acme("org/default-role"), form("role", "org-nope"), 422, []string{"Role 'org-nope' is not a valid role."}, ""},
			{"organization stale order", acme("org/priority-order"), form("order", "member,admin,org-held", "role", "admin", "dir", "up"), 409, []string{"The priority order changed since this page was shown"}, ""},
			{"held role without target", acme("org/role/delete", "role", "org-held"), nil, 409, []string{`role "org-held" is assigned to 1 membership; name a role to reassign them to`}, ""},
			{"held role to unknown target", acme("org/role/delete", "role", "org-held"), form("reassign_to", "org-nope"), 422, []string{"Role 'org-nope' is not a valid role."}, "reassign_to"},
			{"member with unknown role", acme("org/members"), form("user_id", "zed", "roles", "nope"), 422, []string{"Role 'nope' is not a valid role."}, "role"},
			{"member twice", acme("org/members"), form("user_id", "bob"), 409, []string{`user "bob" already has an active membership in organization "acme"`}, ""},
			{"two roles in single-role mode", acme("org/members"), form("user_id", "zed", "roles", "admin", "roles", "member"), 422, []string{"Multiple roles are not enabled for this environment; give exactly one role."}, "roles"},
			{"member without user", acme("org/members"), form("user_id", ""), 422, []string{"user_id is required"}, "user_id"},
			{"no roles", acme("org/member/roles", "m", ids["bob"]), nil, 422, []string{"give at least one role"}, ""},
			{"reactivate pending", acme("org/member/status", "m", ids["pat"]), form("action", "reactivate"), 409, []string{"is pending and cannot be reactivated"}, ""},
			{"deactivate pending", acme("org/member/status", "m", ids["pat"]), form("action", "deactivate"), 409, []string{"is pending and cannot be deactivated"}, ""},
			{"unknown action", acme("org/member/status", "m", ids["bob"]), form("action", "promote"), 422, []string{`unknown action "promote"`}, ""},
			{"another organization's member", acme("org/member/roles", "m", ids["dave"]), form("roles", "admin"), 404, []string{`not found in organization "acme"`}, ""},
			{"another organization's member removed", acme("org/member/remove", "m", ids["dave"]), nil, 404, []string{`not found in organization "acme"`}, ""},
			{"unknown member", acme("org/member/status", "m", "om_nope"), form("action", "deactivate"), 404, []string{`organization membership "om_nope" not found`}, ""},
			{"mapping source", acme("org/groups"), form("source", "ldap", "group_id", "g", "role", "admin"), 422, []string{`unknown group source "ldap"`}, "source"},
			{"mapping role", acme("org/groups"), form("source", "sso", "group_id", "g", "role", "nope"), 422, []string{"Role 'nope' is not a valid role."}, "role"},
			{"mapping taken", acme("org/groups"), form("source", "sso", "group_id", "eng", "role", "member"), 409, []string{`sso group "eng" of organization "acme" is already mapped to role "admin"`}, ""},
			{"unknown mapping", acme("org/group/delete"), form("source", "sso", "group_id", "nope"), 404, []string{`sso group "nope" of organization "acme" is not mapped`}, ""},
		}
	}
	c, svc := signedIn(t)
	ids := setup(t, svc)
	for _, tc := range cases(ids) {
		t.Run(tc.name, func(t *testing.T) {
			before := revision(t, svc)
			c.get(prefix + "roles") // a fresh token
			r := c.post(tc.path, tc.form)
			wantStatus(t, r, tc.status, tc.name)
			wantText(t, r, tc.name, tc.says...)
			if tc.field != "" && !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="err-`+tc.field) &&
				!strings.Contains(r.Body, `aria-invalid="true" aria-describedby="hint-`+tc.field+` err-`+tc.field) {
				t.Errorf("no field is marked invalid")
			}
			if tc.field != "" && !strings.Contains(r.Body, `id="err-`+tc.field+`"`) {
				t.Errorf("the field %s has no error of its own", tc.field)
			}
			if after := revision(t, svc); after != before {
				t.Errorf("a refused form changed the store: revision %d → %d", before, after)
			}
		})
	}
}

func TestPagesOfMissingThings(t *testing.T) {
	c, _ := signedIn(t)
	for _, p := range []string{"org/roles?org=nope", "org/members?org=nope", "org/groups?org=nope", "role?slug=nope",
		"role/delete?slug=nope", "permission?slug=nope", "permission/delete?slug=nope", "org/role?org=acme&role=org-nope",
		"org/role/delete?org=acme&role=org-nope", "org/member/remove?org=acme&m=om_nope"} {
		r := c.get(prefix + p)
		wantStatus(t, r, http.StatusNotFound, p)
		if !strings.Contains(r.text(), "not found") && !strings.Contains(r.text(), "has no role") {
			t.Errorf("%s: the page does not say what is missing: %.300s", p, r.text())
		}
	}
	wantStatus(t, c.get(prefix+"nope"), http.StatusNotFound, "an unknown page")
	req, _ := http.NewRequest("DELETE", c.base+prefix+"roles", nil)
	wantStatus(t, c.do(req), http.StatusMethodNotAllowed, "DELETE")
}
