package authz_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/internal/pgtest"
	"github.com/orgroles/rbac/pgstore"
)

// The fault tests run a writer and a follower — another process, as far
// as the follower knows: its own pool, its own Service, pgstore's feed on
// a connection of its own — on a private PostgreSQL cluster, and do to the
// follower's feed what production does: kill its connection, restart the
// server, stop the backend it listens on. Each time the follower must
// converge to the store by itself, and must not allow a revoked member
// for longer than the bound it is run with.
//
// The follower runs with a poll interval of 200 ms, a read timeout of 1 s
// (pgstore's poll interval, which bounds the feed's reads, is 1 s too)
// and a staleness bound of 3 s. What those settings promise: a write is
// visible within about two poll intervals plus one read timeout of the
// store being reachable again — here 1.5 s, and faultBound allows for a
// loaded machine — and no check allows anything once the snapshot may be
// older than 3 s.
const (
	faultPoll     = 200 * time.Millisecond
	faultTimeout  = time.Second
	faultStale    = 3 * time.Second
	faultBound    = 3 * time.Second
	faultEnv      = "production"
	faultSchema   = "authz_faults"
	faultReadPerm = "docs:read"
)

type faultWorld struct {
	c        *pgtest.Cluster
	w        *world // the writer, for comparisons with the store
	follower *authz.Authorizer

	mu     sync.Mutex
	errors []string // what the follower reported
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	if testing.Short() {
		t.Skip("private PostgreSQL clusters take seconds to start: skipped with -short")
	}
	c := pgtest.Start(t, pgtest.Options{})
	ctx := context.Background()
	ws, err := pgstore.Open(ctx, newPool(t, c.DSN()), pgstore.Options{Schema: faultSchema})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := pgstore.Open(ctx, newPool(t, c.DSN()), pgstore.Options{Schema: faultSchema, PollInterval: faultTimeout})
	if err != nil {
		t.Fatal(err)
	}
	svc := rbac.New(ws)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: faultEnv}))
	must(svc.CreatePermission(ctx, faultEnv, rbac.PermissionInput{Slug: faultReadPerm, Name: "Read"}))
	must(svc.UpdateRole(ctx, faultEnv, "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{faultReadPerm})}))
	must(svc.CreateOrganization(ctx, faultEnv, rbac.OrganizationInput{ID: "acme"}))
	for _, u := range []string{"ana", "bob", "carol", "dave"} {
		must(svc.CreateMembership(ctx, faultEnv, rbac.MembershipInput{OrganizationID: "acme", UserID: u}))
	}
	f := &faultWorld{c: c, w: &world{ctx: ctx, svc: svc, env: faultEnv}}
	f.follower, err = authz.New(ctx, rbac.New(rs), faultEnv, authz.WithFeed(rs),
		authz.WithPollInterval(faultPoll), authz.WithReadTimeout(faultTimeout), authz.WithMaxStaleness(faultStale),
		authz.WithErrorHandler(func(err error) {
			f.mu.Lock()
			f.errors = append(f.errors, time.Now().Format("15:04:05.000")+" "+err.Error())
			f.mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.follower.Close() })
	f.converge(t, faultBound)
	return f
}

// converge waits, at most bound, until the follower reaches the store's
// revision, and checks that it then agrees with the store.
func (f *faultWorld) converge(t *testing.T, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	rev := f.w.revision(t)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if err := f.follower.WaitFor(ctx, rev); err != nil {
		t.Fatalf("the follower did not converge within %v: %v; status %+v; it reported:\n%s", bound, err, f.follower.Status(), f.reported())
	}
	for _, d := range disagreements(f.w, f.follower, nil, false) {
		t.Error("follower: " + d)
	}
	return time.Since(start)
}

func (f *faultWorld) reported() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errors, "\n")
}

// revoke deactivates user's membership and returns for how long the
// follower allowed it after the write began (an upper bound of the time
// since its commit), failing the test beyond bound. It samples the check
// every millisecond, and for a while after the first denial, to see it
// stays denied.
func (f *faultWorld) revoke(t *testing.T, user string, bound time.Duration) time.Duration {
	t.Helper()
	m, err := f.w.svc.FindMembership(f.w.ctx, faultEnv, "acme", user)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := f.w.svc.DeactivateMembership(f.w.ctx, faultEnv, m.ID); err != nil {
		t.Fatal(err)
	}
	var lastAllowed time.Time
	for deadline := time.Now().Add(bound + time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if f.follower.Can("acme", user, faultReadPerm) {
			lastAllowed = time.Now()
		} else if !lastAllowed.IsZero() && time.Since(lastAllowed) > 200*time.Millisecond || lastAllowed.IsZero() && time.Since(start) > 200*time.Millisecond {
			break
		}
	}
	allowed := time.Duration(0)
	if !lastAllowed.IsZero() {
		allowed = lastAllowed.Sub(start)
	}
	if allowed > bound {
		t.Errorf("the follower allowed %s for %v after the write that revoked it began, more than %v; status %+v; it reported:\n%s",
			user, allowed.Round(time.Millisecond), bound, f.follower.Status(), f.reported())
	}
	return allowed
}

