package pgtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/orgroles/rbac/internal/pgtest"
)

func connect(t *testing.T, c *pgtest.Cluster, app string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = app
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func setting(t *testing.T, conn *pgx.Conn, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), "SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCluster drives one cluster through every method: settings from
// Start, SetConf with Reload and with Restart, Stop, and the backend
// controls.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Start(t, pgtest.Options{Conf: []string{"work_mem = '3MB'"}})
	conn := connect(t, c, "pgtest-a")
	if v := setting(t, conn, "work_mem"); v != "3MB" {
		t.Fatalf("work_mem from Options.Conf = %s, want 3MB", v)
	}

	// A reload is seen by new connections when Reload returns.
	c.SetConf(t, "work_mem = '5MB'", "max_connections = 25")
	c.Reload(t)
	if v := setting(t, connect(t, c, "pgtest-b"), "work_mem"); v != "5MB" {
		t.Fatalf("work_mem after SetConf and Reload = %s, want 5MB", v)
	}
	if v := setting(t, connect(t, c, "pgtest-b"), "max_connections"); v != "40" {
		t.Fatalf("max_connections after a reload = %s, want 40 until a restart", v)
	}

	// A frozen backend does not answer until continued.
	pid := c.WaitBackend(t, 5*time.Second, "application_name = $1", "pgtest-a")
	if int(conn.PgConn().PID()) != pid {
		t.Fatalf("WaitBackend found pid %d, the connection's is %d", pid, conn.PgConn().PID())
	}
	c.StopBackend(t, pid)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT 1")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a stopped backend answered: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	c.ContinueBackend(t, pid)
	if err := <-done; err != nil {
		t.Fatalf("after ContinueBackend: %v", err)
	}

	// A terminated backend's connection fails.
	if !c.TerminateBackend(t, pid) {
		t.Fatal("TerminateBackend did not find the backend")
	}
	c.WaitBackendGone(t, 5*time.Second, pid)
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a terminated backend's connection still works")
	}

	// Restart applies settings a reload cannot, and ends every connection;
	// a backend frozen at the time does not hold the restart up.
	other := connect(t, c, "pgtest-c")
	c.StopBackend(t, c.WaitBackend(t, 5*time.Second, "application_name = $1", "pgtest-c"))
	c.Restart(t)
	if _, err := other.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a connection made before Restart still works")
	}
	if v := setting(t, connect(t, c, "pgtest-d"), "max_connections"); v != "25" {
		t.Fatalf("max_connections after Restart = %s, want 25", v)
	}

	// Stop, then Restart starts it again.
	c.Stop(t)
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := pgx.Connect(cctx, c.DSN()); err == nil {
		t.Fatal("connected to a stopped server")
	}
	c.Restart(t)
	if err := connect(t, c, "pgtest-e").Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestClustersApart runs two clusters at once: they do not share data.
func TestClustersApart(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.Start(t, pgtest.Options{}), pgtest.Start(t, pgtest.Options{})
	if a.DSN() == b.DSN() {
		t.Fatalf("two clusters with one DSN: %s", a.DSN())
	}
	ca, cb := connect(t, a, "x"), connect(t, b, "x")
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	_, err := cb.Exec(ctx, "SELECT * FROM only_in_a")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Fatalf("a table of one cluster read in the other: %v, want undefined_table", err)
	}
}
