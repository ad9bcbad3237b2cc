package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// TestEnvironmentRoleDeletionPaths deletes an environment role held alone
// and with other roles, in organizations with a default of their own and
// without, both ways the store's statement finds the holders: through
// the organizations that count holders of the role, and by scanning the
// environment's memberships.
func TestEnvironmentRoleDeletionPaths(t *testing.T) {
	for _, narrow := range []int{1000, 0} {
		t.Run(fmt.Sprintf("narrow=%d", narrow), func(t *testing.T) {
			defer pgstore.SetNarrowOrganizations(narrow)()
			ctx := context.Background()
			svc := rbac.New(newStore(t))
			must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
			must[rbac.Environment](t)(svc.SetMultipleRoles(ctx, "prod", true))
			for _, r := range []string{"admin", "doomed"} {
				must[rbac.Role](t)(svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: r, Name: r}))
			}
			for _, o := range []string{"acme", "globex"} {
				must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: o}))
			}
			// acme gets settings of its own, with admin as its default.
			must[rbac.Role](t)(svc.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "org-ops", Name: "Ops"}))
			must[rbac.Settings](t)(svc.SetOrganizationDefaultRole(ctx, "prod", "acme", "admin"))
			ids := map[string]string{}
			for _, m := range []struct {
				org, user string
				roles     []string
			}{
				{"acme", "u1", []string{"doomed"}},
				{"acme", "u2", []string{"doomed", "member"}},
				{"acme", "u3", []string{"doomed", "org-ops"}},
				{"globex", "u4", []string{"doomed"}},
				{"globex", "u5", []string{"member"}},
				{"globex", "u6", []string{"admin", "doomed"}},
			} {
				ids[m.user] = must[rbac.Membership](t)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: m.org, UserID: m.user, Roles: m.roles})).ID
			}
			plan := must[rbac.DeletionPlan](t)(svc.DeleteRole(ctx, "prod", "doomed", rbac.DeleteOptions{}))
			if plan.MembershipCount != 5 {
				t.Errorf("the deletion reassigned %d memberships, want 5", plan.MembershipCount)
			}
			want := map[string][]string{"u1": {"admin"}, "u2": {"member"}, "u3": {"org-ops"}, "u4": {"member"}, "u5": {"member"}, "u6": {"admin"}}
			for user, roles := range want {
				if got := must[rbac.Membership](t)(svc.GetMembership(ctx, "prod", ids[user])).Roles; !slices.Equal(got, roles) {
					t.Errorf("%s holds %v after the deletion, want %v", user, got, roles)
				}
			}
			page := must[rbac.Page[rbac.Membership]](t)(svc.ListMemberships(ctx, "prod", rbac.MembershipFilter{Role: "member"}, rbac.ListOptions{Limit: 10}))
			var members []string
			for _, m := range page.Data {
				members = append(members, m.UserID)
			}
			slices.Sort(members)
			if !slices.Equal(members, []string{"u2", "u4", "u5"}) {
				t.Errorf("holders of member after the deletion: %v, want [u2 u4 u5]", members)
			}
		})
	}
}
