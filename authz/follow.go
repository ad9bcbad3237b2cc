package authz

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/orgroles/rbac"
)

// ---- supervision ----
//
// The supervisor polls the store's revision every poll interval, with a
// deadline, through the Service's store (a connection of the pool, not
// the feed's). A poll that finds the watermark at or past the store's
// revision confirms the snapshot: it reflects every write committed before
// the poll began (synced). A poll that finds the watermark behind a
// revision the previous poll had already seen — a write committed a poll
// interval ago or more and still not applied — has found a gap: a change
// the feed lost or never delivered (its listener hung, a notice lost, the
// connection dropped), a write whose outcome the store could not tell, a
// change that failed to apply. With a feed, the supervisor starts a new
// feed session from the watermark, which delivers the missing changes from
// the store; the second time in a row, or without a feed, it loads the
// snapshot again.
//
// The follower runs feed sessions one after the other: a session that
// fails is followed by another after a backoff (100 ms doubling to 5 s,
// with jitter; reset once a session has lasted a minute), or as soon as
// the supervisor asks, having found the store reachable and the snapshot
// behind; one the supervisor ends is followed by another at once. A session that delivers a revision that does not
// follow the previous one has lost changes (they were pruned): the
// authorizer loads the snapshot again.
//
// The staleness bound (WithMaxStaleness) is a timer armed at each
// confirmation: when it fires before the next one, checks read denyAll
// instead of the live snapshot until a confirmation comes. Checks pay
// nothing for it.

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// supervise runs until ctx is done.
func (a *Authorizer) supervise(ctx context.Context) {
	defer close(a.done)
	var wg sync.WaitGroup
	if a.opt.feed != nil {
		wg.Go(func() { a.follow(ctx) })
	}
	a.markSynced(time.Time{}) // arms the staleness timer
	tick := time.NewTicker(a.opt.poll)
	defer tick.Stop()
	var p poller
	for {
		select {
		case <-ctx.Done():
			a.state.Lock()
			if a.denyAt != nil {
				a.denyAt.Stop()
			}
			a.state.Unlock()
			wg.Wait()
			return
		case <-tick.C:
		case <-a.wake:
		}
		a.poll(ctx, &p)
	}
}

// poller is what the supervisor remembers between polls.
type poller struct {
	behind   int64     // a store revision the watermark was behind
	since    time.Time // when it was first seen
	restarts int       // feed sessions started for the current gap
}

func (a *Authorizer) poll(ctx context.Context, p *poller) {
	start := a.opt.now()
	pctx, cancel := context.WithTimeout(ctx, a.opt.readTimeout)
	rev, err := a.storeRevision(pctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			a.report(fmt.Errorf("authz: reading the store's revision: %w", err))
		}
		return
	}
	a.state.Lock()
	a.storeRev = rev
	a.state.Unlock()
	w := a.rev.Load()
	if w >= rev {
		*p = poller{}
		a.markSynced(start)
		a.recovered()
		return
	}
	if p.behind == 0 || w >= p.behind {
		p.behind, p.since = rev, start
		return
	}
	if start.Sub(p.since) < a.gapGrace() {
		return // a change may be on its way
	}
	gap := fmt.Errorf("authz: the snapshot is at revision %d, behind revision %d committed at least %v ago",
		w, p.behind, start.Sub(p.since).Round(time.Millisecond))
	p.behind, p.since = rev, start
	if a.opt.feed != nil && p.restarts < 2 {
		p.restarts++
		a.report(fmt.Errorf("%w; following the feed again", gap))
		select {
		case a.restart <- struct{}{}:
		default:
		}
		return
	}
	p.restarts = 0
	a.report(fmt.Errorf("%w; loading the snapshot again", gap))
	if err := a.reload(ctx); err != nil {
		if ctx.Err() == nil {
			a.report(err)
		}
		return
	}
	a.recovered()
	if a.opt.feed != nil {
		// The session was behind: follow on from the new watermark.
		select {
		case a.restart <- struct{}{}:
		default:
		}
	}
}

// gapGrace is how long the snapshot may stay behind a revision the store
// has before the supervisor calls it a gap: a poll interval, and at least
// half a second, more than a feed takes to deliver a change.
func (a *Authorizer) gapGrace() time.Duration { return max(a.opt.poll*9/10, 500*time.Millisecond) }

// markSynced records that the snapshot reflects every write committed
// before t, and arms the staleness timer from there.
func (a *Authorizer) markSynced(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.markSyncedLocked(t)
}

