package pgstore_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// TestSchemaNameRefused gives New and Open schema names PostgreSQL would
// not use as given: each is an invalid error on field "schema" that says
// why, and Open creates nothing.
func TestSchemaNameRefused(t *testing.T) {
	long := "rbactest_long_" + strings.Repeat("x", 50) // 64 bytes
	for _, c := range []struct {
		name, schema, says string
	}{
		{"64 bytes", long, "64 bytes long"},
		{"64 bytes, multibyte", "rbactest_" + strings.Repeat("é", 27) + "x", "64 bytes long"},
		{"far too long", strings.Repeat("s", 300), "300 bytes long"},
		{"NUL", "rbactest\x00x", "NUL"},
		{"NUL only", "\x00", "NUL"},
		{"invalid UTF-8", "rbactest_\xff", "UTF-8"},
		{"truncated UTF-8", "rbactest_\xc3", "UTF-8"},
		{"pg_", "pg_rbac", `"pg_"`},
		{"pg_ alone", "pg_", `"pg_"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := pgstore.New(nil, pgstore.Options{Schema: c.schema})
			checkSchemaErr(t, "New", s, err, c.says)
			if os.Getenv(DSNEnv) == "" {
				return
			}
			pool := sharedPool(t)
			s, err = pgstore.Open(context.Background(), pool, pgstore.Options{Schema: c.schema})
			checkSchemaErr(t, "Open", s, err, c.says)
			if !strings.ContainsRune(c.schema, 0) {
				var n int
				if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = left($1, 63)",
					strings.ToValidUTF8(c.schema, "")).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Fatalf("Open(%q) created a schema", c.schema)
				}
			}
		})
	}
}

func checkSchemaErr(t *testing.T, call string, s *pgstore.Store, err error, says string) {
	t.Helper()
	var e *rbac.Error
	if !errors.As(err, &e) || e.Kind != rbac.KindInvalid || e.Field != "schema" || e.Rule == "" {
		t.Fatalf("%s: %v (%#v), want an invalid error on field schema", call, err, e)
	}
	if s != nil {
		t.Fatalf("%s returned a Store with its error", call)
	}
	if !strings.Contains(e.Message, says) {
		t.Fatalf("%s: message %q does not say %q", call, e.Message, says)
	}
}

// TestSchemaNameKept opens stores on names PostgreSQL keeps as they are,
// though they need quoting or are as long as allowed, and writes
// through them: the tables are in a schema of exactly that name.
func TestSchemaNameKept(t *testing.T) {
	pool := sharedPool(t)
	ctx := context.Background()
	base := randomSchema()
	for _, schema := range []string{
		base + "_" + strings.Repeat("é", (63-len(base)-1)/2), // 62 or 63 bytes
		base[:len(base)-5] + ` Mixed "Case"`,
		"PG_" + base, // only lower-case pg_ is reserved
	} {
		store := newStoreOn(t, pool, schema)
		if _, err := rbac.New(store).CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}); err != nil {
			t.Fatalf("schema %q: %v", schema, err)
		}
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("no schema named exactly %q", schema)
		}
	}
}

// TestOpenErrors checks that Open and Migrate fail with *rbac.Error
// values: canceled ones for an ended context, internal ones (with the
// cause) for a server that cannot be reached.
func TestOpenErrors(t *testing.T) {
	pool := sharedPool(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pgstore.Open(ctx, pool, pgstore.Options{Schema: randomSchema()})
	if !errors.Is(err, rbac.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a canceled context: %v, want a canceled error matching context.Canceled", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	store := mustNew(t, pool, pgstore.Options{Schema: randomSchema()})
	if err := store.Migrate(dctx); !errors.Is(err, rbac.ErrCanceled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Migrate past its deadline: %v, want a canceled error matching context.DeadlineExceeded", err)
	}

	cfg := pool.Config().Copy()
	cfg.ConnConfig.Database = "rbactest_no_such_database"
	bad, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = pgstore.Open(context.Background(), bad, pgstore.Options{Schema: randomSchema()})
	var e *rbac.Error
	if !errors.As(err, &e) || e.Kind != rbac.KindInternal || e.Err == nil || !strings.Contains(err.Error(), "rbactest_no_such_database") {
		t.Fatalf("Open on a missing database: %v, want an internal error with the cause", err)
	}
}
