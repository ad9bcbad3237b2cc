package workosapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/workosapi"
)

// same fails the test when got, normalized, differs from the JSON want.
func same(tb testing.TB, what string, got map[string]any, want string) {
	tb.Helper()
	if diff := cmp.Diff(obj(tb, want), normalize(tb, got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// slugs returns the "slug" of each object of a list body's data.
func slugs(tb testing.TB, body map[string]any, key string) []string {
	tb.Helper()
	var out []string
	data, _ := body["data"].([]any)
	for _, d := range data {
		out = append(out, d.(map[string]any)[key].(string))
	}
	return out
}

func TestEnvironmentRoles(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	same(t, "create", f.ok(201, "POST", "/authorization/roles", `{"slug":"viewer","name":"Viewer","description":"Reads"}`), `{
		"object":"role","id":"<id>","slug":"viewer","name":"Viewer","description":"Reads","type":"EnvironmentRole",
		"resource_type_slug":"organization","permissions":[],"created_at":"<time>","updated_at":"<time>"}`)
	same(t, "create with resource type", f.ok(201, "POST", "/authorization/roles", `{"slug":"auditor","name":"Auditor","description":null,"resource_type_slug":"organization"}`), `{
		"object":"role","id":"<id>","slug":"auditor","name":"Auditor","description":null,"type":"EnvironmentRole",
		"resource_type_slug":"organization","permissions":[],"created_at":"<time>","updated_at":"<time>"}`)

	list := f.ok(200, "GET", "/authorization/roles", "")
	if list["object"] != "list" || list["list_metadata"] != nil {
		t.Errorf("role list envelope: %v", list)
	}
	if diff := cmp.Diff([]string{"admin", "editor", "member", "viewer", "auditor"}, slugs(t, list, "slug")); diff != "" {
		t.Errorf("priority order (-want +got):\n%s", diff)
	}

	same(t, "get", f.ok(200, "GET", "/authorization/roles/admin", ""), `{
		"object":"role","id":"<id>","slug":"admin","name":"Admin","description":null,"type":"EnvironmentRole",
		"resource_type_slug":"organization","permissions":["billing:manage","videos:create","videos:view"],
		"created_at":"<time>","updated_at":"<time>"}`)

	got := f.ok(200, "PATCH", "/authorization/roles/viewer", `{"name":"Watcher"}`)
	if got["name"] != "Watcher" || got["description"] != "Reads" {
		t.Errorf("patch name: %v", got)
	}
	got = f.ok(200, "PATCH", "/authorization/roles/viewer", `{"description":null}`)
	if got["name"] != "Watcher" || got["description"] != nil {
		t.Errorf("patch description null: %v", got)
	}
	got = f.ok(200, "PATCH", "/authorization/roles/viewer", `{}`)
	if got["name"] != "Watcher" {
		t.Errorf("empty patch: %v", got)
	}

	got = f.ok(200, "PUT", "/authorization/roles/viewer/permissions", `{"permissions":["videos:view","billing:manage","videos:view"]}`)
	if diff := cmp.Diff([]any{"billing:manage", "videos:view"}, got["permissions"]); diff != "" {
		t.Errorf("set permissions (-want +got):\n%s", diff)
	}
	got = f.ok(200, "POST", "/authorization/roles/viewer/permissions", `{"slug":"videos:create"}`)
	if diff := cmp.Diff([]any{"billing:manage", "videos:create", "videos:view"}, got["permissions"]); diff != "" {
		t.Errorf("add permission (-want +got):\n%s", diff)
	}
	rev := f.ok(200, "GET", "/rbac/environment", "")["revision"]
	got = f.ok(200, "POST", "/authorization/roles/viewer/permissions", `{"slug":"videos:create"}`)
	if diff := cmp.Diff([]any{"billing:manage", "videos:create", "videos:view"}, got["permissions"]); diff != "" {
		t.Errorf("add a permission the role has (-want +got):\n%s", diff)
	}
	if now := f.ok(200, "GET", "/rbac/environment", "")["revision"]; now != rev {
		t.Errorf("adding a permission the role has wrote: revision %v → %v", rev, now)
	}
	got = f.ok(200, "PUT", "/authorization/roles/viewer/permissions", `{"permissions":[]}`)
	if diff := cmp.Diff([]any{}, got["permissions"]); diff != "" {
		t.Errorf("clear permissions (-want +got):\n%s", diff)
	}
}

func TestOrganizationRoles(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	same(t, "create", f.ok(201, "POST", "/authorization/organizations/acme/roles", `{"slug":"support","name":"Support","description":"Answers tickets"}`), `{
		"object":"role","id":"<id>","slug":"org-support","name":"Support","description":"Answers tickets","type":"OrganizationRole",
		"resource_type_slug":"organization","permissions":[],"created_at":"<time>","updated_at":"<time>"}`)
	got := f.ok(201, "POST", "/authorization/organizations/acme/roles", `{"slug":"org-ops","name":"Ops"}`)
	if got["slug"] != "org-ops" {
		t.Errorf("a slug with the prefix keeps it: %v", got["slug"])
	}
	got = f.ok(201, "POST", "/authorization/organizations/acme/roles", `{"name":"Night Shift"}`)
	if s, _ := got["slug"].(string); !strings.HasPrefix(s, "org-night-shift-") || len(s) != len("org-night-shift-")+6 {
		t.Errorf("generated slug %q", s)
	}
	generated := got["slug"].(string)

	list := f.ok(200, "GET", "/authorization/organizations/acme/roles", "")
	want := []string{"admin", "editor", "member", "org-billing", "org-sso", "org-support", "org-ops", generated}
	if diff := cmp.Diff(want, slugs(t, list, "slug")); diff != "" {
		t.Errorf("organization order (-want +got):\n%s", diff)
	}
	// A new environment role lands at the bottom of the organization's
	// own order, and of the environment's.
	f.ok(201, "POST", "/authorization/roles", `{"slug":"intern","name":"Intern"}`)
	list = f.ok(200, "GET", "/authorization/organizations/acme/roles", "")
	if diff := cmp.Diff(append(want, "intern"), slugs(t, list, "slug")); diff != "" {
		t.Errorf("order after a new environment role (-want +got):\n%s", diff)
	}
	// An organization of its own lists the environment roles only; in
	// another organization, acme's roles are invisible.
	list = f.ok(200, "GET", "/authorization/organizations/globex/roles", "")
	if diff := cmp.Diff([]string{"admin", "editor", "member", "org-lead", "intern"}, slugs(t, list, "slug")); diff != "" {
		t.Errorf("globex roles (-want +got):\n%s", diff)
	}
	if r := f.do("GET", "/authorization/organizations/globex/roles/org-support", ""); r.status != 404 {
		t.Errorf("another organization's role: %d %s", r.status, r.body)
	}

	got = f.ok(200, "GET", "/authorization/organizations/acme/roles/admin", "")
	if got["type"] != "EnvironmentRole" {
		t.Errorf("an environment role through an organization: %v", got)
	}
	got = f.ok(200, "GET", "/authorization/organizations/acme/roles/org-support", "")
	if got["type"] != "OrganizationRole" || got["description"] != "Answers tickets" {
		t.Errorf("get: %v", got)
	}
	got = f.ok(200, "PATCH", "/authorization/organizations/acme/roles/org-support", `{"name":"Customer support","description":null}`)
	if got["name"] != "Customer support" || got["description"] != nil {
		t.Errorf("patch: %v", got)
	}
	got = f.ok(200, "PUT", "/authorization/organizations/acme/roles/org-support/permissions", `{"permissions":["videos:view"]}`)
	if diff := cmp.Diff([]any{"videos:view"}, got["permissions"]); diff != "" {
		t.Errorf("set (-want +got):\n%s", diff)
	}
	got = f.ok(200, "POST", "/authorization/organizations/acme/roles/org-support/permissions", `{"slug":"billing:manage"}`)
	if diff := cmp.Diff([]any{"billing:manage", "videos:view"}, got["permissions"]); diff != "" {
		t.Errorf("add (-want +got):\n%s", diff)
	}
	got = f.ok(200, "DELETE", "/authorization/organizations/acme/roles/org-support/permissions/videos:view", "")
	if diff := cmp.Diff([]any{"billing:manage"}, got["permissions"]); diff != "" {
		t.Errorf("remove (-want +got):\n%s", diff)
	}
	got = f.ok(200, "DELETE", "/authorization/organizations/acme/roles/org-support/permissions/videos:view", "")
	if diff := cmp.Diff([]any{"billing:manage"}, got["permissions"]); diff != "" {
		t.Errorf("remove a permission the role lacks (-want +got):\n%s", diff)
	}
	if r := f.do("DELETE", "/authorization/organizations/acme/roles/org-support/permissions/nope", ""); r.status != 404 {
		t.Errorf("remove an unknown permission: %d %s", r.status, r.body)
	}
	// Permissions of environment roles are not edited through an
	// organization.
	if r := f.do("POST", "/authorization/organizations/acme/roles/admin/permissions", `{"slug":"videos:view"}`); r.status != 404 {
		t.Errorf("add to an environment role through an organization: %d %s", r.status, r.body)
	}

	if r := f.do("DELETE", "/authorization/organizations/acme/roles/org-support", ""); r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	if r := f.do("GET", "/authorization/organizations/acme/roles/org-support", ""); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	}
}

func TestPermissions(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	same(t, "create", f.ok(201, "POST", "/authorization/permissions", `{"slug":"reports:export","name":"Export reports","description":"CSV"}`), `{
		"object":"permission","id":"<id>","slug":"reports:export","name":"Export reports","description":"CSV",
		"system":false,"resource_type_slug":"organization","created_at":"<time>","updated_at":"<time>"}`)
	same(t, "get system", f.ok(200, "GET", "/authorization/permissions/audit:read", ""), `{
		"object":"permission","id":"<id>","slug":"audit:read","name":"Read the audit log","description":null,
		"system":true,"resource_type_slug":"organization","created_at":"<time>","updated_at":"<time>"}`)
	got := f.ok(200, "PATCH", "/authorization/permissions/reports:export", `{"name":"Export","description":null}`)
	if got["name"] != "Export" || got["description"] != nil {
		t.Errorf("patch: %v", got)
	}
	f.ok(200, "POST", "/authorization/roles/editor/permissions", `{"slug":"reports:export"}`)
	if r := f.do("DELETE", "/authorization/permissions/reports:export", ""); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	got = f.ok(200, "GET", "/authorization/roles/editor", "")
	if slices.Contains(got["permissions"].([]any), any("reports:export")) {
		t.Errorf("the deleted permission stays on a role: %v", got["permissions"])
	}
	list := f.ok(200, "GET", "/authorization/permissions", "")
	if list["object"] != "list" {
		t.Errorf("envelope: %v", list)
	}
	if got := slugs(t, list, "slug"); len(got) != 4 {
		t.Errorf("permissions %v", got)
	}
}

// pageThrough walks a list route page by page with the given order and
// limit, forwards with after, and returns the ids in the order met.
func pageThrough(t *testing.T, f *fixture, path, order string, limit int) []string {
	t.Helper()
	var ids []string
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := "after"
	if order == "normal" {
		next = "before" // normal: before fetches the older objects
	}
	cursor := ""
	for range 100 {
		q := fmt.Sprintf("%s%slimit=%d&order=%s", path, sep, limit, order)
		if cursor != "" {
			q += "&" + next + "=" + cursor
		}
		body := f.ok(200, "GET", q, "")
		page := slugs(t, body, "id")
		if len(page) > limit {
			t.Fatalf("%s: %d objects, limit %d", q, len(page), limit)
		}
		ids = append(ids, page...)
		md := body["list_metadata"].(map[string]any)
		c, _ := md[next].(string)
		if c == "" {
			return ids
		}
		if c != page[len(page)-1] {
			t.Fatalf("%s: cursor %q is not the last id %q", q, c, page[len(page)-1])
		}
		cursor = c
	}
	t.Fatal("more than 100 pages")
	return nil
}

func TestPagination(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	ctx := context.Background()
	var want []string
	for i := range 23 {
		p := must[rbac.Permission](t)(f.svc.CreatePermission(ctx, testEnv, rbac.PermissionInput{Slug: fmt.Sprintf("p%02d", i), Name: "P"}))
		_ = p
	}
	for _, p := range every(t, func(o rbac.ListOptions) (rbac.Page[rbac.Permission], error) {
		return f.svc.ListPermissions(ctx, testEnv, o)
	}) {
		want = append(want, p.ID)
	}
	slices.Sort(want)
	desc := slices.Clone(want)
	slices.Reverse(desc)
	for _, limit := range []int{1, 4, 10, 27, 100} {
		if diff := cmp.Diff(want, pageThrough(t, f, "/authorization/permissions", "asc", limit)); diff != "" {
			t.Errorf("asc, limit %d (-want +got):\n%s", limit, diff)
		}
		if diff := cmp.Diff(desc, pageThrough(t, f, "/authorization/permissions", "desc", limit)); diff != "" {
			t.Errorf("desc, limit %d (-want +got):\n%s", limit, diff)
		}
		if diff := cmp.Diff(desc, pageThrough(t, f, "/authorization/permissions", "normal", limit)); diff != "" {
			t.Errorf("normal, limit %d (-want +got):\n%s", limit, diff)
		}
	}
	// The default: 10, newest (highest id) first; before is null on the
	// first page.
	body := f.ok(200, "GET", "/authorization/permissions", "")
	if diff := cmp.Diff(desc[:10], slugs(t, body, "id")); diff != "" {
		t.Errorf("default page (-want +got):\n%s", diff)
	}
	md := body["list_metadata"].(map[string]any)
	if md["before"] != nil || md["after"] != desc[9] {
		t.Errorf("list_metadata %v", md)
	}
	// Back with before: the page before the second one is the first.
	second := f.ok(200, "GET", "/authorization/permissions?after="+desc[9], "")
	if diff := cmp.Diff(desc[10:20], slugs(t, second, "id")); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
	back := f.ok(200, "GET", "/authorization/permissions?before="+desc[10], "")
	if diff := cmp.Diff(desc[:10], slugs(t, back, "id")); diff != "" {
		t.Errorf("before (-want +got):\n%s", diff)
	}
	if md := back["list_metadata"].(map[string]any); md["before"] != nil || md["after"] != desc[9] {
		t.Errorf("list_metadata going back %v", md)
	}
	// A cursor past the end is an empty page.
	end := f.ok(200, "GET", "/authorization/permissions?order=asc&after="+want[len(want)-1], "")
	if len(end["data"].([]any)) != 0 {
		t.Errorf("after the last: %v", end)
	}

	// Organizations and memberships page the same way.
	for i := range 12 {
		must[rbac.Organization](t)(f.svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{Name: fmt.Sprintf("Org %d", i)}))
		must[rbac.Membership](t)(f.svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: fmt.Sprintf("m%d", i)}))
	}
	orgs := pageThrough(t, f, "/organizations", "asc", 5)
	if len(orgs) != 14 || !slices.IsSorted(orgs) {
		t.Errorf("organizations %v", orgs)
	}
	members := pageThrough(t, f, "/user_management/organization_memberships?organization_id=acme", "desc", 3)
	if len(members) != 14 || !slices.IsSortedFunc(members, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("active members of acme: %d %v", len(members), members)
	}
	all := pageThrough(t, f, "/user_management/organization_memberships?organization_id=acme&statuses=active,inactive,pending", "asc", 7)
	if len(all) != 15 {
		t.Errorf("every member of acme: %d", len(all))
	}
}

