package rbac_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// Checks and claims from memory: a write through the Service is visible to
// the authorizer when the write call returns.
func ExampleNewAuthorizer() {
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"})
	svc.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: "docs:read", Name: "Read documents"})
	svc.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: "docs:write", Name: "Write documents"})
	svc.UpdateRole(ctx, "production", "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"docs:read"})})
	svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"})
	m, _ := svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "ana"})

	authz, err := rbac.NewAuthorizer(ctx, svc, "production")
	if err != nil {
		panic(err)
	}
	fmt.Println(authz.Can("acme", "ana", "docs:read"), authz.Can("acme", "ana", "docs:write"))

	// A custom role for acme; ana gets it.
	svc.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Slug: "editor", Name: "Editor",
		Permissions: []string{"docs:read", "docs:write"}})
	svc.UpdateMembershipRoles(ctx, "production", m.ID, []string{"org-editor"})
	ok, rev := authz.CanAt("acme", "ana", "docs:write")
	fmt.Println(ok, "at revision", rev)

	claims, _ := authz.Claims("acme", "ana")
	json.NewEncoder(os.Stdout).Encode(claims)

	// Inactive members have no claims and no permissions.
	svc.DeactivateMembership(ctx, "production", m.ID)
	_, ok = authz.Claims("acme", "ana")
	fmt.Println(ok, authz.Can("acme", "ana", "docs:read"))
	// Output:
	// true false
	// true at revision 8
	// {"org_id":"acme","role":"org-editor","roles":["org-editor"],"permissions":["docs:read","docs:write"]}
	// false false
}
