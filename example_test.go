package rbac_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// newService returns a Service on an empty in-memory store whose ids, slug
// suffixes and clock are reproducible, so the examples print the same thing
// on every run.
func newService() *rbac.Service {
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	return rbac.New(memstore.New(),
		rbac.WithRand(rand.NewChaCha8([32]byte{})),
		rbac.WithClock(func() time.Time { return clock }))
}

// must stops the example on an unexpected error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// setup creates the environment "production" with three permissions, the
// seeded role "member" (videos:view) and "admin" (everything) above it, and
// the organization "acme", which inherits the environment's settings.
func setup(ctx context.Context, s *rbac.Service) {
	must(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}))
	for _, p := range []string{"videos:view", "videos:create", "billing:manage"} {
		must(s.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: p, Name: p}))
	}
	must(s.UpdateRole(ctx, "production", "member", rbac.RoleUpdate{Permissions: &[]string{"videos:view"}}))
	must(s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "admin", Name: "Admin",
		Permissions: []string{"videos:view", "videos:create", "billing:manage"}}))
	must(s.SetPriorityOrder(ctx, "production", []string{"admin", "member"}))
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme", Name: "Acme Inc."}))
}

// The story of the WorkOS organization-roles guide, end to end: an
// organization gets a custom role and with it its own default role and
// priority order; a new environment role lands at the bottom of that order;
// deleting an environment role that is an organization's default needs a
// replacement, which the organization's members are moved to.
func Example_tour() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex"}))

	// By default an organization inherits the environment's roles, default
	// role and priority order.
	st := must(s.OrganizationSettings(ctx, "production", "acme"))
	fmt.Println("acme:", st.DefaultRole, st.PriorityOrder, "inherited:", st.Inherited)

	// The first organization role gives acme its own default and order:
	// the environment's, with the new role at the bottom. The slug gets the
	// "org-" prefix.
	r := must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{
		Slug: "billing-admin", Name: "Billing admin", Permissions: []string{"videos:view", "billing:manage"}}))
	fmt.Println("created", r.Slug, "of", r.OrganizationID)
	st = must(s.OrganizationSettings(ctx, "production", "acme"))
	fmt.Println("acme:", st.DefaultRole, st.PriorityOrder, "inherited:", st.Inherited)
	st = must(s.OrganizationSettings(ctx, "production", "globex"))
	fmt.Println("globex:", st.DefaultRole, st.PriorityOrder, "inherited:", st.Inherited)

	// A new environment role is visible everywhere and lands at the bottom
	// of the environment order and of acme's own order.
	must(s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "viewer", Name: "Viewer", Permissions: []string{"videos:view"}}))
	env := must(s.GetEnvironment(ctx, "production"))
	fmt.Println("environment order:", env.PriorityOrder)
	st = must(s.OrganizationSettings(ctx, "production", "acme"))
	fmt.Println("acme order:", st.PriorityOrder)

	// acme makes viewer its default; new members get it.
	must(s.SetOrganizationDefaultRole(ctx, "production", "acme", "viewer"))
	for _, u := range []string{"user_carol", "user_dave"} {
		m := must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: u}))
		fmt.Println(m.UserID, "joins acme as", m.Role)
	}

	// Deleting viewer needs a replacement default, because it is acme's.
	_, err := s.DeleteRole(ctx, "production", "viewer", rbac.DeleteOptions{})
	var e *rbac.Error
	if errors.As(err, &e) && errors.Is(err, rbac.ErrReplacementRequired) {
		fmt.Println("delete viewer:", e.Code, "for", e.Organizations)
	}

	// With one, acme's default becomes member and so do its members' roles.
	plan := must(s.DeleteRole(ctx, "production", "viewer", rbac.DeleteOptions{ReplacementDefault: "member"}))
	fmt.Println("deleted", plan.Role, "defaults replaced in", plan.DefaultsReplaced, "members moved:", plan.MembershipCount)
	st = must(s.OrganizationSettings(ctx, "production", "acme"))
	fmt.Println("acme:", st.DefaultRole, st.PriorityOrder)
	m := must(s.FindMembership(ctx, "production", "acme", "user_carol"))
	fmt.Println("user_carol is now", m.Role)
	// Output:
	// acme: member [admin member] inherited: true
	// created org-billing-admin of acme
	// acme: member [admin member org-billing-admin] inherited: false
	// globex: member [admin member] inherited: true
	// environment order: [admin member viewer]
	// acme order: [admin member org-billing-admin viewer]
	// user_carol joins acme as viewer
	// user_dave joins acme as viewer
	// delete viewer: replacement_role_required for [acme]
	// deleted viewer defaults replaced in [acme] members moved: 2
	// acme: member [admin member org-billing-admin]
	// user_carol is now member
}

