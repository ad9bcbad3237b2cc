// Package pgstore is the PostgreSQL [rbac.Store], on pgx v5.
//
// Point the library at PostgreSQL with one line:
//
//	store, err := pgstore.Open(ctx, pool, pgstore.Options{}) // creates or upgrades the schema
//	svc := rbac.New(store)
//
// It needs PostgreSQL 12 or later (it uses stored generated columns) and is
// tested on PostgreSQL 15.
//
// # Schema
//
// The tables live in one PostgreSQL schema, "rbac" unless [Options.Schema]
// names another, so they sit beside the application's own tables in its own
// database. The schema is embedded in the binary; [Store.Migrate] (called by
// [Open]) applies the versions a database lacks, under an advisory lock, in
// one transaction, and does nothing when the database is up to date.
//
// A schema name is used exactly as given (quoted, case kept). [New]
// refuses a name PostgreSQL would not keep as it is: longer than 63 bytes
// (the server would cut it, and two stores with names alike in their
// first 63 bytes would share tables while serializing their writers
// apart), containing the NUL character or invalid UTF-8, or beginning
// with "pg_" (reserved for system schemas).
//
// The database itself enforces what SQL can express: every role a
// membership holds, every role of a priority order, every default role and
// every group mapping target exists; an organization role ("org-…") can only
// be named by its own organization; a priority order holds a role at most
// once; a permission a role grants exists; one membership per (organization,
// user). The rules SQL cannot express (an order is a complete permutation, a
// membership has one role in single-role mode, …) stay in package rbac.
//
// A membership's roles are a sorted array in its row. Table role_holders
// counts, for each organization and role, the memberships holding it;
// the Store's statements keep it in step with the memberships they write,
// and it is how holders are found and how a held role is kept from being
// deleted. So write the schema's tables through a Store only, never with
// SQL of your own.
//
// # Transactions
//
// Every [Store.Update] is one READ COMMITTED transaction that first takes a
// transaction-scoped advisory lock on (schema, environment), so writers to
// one environment are serialized across every process sharing the
// database, and writers to different environments never wait for each
// other. [Store.View] is a REPEATABLE READ READ ONLY transaction: a
// consistent snapshot that never blocks writers. A failed, cancelled or
// interrupted call rolls back whole. Bulk effects (reassigning every holder
// of a role, removing a role from every order, …) are a constant number of
// statements, whatever the number of rows.
//
// # Commit outcomes
//
// A write that has run to its end is committed whatever becomes of the
// caller's context: once COMMIT is due, it runs on a context of its own,
// bounded by [Options.CommitTimeout], so a caller that gives up at that
// moment cannot turn a stored write into a failed call. If the caller's
// context ends before that, the write is rolled back and Update returns
// the context's error (the Service reports it as [rbac.ErrCanceled]).
//
// When COMMIT fails, Update tells the three cases apart:
//
//   - PostgreSQL answered with an error (a deferred constraint, a
//     serialization failure, …): the transaction rolled back, and Update
//     returns that error;
//   - the request could not be sent at all: nothing was committed, and
//     Update returns the error;
//   - the request was sent and its answer lost (the connection broke, the
//     server ended the session, [Options.CommitTimeout] passed): the write
//     may or may not be stored. Update returns an [*rbac.Error] matching
//     [rbac.ErrOutcomeUnknown], with the cause in Err, and the Service
//     tells its OnCommit handlers, so caches read the store again. Before
//     it returns, Update asks the server to cancel what the lost session
//     still runs and waits, up to five seconds, until that session has
//     ended, so that the transaction has committed or rolled back for good
//     when the caller and the handlers read the store again (unless the
//     server cannot be reached; the error message says which).
//
// [Store.InTx] runs the library's writes inside a transaction the
// application already holds, so its own rows and the role change commit or
// roll back together.
//
// # Change feed
//
// Each committed write stores its [rbac.Change] in the changes table, in the
// same transaction, and sends a NOTIFY. [Store.Follow] (the [rbac.Feed])
// LISTENs on a connection of its own and delivers the changes after a given
// revision, in order, so a cache in another process catches up.
//
// # Timestamps
//
// PostgreSQL keeps timestamps to the microsecond: the Store returns the
// times it stored truncated to microseconds, in UTC. A value the Service
// returns from the call that created it may carry nanoseconds; the same
// record read back carries microseconds.
//
// # Limits
//
// PostgreSQL text cannot hold the NUL character nor invalid UTF-8. The
// Service refuses such ids, names and descriptions before it calls the
// Store; a record holding one, written to the Store directly, fails with an
// internal error and changes nothing.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
)

