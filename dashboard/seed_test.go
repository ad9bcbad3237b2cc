package dashboard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/dashboard"
	"github.com/orgroles/rbac/memstore"
)

// The test data: an environment with permissions, the roles admin and
// member, and two organizations with members.
const (
	testEnv = "production"
	testKey = "sk_test_dashboard"
	prefix  = "/dashboard/"
)

func seed(t testing.TB) *rbac.Service {
	t.Helper()
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: testEnv, Name: "Production"}))
	for _, p := range []rbac.PermissionInput{
		{Slug: "videos:view", Name: "View videos"},
		{Slug: "videos:create", Name: "Create videos"},
		{Slug: "billing:manage", Name: "Manage billing", Description: "Change the plan and see invoices"},
	} {
		must(svc.CreatePermission(ctx, testEnv, p))
	}
	must(svc.UpdateRole(ctx, testEnv, "member", rbac.RoleUpdate{Permissions: &[]string{"videos:view"}}))
	must(svc.CreateRole(ctx, testEnv, rbac.RoleInput{Slug: "admin", Name: "Admin", Description: "Everything",
		Permissions: []string{"billing:manage", "videos:create", "videos:view"}}))
	must(svc.SetPriorityOrder(ctx, testEnv, []string{"admin", "member"}))
	must(svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: "acme", Name: "Acme Inc"}))
	must(svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: "globex", Name: "Globex"}))
	for _, m := range []rbac.MembershipInput{
		{OrganizationID: "acme", UserID: "alice", Roles: []string{"admin"}},
		{OrganizationID: "acme", UserID: "bob"},
		{OrganizationID: "acme", UserID: "carol"},
		{OrganizationID: "globex", UserID: "dave"},
	} {
		must(svc.CreateMembership(ctx, testEnv, m))
	}
	return svc
}

// keyHandler is the Dashboard as `rbac serve` mounts it: the key sign-in
// under /dashboard/.
func keyHandler(svc *rbac.Service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(prefix, dashboard.New(svc, dashboard.Options{Prefix: prefix, APIKeys: map[string]string{testKey: testEnv}}))
	return mux
}
