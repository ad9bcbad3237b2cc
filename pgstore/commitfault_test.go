package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/internal/pgtest"
	"github.com/orgroles/rbac/pgstore"
)

// The tests of this file run on PostgreSQL clusters of their own
// (internal/pgtest), since they make a synchronous standby that never
// answers, terminate and freeze backends, and restart the server.

// syncStandbyOn makes every commit of c wait for a synchronous standby
// that does not exist: COMMIT is then in flight until syncStandbyOff, a
// cancel request, or the end of the session. Reads are not held up.
//
// It returns once a commit does wait. The reload alone does not say so:
// the server's checkpointer, which reads the new configuration soon after
// the backends do, is what tells them that commits need a standby.
func syncStandbyOn(t *testing.T, c *pgtest.Cluster) {
	t.Helper()
	c.SetConf(t, "synchronous_standby_names = 'nobody'", "synchronous_commit = on")
	c.Reload(t)
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 1; ; attempt++ {
		if syncProbe(t, c) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("commits still do not wait for a standby after %d probes", attempt)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncProbe commits a transaction that writes to the log (a message of
// its own, which changes no table), on a connection of its own, and
// reports whether that commit waited for a standby. A waiting probe is
// canceled, which ends its wait: it commits locally.
func syncProbe(t *testing.T, c *pgtest.Cluster) bool {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "sync-probe"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pid := conn.PgConn().PID()
	done := start(func() error {
		_, err := conn.Exec(ctx, "SELECT pg_logical_emit_message(true, 'sync-probe', '')")
		return err
	})
	watch, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sync probe: %v", err)
			}
			return false
		case <-time.After(5 * time.Millisecond):
		}
		var waiting bool
		if err := watch.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'SyncRep')", pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			if _, err := watch.Exec(ctx, "SELECT pg_cancel_backend($1)", pid); err != nil {
				t.Fatal(err)
			}
			<-done // a canceled wait is a warning: the probe commits locally
			return true
		}
	}
}

// syncStandbyOff lets commits go without a standby again, and releases
// those waiting for one (their transactions commit).
func syncStandbyOff(t *testing.T, c *pgtest.Cluster) {
	t.Helper()
	c.SetConf(t, "synchronous_standby_names = ''")
	c.Reload(t)
}

// rig is a store on a private cluster, its Service, and an Authorizer on
// that Service.
type rig struct {
	c     *pgtest.Cluster
	app   string
	pool  *pgxpool.Pool
	store *pgstore.Store
	svc   *rbac.Service
	authz *authz.Authorizer
	users []string // checked by agree
}

var rigUsers = []string{"alice", "bob", "carol", "dave", "erin"}

// newRig opens a store in a new schema of c, through a pool whose
// connections carry application name app, with the commit timeout
// given (the seeding commits with the default one), and seeds
// environment prod: permissions read and write, roles
// admin (both) and member (read, the default), organization acme with
// alice (admin), bob and dave (members).
func newRig(t *testing.T, c *pgtest.Cluster, app string, commitTimeout time.Duration) *rig {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	seed, err := pgstore.Open(ctx, pool, pgstore.Options{Schema: randomSchema()})
	if err != nil {
		t.Fatal(err)
	}
	svc := rbac.New(seed)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Permission](t)(svc.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "read", Name: "Read"}))
	must[rbac.Permission](t)(svc.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: "write", Name: "Write"}))
	must[rbac.Role](t)(svc.UpdateRole(ctx, "prod", "member", rbac.RoleUpdate{Permissions: &[]string{"read"}}))
	must[rbac.Role](t)(svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"read", "write"}}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	for _, m := range []struct{ user, role string }{{"alice", "admin"}, {"bob", "member"}, {"dave", "member"}} {
		must[rbac.Membership](t)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: m.user, Roles: []string{m.role}}))
	}
	store := mustNew(t, pool, pgstore.Options{Schema: seed.Schema(), CommitTimeout: commitTimeout})
	svc = rbac.New(store)
	a, err := authz.New(ctx, svc, "prod")
	if err != nil {
		t.Fatal(err)
	}
	return &rig{c: c, app: app, pool: pool, store: store, svc: svc, authz: a, users: slices.Clone(rigUsers)}
}

