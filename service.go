package rbac

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Service enforces the rules of roles and permissions on top of a [Store].
// It is safe for concurrent use; every write is one Store transaction, so a
// failed call changes nothing (rule 12.2) and a successful one is visible
// whole (rule 9.4). A write that would change nothing returns the current
// state and commits nothing: no event, no new revision.
type Service struct {
	store Store
	now   func() time.Time
	rand  io.Reader

	log *slog.Logger
	ids idSource

	mu       sync.Mutex
	handlers []*handler
}

// An Option configures a [Service].
type Option func(*Service)

// WithClock makes the Service read the time from now (for tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw ids and slug suffixes from r instead of
// crypto/rand (for reproducible tests and examples).
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger makes the Service log what it cannot return to a caller (a
// panicking OnCommit handler) to l instead of [slog.Default].
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service on the store.
func New(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, rand: rand.Reader, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store returns the Store the Service works on.
func (s *Service) Store() Store { return s.store }

// A Commit reports one write call to the handlers registered with
// [Service.OnCommit].
type Commit struct {
	EnvironmentID string
	// Revision is the environment revision the write committed at (or,
	// when Err is set, would have committed at).
	Revision int64
	// Events are the changes of the write, all stamped with Revision.
	Events []Event
	// Err is nil when the write committed. It matches [ErrOutcomeUnknown]
	// when the store could not tell whether the write committed: the
	// events may or may not be stored, and a handler that caches state
	// must read it again from the store.
	Err error
}

// OnCommit registers fn to be called after every committed write with
// what it committed, before the write call returns, and after every write
// whose outcome the store could not tell (see [Commit.Err]). It is how
// same-process caches stay fresh. Calls for concurrent writes may overlap
// and may arrive out of commit order; every commit carries its revision,
// so a handler can tell. fn must not call the Service's write methods.
//
// Handlers run one after the other in the order they were registered. A
// handler that panics does not stop the others nor the write call: the
// panic is recovered and logged (see [WithLogger]).
//
// OnCommit returns a function that unregisters fn; calling it more than
// once is harmless.
func (s *Service) OnCommit(fn func(Commit)) (remove func()) {
	h := &handler{fn: fn}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(slices.Clip(s.handlers), h)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.handlers, h); i >= 0 {
			s.handlers = slices.Delete(slices.Clip(s.handlers), i, i+1)
		}
	}
}

// handler is one registration of OnCommit (a pointer, so that the same
// function registered twice is two registrations).
type handler struct{ fn func(Commit) }

// notify calls every handler with c, each protected from the others'
// panics.
func (s *Service) notify(c Commit) {
	s.mu.Lock()
	hs := s.handlers
	s.mu.Unlock()
	for _, h := range hs {
		s.call(h, c)
	}
}

func (s *Service) call(h *handler, c Commit) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("rbac: an OnCommit handler panicked", "environment", c.EnvironmentID,
				"revision", c.Revision, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	h.fn(c)
}

// op is one call in progress: its transaction, the environment as loaded
// (and changed), and the events to publish.
type op struct {
	ctx    context.Context
	s      *Service
	tx     Tx
	env    Environment
	now    time.Time
	events []Event
	// deleted is set when the call deleted the environment: its record
	// is not written back.
	deleted bool
}

var errRollback = errors.New("rbac: dry run")

