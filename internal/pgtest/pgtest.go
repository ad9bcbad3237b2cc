// Package pgtest starts PostgreSQL clusters of a test's own, for tests
// that must do to a server what a shared one must never suffer: restart
// it, change its settings, stop or terminate its backends.
//
//	c := pgtest.Start(t, pgtest.Options{Conf: []string{"max_connections = 20"}})
//	pool, err := pgxpool.New(ctx, c.DSN())
//	…
//	c.SetConf(t, "synchronous_standby_names = 'nobody'")
//	c.Reload(t)
//
// [Start] runs initdb into a new temporary directory, starts the server
// on a free port of 127.0.0.1 with its unix socket in that directory, and
// waits until it accepts connections. The test's cleanup stops the server
// and removes the directory. When the PostgreSQL binaries are absent the
// test is skipped.
//
// PostgreSQL refuses to run as root: when the test runs as root, every
// server command runs as the "postgres" user (through runuser or su), and
// the directory belongs to that user.
//
// Every method takes the test and fails it (t.Fatal) when the server does
// not do what was asked; they must be called from the test's goroutine.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultBinDir is where the PostgreSQL server binaries are looked for
// when [Options.BinDir] is empty.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// Options configure [Start]. The zero value is the default.
type Options struct {
	// BinDir holds initdb, pg_ctl and postgres; DefaultBinDir when empty.
	BinDir string
	// Conf lines are appended to postgresql.conf before the first start
	// ("name = value", one setting a line).
	Conf []string
	// StartTimeout bounds each start and restart; 30 s when zero.
	StartTimeout time.Duration
}

// Cluster is a running PostgreSQL cluster of one test.
type Cluster struct {
	bin, dir, data, log string
	port                int
	asPostgres          bool // run server commands as the postgres user
	timeout             time.Duration

	mu      sync.Mutex
	stopped map[int]bool // backends sent SIGSTOP and not SIGCONT
	down    bool         // the server was stopped with Stop
}

// Start creates and starts a cluster for t, stopped and removed when t
// ends. It skips t when the binaries are absent.
func Start(t testing.TB, opt Options) *Cluster {
	t.Helper()
	bin := opt.BinDir
	if bin == "" {
		bin = DefaultBinDir
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Skipf("pgtest: PostgreSQL server binaries not found in %s (%v): install PostgreSQL 15 (apt-get install postgresql-15) to run this test", bin, err)
		}
	}
	c := &Cluster{bin: bin, timeout: opt.StartTimeout, stopped: map[int]bool{}}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	var uid, gid int
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("pgtest: running as root and there is no postgres user to run the server as: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		c.asPostgres = true
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		c.cleanup(t)
		_ = os.RemoveAll(dir)
	})
	c.dir, c.data, c.log = dir, filepath.Join(dir, "data"), filepath.Join(dir, "server.log")
	if c.asPostgres {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	base := []string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + dir + "'",
		"max_connections = 40",
		"shared_buffers = 16MB",
		"logging_collector = off",
		"log_min_messages = warning",
	}
	for attempt := 0; ; attempt++ {
		c.port, err = freePort()
		if err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		lines := append(append(base[:len(base):len(base)], fmt.Sprintf("port = %d", c.port)), opt.Conf...)
		if err := c.appendConf(lines); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		out, err := c.pgctl("start")
		if err == nil {
			break
		}
		// Another process may have taken the port between the probe and
		// the start: try another one.
		if attempt == 2 || !strings.Contains(c.logTail(), "could not bind") {
			t.Fatalf("pgtest: start: %v\n%s\n%s", err, out, c.logTail())
		}
	}
	c.waitReady(t)
	return c
}

// DSN returns the connection string of the cluster's postgres database,
// as the superuser postgres, through the unix socket.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", c.dir, c.port)
}

// Restart stops the server (fast shutdown: the backends' transactions are
// rolled back, their connections closed) and starts it again, or starts
// it when Stop stopped it. It returns when the server accepts connections.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	c.continueAll()
	if out, err := c.pgctl("restart", "-m", "fast"); err != nil {
		t.Fatalf("pgtest: restart: %v\n%s\n%s", err, out, c.logTail())
	}
	c.mu.Lock()
	c.down = false
	c.mu.Unlock()
	c.waitReady(t)
}

// Stop stops the server (fast shutdown). Restart starts it again.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.continueAll()
	if out, err := c.pgctl("stop", "-m", "fast"); err != nil {
		t.Fatalf("pgtest: stop: %v\n%s\n%s", err, out, c.logTail())
	}
	c.mu.Lock()
	c.down = true
	c.mu.Unlock()
}

