package workosapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/pgstore"
	"github.com/orgroles/rbac/workosapi"
)

const (
	testEnv  = "test"
	otherEnv = "other"
	testKey  = "sk_test_5e3c1f0a9b7d42e6"
	otherKey = "sk_other_81c4d2e7f3a9b05c"
)

// dsnEnv points the tests at a PostgreSQL server; without it the
// PostgreSQL variants skip.
const dsnEnv = "RBAC_POSTGRES_DSN"

// fixture is a handler over a seeded Service.
type fixture struct {
	tb  testing.TB
	svc *rbac.Service
	h   *workosapi.Handler

	// ids of seeded memberships: in acme, u1 (admin), u2 (org-billing),
	// u3 (pending); in globex, u4 (inactive); in the other
	// environment, o1.
	u1, u2, u3, u4, o1 string
}

type storeKind string

const (
	memory   storeKind = "memory"
	postgres storeKind = "postgres"
)

// newStore returns an empty store of the kind; a PostgreSQL one lives in
// a schema of its own, dropped at the end of the test.
func newStore(tb testing.TB, kind storeKind) rbac.Store {
	tb.Helper()
	if kind == memory {
		return memstore.New()
	}
	pool := testPool(tb)
	var b [5]byte
	_, _ = rand.Read(b[:])
	schema := fmt.Sprintf("rbactest_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
	s, err := pgstore.Open(context.Background(), pool, pgstore.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.DropSchema(context.Background()); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

var (
	poolOnce sync.Once
	pool     *pgxpool.Pool
	poolErr  error
)

func testPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("PostgreSQL tests skipped: set " + dsnEnv + " to a server's DSN to run them")
	}
	poolOnce.Do(func() { pool, poolErr = pgxpool.New(context.Background(), dsn) })
	if poolErr != nil {
		tb.Fatalf("%s: %v", dsnEnv, poolErr)
	}
	return pool
}

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// newFixture seeds two environments on a store of the kind:
//
//	test:  permissions videos:view, videos:create, billing:manage and the
//	       system permission audit:read; roles member (default), admin,
//	       editor; organizations acme (external id ext-acme, metadata
//	       tier=gold; own role org-billing held by u2, org-sso targeted
//	       by a directory group mapping) and globex (external id
//	       ext-globex; own role org-lead, its default); memberships u1 admin and u2
//	       org-billing in acme, u3 pending in acme, u4 inactive in globex.
//	other: role secret, organization acme, membership o1.
func newFixture(tb testing.TB, kind storeKind, opts workosapi.Options) *fixture {
	tb.Helper()
	ctx := context.Background()
	svc := rbac.New(newStore(tb, kind))
	f := &fixture{tb: tb, svc: svc}
	must[rbac.Environment](tb)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: testEnv}))
	must[rbac.Environment](tb)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: otherEnv}))
	for _, p := range []rbac.PermissionInput{
		{Slug: "videos:view", Name: "View videos"},
		{Slug: "videos:create", Name: "Create videos"},
		{Slug: "billing:manage", Name: "Manage billing", Description: "Invoices and cards"},
		{Slug: "audit:read", Name: "Read the audit log", System: true},
	} {
		must[rbac.Permission](tb)(svc.CreatePermission(ctx, testEnv, p))
	}
	must[rbac.Role](tb)(svc.UpdateRole(ctx, testEnv, "member", rbac.RoleUpdate{Permissions: &[]string{"videos:view"}}))
	must[rbac.Role](tb)(svc.CreateRole(ctx, testEnv, rbac.RoleInput{Slug: "admin", Name: "Admin",
		Permissions: []string{"videos:view", "videos:create", "billing:manage"}}))
	must[rbac.Role](tb)(svc.CreateRole(ctx, testEnv, rbac.RoleInput{Slug: "editor", Name: "Editor", Permissions: []string{"videos:create"}}))
	must[rbac.Environment](tb)(svc.SetPriorityOrder(ctx, testEnv, []string{"admin", "editor", "member"}))
	must[rbac.Organization](tb)(svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: "acme", Name: "Acme Inc.",
		ExternalID: "ext-acme", Metadata: map[string]string{"tier": "gold"}}))
	must[rbac.Organization](tb)(svc.CreateOrganization(ctx, testEnv, rbac.OrganizationInput{ID: "globex", Name: "Globex", ExternalID: "ext-globex"}))
	must[rbac.Role](tb)(svc.CreateOrganizationRole(ctx, testEnv, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing",
		Permissions: []string{"billing:manage"}}))
	must[rbac.Role](tb)(svc.CreateOrganizationRole(ctx, testEnv, "acme", rbac.RoleInput{Slug: "sso", Name: "SSO users"}))
	must[rbac.GroupMapping](tb)(svc.CreateGroupMapping(ctx, testEnv, "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory,
		GroupID: "g-sso", Role: "org-sso"}))
	must[rbac.Role](tb)(svc.CreateOrganizationRole(ctx, testEnv, "globex", rbac.RoleInput{Slug: "lead", Name: "Lead"}))
	must[rbac.Settings](tb)(svc.SetOrganizationDefaultRole(ctx, testEnv, "globex", "org-lead"))
	f.u1 = must[rbac.Membership](tb)(svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"admin"}})).ID
	f.u2 = must[rbac.Membership](tb)(svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "u2", Roles: []string{"org-billing"}})).ID
	f.u3 = must[rbac.Membership](tb)(svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "u3", Status: rbac.StatusPending})).ID
	f.u4 = must[rbac.Membership](tb)(svc.CreateMembership(ctx, testEnv, rbac.MembershipInput{OrganizationID: "globex", UserID: "u4", Roles: []string{"member"}})).ID
	must[rbac.Membership](tb)(svc.DeactivateMembership(ctx, testEnv, f.u4))

	must[rbac.Role](tb)(svc.CreateRole(ctx, otherEnv, rbac.RoleInput{Slug: "secret", Name: "Secret"}))
	must[rbac.Organization](tb)(svc.CreateOrganization(ctx, otherEnv, rbac.OrganizationInput{ID: "acme", Name: "Other Acme"}))
	f.o1 = must[rbac.Membership](tb)(svc.CreateMembership(ctx, otherEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: "o1"})).ID

	if opts.Keys == nil {
		opts.Keys = map[string]string{testKey: testEnv, otherKey: otherEnv}
	}
	f.h = workosapi.New(svc, opts)
	return f
}

