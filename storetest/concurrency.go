package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/orgroles/rbac"
)

// testConcurrency runs writers that create, reassign and delete roles and
// memberships while readers read. Every write must succeed or fail with an
// error the race explains; read-only transactions must see consistent
// snapshots; at the end every invariant holds and every membership is
// accounted for (rule 9.4, invariant I8). Run it with -race.
func testConcurrency(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	f := newFixture(t, newStore)
	f.standard("prod")
	ctx, s, store := f.ctx, f.s, f.s.Store()
	orgs := []string{"acme", "globex", "initech"}
	ok(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "initech"}))(f)
	ok(s.CreateOrganizationRole(ctx, "prod", "globex", rbac.RoleInput{Slug: "ops", Name: "Ops", Permissions: []string{"write"}}))(f)

	// roles holds the roles writers may hand out; temporary ones come and go.
	var rolesMu sync.Mutex
	roles := []string{"admin", "member", "viewer", "org-ops"}
	addRole := func(slug string) { rolesMu.Lock(); roles = append(roles, slug); rolesMu.Unlock() }
	dropRole := func(slug string) {
		rolesMu.Lock()
		roles = slices.DeleteFunc(roles, func(s string) bool { return s == slug })
		rolesMu.Unlock()
	}
	someRole := func(r *rand.Rand) string {
		rolesMu.Lock()
		defer rolesMu.Unlock()
		return roles[r.IntN(len(roles))]
	}

	var wg sync.WaitGroup
	var writersDone atomic.Bool
	errorf := func(format string, args ...any) { t.Errorf(format, args...) }
	// expected reports whether err is nil or a failure the race explains:
	// a role deleted, not visible in that organization, or the mode off.
	expected := func(err error) bool {
		return err == nil || errors.Is(err, rbac.ErrInvalidRole) || errors.Is(err, rbac.ErrMultipleRolesNotEnabled)
	}

	// Membership writers: each owns its users and knows its memberships.
	const memberWriters, memberOps = 4, 150
	live := make([]map[string]string, memberWriters) // membership id -> org/user
	for w := range memberWriters {
		live[w] = map[string]string{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			ids := map[string]string{} // org/user -> id
			for range memberOps {
				org := orgs[r.IntN(len(orgs))]
				user := fmt.Sprintf("w%d-u%d", w, r.IntN(8))
				key := org + "/" + user
				id, has := ids[key]
				var rs []string
				for range 1 + r.IntN(2) {
					rs = append(rs, someRole(r))
				}
				switch op := r.IntN(10); {
				case !has || op < 2:
					m, err := s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: org, UserID: user, Roles: rs})
					switch {
					case err == nil && has && m.ID != id:
						errorf("CreateMembership over %s gave id %s, had %s", key, m.ID, id)
					case err == nil:
						ids[key], live[w][m.ID] = m.ID, key
					case has && errors.Is(err, rbac.ErrMembershipAlreadyExists):
					case !expected(err):
						errorf("CreateMembership(%s, %v): %v", key, rs, err)
					}
				case op < 5:
					if _, err := s.UpdateMembershipRoles(ctx, "prod", id, rs); !expected(err) {
						errorf("UpdateMembershipRoles(%s, %v): %v", key, rs, err)
					}
				case op < 7:
					if _, err := s.DeactivateMembership(ctx, "prod", id); err != nil {
						errorf("DeactivateMembership(%s): %v", key, err)
					}
				case op < 8:
					if _, err := s.ReactivateMembership(ctx, "prod", id); err != nil {
						errorf("ReactivateMembership(%s): %v", key, err)
					}
				default:
					if err := s.DeleteMembership(ctx, "prod", id); err != nil {
						errorf("DeleteMembership(%s): %v", key, err)
					}
					delete(ids, key)
					delete(live[w], id)
				}
			}
		}()
	}

	// Role writers: create environment and organization roles, make them
	// defaults, and delete them with a replacement while members hold them.
	const roleWriters, roleCycles = 2, 25
	for w := range roleWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 2))
			must := func(what string, err error) {
				if err != nil {
					errorf("role writer %d: %s: %v", w, what, err)
				}
			}
			for k := range roleCycles {
				org := orgs[r.IntN(len(orgs))]
				env := fmt.Sprintf("tmp-%d-%d", w, k)
				_, err := s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: env, Name: "Temp", Permissions: []string{"read"}})
				must("CreateRole", err)
				addRole(env)
				or, err := s.CreateOrganizationRole(ctx, "prod", org, rbac.RoleInput{Slug: env, Name: "Temp"})
				must("CreateOrganizationRole", err)
				addRole(or.Slug)
				if r.IntN(2) == 0 {
					_, err = s.SetOrganizationDefaultRole(ctx, "prod", org, env)
					must("SetOrganizationDefaultRole", err)
				}
				for range 3 {
					user := fmt.Sprintf("r%d-u%d", w, r.IntN(4))
					_, err := s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: org, UserID: user, Roles: []string{or.Slug}})
					if err != nil && !errors.Is(err, rbac.ErrMembershipAlreadyExists) {
						errorf("CreateMembership with a new organization role: %v", err)
					}
				}
				dropRole(or.Slug)
				_, err = s.DeleteOrganizationRole(ctx, "prod", org, or.Slug, rbac.DeleteOptions{ReassignTo: "viewer"})
				must("DeleteOrganizationRole", err)
				dropRole(env)
				_, err = s.DeleteRole(ctx, "prod", env, rbac.DeleteOptions{ReplacementDefault: "member"})
				must("DeleteRole", err)
			}
		}()
	}

	// A permission writer and a mode switcher.
	wg.Add(2)
	go func() {
		defer wg.Done()
		for k := range 20 {
			p := fmt.Sprintf("p%d", k)
			if _, err := s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: p, Name: "P"}); err != nil {
				errorf("CreatePermission: %v", err)
			}
			if _, err := s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Permissions: &[]string{"read", p}}); err != nil {
				errorf("UpdateRole: %v", err)
			}
			if _, err := s.DeletePermission(ctx, "prod", p, rbac.DeleteOptions{}); err != nil {
				errorf("DeletePermission: %v", err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for k := range 10 {
			if _, err := s.SetMultipleRoles(ctx, "prod", k%2 == 0); err != nil {
				errorf("SetMultipleRoles: %v", err)
			}
		}
		if _, err := s.SetMultipleRoles(ctx, "prod", false); err != nil {
			errorf("SetMultipleRoles: %v", err)
		}
	}()

	// Readers, until the writers are done (at most readerOps reads each,
	// so that under -race they do not starve the writers).
	const readerOps = 300
	var readers sync.WaitGroup
	var snapshots atomic.Int64
	for w := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := 0; i < readerOps && !writersDone.Load(); i++ {
				org := orgs[r.IntN(len(orgs))]
				user := fmt.Sprintf("w%d-u%d", r.IntN(memberWriters), r.IntN(8))
				if c, err := s.Claims(ctx, "prod", org, user); err == nil {
					if len(c.Roles) == 0 || c.Role != c.Roles[0] || !isSortedSet(c.Permissions) || hasDup(c.Roles) {
						errorf("Claims(%s, %s) = %+v", org, user, c)
					}
				} else if !errors.Is(err, rbac.ErrNotFound) {
					errorf("Claims: %v", err)
				}
				if _, err := s.Can(ctx, "prod", org, user, "read"); err != nil {
					errorf("Can: %v", err)
				}
				rs, err := all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) {
					return s.ListOrganizationRoles(ctx, "prod", org, o)
				})
				if err != nil {
					errorf("ListOrganizationRoles: %v", err)
				}
				for _, x := range rs {
					if strings.HasPrefix(x.Slug, "org-") && x.OrganizationID != org {
						errorf("ListOrganizationRoles(%s) lists %+v (I6)", org, x)
					}
				}
				if _, err := s.ListMemberships(ctx, "prod", rbac.MembershipFilter{OrganizationID: org}, rbac.ListOptions{}); err != nil {
					errorf("ListMemberships: %v", err)
				}
				// One read-only transaction is one consistent snapshot.
				err = store.View(ctx, "prod", func(tx rbac.Tx) error {
					bad, err := snapshotInvariants(ctx, tx)
					if err != nil {
						return err
					}
					for _, b := range bad {
						errorf("snapshot: %s", b)
					}
					return nil
				})
				if err != nil {
					errorf("View: %v", err)
				}
				snapshots.Add(1)
			}
		}()
	}
	wg.Wait()
	writersDone.Store(true)
	readers.Wait()
	if t.Failed() {
		return
	}

	st := f.dump() // checks the invariants
	var want, got []string
	for w := range memberWriters {
		want = append(want, sortedKeys(live[w])...)
	}
	for _, o := range st["prod"].Orgs {
		for _, m := range o.Memberships {
			if strings.HasPrefix(m.User, "w") {
				got = append(got, m.ID)
			}
			for _, r := range m.Roles {
				if strings.Contains(r, "tmp-") {
					t.Errorf("membership %s holds deleted role %s", m.ID, r)
				}
			}
		}
		for _, r := range o.Roles {
			if strings.Contains(r.Slug, "tmp-") {
				t.Errorf("organization %s still has role %s", o.ID, r.Slug)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	equal(t, "memberships (I8)", got, want)
	if bad := checkClaims(ctx, s, st, nil, nil); len(bad) > 0 {
		t.Fatalf("claims and checks:\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("%d memberships, %d snapshots checked while writing", len(got), snapshots.Load())
}

// snapshotInvariants checks invariants I1–I3, I5 and I7 on the records of
// one transaction, as a Store returns them, and mappings' targets (10.1).
// It returns one line per violation.
func snapshotInvariants(ctx context.Context, tx rbac.Tx) ([]string, error) {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	env, err := tx.Environment(ctx)
	if err != nil {
		return nil, err
	}
	envRoles, err := tx.EnvironmentRoles(ctx)
	if err != nil {
		return nil, err
	}
	envSlugs := slugsOf(envRoles)
	for _, s := range envSlugs {
		if strings.HasPrefix(s, rbac.OrganizationRolePrefix) {
			add("environment role %q has the org- prefix (I5)", s)
		}
	}
	if !slices.Contains(envSlugs, env.DefaultRole) {
		add("environment default %q is not an environment role (I2)", env.DefaultRole)
	}
	if !isPermutation(env.PriorityOrder, envSlugs) {
		add("environment order %v is not a permutation of %v (I3)", env.PriorityOrder, envSlugs)
	}
	orgs, err := collect(func(fn func(rbac.Organization) error) error { return tx.Organizations(ctx, rbac.Range{}, fn) })
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		own, err := tx.OrganizationRoles(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		visible := append(slices.Clone(envSlugs), slugsOf(own)...)
		for _, r := range own {
			if !strings.HasPrefix(r.Slug, rbac.OrganizationRolePrefix) || r.OrganizationID != o.ID {
				add("%s: organization role %q of %q (I5, I6)", o.ID, r.Slug, r.OrganizationID)
			}
		}
		def, order := env.DefaultRole, env.PriorityOrder
		if o.HasOwnSettings() {
			def, order = o.DefaultRole, o.PriorityOrder
		} else if len(own) > 0 {
			add("%s: organization roles without own settings (5.5)", o.ID)
		}
		if !slices.Contains(visible, def) {
			add("%s: default %q not visible (I2)", o.ID, def)
		}
		if !isPermutation(order, visible) {
			add("%s: order %v is not a permutation of %v (I3)", o.ID, order, visible)
		}
		ms, err := collect(func(fn func(rbac.Membership) error) error {
			return tx.Memberships(ctx, rbac.MembershipQuery{OrganizationID: o.ID}, fn)
		})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.OrganizationID != o.ID {
				add("%s: lists membership %s of %s", o.ID, m.ID, m.OrganizationID)
			}
			for _, r := range m.Roles {
				if !slices.Contains(visible, r) {
					add("%s: membership %s holds %q, not visible (I1)", o.ID, m.ID, r)
				}
			}
			if n := len(sortedUnique(m.Roles)); n == 0 || !env.MultipleRoles && n != 1 {
				add("%s: membership %s has roles %v, multiple roles %v (I7)", o.ID, m.ID, m.Roles, env.MultipleRoles)
			}
		}
		gms, err := collect(func(fn func(rbac.GroupMapping) error) error {
			return tx.GroupMappings(ctx, rbac.GroupMappingQuery{OrganizationID: o.ID}, fn)
		})
		if err != nil {
			return nil, err
		}
		for _, g := range gms {
			if !slices.Contains(visible, g.Role) {
				add("%s: mapping %s/%s targets %q, not visible (10.1)", o.ID, g.Source, g.GroupID, g.Role)
			}
		}
	}
	return bad, nil
}
