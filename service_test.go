package rbac_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// TestResolveRoleReadsOnce checks that ResolveRole reads the store a
// number of times that does not grow with its candidates: 10,000
// identical candidates, or 10,000 drawn from every visible role, cost the
// reads of one.
func TestResolveRoleReadsOnce(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: memstore.New()}
	s := rbac.New(store)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}))
	for _, slug := range []string{"admin", "viewer", "editor"} {
		must(s.CreateRole(ctx, "production", rbac.RoleInput{Slug: slug, Name: slug}))
	}
	must(s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}))
	for _, slug := range []string{"billing", "support"} {
		must(s.CreateOrganizationRole(ctx, "production", "acme", rbac.RoleInput{Slug: slug, Name: slug}))
	}
	must(s.SetOrganizationPriorityOrder(ctx, "production", "acme",
		[]string{"org-support", "admin", "editor", "member", "org-billing", "viewer"}))

	repeat := func(n int, slugs ...string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = slugs[i%len(slugs)]
		}
		return out
	}
	reads := func(cands []string) (string, int64, error) {
		store.calls.Store(0)
		got, err := s.ResolveRole(ctx, "production", "acme", cands)
		return got, store.calls.Load(), err
	}
	_, one, err := reads([]string{"viewer"})
	if err != nil || one == 0 {
		t.Fatalf("ResolveRole of one candidate: %v, %d store calls", err, one)
	}
	for _, c := range []struct {
		name  string
		cands []string
		want  string // "" for an invalid_role error
	}{
		{"10,000 identical", repeat(10000, "viewer"), "viewer"},
		{"10,000 identical organization roles", repeat(10000, "org-billing"), "org-billing"},
		{"10,000 of every role", repeat(10000, "viewer", "member", "org-billing", "editor", "admin", "org-support"), "org-support"},
		{"10,000 and one invisible", append(repeat(10000, "viewer", "admin"), "org-ghost"), ""},
	} {
		got, n, err := reads(c.cands)
		switch {
		case c.want == "" && !errors.Is(err, rbac.ErrInvalidRole):
			t.Errorf("%s: %q, %v; want an invalid_role error", c.name, got, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%s: %q, %v; want %q (rule 7.4)", c.name, got, err, c.want)
		}
		if n != one {
			t.Errorf("%s: %d store calls; one candidate makes %d", c.name, n, one)
		}
	}
}

// countingStore counts the calls to its transactions' methods.
type countingStore struct {
	rbac.Store
	calls atomic.Int64
}

func (s *countingStore) View(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	return s.Store.View(ctx, env, func(tx rbac.Tx) error { return fn(&countingTx{tx: tx, n: &s.calls}) })
}

func (s *countingStore) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	return s.Store.Update(ctx, env, func(tx rbac.Tx) error { return fn(&countingTx{tx: tx, n: &s.calls}) })
}

// countingTx counts every call and passes it on. It embeds nothing, so
// that a method added to rbac.Tx cannot go uncounted.
type countingTx struct {
	tx rbac.Tx
	n  *atomic.Int64
}

func (t *countingTx) c() rbac.Tx { t.n.Add(1); return t.tx }

