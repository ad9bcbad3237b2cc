// Command middleware serves two routes guarded by different permissions,
// with checks answered from memory by an authz.Authorizer.
//
//	go run ./examples/middleware
//
// For the demonstration the organization and the user come from the
// X-Org-ID and X-User-ID request headers; a real application takes them
// from its verified session or JWT. The environment is seeded with two
// permissions, an "admin" and a "viewer" role, the organization "acme", and
// two users: alice (admin) and bob (viewer).
//
//	curl -i localhost:8080/docs                                              # 401
//	curl -i -H 'X-Org-ID: acme' -H 'X-User-ID: bob' localhost:8080/docs      # 200
//	curl -i -H 'X-Org-ID: acme' -H 'X-User-ID: bob' localhost:8080/billing   # 403
//	curl -i -H 'X-Org-ID: acme' -H 'X-User-ID: alice' localhost:8080/billing # 200
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/rbachttp"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	flag.Parse()
	h, err := newServer(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}

const env = "production"

// newServer seeds an in-memory store and returns the guarded routes.
func newServer(ctx context.Context) (http.Handler, error) {
	svc := rbac.New(memstore.New())
	if err := seed(ctx, svc); err != nil {
		return nil, err
	}
	az, err := authz.New(ctx, svc, env)
	if err != nil {
		return nil, err
	}
	guard := &rbachttp.Guard{Authorizer: az, Identity: fromHeaders}
	mux := http.NewServeMux()
	mux.Handle("GET /docs", guard.Require("docs:read")(http.HandlerFunc(showClaims)))
	mux.Handle("GET /billing", guard.Require("billing:manage")(http.HandlerFunc(showClaims)))
	return mux, nil
}

// fromHeaders takes the identity from request headers. Demonstration
// only: a client can send any header it likes.
func fromHeaders(r *http.Request) (org, user string, ok bool) {
	org, user = r.Header.Get("X-Org-ID"), r.Header.Get("X-User-ID")
	return org, user, org != "" && user != ""
}

// showClaims answers with the session claims of the caller.
func showClaims(w http.ResponseWriter, r *http.Request) {
	claims, ok := rbachttp.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no active membership", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "claims": claims})
}

func seed(ctx context.Context, svc *rbac.Service) error {
	steps := []func() error{
		func() error {
			_, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env, Name: "Production"})
			return err
		},
		func() error {
			_, err := svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "docs:read", Name: "Read documents"})
			return err
		},
		func() error {
			_, err := svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "billing:manage", Name: "Manage billing"})
			return err
		},
		func() error {
			_, err := svc.CreateRole(ctx, env, rbac.RoleInput{Slug: "admin", Name: "Admin",
				Permissions: []string{"docs:read", "billing:manage"}})
			return err
		},
		func() error {
			_, err := svc.CreateRole(ctx, env, rbac.RoleInput{Slug: "viewer", Name: "Viewer", Permissions: []string{"docs:read"}})
			return err
		},
		func() error {
			_, err := svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme", Name: "Acme Inc."})
			return err
		},
		func() error {
			_, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "alice", Roles: []string{"admin"}})
			return err
		},
		func() error {
			_, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "bob", Roles: []string{"viewer"}})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
