package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgroles/rbac"
)

// An Authorizer answers permission checks and session claims for one
// environment from memory. It is what request middleware calls on every
// request; the [rbac.Service] methods Can and Claims, which read the
// store, are the reference it agrees with. It is safe for concurrent use.
type Authorizer struct {
	svc  *rbac.Service
	env  string
	seed uint64 // of idHash
	opt  options

	root atomic.Pointer[snapshot] // what checks read: live, or denyAll
	rev  atomic.Int64             // the watermark

	// Writers (loads, changes) hold mu; a full load holds reloadMu.
	reloadMu    sync.Mutex
	mu          sync.Mutex
	g           *gen               // nil until the first load
	scratch     []byte             // where records are built
	pending     map[int64]struct{} // applied revisions above the watermark
	loading     bool               // a full load is under way
	during      []*work            // changes applied while it is
	feedLast    int64              // the last revision the feed session delivered
	feedSession int                // the current feed session
	advanced    chan struct{}      // closed and replaced when the watermark moves
	closed      bool

	// The supervisor's state (see supervise).
	state    sync.Mutex
	synced   time.Time // the snapshot reflects every write committed before it
	storeRev int64     // the store's revision at the last poll
	lastErr  error
	denying  bool
	denyAt   *time.Timer
	feedUp   bool

	unregister func()
	stop       context.CancelFunc
	done       chan struct{}
	wake       chan struct{} // asks the supervisor to poll now
	restart    chan struct{} // asks the follower to start a new feed session
}

// gen is one generation of the writers' state: the live snapshot and the
// interning tables its ids come from. A full load builds a new one.
type gen struct {
	live  *snapshot
	perms *interner
	roles *interner
	// high is the newest revision any of its records reflects: the
	// revision of the load or of a read of the store, or of a commit
	// whose records were applied.
	high int64
}

// denyAll is the snapshot checks read while the authorizer denies for
// staleness: no permission, no member.
var denyAll = &snapshot{env: emptyEnv(), members: newMemberTable(0)}

func emptyEnv() *envPart {
	return &envPart{perms: newPermTable(0, 0), width: 1, bits: make([]uint64, 1)}
}

// An Option configures an [Authorizer].
type Option func(*options)

type options struct {
	feed        rbac.Feed
	maxStale    time.Duration
	poll        time.Duration
	readTimeout time.Duration
	onError     func(error)
	log         *slog.Logger
	now         func() time.Time
}

// WithFeed makes the authorizer follow the writes that other processes
// commit to a shared store, through feed (a *pgstore.Store is one). The
// authorizer supervises the feed itself: it starts it again, with
// backoff, whenever it fails or stops delivering, and fills any gap in
// revisions from the store.
func WithFeed(feed rbac.Feed) Option { return func(o *options) { o.feed = feed } }

// WithMaxStaleness makes every check deny, and Claims report no
// membership, while the snapshot may be missing writes committed more
// than d ago: while the store cannot be read, or the feed has fallen
// behind, for longer than d. Checks answer again as soon as the snapshot
// is known to be current. d should be a few times the poll interval.
// Without this option, checks answer from the last snapshot whatever its
// age.
func WithMaxStaleness(d time.Duration) Option { return func(o *options) { o.maxStale = d } }

// WithPollInterval sets how often the authorizer reads the store's
// current revision to confirm that its snapshot is current (one
// read-only transaction each time): 1 s by default. A snapshot found
// behind at two polls in a row is brought up to date from the feed or,
// without one, by loading it again.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithReadTimeout bounds every read the authorizer makes of the store to
// apply a change or confirm its revision: 5 s by default. (The initial
// load is bounded by New's context.)
func WithReadTimeout(d time.Duration) Option { return func(o *options) { o.readTimeout = d } }

// WithErrorHandler makes the authorizer call fn with every error it meets
// while it keeps itself up to date (a failed read of the store, a feed
// that failed or fell behind), instead of logging them. fn must not
// block.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// WithLogger makes the authorizer log to l (see [WithErrorHandler]):
// [slog.Default] otherwise. Errors are logged when the authorizer starts
// failing and when it recovers, not at every retry.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New loads the snapshot of environment env from the Service's store and
// keeps it up to date: every later write through svc is visible to checks
// before the write call returns, and, with [WithFeed], the writes of
// other processes shortly after they commit. It fails, leaving nothing
// registered with svc, when the load fails. Call [Authorizer.Close] when
// done with it.
func New(ctx context.Context, svc *rbac.Service, env string, opts ...Option) (*Authorizer, error) {
	o := options{poll: time.Second, readTimeout: 5 * time.Second, log: slog.Default(), now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	if o.poll <= 0 || o.readTimeout <= 0 || o.maxStale < 0 {
		return nil, &rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid,
			Message: "authz: the poll interval and read timeout must be positive, the max staleness not negative"}
	}
	a := &Authorizer{svc: svc, env: env, seed: rand.Uint64(), opt: o,
		pending: map[int64]struct{}{}, advanced: make(chan struct{}),
		wake: make(chan struct{}, 1), restart: make(chan struct{}, 1), done: make(chan struct{})}
	// The handler is registered before the load, so that writes
	// committed while it reads the store are applied on top of it; it
	// goes again if the load fails.
	a.unregister = svc.OnCommit(a.onCommit)
	if err := a.reload(ctx); err != nil {
		a.unregister()
		return nil, err
	}
	sctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	go a.supervise(sctx)
	return a, nil
}