// An organization role's slug always begins with "org-". A slug without the
// prefix gets it; without a slug, one is generated from the name with a
// random suffix.
func ExampleService_CreateOrganizationRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)

	r := must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{
		Slug: "auditor", Name: "Auditor", Permissions: []string{"videos:view"}}))
	fmt.Println(r.Slug, r.Type, r.Permissions)

	r = must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Name: "Billing Admin (EU)"}))
	fmt.Println(r.Slug) // the suffix is random; newService makes it reproducible

	// The same slug in the same organization is a conflict; in another
	// organization it is fine.
	_, err := s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Slug: "org-auditor", Name: "Auditor"})
	fmt.Println(errors.Is(err, rbac.ErrOrganizationRoleSlugConflict))

	// The organization now has its own order, with its roles at the bottom.
	for _, r := range must(s.ListOrganizationRoles(ctx, "production", "acme", rbac.ListOptions{})).Data {
		fmt.Println(r.Type, r.Slug)
	}
	// Output:
	// org-auditor OrganizationRole [videos:view]
	// org-billing-admin-eu-3osdt9
	// true
	// EnvironmentRole admin
	// EnvironmentRole member
	// OrganizationRole org-auditor
	// OrganizationRole org-billing-admin-eu-3osdt9
}

// A new environment role is appended to the environment order and to the
// order of every organization that has its own.
func ExampleService_CreateRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.SetOrganizationDefaultRole(ctx, "production", "acme", "member")) // acme now has its own order

	must(s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "support", Name: "Support", Permissions: []string{"videos:view"}}))
	fmt.Println(must(s.GetEnvironment(ctx, "production")).PriorityOrder)
	fmt.Println(must(s.OrganizationSettings(ctx, "production", "acme")).PriorityOrder)

	// "org-" is reserved for organization roles.
	_, err := s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "org-support", Name: "Support"})
	var e *rbac.Error
	errors.As(err, &e)
	fmt.Println(e.Kind, e.Field, e.Rule)
	// Output:
	// [admin member support]
	// [admin member support]
	// invalid slug must not begin with "org-"
}

// Deleting an environment role that is a default needs a replacement. A dry
// run reports what the deletion would change; the real one changes it all
// in one step.
func ExampleService_DeleteRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "guest", Name: "Guest"}))
	must(s.SetOrganizationDefaultRole(ctx, "production", "acme", "guest"))
	must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "user_1"}))
	must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "user_2", Roles: []string{"admin"}}))

	_, err := s.DeleteRole(ctx, "production", "guest", rbac.DeleteOptions{})
	fmt.Println(err)

	plan := must(s.DeleteRole(ctx, "production", "guest", rbac.DeleteOptions{ReplacementDefault: "member", DryRun: true}))
	fmt.Println("dry run:", plan.DefaultsReplaced, plan.MembershipCount)
	fmt.Println("still there:", must(s.GetRole(ctx, "production", "guest")).Slug)

	must(s.DeleteRole(ctx, "production", "guest", rbac.DeleteOptions{ReplacementDefault: "member"}))
	for _, m := range must(s.ListMemberships(ctx, "production", rbac.MembershipFilter{OrganizationID: "acme"}, rbac.ListOptions{})).Data {
		fmt.Println(m.UserID, m.Role)
	}
	// Output:
	// rbac: role "guest" is the default role of 1 organization; name a replacement default role (replacement_role_required)
	// dry run: [acme] 1
	// still there: guest
	// user_1 member
	// user_2 admin
}