// SetConf appends setting lines ("name = value") to postgresql.conf, where
// they override earlier lines. They take effect at the next Reload (for
// settings a reload can change) or Restart.
func (c *Cluster) SetConf(t testing.TB, lines ...string) {
	t.Helper()
	if err := c.appendConf(lines); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Reload makes the server read its configuration again, and returns when
// new connections see it (the server applies it to existing ones between
// their statements, and to its own processes soon after).
func (c *Cluster) Reload(t testing.TB) {
	t.Helper()
	var before time.Time
	c.withConn(t, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT pg_conf_load_time()").Scan(&before)
	})
	if out, err := c.pgctl("reload"); err != nil {
		t.Fatalf("pgtest: reload: %v\n%s", err, out)
	}
	deadline := time.Now().Add(c.timeout)
	for {
		var now time.Time
		c.withConn(t, func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT pg_conf_load_time()").Scan(&now)
		})
		if now.After(before) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: the server did not reload its configuration within %v\n%s", c.timeout, c.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitBackend waits until a client backend matches the SQL condition
// where on pg_stat_activity (for instance "wait_event = 'SyncRep'" or
// "application_name = $1 AND state = 'active'", with args) and returns
// its pid; it fails the test if none does within timeout.
func (c *Cluster) WaitBackend(t testing.TB, timeout time.Duration, where string, args ...any) int {
	t.Helper()
	q := "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND (" + where + ") ORDER BY backend_start LIMIT 1"
	deadline := time.Now().Add(timeout)
	for {
		var pid int
		c.withConn(t, func(ctx context.Context, conn *pgx.Conn) error {
			err := conn.QueryRow(ctx, q, args...).Scan(&pid)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
		if pid != 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: no backend matched %q within %v", where, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitBackendGone waits until no backend has the pid; it fails the test
// if one still does after timeout.
func (c *Cluster) WaitBackendGone(t testing.TB, timeout time.Duration, pid int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		c.withConn(t, func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
		})
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: backend %d still runs after %v", pid, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// StopBackend freezes the backend with SIGSTOP: it neither answers its
// client nor takes part in shutdown until ContinueBackend (which Restart,
// Stop and the cleanup do for every backend still frozen).
func (c *Cluster) StopBackend(t testing.TB, pid int) {
	t.Helper()
	c.signal(t, pid, syscall.SIGSTOP)
	c.mu.Lock()
	c.stopped[pid] = true
	c.mu.Unlock()
}

// ContinueBackend resumes a backend frozen by StopBackend (SIGCONT).
func (c *Cluster) ContinueBackend(t testing.TB, pid int) {
	t.Helper()
	c.signal(t, pid, syscall.SIGCONT)
	c.mu.Lock()
	delete(c.stopped, pid)
	c.mu.Unlock()
}

// TerminateBackend ends the backend with pg_terminate_backend, as an
// administrator would, and reports whether the server found it.
func (c *Cluster) TerminateBackend(t testing.TB, pid int) bool {
	t.Helper()
	var ok bool
	c.withConn(t, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok)
	})
	return ok
}

func (c *Cluster) signal(t testing.TB, pid int, sig syscall.Signal) {
	t.Helper()
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Signal(sig)
	}
	if err != nil {
		t.Fatalf("pgtest: signal %v to backend %d: %v", sig, pid, err)
	}
}

// continueAll resumes every frozen backend, so that shutdown can end it.
func (c *Cluster) continueAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for pid := range c.stopped {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Signal(syscall.SIGCONT)
		}
		delete(c.stopped, pid)
	}
}

func (c *Cluster) cleanup(t testing.TB) {
	c.continueAll()
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down || c.port == 0 {
		return
	}
	if _, err := os.Stat(filepath.Join(c.data, "postmaster.pid")); err != nil {
		return // never started
	}
	if out, err := c.pgctl("stop", "-m", "immediate"); err != nil {
		t.Errorf("pgtest: stopping the server at cleanup: %v\n%s", err, out)
	}
}

// withConn runs fn on a new connection to the cluster, closed afterwards.
func (c *Cluster) withConn(t testing.TB, fn func(context.Context, *pgx.Conn) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(context.Background())
	if err := fn(ctx, conn); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// waitReady waits until a connection succeeds.
func (c *Cluster) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(c.timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.DSN())
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: the server does not accept connections after %v: %v\n%s", c.timeout, err, c.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) pgctl(args ...string) ([]byte, error) {
	args = append([]string{"-D", c.data, "-l", c.log, "-w", "-t", strconv.Itoa(int(c.timeout.Seconds() + 0.5))}, args...)
	return c.run("pg_ctl", args...)
}

// run runs a server binary, as the postgres user when the test is root.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
		if _, err := exec.LookPath("runuser"); err != nil {
			quoted := make([]string, 0, len(args)+1)
			for _, a := range append([]string{path}, args...) {
				quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
			}
			cmd = exec.Command("su", "postgres", "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
		}
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (c *Cluster) appendConf(lines []string) error {
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// logTail returns the end of the server's log, for failure messages.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "server log:\n" + string(b)
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
