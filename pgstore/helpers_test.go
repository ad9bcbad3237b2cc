package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// mustNew returns pgstore.New(pool, opt), failing tb on an error.
func mustNew(tb testing.TB, pool *pgxpool.Pool, opt pgstore.Options) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.New(pool, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// bulkEnv is the environment seedBulk creates.
const bulkEnv = "prod"

// seedBulk creates, in store, environment bulkEnv with the environment
// roles member (the default) and temp, orgs organizations and members
// memberships spread over them, each holding temp. The environment and
// roles go through the Service; the organizations and memberships are
// inserted with three SQL statements, as many through the Service would
// take minutes.
func seedBulk(tb testing.TB, pool *pgxpool.Pool, store *pgstore.Store, orgs, members int) *rbac.Service {
	tb.Helper()
	ctx := context.Background()
	svc := rbac.New(store)
	must[rbac.Environment](tb)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: bulkEnv}))
	must[rbac.Role](tb)(svc.CreateRole(ctx, bulkEnv, rbac.RoleInput{Slug: "temp", Name: "Temporary"}))
	s := store.Schema()
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO %s.organizations (env, id, name, created_at, updated_at)
			SELECT $1, 'org_' || lpad(i::text, 6, '0'), 'Org ' || i, now(), now()
			FROM generate_series(1, %d) i`, s, orgs),
		fmt.Sprintf(`INSERT INTO %s.memberships (env, id, org_id, user_id, status, role_source, roles, created_at, updated_at)
			SELECT $1, 'om_' || lpad(i::text, 8, '0'), 'org_' || lpad((i %% %d + 1)::text, 6, '0'), 'user_' || i,
				'active', 'manual', ARRAY['temp'], now(), now()
			FROM generate_series(1, %d) i`, s, orgs, members),
		fmt.Sprintf(`INSERT INTO %s.role_holders (env, org_id, role_slug, holders)
			SELECT env, org_id, 'temp', count(*) FROM %s.memberships WHERE env = $1 GROUP BY env, org_id`, s, s),
	} {
		if _, err := pool.Exec(ctx, q, bulkEnv); err != nil {
			tb.Fatal(err)
		}
	}
	for _, t := range []string{"organizations", "memberships", "role_holders"} {
		// Settle the bulk-loaded rows (hint bits, visibility map,
		// statistics) as time would in a live database.
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+s+"."+t); err != nil {
			tb.Fatal(err)
		}
	}
	return svc
}

// snapshot is what a failed call must leave exactly as it was.
type snapshot struct {
	Revision    int64
	Changes     int64
	Roles       []string
	Memberships int64
	Holders     map[string]int64 // role slug → memberships holding it
	Orgs        int64
}

func takeSnapshot(tb testing.TB, pool *pgxpool.Pool, store *pgstore.Store, env string) snapshot {
	tb.Helper()
	ctx := context.Background()
	s := store.Schema()
	var sn snapshot
	q := fmt.Sprintf(`SELECT (SELECT revision FROM %[1]s.environments WHERE id = $1),
		(SELECT count(*) FROM %[1]s.changes WHERE env = $1),
		(SELECT count(*) FROM %[1]s.memberships WHERE env = $1),
		(SELECT count(*) FROM %[1]s.organizations WHERE env = $1)`, s)
	if err := pool.QueryRow(ctx, q, env).Scan(&sn.Revision, &sn.Changes, &sn.Memberships, &sn.Orgs); err != nil {
		tb.Fatal(err)
	}
	rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT r, count(*) FROM %s.memberships, unnest(roles) r WHERE env = $1 GROUP BY r`, s), env)
	if err != nil {
		tb.Fatal(err)
	}
	sn.Holders = map[string]int64{}
	for rows.Next() {
		var slug string
		var n int64
		if err := rows.Scan(&slug, &n); err != nil {
			tb.Fatal(err)
		}
		sn.Holders[slug] = n
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	err = store.View(ctx, env, func(tx rbac.Tx) error {
		roles, err := tx.EnvironmentRoles(ctx)
		for _, r := range roles {
			sn.Roles = append(sn.Roles, r.Slug)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return sn
}

func (a snapshot) equal(b snapshot) bool {
	if a.Revision != b.Revision || a.Changes != b.Changes || a.Memberships != b.Memberships || a.Orgs != b.Orgs || !slices.Equal(a.Roles, b.Roles) || len(a.Holders) != len(b.Holders) {
		return false
	}
	for k, v := range a.Holders {
		if b.Holders[k] != v {
			return false
		}
	}
	return true
}

// checkInvariants checks, through the Service, the invariants (rules §14)
// that concern memberships and orders, on every organization of env, and
// returns the number of memberships.
func checkInvariants(tb testing.TB, svc *rbac.Service, env string) int {
	tb.Helper()
	ctx := context.Background()
	e := must[rbac.Environment](tb)(svc.GetEnvironment(ctx, env))
	envRoles := must[rbac.Page[rbac.Role]](tb)(svc.ListRoles(ctx, env, rbac.ListOptions{Limit: rbac.MaxLimit})).Data
	if !sameSet(e.PriorityOrder, slugs(envRoles)) {
		tb.Errorf("environment order %v is not a permutation of %v", e.PriorityOrder, slugs(envRoles))
	}
	if !slices.Contains(e.PriorityOrder, e.DefaultRole) {
		tb.Errorf("environment default %q is not an environment role", e.DefaultRole)
	}
	total := 0
	for _, org := range allOrganizations(tb, svc, env) {
		visible := slugs(must[rbac.Page[rbac.Role]](tb)(svc.ListOrganizationRoles(ctx, env, org.ID, rbac.ListOptions{Limit: rbac.MaxLimit})).Data)
		st := must[rbac.Settings](tb)(svc.OrganizationSettings(ctx, env, org.ID))
		if !sameSet(st.PriorityOrder, visible) {
			tb.Errorf("organization %s: order %v is not a permutation of the visible roles %v", org.ID, st.PriorityOrder, visible)
		}
		if !slices.Contains(visible, st.DefaultRole) {
			tb.Errorf("organization %s: default %q is not visible", org.ID, st.DefaultRole)
		}
		ms := allMemberships(tb, svc, env, rbac.MembershipFilter{OrganizationID: org.ID,
			Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}})
		total += len(ms)
		for _, m := range ms {
			if len(m.Roles) == 0 || (!e.MultipleRoles && len(m.Roles) != 1) {
				tb.Errorf("membership %s has roles %v", m.ID, m.Roles)
			}
			for _, r := range m.Roles {
				if !slices.Contains(visible, r) {
					tb.Errorf("membership %s of %s holds %q, not visible there", m.ID, org.ID, r)
				}
			}
		}
	}
	return total
}

func slugs(rs []rbac.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Slug
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(a)
}

// allOrganizations lists every organization of env.
func allOrganizations(tb testing.TB, svc *rbac.Service, env string) []rbac.Organization {
	tb.Helper()
	var out []rbac.Organization
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p := must[rbac.Page[rbac.Organization]](tb)(svc.ListOrganizations(context.Background(), env, opt))
		out = append(out, p.Data...)
		if p.After == "" {
			return out
		}
		opt.After = p.After
	}
}

// allMemberships lists every membership of env that f selects.
func allMemberships(tb testing.TB, svc *rbac.Service, env string, f rbac.MembershipFilter) []rbac.Membership {
	tb.Helper()
	var out []rbac.Membership
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p := must[rbac.Page[rbac.Membership]](tb)(svc.ListMemberships(context.Background(), env, f, opt))
		out = append(out, p.Data...)
		if p.After == "" {
			return out
		}
		opt.After = p.After
	}
}