// An organization role held by members is only deleted with a reassignment
// target, which its members move to.
func ExampleService_DeleteOrganizationRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Slug: "auditor", Name: "Auditor"}))
	m := must(s.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_1", Roles: []string{"org-auditor"}}))

	_, err := s.DeleteOrganizationRole(ctx, "production", "acme", "org-auditor", rbac.DeleteOptions{})
	fmt.Println(errors.Is(err, rbac.ErrRoleHasAssignments))

	must(s.DeleteOrganizationRole(ctx, "production", "acme", "org-auditor", rbac.DeleteOptions{ReassignTo: "member"}))
	fmt.Println(must(s.GetMembership(ctx, "production", m.ID)).Role)
	// Output:
	// true
	// member
}

// A membership without roles gets the organization's default role. Roles
// must be visible in the organization, and one role is the limit until the
// environment's multiple-roles mode is on.
func ExampleService_CreateMembership() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex"}))
	must(s.CreateOrganizationRole(ctx, "production", "globex", rbac.RoleInput{Slug: "auditor", Name: "Auditor"}))

	m := must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "user_1"}))
	fmt.Println(m.Status, m.Role, m.Roles)

	_, err := s.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_2", Roles: []string{"org-auditor"}}) // globex's role
	fmt.Println(err)

	_, err = s.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_2", Roles: []string{"member", "admin"}})
	fmt.Println(errors.Is(err, rbac.ErrMultipleRolesNotEnabled))

	must(s.SetMultipleRoles(ctx, "production", true))
	m = must(s.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_2", Roles: []string{"member", "admin"}}))
	fmt.Println(m.Role, m.Roles)
	// Output:
	// active member [member]
	// rbac: Role 'org-auditor' is not a valid role. (invalid_role)
	// true
	// admin [admin member]
}

// Deactivating a membership keeps its roles but takes its claims away;
// reactivating brings both back.
func ExampleService_DeactivateMembership() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	m := must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "user_1", Roles: []string{"admin"}}))

	m = must(s.DeactivateMembership(ctx, "production", m.ID))
	_, err := s.Claims(ctx, "production", "acme", "user_1")
	fmt.Println(m.Status, m.Role, errors.Is(err, rbac.ErrNotFound))

	m = must(s.ReactivateMembership(ctx, "production", m.ID))
	fmt.Println(m.Status, must(s.Claims(ctx, "production", "acme", "user_1")).Role)
	// Output:
	// inactive admin true
	// active admin
}

// Claims are what a session token carries, with the WorkOS names.
func ExampleService_Claims() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.SetMultipleRoles(ctx, "production", true))
	must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{
		Slug: "billing", Name: "Billing", Permissions: []string{"billing:manage"}}))
	must(s.CreateMembership(ctx, "production", rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_1", Roles: []string{"org-billing", "member"}}))

	c := must(s.Claims(ctx, "production", "acme", "user_1"))
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(c)
	fmt.Println(c.Has("billing:manage"), c.Has("videos:create"))
	// Output:
	// {
	//   "org_id": "acme",
	//   "role": "member",
	//   "roles": [
	//     "member",
	//     "org-billing"
	//   ],
	//   "permissions": [
	//     "billing:manage",
	//     "videos:view"
	//   ]
	// }
	// true false
}

// Can answers a permission check. A user without an active membership can
// do nothing.
func ExampleService_Can() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "user_1"}))

	for _, q := range []struct{ user, perm string }{
		{"user_1", "videos:view"},
		{"user_1", "videos:create"},
		{"user_2", "videos:view"},
	} {
		fmt.Println(q.user, q.perm, must(s.Can(ctx, "production", "acme", q.user, q.perm)))
	}
	// Output:
	// user_1 videos:view true
	// user_1 videos:create false
	// user_2 videos:view false
}

// The first role of a priority order wins: it is the primary role of a
// multi-role membership and the role a member with several mapped groups
// gets.
func ExampleService_ResolveRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	fmt.Println(must(s.ResolveRole(ctx, "production", "acme", []string{"member", "admin"})))

	must(s.SetOrganizationPriorityOrder(ctx, "production", "acme", []string{"member", "admin"}))
	fmt.Println(must(s.ResolveRole(ctx, "production", "acme", []string{"member", "admin"})))
	fmt.Println(must(s.ResolveRole(ctx, "production", "acme", nil))) // no candidates: the default
	// Output:
	// admin
	// member
	// member
}