// DefaultSchema is the schema the tables live in when [Options.Schema] is
// empty.
const DefaultSchema = "rbac"

// Options configure a [Store]. The zero value is the default.
type Options struct {
	// Schema is the PostgreSQL schema holding the tables; DefaultSchema
	// when empty. It is created if missing.
	Schema string
	// PollInterval is how often [Store.Follow] reads the changes table
	// even without a notice, as a safety net; 10 s when zero.
	PollInterval time.Duration
	// CommitTimeout bounds the COMMIT of each [Store.Update]; 30 s when
	// zero. COMMIT does not run on the caller's context (see "Commit
	// outcomes" above): this is how long it may wait for the server
	// (a disk flush, a synchronous standby) before the connection is
	// closed and Update reports that the outcome is unknown.
	CommitTimeout time.Duration
}

// DefaultCommitTimeout is the commit timeout when [Options.CommitTimeout]
// is zero.
const DefaultCommitTimeout = 30 * time.Second

// maxIdentifier is the length in bytes PostgreSQL keeps of an identifier
// (NAMEDATALEN - 1); it cuts longer ones.
const maxIdentifier = 63

// Store is an rbac.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// outer is the application's transaction when the Store was made by
	// InTx; nil otherwise.
	outer  pgx.Tx
	schema string
	poll   time.Duration
	commit time.Duration // the commit timeout
	q      *queries
}

var (
	_ rbac.Store = (*Store)(nil)
	_ rbac.Feed  = (*Store)(nil)
)

// New returns a Store on the pool. It does not touch the database; call
// [Store.Migrate] (or use [Open]) before the first transaction.
//
// It returns an [*rbac.Error] of kind [rbac.KindInvalid] (Field "schema"
// or "commit_timeout") when the options cannot be used: a schema name
// PostgreSQL would not keep as given (see "Schema" above), or a negative
// commit timeout.
func New(pool *pgxpool.Pool, opt Options) (*Store, error) {
	schema := opt.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	poll := opt.PollInterval
	if poll <= 0 {
		poll = 10 * time.Second
	}
	commit := opt.CommitTimeout
	if commit < 0 {
		return nil, &rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid, Field: "commit_timeout",
			Rule: "must not be negative", Message: fmt.Sprintf("pgstore: commit timeout %v is negative", commit)}
	}
	if commit == 0 {
		commit = DefaultCommitTimeout
	}
	return &Store{pool: pool, schema: schema, poll: poll, commit: commit, q: newQueries(schema)}, nil
}

// checkSchema returns an error saying why PostgreSQL cannot use name as
// the name of a schema exactly as given, or nil.
func checkSchema(name string) error {
	var rule, why string
	switch {
	case len(name) > maxIdentifier:
		rule = "must be at most 63 bytes long"
		why = fmt.Sprintf("is %d bytes long; PostgreSQL keeps the first %d bytes of an identifier, so stores with names alike in those would share tables", len(name), maxIdentifier)
	case strings.IndexByte(name, 0) >= 0:
		rule, why = "must not contain the NUL character", "contains the NUL character, which PostgreSQL identifiers cannot hold"
	case !utf8.ValidString(name):
		rule, why = "must be valid UTF-8", "is not valid UTF-8"
	case strings.HasPrefix(name, "pg_"):
		rule, why = `must not begin with "pg_"`, `begins with "pg_", which PostgreSQL reserves for system schemas`
	default:
		return nil
	}
	return &rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid, Field: "schema", Rule: rule,
		Message: fmt.Sprintf("pgstore: schema name %q %s", name, why)}
}

