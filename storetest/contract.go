package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgroles/rbac"
)

// storeState is everything a Store answers about one environment: its
// records and the answers of its index queries for every slug, organization
// and user in sight.
type storeState struct {
	Env         rbac.Environment
	Perms       []rbac.Permission
	Roles       map[string][]rbac.Role // by scope, "" for environment roles
	Orgs        []rbac.Organization
	Members     []rbac.Membership
	Mappings    map[string][]rbac.GroupMapping
	WithDefault map[string][]string // OrganizationsWithDefault by slug
	Holders     map[string][]string // Memberships({OrganizationID, Role}) ids by "org/slug"
	MappingsTo  map[string][]string // GroupMappings({OrganizationID, Role}) ids by "org/slug"
	ByUser      map[string][]string // Memberships({UserID}) ids
	MemberOf    map[string]string   // MembershipOf id by "org/user"
}

// readStore reads env in one read-only transaction. slugs, orgs and users
// are asked about in addition to those found in the records.
func readStore(ctx context.Context, store rbac.Store, env string, slugs, orgs, users []string) (storeState, error) {
	st := storeState{Roles: map[string][]rbac.Role{}, Mappings: map[string][]rbac.GroupMapping{},
		WithDefault: map[string][]string{}, Holders: map[string][]string{}, MappingsTo: map[string][]string{},
		ByUser: map[string][]string{}, MemberOf: map[string]string{}}
	err := store.View(ctx, env, func(tx rbac.Tx) (err error) {
		if st.Env, err = tx.Environment(ctx); err != nil {
			return err
		}
		slugs = append(slices.Clone(slugs), st.Env.PriorityOrder...)
		if st.Perms, err = collect(func(fn func(rbac.Permission) error) error { return tx.Permissions(ctx, rbac.Range{}, fn) }); err != nil {
			return err
		}
		if st.Orgs, err = collect(func(fn func(rbac.Organization) error) error { return tx.Organizations(ctx, rbac.Range{}, fn) }); err != nil {
			return err
		}
		if st.Members, err = collect(func(fn func(rbac.Membership) error) error {
			return tx.Memberships(ctx, rbac.MembershipQuery{}, fn)
		}); err != nil {
			return err
		}
		for i := range st.Members {
			st.Members[i].Roles = sortedUnique(st.Members[i].Roles)
			slugs = append(slugs, st.Members[i].Roles...)
			users = append(users, st.Members[i].UserID)
		}
		scopes := []string{""}
		for _, o := range st.Orgs {
			scopes = append(scopes, o.ID)
			slugs = append(slugs, o.DefaultRole)
			slugs = append(slugs, o.PriorityOrder...)
		}
		scopes = sortedUnique(append(scopes, orgs...))
		for _, sc := range scopes {
			rs, err := scopeRoles(ctx, tx, sc)
			if err != nil {
				return err
			}
			if len(rs) > 0 {
				st.Roles[sc] = rs
			}
			for _, r := range rs {
				slugs = append(slugs, r.Slug)
			}
			if sc != "" {
				gms, err := collect(func(fn func(rbac.GroupMapping) error) error {
					return tx.GroupMappings(ctx, rbac.GroupMappingQuery{OrganizationID: sc}, fn)
				})
				if err != nil {
					return err
				}
				if len(gms) > 0 {
					st.Mappings[sc] = gms
				}
				for _, g := range gms {
					slugs = append(slugs, g.Role)
				}
			}
		}
		slugs = sortedUnique(slugs)
		users = sortedUnique(users)
		for _, slug := range slugs {
			if slug == "" {
				continue
			}
			ids, err := tx.OrganizationsWithDefault(ctx, slug)
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				st.WithDefault[slug] = ids
			}
			for _, sc := range scopes {
				hs, err := holderIDs(ctx, tx, sc, slug)
				if err != nil {
					return err
				}
				if len(hs) > 0 {
					st.Holders[sc+"/"+slug] = hs
				}
				gms, err := collect(func(fn func(rbac.GroupMapping) error) error {
					return tx.GroupMappings(ctx, rbac.GroupMappingQuery{OrganizationID: sc, Role: slug}, fn)
				})
				if err != nil {
					return err
				}
				if len(gms) > 0 {
					st.MappingsTo[sc+"/"+slug] = mappingIDs(gms)
				}
			}
		}
		for _, u := range users {
			ms, err := collect(func(fn func(rbac.Membership) error) error {
				return tx.Memberships(ctx, rbac.MembershipQuery{UserID: u}, fn)
			})
			if err != nil {
				return err
			}
			for _, m := range ms {
				st.ByUser[u] = append(st.ByUser[u], m.ID)
			}
			for _, sc := range scopes[1:] {
				m, err := tx.MembershipOf(ctx, sc, u)
				if err == nil {
					st.MemberOf[sc+"/"+u] = m.ID
				} else if !errors.Is(err, rbac.ErrNotFound) {
					return err
				}
			}
		}
		return nil
	})
	return st, err
}

