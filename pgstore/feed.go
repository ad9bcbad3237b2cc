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

// maxFeedRead bounds every read Follow makes of its connection (see
// Store.Follow).
const maxFeedRead = 5 * time.Second

// Follow implements rbac.Feed: it calls fn with every change committed to
// environment env after revision since, in revision order, until ctx is
// done (it then returns an error matching ctx.Err()) or the connection
// fails.
//
// Follow opens a connection of its own (with the pool's configuration,
// outside the pool), LISTENs on the Store's channel and reads the changes
// table after the last revision it delivered: at start, on every notice
// for env, and every [Options.PollInterval] as a safety net. fn runs on
// Follow's goroutine; a slow fn delays later changes but loses none.
//
// Every read has a deadline — connecting, listening and each read of the
// changes table must finish within the poll interval, and at most 5 s —
// so that a connection that stops answering (a server that hangs, a
// network that drops packets silently) ends Follow with an error rather
// than blocking it forever. Its errors are [*rbac.Error] values.
//
// The changes delivered are itemized (see [rbac.Change]), except those
// stored by a version of the schema before 3. When changes were pruned
// from the table (see [Store.PruneChanges]), the first change
// after the gap has a revision more than one past the previous one: a
// reader must then read the store again.
func (s *Store) Follow(ctx context.Context, env string, since int64, fn func(rbac.Change)) error {
	deadline := min(s.poll, maxFeedRead)
	cctx, cancel := context.WithTimeout(ctx, deadline)
	conn, err := pgx.ConnectConfig(cctx, s.pool.Config().ConnConfig.Copy())
	cancel()
	if err != nil {
		return s.followErr(ctx, "connect", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
	}()
	lctx, cancel := context.WithTimeout(ctx, deadline)
	_, err = conn.Exec(lctx, "LISTEN "+quoteIdent(s.q.channel))
	cancel()
	if err != nil {
		return s.followErr(ctx, "listen", err)
	}
	q := s.q.sql(`SELECT revision, environment, organizations, itemized, bulk, settings,
			role_orgs, role_slugs, memberships, membership_orgs, membership_users
		FROM $s.changes WHERE env = $1 AND revision > $2 ORDER BY revision`)
	last := since
	catchUp := func() error {
		qctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		rows, err := conn.Query(qctx, q, env, last)
		if err != nil {
			return err
		}
		var (
			c                             rbac.Change
			roleOrgs, roleSlugs           []string
			members, memberOrgs, members2 []string
		)
		_, err = pgx.ForEachRow(rows, []any{&c.Revision, &c.Environment, &c.Organizations, &c.Itemized, &c.Bulk,
			&c.Settings, &roleOrgs, &roleSlugs, &members, &memberOrgs, &members2}, func() error {
			ch := rbac.Change{EnvironmentID: env, Revision: c.Revision, Environment: c.Environment,
				Organizations: clip(c.Organizations), Itemized: c.Itemized, Bulk: c.Bulk, Settings: clip(c.Settings)}
			for i := range min(len(roleOrgs), len(roleSlugs)) {
				ch.Roles = append(ch.Roles, rbac.RoleRef{OrganizationID: roleOrgs[i], Slug: roleSlugs[i]})
			}
			for i := range min(len(members), len(memberOrgs), len(members2)) {
				ch.Memberships = append(ch.Memberships, rbac.MembershipRef{ID: members[i], OrganizationID: memberOrgs[i], UserID: members2[i]})
			}
			fn(ch)
			last = ch.Revision
			return nil
		})
		return err
	}
	if err := catchUp(); err != nil {
		return s.followErr(ctx, "read changes", err)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, s.poll)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return s.followErr(ctx, "", ctx.Err())
		case err == nil:
			e, rev, ok := parseNotice(n.Payload)
			if ok && (e != env || rev <= last) {
				continue // another environment, or already delivered
			}
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			// The safety net: read the table without a notice.
		default:
			return s.followErr(ctx, "wait for notices", err)
		}
		if err := catchUp(); err != nil {
			return s.followErr(ctx, "read changes", err)
		}
	}
}

// clip returns a copy of s, nil when empty (rows are scanned into the same
// slices over and over).
func clip(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

// followErr makes err, of the feed or of pruning, an *rbac.Error:
// canceled when ctx is done, internal otherwise.
func (s *Store) followErr(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return &rbac.Error{Kind: rbac.KindCanceled, Code: rbac.CodeCanceled,
			Message: "pgstore: follow: " + ctx.Err().Error(), Err: ctx.Err()}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", min(s.poll, maxFeedRead), err)
	}
	return &rbac.Error{Kind: rbac.KindInternal, Code: rbac.CodeInternal,
		Message: "pgstore: follow: " + what + ": " + err.Error(), Err: err}
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
		return 0, s.followErr(ctx, "prune changes", err)
	}
	return tag.RowsAffected(), nil
}