func TestOrganizations(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	got := f.ok(201, "POST", "/organizations", `{"name":"Initech","metadata":null,"domains":[],"external_id":null}`)
	same(t, "create", got, `{"object":"organization","id":"<id>","name":"Initech","domains":[],"metadata":{},
		"external_id":null,"created_at":"<time>","updated_at":"<time>"}`)
	if id := got["id"].(string); !strings.HasPrefix(id, "org_") {
		t.Errorf("generated id %q", id)
	}
	same(t, "create with an id", f.ok(201, "POST", "/organizations", `{"id":"hooli","name":"Hooli"}`),
		`{"object":"organization","id":"hooli","name":"Hooli","domains":[],"metadata":{},"external_id":null,"created_at":"<time>","updated_at":"<time>"}`)
	same(t, "get", f.ok(200, "GET", "/organizations/acme", ""),
		`{"object":"organization","id":"acme","name":"Acme Inc.","domains":[],"metadata":{"tier":"gold"},"external_id":"ext-acme","created_at":"<time>","updated_at":"<time>"}`)
	got = f.ok(201, "POST", "/organizations", `{"name":"Umbrella","external_id":"ext-umbrella","metadata":{"region":"eu","tier":"silver"}}`)
	umbrella := got["id"].(string)
	same(t, "create with an external id and metadata", got, `{"object":"organization","id":"<id>","name":"Umbrella","domains":[],
		"metadata":{"region":"eu","tier":"silver"},"external_id":"ext-umbrella","created_at":"<time>","updated_at":"<time>"}`)
	if got := f.ok(200, "GET", "/organizations/external_id/ext-umbrella", ""); got["id"] != umbrella {
		t.Errorf("by external id: %v", got)
	}
	same(t, "update", f.ok(200, "PUT", "/organizations/"+umbrella, `{"name":"Umbrella Corp","external_id":"ext-umb","metadata":{"tier":"gold"}}`),
		`{"object":"organization","id":"<id>","name":"Umbrella Corp","domains":[],"metadata":{"tier":"gold"},"external_id":"ext-umb",
		"created_at":"<time>","updated_at":"<time>"}`)
	if r := f.do("GET", "/organizations/external_id/ext-umbrella", ""); r.status != 404 {
		t.Errorf("the old external id: %d", r.status)
	}
	same(t, "partial update", f.ok(200, "PUT", "/organizations/"+umbrella, `{"allow_profiles_outside_organization":false}`),
		`{"object":"organization","id":"<id>","name":"Umbrella Corp","domains":[],"metadata":{"tier":"gold"},"external_id":"ext-umb",
		"created_at":"<time>","updated_at":"<time>"}`)
	same(t, "clearing", f.ok(200, "PUT", "/organizations/"+umbrella, `{"external_id":null,"metadata":null}`),
		`{"object":"organization","id":"<id>","name":"Umbrella Corp","domains":[],"metadata":{},"external_id":null,
		"created_at":"<time>","updated_at":"<time>"}`)
	if got := f.ok(200, "PUT", "/organizations/"+umbrella, `{"metadata":{"a":"1"}}`)["metadata"]; !cmp.Equal(got, map[string]any{"a": "1"}) {
		t.Errorf("metadata replaces: %v", got)
	}
	list := f.ok(200, "GET", "/organizations?order=asc", "")
	if diff := cmp.Diff([]string{"acme", "globex", "hooli"}, slugs(t, list, "id")[:3]); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	if r := f.do("DELETE", "/organizations/acme", ""); r.status != 200 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	if r := f.do("GET", "/user_management/organization_memberships/"+f.u1, ""); r.status != 404 {
		t.Errorf("a membership of the deleted organization: %d", r.status)
	}
	if r := f.do("GET", "/organizations/acme", ""); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	}
}

