package dashboard_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/dashboard"
	"github.com/orgroles/rbac/memstore"
)

// The page benchmarks serve every page of the Dashboard from a store of
// 10,000 organizations and 100,000 memberships (ten per organization; one
// organization in ten has a role of its own and so its own order), and,
// as the baseline of the same run, from the small test store. Each
// iteration is one whole request through the handler: authentication,
// the library calls and the rendering of the page.
//
//	go test -run '^$' -bench Pages -benchtime 20x ./dashboard/

const (
	benchOrgs    = 10_000
	benchMembers = 10 // per organization
)

var (
	bigOnce sync.Once
	bigSvc  *rbac.Service
)

func bigStore(b *testing.B) *rbac.Service {
	bigOnce.Do(func() {
		svc := rbac.New(memstore.New())
		must := func(_ any, err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		must(svc.CreateEnvironment(bg, rbac.EnvironmentInput{ID: testEnv}))
		for i := range 20 {
			must(svc.CreatePermission(bg, testEnv, rbac.PermissionInput{Slug: fmt.Sprintf("perm:%02d", i), Name: fmt.Sprintf("Permission %d", i)}))
		}
		must(svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"perm:00", "perm:01"}}))
		must(svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "viewer", Name: "Viewer", Permissions: []string{"perm:02"}}))
		for o := range benchOrgs {
			id := fmt.Sprintf("org%05d", o)
			must(svc.CreateOrganization(bg, testEnv, rbac.OrganizationInput{ID: id, Name: fmt.Sprintf("Organization %d", o)}))
			if o%10 == 0 {
				must(svc.CreateOrganizationRole(bg, testEnv, id, rbac.RoleInput{Slug: "billing", Name: "Billing"}))
				must(svc.CreateGroupMapping(bg, testEnv, id, rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: "eng", Role: "admin"}))
			}
			for u := range benchMembers {
				role := "member"
				if u == 0 {
					role = "admin"
				}
				must(svc.CreateMembership(bg, testEnv, rbac.MembershipInput{OrganizationID: id, UserID: fmt.Sprintf("user%06d", o*benchMembers+u), Roles: []string{role}}))
			}
		}
		bigSvc = svc
	})
	if bigSvc == nil {
		b.Fatal("the big store could not be built")
	}
	return bigSvc
}

// benchPages are the pages measured, with the organization they use.
func benchPages(org, member string) []struct{ name, path string } {
	return []struct{ name, path string }{
		{"roles", "roles"},
		{"role-edit", "role?slug=admin"},
		{"role-delete-plan", "role/delete?slug=viewer"},
		{"role-delete-replacement-step", "role/delete?slug=member"},
		{"role-delete-replacement-plan", "role/delete?slug=member&replacement_default=viewer"},
		{"permissions", "permissions"},
		{"permission-delete-plan", "permission/delete?slug=perm:00"},
		{"organizations", "organizations"},
		{"organizations-page-after", "organizations?after=" + org},
		{"organizations-search-hit", "organizations?q=" + strings.TrimPrefix(org, "org")},
		{"organizations-search-miss", "organizations?q=no-such-organization"},
		{"org-roles", "org/roles?org=" + org},
		{"org-role-delete-plan", "org/role/delete?org=" + org + "&role=org-billing&reassign_to=member"},
		{"org-members", "org/members?org=" + org},
		{"org-member-remove", "org/member/remove?org=" + org + "&m=" + member},
		{"org-groups", "org/groups?org=" + org},
	}
}

func BenchmarkPages(b *testing.B) {
	for _, size := range []string{"small", "10000-orgs-100000-members"} {
		var svc *rbac.Service
		org := "acme"
		if size == "small" {
			svc = seed(b)
			if _, err := svc.CreateOrganizationRole(bg, testEnv, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateRole(bg, testEnv, rbac.RoleInput{Slug: "viewer", Name: "Viewer"}); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreatePermission(bg, testEnv, rbac.PermissionInput{Slug: "perm:00", Name: "P"}); err != nil {
				b.Fatal(err)
			}
		} else {
			svc = bigStore(b)
			org = fmt.Sprintf("org%05d", benchOrgs/2)
		}
		ms, err := svc.ListMemberships(bg, testEnv, rbac.MembershipFilter{OrganizationID: org}, rbac.ListOptions{Limit: 1})
		if err != nil || len(ms.Data) == 0 {
			b.Fatal("no member", err)
		}
		h := dashboard.New(svc, dashboard.Options{Prefix: prefix,
			Authenticate: func(*http.Request) (string, bool) { return testEnv, true }})
		for _, p := range benchPages(org, ms.Data[0].ID) {
			b.Run(size+"/"+p.name, func(b *testing.B) {
				req := httptest.NewRequest("GET", prefix+p.path, nil)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: status %d: %.300s", p.path, w.Code, w.Body.String())
				}
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			})
		}
	}
}
