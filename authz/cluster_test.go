package authz_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A cluster is a PostgreSQL server of one test's own, for the tests that
// restart a server and stop its backends (a shared server must never
// suffer that). It is the least these tests need; the module's
// internal/pgtest does more.
type cluster struct {
	bin, dir, data string
	port           int
	root           bool // server commands run as the postgres user
}

const pgBin = "/usr/lib/postgresql/15/bin"

// startCluster runs initdb into a temporary directory, starts the server
// on a free port with its socket in that directory, and stops and removes
// it when the test ends. It skips the test without the binaries.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("private PostgreSQL clusters take seconds to start: skipped with -short")
	}
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		t.Skipf("PostgreSQL server binaries not found in %s: the tests of a private cluster are skipped", pgBin)
	}
	dir, err := os.MkdirTemp("", "authz-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: pgBin, dir: dir, data: filepath.Join(dir, "data"), root: os.Geteuid() == 0}
	t.Cleanup(func() {
		c.run(t, false, "pg_ctl", "-D", c.data, "-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	if c.root {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.run(t, true, "initdb", "-D", c.data, "-A", "trust", "-U", "postgres", "--no-sync")
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nmax_connections = 50\n", c.port, dir)
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.start(t)
	return c
}

// run runs a server command (as the postgres user when the test runs as
// root), failing the test when must is set and it fails.
func (c *cluster) run(t *testing.T, must bool, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	if c.root {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, name)}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil && must {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func (c *cluster) start(t *testing.T) {
	t.Helper()
	c.run(t, true, "pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start")
}

// DSN returns the connection string of the cluster.
func (c *cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Restart stops the server (fast: every connection is closed) and starts
// it again; down is how long it stays stopped.
func (c *cluster) Restart(t *testing.T, down time.Duration) {
	t.Helper()
	c.run(t, true, "pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop")
	time.Sleep(down)
	c.start(t)
}

// backends returns the pids of the client backends whose last query
// contains one of texts.
func (c *cluster) backends(t *testing.T, texts ...string) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
			AND EXISTS (SELECT 1 FROM unnest($1::text[]) t WHERE strpos(query, t) > 0)`, texts)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}

// Terminate ends backend pid, as pg_terminate_backend does.
func (c *cluster) Terminate(t *testing.T, pid int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, ok, err)
	}
}

// Stop sends SIGSTOP to backend pid, and Continue SIGCONT; a backend
// stopped is continued when the test ends.
func (c *cluster) Stop(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
}

func (c *cluster) Continue(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}