// markSyncedLocked is markSynced for callers that hold mu.
func (a *Authorizer) markSyncedLocked(t time.Time) {
	a.state.Lock()
	defer a.state.Unlock()
	if t.After(a.synced) {
		a.synced = t
	}
	if a.opt.maxStale == 0 || a.closed {
		return
	}
	left := a.opt.maxStale - a.opt.now().Sub(a.synced)
	if a.denying && left > 0 {
		a.denying = false
		if a.g != nil {
			a.root.Store(a.g.live)
		}
		a.opt.log.Info("authz: the snapshot is current again: checks answer", "environment", a.env, "revision", a.rev.Load())
	}
	if a.denyAt == nil {
		a.denyAt = time.AfterFunc(max(left, 0), a.checkStale)
	} else {
		a.denyAt.Reset(max(left, 0))
	}
}

// checkStale makes checks deny when the snapshot is older than the
// bound.
func (a *Authorizer) checkStale() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.state.Lock()
	defer a.state.Unlock()
	if a.closed || a.denying {
		return
	}
	lag := a.opt.now().Sub(a.synced)
	if left := a.opt.maxStale - lag; left > 0 {
		a.denyAt.Reset(left)
		return
	}
	a.denying = true
	a.root.Store(denyAll)
	a.opt.log.Warn("authz: the snapshot is older than the staleness bound: checks deny",
		"environment", a.env, "revision", a.rev.Load(), "lag", lag.Round(time.Millisecond), "bound", a.opt.maxStale)
}

// follow runs feed sessions until ctx is done.
func (a *Authorizer) follow(ctx context.Context) {
	backoff := minBackoff
	for session := 1; ctx.Err() == nil; session++ {
		started := a.opt.now()
		err := a.session(ctx, session)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRestart) {
			continue // asked for by the supervisor, which said why
		}
		a.report(fmt.Errorf("authz: following the feed: %w", err))
		if a.opt.now().Sub(started) > time.Minute {
			backoff = minBackoff
		}
		sleep := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, maxBackoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(sleep):
		case <-a.restart: // the supervisor found the store reachable and the snapshot behind
		}
	}
}

var errRestart = errors.New("authz: the feed fell behind the store; following it again")

// session runs one feed session from the watermark and returns why it
// ended.
func (a *Authorizer) session(ctx context.Context, id int) error {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	select {
	case <-a.restart: // asked for before this session began
	default:
	}
	a.mu.Lock()
	since := a.rev.Load()
	a.feedLast = since
	a.feedSession = id
	a.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		done <- a.opt.feed.Follow(sctx, a.env, since, func(c rbac.Change) {
			if err := a.fromFeed(sctx, id, c); err != nil {
				cancel(err)
			}
		})
	}()
	a.setFeedUp(true)
	defer a.setFeedUp(false)
	wait := func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(a.opt.readTimeout):
			// A feed that does not heed its context: leave it; what it
			// delivers from now on is ignored (see fromFeed).
			return fmt.Errorf("the feed did not stop within %v of being told to", a.opt.readTimeout)
		}
	}
	var err error
	select {
	case err = <-done:
	case <-a.restart:
		cancel(errRestart)
		err = wait()
	case <-ctx.Done():
		err = wait()
	}
	if cause := context.Cause(sctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	if err == nil {
		err = errors.New("the feed stopped")
	}
	return err
}

func (a *Authorizer) setFeedUp(up bool) {
	a.state.Lock()
	a.feedUp = up
	a.state.Unlock()
}

// fromFeed applies one change the feed delivered in session id.
func (a *Authorizer) fromFeed(ctx context.Context, id int, c rbac.Change) error {
	a.mu.Lock()
	if a.closed || id != a.feedSession || c.EnvironmentID != "" && c.EnvironmentID != a.env {
		a.mu.Unlock()
		return nil
	}
	last := a.feedLast
	a.feedLast = max(last, c.Revision)
	_, applied := a.pending[c.Revision]
	if c.Revision > last+1 {
		a.mu.Unlock()
		a.report(fmt.Errorf("authz: the feed skipped from revision %d to %d (changes pruned); loading the snapshot again", last, c.Revision))
		return a.reload(ctx)
	}
	if c.Bulk && c.Revision > a.rev.Load() && !applied {
		// More memberships changed than the feed lists: read them all,
		// in one load.
		a.mu.Unlock()
		return a.reload(ctx)
	}
	defer a.mu.Unlock()
	if c.Revision <= a.rev.Load() || applied {
		return nil
	}
	w := workOfChange(c)
	wctx, cancel := a.deadline(ctx, w)
	defer cancel()
	if err := a.apply(wctx, a.g, w); err != nil {
		return fmt.Errorf("applying revision %d: %w", c.Revision, err)
	}
	a.advance(c.Revision)
	return nil
}
