package sdktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgroles/rbac/internal/server"
	"github.com/workos/workos-go/v7"
)

const key = "sk_test_go_sdk_7b3e90"

var baseURL string

// TestMain builds the rbac command of the enclosing module, starts it on
// 127.0.0.1:0 with a test key, runs the tests and stops it (SIGTERM; it
// must exit 0).
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := server.ModuleRoot("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "rbac-sdktest-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "rbac")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := server.BuildCommand(ctx, root, bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := server.StartProcess(bin, []string{"--addr", "127.0.0.1:0", "--api-key", key}, nil, 30*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	baseURL = p.URL
	code := m.Run()
	if err := p.Stop(15 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "rbac serve did not shut down cleanly: %v\n%s", err, p.Output())
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "rbac serve output:\n%s", p.Output())
	}
	return code
}

func client() *workos.Client {
	return workos.NewClient(key, workos.WithBaseURL(baseURL))
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantAPIError asserts that err is the SDK's error for status and code.
func wantAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *workos.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T), want a *workos.APIError with status %d and code %q", err, err, status, code)
	}
	if apiErr.StatusCode != status || apiErr.Code != code || apiErr.Message == "" {
		t.Errorf("error status %d code %q message %q, want status %d code %q", apiErr.StatusCode, apiErr.Code, apiErr.Message, status, code)
	}
	if apiErr.RequestID == "" {
		t.Error("the error carries no request id")
	}
}

// rbacCall calls one of rbac's own routes, which have no SDK method.
func rbacCall(t *testing.T, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

func ptr[T any](v T) *T { return &v }

func roleSlugs(rs []*workos.Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Slug)
	}
	return out
}

