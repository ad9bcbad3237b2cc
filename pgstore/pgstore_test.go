package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
	"github.com/orgroles/rbac/storetest"
)

// DSNEnv names the environment variable that points the tests at a
// PostgreSQL server. Without it the PostgreSQL tests skip.
const DSNEnv = "RBAC_POSTGRES_DSN"

const skipMessage = "PostgreSQL tests skipped: set " + DSNEnv + " to a server's DSN to run them, e.g. " +
	DSNEnv + "=$(scripts/postgres.sh) go test ./..."

// newPool returns a new pool on the test server, closed at the end of the
// test; it skips the test when no server is configured.
func newPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skip(skipMessage)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", DSNEnv, err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

var (
	sharedOnce sync.Once
	shared     *pgxpool.Pool
	sharedErr  error
)

// sharedPool returns one pool for the whole test binary, so that the
// conformance suite, which makes hundreds of stores, does not open
// hundreds of pools.
func sharedPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skip(skipMessage)
	}
	sharedOnce.Do(func() {
		var cfg *pgxpool.Config
		if cfg, sharedErr = pgxpool.ParseConfig(dsn); sharedErr != nil {
			return
		}
		if cfg.MaxConns < 8 {
			cfg.MaxConns = 8
		}
		if shared, sharedErr = pgxpool.NewWithConfig(context.Background(), cfg); sharedErr != nil {
			return
		}
		sharedErr = dropStaleSchemas(shared)
	})
	if sharedErr != nil {
		tb.Fatalf("%s: %v", DSNEnv, sharedErr)
	}
	return shared
}

// randomSchema returns a new schema name: "rbactest_<unix time>_<random>".
func randomSchema() string {
	var b [5]byte
	rand.Read(b[:])
	return fmt.Sprintf("rbactest_%d_%s", time.Now().Unix(), hex.EncodeToString(b[:]))
}

// dropStaleSchemas drops the test schemas that runs killed before their
// cleanup left behind: those made more than six hours ago.
func dropStaleSchemas(pool *pgxpool.Pool) error {
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rbactest\_%\_%'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		var ts int64
		var rest string
		if _, err := fmt.Sscanf(n, "rbactest_%d_%s", &ts, &rest); err != nil || time.Since(time.Unix(ts, 0)) < 6*time.Hour {
			continue
		}
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{n}.Sanitize()+" CASCADE"); err != nil {
			return err
		}
	}
	return nil
}

// newStoreOn returns an empty Store in a new schema with a random name on
// pool, migrated, and dropped at the end of the test.
func newStoreOn(tb testing.TB, pool *pgxpool.Pool, schema string) *pgstore.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := pgstore.Open(ctx, pool, pgstore.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		checkHolders(tb, pool, schema)
		if err := s.DropSchema(context.Background()); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

// checkHolders fails tb when role_holders, in schema, does not count the
// memberships of each organization holding each role: what the store's
// own statements keep it at, and what its role filters and its refusal
// to delete a held role rely on.
func checkHolders(tb testing.TB, pool *pgxpool.Pool, schema string) {
	tb.Helper()
	q := fmt.Sprintf(`SELECT coalesce(h.env, a.env), coalesce(h.org_id, a.org_id), coalesce(h.role_slug, a.r),
			coalesce(h.holders, 0), coalesce(a.n, 0)
		FROM (SELECT * FROM %[1]s.role_holders WHERE holders > 0) h
		FULL JOIN (SELECT env, org_id, r, count(*) AS n FROM %[1]s.memberships, unnest(roles) r GROUP BY 1, 2, 3) a
			ON h.env = a.env AND h.org_id = a.org_id AND h.role_slug = a.r
		WHERE coalesce(h.holders, 0) <> coalesce(a.n, 0) ORDER BY 1, 2, 3 LIMIT 10`, pgx.Identifier{schema}.Sanitize())
	rows, err := pool.Query(context.Background(), q)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "3F000" || errors.As(err, &pe) && pe.Code == "42P01" {
			return // the test dropped the schema
		}
		tb.Errorf("checking role_holders in %s: %v", schema, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var env, org, slug string
		var counted, held int64
		if err := rows.Scan(&env, &org, &slug, &counted, &held); err != nil {
			tb.Errorf("checking role_holders in %s: %v", schema, err)
			return
		}
		tb.Errorf("role_holders counts %d holders of %q in organization %q of %q; %d memberships hold it", counted, slug, org, env, held)
	}
	if err := rows.Err(); err != nil {
		tb.Errorf("checking role_holders in %s: %v", schema, err)
	}
}

func newStore(tb testing.TB) *pgstore.Store {
	tb.Helper()
	return newStoreOn(tb, sharedPool(tb), randomSchema())
}

// TestConformance runs the Store conformance suite against PostgreSQL. A
// random sequence of the state machine costs seconds here rather than
// milliseconds: set their number with rapid's flag, -rapid.checks.
func TestConformance(t *testing.T) {
	sharedPool(t)
	storetest.Run(t, func(t *testing.T) rbac.Store { return newStore(t) })
}