// response is an answer of the handler.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as a JSON object.
func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request with the test environment's key.
func (f *fixture) do(method, path, body string) response {
	f.tb.Helper()
	return f.request(method, path, body, "Bearer "+testKey)
}

// request sends a request with the given Authorization header ("" for
// none).
func (f *fixture) request(method, path, body, auth string) response {
	f.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, "http://rbac.test"+path, rd)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// ok sends a request that must answer status, and returns the decoded body.
func (f *fixture) ok(status int, method, path, body string) map[string]any {
	f.tb.Helper()
	r := f.do(method, path, body)
	if r.status != status {
		f.tb.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.body)
	}
	if len(bytes.TrimSpace(r.body)) == 0 {
		return nil
	}
	return r.json(f.tb)
}

// state is everything the store holds of an environment, as the Service
// reads it: what a refused request must leave exactly as it was.
type state struct {
	Environment   rbac.Environment
	Permissions   []rbac.Permission
	Roles         []rbac.Role
	Organizations []orgState
}

type orgState struct {
	Organization rbac.Organization
	Settings     rbac.Settings
	Roles        []rbac.Role
	Memberships  []rbac.Membership
	Mappings     []rbac.GroupMapping
}

// every reads all the pages of a listing.
func every[T any](tb testing.TB, list func(rbac.ListOptions) (rbac.Page[T], error)) []T {
	tb.Helper()
	var out []T
	o := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p, err := list(o)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p.Data...)
		if p.After == "" {
			return out
		}
		o.After = p.After
	}
}

func dump(tb testing.TB, svc *rbac.Service, env string) state {
	tb.Helper()
	ctx := context.Background()
	var s state
	s.Environment = must[rbac.Environment](tb)(svc.GetEnvironment(ctx, env))
	s.Permissions = every(tb, func(o rbac.ListOptions) (rbac.Page[rbac.Permission], error) { return svc.ListPermissions(ctx, env, o) })
	s.Roles = every(tb, func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) { return svc.ListRoles(ctx, env, o) })
	orgs := every(tb, func(o rbac.ListOptions) (rbac.Page[rbac.Organization], error) {
		return svc.ListOrganizations(ctx, env, o)
	})
	for _, o := range orgs {
		s.Organizations = append(s.Organizations, orgState{
			Organization: o,
			Settings:     must[rbac.Settings](tb)(svc.OrganizationSettings(ctx, env, o.ID)),
			Roles: every(tb, func(lo rbac.ListOptions) (rbac.Page[rbac.Role], error) {
				return svc.ListOrganizationRoles(ctx, env, o.ID, lo)
			}),
			Memberships: every(tb, func(lo rbac.ListOptions) (rbac.Page[rbac.Membership], error) {
				return svc.ListMemberships(ctx, env, rbac.MembershipFilter{OrganizationID: o.ID,
					Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}}, lo)
			}),
			Mappings: every(tb, func(lo rbac.ListOptions) (rbac.Page[rbac.GroupMapping], error) {
				return svc.ListGroupMappings(ctx, env, o.ID, lo)
			}),
		})
	}
	return s
}

// dumps are the states of both environments.
func (f *fixture) dumps() [2]state {
	f.tb.Helper()
	return [2]state{dump(f.tb, f.svc, testEnv), dump(f.tb, f.svc, otherEnv)}
}

var (
	idPattern   = regexp.MustCompile(`^[a-z]+_[0-9A-Z]{26}$`)
	timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

// normalize checks the ids and times of a decoded object (and of the
// objects it holds) and replaces them with "<id>" and "<time>", so that
// bodies compare with cmp.Diff. Application-supplied ids ("acme") are
// kept.
func normalize(tb testing.TB, v any) any {
	tb.Helper()
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			s, isString := x.(string)
			switch {
			case isString && (k == "created_at" || k == "updated_at"):
				if !timePattern.MatchString(s) {
					tb.Errorf("%s %q is not an RFC 3339 time with milliseconds in UTC", k, s)
				}
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					tb.Errorf("%s %q: %v", k, s, err)
				}
				out[k] = "<time>"
			case isString && k == "id" && idPattern.MatchString(s):
				out[k] = "<id>"
			default:
				out[k] = normalize(tb, x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(tb, x)
		}
		return out
	}
	return v
}

// obj parses a JSON object written in a test.
func obj(tb testing.TB, s string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		tb.Fatalf("test JSON %s: %v", s, err)
	}
	return m
}
