package rbachttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/rbachttp"
)

// setup returns an authorizer over an environment where ana is an admin of
// acme, bob a viewer, and cy an invited (pending) member.
func setup(t *testing.T) (*rbac.Service, *authz.Authorizer) {
	t.Helper()
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}))
	for _, p := range []string{"docs:read", "docs:write"} {
		must(svc.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: p, Name: p}))
	}
	must(svc.CreateRole(ctx, "production", rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"docs:read", "docs:write"}}))
	must(svc.CreateRole(ctx, "production", rbac.RoleInput{Slug: "viewer", Name: "Viewer", Permissions: []string{"docs:read"}}))
	must(svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}))
	must(svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "ana", Roles: []string{"admin"}}))
	must(svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "bob", Roles: []string{"viewer"}}))
	must(svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "cy", Roles: []string{"admin"}, Status: rbac.StatusPending}))
	a, err := authz.New(ctx, svc, "production")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return svc, a
}

// fromHeaders is the identity of the tests: headers, standing in for a
// verified session.
func fromHeaders(r *http.Request) (org, user string, ok bool) {
	org, user = r.Header.Get("X-Org-ID"), r.Header.Get("X-User-ID")
	return org, user, org != "" && user != ""
}

// claimsHandler answers with the claims the middleware left in the context.
var claimsHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := rbachttp.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(c)
})

func do(h http.Handler, org, user string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/docs", nil)
	if org != "" {
		r.Header.Set("X-Org-ID", org)
	}
	if user != "" {
		r.Header.Set("X-User-ID", user)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRequire(t *testing.T) {
	_, a := setup(t)
	guard := &rbachttp.Guard{Authorizer: a, Identity: fromHeaders}
	write := guard.Require("docs:write")(claimsHandler)
	read := rbachttp.Require(a, fromHeaders, "docs:read")(claimsHandler)
	tests := []struct {
		name      string
		h         http.Handler
		org, user string
		want      int
	}{
		{"no identity", write, "", "", http.StatusUnauthorized},
		{"no user", write, "acme", "", http.StatusUnauthorized},
		{"no organization", read, "", "ana", http.StatusUnauthorized},
		{"admin writes", write, "acme", "ana", http.StatusOK},
		{"viewer writes", write, "acme", "bob", http.StatusForbidden},
		{"viewer reads", read, "acme", "bob", http.StatusOK},
		{"pending member", read, "acme", "cy", http.StatusForbidden},
		{"stranger", read, "acme", "zed", http.StatusForbidden},
		{"other organization", read, "globex", "ana", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := do(tt.h, tt.org, tt.user); w.Code != tt.want {
				t.Errorf("status %d, want %d (body %q)", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestClaimsFromContext(t *testing.T) {
	_, a := setup(t)
	w := do(rbachttp.Require(a, fromHeaders, "docs:read")(claimsHandler), "acme", "ana")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"org_id": "acme", "role": "admin", "roles": []any{"admin"},
		"permissions": []any{"docs:read", "docs:write"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
}

func TestContextHelpers(t *testing.T) {
	_, a := setup(t)
	var org, user string
	var canWrite, canRead, ok bool
	h := rbachttp.Require(a, fromHeaders, "docs:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org, user, ok = rbachttp.IdentityFromContext(r.Context())
		canRead, canWrite = rbachttp.Can(r.Context(), "docs:read"), rbachttp.Can(r.Context(), "docs:write")
	}))
	do(h, "acme", "bob")
	if !ok || org != "acme" || user != "bob" || !canRead || canWrite {
		t.Errorf("in handler: identity (%q, %q, %v), can read %v, can write %v; want (acme, bob, true), true, false",
			org, user, ok, canRead, canWrite)
	}
	ctx := context.Background()
	if _, _, ok := rbachttp.IdentityFromContext(ctx); ok {
		t.Error("identity outside a guarded handler")
	}
	if _, ok := rbachttp.ClaimsFromContext(ctx); ok {
		t.Error("claims outside a guarded handler")
	}
	if rbachttp.Can(ctx, "docs:read") {
		t.Error("Can is true outside a guarded handler")
	}
}

func TestCustomResponses(t *testing.T) {
	_, a := setup(t)
	guard := &rbachttp.Guard{Authorizer: a, Identity: fromHeaders,
		Unauthorized: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
		}),
		Forbidden: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			org, user, _ := rbachttp.IdentityFromContext(r.Context())
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "%s may not write in %s", user, org)
		}),
	}
	h := guard.Require("docs:write")(claimsHandler)
	if w := do(h, "", ""); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("unauthorized: %d %v", w.Code, w.Header())
	}
	if w := do(h, "acme", "bob"); w.Code != http.StatusForbidden || w.Body.String() != "bob may not write in acme" {
		t.Errorf("forbidden: %d %q", w.Code, w.Body)
	}
}

// TestWritesVisibleToNextRequest: a role change through the Service is
// enforced by the next request.
func TestWritesVisibleToNextRequest(t *testing.T) {
	svc, a := setup(t)
	h := rbachttp.Require(a, fromHeaders, "docs:write")(claimsHandler)
	if w := do(h, "acme", "bob"); w.Code != http.StatusForbidden {
		t.Fatalf("status %d, want 403", w.Code)
	}
	m, err := svc.FindMembership(context.Background(), "production", "acme", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateMembershipRoles(context.Background(), "production", m.ID, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	if w := do(h, "acme", "bob"); w.Code != http.StatusOK {
		t.Errorf("after promotion: status %d, want 200", w.Code)
	}
	if _, err := svc.DeactivateMembership(context.Background(), "production", m.ID); err != nil {
		t.Fatal(err)
	}
	if w := do(h, "acme", "bob"); w.Code != http.StatusForbidden {
		t.Errorf("after deactivation: status %d, want 403", w.Code)
	}
}

func BenchmarkRequire(b *testing.B) {
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"})
	svc.CreatePermission(ctx, "production", rbac.PermissionInput{Slug: "docs:read", Name: "read"})
	svc.UpdateRole(ctx, "production", "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"docs:read"})})
	svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"})
	svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "ana"})
	a, err := authz.New(ctx, svc, "production")
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	h := rbachttp.Require(a, fromHeaders, "docs:read")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/docs", nil)
	r.Header.Set("X-Org-ID", "acme")
	r.Header.Set("X-User-ID", "ana")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.Code != http.StatusOK {
		b.Fatalf("status %d", w.Code)
	}
}
