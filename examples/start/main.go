// Command start is the README's five-minute start: roles, an organization
// with a custom role, a member, and permission checks answered from memory.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	svc := rbac.New(memstore.New()) // or pgstore, see below
	const env = "production"

	// An environment starts with the role "member", its default.
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}); err != nil {
		return err
	}
	for _, p := range []rbac.PermissionInput{
		{Slug: "videos:view", Name: "View videos"},
		{Slug: "billing:manage", Name: "Manage billing"},
	} {
		if _, err := svc.CreatePermission(ctx, env, p); err != nil {
			return err
		}
	}
	if _, err := svc.AddRolePermission(ctx, env, "member", "videos:view"); err != nil {
		return err
	}

	// An organization, with your own tenant id. A custom role gets the
	// "org-" prefix, and gives acme its own default role and priority
	// order: the environment's, with the new role at the bottom.
	if _, err := svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme", Name: "Acme Inc."}); err != nil {
		return err
	}
	role, err := svc.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{
		Slug: "billing-admin", Name: "Billing admin", Permissions: []string{"videos:view", "billing:manage"}})
	if err != nil {
		return err
	}
	fmt.Println("created", role.Slug)

	// Checks on the request path come from memory, kept current by every
	// write made through svc.
	az, err := authz.New(ctx, svc, env)
	if err != nil {
		return err
	}
	defer az.Close()

	if _, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_42", Roles: []string{role.Slug}}); err != nil {
		return err
	}
	fmt.Println("can manage billing:", az.Can("acme", "user_42", "billing:manage"))
	claims, _ := az.Claims("acme", "user_42")
	fmt.Printf("claims: role %s, permissions %v\n", claims.Role, claims.Permissions)

	// Errors are typed, with WorkOS's codes where WorkOS has one.
	_, err = svc.CreateMembership(ctx, env, rbac.MembershipInput{
		OrganizationID: "acme", UserID: "user_7", Roles: []string{"org-nope"}})
	var e *rbac.Error
	if errors.As(err, &e) && errors.Is(err, rbac.ErrInvalidRole) {
		fmt.Println("refused:", e.Code, "-", e.Message)
	}

	// Deleting an environment role that is a default needs a replacement;
	// its holders move to it in the same atomic step.
	if _, err := svc.CreateRole(ctx, env, rbac.RoleInput{Slug: "viewer", Name: "Viewer"}); err != nil {
		return err
	}
	if _, err := svc.SetDefaultRole(ctx, env, "viewer"); err != nil {
		return err
	}
	_, err = svc.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{})
	fmt.Println("without a replacement:", errors.Is(err, rbac.ErrReplacementRequired))
	plan, err := svc.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{ReplacementDefault: "member"})
	if err != nil {
		return err
	}
	fmt.Println("environment default replaced:", plan.EnvironmentDefaultReplaced)
	return nil
}
