package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orgroles/rbac"
)

// notice is the payload of the change notice: "<revision> <environment>".
func notice(env string, revision int64) string {
	return strconv.FormatInt(revision, 10) + " " + env
}

func parseNotice(payload string) (env string, revision int64, ok bool) {
	rev, env, ok := strings.Cut(payload, " ")
	if !ok {
		return "", 0, false
	}
	r, err := strconv.ParseInt(rev, 10, 64)
	return env, r, err == nil
}

// Follow implements rbac.Feed: it calls fn with every change committed to
// environment env after revision since, in revision order, until ctx is
// done (it then returns ctx.Err()) or the connection fails.
//
// Follow opens a connection of its own (with the pool's configuration,
// outside the pool), LISTENs on the Store's channel and reads the changes
// table after the last revision it delivered: at start, on every notice
// for env, and every [Options.PollInterval] as a safety net. fn runs on
// Follow's goroutine; a slow fn delays later changes but loses none. When
// changes were pruned from the table (see [Store.PruneChanges]), the first
// change after the gap reports Environment true, since Follow cannot tell
// what the missing ones touched.
func (s *Store) Follow(ctx context.Context, env string, since int64, fn func(rbac.Change)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("pgstore: follow: connect: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+quoteIdent(s.q.channel)); err != nil {
		return s.followErr(ctx, err)
	}
	q := s.q.sql(`SELECT revision, environment, organizations FROM $s.changes
		WHERE env = $1 AND revision > $2 ORDER BY revision`)
	last := since
	catchUp := func() error {
		rows, err := conn.Query(ctx, q, env, last)
		if err != nil {
			return err
		}
		var c rbac.Change
		_, err = pgx.ForEachRow(rows, []any{&c.Revision, &c.Environment, &c.Organizations}, func() error {
			ch := rbac.Change{EnvironmentID: env, Revision: c.Revision, Environment: c.Environment}
			if len(c.Organizations) > 0 {
				ch.Organizations = append([]string(nil), c.Organizations...)
			}
			if ch.Revision != last+1 {
				ch.Environment = true // a gap: pruned changes
			}
			fn(ch)
			last = ch.Revision
			return nil
		})
		return err
	}
	if err := catchUp(); err != nil {
		return s.followErr(ctx, err)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, s.poll)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			e, rev, ok := parseNotice(n.Payload)
			if ok && (e != env || rev <= last) {
				continue // another environment, or already delivered
			}
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// The safety net: read the table without a notice.
		default:
			return s.followErr(ctx, err)
		}
		if err := catchUp(); err != nil {
			return s.followErr(ctx, err)
		}
	}
}

func (s *Store) followErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("pgstore: follow: %w", err)
}

// PruneChanges deletes the changes of environment env committed before
// the given time, keeping the latest one, and returns how many it deleted.
// The changes table grows by one row per committed write; prune it from a
// periodic job once followers have caught up.
func (s *Store) PruneChanges(ctx context.Context, env string, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.q.sql(`DELETE FROM $s.changes
		WHERE env = $1 AND committed_at < $2
		AND revision < (SELECT max(revision) FROM $s.changes WHERE env = $1)`), env, before)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune changes: %w", err)
	}
	return tag.RowsAffected(), nil
}