// listener returns the pid of the backend of the follower's feed, which
// listens and reads the changes on one connection.
func (f *faultWorld) listener(t *testing.T) int {
	t.Helper()
	return f.c.WaitBackend(t, time.Second, "strpos(query, 'LISTEN') > 0 OR strpos(query, 'SELECT revision, environment') > 0")
}

// TestFaultListenerKilled terminates the backend of the follower's feed,
// then revokes a member while the follower has no feed.
func TestFaultListenerKilled(t *testing.T) {
	f := newFaultWorld(t)
	if pid := f.listener(t); !f.c.TerminateBackend(t, pid) {
		t.Fatalf("backend %d of the feed was not there to terminate", pid)
	}
	allowed := f.revoke(t, "ana", faultBound)
	took := f.converge(t, faultBound)
	t.Logf("listener killed: ana allowed for %v after her revocation began; converged %v later", allowed.Round(time.Millisecond), took.Round(time.Millisecond))
	// The feed is followed again: a later write arrives without a gap.
	allowed = f.revoke(t, "bob", faultBound)
	t.Logf("then bob allowed for %v", allowed.Round(time.Millisecond))
	if st := f.follower.Status(); !st.Following {
		t.Errorf("not following after the feed's connection was killed: %+v", st)
	}
}

// TestFaultListenerStopped stops the backend the follower's feed listens
// on (SIGSTOP): its connection stays open and silent, as a hung server's
// or a dead network's does. A member revoked meanwhile must be denied
// within the bound all the same.
func TestFaultListenerStopped(t *testing.T) {
	f := newFaultWorld(t)
	pid := f.listener(t)
	f.c.StopBackend(t, pid)
	allowed := f.revoke(t, "ana", faultBound)
	took := f.converge(t, faultBound)
	t.Logf("listener stopped: ana allowed for %v after her revocation began; converged %v later", allowed.Round(time.Millisecond), took.Round(time.Millisecond))
	allowed = f.revoke(t, "bob", faultBound)
	t.Logf("then bob allowed for %v; reported:\n%s", allowed.Round(time.Millisecond), f.reported())
	if f.reported() == "" {
		t.Error("the follower reported nothing while its feed was stopped")
	}
	f.c.ContinueBackend(t, pid)
}

// TestFaultServerRestarted restarts the server: a member revoked just
// before, and one revoked as soon as it is back, must be denied within
// the bound of the server being reachable; and while it is down for
// longer than the staleness bound, checks deny.
func TestFaultServerRestarted(t *testing.T) {
	f := newFaultWorld(t)
	if !f.follower.Can("acme", "carol", faultReadPerm) {
		t.Fatal("carol is not allowed to begin with")
	}
	allowed := f.revoke(t, "ana", faultBound)
	t.Logf("ana, revoked before the restart: allowed for %v", allowed.Round(time.Millisecond))
	down := faultStale + time.Second
	var denied time.Duration
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// carol is a member all along: she is denied only for staleness.
		start := time.Now()
		for {
			select {
			case <-stopped:
				return
			default:
			}
			if !f.follower.Can("acme", "carol", faultReadPerm) && denied == 0 {
				denied = time.Since(start)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	f.c.Stop(t)
	time.Sleep(down)
	f.c.Restart(t)
	close(stopped)
	wg.Wait()
	if denied == 0 || denied > faultStale+2*faultPoll+time.Second {
		t.Errorf("with the server down for %v and a staleness bound of %v, checks were denied after %v (0: never)", down, faultStale, denied)
	} else {
		t.Logf("server down: checks denied %v after it went down (bound %v)", denied.Round(time.Millisecond), faultStale)
	}
	back := time.Now()
	allowed = f.revoke(t, "bob", faultBound)
	took := f.converge(t, faultBound)
	t.Logf("server restarted: bob, revoked as it came back, allowed for %v; converged %v later", allowed.Round(time.Millisecond), took.Round(time.Millisecond))
	for !f.follower.Can("acme", "carol", faultReadPerm) {
		if time.Since(back) > faultBound {
			t.Fatalf("carol still denied %v after the server came back: %+v", time.Since(back), f.follower.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("checks answer again %v after the server came back", time.Since(back).Round(time.Millisecond))
	if st := f.follower.Status(); st.Denying || st.Stale {
		t.Errorf("status after recovery: %+v", st)
	}
}
