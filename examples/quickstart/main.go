// Quickstart walks through WorkOS-style organization roles on the in-memory
// store and prints what happens at each step:
//
//	go run ./examples/quickstart
//
// An environment gets permissions and roles; an organization gets members,
// then a custom role, which gives it its own default role and priority
// order; a new environment role lands at the bottom of that order; deleting
// an environment role that is the organization's default moves its members
// to the replacement; finally permission checks and the session claims,
// answered from memory by an Authorizer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
)

const env = "production"

func main() {
	ctx := context.Background()
	// A fixed random source makes generated ids and slugs the same on every
	// run; drop WithRand in real code.
	s := rbac.New(memstore.New(), rbac.WithRand(rand.NewChaCha8([32]byte{})))

	step("Environment")
	e := must(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env, Name: "Production"}))
	fmt.Printf("created %q: default role %q, priority order %v\n", e.ID, e.DefaultRole, e.PriorityOrder)

	step("Permissions")
	for _, p := range []string{"videos:view", "videos:create", "videos:delete", "billing:manage"} {
		must(s.CreatePermission(ctx, env, rbac.PermissionInput{Slug: p, Name: p}))
	}
	fmt.Println("created", slugs(must(s.ListPermissions(ctx, env, rbac.ListOptions{})).Data, func(p rbac.Permission) string { return p.Slug }))

	step("Environment roles")
	must(s.UpdateRole(ctx, env, "member", rbac.RoleUpdate{Permissions: &[]string{"videos:view"}}))
	must(s.CreateRole(ctx, env, rbac.RoleInput{Slug: "admin", Name: "Admin",
		Permissions: []string{"videos:view", "videos:create", "videos:delete", "billing:manage"}}))
	must(s.CreateRole(ctx, env, rbac.RoleInput{Slug: "editor", Name: "Editor",
		Permissions: []string{"videos:view", "videos:create"}}))
	must(s.SetPriorityOrder(ctx, env, []string{"admin", "editor", "member"}))
	for _, r := range must(s.ListRoles(ctx, env, rbac.ListOptions{})).Data {
		fmt.Printf("%-8s %v\n", r.Slug, r.Permissions)
	}

	step("An organization and its members")
	must(s.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme", Name: "Acme Inc."}))
	showSettings(ctx, s, "acme")
	for _, in := range []rbac.MembershipInput{
		{OrganizationID: "acme", UserID: "alice", Roles: []string{"admin"}},
		{OrganizationID: "acme", UserID: "bob", Roles: []string{"editor"}},
		{OrganizationID: "acme", UserID: "carol"}, // no roles: the default
	} {
		m := must(s.CreateMembership(ctx, env, in))
		fmt.Printf("%s joins acme as %s\n", m.UserID, m.Role)
	}

	step("An organization role")
	r := must(s.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{
		Slug: "billing-admin", Name: "Billing admin", Permissions: []string{"videos:view", "billing:manage"}}))
	fmt.Printf("created %s (slug prefixed with org-), visible in %s only\n", r.Slug, r.OrganizationID)
	r = must(s.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Name: "Video Reviewers", Permissions: []string{"videos:view"}}))
	fmt.Printf("created %s (slug generated from the name)\n", r.Slug)
	fmt.Println("acme now has its own default role and priority order:")
	showSettings(ctx, s, "acme")
	must(s.UpdateMembershipRoles(ctx, env, must(s.FindMembership(ctx, env, "acme", "bob")).ID, []string{"org-billing-admin"}))
	fmt.Println("bob is now org-billing-admin")

	step("A new environment role")
	must(s.CreateRole(ctx, env, rbac.RoleInput{Slug: "viewer", Name: "Viewer", Permissions: []string{"videos:view"}}))
	fmt.Println("environment order:", must(s.GetEnvironment(ctx, env)).PriorityOrder)
	fmt.Println("viewer lands at the bottom of acme's order:")
	showSettings(ctx, s, "acme")

	step("Deleting an environment role that is an organization default")
	must(s.SetOrganizationDefaultRole(ctx, env, "acme", "viewer"))
	m := must(s.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "dave"}))
	fmt.Printf("acme's default is now viewer; %s joins as %s\n", m.UserID, m.Role)
	_, err := s.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{})
	var rerr *rbac.Error
	if errors.As(err, &rerr) && errors.Is(err, rbac.ErrReplacementRequired) {
		fmt.Printf("delete viewer without a replacement: %s, organizations %v\n", rerr.Code, rerr.Organizations)
	}
	plan := must(s.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{ReplacementDefault: "member", DryRun: true}))
	fmt.Printf("dry run with replacement member: defaults replaced in %v, %d membership(s) reassigned\n",
		plan.DefaultsReplaced, plan.MembershipCount)
	must(s.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{ReplacementDefault: "member"}))
	fmt.Println("deleted viewer:")
	showSettings(ctx, s, "acme")
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		fmt.Printf("  %-6s %s\n", u, must(s.FindMembership(ctx, env, "acme", u)).Role)
	}

	step("A check and the session claims")
	// An Authorizer answers from memory and sees every write through s
	// before the write returns; s.Can and s.Claims read the store instead.
	az := must(authz.New(ctx, s, env))
	defer az.Close()
	for _, q := range [][2]string{{"bob", "billing:manage"}, {"bob", "videos:delete"}, {"dave", "videos:delete"}} {
		fmt.Printf("can %s %s in acme? %v\n", q[0], q[1], az.Can("acme", q[0], q[1]))
	}
	must(s.UpdateMembershipRoles(ctx, env, must(s.FindMembership(ctx, env, "acme", "dave")).ID, []string{"admin"}))
	fmt.Printf("dave made admin; can dave videos:delete in acme? %v\n", az.Can("acme", "dave", "videos:delete"))
	c, _ := az.Claims("acme", "bob")
	out, _ := json.MarshalIndent(c, "", "  ")
	fmt.Printf("claims of bob in acme:\n%s\n", out)
}

func step(title string) { fmt.Printf("\n== %s\n", title) }

func showSettings(ctx context.Context, s *rbac.Service, org string) {
	st := must(s.OrganizationSettings(ctx, env, org))
	how := "own"
	if st.Inherited {
		how = "inherited from the environment"
	}
	fmt.Printf("  %s: default %s, order %s (%s)\n", org, st.DefaultRole, strings.Join(st.PriorityOrder, " > "), how)
}

func slugs[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	return v
}