// TestSDK walks through everything the Go SDK can do against rbac, in the
// order an application would; the steps build on each other.
func TestSDK(t *testing.T) {
	ctx := context.Background()
	c := client()
	az, om, orgs := c.Authorization(), c.UserManagement(), c.Organizations()

	// Permissions.
	for _, p := range []struct{ slug, name string }{
		{"docs:read", "Read docs"}, {"docs:write", "Write docs"}, {"docs:delete", "Delete docs"}, {"billing:manage", "Manage billing"}, {"tmp:x", "Temporary"},
	} {
		got := must[*workos.Permission](t)(az.CreatePermission(ctx, &workos.AuthorizationCreatePermissionParams{Slug: p.slug, Name: p.name}))
		if got.Object != "permission" || got.Slug != p.slug || got.Description != nil || got.ResourceTypeSlug != "organization" || !strings.HasPrefix(got.ID, "perm_") {
			t.Errorf("created permission %+v", got)
		}
		if _, err := time.Parse(time.RFC3339, got.CreatedAt); err != nil {
			t.Errorf("created_at %q: %v", got.CreatedAt, err)
		}
	}
	_, err := az.CreatePermission(ctx, &workos.AuthorizationCreatePermissionParams{Slug: "docs:read", Name: "Again"})
	wantAPIError(t, err, 409, "permission_slug_conflict")
	perm := must[*workos.AuthorizationPermission](t)(az.UpdatePermission(ctx, "docs:read", &workos.AuthorizationUpdatePermissionParams{Description: ptr("Read every doc")}))
	if perm.Name != "Read docs" || perm.Description == nil || *perm.Description != "Read every doc" {
		t.Errorf("updated permission %+v", perm)
	}
	if got := must[*workos.AuthorizationPermission](t)(az.GetPermission(ctx, "docs:read")); got.ID != perm.ID {
		t.Errorf("get permission %+v", got)
	}
	if err := az.DeletePermission(ctx, "tmp:x"); err != nil {
		t.Fatal(err)
	}
	_, err = az.GetPermission(ctx, "tmp:x")
	var nf *workos.NotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("get a deleted permission: %v", err)
	}
	// The iterator pages through all of them, two at a time.
	it := az.ListPermissions(ctx, &workos.AuthorizationListPermissionsParams{PaginationParams: workos.PaginationParams{Limit: ptr(2)}})
	var listed []string
	for it.Next() {
		listed = append(listed, it.Current().Slug)
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	if want := []string{"billing:manage", "docs:delete", "docs:read", "docs:write"}; !slices.Equal(listed, want) {
		t.Errorf("listed permissions %v, want %v", listed, want)
	}

	// Environment roles.
	admin := must[*workos.Role](t)(az.CreateEnvironmentRole(ctx, &workos.AuthorizationCreateEnvironmentRoleParams{Slug: "admin", Name: "Admin", Description: ptr("All of it")}))
	if admin.Type != "EnvironmentRole" || admin.Description == nil || len(admin.Permissions) != 0 {
		t.Errorf("created role %+v", admin)
	}
	must[*workos.Role](t)(az.CreateEnvironmentRole(ctx, &workos.AuthorizationCreateEnvironmentRoleParams{Slug: "writer", Name: "Writer"}))
	_, err = az.CreateEnvironmentRole(ctx, &workos.AuthorizationCreateEnvironmentRoleParams{Slug: "admin", Name: "Admin"})
	wantAPIError(t, err, 409, "role_slug_conflict")
	rbacCall(t, "PUT", "/rbac/environment/priority_order", `{"priority_order":["admin","writer","member"]}`)
	if got := roleSlugs(must[*workos.RoleList](t)(az.ListEnvironmentRoles(ctx)).Data); !slices.Equal(got, []string{"admin", "writer", "member"}) {
		t.Errorf("environment roles in priority order: %v", got)
	}
	r := must[*workos.Role](t)(az.SetEnvironmentRolePermissions(ctx, "admin", &workos.AuthorizationSetEnvironmentRolePermissionsParams{
		Permissions: []string{"docs:read", "docs:write", "docs:delete", "billing:manage"}}))
	if len(r.Permissions) != 4 {
		t.Errorf("set permissions: %v", r.Permissions)
	}
	must[*workos.Role](t)(az.SetEnvironmentRolePermissions(ctx, "member", &workos.AuthorizationSetEnvironmentRolePermissionsParams{Permissions: []string{"docs:read"}}))
	r = must[*workos.Role](t)(az.AddEnvironmentRolePermission(ctx, "writer", &workos.AuthorizationAddEnvironmentRolePermissionParams{Slug: "docs:write"}))
	if !slices.Equal(r.Permissions, []string{"docs:write"}) {
		t.Errorf("add permission: %v", r.Permissions)
	}
	r = must[*workos.Role](t)(az.AddEnvironmentRolePermission(ctx, "writer", &workos.AuthorizationAddEnvironmentRolePermissionParams{Slug: "docs:read"}))
	if !slices.Equal(r.Permissions, []string{"docs:read", "docs:write"}) {
		t.Errorf("add permission: %v", r.Permissions)
	}
	r = must[*workos.Role](t)(az.UpdateEnvironmentRole(ctx, "writer", &workos.AuthorizationUpdateEnvironmentRoleParams{Name: ptr("Author")}))
	if r.Name != "Author" {
		t.Errorf("update role: %+v", r)
	}
	if got := must[*workos.Role](t)(az.GetEnvironmentRole(ctx, "writer")); got.Name != "Author" || got.ID != r.ID {
		t.Errorf("get role %+v", got)
	}
	_, err = az.GetEnvironmentRole(ctx, "nope")
	wantAPIError(t, err, 404, "role_not_found")

	// Organizations.
	acme := must[*workos.Organization](t)(orgs.Create(ctx, &workos.OrganizationsCreateParams{Name: "Acme"}))
	if acme.Object != "organization" || !strings.HasPrefix(acme.ID, "org_") || acme.ExternalID != nil || acme.Domains == nil || acme.Metadata == nil {
		t.Errorf("created organization %+v", acme)
	}
	globex := must[*workos.Organization](t)(orgs.Create(ctx, &workos.OrganizationsCreateParams{Name: "Globex"}))
	if got := must[*workos.Organization](t)(orgs.Get(ctx, acme.ID)); got.Name != "Acme" {
		t.Errorf("get organization %+v", got)
	}
	oit := orgs.List(ctx, &workos.OrganizationsListParams{PaginationParams: workos.PaginationParams{Limit: ptr(1)}})
	var orgIDs []string
	for oit.Next() {
		orgIDs = append(orgIDs, oit.Current().ID)
	}
	if err := oit.Err(); err != nil || len(orgIDs) != 2 {
		t.Errorf("organizations %v, %v", orgIDs, err)
	}

	// Organization roles.
	billing := must[*workos.Role](t)(az.CreateOrganizationRole(ctx, acme.ID, &workos.AuthorizationCreateOrganizationRoleParams{Slug: ptr("billing"), Name: "Billing"}))
	if billing.Slug != "org-billing" || billing.Type != "OrganizationRole" {
		t.Errorf("organization role %+v: the slug comes back prefixed", billing)
	}
	gen := must[*workos.Role](t)(az.CreateOrganizationRole(ctx, acme.ID, &workos.AuthorizationCreateOrganizationRoleParams{Name: "Support Desk"}))
	if !strings.HasPrefix(gen.Slug, "org-support-desk-") {
		t.Errorf("generated slug %q", gen.Slug)
	}
	_, err = az.CreateOrganizationRole(ctx, acme.ID, &workos.AuthorizationCreateOrganizationRoleParams{Slug: ptr("org-billing"), Name: "Billing"})
	wantAPIError(t, err, 409, "organization_role_slug_conflict")
	if got := roleSlugs(must[*workos.RoleList](t)(az.ListOrganizationRoles(ctx, acme.ID)).Data); !slices.Equal(got, []string{"admin", "writer", "member", "org-billing", gen.Slug}) {
		t.Errorf("organization roles in its order: %v", got)
	}
	if got := must[*workos.Role](t)(az.GetOrganizationRole(ctx, acme.ID, "admin")); got.Type != "EnvironmentRole" {
		t.Errorf("an environment role through the organization: %+v", got)
	}
	_, err = az.GetOrganizationRole(ctx, globex.ID, "org-billing")
	wantAPIError(t, err, 404, "role_not_found")
	r = must[*workos.Role](t)(az.UpdateOrganizationRole(ctx, acme.ID, "org-billing", &workos.AuthorizationUpdateOrganizationRoleParams{Description: ptr("Pays")}))
	if r.Description == nil || *r.Description != "Pays" {
		t.Errorf("update organization role %+v", r)
	}
	must[*workos.Role](t)(az.SetOrganizationRolePermissions(ctx, acme.ID, "org-billing", &workos.AuthorizationSetOrganizationRolePermissionsParams{Permissions: []string{"billing:manage", "docs:read"}}))
	r = must[*workos.Role](t)(az.AddOrganizationRolePermission(ctx, acme.ID, "org-billing", &workos.AuthorizationAddOrganizationRolePermissionParams{Slug: "docs:write"}))
	if len(r.Permissions) != 3 {
		t.Errorf("add: %v", r.Permissions)
	}
	if err := az.RemoveOrganizationRolePermission(ctx, acme.ID, "org-billing", "docs:read"); err != nil {
		t.Fatal(err)
	}
	if got := must[*workos.Role](t)(az.GetOrganizationRole(ctx, acme.ID, "org-billing")); !slices.Equal(got.Permissions, []string{"billing:manage", "docs:write"}) {
		t.Errorf("after remove: %v", got.Permissions)
	}
	if err := az.DeleteOrganizationRole(ctx, acme.ID, gen.Slug); err != nil {
		t.Fatal(err)
	}

	// Memberships.
	alice := must[*workos.OrganizationMembership](t)(om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{
		UserID: "user_alice", OrganizationID: acme.ID, Role: workos.UserManagementRoleSingle{Slug: "admin"}}))
	if alice.Object != "organization_membership" || alice.Status != "active" || alice.Role == nil || alice.Role.Slug != "admin" ||
		alice.OrganizationName == nil || *alice.OrganizationName != "Acme" {
		t.Errorf("membership %+v", alice)
	}
	bob := must[*workos.OrganizationMembership](t)(om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{
		UserID: "user_bob", OrganizationID: acme.ID}))
	if bob.Role.Slug != "member" {
		t.Errorf("default role: %+v", bob.Role)
	}
	_, err = om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{
		UserID: "user_carol", OrganizationID: globex.ID, Role: workos.UserManagementRoleSingle{Slug: "org-billing"}})
	wantAPIError(t, err, 422, "invalid_role")
	var unprocessable *workos.UnprocessableEntityError
	if !errors.As(err, &unprocessable) {
		t.Errorf("invalid_role is not an UnprocessableEntityError: %T", err)
	}
	_, err = om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{
		UserID: "user_carol", OrganizationID: acme.ID, Role: workos.UserManagementRoleMultiple{Slugs: []string{"admin", "writer"}}})
	wantAPIError(t, err, 422, "multiple_roles_not_enabled")
	rbacCall(t, "PUT", "/rbac/environment/multiple_roles", `{"enabled":true}`)
	carol := must[*workos.OrganizationMembership](t)(om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{
		UserID: "user_carol", OrganizationID: acme.ID, Role: workos.UserManagementRoleMultiple{Slugs: []string{"member", "org-billing", "writer"}}}))
	if carol.Role.Slug != "writer" {
		t.Errorf("primary role of several: %+v", carol.Role)
	}
	_, err = om.CreateOrganizationMembership(ctx, &workos.UserManagementCreateOrganizationMembershipParams{UserID: "user_alice", OrganizationID: acme.ID})
	wantAPIError(t, err, 409, "organization_membership_already_exists")

	got := must[*workos.UserOrganizationMembership](t)(om.GetOrganizationMembership(ctx, alice.ID))
	if got.UserID != "user_alice" || got.OrganizationID != acme.ID {
		t.Errorf("get membership %+v", got)
	}
	up := must[*workos.UserOrganizationMembership](t)(om.UpdateOrganizationMembership(ctx, bob.ID, &workos.UserManagementUpdateOrganizationMembershipParams{
		Role: workos.UserManagementRoleSingle{Slug: "writer"}}))
	if up.Role.Slug != "writer" {
		t.Errorf("update: %+v", up.Role)
	}
	up = must[*workos.UserOrganizationMembership](t)(om.UpdateOrganizationMembership(ctx, bob.ID, &workos.UserManagementUpdateOrganizationMembershipParams{
		Role: workos.UserManagementRoleMultiple{Slugs: []string{"org-billing", "member"}}}))
	if up.Role.Slug != "member" {
		t.Errorf("update to several: %+v", up.Role)
	}
	d := must[*workos.OrganizationMembership](t)(om.DeactivateOrganizationMembership(ctx, bob.ID))
	if d.Status != "inactive" {
		t.Errorf("deactivate: %s", d.Status)
	}
	mit := om.ListOrganizationMemberships(ctx, &workos.UserManagementListOrganizationMembershipsParams{OrganizationID: &acme.ID})
	var active []string
	for mit.Next() {
		active = append(active, mit.Current().UserID)
	}
	if err := mit.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(active)
	if !slices.Equal(active, []string{"user_alice", "user_carol"}) {
		t.Errorf("active members %v", active)
	}
	mit = om.ListOrganizationMemberships(ctx, &workos.UserManagementListOrganizationMembershipsParams{OrganizationID: &acme.ID,
		Statuses: []workos.UserManagementOrganizationMembershipStatuses{workos.OrganizationMembershipCreatedDataStatusInactive}})
	var inactive []string
	for mit.Next() {
		inactive = append(inactive, mit.Current().ID)
	}
	if !slices.Equal(inactive, []string{bob.ID}) || mit.Err() != nil {
		t.Errorf("inactive members %v %v", inactive, mit.Err())
	}
	re := must[*workos.UserOrganizationMembership](t)(om.ReactivateOrganizationMembership(ctx, bob.ID))
	if re.Status != "active" || re.Role.Slug != "member" {
		t.Errorf("reactivate: %+v", re)
	}

	// Checks.
	check := func(id, perm string) bool {
		t.Helper()
		return must[*workos.AuthorizationCheck](t)(az.Check(ctx, id, &workos.AuthorizationCheckParams{PermissionSlug: perm,
			ResourceTarget: workos.AuthorizationResourceTargetByExternalID{ResourceTypeSlug: "organization", ResourceExternalID: acme.ID}})).Authorized
	}
	if !check(alice.ID, "docs:delete") || check(bob.ID, "docs:delete") || !check(bob.ID, "billing:manage") || !check(carol.ID, "docs:write") {
		t.Error("checks disagree with the roles")
	}
	must[*workos.OrganizationMembership](t)(om.DeactivateOrganizationMembership(ctx, bob.ID))
	if check(bob.ID, "billing:manage") {
		t.Error("an inactive membership is authorized")
	}
	byID := must[*workos.AuthorizationCheck](t)(az.Check(ctx, alice.ID, &workos.AuthorizationCheckParams{PermissionSlug: "docs:read",
		ResourceTarget: workos.AuthorizationResourceTargetByID{ResourceID: acme.ID}}))
	if !byID.Authorized {
		t.Error("check by resource id")
	}
	_, err = az.Check(ctx, "om_nope", &workos.AuthorizationCheckParams{PermissionSlug: "docs:read"})
	wantAPIError(t, err, 404, "organization_membership_not_found")

	// Pending memberships: created through rbac's own route.
	rbacCall(t, "POST", "/rbac/organization_memberships", `{"organization_id":"`+acme.ID+`","user_id":"user_dave","status":"pending"}`)
	dit := om.ListOrganizationMemberships(ctx, &workos.UserManagementListOrganizationMembershipsParams{UserID: ptr("user_dave"),
		Statuses: []workos.UserManagementOrganizationMembershipStatuses{workos.OrganizationMembershipCreatedDataStatusPending}})
	if !dit.Next() {
		t.Fatalf("no pending membership: %v", dit.Err())
	}
	dave := dit.Current().ID
	_, err = om.ReactivateOrganizationMembership(ctx, dave)
	wantAPIError(t, err, 400, "cannot_reactivate_pending_organization_membership")
	_, err = om.DeactivateOrganizationMembership(ctx, dave)
	wantAPIError(t, err, 400, "cannot_deactivate_pending_organization_membership")
	if err := om.DeleteOrganizationMembership(ctx, dave); err != nil {
		t.Fatal(err)
	}
	_, err = om.GetOrganizationMembership(ctx, dave)
	wantAPIError(t, err, 404, "organization_membership_not_found")

	// Deleting organization roles.
	err = az.DeleteOrganizationRole(ctx, acme.ID, "org-billing")
	wantAPIError(t, err, 409, "role_has_assignments")
	sso := must[*workos.Role](t)(az.CreateOrganizationRole(ctx, acme.ID, &workos.AuthorizationCreateOrganizationRoleParams{Slug: ptr("sso"), Name: "SSO"}))
	rbacCall(t, "POST", "/rbac/organizations/"+acme.ID+"/group_role_mappings", `{"source":"directory","group_id":"grp_1","role_slug":"`+sso.Slug+`"}`)
	err = az.DeleteOrganizationRole(ctx, acme.ID, sso.Slug)
	wantAPIError(t, err, 409, "role_has_group_role_mappings")
	rbacCall(t, "DELETE", "/rbac/organizations/"+acme.ID+"/roles/org-billing?reassign_to=member", "")
	if got := must[*workos.UserOrganizationMembership](t)(om.GetOrganizationMembership(ctx, carol.ID)); got.Role.Slug != "writer" {
		t.Errorf("carol after the reassignment: %+v", got.Role)
	}

	// Memberships and organizations go.
	if err := om.DeleteOrganizationMembership(ctx, carol.ID); err != nil {
		t.Fatal(err)
	}
	if err := orgs.Delete(ctx, globex.ID); err != nil {
		t.Fatal(err)
	}
	_, err = orgs.Get(ctx, globex.ID)
	wantAPIError(t, err, 404, "organization_not_found")
}

