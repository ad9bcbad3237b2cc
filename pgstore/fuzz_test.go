package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// FuzzValidation drives the Service's validation with arbitrary strings a
// and b in the ids and text of one call (op chooses which call and which
// fields), on memstore and PostgreSQL at once, in a fresh environment of
// each set up alike. Each store must answer with success or a typed error
// that is not internal (rules 2.5–2.7, 12.1), leave the state as it was
// when the call failed (rule 12.2), and both must agree: the same error
// kind, code and field, or the same result, and the same state after,
// timestamps and generated ids included (both Services run on the same
// clock and random source).
//
// Without RBAC_POSTGRES_DSN it runs on memstore alone, still checking
// each answer. The seed corpus is testdata/fuzz/FuzzValidation; fuzz with
//
//	RBAC_POSTGRES_DSN=… go test ./pgstore/ -run '^$' -fuzz FuzzValidation
func FuzzValidation(f *testing.F) {
	type named struct {
		name  string
		store rbac.Store
	}
	stores := []named{{"memstore", memstore.New()}}
	if os.Getenv(DSNEnv) != "" {
		stores = append(stores, named{"pgstore", newStore(f)})
	} else {
		f.Logf("%s is not set: the corpus runs on memstore alone, without the comparison with PostgreSQL", DSNEnv)
	}
	var envs atomic.Int64
	f.Fuzz(func(t *testing.T, op uint8, a, b string) {
		env := fmt.Sprintf("fuzz-%d", envs.Add(1))
		var first *fuzzRun
		for _, st := range stores {
			r := runFuzz(t, st.name, st.store, env, op, a, b)
			if first == nil {
				first = r
				continue
			}
			if diff := cmp.Diff(first.outcome, r.outcome, fuzzCmp...); diff != "" {
				t.Errorf("%s: %s and %s answer differently (-%s +%s):\n%s", r.call, first.store, r.store, first.store, r.store, diff)
			}
			if diff := cmp.Diff(first.after, r.after, fuzzCmp...); diff != "" {
				t.Errorf("%s: the state after differs (-%s +%s):\n%s", r.call, first.store, r.store, diff)
			}
		}
	})
}

var fuzzCmp = []cmp.Option{cmpopts.EquateEmpty()}

// fuzzRun is what one call did on one store.
type fuzzRun struct {
	store, call string
	outcome     []fuzzOutcome
	after       fuzzState
}

// fuzzOutcome is one answer: a value, or the parts of an error that
// every store must agree on.
type fuzzOutcome struct {
	Value             any
	Kind              rbac.Kind
	Code, Field, Rule string
}

func outcomeOf(t *testing.T, store, call string, v any, err error) fuzzOutcome {
	t.Helper()
	if err == nil {
		return fuzzOutcome{Value: v}
	}
	var e *rbac.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %s: %v (%T) is not an *rbac.Error (rule 12.1)", store, call, err, err)
	}
	if e.Kind == rbac.KindInternal || rbac.HTTPStatus(err) >= 500 {
		t.Fatalf("%s: %s: %v is an internal error", store, call, err)
	}
	if e.Kind == rbac.KindInvalid && (e.Field == "" || e.Rule == "") {
		t.Fatalf("%s: %s: %v names no field or rule (rule 2.5)", store, call, err)
	}
	return fuzzOutcome{Kind: e.Kind, Code: e.Code, Field: e.Field, Rule: e.Rule}
}

var fuzzTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fuzzOps is the number of calls runFuzz chooses from.
const fuzzOps = 21

