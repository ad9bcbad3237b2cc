package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
)

// cancelOps is the number of writes testCancellation makes.
const cancelOps = 200

// testCancellation makes many writes — memberships created, deactivated,
// reactivated, given other roles and deleted, environment and
// organization roles created and deleted with their holders reassigned —
// each with a context canceled after a random delay: before the call, or
// between none and twice the time a write takes on the store, so that
// cancellations land in every phase of a write. After each call it reads
// the whole state: a call that failed must have changed nothing, a call
// that succeeded must have made its change at the next revision, and a
// call whose outcome the store could not tell ([rbac.ErrOutcomeUnknown])
// must have done one or the other. A failed call must fail with a
// canceled error that also matches context.Canceled. Along the way and at
// the end, an Authorizer made before the writes agrees with the Service on
// every check of every user.
func testCancellation(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	f := newFixture(t, newStore)
	start := time.Now()
	f.standard("prod") // 10 writes
	perWrite := time.Since(start) / 10
	ctx, s := f.ctx, f.s
	a, err := authz.New(ctx, s, "prod")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
	c := &canceller{t: t, s: s, r: r, users: map[string]bool{}}
	st := f.dump()
	var counts struct{ ok, okCanceledInFlight, canceled, unknownStored, unknownNot int }
	for i := range cancelOps {
		op := c.pick(st["prod"], i)
		cctx, cancel := context.WithCancel(ctx)
		var delay time.Duration
		if r.IntN(8) == 0 {
			cancel() // before the call
		} else {
			delay = time.Duration(r.Int64N(int64(2*perWrite) + 1))
			time.AfterFunc(delay, cancel)
		}
		err := op.run(cctx)
		inFlight := cctx.Err() != nil
		cancel()
		after := f.dump()
		before := st["prod"]
		now := after["prod"]
		changed := cmp.Diff(st, after, cmpopts.EquateEmpty()) != ""
		done := now.Revision == before.Revision+1 && op.done(now)
		switch {
		case err == nil:
			if !done {
				t.Fatalf("write %d, %s (canceled after %v): succeeded, but the state does not show it (revision %d → %d)",
					i, op.name, delay, before.Revision, now.Revision)
			}
			counts.ok++
			if inFlight {
				counts.okCanceledInFlight++
			}
		case errors.Is(err, rbac.ErrOutcomeUnknown):
			switch {
			case done:
				counts.unknownStored++
			case !changed:
				counts.unknownNot++
			default:
				t.Fatalf("write %d, %s: outcome unknown (%v), and the state is neither as before nor as after it:\n%s",
					i, op.name, err, cmp.Diff(st, after, cmpopts.EquateEmpty()))
			}
		default:
			if changed {
				t.Fatalf("write %d, %s (canceled after %v) failed with %v, yet changed the state (-before +after):\n%s",
					i, op.name, delay, err, cmp.Diff(st, after, cmpopts.EquateEmpty()))
			}
			if !errors.Is(err, rbac.ErrCanceled) || !errors.Is(err, context.Canceled) {
				t.Fatalf("write %d, %s (canceled after %v): %v, want a canceled error matching context.Canceled", i, op.name, delay, err)
			}
			counts.canceled++
		}
		st = after
		if i%25 == 24 {
			c.agree(a, st, fmt.Sprintf("after write %d", i))
		}
	}
	c.agree(a, st, "at the end")
	t.Logf("%d writes, cancelled before the call or after 0 to %v: %d succeeded (%d of them with the context canceled while in flight), %d canceled, outcome unknown: %d stored, %d not",
		cancelOps, 2*perWrite, counts.ok, counts.okCanceledInFlight, counts.canceled, counts.unknownStored, counts.unknownNot)
}

// canceller picks the writes of testCancellation.
type canceller struct {
	t     *testing.T
	s     *rbac.Service
	r     *rand.Rand
	users map[string]bool // every user that ever had a membership
	roles int             // environment and organization roles created
}

// cancelOp is one write and how to see it in the state after it.
type cancelOp struct {
	name string
	run  func(ctx context.Context) error
	done func(after envObs) bool
}