// Close stops keeping the authorizer up to date: it unregisters from the
// Service and stops following the feed. Checks go on being answered from
// the last snapshot. Close returns once the authorizer's goroutines have
// stopped; calling it again does nothing.
func (a *Authorizer) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	a.unregister()
	a.stop()
	<-a.done
	return nil
}

// Environment returns the id of the environment the authorizer serves.
func (a *Authorizer) Environment() string { return a.env }

// Revision returns the watermark: the snapshot reflects every write
// committed at or before this revision.
func (a *Authorizer) Revision() int64 { return a.rev.Load() }

// WaitFor waits until the snapshot reflects every write committed at or
// before revision, or ctx is done. A writer in this process learns the
// revision its write committed at from the Service; a reader in another
// process gets it from the writer, and calls WaitFor on its own
// authorizer to read its writes.
func (a *Authorizer) WaitFor(ctx context.Context, revision int64) error {
	for {
		a.mu.Lock()
		ch := a.advanced
		a.mu.Unlock()
		if a.rev.Load() >= revision {
			return nil
		}
		select {
		case a.wake <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("authz: waiting for revision %d (at %d): %w", revision, a.rev.Load(), ctx.Err())
		}
	}
}

// Status describes how current an authorizer's snapshot is.
type Status struct {
	// Revision is the watermark (see [Authorizer.Revision]).
	Revision int64
	// StoreRevision is the store's revision at the last successful poll.
	StoreRevision int64
	// SyncedAt is the start of the last poll that found the snapshot
	// current: it reflects every write committed before then.
	SyncedAt time.Time
	// Lag is the time since SyncedAt.
	Lag time.Duration
	// Stale is true when Lag is over the max staleness (see
	// [WithMaxStaleness]) or, without one, over three poll intervals.
	Stale bool
	// Denying is true while checks deny for staleness.
	Denying bool
	// Following is true while the feed (see [WithFeed]) is connected.
	Following bool
	// Err is the last error met while keeping up to date; nil once the
	// authorizer is current again.
	Err error
}

// Status returns how current the snapshot is.
func (a *Authorizer) Status() Status {
	a.state.Lock()
	defer a.state.Unlock()
	lag := a.opt.now().Sub(a.synced)
	return Status{Revision: a.rev.Load(), StoreRevision: a.storeRev, SyncedAt: a.synced, Lag: lag,
		Stale: lag > a.staleAfter(), Denying: a.denying, Following: a.feedUp, Err: a.lastErr}
}

// Lag returns the time since the snapshot was last known to be current
// (see [Status]).
func (a *Authorizer) Lag() time.Duration { return a.Status().Lag }

// Stale reports whether the snapshot is older than it should be (see
// [Status]).
func (a *Authorizer) Stale() bool { return a.Status().Stale }

func (a *Authorizer) staleAfter() time.Duration {
	if a.opt.maxStale > 0 {
		return a.opt.maxStale
	}
	return 3 * a.opt.poll
}

// Reload rebuilds the whole snapshot from the store. Checks go on being
// answered from the previous snapshot, and writes go on being applied to
// it, until the new one replaces it.
func (a *Authorizer) Reload(ctx context.Context) error { return a.reload(ctx) }

// report records err and passes it to the error handler, or logs it when
// the authorizer was not failing already.
func (a *Authorizer) report(err error) {
	if err == nil || errors.Is(err, context.Canceled) && a.isClosed() {
		return
	}
	a.state.Lock()
	first := a.lastErr == nil
	a.lastErr = err
	a.state.Unlock()
	if a.opt.onError != nil {
		a.opt.onError(err)
		return
	}
	if first {
		a.opt.log.Warn("authz: keeping the snapshot up to date failed", "environment", a.env, "revision", a.rev.Load(), "error", err)
	}
}

// recovered clears the last error, logging the recovery.
func (a *Authorizer) recovered() {
	a.state.Lock()
	was := a.lastErr
	a.lastErr = nil
	a.state.Unlock()
	if was != nil && a.opt.onError == nil {
		a.opt.log.Info("authz: the snapshot is current again", "environment", a.env, "revision", a.rev.Load())
	}
}

func (a *Authorizer) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}