// runFuzz sets environment env up on store, makes the call op with a and
// b, and reads the state after it.
func runFuzz(t *testing.T, name string, store rbac.Store, env string, op uint8, a, b string) *fuzzRun {
	t.Helper()
	ctx := context.Background()
	s := rbac.New(store, rbac.WithClock(func() time.Time { return fuzzTime }), rbac.WithRand(rand.NewChaCha8([32]byte{1})))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: setting up %s: %v", name, env, err)
		}
	}
	must(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}))
	must(s.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "read", Name: "Read"}))
	must(s.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "write", Name: "Write"}))
	must(s.CreateRole(ctx, env, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"read", "write"}}))
	must(s.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme", ExternalID: "ext-acme", Metadata: map[string]string{"plan": "pro"}}))
	must(s.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"write"}}))
	m, err := s.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"admin"}})
	must(m, err)
	must(s.CreateGroupMapping(ctx, env, "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "admin"}))

	r := &fuzzRun{store: name}
	before := readFuzzState(t, s, env)
	failed := false
	do := func(call string, v any, err error) {
		t.Helper()
		r.call += call + "; "
		r.outcome = append(r.outcome, outcomeOf(t, name, call, v, err))
		failed = failed || err != nil
	}
	two := func(x, y any) any { return []any{x, y} }
	p := func(s string) *string { return &s }
	list := rbac.ListOptions{}
	switch op % fuzzOps {
	case 0:
		v, err := s.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: a, Name: b})
		do(fmt.Sprintf("CreateOrganization(id %q, name %q)", a, b), v, err)
	case 1:
		v, err := s.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "o2", ExternalID: a, Metadata: map[string]string{b: a}})
		do(fmt.Sprintf("CreateOrganization(external id %q, metadata {%q: %q})", a, b, a), v, err)
	case 2:
		v, err := s.UpdateOrganization(ctx, env, "acme", rbac.OrganizationUpdate{Name: p(a), ExternalID: p(b)})
		do(fmt.Sprintf("UpdateOrganization(acme, name %q, external id %q)", a, b), v, err)
	case 3:
		v, err := s.UpdateOrganization(ctx, env, a, rbac.OrganizationUpdate{Metadata: &map[string]string{"k": b}})
		do(fmt.Sprintf("UpdateOrganization(%q, metadata {k: %q})", a, b), v, err)
	case 4:
		v, err := s.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: a, UserID: b})
		do(fmt.Sprintf("CreateMembership(organization %q, user %q)", a, b), v, err)
	case 5:
		v, err := s.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: a, Roles: []string{b}})
		do(fmt.Sprintf("CreateMembership(acme, user %q, role %q)", a, b), v, err)
	case 6:
		v, err := s.CreatePermission(ctx, env, rbac.PermissionInput{Slug: a, Name: b, Description: b})
		do(fmt.Sprintf("CreatePermission(slug %q, name and description %q)", a, b), v, err)
	case 7:
		v, err := s.CreateRole(ctx, env, rbac.RoleInput{Slug: a, Name: b, Permissions: []string{"read"}})
		do(fmt.Sprintf("CreateRole(slug %q, name %q)", a, b), v, err)
	case 8:
		v, err := s.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Slug: a, Name: b, Description: a})
		do(fmt.Sprintf("CreateOrganizationRole(acme, slug %q, name %q, description %q)", a, b, a), v, err)
	case 9:
		v, err := s.UpdateRole(ctx, env, "admin", rbac.RoleUpdate{Name: p(a), Description: p(b)})
		do(fmt.Sprintf("UpdateRole(admin, name %q, description %q)", a, b), v, err)
	case 10:
		v, err := s.CreateGroupMapping(ctx, env, "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: a, Role: b})
		do(fmt.Sprintf("CreateGroupMapping(acme, group %q, role %q)", a, b), v, err)
	case 11:
		v, err := s.SyncGroups(ctx, env, rbac.SyncInput{OrganizationID: "acme", UserID: a, Source: rbac.GroupSourceSSO, Groups: []string{b, "g1"}})
		do(fmt.Sprintf("SyncGroups(acme, user %q, groups %q)", a, []string{b, "g1"}), v, err)
	case 12:
		id := env + "-" + a
		v, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: id, Name: b})
		do(fmt.Sprintf("CreateEnvironment(%q, name %q)", id, b), v, err)
		if err == nil {
			defer func() {
				if err := s.DeleteEnvironment(ctx, id); err != nil {
					t.Errorf("%s: DeleteEnvironment(%q): %v", name, id, err)
				}
			}()
		}
	case 13:
		v1, err1 := s.Can(ctx, env, a, b, "read")
		v2, err2 := s.Can(ctx, env, "acme", a, b)
		do(fmt.Sprintf("Can(%q, %q, read), Can(acme, %q, %q)", a, b, a, b), two(v1, v2), errors.Join(err1, err2))
		v3, err := s.Claims(ctx, env, a, b)
		do(fmt.Sprintf("Claims(%q, %q)", a, b), v3, err)
		v4, err := s.FindMembership(ctx, env, a, b)
		do(fmt.Sprintf("FindMembership(%q, %q)", a, b), v4, err)
		v5, err := s.ResolveRole(ctx, env, "acme", []string{a, b})
		do(fmt.Sprintf("ResolveRole(acme, %q)", []string{a, b}), v5, err)
	case 14:
		v1, err := s.GetMembership(ctx, env, a)
		do(fmt.Sprintf("GetMembership(%q)", a), v1, err)
		v2, err := s.GetOrganization(ctx, env, a)
		do(fmt.Sprintf("GetOrganization(%q)", a), v2, err)
		v3, err := s.GetOrganizationByExternalID(ctx, env, b)
		do(fmt.Sprintf("GetOrganizationByExternalID(%q)", b), v3, err)
		v4, err := s.GetOrganizationRole(ctx, env, "acme", a)
		do(fmt.Sprintf("GetOrganizationRole(acme, %q)", a), v4, err)
		v5, err := s.GetPermission(ctx, env, b)
		do(fmt.Sprintf("GetPermission(%q)", b), v5, err)
		v6, err := s.GetRole(ctx, env, a)
		do(fmt.Sprintf("GetRole(%q)", a), v6, err)
	case 15:
		v1, err := s.ListMemberships(ctx, env, rbac.MembershipFilter{OrganizationID: a, UserID: b}, list)
		do(fmt.Sprintf("ListMemberships(organization %q, user %q)", a, b), v1, err)
		v2, err := s.ListMemberships(ctx, env, rbac.MembershipFilter{Role: a, Statuses: []rbac.MembershipStatus{rbac.MembershipStatus(b)}}, list)
		do(fmt.Sprintf("ListMemberships(role %q, status %q)", a, b), v2, err)
		v3, err := s.ListOrganizations(ctx, env, rbac.ListOptions{After: a})
		do(fmt.Sprintf("ListOrganizations(after %q)", a), v3, err)
		v4, err := s.ListPermissions(ctx, env, rbac.ListOptions{Before: b, Order: rbac.OrderDesc})
		do(fmt.Sprintf("ListPermissions(before %q, desc)", b), v4, err)
		v5, err := s.ListRoles(ctx, env, rbac.ListOptions{After: a, Order: rbac.Order(b)})
		do(fmt.Sprintf("ListRoles(after %q, order %q)", a, b), v5, err)
	case 16:
		v, err := s.DeleteOrganization(ctx, env, a, rbac.DeleteOptions{ReplacementDefault: b})
		do(fmt.Sprintf("DeleteOrganization(%q, replacement default %q)", a, b), v, err)
	case 17:
		v, err := s.SetOrganizationDefaultRole(ctx, env, a, b)
		do(fmt.Sprintf("SetOrganizationDefaultRole(%q, %q)", a, b), v, err)
	case 18:
		v, err := s.AddOrganizationRolePermission(ctx, env, "acme", a, b)
		do(fmt.Sprintf("AddOrganizationRolePermission(acme, %q, %q)", a, b), v, err)
	case 19:
		v, err := s.UpdateMembershipRoles(ctx, env, a, []string{b})
		do(fmt.Sprintf("UpdateMembershipRoles(%q, %q)", a, b), v, err)
	case 20:
		err := s.DeleteGroupMapping(ctx, env, "acme", rbac.GroupSource(a), b)
		do(fmt.Sprintf("DeleteGroupMapping(acme, %q, %q)", a, b), nil, err)
	}
	r.after = readFuzzState(t, s, env)
	reads := op%fuzzOps >= 13 && op%fuzzOps <= 15
	if diff := cmp.Diff(before, r.after, fuzzCmp...); (failed || reads) && diff != "" {
		t.Errorf("%s: %s failed or only read, but changed the state (rule 12.2) (-before +after):\n%s", name, r.call, diff)
	}
	if err := s.DeleteEnvironment(ctx, env); err != nil {
		t.Errorf("%s: DeleteEnvironment(%q): %v", name, env, err)
	}
	return r
}

