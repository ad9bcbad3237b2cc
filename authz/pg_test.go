package authz_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac/pgstore"
)

// dsnEnv names the environment variable that points the tests at a
// PostgreSQL server. Without it the PostgreSQL tests skip.
const dsnEnv = "RBAC_POSTGRES_DSN"

// pgDSN returns the test server's DSN, or skips the test.
func pgDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("PostgreSQL tests skipped: set " + dsnEnv + " to a server's DSN to run them, e.g. " +
			dsnEnv + "=$(scripts/postgres.sh) go test ./authz/")
	}
	return dsn
}

// newPool returns a pool on dsn, closed at the end of the test.
func newPool(tb testing.TB, dsn string) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", dsnEnv, err)
	}
	cfg.MaxConns = max(cfg.MaxConns, 8)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func randomSchema() string {
	var b [6]byte
	rand.Read(b[:])
	return "authz_test_" + hex.EncodeToString(b[:])
}

// newPGStore returns a store in a schema of its own on pool, dropped at
// the end of the test.
func newPGStore(tb testing.TB, pool *pgxpool.Pool, schema string) *pgstore.Store {
	tb.Helper()
	ctx := context.Background()
	store, err := pgstore.Open(ctx, pool, pgstore.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return store
}

// checksFrom sets rapid's number of checks to the value of the variable
// name, or to def, for the test, unless -rapid.checks was given.
func checksFrom(t *testing.T, name string, def int) {
	t.Helper()
	n := def
	if v := os.Getenv(name); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("%s=%q: %v", name, v, err)
		}
	}
	setChecks(t, n)
}

// TestAgreesPostgres is TestAgrees on PostgreSQL: random writes through a
// Service on pgstore, the authorizer registered with it, and a second one
// on another pool following the writes through pgstore's feed (the changes
// table and LISTEN/NOTIFY), as another process would. Each sequence runs
// in an environment of its own. RBAC_AUTHZ_POSTGRES_CHECKS sets the number
// of sequences (default 8; a sequence costs seconds).
func TestAgreesPostgres(t *testing.T) {
	dsn := pgDSN(t)
	checksFrom(t, "RBAC_AUTHZ_POSTGRES_CHECKS", 8)
	schema := randomSchema()
	store := newPGStore(t, newPool(t, dsn), schema)
	other, err := pgstore.Open(context.Background(), newPool(t, dsn), pgstore.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	var n tally
	var envs atomic.Int64
	start := time.Now()
	rapid.Check(t, func(t *rapid.T) {
		env := fmt.Sprintf("env%d", envs.Add(1))
		w := newWorld(t, store, env, other)
		agree(t, w, &n, false)
	})
	t.Logf("%d sequences in %v", envs.Load(), time.Since(start).Round(time.Millisecond))
	checkTally(t, &n)
}
