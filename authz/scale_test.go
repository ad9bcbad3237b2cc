package authz_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/pgstore"
)

// The scale benchmarks measure what a write costs with an authorizer
// attached, and how long a start takes, at 1,000,000 memberships in
// 100,000 organizations. Run them with
//
//	RBAC_POSTGRES_DSN=... go test -run '^$' -bench 'BenchmarkMembershipChange|BenchmarkDeleteEnvironmentRole|BenchmarkLoad$' -benchtime 1x -timeout 2h ./authz/
//
// (BenchmarkMembershipChange with the default benchtime). Without
// RBAC_POSTGRES_DSN the PostgreSQL ones are skipped.

// ---- a large tenant ----

const (
	tenantOrgs  = 100_000
	tenantBig   = 100_000 // members of the big organization, org 0
	tenantTotal = 1_000_000
)

// tenantMembers returns the number of members of organization i: the big
// one has tenantBig, the others share the rest (9 or 10 each).
func tenantMembers(i int) int {
	if i == 0 {
		return tenantBig
	}
	rest, n := tenantTotal-tenantBig, tenantOrgs-1
	if i <= rest%n {
		return rest/n + 1
	}
	return rest / n
}

var (
	tenantOnce sync.Once
	tenantSvc  *rbac.Service
	tenantErr  error
)

// tenantFixture returns a Service on memstore with an environment of
// 100,000 organizations and 1,000,000 active memberships, of which
// 100,000 in organization 0: 200 permissions, the environment roles
// member and role-01, and in every organization (with its own settings)
// the roles org-custom-0 and org-custom-1, each of 12 permissions.
// Members hold member. It is built once, through the store's transactions.
func tenantFixture(b *testing.B) *rbac.Service {
	b.Helper()
	tenantOnce.Do(func() {
		start := time.Now()
		tenantSvc, tenantErr = buildTenant()
		b.Logf("tenant fixture: %d organizations, %d memberships built in %v", tenantOrgs, tenantTotal, time.Since(start).Round(time.Millisecond))
	})
	if tenantErr != nil {
		b.Fatal(tenantErr)
	}
	return tenantSvc
}

func tenantOrg(i int) string           { return fmt.Sprintf("org_%06d", i) }
func tenantMembership(i, j int) string { return fmt.Sprintf("om_%06d_%06d", i, j) }