// Open returns a Store on the pool with its schema created or upgraded to
// the version this package embeds. Its errors are those of [New] and
// [Store.Migrate].
func Open(ctx context.Context, pool *pgxpool.Pool, opt Options) (*Store, error) {
	s, err := New(pool, opt)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Pool returns the pool the Store works on.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the name of the PostgreSQL schema holding the tables.
func (s *Store) Schema() string { return s.schema }

// InTx returns a Store whose transactions run inside tx, a transaction the
// application holds: Update runs fn in a savepoint of tx, taking the same
// per-environment lock as every writer (held until tx ends), so the
// application's own writes in tx and the library's commit or roll back
// together. A failed Update rolls back to its savepoint and leaves tx
// usable. View runs in a savepoint of tx too, at tx's isolation level.
//
// A savepoint release commits nothing, so what the package documentation
// says of commit outcomes does not apply: Update releases the savepoint on
// the caller's context and returns its failure as it is. Committing tx,
// and knowing whether that commit happened, is the application's part.
//
// The change notice of a write made through InTx is sent when tx commits.
// The returned Store must not be used after tx ends, nor concurrently
// (a pgx.Tx is one connection). Follow on it follows through the pool of s.
func (s *Store) InTx(tx pgx.Tx) *Store {
	c := *s
	c.outer = tx
	return &c
}

// lockKey is the advisory lock key that serializes the writers of env.
// It derives from s.schema, which is the very name the server uses: New
// refuses every name PostgreSQL would cut or change, so two stores share
// tables exactly when they share lock keys (and notice channels).
func (s *Store) lockKey(env string) int64 {
	h := fnv.New64a()
	h.Write([]byte("rbac\x00"))
	h.Write([]byte(s.schema))
	h.Write([]byte{0})
	h.Write([]byte(env))
	return int64(h.Sum64())
}

// begin starts the transaction of one Update (write, on environment env)
// or View. An Update's transaction starts with the environment's lock
// taken, in the same round trip as BEGIN.
func (s *Store) begin(ctx context.Context, write bool, env string) (pgx.Tx, error) {
	if s.outer != nil {
		tx, err := s.outer.Begin(ctx) // a savepoint
		if err != nil || !write {
			return tx, err
		}
		// Within the application's transaction the deferred constraints
		// are checked before the savepoint is released (see Update), so
		// a violation fails the call, not the application's commit.
		if _, err := tx.Exec(ctx, s.q.deferConstraints); err != nil {
			rollback(ctx, tx)
			return nil, err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey(env)); err != nil {
			rollback(ctx, tx)
			return nil, err
		}
		return tx, nil
	}
	if !write {
		return s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	}
	// The key is a number: nothing to quote.
	return s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
		strconv.FormatInt(s.lockKey(env), 10) + ")"})
}