// pgState is what a write may change: every row of every table of the
// store's schema, as text (a failed write must leave them all as they
// were), and what the Service reads of them: the revision, the
// environment roles and the memberships of acme.
type pgState struct {
	Rows     map[string][]string // table → its rows, sorted
	Revision int64
	Roles    []string             // environment role slugs, in priority order
	Members  map[string]memberRec // user → membership of acme
}

type memberRec struct {
	ID     string
	Status rbac.MembershipStatus
	Roles  []string
}

func (r *rig) dump(t *testing.T) pgState {
	t.Helper()
	ctx := context.Background()
	st := pgState{Rows: map[string][]string{}, Members: map[string]memberRec{}}
	rows, err := r.pool.Query(ctx, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", r.store.Schema())
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		rows, err := r.pool.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{r.store.Schema(), table}.Sanitize()+" t ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows[table], err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
	}
	st.Revision = must[rbac.Environment](t)(r.svc.GetEnvironment(ctx, "prod")).Revision
	for _, ro := range must[rbac.Page[rbac.Role]](t)(r.svc.ListRoles(ctx, "prod", rbac.ListOptions{Limit: rbac.MaxLimit})).Data {
		st.Roles = append(st.Roles, ro.Slug)
	}
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		page := must[rbac.Page[rbac.Membership]](t)(r.svc.ListMemberships(ctx, "prod", rbac.MembershipFilter{OrganizationID: "acme",
			Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}}, opt))
		for _, m := range page.Data {
			st.Members[m.UserID] = memberRec{ID: m.ID, Status: m.Status, Roles: m.Roles}
		}
		if page.After == "" {
			return st
		}
		opt.After = page.After
	}
}

// membershipID returns the id of user's membership of acme.
func (r *rig) membershipID(t *testing.T, user string) string {
	t.Helper()
	return must[rbac.Membership](t)(r.svc.FindMembership(context.Background(), "prod", "acme", user)).ID
}

// start runs write in a goroutine and returns the channel of its error.
func start(write func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- write() }()
	return done
}

// waitCommit waits until r's write is in COMMIT, waiting for the
// synchronous standby, and returns its backend's pid.
func (r *rig) waitCommit(t *testing.T) int {
	t.Helper()
	return r.c.WaitBackend(t, 10*time.Second, "application_name = $1 AND wait_event = 'SyncRep'", r.app)
}

// outcome checks what a write whose error is err left in the store, given
// the state before it and done, which tells whether a state holds the
// write: a success holds it at the next revision, a failure left the
// state exactly as before, and an outcome-unknown error did one or the
// other. Then the Authorizer must agree with the store. It returns the
// outcome, in words.
func (r *rig) outcome(t *testing.T, err error, before pgState, done func(pgState) bool) string {
	t.Helper()
	what, _ := r.classify(t, err, before, done)
	r.agree(t)
	t.Logf("%s: %v", what, err)
	return what
}

// classify is outcome without the Authorizer's check; it also returns
// the state after the write.
func (r *rig) classify(t *testing.T, err error, before pgState, done func(pgState) bool) (string, pgState) {
	t.Helper()
	after := r.dump(t)
	stored := after.Revision == before.Revision+1 && done(after)
	unchanged := cmp.Equal(before.Rows, after.Rows, cmpopts.EquateEmpty())
	var what string
	switch {
	case err == nil:
		if !stored {
			t.Fatalf("the write succeeded, but the store does not hold it (revision %d → %d)", before.Revision, after.Revision)
		}
		what = "succeeded"
	case errors.Is(err, rbac.ErrOutcomeUnknown):
		var e *rbac.Error
		if !errors.As(err, &e) || e.Code != rbac.CodeOutcomeUnknown || e.Err == nil {
			t.Fatalf("outcome unknown: %#v, want an *rbac.Error with code %s and a cause", err, rbac.CodeOutcomeUnknown)
		}
		switch {
		case stored:
			what = "outcome unknown (stored)"
		case unchanged:
			what = "outcome unknown (not stored)"
		default:
			t.Fatalf("outcome unknown (%v), and the store is neither as before nor as after the write:\n%s", err, cmp.Diff(before.Rows, after.Rows, cmpopts.EquateEmpty()))
		}
	default:
		if !unchanged {
			t.Fatalf("the write failed (%v), yet the store holds changes (-before +after):\n%s", err, cmp.Diff(before.Rows, after.Rows, cmpopts.EquateEmpty()))
		}
		what = "failed"
	}
	return what, after
}