func TestMemberships(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	got := f.ok(201, "POST", "/user_management/organization_memberships", `{"organization_id":"acme","user_id":"u9","role_slug":"editor"}`)
	same(t, "create", got, `{"object":"organization_membership","id":"<id>","user_id":"u9","organization_id":"acme",
		"organization_name":"Acme Inc.","status":"active","directory_managed":false,"custom_attributes":{},
		"role":{"slug":"editor"},"roles":[{"slug":"editor"}],"created_at":"<time>","updated_at":"<time>"}`)
	id := got["id"].(string)
	got = f.ok(201, "POST", "/user_management/organization_memberships", `{"organization_id":"globex","user_id":"u9"}`)
	if diff := cmp.Diff(map[string]any{"slug": "org-lead"}, got["role"]); diff != "" {
		t.Errorf("the organization's default (-want +got):\n%s", diff)
	}

	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id, `{"role_slug":"org-billing"}`)
	if diff := cmp.Diff([]any{map[string]any{"slug": "org-billing"}}, got["roles"]); diff != "" {
		t.Errorf("update (-want +got):\n%s", diff)
	}
	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id, `{}`)
	if diff := cmp.Diff(map[string]any{"slug": "org-billing"}, got["role"]); diff != "" {
		t.Errorf("empty update (-want +got):\n%s", diff)
	}

	// Several roles once multiple roles are on: primary first, in
	// priority order.
	f.ok(200, "PUT", "/rbac/environment/multiple_roles", `{"enabled":true}`)
	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id, `{"role_slugs":["member","org-billing","admin"]}`)
	if diff := cmp.Diff([]any{map[string]any{"slug": "admin"}, map[string]any{"slug": "member"}, map[string]any{"slug": "org-billing"}}, got["roles"]); diff != "" {
		t.Errorf("several roles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"slug": "admin"}, got["role"]); diff != "" {
		t.Errorf("primary (-want +got):\n%s", diff)
	}
	got = f.ok(201, "POST", "/user_management/organization_memberships", `{"organization_id":"acme","user_id":"u10","role_slugs":["editor","member"]}`)
	if len(got["roles"].([]any)) != 2 {
		t.Errorf("create with several roles: %v", got["roles"])
	}

	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id+"/deactivate", "")
	if got["status"] != "inactive" {
		t.Errorf("deactivate: %v", got["status"])
	}
	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id+"/deactivate", "")
	if got["status"] != "inactive" {
		t.Errorf("deactivate again: %v", got["status"])
	}
	inactive := f.ok(200, "GET", "/user_management/organization_memberships?user_id=u9&statuses=inactive", "")
	if diff := cmp.Diff([]string{id}, slugs(t, inactive, "id")); diff != "" {
		t.Errorf("inactive memberships of u9 (-want +got):\n%s", diff)
	}
	got = f.ok(200, "PUT", "/user_management/organization_memberships/"+id+"/reactivate", "")
	if got["status"] != "active" || len(got["roles"].([]any)) != 3 {
		t.Errorf("reactivate keeps the roles: %v", got)
	}
	f.ok(200, "PUT", "/user_management/organization_memberships/"+id+"/deactivate", "")
	got = f.ok(201, "POST", "/user_management/organization_memberships", `{"organization_id":"acme","user_id":"u9","role_slug":"member"}`)
	if got["id"] != id || got["status"] != "active" {
		t.Errorf("create over an inactive membership reactivates it: %v", got)
	}
	if diff := cmp.Diff([]any{map[string]any{"slug": "member"}}, got["roles"]); diff != "" {
		t.Errorf("with the roles given (-want +got):\n%s", diff)
	}

	same(t, "get", f.ok(200, "GET", "/user_management/organization_memberships/"+f.u2, ""), `{"object":"organization_membership",
		"id":"<id>","user_id":"u2","organization_id":"acme","organization_name":"Acme Inc.","status":"active",
		"directory_managed":false,"custom_attributes":{},"role":{"slug":"org-billing"},"roles":[{"slug":"org-billing"}],
		"created_at":"<time>","updated_at":"<time>"}`)
	byUser := f.ok(200, "GET", "/user_management/organization_memberships?user_id=u9&order=asc", "")
	if len(byUser["data"].([]any)) != 2 {
		t.Errorf("memberships of u9: %v", byUser)
	}
	both := f.ok(200, "GET", "/user_management/organization_memberships?user_id=u9&organization_id=globex", "")
	if got := slugs(t, both, "organization_id"); !slices.Equal(got, []string{"globex"}) {
		t.Errorf("by user and organization: %v", got)
	}
	pending := f.ok(200, "GET", "/user_management/organization_memberships?organization_id=acme&statuses[]=pending", "")
	if diff := cmp.Diff([]string{f.u3}, slugs(t, pending, "id")); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	several := f.ok(200, "GET", "/user_management/organization_memberships?organization_id=acme&statuses=pending&statuses=inactive", "")
	if len(several["data"].([]any)) != 1 {
		t.Errorf("pending and inactive in acme: %v", slugs(t, several, "id"))
	}

	if r := f.do("DELETE", "/user_management/organization_memberships/"+id, ""); r.status != 200 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := f.do("GET", "/user_management/organization_memberships/"+id, ""); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	}
}