// rollback rolls tx back even when ctx is done.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// Update implements rbac.Store. See "Commit outcomes" in the package
// documentation for what a failed COMMIT returns.
//
// In a Store made by [Store.InTx], Update ends by releasing its savepoint
// instead: that commits nothing (the application's transaction commits or
// rolls back everything later), so it runs on the caller's context like
// the rest of fn's work, and its failure is returned as it is.
func (s *Store) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := s.begin(ctx, true, env)
	if err != nil {
		return fmt.Errorf("pgstore: begin and lock environment %q: %w", env, err)
	}
	t := &tx{s: s, tx: ptx, env: env, write: true}
	ended := false // committed, released, or handed to commit
	defer func() { // also when fn panics
		t.done = true
		if !ended {
			rollback(ctx, ptx)
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	// The last moment the caller can still call the write off.
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.outer != nil {
		if _, err := ptx.Exec(ctx, s.q.checkConstraints); err != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
		if err := ptx.Commit(ctx); err != nil { // RELEASE SAVEPOINT
			return fmt.Errorf("pgstore: release savepoint: %w", err)
		}
		ended = true
		return nil
	}
	ended = true
	return s.commitTx(ctx, ptx)
}

// commitTx commits ptx on a context of its own, bounded by the commit
// timeout, and sorts a failure into rolled back, not sent, or outcome
// unknown.
func (s *Store) commitTx(ctx context.Context, ptx pgx.Tx) error {
	pc := ptx.Conn().PgConn() // read now: Commit hands the connection back to the pool
	// A closed connection sends nothing: pgx fails COMMIT at once.
	wasClosed := pc.IsClosed()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.commit)
	defer cancel()
	err := ptx.Commit(cctx)
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrTxCommitRollback):
		// The transaction had already failed; COMMIT rolled it back.
		return fmt.Errorf("pgstore: commit: %w", err)
	case errors.As(err, &pe) && !sessionEnded(pe):
		// The server refused the commit and rolled back.
		return fmt.Errorf("pgstore: commit: %w", err)
	case wasClosed || pgconn.SafeToRetry(err) && !errors.Is(err, pgconn.ErrConnClosed):
		// Not sent. Not pgconn.SafeToRetry alone: pgx (v5.12.0) also
		// reports a connection that broke while it read the answer to
		// COMMIT as a "conn closed" error that is safe to retry, and
		// that COMMIT was sent.
		return fmt.Errorf("pgstore: commit not sent: %w", err)
	}
	// COMMIT was sent and no answer came back (a FATAL error ends the
	// session, and may come after the commit is durable: a backend ended
	// while it waits for a synchronous standby has committed locally).
	cause := err
	if pgconn.Timeout(err) && cctx.Err() != nil {
		// Our own timeout: not the caller's context, so the error must
		// not match context.DeadlineExceeded.
		cause = fmt.Errorf("no answer to COMMIT within the commit timeout (%v): %v", s.commit, err)
	} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		cause = errors.New(err.Error())
	} else if errors.Is(err, pgconn.ErrConnClosed) {
		cause = fmt.Errorf("the connection broke before the answer to COMMIT came: %w", err)
	}
	msg := "pgstore: the connection failed while COMMIT was in flight, so the write may or may not be stored; the server has since ended that session: read the state again"
	if serr := s.settle(pc); serr != nil {
		msg = "pgstore: the connection failed while COMMIT was in flight, so the write may or may not be stored; whether the server has ended that session is not known either (" + serr.Error() + ")"
	}
	return &rbac.Error{Kind: rbac.KindOutcomeUnknown, Code: rbac.CodeOutcomeUnknown, Message: msg, Err: cause}
}

// sessionEnded reports whether a server error ended the session (FATAL,
// PANIC) rather than just the statement: such an error may come after
// the transaction committed.
func sessionEnded(pe *pgconn.PgError) bool {
	sev := pe.SeverityUnlocalized
	if sev == "" {
		sev = pe.Severity
	}
	return sev == "FATAL" || sev == "PANIC"
}

// settleTimeout bounds settle.
const settleTimeout = 5 * time.Second

