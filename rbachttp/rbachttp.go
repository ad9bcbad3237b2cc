// Package rbachttp is net/http middleware that guards handlers with
// permission checks answered by an [authz.Authorizer].
//
// The application says who makes a request — the organization and the
// user, taken from its session or a verified JWT — with an [IdentityFunc].
// [Guard.Require] returns middleware that answers
//
//   - 401 Unauthorized when the request carries no identity,
//   - 403 Forbidden when the user may not use the permission in the
//     organization (no active membership there, or no role that grants it),
//   - otherwise the next handler, with the identity in the request context.
//
// Downstream handlers read the identity with [IdentityFromContext], the
// session claims (org_id, role, roles, permissions) with
// [ClaimsFromContext], and make further checks with [Can].
//
//	guard := &rbachttp.Guard{Authorizer: authz, Identity: fromSession}
//	mux.Handle("GET /docs", guard.Require("docs:read")(listDocs))
//	mux.Handle("POST /billing", guard.Require("billing:manage")(updateBilling))
//
// A check reads the authorizer's in-memory snapshot: no lock, no store
// access, no allocation. The middleware itself allocates only to put the
// identity in the request's context.
package rbachttp

import (
	"context"
	"net/http"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
)

// An Authorizer answers checks and claims; [*authz.Authorizer] is one.
type Authorizer interface {
	Can(org, user, permission string) bool
	Claims(org, user string) (rbac.Claims, bool)
}

var _ Authorizer = (*authz.Authorizer)(nil)

// An IdentityFunc returns the organization and the user a request acts
// for, from the application's session or token; ok is false when the
// request carries none (it is then answered 401). It must only trust
// verified data: a signed session cookie or a verified JWT, never a bare
// header from the client.
type IdentityFunc func(r *http.Request) (org, user string, ok bool)

// A Guard makes middleware that requires permissions.
type Guard struct {
	// Authorizer answers the checks; required.
	Authorizer Authorizer
	// Identity tells who makes a request; required.
	Identity IdentityFunc
	// Unauthorized answers requests without an identity; nil means a
	// plain 401 Unauthorized.
	Unauthorized http.Handler
	// Forbidden answers requests whose user lacks the permission; nil
	// means a plain 403 Forbidden. The identity is in its request's
	// context.
	Forbidden http.Handler
}

// Require returns middleware that lets a request through to next only when
// its user has an active membership in its organization with a role that
// grants permission.
func (g *Guard) Require(permission string) func(http.Handler) http.Handler {
	if g.Authorizer == nil || g.Identity == nil {
		panic("rbachttp: Guard needs an Authorizer and an Identity")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			org, user, ok := g.Identity(r)
			if !ok || org == "" || user == "" {
				g.unauthorized(w, r)
				return
			}
			id := &identity{authz: g.Authorizer, org: org, user: user}
			r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
			if !g.Authorizer.Can(org, user, permission) {
				g.forbidden(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Require is (&Guard{Authorizer: a, Identity: identity}).Require(permission).
func Require(a Authorizer, identity IdentityFunc, permission string) func(http.Handler) http.Handler {
	return (&Guard{Authorizer: a, Identity: identity}).Require(permission)
}

func (g *Guard) unauthorized(w http.ResponseWriter, r *http.Request) {
	if g.Unauthorized != nil {
		g.Unauthorized.ServeHTTP(w, r)
		return
	}
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

func (g *Guard) forbidden(w http.ResponseWriter, r *http.Request) {
	if g.Forbidden != nil {
		g.Forbidden.ServeHTTP(w, r)
		return
	}
	http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
}

type identityKey struct{}

type identity struct {
	authz     Authorizer
	org, user string
}

// IdentityFromContext returns the organization and user that the
// middleware found for the request.
func IdentityFromContext(ctx context.Context) (org, user string, ok bool) {
	id, ok := ctx.Value(identityKey{}).(*identity)
	if !ok {
		return "", "", false
	}
	return id.org, id.user, true
}

// ClaimsFromContext returns the session claims of the request's user in its
// organization: org_id, role, roles and permissions, as in WorkOS session
// tokens. They are computed when asked for, from the authorizer's current
// snapshot; ok is false outside a guarded handler or when the membership
// is no longer active.
func ClaimsFromContext(ctx context.Context) (rbac.Claims, bool) {
	id, ok := ctx.Value(identityKey{}).(*identity)
	if !ok {
		return rbac.Claims{}, false
	}
	return id.authz.Claims(id.org, id.user)
}

// Can reports whether the request's user may use permission in its
// organization: a further check inside a guarded handler. It is false
// outside one.
func Can(ctx context.Context, permission string) bool {
	id, ok := ctx.Value(identityKey{}).(*identity)
	return ok && id.authz.Can(id.org, id.user, permission)
}
