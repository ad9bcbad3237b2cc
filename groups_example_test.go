package rbac_test

import (
	"context"
	"fmt"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// A user in two directory groups, mapped to admin and member, gets the role
// highest in the organization's priority order; change the order and the
// next sync resolves differently (rules 10.3, 7.4).
func ExampleService_SyncGroups() {
	ctx := context.Background()
	s := rbac.New(memstore.New())
	s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"})
	s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "admin", Name: "Admin"})
	s.SetPriorityOrder(ctx, "prod", []string{"admin", "member"})
	s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"})

	s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: "grp-admins", Role: "admin"})
	s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: "grp-everyone", Role: "member"})

	sync := rbac.SyncInput{OrganizationID: "acme", UserID: "user_alice", Source: rbac.GroupSourceDirectory,
		Groups: []string{"grp-everyone", "grp-admins"}}
	r, _ := s.SyncGroups(ctx, "prod", sync)
	fmt.Println("first sync:", r.Membership.Role, "from", r.Membership.RoleSource, "created:", r.Created)

	s.SetOrganizationPriorityOrder(ctx, "prod", "acme", []string{"member", "admin"})
	r, _ = s.SyncGroups(ctx, "prod", sync)
	fmt.Println("after reordering:", r.Membership.Role)

	// Removing the winning mapping resets the member to the default role
	// on the next sync (rule 10.4).
	s.DeleteGroupMapping(ctx, "prod", "acme", rbac.GroupSourceDirectory, "grp-everyone")
	s.SetOrganizationDefaultRole(ctx, "prod", "acme", "member")
	r, _ = s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: "user_alice",
		Source: rbac.GroupSourceDirectory, Groups: []string{"grp-everyone"}})
	fmt.Println("mapping removed:", r.Membership.Role, "from", r.Membership.RoleSource)
	// Output:
	// first sync: admin from directory created: true
	// after reordering: member
	// mapping removed: member from sso_default
}