// settle makes the transaction of a session whose COMMIT lost its answer
// end for good before Update returns: it sends the server a cancel request
// for that session (which only that session's secret key can do, so it
// never touches another one), which ends a wait for a synchronous standby
// (the transaction then stays committed) or for a lock (it rolls back),
// and waits until the session's backend has exited; the client has
// closed the connection, so the backend exits as soon as it is done with
// the transaction. settle returns nil once the backend is gone, or why it
// could not tell within settleTimeout.
//
// It reads pg_stat_activity on a connection of its own, outside the pool,
// which writers waiting for the environment's lock may fill.
func (s *Store) settle(pc *pgconn.PgConn) error {
	if !pc.IsClosed() {
		return errors.New("the connection was not closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	pid := int64(pc.PID())
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	var last error
	cancelled := false
	for {
		if !cancelled {
			// pgx sends one too when it closes a timed-out connection;
			// a second is harmless.
			cancelled = pc.CancelRequest(ctx) == nil
		}
		if conn == nil {
			conn, last = pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
		}
		if conn != nil {
			var n int
			last = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
			if last == nil && n == 0 {
				return nil
			}
			if last != nil {
				conn.Close(context.Background())
				conn = nil
			}
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return fmt.Errorf("its backend (pid %d) was still running after %v", pid, settleTimeout)
			}
			return fmt.Errorf("the server could not be asked within %v: %w", settleTimeout, last)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// View implements rbac.Store.
func (s *Store) View(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := s.begin(ctx, false, env)
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	t := &tx{s: s, tx: ptx, env: env}
	defer func() {
		t.done = true
		rollback(ctx, ptx) // read-only: nothing to commit
	}()
	return fn(t)
}

// Environments implements rbac.Store.
func (s *Store) Environments(ctx context.Context) ([]string, error) {
	var q interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	} = s.pool
	if s.outer != nil {
		q = s.outer
	}
	rows, err := q.Query(ctx, s.q.environments)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return ids, nil
}

// Migrate creates the schema or upgrades it to the version this package
// embeds. It is safe to call from several processes at once and does
// nothing when the schema is up to date. It runs in one transaction: a
// failed Migrate changes nothing.
//
// Its errors are [*rbac.Error] values: of kind [rbac.KindCanceled] (also
// matching the context's error) when ctx ended first, else of kind
// [rbac.KindInternal] with the cause in Err — or matching
// [rbac.ErrOutcomeUnknown] when the connection broke during the commit;
// Migrate again, as it is idempotent.
func (s *Store) Migrate(ctx context.Context) error {
	if s.outer != nil {
		return storeErr(ctx, "migrate schema "+strconv.Quote(s.schema), migrate(ctx, s.outer, s.schema))
	}
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return storeErr(ctx, "migrate schema "+strconv.Quote(s.schema)+": begin", err)
	}
	if err := migrate(ctx, ptx, s.schema); err != nil {
		rollback(ctx, ptx)
		return storeErr(ctx, "migrate schema "+strconv.Quote(s.schema), err)
	}
	if err := ctx.Err(); err != nil {
		rollback(ctx, ptx)
		return storeErr(ctx, "migrate schema "+strconv.Quote(s.schema), err)
	}
	return storeErr(ctx, "migrate schema "+strconv.Quote(s.schema)+": commit", s.commitTx(ctx, ptx))
}

// storeErr makes err, a failure of what, an *rbac.Error: KindCanceled
// when ctx ended, else KindInternal; an *rbac.Error passes through.
func storeErr(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	var e *rbac.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		return &rbac.Error{Kind: rbac.KindCanceled, Code: rbac.CodeCanceled,
			Message: "pgstore: " + what + ": the context ended first; nothing was changed", Err: err}
	}
	return &rbac.Error{Kind: rbac.KindInternal, Code: rbac.CodeInternal, Message: "pgstore: " + what, Err: err}
}

// DropSchema drops the schema and everything in it. It is meant for tests
// and for uninstalling. Its errors are [*rbac.Error] values, as those of
// [Store.Migrate].
func (s *Store) DropSchema(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(s.schema)+" CASCADE")
	return storeErr(ctx, "drop schema "+strconv.Quote(s.schema), err)
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// queries holds the SQL of the Store with the schema name filled in.
type queries struct {
	schema                             string
	deferConstraints, checkConstraints string
	environments                       string
	channel                            string

	mu    sync.Mutex
	cache map[string]string
}

// deferrable lists the constraints the schema declares DEFERRABLE: those
// that the Service may break for a moment inside a transaction (it stores a
// new environment before its first role).
var deferrable = []string{
	"environments_default_role_fkey",
	"organizations_default_role_fkey",
	"environment_order_role_fkey",
	"organization_order_role_fkey",
}

func newQueries(schema string) *queries {
	q := &queries{schema: quoteIdent(schema), cache: map[string]string{}}
	names := make([]string, len(deferrable))
	for i, c := range deferrable {
		names[i] = q.schema + "." + quoteIdent(c)
	}
	list := strings.Join(names, ", ")
	q.deferConstraints = "SET CONSTRAINTS " + list + " DEFERRED"
	q.checkConstraints = "SET CONSTRAINTS " + list + " IMMEDIATE"
	q.environments = q.sql("SELECT id FROM $s.environments ORDER BY id")
	// A channel name is an identifier: at most 63 bytes.
	q.channel = "rbac_changes:" + schema
	if len(q.channel) > 63 {
		h := fnv.New64a()
		h.Write([]byte(schema))
		q.channel = fmt.Sprintf("rbac_changes:%016x", h.Sum64())
	}
	return q
}

// sql returns query with "$s." replaced by the quoted schema name.
func (q *queries) sql(query string) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if out, ok := q.cache[query]; ok {
		return out
	}
	out := strings.ReplaceAll(query, "$s.", q.schema+".")
	q.cache[query] = out
	return out
}

var errReadOnly = errors.New("pgstore: write in a read-only transaction")
var errDone = errors.New("pgstore: transaction used after it ended")