// Organizations inherit until they have their own settings; from then on
// changes to the environment's default role leave them alone.
func ExampleService_SetOrganizationDefaultRole() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex"}))

	must(s.SetOrganizationDefaultRole(ctx, "production", "acme", "member"))
	must(s.SetDefaultRole(ctx, "production", "admin"))
	for _, org := range []string{"acme", "globex"} {
		st := must(s.OrganizationSettings(ctx, "production", org))
		fmt.Println(org, st.DefaultRole, st.Inherited)
	}
	// Output:
	// acme member false
	// globex admin true
}

// Deleting a permission takes it out of every role that granted it.
func ExampleService_DeletePermission() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{
		Slug: "billing", Name: "Billing", Permissions: []string{"billing:manage"}}))

	plan := must(s.DeletePermission(ctx, "production", "billing:manage", rbac.DeleteOptions{}))
	fmt.Println(plan.Roles)
	fmt.Println(must(s.GetRole(ctx, "production", "admin")).Permissions)
	// Output:
	// [{ admin} {acme org-billing}]
	// [videos:create videos:view]
}

// OnCommit handlers see the events of every committed write, all stamped
// with the revision it committed.
func ExampleService_OnCommit() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	s.OnCommit(func(c rbac.Commit) {
		for _, e := range c.Events {
			fmt.Println(e.Revision, e.Type, e.OrganizationID, e.RoleSlug)
		}
	})
	must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Slug: "auditor", Name: "Auditor"}))
	must(s.UpdateOrganizationRole(ctx, "production", "acme", "org-auditor", rbac.RoleUpdate{Name: rbac.Ptr("Auditors")}))
	// Output:
	// 9 organization_role.created acme org-auditor
	// 10 organization_role.updated acme org-auditor
}

// Every failure is an *rbac.Error with a kind, a WorkOS code where one
// exists and, for invalid input, the field and the rule.
func ExampleError() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	_, err := s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "Admins!", Name: "Admins"})

	var e *rbac.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, e.Code, e.Field)
		fmt.Println(e.Rule)
	}
	fmt.Println(errors.Is(err, rbac.ErrInvalid), rbac.HTTPStatus(err))

	_, err = s.CreateRole(ctx, "production", rbac.RoleInput{Slug: "admin", Name: "Admin"})
	fmt.Println(errors.Is(err, rbac.ErrRoleSlugConflict), errors.Is(err, rbac.ErrConflict), rbac.HTTPStatus(err))
	// Output:
	// invalid invalid slug
	// lowercase letters, digits, '-' and '_' only
	// true 422
	// true true 409
}

func ExampleValidateRoleSlug() {
	for _, s := range []string{"billing-admin", "billing--admin", "-admin", "Admin", "a_b_c"} {
		fmt.Printf("%q: %v\n", s, rbac.ValidateRoleSlug(s))
	}
	// Output:
	// "billing-admin": <nil>
	// "billing--admin": rbac: role slug "billing--admin" has a leading or doubled separator
	// "-admin": rbac: role slug "-admin" has a leading or doubled separator
	// "Admin": rbac: role slug "Admin" has the character 'A', which is not allowed
	// "a_b_c": <nil>
}

func ExampleValidatePermissionSlug() {
	for _, s := range []string{"videos:create", "billing.*", "Videos:Create"} {
		fmt.Println(s, rbac.ValidatePermissionSlug(s) == nil)
	}
	// Output:
	// videos:create true
	// billing.* true
	// Videos:Create false
}

func ExampleOrganizationRoleSlug() {
	fmt.Println(rbac.OrganizationRoleSlug("billing-admin"))
	fmt.Println(rbac.OrganizationRoleSlug("org-billing-admin"))
	// Output:
	// org-billing-admin
	// org-billing-admin
}

func ExampleGenerateOrganizationRoleSlug() {
	fmt.Println(rbac.GenerateOrganizationRoleSlug("Billing Admin (EU)", "x7k2q9"))
	fmt.Println(rbac.GenerateOrganizationRoleSlug("  Über -- Admin__ ", "x7k2q9"))
	fmt.Println(rbac.GenerateOrganizationRoleSlug("日本語", "x7k2q9"))
	// Output:
	// org-billing-admin-eu-x7k2q9
	// org-ber-admin-x7k2q9
	// org-x7k2q9
}

func ExampleResolve() {
	order := []string{"admin", "member", "org-billing"}
	fmt.Println(rbac.Resolve(order, []string{"org-billing", "member"}))
	// Output:
	// member
}