// pick returns a write that is valid in state e (so that it can only fail
// by being canceled).
func (c *canceller) pick(e envObs, i int) cancelOp {
	s, r := c.s, c.r
	type held struct {
		org string
		m   memberObs
	}
	var members []held
	for _, o := range e.Orgs {
		for _, m := range o.Memberships {
			members = append(members, held{o.ID, m})
		}
	}
	var temps []string // environment roles other than the standard ones
	for _, ro := range e.Roles {
		if !slices.Contains([]string{"admin", "member", "viewer"}, ro.Slug) {
			temps = append(temps, ro.Slug)
		}
	}
	orgRoles := func(org string) []string {
		var out []string
		for _, o := range e.Orgs {
			if o.ID == org {
				for _, ro := range o.Roles {
					if ro.Type == rbac.OrganizationRole {
						out = append(out, ro.Slug)
					}
				}
			}
		}
		return out
	}
	visible := func(org string) []string {
		return append(append([]string{"admin", "member", "viewer"}, temps...), orgRoles(org)...)
	}
	find := func(after envObs, org, user string) (memberObs, bool) {
		for _, o := range after.Orgs {
			if o.ID == org {
				for _, m := range o.Memberships {
					if m.User == user {
						return m, true
					}
				}
			}
		}
		return memberObs{}, false
	}
	orgs := []string{"acme", "globex"}
	for {
		switch k := r.IntN(10); {
		case k < 3 || len(members) < 4:
			org := orgs[r.IntN(len(orgs))]
			user := fmt.Sprintf("u%d", i)
			vis := visible(org)
			role := vis[r.IntN(len(vis))]
			c.users[user] = true
			return cancelOp{
				name: fmt.Sprintf("CreateMembership(%s, %s, %s)", org, user, role),
				run: func(ctx context.Context) error {
					_, err := s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: org, UserID: user, Roles: []string{role}})
					return err
				},
				done: func(after envObs) bool {
					m, ok := find(after, org, user)
					return ok && slices.Equal(m.Roles, []string{role})
				},
			}
		case k == 3:
			h := members[r.IntN(len(members))]
			if h.m.Status != rbac.StatusActive {
				continue
			}
			return cancelOp{
				name: "DeactivateMembership(" + h.m.ID + ")",
				run: func(ctx context.Context) error {
					_, err := s.DeactivateMembership(ctx, "prod", h.m.ID)
					return err
				},
				done: func(after envObs) bool {
					m, ok := find(after, h.org, h.m.User)
					return ok && m.Status == rbac.StatusInactive
				},
			}
		case k == 4:
			h := members[r.IntN(len(members))]
			if h.m.Status != rbac.StatusInactive {
				continue
			}
			return cancelOp{
				name: "ReactivateMembership(" + h.m.ID + ")",
				run: func(ctx context.Context) error {
					_, err := s.ReactivateMembership(ctx, "prod", h.m.ID)
					return err
				},
				done: func(after envObs) bool {
					m, ok := find(after, h.org, h.m.User)
					return ok && m.Status == rbac.StatusActive
				},
			}
		case k == 5:
			h := members[r.IntN(len(members))]
			vis := visible(h.org)
			role := vis[r.IntN(len(vis))]
			if slices.Equal(h.m.Roles, []string{role}) {
				continue
			}
			return cancelOp{
				name: fmt.Sprintf("UpdateMembershipRoles(%s, %s)", h.m.ID, role),
				run: func(ctx context.Context) error {
					_, err := s.UpdateMembershipRoles(ctx, "prod", h.m.ID, []string{role})
					return err
				},
				done: func(after envObs) bool {
					m, ok := find(after, h.org, h.m.User)
					return ok && slices.Equal(m.Roles, []string{role})
				},
			}
		case k == 6:
			h := members[r.IntN(len(members))]
			return cancelOp{
				name: "DeleteMembership(" + h.m.ID + ")",
				run:  func(ctx context.Context) error { return s.DeleteMembership(ctx, "prod", h.m.ID) },
				done: func(after envObs) bool { _, ok := find(after, h.org, h.m.User); return !ok },
			}
		case k == 7 && len(temps) < 3:
			c.roles++
			slug := fmt.Sprintf("temp%d", c.roles)
			perms := [][]string{nil, {"read"}, {"read", "write"}}[r.IntN(3)]
			return cancelOp{
				name: "CreateRole(" + slug + ")",
				run: func(ctx context.Context) error {
					_, err := s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: slug, Name: "Temporary", Permissions: perms})
					return err
				},
				done: func(after envObs) bool { return slices.Contains(slugsOfStates(after.Roles), slug) },
			}
		case k == 7:
			slug := temps[r.IntN(len(temps))]
			return cancelOp{
				name: "DeleteRole(" + slug + ")",
				run: func(ctx context.Context) error {
					_, err := s.DeleteRole(ctx, "prod", slug, rbac.DeleteOptions{})
					return err
				},
				done: func(after envObs) bool {
					if slices.Contains(slugsOfStates(after.Roles), slug) {
						return false
					}
					for _, o := range after.Orgs {
						for _, m := range o.Memberships {
							if slices.Contains(m.Roles, slug) {
								return false
							}
						}
					}
					return true
				},
			}
		case k == 8:
			org := orgs[r.IntN(len(orgs))]
			if len(orgRoles(org)) >= 2 {
				continue
			}
			c.roles++
			slug := fmt.Sprintf("org-custom%d", c.roles)
			return cancelOp{
				name: fmt.Sprintf("CreateOrganizationRole(%s, %s)", org, slug),
				run: func(ctx context.Context) error {
					_, err := s.CreateOrganizationRole(ctx, "prod", org, rbac.RoleInput{Slug: slug, Name: "Custom", Permissions: []string{"write"}})
					return err
				},
				done: func(after envObs) bool {
					for _, o := range after.Orgs {
						if o.ID == org && slices.Contains(slugsOfStates(o.Roles), slug) {
							return true
						}
					}
					return false
				},
			}
		case k == 9:
			org := orgs[r.IntN(len(orgs))]
			ors := orgRoles(org)
			if len(ors) == 0 {
				continue
			}
			slug := ors[r.IntN(len(ors))]
			return cancelOp{
				name: fmt.Sprintf("DeleteOrganizationRole(%s, %s)", org, slug),
				run: func(ctx context.Context) error {
					_, err := s.DeleteOrganizationRole(ctx, "prod", org, slug, rbac.DeleteOptions{ReassignTo: "member"})
					return err
				},
				done: func(after envObs) bool {
					for _, o := range after.Orgs {
						if o.ID != org {
							continue
						}
						if slices.Contains(slugsOfStates(o.Roles), slug) {
							return false
						}
						for _, m := range o.Memberships {
							if slices.Contains(m.Roles, slug) {
								return false
							}
						}
					}
					return true
				},
			}
		}
	}
}

// agree checks that the Authorizer answers every check of every user ever
// involved, in every organization of st, as the Service does.
func (c *canceller) agree(a *authz.Authorizer, st observed, when string) {
	c.t.Helper()
	ctx := context.Background()
	users := make([]string, 0, len(c.users))
	for u := range c.users {
		users = append(users, u)
	}
	sort.Strings(users)
	var bad []string
	for _, o := range st["prod"].Orgs {
		for _, u := range users {
			for _, p := range []string{"read", "write", "nothing"} {
				want, err := c.s.Can(ctx, "prod", o.ID, u, p)
				if err != nil {
					c.t.Fatal(err)
				}
				if got := a.Can(o.ID, u, p); got != want {
					bad = append(bad, fmt.Sprintf("Can(%s, %s, %s): Authorizer %v, Service %v", o.ID, u, p, got, want))
				}
			}
		}
	}
	if len(bad) > 0 {
		c.t.Fatalf("%s, at revision %d the Authorizer (watermark %d) disagrees with the store:\n%s",
			when, st["prod"].Revision, a.Revision(), strings.Join(bad, "\n"))
	}
}