func TestCheck(t *testing.T) {
	for _, withChecker := range []bool{false, true} {
		t.Run(fmt.Sprintf("checker=%v", withChecker), func(t *testing.T) {
			var opts workosapi.Options
			var az *authz.Authorizer
			if withChecker {
				opts.Checker = func(env string) workosapi.Checker {
					if env == testEnv {
						return az
					}
					return nil
				}
			}
			f := newFixture(t, memory, opts)
			if withChecker {
				az = must[*authz.Authorizer](t)(authz.New(context.Background(), f.svc, testEnv))
			}
			check := func(id, body string) any {
				t.Helper()
				got := f.ok(200, "POST", "/authorization/organization_memberships/"+id+"/check", body)
				if len(got) != 1 {
					t.Errorf("check body %v", got)
				}
				return got["authorized"]
			}
			for _, c := range []struct {
				id, perm string
				want     bool
			}{
				{f.u1, "videos:create", true},
				{f.u1, "billing:manage", true},
				{f.u2, "billing:manage", true},
				{f.u2, "videos:view", false},
				{f.u3, "videos:view", false}, // pending
				{f.u4, "videos:view", false}, // inactive
				{f.u1, "nope", false},
			} {
				if got := check(c.id, `{"permission_slug":"`+c.perm+`"}`); got != c.want {
					t.Errorf("check %s %s: %v, want %v", c.id, c.perm, got, c.want)
				}
			}
			if got := check(f.u1, `{"permission_slug":"videos:view","resource_type_slug":"organization","resource_external_id":"acme"}`); got != true {
				t.Errorf("check on the organization resource: %v", got)
			}
			if got := check(f.u1, `{"permission_slug":"videos:view","resource_type_slug":"organization","resource_external_id":"ext-acme"}`); got != true {
				t.Errorf("check on the organization's external id: %v", got)
			}
			if got := check(f.u1, `{"permission_slug":"videos:view","resource_id":"acme"}`); got != true {
				t.Errorf("check on the organization by id: %v", got)
			}
			// A write is visible to the next check.
			f.ok(200, "PUT", "/user_management/organization_memberships/"+f.u2, `{"role_slug":"member"}`)
			if got := check(f.u2, `{"permission_slug":"videos:view"}`); got != true {
				t.Errorf("check after a role change: %v", got)
			}
			f.ok(200, "PUT", "/user_management/organization_memberships/"+f.u4+"/reactivate", "")
			if got := check(f.u4, `{"permission_slug":"videos:view"}`); got != true {
				t.Errorf("check after reactivation: %v", got)
			}
		})
	}
}

