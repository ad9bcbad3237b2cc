package rbac_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgroles/rbac"
)

// Listings page by cursor: each page names the cursor of the next one,
// empty on the last page.
func ExampleService_ListOrganizations() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	for _, id := range []string{"globex", "initech", "umbrella"} {
		must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: id}))
	}
	opt := rbac.ListOptions{Limit: 3}
	for {
		page, err := s.ListOrganizations(ctx, "production", opt)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, o := range page.Data {
			fmt.Print(o.ID, " ")
		}
		fmt.Printf("(next: %q)\n", page.After)
		if page.After == "" {
			break
		}
		opt.After = page.After
	}
	// Output:
	// acme globex initech (next: "initech")
	// umbrella (next: "")
}

// An organization can carry the application's own id and metadata, and be
// found by that id.
func ExampleService_UpdateOrganization() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.UpdateOrganization(ctx, "production", "acme", rbac.OrganizationUpdate{
		ExternalID: rbac.Ptr("crm-4711"),
		Metadata:   &map[string]string{"tier": "gold"},
	}))
	o := must(s.GetOrganizationByExternalID(ctx, "production", "crm-4711"))
	fmt.Println(o.ID, o.Name, o.Metadata["tier"])

	// Another organization cannot take the same external id.
	_, err := s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex", ExternalID: "crm-4711"})
	fmt.Println(errors.Is(err, rbac.ErrExternalIDAlreadyUsed))
	// Output:
	// acme Acme Inc. gold
	// true
}

// One permission can be added to or removed from a role; adding one it has
// changes nothing and commits nothing.
func ExampleService_AddRolePermission() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	r := must(s.AddRolePermission(ctx, "production", "member", "videos:create"))
	fmt.Println(r.Permissions)
	before := must(s.GetEnvironment(ctx, "production")).Revision
	must(s.AddRolePermission(ctx, "production", "member", "videos:create"))
	fmt.Println("revision moved:", must(s.GetEnvironment(ctx, "production")).Revision != before)
	r = must(s.RemoveRolePermission(ctx, "production", "member", "videos:view"))
	fmt.Println(r.Permissions)
	// Output:
	// [videos:create videos:view]
	// revision moved: false
	// [videos:create]
}

// A receipt records the revision a caller's writes committed at, so that a
// cache can be waited on until it has caught up with them.
func ExampleWithReceipt() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	var r rbac.Receipt
	must(s.CreateMembership(rbac.WithReceipt(ctx, &r), "production",
		rbac.MembershipInput{OrganizationID: "acme", UserID: "user_1"}))
	fmt.Println(r.Revision() == must(s.GetEnvironment(ctx, "production")).Revision)
	// Output:
	// true
}

// A deletion option given to a deletion it does not apply to is refused,
// naming the option.
func ExampleDeleteOptions() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	_, err := s.DeleteRole(ctx, "production", "admin", rbac.DeleteOptions{ReassignTo: "member"})
	var e *rbac.Error
	if errors.As(err, &e) {
		fmt.Println(e.Field, "—", e.Rule)
	}
	// Output:
	// reassign_to — applies only to deleting an organization role
}

// Organizations can be searched by id, name or external id, ignoring case.
func ExampleService_SearchOrganizations() {
	ctx := context.Background()
	s := newService()
	setup(ctx, s)
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex", Name: "Globex Corporation"}))
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "initech", ExternalID: "CRM-CORP-7"}))
	page := must(s.SearchOrganizations(ctx, "production", "corp", rbac.ListOptions{}))
	for _, o := range page.Data {
		fmt.Println(o.ID)
	}
	// Output:
	// globex
	// initech
}