// fuzzState is the whole state of one environment as the Service shows
// it, records whole (timestamps, ids, revision).
type fuzzState struct {
	Env         rbac.Environment
	Permissions []rbac.Permission
	Roles       []rbac.Role
	Orgs        []fuzzOrg
}

type fuzzOrg struct {
	Org         rbac.Organization
	Settings    rbac.Settings
	Roles       []rbac.Role
	Memberships []rbac.Membership
	Mappings    []rbac.GroupMapping
}

func readFuzzState(t *testing.T, s *rbac.Service, env string) fuzzState {
	t.Helper()
	ctx := context.Background()
	var st fuzzState
	var err error
	fail := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("reading %s of %s: %v", what, env, err)
		}
	}
	st.Env, err = s.GetEnvironment(ctx, env)
	fail("the environment", err)
	p, err := s.ListPermissions(ctx, env, rbac.ListOptions{Limit: rbac.MaxLimit})
	fail("permissions", err)
	st.Permissions = p.Data
	r, err := s.ListRoles(ctx, env, rbac.ListOptions{Limit: rbac.MaxLimit})
	fail("roles", err)
	st.Roles = r.Data
	orgs, err := s.ListOrganizations(ctx, env, rbac.ListOptions{Limit: rbac.MaxLimit})
	fail("organizations", err)
	for _, o := range orgs.Data {
		fo := fuzzOrg{Org: o}
		fo.Settings, err = s.OrganizationSettings(ctx, env, o.ID)
		fail("settings", err)
		rs, err := s.ListOrganizationRoles(ctx, env, o.ID, rbac.ListOptions{Limit: rbac.MaxLimit})
		fail("organization roles", err)
		fo.Roles = rs.Data
		ms, err := s.ListMemberships(ctx, env, rbac.MembershipFilter{OrganizationID: o.ID,
			Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}}, rbac.ListOptions{Limit: rbac.MaxLimit})
		fail("memberships", err)
		fo.Memberships = ms.Data
		gs, err := s.ListGroupMappings(ctx, env, o.ID, rbac.ListOptions{Limit: rbac.MaxLimit})
		fail("group mappings", err)
		fo.Mappings = gs.Data
		st.Orgs = append(st.Orgs, fo)
	}
	return st
}
