package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
	"pgregory.net/rapid"
)

// TestFullListings checks the listings a read model loads with — every
// membership of the environment (one cursor, decoded from the wire
// bytes, roles included) and every organization role (its permissions
// from the role's row, kept by triggers) — against the same records read
// one query at a time, on random states, with cursor batches small
// enough that the listing crosses batch boundaries.
func TestFullListings(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	svc := rbac.New(store)
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		env := fmt.Sprintf("env%d", n)
		defer pgstore.SetListBatch(rapid.IntRange(1, 5).Draw(rt, "batch"))()
		must := func(err error) {
			if err != nil {
				rt.Fatal(err)
			}
		}
		_, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env})
		must(err)
		_, err = svc.SetMultipleRoles(ctx, env, true)
		must(err)
		perms := []string{"a:read", "b:write", "c:share"}
		for _, p := range perms {
			_, err := svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: p, Name: p})
			must(err)
		}
		envRoles := []string{"member"}
		for i := range rapid.IntRange(0, 3).Draw(rt, "envRoles") {
			r, err := svc.CreateRole(ctx, env, rbac.RoleInput{Slug: fmt.Sprintf("role-%d", i), Name: "r",
				Permissions: rapid.SliceOfDistinct(rapid.SampledFrom(perms), rapid.ID).Draw(rt, "perms")})
			must(err)
			envRoles = append(envRoles, r.Slug)
		}
		for o := range rapid.IntRange(1, 4).Draw(rt, "orgs") {
			org := fmt.Sprintf("org_%d", o)
			_, err := svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: org})
			must(err)
			roles := append([]string(nil), envRoles...)
			for k := range rapid.IntRange(0, 2).Draw(rt, "orgRoles") {
				r, err := svc.CreateOrganizationRole(ctx, env, org, rbac.RoleInput{Slug: fmt.Sprintf("org-r%d", k), Name: "o",
					Permissions: rapid.SliceOfDistinct(rapid.SampledFrom(perms), rapid.ID).Draw(rt, "perms")})
				must(err)
				roles = append(roles, r.Slug)
			}
			for u := range rapid.IntRange(0, 6).Draw(rt, "members") {
				in := rbac.MembershipInput{OrganizationID: org, UserID: fmt.Sprintf("user_%d", u),
					Roles:  rapid.SliceOfNDistinct(rapid.SampledFrom(roles), 0, 3, rapid.ID).Draw(rt, "roles"),
					Status: rapid.SampledFrom([]rbac.MembershipStatus{rbac.StatusActive, rbac.StatusPending}).Draw(rt, "status")}
				m, err := svc.CreateMembership(ctx, env, in)
				must(err)
				if rapid.Bool().Draw(rt, "deactivate") && m.Status == rbac.StatusActive {
					_, err := svc.DeactivateMembership(ctx, env, m.ID)
					must(err)
				}
			}
		}
		if len(envRoles) > 1 && rapid.Bool().Draw(rt, "updateRole") {
			_, err := svc.UpdateRole(ctx, env, envRoles[1], rbac.RoleUpdate{
				Permissions: rbac.Ptr(rapid.SliceOfDistinct(rapid.SampledFrom(perms), rapid.ID).Draw(rt, "perms"))})
			must(err)
		}
		if rapid.Bool().Draw(rt, "deletePermission") {
			_, err := svc.DeletePermission(ctx, env, rapid.SampledFrom(perms).Draw(rt, "deleted"), rbac.DeleteOptions{})
			must(err)
		}
		// The column the triggers keep equals role_permissions.
		var wrong int
		must(sharedPool(t).QueryRow(ctx, `SELECT count(*) FROM `+store.Schema()+`.roles r WHERE r.env = $1
			AND r.permissions IS DISTINCT FROM coalesce((SELECT string_agg(p.permission, ' ' ORDER BY p.permission)
				FROM `+store.Schema()+`.role_permissions p
				WHERE p.env = r.env AND p.role_scope = r.scope AND p.role_slug = r.slug), '')`, env).Scan(&wrong))
		if wrong > 0 {
			rt.Fatalf("%d roles whose permissions column differs from role_permissions", wrong)
		}
		statuses := rapid.SliceOfDistinct(rapid.SampledFrom([]rbac.MembershipStatus{rbac.StatusActive, rbac.StatusPending, rbac.StatusInactive}),
			func(s rbac.MembershipStatus) rbac.MembershipStatus { return s }).Draw(rt, "statuses")
		err = store.View(ctx, env, func(tx rbac.Tx) error {
			var fast, slow []rbac.Membership
			if err := tx.Memberships(ctx, rbac.MembershipQuery{Statuses: statuses}, func(m rbac.Membership) error {
				fast = append(fast, m)
				return nil
			}); err != nil {
				return err
			}
			// A limit takes the query of one statement.
			q := rbac.MembershipQuery{Statuses: statuses, Range: rbac.Range{Limit: 1 << 30}}
			if err := tx.Memberships(ctx, q, func(m rbac.Membership) error {
				slow = append(slow, m)
				return nil
			}); err != nil {
				return err
			}
			if d := cmp.Diff(slow, fast); d != "" {
				rt.Fatalf("full listing of memberships %v (-one statement +cursors):\n%s", statuses, d)
			}
			var listed []rbac.Role
			if err := tx.EachOrganizationRole(ctx, func(r rbac.Role) error {
				listed = append(listed, r)
				return nil
			}); err != nil {
				return err
			}
			// The narrow listing a load uses names the same roles with the
			// same permissions.
			type grant struct {
				Org, Slug string
				Perms     []string
			}
			var want, got []grant
			for _, r := range listed {
				want = append(want, grant{r.OrganizationID, r.Slug, r.Permissions})
			}
			g := tx.(interface {
				EachOrganizationRoleGrant(ctx context.Context, fn func(org, slug string, permissions []string) error) error
			})
			if err := g.EachOrganizationRoleGrant(ctx, func(org, slug string, perms []string) error {
				got = append(got, grant{org, slug, perms})
				return nil
			}); err != nil {
				return err
			}
			if d := cmp.Diff(want, got); d != "" {
				rt.Fatalf("organization role grants (-roles +grants):\n%s", d)
			}
			for _, r := range listed {
				one, err := tx.OrganizationRole(ctx, r.OrganizationID, r.Slug)
				if err != nil {
					return err
				}
				if d := cmp.Diff(one, r); d != "" {
					rt.Fatalf("organization role %s/%s (-read +listed):\n%s", r.OrganizationID, r.Slug, d)
				}
			}
			return nil
		})
		must(err)
	})
}