func TestDashboardRoutes(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{})
	same(t, "environment", f.ok(200, "GET", "/rbac/environment", ""), `{"object":"environment","id":"test","name":"test",
		"default_role":"member","priority_order":["admin","editor","member"],"multiple_roles":false,
		"revision":`+fmt.Sprint(dump(t, f.svc, testEnv).Environment.Revision)+`,"created_at":"<time>","updated_at":"<time>"}`)
	got := f.ok(200, "PUT", "/rbac/environment/priority_order", `{"priority_order":["member","editor","admin"]}`)
	if diff := cmp.Diff([]any{"member", "editor", "admin"}, got["priority_order"]); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	got = f.ok(200, "PUT", "/rbac/environment/default_role", `{"role_slug":"editor"}`)
	if got["default_role"] != "editor" {
		t.Errorf("default: %v", got)
	}
	got = f.ok(200, "PUT", "/rbac/environment/multiple_roles", `{"enabled":true}`)
	if got["multiple_roles"] != true {
		t.Errorf("multiple roles: %v", got)
	}
	f.ok(200, "PUT", "/rbac/environment/multiple_roles", `{"enabled":false}`)

	// Organization settings: globex has its own, acme forked at its first
	// role; a fresh organization inherits.
	f.ok(201, "POST", "/organizations", `{"id":"initech","name":"Initech"}`)
	same(t, "inherited settings", f.ok(200, "GET", "/rbac/organizations/initech/settings", ""), `{"object":"organization_settings",
		"organization_id":"initech","default_role":"editor","priority_order":["member","editor","admin"],"inherited":true}`)
	same(t, "own default", f.ok(200, "PUT", "/rbac/organizations/initech/default_role", `{"role_slug":"admin"}`), `{"object":"organization_settings",
		"organization_id":"initech","default_role":"admin","priority_order":["member","editor","admin"],"inherited":false}`)
	got = f.ok(200, "PUT", "/rbac/organizations/initech/priority_order", `{"priority_order":["admin","member","editor"]}`)
	if diff := cmp.Diff([]any{"admin", "member", "editor"}, got["priority_order"]); diff != "" {
		t.Errorf("organization order (-want +got):\n%s", diff)
	}

	// Deleting the environment default: a dry run names what would
	// change and changes nothing; then the deletion.
	before := f.dumps()
	same(t, "dry run", f.ok(200, "DELETE", "/rbac/roles/editor?replacement_default=member&dry_run=true", ""), `{"object":"deletion_plan",
		"dry_run":true,"role_slug":"editor","replacement_default":"member","environment_default_replaced":true,
		"defaults_replaced":[],"membership_count":0,"memberships":[],"group_role_mappings":[],"roles":[]}`)
	if diff := cmp.Diff(before, f.dumps()); diff != "" {
		t.Errorf("the dry run changed the state (-before +after):\n%s", diff)
	}
	r := f.do("DELETE", "/rbac/roles/editor", "")
	body := r.json(t)
	if r.status != 409 || body["code"] != "replacement_role_required" || body["environment_default"] != true {
		t.Errorf("delete the default without a replacement: %d %s", r.status, r.body)
	}
	got = f.ok(200, "DELETE", "/rbac/roles/editor?replacement_default=member", "")
	if got["dry_run"] != false || got["environment_default_replaced"] != true {
		t.Errorf("delete: %v", got)
	}
	if got := f.ok(200, "GET", "/rbac/environment", "")["default_role"]; got != "member" {
		t.Errorf("default after the deletion: %v", got)
	}

	// Deleting an organization role with a reassignment target.
	plan := f.ok(200, "DELETE", "/rbac/organizations/acme/roles/org-billing?reassign_to=admin&dry_run=true", "")
	if diff := cmp.Diff([]any{f.u2}, plan["memberships"]); diff != "" || plan["reassigned_to"] != "admin" {
		t.Errorf("reassignment plan %v (-want +got):\n%s", plan, diff)
	}
	f.ok(200, "DELETE", "/rbac/organizations/acme/roles/org-billing?reassign_to=admin", "")
	if got := f.ok(200, "GET", "/user_management/organization_memberships/"+f.u2, "")["role"]; !cmp.Equal(got, map[string]any{"slug": "admin"}) {
		t.Errorf("u2 after the reassignment: %v", got)
	}
	plan = f.ok(200, "DELETE", "/rbac/organizations/acme/roles/org-sso?reassign_to=member", "")
	if maps := plan["group_role_mappings"].([]any); len(maps) != 1 {
		t.Errorf("re-pointed mappings: %v", plan)
	}

	// Dry runs of a permission and an organization deletion.
	plan = f.ok(200, "DELETE", "/rbac/permissions/videos:view?dry_run=true", "")
	if len(plan["roles"].([]any)) != 2 || plan["permission_slug"] != "videos:view" {
		t.Errorf("permission plan: %v", plan)
	}
	plan = f.ok(200, "DELETE", "/rbac/organizations/acme?dry_run=1", "")
	if plan["organization_id"] != "acme" || len(plan["memberships"].([]any)) != 3 {
		t.Errorf("organization plan: %v", plan)
	}
	f.ok(200, "GET", "/organizations/acme", "")

	// Group mappings and sync.
	got = f.ok(201, "POST", "/rbac/organizations/acme/group_role_mappings", `{"source":"sso","group_id":"admins","role_slug":"admin"}`)
	same(t, "mapping", got, `{"object":"group_role_mapping","id":"<id>","organization_id":"acme","source":"sso",
		"group_id":"admins","role_slug":"admin","created_at":"<time>","updated_at":"<time>"}`)
	list := f.ok(200, "GET", "/rbac/organizations/acme/group_role_mappings", "")
	if len(list["data"].([]any)) != 2 {
		t.Errorf("mappings: %v", list)
	}
	got = f.ok(200, "POST", "/rbac/organizations/acme/group_sync", `{"user_id":"sso-user","source":"sso","groups":["admins","other"]}`)
	if got["created"] != true || got["applied"] != true || got["role_source"] != "sso" ||
		!cmp.Equal(got["membership"].(map[string]any)["role"], map[string]any{"slug": "admin"}) {
		t.Errorf("sync: %v", got)
	}
	if r := f.do("DELETE", "/rbac/organizations/acme/group_role_mappings/sso/admins", ""); r.status != 204 {
		t.Errorf("unmap: %d %s", r.status, r.body)
	}
	got = f.ok(200, "POST", "/rbac/organizations/acme/group_sync", `{"user_id":"sso-user","source":"sso","groups":["admins"]}`)
	if got["role_source"] != "sso_default" || !cmp.Equal(got["membership"].(map[string]any)["role"], map[string]any{"slug": "member"}) {
		t.Errorf("sync after unmapping: %v", got)
	}

	// Invitations.
	got = f.ok(201, "POST", "/rbac/organization_memberships", `{"organization_id":"acme","user_id":"invitee","status":"pending"}`)
	if got["status"] != "pending" {
		t.Errorf("invite: %v", got)
	}
	got = f.ok(200, "PUT", "/rbac/organization_memberships/"+got["id"].(string)+"/accept", "")
	if got["status"] != "active" {
		t.Errorf("accept: %v", got)
	}
}

// TestKeysBindEnvironments checks that each key acts in its own
// environment only, with several keys per environment.
func TestKeysBindEnvironments(t *testing.T) {
	f := newFixture(t, memory, workosapi.Options{Keys: map[string]string{
		testKey: testEnv, testKey + "2": testEnv, otherKey: otherEnv, "": otherEnv}})
	for _, c := range []struct{ key, want string }{{testKey, testEnv}, {testKey + "2", testEnv}, {otherKey, otherEnv}} {
		r := f.request("GET", "/rbac/environment", "", "bearer  "+c.key)
		if r.status != 200 || r.json(t)["id"] != c.want {
			t.Errorf("key %s: %d %s", c.key, r.status, r.body)
		}
	}
	if r := f.request("GET", "/rbac/environment", "", "Bearer "); r.status != 401 {
		t.Errorf("the empty key is ignored: %d", r.status)
	}
	seen := map[string]bool{}
	for range 3 {
		id := f.do("GET", "/authorization/roles", "").header.Get("X-Request-ID")
		if id == "" || seen[id] {
			t.Errorf("request id %q", id)
		}
		seen[id] = true
	}
}