// agree checks that the Authorizer answers every check of every user as
// the Service does.
func (r *rig) agree(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	checkHolders(t, r.pool, r.store.Schema())
	for _, u := range r.users {
		for _, p := range []string{"read", "write"} {
			want, err := r.svc.Can(ctx, "prod", "acme", u, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.authz.Can("acme", u, p); got != want {
				t.Fatalf("Can(acme, %s, %s): the Authorizer says %v (watermark %d), the store %v", u, p, got, r.authz.Revision(), want)
			}
		}
	}
}

// hasMember reports whether user is a member of acme in st with the
// status, and with exactly the roles when any are given.
func hasMember(st pgState, user string, status rbac.MembershipStatus, roles ...string) bool {
	m, ok := st.Members[user]
	return ok && m.Status == status && (roles == nil || slices.Equal(m.Roles, roles))
}

func noMember(st pgState, user string) bool {
	_, ok := st.Members[user]
	return !ok
}

// TestCommitFaults makes writes whose COMMIT is in flight — waiting for a
// synchronous standby that never answers — when the caller's context is
// canceled, when the commit timeout passes, when the backend is
// terminated or frozen, and when the server restarts; and one write that
// the server's restart interrupts before it commits. After each, the call
// succeeded and the store holds the write, or it failed and the store is
// as before, or it returned the outcome-unknown error; and the
// Authorizer agrees with the store.
func TestCommitFaults(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	ctx := context.Background()

	t.Run("CanceledWhileCommitWaits", func(t *testing.T) {
		r := newRig(t, c, "fault-cancel", 10*time.Second)
		syncStandbyOn(t, c)
		defer syncStandbyOff(t, c)
		before := r.dump(t)
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := start(func() error {
			_, err := r.svc.CreateMembership(wctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "carol", Roles: []string{"admin"}})
			return err
		})
		r.waitCommit(t)
		cancel()
		select {
		case err := <-done:
			r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "carol", rbac.StatusActive, "admin") })
			t.Fatalf("the call returned (%v) while its COMMIT was in flight, as soon as its context was canceled", err)
		case <-time.After(300 * time.Millisecond):
		}
		syncStandbyOff(t, c) // the standby "answers": the commit completes
		err := <-done
		if got := r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "carol", rbac.StatusActive, "admin") }); got != "succeeded" {
			t.Fatalf("a write whose context was canceled during COMMIT %s; want it to succeed once COMMIT completes", got)
		}
	})

	t.Run("CommitTimeout", func(t *testing.T) {
		r := newRig(t, c, "fault-timeout", 300*time.Millisecond)
		syncStandbyOn(t, c)
		defer syncStandbyOff(t, c)
		before := r.dump(t)
		bob := r.membershipID(t, "bob")
		err := <-start(func() error {
			_, err := r.svc.DeactivateMembership(ctx, "prod", bob)
			return err
		})
		if !errors.Is(err, rbac.ErrOutcomeUnknown) {
			t.Fatalf("DeactivateMembership past its commit timeout: %v, want outcome unknown", err)
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rbac.ErrCanceled) {
			t.Fatalf("the commit timeout's error %v matches the caller's deadline", err)
		}
		if !strings.Contains(err.Error(), "has since ended") || !strings.Contains(err.Error(), "commit timeout") {
			t.Fatalf("error %q does not say the session has ended, nor why", err)
		}
		// The cancel request ended the wait for the standby; the commit
		// stays.
		if got := r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "bob", rbac.StatusInactive) }); got != "outcome unknown (stored)" {
			t.Fatalf("got %s, want outcome unknown (stored)", got)
		}
		if can, _ := r.svc.Can(ctx, "prod", "acme", "bob", "read"); can {
			t.Fatal("bob, deactivated, can still read")
		}
	})

	t.Run("BackendTerminated", func(t *testing.T) {
		r := newRig(t, c, "fault-terminate", 10*time.Second)
		syncStandbyOn(t, c)
		defer syncStandbyOff(t, c)
		before := r.dump(t)
		alice := r.membershipID(t, "alice")
		done := start(func() error {
			_, err := r.svc.UpdateMembershipRoles(ctx, "prod", alice, []string{"member"})
			return err
		})
		if !c.TerminateBackend(t, r.waitCommit(t)) {
			t.Fatal("the backend was not found")
		}
		err := <-done
		if !errors.Is(err, rbac.ErrOutcomeUnknown) {
			t.Fatalf("UpdateMembershipRoles with its backend terminated during COMMIT: %v, want outcome unknown", err)
		}
		r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "alice", rbac.StatusActive, "member") })
	})

	t.Run("BackendFrozen", func(t *testing.T) {
		// A frozen backend neither finishes nor aborts the commit: the
		// call returns after its commit timeout and its attempt to settle
		// the session, unable to tell; the Authorizer, following the
		// store's feed, catches up when the backend resumes.
		r := newRig(t, c, "fault-freeze", 300*time.Millisecond)
		r.authz.Close()
		a, err := authz.New(ctx, r.svc, "prod", authz.WithFeed(r.store))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		r.authz = a
		syncStandbyOn(t, c)
		defer syncStandbyOff(t, c)
		before := r.dump(t)
		dave := r.membershipID(t, "dave")
		done := start(func() error { return r.svc.DeleteMembership(ctx, "prod", dave) })
		pid := r.waitCommit(t)
		c.StopBackend(t, pid)
		err = <-done
		if !errors.Is(err, rbac.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "not known either") {
			t.Fatalf("DeleteMembership with its backend frozen during COMMIT: %v, want outcome unknown, saying the session may still run", err)
		}
		c.ContinueBackend(t, pid) // it takes the cancel request pgstore sent: the commit stays
		c.WaitBackendGone(t, 10*time.Second, pid)
		final := r.dump(t).Revision
		for deadline := time.Now().Add(10 * time.Second); r.authz.Revision() < final; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the Authorizer, following the feed, stays at revision %d; the store is at %d", r.authz.Revision(), final)
			}
		}
		r.outcome(t, err, before, func(e pgState) bool { return noMember(e, "dave") })
	})

	t.Run("RestartDuringCommit", func(t *testing.T) {
		r := newRig(t, c, "fault-restart-commit", 10*time.Second)
		syncStandbyOn(t, c)
		before := r.dump(t)
		done := start(func() error {
			_, err := r.svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "erin"})
			return err
		})
		r.waitCommit(t)
		c.SetConf(t, "synchronous_standby_names = ''") // for the restarted server
		c.Restart(t)
		err := <-done
		r.pool.Reset() // the pool's other connections are from before the restart
		r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "erin", rbac.StatusActive, "member") })
	})

	t.Run("RestartBeforeCommit", func(t *testing.T) {
		r := newRig(t, c, "fault-restart-write", 10*time.Second)
		bob := r.membershipID(t, "bob")
		locker, err := r.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = locker.Rollback(ctx) }()
		if _, err := locker.Exec(ctx, "SELECT 1 FROM "+r.store.Schema()+".memberships WHERE id = $1 FOR UPDATE", bob); err != nil {
			t.Fatal(err)
		}
		before := r.dump(t)
		done := start(func() error {
			_, err := r.svc.DeactivateMembership(ctx, "prod", bob)
			return err
		})
		c.WaitBackend(t, 10*time.Second, "application_name = $1 AND wait_event_type = 'Lock'", r.app)
		c.Restart(t)
		err = <-done
		r.pool.Reset()
		if got := r.outcome(t, err, before, func(e pgState) bool { return hasMember(e, "bob", rbac.StatusInactive) }); got != "failed" {
			t.Fatalf("a write interrupted before COMMIT: %s, want failed", got)
		}
		if !errors.Is(err, rbac.ErrInternal) {
			t.Fatalf("a write interrupted before COMMIT: %v, want an internal error", err)
		}
	})
}

// TestCommitTimeoutOption checks the option's validation.
func TestCommitTimeoutOption(t *testing.T) {
	_, err := pgstore.New(nil, pgstore.Options{CommitTimeout: -time.Second})
	var e *rbac.Error
	if !errors.As(err, &e) || e.Kind != rbac.KindInvalid || e.Field != "commit_timeout" {
		t.Fatalf("a negative commit timeout: %v, want an invalid error on commit_timeout", err)
	}
	if _, err := pgstore.New(nil, pgstore.Options{CommitTimeout: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}