func TestUnauthorized(t *testing.T) {
	c := workos.NewClient("sk_not_a_key", workos.WithBaseURL(baseURL), workos.WithMaxRetries(0))
	_, err := c.Authorization().ListEnvironmentRoles(context.Background())
	var auth *workos.AuthenticationError
	if !errors.As(err, &auth) || auth.StatusCode != 401 {
		t.Errorf("a wrong key: %v (%T)", err, err)
	}
}

// TestBadRequest checks that a validation failure reaches the SDK with
// its status and code (the errors list is WorkOS's {field, code} objects,
// which this SDK version does not decode).
func TestBadRequest(t *testing.T) {
	_, err := client().Authorization().CreateEnvironmentRole(context.Background(), &workos.AuthorizationCreateEnvironmentRoleParams{Slug: "Bad Slug", Name: "X"})
	wantAPIError(t, err, 422, "invalid_request_parameters")
	var ae *workos.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.RawBody, `"field":"slug"`) {
		t.Errorf("the body does not name the field: %s", ae.RawBody)
	}
}

// TestOrganizationExternalIDs covers the organization calls with external
// ids, metadata and updates.
func TestOrganizationExternalIDs(t *testing.T) {
	ctx := context.Background()
	orgs := client().Organizations()
	o := must[*workos.Organization](t)(orgs.Create(ctx, &workos.OrganizationsCreateParams{Name: "Initech",
		ExternalID: ptr("ext-initech"), Metadata: map[string]string{"tier": "gold"}}))
	if o.ExternalID == nil || *o.ExternalID != "ext-initech" || o.Metadata["tier"] != "gold" {
		t.Errorf("created %+v", o)
	}
	if got := must[*workos.Organization](t)(orgs.GetByExternalID(ctx, "ext-initech")); got.ID != o.ID {
		t.Errorf("by external id: %+v", got)
	}
	_, err := orgs.Create(ctx, &workos.OrganizationsCreateParams{Name: "Again", ExternalID: ptr("ext-initech")})
	wantAPIError(t, err, 400, "external_id_already_used")
	u := must[*workos.Organization](t)(orgs.Update(ctx, o.ID, &workos.OrganizationsUpdateParams{Name: ptr("Initech Corp"),
		ExternalID: ptr("ext-corp"), Metadata: map[string]string{"region": "eu"}}))
	if u.Name != "Initech Corp" || u.ExternalID == nil || *u.ExternalID != "ext-corp" || len(u.Metadata) != 1 || u.Metadata["region"] != "eu" {
		t.Errorf("updated %+v", u)
	}
	_, err = orgs.GetByExternalID(ctx, "ext-initech")
	wantAPIError(t, err, 404, "organization_not_found")
	_, err = orgs.Update(ctx, "org_nope", &workos.OrganizationsUpdateParams{Name: ptr("X")})
	wantAPIError(t, err, 404, "organization_not_found")
	if err := orgs.Delete(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
}