func (t *countingTx) Environment(ctx context.Context) (rbac.Environment, error) {
	return t.c().Environment(ctx)
}
func (t *countingTx) PutEnvironment(ctx context.Context, e rbac.Environment) error {
	return t.c().PutEnvironment(ctx, e)
}
func (t *countingTx) DeleteEnvironment(ctx context.Context) error {
	return t.c().DeleteEnvironment(ctx)
}
func (t *countingTx) Permission(ctx context.Context, slug string) (rbac.Permission, error) {
	return t.c().Permission(ctx, slug)
}
func (t *countingTx) Permissions(ctx context.Context, r rbac.Range, fn func(rbac.Permission) error) error {
	return t.c().Permissions(ctx, r, fn)
}
func (t *countingTx) PutPermission(ctx context.Context, p rbac.Permission) error {
	return t.c().PutPermission(ctx, p)
}
func (t *countingTx) DeletePermission(ctx context.Context, slug string, now time.Time, fn func(rbac.Role) error) error {
	return t.c().DeletePermission(ctx, slug, now, fn)
}
func (t *countingTx) EnvironmentRole(ctx context.Context, slug string) (rbac.Role, error) {
	return t.c().EnvironmentRole(ctx, slug)
}
func (t *countingTx) EnvironmentRoles(ctx context.Context) ([]rbac.Role, error) {
	return t.c().EnvironmentRoles(ctx)
}
func (t *countingTx) OrganizationRole(ctx context.Context, org, slug string) (rbac.Role, error) {
	return t.c().OrganizationRole(ctx, org, slug)
}
func (t *countingTx) OrganizationRoles(ctx context.Context, org string) ([]rbac.Role, error) {
	return t.c().OrganizationRoles(ctx, org)
}
func (t *countingTx) EachOrganizationRole(ctx context.Context, fn func(rbac.Role) error) error {
	return t.c().EachOrganizationRole(ctx, fn)
}
func (t *countingTx) PutRole(ctx context.Context, r rbac.Role) error { return t.c().PutRole(ctx, r) }
func (t *countingTx) DeleteEnvironmentRole(ctx context.Context, slug string) error {
	return t.c().DeleteEnvironmentRole(ctx, slug)
}
func (t *countingTx) DeleteOrganizationRole(ctx context.Context, org, slug string) error {
	return t.c().DeleteOrganizationRole(ctx, org, slug)
}
func (t *countingTx) Organization(ctx context.Context, id string) (rbac.Organization, error) {
	return t.c().Organization(ctx, id)
}
func (t *countingTx) OrganizationByExternalID(ctx context.Context, externalID string) (rbac.Organization, error) {
	return t.c().OrganizationByExternalID(ctx, externalID)
}
func (t *countingTx) Organizations(ctx context.Context, r rbac.Range, fn func(rbac.Organization) error) error {
	return t.c().Organizations(ctx, r, fn)
}
func (t *countingTx) PutOrganization(ctx context.Context, o rbac.Organization) error {
	return t.c().PutOrganization(ctx, o)
}
func (t *countingTx) DeleteOrganization(ctx context.Context, id string) error {
	return t.c().DeleteOrganization(ctx, id)
}
func (t *countingTx) OrganizationsWithDefault(ctx context.Context, slug string) ([]string, error) {
	return t.c().OrganizationsWithDefault(ctx, slug)
}
func (t *countingTx) AppendToOrganizationOrders(ctx context.Context, slug string, now time.Time) error {
	return t.c().AppendToOrganizationOrders(ctx, slug, now)
}
func (t *countingTx) RemoveFromOrganizationOrders(ctx context.Context, slug, replacement string, now time.Time) ([]string, error) {
	return t.c().RemoveFromOrganizationOrders(ctx, slug, replacement, now)
}
func (t *countingTx) Membership(ctx context.Context, id string) (rbac.Membership, error) {
	return t.c().Membership(ctx, id)
}
func (t *countingTx) MembershipOf(ctx context.Context, org, user string) (rbac.Membership, error) {
	return t.c().MembershipOf(ctx, org, user)
}
func (t *countingTx) Memberships(ctx context.Context, q rbac.MembershipQuery, fn func(rbac.Membership) error) error {
	return t.c().Memberships(ctx, q, fn)
}
func (t *countingTx) PutMembership(ctx context.Context, m rbac.Membership) error {
	return t.c().PutMembership(ctx, m)
}
func (t *countingTx) DeleteMembership(ctx context.Context, id string) error {
	return t.c().DeleteMembership(ctx, id)
}
func (t *countingTx) ReplaceOrganizationRole(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.Membership) error) error {
	return t.c().ReplaceOrganizationRole(ctx, org, from, to, now, fn)
}
func (t *countingTx) RemoveEnvironmentRole(ctx context.Context, slug string, now time.Time, fn func(rbac.Membership) error) error {
	return t.c().RemoveEnvironmentRole(ctx, slug, now, fn)
}
func (t *countingTx) GroupMappings(ctx context.Context, q rbac.GroupMappingQuery, fn func(rbac.GroupMapping) error) error {
	return t.c().GroupMappings(ctx, q, fn)
}
func (t *countingTx) PutGroupMapping(ctx context.Context, m rbac.GroupMapping) error {
	return t.c().PutGroupMapping(ctx, m)
}
func (t *countingTx) DeleteGroupMapping(ctx context.Context, org string, source rbac.GroupSource, group string) error {
	return t.c().DeleteGroupMapping(ctx, org, source, group)
}
func (t *countingTx) RepointOrganizationRoleMappings(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	return t.c().RepointOrganizationRoleMappings(ctx, org, from, to, now, fn)
}
func (t *countingTx) RepointEnvironmentRoleMappings(ctx context.Context, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	return t.c().RepointEnvironmentRoleMappings(ctx, from, to, now, fn)
}
func (t *countingTx) Publish(ctx context.Context, revision int64, events []rbac.Event) error {
	return t.c().Publish(ctx, revision, events)
}
