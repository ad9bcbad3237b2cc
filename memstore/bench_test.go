package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

const benchEnv = "production"

// fixture is an environment with the roles member (the default) and admin,
// orgs organizations and total memberships spread evenly over them, each
// holding member. The organizations inherit the environment's settings, or
// with own set have their own (default member, order admin > member).
type fixture struct {
	s       *rbac.Service
	store   *memstore.Store
	orgs    []string
	members []rbac.Membership // as stored, ordered by id
}

func newFixture(b *testing.B, orgs, total int, own bool) *fixture {
	b.Helper()
	ctx := context.Background()
	store := memstore.New()
	s := rbac.New(store)
	if _, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: benchEnv}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateRole(ctx, benchEnv, rbac.RoleInput{Slug: "admin", Name: "Admin"}); err != nil {
		b.Fatal(err)
	}
	f := &fixture{s: s, store: store, orgs: make([]string, orgs), members: make([]rbac.Membership, total)}
	now := time.Now().UTC()
	err := store.Update(ctx, benchEnv, func(tx rbac.Tx) error {
		for i := range f.orgs {
			f.orgs[i] = fmt.Sprintf("org_%07d", i)
			o := rbac.Organization{ID: f.orgs[i], Name: f.orgs[i], CreatedAt: now, UpdatedAt: now}
			if own {
				o.DefaultRole, o.PriorityOrder = "member", []string{"admin", "member"}
			}
			if err := tx.PutOrganization(ctx, o); err != nil {
				return err
			}
		}
		for i := range f.members {
			m := rbac.Membership{ID: fmt.Sprintf("om_%08d", i), UserID: fmt.Sprintf("user_%08d", i),
				OrganizationID: f.orgs[i%orgs], Status: rbac.StatusActive, Roles: []string{"member"},
				RoleSource: rbac.SourceManual, CreatedAt: now, UpdatedAt: now}
			f.members[i] = m
			if err := tx.PutMembership(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkCreateMembership adds one member with the organization's
// default role, or with a named role, to a store that already holds
// 10,000 organizations and 100,000 memberships.
func BenchmarkCreateMembership(b *testing.B) {
	for _, bc := range []struct {
		name  string
		roles []string
	}{
		{"default-role", nil},
		{"named-role", []string{"admin"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := newFixture(b, 10_000, 100_000, false)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := rbac.MembershipInput{OrganizationID: f.orgs[i%len(f.orgs)], UserID: fmt.Sprintf("new_%09d", i), Roles: bc.roles}
				if _, err := f.s.CreateMembership(ctx, benchEnv, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeleteEnvironmentRole deletes an environment role that is the
// environment default and is held by held memberships spread over every
// organization, naming member as the replacement default (rules 9.1, 9.2):
// the default moves and every holder is reassigned, in one transaction.
//
// Before each deletion, with the timer stopped, the role is created, made
// the default and given to the first held memberships; the deletion moves
// them back to member, so every iteration starts from the same store. A
// collection runs before the timer restarts: the deletion's own garbage
// shows in B/op. The
// sub-benchmarks vary the number of holders and, separately, the size of
// the rest of the store: the cost follows the holders.
func BenchmarkDeleteEnvironmentRole(b *testing.B) {
	for _, bc := range []struct {
		held, orgs, total int
		own               bool
	}{
		{100_000, 10_000, 100_000, false}, // every member of 10,000 organizations holds it
		{10_000, 10_000, 100_000, false},
		{1_000, 10_000, 100_000, false},
		{1_000, 50_000, 500_000, false}, // the same holders in a store five times larger
		{1_000, 10_000, 100_000, true},  // every organization has its own order to drop the role from
	} {
		name := fmt.Sprintf("held=%d/orgs=%d/total=%d", bc.held, bc.orgs, bc.total)
		if bc.own {
			name += "/own-settings"
		}
		var f *fixture // built once, on first use: every iteration restores it
		b.Run(name, func(b *testing.B) {
			if f == nil {
				f = newFixture(b, bc.orgs, bc.total, bc.own)
			}
			ctx := context.Background()
			// Spread the holders over every organization.
			stride := bc.total / bc.held
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				slug := fmt.Sprintf("viewer-%d", i)
				if _, err := f.s.CreateRole(ctx, benchEnv, rbac.RoleInput{Slug: slug, Name: "Viewer"}); err != nil {
					b.Fatal(err)
				}
				if _, err := f.s.SetDefaultRole(ctx, benchEnv, slug); err != nil {
					b.Fatal(err)
				}
				err := f.store.Update(ctx, benchEnv, func(tx rbac.Tx) error {
					for j := 0; j < bc.held; j++ {
						m := f.members[j*stride]
						m.Roles = []string{slug}
						if err := tx.PutMembership(ctx, m); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				// Collect the set-up's garbage now, so that a collection it
				// triggers does not run into the timed deletion.
				runtime.GC()
				b.StartTimer()

				plan, err := f.s.DeleteRole(ctx, benchEnv, slug, rbac.DeleteOptions{ReplacementDefault: "member"})
				if err != nil {
					b.Fatal(err)
				}
				if plan.MembershipCount != bc.held || !plan.EnvironmentDefaultReplaced {
					b.Fatalf("deleting %s reassigned %d memberships (environment default replaced: %v), want %d",
						slug, plan.MembershipCount, plan.EnvironmentDefaultReplaced, bc.held)
				}
			}
		})
	}
}