func buildTenant() (*rbac.Service, error) {
	ctx := context.Background()
	store := memstore.New()
	svc := rbac.New(store)
	const env = "production"
	e, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	var perms []string
	for i := range benchPerms {
		perms = append(perms, fmt.Sprintf("resource%03d:read", i))
	}
	grant := func(k int) []string {
		out := make([]string, benchRolePerms)
		for j := range out {
			out[j] = perms[(k*37+j*13)%benchPerms]
		}
		slices.Sort(out)
		return out
	}
	err = store.Update(ctx, env, func(tx rbac.Tx) error {
		for i, p := range perms {
			if err := tx.PutPermission(ctx, rbac.Permission{ID: fmt.Sprintf("perm_%03d", i), Slug: p, Name: p, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		for k, slug := range []string{"member", "role-01"} {
			if err := tx.PutRole(ctx, rbac.Role{ID: "role_" + slug, Slug: slug, Name: slug, Type: rbac.EnvironmentRole,
				Permissions: grant(k), CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		e.PriorityOrder = []string{"member", "role-01"}
		return tx.PutEnvironment(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	for lo := 0; lo < tenantOrgs; lo += benchBatchOfOrgs {
		err := store.Update(ctx, env, func(tx rbac.Tx) error {
			for i := lo; i < min(lo+benchBatchOfOrgs, tenantOrgs); i++ {
				id := tenantOrg(i)
				org := rbac.Organization{ID: id, Name: id, DefaultRole: "member", Metadata: map[string]string{},
					PriorityOrder: []string{"member", "role-01", "org-custom-0", "org-custom-1"}, CreatedAt: now, UpdatedAt: now}
				if err := tx.PutOrganization(ctx, org); err != nil {
					return err
				}
				for k := range 2 {
					slug := fmt.Sprintf("org-custom-%d", k)
					if err := tx.PutRole(ctx, rbac.Role{ID: fmt.Sprintf("role_%s_%d", id, k), Slug: slug, Name: slug,
						Type: rbac.OrganizationRole, OrganizationID: id, Permissions: grant(i + k + 2), CreatedAt: now, UpdatedAt: now}); err != nil {
						return err
					}
				}
				for j := range tenantMembers(i) {
					m := rbac.Membership{ID: tenantMembership(i, j), UserID: fmt.Sprintf("user_%07d", j), OrganizationID: id,
						Status: rbac.StatusActive, Roles: []string{"member"}, RoleSource: rbac.SourceManual, CreatedAt: now, UpdatedAt: now}
					if err := tx.PutMembership(ctx, m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// BenchmarkMembershipChange changes the roles of members of an
// organization of 10 members and of one of 100,000, in the same
// environment of 1,000,000 memberships, through the Service with an
// authorizer attached: the whole write call, store transaction and
// authorizer included, and the change checked visible after each. The
// two should cost the same: a membership change builds one record,
// whatever the size of its organization.
func BenchmarkMembershipChange(b *testing.B) {
	svc := tenantFixture(b)
	ctx := context.Background()
	a, err := authz.New(ctx, svc, "production", authz.WithPollInterval(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	// Every write changes the membership: to the environment role or to
	// the organization role by turns, and to the other one when the
	// membership holds it already (a write that changes nothing commits
	// nothing). held is the role each membership holds, across runs.
	held := make(map[[2]int]string)
	other := map[string]string{"role-01": "org-custom-1", "org-custom-1": "role-01"}
	for _, org := range []int{1, 0} {
		size := tenantMembers(org)
		b.Run(fmt.Sprintf("org-members=%d", size), func(b *testing.B) {
			runtime.GC()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				j := (i * 7919) % size
				role := "role-01"
				if i&1 == 1 {
					role = "org-custom-1"
				}
				if held[[2]int{org, j}] == role {
					role = other[role]
				}
				held[[2]int{org, j}] = role
				if _, err := svc.UpdateMembershipRoles(ctx, "production", tenantMembership(org, j), []string{role}); err != nil {
					b.Fatal(err)
				}
				c, ok := a.Claims(tenantOrg(org), fmt.Sprintf("user_%07d", j))
				if !ok || c.Role != role {
					b.Fatalf("change not visible: %+v %v", c, ok)
				}
			}
		})
	}
}

// ---- deleting an environment role held by many ----

const (
	delOrgs    = 100_000
	delMembers = 10 // per organization
	delEnv     = "production"
)

func delUser(i, j int) string       { return fmt.Sprintf("user_%06d_%d", i, j) }
func delMembership(i, j int) string { return fmt.Sprintf("om_%06d_%d", i, j) }

// BenchmarkDeleteEnvironmentRole deletes an environment role held by
// 100,000 and by 1,000,000 memberships of 100,000 organizations
// (1,000,000 memberships in all), on memstore and on PostgreSQL, through
// a Service with an authorizer attached and through one without: every
// holder is reassigned to the default role in the deletion's
// transaction, and with an authorizer each reassignment is visible when
// the call returns. Each iteration sets the role and its holders up
// again (not timed). B/op counts every allocation made meanwhile, the
// authorizer's included.
func BenchmarkDeleteEnvironmentRole(b *testing.B) {
	b.Run("store=memstore", func(b *testing.B) {
		store := memstore.New()
		seedDelMem(b, store)
		benchDeletion(b, store, func(held int) { holdDoomedMem(b, store, held) })
	})
	b.Run("store=postgres", func(b *testing.B) {
		dsn := os.Getenv(dsnEnv)
		if dsn == "" {
			b.Skip("PostgreSQL benchmarks skipped: set " + dsnEnv)
		}
		pool := newPool(b, dsn)
		schema := randomSchema()
		store := newPGStore(b, pool, schema)
		seedDelPG(b, pool, store)
		benchDeletion(b, store, func(held int) { holdDoomedPG(b, pool, schema, held) })
	})
}

// benchDeletion runs the deletion subbenchmarks on store; setup gives the
// role doomed to held memberships.
func benchDeletion(b *testing.B, store rbac.Store, setup func(held int)) {
	ctx := context.Background()
	plain := rbac.New(store)
	watched := rbac.New(store)
	a, err := authz.New(ctx, watched, delEnv, authz.WithPollInterval(time.Minute), authz.WithReadTimeout(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, held := range []int{100_000, 1_000_000} {
		for _, with := range []bool{false, true} {
			name := fmt.Sprintf("held=%d/authorizer=%s", held, map[bool]string{false: "without", true: "with"}[with])
			b.Run(name, func(b *testing.B) {
				svc := plain
				if with {
					svc = watched
				}
				for b.Loop() {
					b.StopTimer()
					setup(held)
					if err := a.Reload(ctx); err != nil {
						b.Fatal(err)
					}
					if !a.Can(tenantOrg(1), delUser(1, 0), "docs:doomed") {
						b.Fatal("the authorizer does not see the role's holders")
					}
					runtime.GC()
					b.StartTimer()
					plan, err := svc.DeleteRole(ctx, delEnv, "doomed", rbac.DeleteOptions{})
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if plan.MembershipCount != held {
						b.Fatalf("reassigned %d memberships, want %d", plan.MembershipCount, held)
					}
					if with && (a.Can(tenantOrg(1), delUser(1, 0), "docs:doomed") || !a.Can(tenantOrg(1), delUser(1, 0), "docs:read")) {
						b.Fatal("the reassignment is not visible when the deletion returns")
					}
					b.StartTimer()
				}
			})
		}
	}
}

// seedDelMem writes the deletion fixture into a memstore: the
// permissions docs:read (granted by member, the default) and
// docs:doomed, 100,000 organizations that follow the environment, 10
// members each holding member.
func seedDelMem(b *testing.B, store *memstore.Store) {
	ctx := context.Background()
	svc := rbac.New(store)
	e, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: delEnv})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	err = store.Update(ctx, delEnv, func(tx rbac.Tx) error {
		for _, p := range []string{"docs:read", "docs:doomed"} {
			if err := tx.PutPermission(ctx, rbac.Permission{ID: "perm_" + p, Slug: p, Name: p, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		if err := tx.PutRole(ctx, rbac.Role{ID: "role_member", Slug: "member", Name: "Member", Type: rbac.EnvironmentRole,
			Permissions: []string{"docs:read"}, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		e.Revision++
		return tx.PutEnvironment(ctx, e)
	})
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < delOrgs; lo += benchBatchOfOrgs {
		err := store.Update(ctx, delEnv, func(tx rbac.Tx) error {
			for i := lo; i < min(lo+benchBatchOfOrgs, delOrgs); i++ {
				id := tenantOrg(i)
				if err := tx.PutOrganization(ctx, rbac.Organization{ID: id, Name: id, Metadata: map[string]string{}, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
				for j := range delMembers {
					if err := tx.PutMembership(ctx, rbac.Membership{ID: delMembership(i, j), UserID: delUser(i, j), OrganizationID: id,
						Status: rbac.StatusActive, Roles: []string{"member"}, RoleSource: rbac.SourceManual, CreatedAt: now, UpdatedAt: now}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// holdDoomedMem creates the environment role doomed (granting
// docs:doomed) and gives it, instead of member, to held memberships:
// member 0 of every organization for 100,000, every member for
// 1,000,000.
func holdDoomedMem(b *testing.B, store *memstore.Store, held int) {
	ctx := context.Background()
	now := time.Now().UTC()
	err := store.Update(ctx, delEnv, func(tx rbac.Tx) error {
		e, err := tx.Environment(ctx)
		if err != nil {
			return err
		}
		if err := tx.PutRole(ctx, rbac.Role{ID: "role_doomed", Slug: "doomed", Name: "Doomed", Type: rbac.EnvironmentRole,
			Permissions: []string{"docs:doomed"}, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		e.PriorityOrder = []string{"member", "doomed"}
		e.Revision++
		if err := tx.PutEnvironment(ctx, e); err != nil {
			return err
		}
		per := held / delOrgs
		for i := range delOrgs {
			for j := range delMembers {
				role := "member"
				if j < per {
					role = "doomed"
				}
				m, err := tx.Membership(ctx, delMembership(i, j))
				if err != nil {
					return err
				}
				if m.Roles[0] != role {
					m.Roles = []string{role}
					if err := tx.PutMembership(ctx, m); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// seedDelPG writes the deletion fixture into PostgreSQL, with a few
// statements of generated rows.
func seedDelPG(b *testing.B, pool *pgxpool.Pool, store *pgstore.Store) {
	ctx := context.Background()
	svc := rbac.New(store)
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: delEnv}); err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{"docs:read", "docs:doomed"} {
		if _, err := svc.CreatePermission(ctx, delEnv, rbac.PermissionInput{Slug: p, Name: p}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := svc.UpdateRole(ctx, delEnv, "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"docs:read"})}); err != nil {
		b.Fatal(err)
	}
	s := store.Schema()
	start := time.Now()
	pgExec(b, pool, fmt.Sprintf(`INSERT INTO %s.organizations (env, id, name, created_at, updated_at)
		SELECT $1, 'org_' || lpad(i::text, 6, '0'), 'org_' || lpad(i::text, 6, '0'), now(), now()
		FROM generate_series(0, %d) i`, s, delOrgs-1), delEnv)
	pgExec(b, pool, fmt.Sprintf(`INSERT INTO %s.memberships (env, id, org_id, user_id, status, role_source, roles, created_at, updated_at)
		SELECT $1, 'om_' || lpad(i::text, 6, '0') || '_' || j, 'org_' || lpad(i::text, 6, '0'),
			'user_' || lpad(i::text, 6, '0') || '_' || j, 'active', 'manual', ARRAY['member'], now(), now()
		FROM generate_series(0, %d) i, generate_series(0, %d) j`, s, delOrgs-1, delMembers-1), delEnv)
	pgExec(b, pool, fmt.Sprintf(`INSERT INTO %s.role_holders (env, org_id, role_slug, holders)
		SELECT env, org_id, 'member', count(*) FROM %s.memberships WHERE env = $1 GROUP BY env, org_id`, s, s), delEnv)
	for _, t := range []string{"organizations", "memberships", "role_holders"} {
		pgExec(b, pool, "VACUUM ANALYZE "+s+"."+t)
	}
	b.Logf("PostgreSQL deletion fixture: %d organizations, %d memberships in %v", delOrgs, delOrgs*delMembers, time.Since(start).Round(time.Millisecond))
}

// holdDoomedPG is holdDoomedMem on PostgreSQL, in SQL.
func holdDoomedPG(b *testing.B, pool *pgxpool.Pool, s string, held int) {
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{
		`INSERT INTO ` + s + `.roles (env, scope, slug, id, name, description, created_at, updated_at)
			VALUES ($1, '', 'doomed', 'role_doomed', 'Doomed', '', now(), now())`,
		`INSERT INTO ` + s + `.role_permissions (env, role_scope, role_slug, permission) VALUES ($1, '', 'doomed', 'docs:doomed')`,
		`INSERT INTO ` + s + `.environment_order (env, position, role_slug)
			VALUES ($1, (SELECT max(position) + 1 FROM ` + s + `.environment_order WHERE env = $1), 'doomed')`,
		fmt.Sprintf(`UPDATE %s.memberships SET roles = ARRAY['doomed']
			WHERE env = $1 AND roles = ARRAY['member'] AND right(id, 1)::int < %d`, s, held/delOrgs),
		fmt.Sprintf(`UPDATE %s.role_holders h SET holders = h.holders - %d WHERE env = $1 AND role_slug = 'member'`, s, held/delOrgs),
		fmt.Sprintf(`INSERT INTO %s.role_holders (env, org_id, role_slug, holders)
			SELECT env, org_id, 'doomed', %d FROM %s.role_holders WHERE env = $1 AND role_slug = 'member'
			ON CONFLICT (env, role_slug, org_id) DO UPDATE SET holders = excluded.holders`, s, held/delOrgs, s),
		`UPDATE ` + s + `.environments SET revision = revision + 1 WHERE id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, delEnv); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	pgExec(b, pool, "VACUUM ANALYZE "+s+".memberships")
	pgExec(b, pool, "VACUUM ANALYZE "+s+".role_holders")
}

func pgExec(b *testing.B, pool *pgxpool.Pool, q string, args ...any) {
	b.Helper()
	if _, err := pool.Exec(context.Background(), q, args...); err != nil {
		b.Fatalf("%v\n%s", err, q)
	}
}

// ---- loading ----

// BenchmarkLoad times authz.New — one full load — at 1,000,000
// memberships, from memstore (the check benchmarks' fixture) and from
// PostgreSQL (a fixture of the same shape: 200 permissions, 50
// environment roles, 100,000 organizations with their own settings and 10
// organization roles each, of 12 permissions, and 10 members each, 40% of
// them holding an organization role). It reports the load's seconds.
//
// With RBAC_BENCH_LOAD_SCHEMA set, the PostgreSQL fixture is kept in that
// schema and reused by later runs (drop it by hand when done).
func BenchmarkLoad(b *testing.B) {
	b.Run("store=memstore", func(b *testing.B) {
		f := fixture(b, benchOrgs)
		benchLoad(b, rbac.New(f.svc.Store()), f.env)
	})
	b.Run("store=postgres", func(b *testing.B) {
		dsn := os.Getenv(dsnEnv)
		if dsn == "" {
			b.Skip("PostgreSQL benchmarks skipped: set " + dsnEnv)
		}
		pool := newPool(b, dsn)
		var store *pgstore.Store
		if keep := os.Getenv(loadSchemaEnv); keep != "" {
			// The fixture takes minutes to build: kept in a schema of
			// its own, it is built once and reused by later runs.
			var built bool
			err := pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM information_schema.tables
				WHERE table_schema = $1 AND table_name = 'memberships')`, keep).Scan(&built)
			if err != nil {
				b.Fatal(err)
			}
			if store, err = pgstore.Open(context.Background(), pool, pgstore.Options{Schema: keep}); err != nil {
				b.Fatal(err)
			}
			if !built {
				seedLoadPG(b, pool, keep)
			}
		} else {
			store = newPGStore(b, pool, randomSchema())
			seedLoadPG(b, pool, store.Schema())
		}
		benchLoad(b, rbac.New(store), "production")
	})
}

const loadSchemaEnv = "RBAC_BENCH_LOAD_SCHEMA"

func benchLoad(b *testing.B, svc *rbac.Service, env string) {
	var took time.Duration
	var n int
	for b.Loop() {
		runtime.GC()
		start := time.Now()
		a, err := authz.New(context.Background(), svc, env, authz.WithPollInterval(time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		n++
		// Both fixtures make user_000010 the first member of org_000001.
		if _, ok := a.Claims("org_000001", "user_000010"); !ok {
			b.Fatal("the loaded snapshot has no record of user_000010 in org_000001")
		}
		a.Close()
	}
	b.ReportMetric(took.Seconds()/float64(n), "s/load")
}

// seedLoadPG writes the load fixture into schema s, in SQL: the scale of
// the check benchmarks' fixture, with deterministic choices.
func seedLoadPG(b *testing.B, pool *pgxpool.Pool, s string) {
	start := time.Now()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	envRole := `CASE WHEN r = 0 THEN 'member' ELSE 'role-' || lpad(r::text, 2, '0') END`
	for _, q := range []string{
		`INSERT INTO ` + s + `.environments (id, name, default_role, multiple_roles, revision, created_at, updated_at)
			VALUES ('production', 'production', 'member', false, 1, now(), now())`,
		`INSERT INTO ` + s + `.permissions (env, slug, id, name, description, system, created_at, updated_at)
			SELECT 'production', 'resource' || lpad((i / 5)::text, 2, '0') || ':' || (ARRAY['read','write','delete','share','admin'])[i % 5 + 1],
				'perm_' || i, 'p' || i, '', false, now(), now() FROM generate_series(0, 199) i`,
		`CREATE TEMP TABLE perm_n ON COMMIT DROP AS
			SELECT i, 'resource' || lpad((i / 5)::text, 2, '0') || ':' || (ARRAY['read','write','delete','share','admin'])[i % 5 + 1] AS slug
			FROM generate_series(0, 199) i`,
		`INSERT INTO ` + s + `.roles (env, scope, slug, id, name, description, created_at, updated_at)
			SELECT 'production', '', ` + envRole + `, 'role_env_' || r, 'r' || r, '', now(), now() FROM generate_series(0, 49) r`,
		`INSERT INTO ` + s + `.role_permissions (env, role_scope, role_slug, permission)
			SELECT 'production', '', ` + envRole + `, p.slug FROM generate_series(0, 49) r CROSS JOIN generate_series(0, 11) k
			JOIN perm_n p ON p.i = (r * 37 + k * 17) % 200`,
		`INSERT INTO ` + s + `.environment_order (env, position, role_slug)
			SELECT 'production', r + 1, ` + envRole + ` FROM generate_series(0, 49) r`,
		`INSERT INTO ` + s + `.organizations (env, id, name, default_role, created_at, updated_at)
			SELECT 'production', 'org_' || lpad(i::text, 6, '0'), 'org_' || lpad(i::text, 6, '0'), 'member', now(), now()
			FROM generate_series(0, 99999) i`,
		`INSERT INTO ` + s + `.roles (env, scope, slug, id, name, description, created_at, updated_at)
			SELECT 'production', 'org_' || lpad(i::text, 6, '0'), 'org-custom-' || k, 'role_' || i || '_' || k, 'c' || k, '', now(), now()
			FROM generate_series(0, 99999) i, generate_series(0, 9) k`,
		`INSERT INTO ` + s + `.role_permissions (env, role_scope, role_slug, permission)
			SELECT 'production', 'org_' || lpad(o.i::text, 6, '0'), 'org-custom-' || k, p.slug
			FROM generate_series(0, 99999) o(i) CROSS JOIN generate_series(0, 9) k CROSS JOIN generate_series(0, 11) j
			JOIN perm_n p ON p.i = (o.i * 7 + k * 31 + j * 13) % 200`,
		`INSERT INTO ` + s + `.organization_order (env, org_id, position, role_slug)
			SELECT 'production', 'org_' || lpad(i::text, 6, '0'), r + 1, ` + envRole + ` FROM generate_series(0, 99999) i, generate_series(0, 49) r
			UNION ALL
			SELECT 'production', 'org_' || lpad(i::text, 6, '0'), 51 + k, 'org-custom-' || k FROM generate_series(0, 99999) i, generate_series(0, 9) k`,
		`INSERT INTO ` + s + `.memberships (env, id, org_id, user_id, status, role_source, roles, created_at, updated_at)
			SELECT 'production', 'om_' || lpad(n::text, 7, '0'), 'org_' || lpad((n / 10)::text, 6, '0'),
				'user_' || lpad((n % 400000)::text, 6, '0'), 'active', 'manual',
				ARRAY[CASE WHEN (n * 2654435761) % 10 < 4 THEN 'org-custom-' || ((n * 7) % 10)
					ELSE (SELECT ` + envRole + ` FROM (SELECT (n * 13) % 50 AS r) x) END], now(), now()
			FROM generate_series(0, 999999) n`,
		`INSERT INTO ` + s + `.role_holders (env, org_id, role_slug, holders)
			SELECT env, org_id, r, count(*) FROM ` + s + `.memberships, unnest(roles) r GROUP BY 1, 2, 3`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	// The roles were inserted before their permissions, so the triggers
	// rewrote every row (pgstore writes a role's row once, with its
	// permissions): compact the table to what pgstore's writes leave.
	pgExec(b, pool, "VACUUM FULL "+s+".roles")
	for _, t := range []string{"roles", "role_permissions", "organizations", "organization_order", "memberships", "role_holders"} {
		pgExec(b, pool, "VACUUM ANALYZE "+s+"."+t)
	}
	b.Logf("PostgreSQL load fixture built in %v", time.Since(start).Round(time.Millisecond))
}
