package workosapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/workosapi"
)

// The handler's benchmarks serve requests through ServeHTTP with
// httptest (no network), on the in-memory store with the in-memory
// authorizer as the checker, at 1,000 organizations of 10 members. Each
// iteration builds its request and recorder, as the baseline does.
//
//	go test -run '^$' -bench . -benchmem ./workosapi/
//
// BenchmarkBaseline is the floor in the same run: a handler that reads a
// small JSON body, decodes it and writes a small JSON object, with no
// authentication, routing or library call.
//
// Besides ns/op (wall time), each benchmark reports cpu-ns/op: the CPU
// time the process used (user and system, every thread, so GC included)
// per iteration. On a machine shared with other work, wall time counts
// the time the benchmark waited for a core; CPU time does not, and varies
// much less from run to run.

const (
	benchOrgs    = 1000
	benchMembers = 10
)

type benchServer struct {
	h   *workosapi.Handler
	ids []string // membership ids
}

func newBench(b *testing.B) *benchServer {
	b.Helper()
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	must[rbac.Environment](b)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: testEnv}))
	var perms []string
	for i := range 20 {
		p := fmt.Sprintf("resource%d:use", i)
		perms = append(perms, p)
		must[rbac.Permission](b)(svc.CreatePermission(ctx, testEnv, rbac.PermissionInput{Slug: p, Name: p}))
	}
	for i := range 9 {
		must[rbac.Role](b)(svc.CreateRole(ctx, testEnv, rbac.RoleInput{Slug: fmt.Sprintf("role%d", i), Name: "Role",
			Description: "A role of the benchmarks", Permissions: perms[i : i+5]}))
	}
	s := &benchServer{}
	for o := range benchOrgs {
		org := fmt.Sprintf("org%04d", o)
		must[rbac.Organization](b)(svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: org, Name: "Org"}))
		for u := range benchMembers {
			m := must[rbac.Membership](b)(svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: org,
				UserID: fmt.Sprintf("user%d", u), Roles: []string{fmt.Sprintf("role%d", u%9)}}))
			s.ids = append(s.ids, m.ID)
		}
	}
	az := must[*authz.Authorizer](b)(authz.New(ctx, svc, testEnv))
	s.h = workosapi.New(svc, workosapi.Options{Keys: map[string]string{testKey: testEnv},
		Checker: func(string) workosapi.Checker { return az }})
	return s
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs the benchmark's loop, reporting allocations and cpu-ns/op.
func measure(b *testing.B, op func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	start, n := cpuTime(b), 0
	for i := 0; b.Loop(); i++ {
		op(i)
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
}

func (s *benchServer) serve(b *testing.B, method, path, body string, want int) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+testKey)
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	if w.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}

func BenchmarkCheck(b *testing.B) {
	s := newBench(b)
	paths := make([]string, len(s.ids))
	for i, id := range s.ids {
		paths[i] = "/authorization/organization_memberships/" + id + "/check"
	}
	body := `{"permission_slug":"resource3:use"}`
	measure(b, func(i int) { s.serve(b, "POST", paths[i%len(paths)], body, 200) })
}

func BenchmarkCreateMembership(b *testing.B) {
	s := newBench(b)
	measure(b, func(i int) {
		body := fmt.Sprintf(`{"organization_id":"org%04d","user_id":"new%d","role_slug":"role%d"}`, i%benchOrgs, i, i%9)
		s.serve(b, "POST", "/user_management/organization_memberships", body, 201)
	})
}

func BenchmarkListRoles(b *testing.B) {
	s := newBench(b)
	measure(b, func(int) { s.serve(b, "GET", "/authorization/roles", "", 200) })
}

func BenchmarkListOrganizationRoles(b *testing.B) {
	s := newBench(b)
	measure(b, func(i int) {
		s.serve(b, "GET", fmt.Sprintf("/authorization/organizations/org%04d/roles", i%benchOrgs), "", 200)
	})
}

// BenchmarkBaseline is a handler that decodes a small JSON body and
// writes a small JSON object: the cost of the HTTP and JSON plumbing
// alone.
func BenchmarkBaseline(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			PermissionSlug string `json:"permission_slug"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out, _ := json.Marshal(struct {
			Authorized bool `json:"authorized"`
		}{in.PermissionSlug != ""})
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
	body := `{"permission_slug":"resource3:use"}`
	measure(b, func(int) {
		r := httptest.NewRequest("POST", "/authorization/organization_memberships/om_01/check", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	})
}