// testStoreContract checks the parts of the Store contract the Service
// cannot show: a failed or cancelled read-write transaction leaves no
// trace, in the records and in every index; read-only transactions refuse
// writes; slices are not shared between the Store and its caller.
func testStoreContract(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	f := newFixture(t, newStore)
	f.standard("prod")
	ctx, s, store := f.ctx, f.s, f.s.Store()
	ok(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"write"}}))(f)
	ok(s.SetOrganizationDefaultRole(ctx, "prod", "globex", "viewer"))(f)
	ok(s.SetMultipleRoles(ctx, "prod", true))(f)
	m1 := f.member("prod", "acme", "u1", "org-billing", "viewer")
	m2 := f.member("prod", "globex", "u1", "admin")
	ok(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "org-billing"}))(f)
	ok(s.CreateGroupMapping(ctx, "prod", "globex", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: "g2", Role: "viewer"}))(f)

	extraSlugs := []string{"admin", "member", "viewer", "org-billing", "new", "newer", "org-new"}
	extraOrgs := []string{"acme", "globex", "initech"}
	extraUsers := []string{"u1", "u2", "u3"}
	read := func(t *testing.T) storeState {
		t.Helper()
		st, err := readStore(ctx, store, "prod", extraSlugs, extraOrgs, extraUsers)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	same := func(t *testing.T, before storeState, what string) {
		t.Helper()
		if diff := cmp.Diff(before, read(t), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s left a trace (-before +after):\n%s", what, diff)
		}
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	noMembership := func(rbac.Membership) error { return nil }
	noMapping := func(rbac.GroupMapping) error { return nil }
	// writes makes every kind of write, twice over some records, so that
	// indexes are built up and torn down within the transaction.
	writes := func(tx rbac.Tx) error {
		steps := []func() error{
			func() error { return tx.PutPermission(ctx, rbac.Permission{Slug: "new", Name: "New"}) },
			func() error {
				return tx.PutRole(ctx, rbac.Role{Slug: "new", Name: "New", Type: rbac.EnvironmentRole, Permissions: []string{"new"}})
			},
			func() error {
				return tx.PutRole(ctx, rbac.Role{Slug: "newer", Name: "Newer", Type: rbac.EnvironmentRole})
			},
			func() error { return tx.AppendToOrganizationOrders(ctx, "new", now) },
			func() error {
				return tx.PutOrganization(ctx, rbac.Organization{ID: "initech", Name: "Initech", DefaultRole: "new", PriorityOrder: []string{"admin", "member", "viewer", "new"}})
			},
			// An organization default moved twice: viewer → new → member.
			func() error {
				o, err := tx.Organization(ctx, "globex")
				if err != nil {
					return err
				}
				o.DefaultRole = "new"
				if err := tx.PutOrganization(ctx, o); err != nil {
					return err
				}
				o.DefaultRole = "newer"
				if err := tx.PutOrganization(ctx, o); err != nil {
					return err
				}
				o.DefaultRole = "member"
				return tx.PutOrganization(ctx, o)
			},
			// A membership given a role and losing it again.
			func() error {
				m, err := tx.Membership(ctx, m2.ID)
				if err != nil {
					return err
				}
				m.Roles = []string{"admin", "new"}
				if err := tx.PutMembership(ctx, m); err != nil {
					return err
				}
				m.Roles = []string{"newer"}
				if err := tx.PutMembership(ctx, m); err != nil {
					return err
				}
				m.Roles = []string{"member"}
				return tx.PutMembership(ctx, m)
			},
			func() error {
				return tx.PutMembership(ctx, rbac.Membership{ID: "om_new", UserID: "u3", OrganizationID: "initech", Status: rbac.StatusActive, Roles: []string{"new"}})
			},
			func() error { return tx.ReplaceOrganizationRole(ctx, "acme", "org-billing", "new", now, noMembership) },
			func() error { return tx.RemoveEnvironmentRole(ctx, "viewer", now, noMembership) },
			func() error { _, err := tx.RemoveFromOrganizationOrders(ctx, "viewer", "member", now); return err },
			func() error { return tx.RepointEnvironmentRoleMappings(ctx, "viewer", "new", now, noMapping) },
			func() error {
				return tx.RepointOrganizationRoleMappings(ctx, "acme", "org-billing", "", now, noMapping)
			},
			func() error {
				return tx.PutGroupMapping(ctx, rbac.GroupMapping{ID: "grm_new", OrganizationID: "initech", Source: rbac.GroupSourceSSO, GroupID: "g3", Role: "new"})
			},
			func() error { return tx.DeleteGroupMapping(ctx, "initech", rbac.GroupSourceSSO, "g3") },
			func() error { return tx.DeletePermission(ctx, "write", now, func(rbac.Role) error { return nil }) },
			func() error { return tx.DeleteMembership(ctx, m1.ID) },
			func() error { return tx.DeleteEnvironmentRole(ctx, "viewer") },
			func() error { return tx.DeleteOrganization(ctx, "acme") },
			func() error {
				e, err := tx.Environment(ctx)
				if err != nil {
					return err
				}
				e.DefaultRole, e.PriorityOrder, e.MultipleRoles = "new", []string{"new", "newer", "admin", "member"}, false
				e.Revision += 100
				return tx.PutEnvironment(ctx, e)
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("write step %d: %w", i, err)
			}
		}
		return nil
	}

	t.Run("RollbackOnError", func(t *testing.T) {
		before := read(t)
		boom := errors.New("boom")
		err := store.Update(ctx, "prod", func(tx rbac.Tx) error {
			if err := writes(tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v; want the function's error", err)
		}
		same(t, before, "a failed transaction")
	})
	t.Run("RollbackOnCancel", func(t *testing.T) {
		before := read(t)
		cctx, cancel := context.WithCancel(ctx)
		err := store.Update(cctx, "prod", func(tx rbac.Tx) error {
			err := writes(tx)
			cancel()
			return err
		})
		if err == nil {
			t.Fatal("Update committed after its context was cancelled")
		}
		same(t, before, "a cancelled transaction")
	})
	t.Run("CommitThenRead", func(t *testing.T) {
		// The same writes committed are all visible: the rollback tests
		// above did not pass by writing nothing.
		if err := store.Update(ctx, "prod", writes); err != nil {
			t.Fatal(err)
		}
		st := read(t)
		if st.Env.DefaultRole != "new" || len(st.Roles["acme"]) != 0 || st.WithDefault["new"] == nil {
			t.Fatalf("committed writes not visible: %+v", st)
		}
		if got := st.WithDefault["member"]; !slices.Equal(got, []string{"globex"}) {
			t.Fatalf("OrganizationsWithDefault(member) = %v; want [globex]", got)
		}
		for _, slug := range []string{"newer", "viewer", "org-billing"} {
			if ids, ok := st.WithDefault[slug]; ok {
				t.Fatalf("OrganizationsWithDefault(%q) = %v after the default moved on", slug, ids)
			}
		}
		if got := st.Holders["/new"]; !slices.Equal(got, []string{"om_new"}) {
			t.Fatalf("holders of new = %v; want [om_new]", got)
		}
		if got := st.Holders["/member"]; !slices.Equal(got, []string{m2.ID}) {
			t.Fatalf("holders of member = %v; want [%s]", got, m2.ID)
		}
	})
	t.Run("FailedUpdateCreatesNoEnvironment", func(t *testing.T) {
		err := store.Update(ctx, "qa", func(tx rbac.Tx) error {
			if err := tx.PutEnvironment(ctx, rbac.Environment{ID: "qa", DefaultRole: "member", PriorityOrder: []string{"member"}}); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil {
			t.Fatal("Update succeeded")
		}
		envs, err := store.Environments(ctx)
		if err != nil || !slices.Equal(envs, []string{"prod"}) {
			t.Fatalf("Environments() = %v, %v; want [prod]", envs, err)
		}
		err = store.View(ctx, "qa", func(tx rbac.Tx) error {
			_, err := tx.Environment(ctx)
			return err
		})
		if !errors.Is(err, rbac.ErrNotFound) {
			t.Fatalf("Environment of a missing environment: %v; want ErrNotFound", err)
		}
	})
	t.Run("ViewIsReadOnly", func(t *testing.T) {
		before := read(t)
		_ = store.View(ctx, "prod", func(tx rbac.Tx) error {
			if err := tx.PutPermission(ctx, rbac.Permission{Slug: "sneak", Name: "Sneak"}); err == nil {
				t.Error("PutPermission in View succeeded")
			}
			if err := tx.DeleteMembership(ctx, m2.ID); err == nil {
				t.Error("DeleteMembership in View succeeded")
			}
			if err := tx.RemoveEnvironmentRole(ctx, "admin", now, noMembership); err == nil {
				t.Error("RemoveEnvironmentRole in View succeeded")
			}
			return nil
		})
		same(t, before, "writes in a read-only transaction")
	})
	t.Run("NotFound", func(t *testing.T) {
		err := store.View(ctx, "prod", func(tx rbac.Tx) error {
			for what, err := range map[string]error{
				"Permission":       second(tx.Permission(ctx, "ghost")),
				"EnvironmentRole":  second(tx.EnvironmentRole(ctx, "ghost")),
				"OrganizationRole": second(tx.OrganizationRole(ctx, "globex", "org-ghost")),
				"ByExternalID":     second(tx.OrganizationByExternalID(ctx, "ghost")),
				"Organization":     second(tx.Organization(ctx, "ghost")),
				"Membership":       second(tx.Membership(ctx, "om_ghost")),
				"MembershipOf":     second(tx.MembershipOf(ctx, "globex", "ghost")),
			} {
				if !errors.Is(err, rbac.ErrNotFound) {
					t.Errorf("%s of a missing record: %v; want ErrNotFound", what, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SlicesNotShared", func(t *testing.T) {
		perms := []string{"read"}
		order := []string{"member", "admin", "new"}
		roles := []string{"admin"}
		err := store.Update(ctx, "prod", func(tx rbac.Tx) error {
			if err := tx.PutRole(ctx, rbac.Role{Slug: "shared", Name: "S", Type: rbac.EnvironmentRole, Permissions: perms}); err != nil {
				return err
			}
			e, err := tx.Environment(ctx)
			if err != nil {
				return err
			}
			e.PriorityOrder = order
			if err := tx.PutEnvironment(ctx, e); err != nil {
				return err
			}
			m, err := tx.Membership(ctx, m2.ID)
			if err != nil {
				return err
			}
			m.Roles = roles
			return tx.PutMembership(ctx, m)
		})
		if err != nil {
			t.Fatal(err)
		}
		perms[0], order[0], roles[0] = "x", "x", "x"
		err = store.View(ctx, "prod", func(tx rbac.Tx) error {
			r, err := tx.EnvironmentRole(ctx, "shared")
			if err != nil {
				return err
			}
			e, err := tx.Environment(ctx)
			if err != nil {
				return err
			}
			m, err := tx.Membership(ctx, m2.ID)
			if err != nil {
				return err
			}
			if !slices.Equal(r.Permissions, []string{"read"}) || e.PriorityOrder[0] != "member" || !slices.Equal(m.Roles, []string{"admin"}) {
				t.Errorf("the store kept the caller's slices: %v %v %v", r.Permissions, e.PriorityOrder, m.Roles)
			}
			// And the caller owns what it gets, a listing's roles each their
			// own permissions: an append to one does not write into the next.
			e.PriorityOrder[0], r.Permissions[0], m.Roles[0] = "y", "y", "y"
			rs, err := tx.EnvironmentRoles(ctx)
			if err != nil {
				return err
			}
			before := make([][]string, len(rs))
			for i := range rs {
				before[i] = slices.Clone(rs[i].Permissions)
			}
			for i := range rs {
				rs[i].Permissions = append(rs[i].Permissions, "z")
				if i+1 < len(rs) && !slices.Equal(rs[i+1].Permissions, before[i+1]) {
					t.Errorf("appending to role %q's permissions changed role %q's: %v", rs[i].Slug, rs[i+1].Slug, rs[i+1].Permissions)
				}
				if len(rs[i].Permissions) > 1 {
					rs[i].Permissions[0] = "y"
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		st := read(t)
		if st.Env.PriorityOrder[0] != "member" || !slices.Equal(st.Roles[""][slices.IndexFunc(st.Roles[""], func(r rbac.Role) bool { return r.Slug == "shared" })].Permissions, []string{"read"}) {
			t.Fatalf("the store shares its slices with the caller: %v", st.Env.PriorityOrder)
		}
	})
}

// scopeRoles lists the environment roles (org "") or the organization
// roles of org.
func scopeRoles(ctx context.Context, tx rbac.Tx, org string) ([]rbac.Role, error) {
	if org == "" {
		return tx.EnvironmentRoles(ctx)
	}
	return tx.OrganizationRoles(ctx, org)
}

// holderIDs lists the ids of the memberships of org ("" for every
// organization) that hold the role slug.
func holderIDs(ctx context.Context, tx rbac.Tx, org, slug string) ([]string, error) {
	var ids []string
	err := tx.Memberships(ctx, rbac.MembershipQuery{OrganizationID: org, Role: slug}, func(m rbac.Membership) error {
		ids = append(ids, m.ID)
		return nil
	})
	return ids, err
}