// update runs fn in a read-write transaction on env. If create is false the
// environment must exist. If dryRun is true the transaction is rolled back
// after fn succeeds. Events collected by fn are published with the next
// revision and handed to OnCommit handlers after commit; a call that
// collected none commits nothing new.
func (s *Service) update(ctx context.Context, envID string, create, dryRun bool, fn func(*op) error) error {
	if !create && !validEnvironmentID(envID) {
		return envNotFound(envID)
	}
	var pending Commit
	var read int64 // the revision the call read, for a receipt of a call that wrote nothing
	err := s.store.Update(ctx, envID, func(tx Tx) error {
		pending = Commit{}
		o := &op{ctx: ctx, s: s, tx: tx, now: s.now().UTC()}
		if !create {
			env, err := tx.Environment(ctx)
			if err != nil {
				return envErr(envID, err)
			}
			o.env = env
		}
		if err := fn(o); err != nil {
			return err
		}
		read = o.env.Revision
		if dryRun {
			return errRollback
		}
		if len(o.events) == 0 {
			return nil
		}
		o.env.Revision++
		if !o.deleted {
			if err := tx.PutEnvironment(ctx, o.env); err != nil {
				return err
			}
		}
		for i := range o.events {
			o.events[i].EnvironmentID = envID
			o.events[i].Revision = o.env.Revision
			o.events[i].Time = o.now
		}
		if err := tx.Publish(ctx, o.env.Revision, o.events); err != nil {
			return err
		}
		pending = Commit{EnvironmentID: envID, Revision: o.env.Revision, Events: o.events}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		// The store sent the commit and lost the answer. Tell the
		// handlers, so caches read the store again.
		if pending.EnvironmentID == "" {
			pending.EnvironmentID = envID
		}
		pending.Err = err
		s.notify(pending)
		return err
	}
	if err != nil {
		return internal(err)
	}
	if r := receiptOf(ctx); r != nil {
		r.observe(max(pending.Revision, read))
	}
	if len(pending.Events) > 0 {
		s.notify(pending)
	}
	return nil
}

// view runs fn in a read-only transaction on an existing environment.
func (s *Service) view(ctx context.Context, envID string, fn func(*op) error) error {
	if !validEnvironmentID(envID) {
		return envNotFound(envID)
	}
	err := s.store.View(ctx, envID, func(tx Tx) error {
		env, err := tx.Environment(ctx)
		if err != nil {
			return envErr(envID, err)
		}
		return fn(&op{ctx: ctx, s: s, tx: tx, env: env})
	})
	return internal(err)
}

func envErr(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return envNotFound(id)
	}
	return err
}

func envNotFound(id string) error {
	return notFound(CodeEnvironmentNotFound, "environment %q not found", id)
}

// validEnvironmentID reports whether id could name an environment.
func validEnvironmentID(id string) bool { return ValidateRoleSlug(id) == nil }

func (o *op) emit(e Event) { o.events = append(o.events, e) }

func (o *op) putEnv() error {
	o.env.UpdatedAt = o.now
	return o.tx.PutEnvironment(o.ctx, o.env)
}

// newID returns a new time-ordered id: prefix + "_" + 26 characters of
// Crockford base32.
func (s *Service) newID(prefix string) (string, error) {
	b, err := s.ids.next(s.now(), s.rand)
	if err != nil {
		return "", err
	}
	return encodeID(prefix, b), nil
}

// newSuffix returns SlugSuffixLen characters of [a-z0-9].
func (s *Service) newSuffix() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [SlugSuffixLen]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:]), nil
}

// A Receipt records the revision that write calls committed at, so that a
// caller can wait until a cache has caught up with its own writes (read
// your writes). Pass it to write calls with [WithReceipt]:
//
//	var r rbac.Receipt
//	m, err := svc.CreateMembership(rbac.WithReceipt(ctx, &r), "production", in)
//	…
//	err = authorizer.WaitFor(ctx, r.Revision())
//
// A Receipt is safe for concurrent use; its zero value is ready.
type Receipt struct{ rev atomic.Int64 }

// Revision returns the highest revision seen by the successful write calls
// made with the receipt: the revision each committed at or, for a call
// that had nothing to change, the revision it read. It is 0 before any.
func (r *Receipt) Revision() int64 { return r.rev.Load() }

func (r *Receipt) observe(rev int64) {
	for {
		cur := r.rev.Load()
		if rev <= cur || r.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

type receiptKey struct{}

// WithReceipt returns a context that makes the write calls given it record
// their revision in r.
func WithReceipt(ctx context.Context, r *Receipt) context.Context {
	return context.WithValue(ctx, receiptKey{}, r)
}

func receiptOf(ctx context.Context) *Receipt {
	r, _ := ctx.Value(receiptKey{}).(*Receipt)
	return r
}
