package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orgroles/rbac"
)

// A listing of every membership of an environment — what a read model
// loads at start — reads a million rows. Looking up each membership's
// roles (a subquery per row) costs an index descent per membership, and
// joining the two tables makes PostgreSQL hash and sort them. Both tables
// are already ordered by membership id in their primary keys, so the
// listing opens a cursor on each, fetches from them by turns, and merges
// the two streams by id: two ordered scans, a constant number of
// statements per batch of rows, memory of one batch.

// listBatch is the number of rows fetched from a cursor at a time.
var listBatch = 8192

// listAll reports whether q lists every membership of the environment, of
// some statuses at most: the listings allMemberships serves.
func listAll(q rbac.MembershipQuery) bool {
	return q.OrganizationID == "" && q.UserID == "" && q.Role == "" && !q.MultipleRoles && q.Range == (rbac.Range{})
}

// allMemberships lists the memberships of the environment with one of
// statuses (any when empty), ordered by id, with their roles.
func (t *tx) allMemberships(ctx context.Context, statuses []string, fn func(rbac.Membership) error) error {
	t.cursors++
	mc, rc := fmt.Sprintf("rbac_memberships_%d", t.cursors), fmt.Sprintf("rbac_membership_roles_%d", t.cursors)
	cond, args := "", []any{t.env}
	if len(statuses) > 0 {
		cond, args = " AND m.status = ANY($2::text[])", append(args, statuses)
	}
	if _, err := t.exec(ctx, `DECLARE `+mc+` NO SCROLL CURSOR FOR SELECT `+membershipColumns+`
		FROM $s.memberships m WHERE m.env = $1`+cond+` ORDER BY m.id`, args...); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DECLARE `+rc+` NO SCROLL CURSOR FOR SELECT r.membership_id, r.role_slug
		FROM $s.membership_roles r WHERE r.env = $1 ORDER BY r.membership_id, r.role_slug`, t.env); err != nil {
		return err
	}
	ms := &membershipCursor{t: t, name: mc}
	rs := &roleCursor{t: t, name: rc, slugs: map[string]string{}}
	// The roles of the memberships share arrays of a few thousand.
	var arena []string
	start := 0
	for {
		m, ok, err := ms.next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		// The roles of memberships not listed (another status) come
		// first; then those of m, already sorted.
		for {
			id, ok, err := rs.peek(ctx)
			if err != nil {
				return err
			}
			if !ok || string(id) > m.ID {
				break
			}
			if string(id) == m.ID {
				if m.Roles == nil {
					if cap(arena)-len(arena) < 8 {
						arena = make([]string, 0, 4096)
					}
					start = len(arena)
				}
				arena = append(arena, rs.slug())
				m.Roles = arena[start:len(arena):len(arena)]
			}
			rs.skip()
		}
		m.Roles = nonNil(m.Roles)
		if err := fn(*m); err != nil {
			return err
		}
	}
	if _, err := t.exec(ctx, `CLOSE `+mc); err != nil {
		return err
	}
	_, err := t.exec(ctx, `CLOSE `+rc)
	return err
}

// membershipCursor reads a cursor of membershipColumns in batches.
type membershipCursor struct {
	t    *tx
	name string
	buf  []rbac.Membership
	text []byte // the ids of the batch, end to end
	ends []int  // where each id ends in text, three per row
	i    int
	done bool
}

func (c *membershipCursor) next(ctx context.Context) (*rbac.Membership, bool, error) {
	if c.i == len(c.buf) {
		if c.done {
			return nil, false, nil
		}
		if err := c.fetch(ctx); err != nil {
			return nil, false, err
		}
		if len(c.buf) == 0 {
			return nil, false, nil
		}
	}
	c.i++
	return &c.buf[c.i-1], true, nil
}

func (c *membershipCursor) fetch(ctx context.Context) error {
	rows, err := c.t.query(ctx, fmt.Sprintf("FETCH %d FROM %s", listBatch, c.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	c.buf, c.i = c.buf[:0], 0
	c.text, c.ends = c.text[:0], c.ends[:0]
	raw := rawDecodable(rows)
	for rows.Next() {
		var m rbac.Membership
		if raw {
			v := rows.RawValues()
			m, err = decodeMembership(v)
			// The ids of the batch are cut from one string, below.
			for _, b := range v[:3] {
				c.text = append(c.text, b...)
				c.ends = append(c.ends, len(c.text))
			}
		} else {
			m, err = scanMembershipColumns(rows)
		}
		if err != nil {
			return fail(err)
		}
		c.buf = append(c.buf, m)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if raw {
		all, at := string(c.text), 0
		for i := range c.buf {
			e := c.ends[3*i : 3*i+3]
			m := &c.buf[i]
			m.ID, m.OrganizationID, m.UserID = all[at:e[0]], all[e[0]:e[1]], all[e[1]:e[2]]
			at = e[2]
		}
	}
	c.done = len(c.buf) < listBatch
	return nil
}

// roleCursor reads a cursor of (membership_id, role_slug) in batches; the
// ids of a batch share one buffer, the slugs are interned.
type roleCursor struct {
	t     *tx
	name  string
	ids   []byte  // the ids of the batch, end to end
	ends  []int32 // where each row's id ends in ids
	rs    []string
	i     int
	done  bool
	slugs map[string]string
}

// peek returns the membership id of the next row (valid until the next
// fetch), fetching a batch when the last is used up.
func (c *roleCursor) peek(ctx context.Context) ([]byte, bool, error) {
	if c.i == len(c.rs) {
		if c.done {
			return nil, false, nil
		}
		if err := c.fetch(ctx); err != nil {
			return nil, false, err
		}
		if len(c.rs) == 0 {
			return nil, false, nil
		}
	}
	start := int32(0)
	if c.i > 0 {
		start = c.ends[c.i-1]
	}
	return c.ids[start:c.ends[c.i]], true, nil
}

func (c *roleCursor) slug() string { return c.rs[c.i] }
func (c *roleCursor) skip()        { c.i++ }

func (c *roleCursor) fetch(ctx context.Context) error {
	rows, err := c.t.query(ctx, fmt.Sprintf("FETCH %d FROM %s", listBatch, c.name))
	if err != nil {
		return err
	}
	defer rows.Close()
	c.ids, c.ends, c.rs, c.i = c.ids[:0], c.ends[:0], c.rs[:0], 0
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 2 || v[0] == nil || v[1] == nil {
			return fail(fmt.Errorf("pgstore: membership roles: unexpected row"))
		}
		c.ids = append(c.ids, v[0]...)
		c.ends = append(c.ends, int32(len(c.ids)))
		s, ok := c.slugs[string(v[1])]
		if !ok {
			s = string(v[1])
			if len(c.slugs) < 4096 {
				c.slugs[s] = s
			}
		}
		c.rs = append(c.rs, s)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	c.done = len(c.rs) < listBatch
	return nil
}

// rawDecodable reports whether rows hold membershipColumns as
// decodeMembership reads them from the wire bytes: five texts, then two
// binary timestamps. Otherwise rows are scanned.
func rawDecodable(rows pgx.Rows) bool {
	fds := rows.FieldDescriptions()
	if len(fds) != 7 {
		return false
	}
	for i, fd := range fds {
		if i < 5 && fd.DataTypeOID != textOID || i >= 5 && (fd.DataTypeOID != timestamptzOID || fd.Format != pgx.BinaryFormatCode) {
			return false
		}
	}
	return true
}

// decodeMembership decodes the wire bytes of membershipColumns but the
// ids, which the caller cuts from a string of its batch: status and
// source are the library's constants.
func decodeMembership(v [][]byte) (rbac.Membership, error) {
	for _, b := range v {
		if b == nil {
			return rbac.Membership{}, fmt.Errorf("pgstore: membership: unexpected NULL")
		}
	}
	m := rbac.Membership{Status: rbac.MembershipStatus(constant(v[3], statusNames)), RoleSource: rbac.RoleSource(constant(v[4], sourceNames))}
	var err error
	if m.CreatedAt, err = timestamptz(v[5]); err != nil {
		return m, err
	}
	m.UpdatedAt, err = timestamptz(v[6])
	return m, err
}

// The type ids of text and timestamptz, fixed in PostgreSQL's catalog.
const textOID, timestamptzOID = 25, 1184

var (
	statusNames = []string{string(rbac.StatusActive), string(rbac.StatusPending), string(rbac.StatusInactive)}
	sourceNames = []string{string(rbac.SourceManual), string(rbac.SourceDirectory), string(rbac.SourceSSO), string(rbac.SourceSSODefault)}
)

// constant returns the name of names b spells, or a new string.
func constant(b []byte, names []string) string {
	for _, n := range names {
		if string(b) == n {
			return n
		}
	}
	return string(b)
}

// timestamptz decodes PostgreSQL's binary timestamptz: microseconds since
// 2000-01-01 UTC.
func timestamptz(b []byte) (time.Time, error) {
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("pgstore: timestamptz of %d bytes", len(b))
	}
	us := int64(binary.BigEndian.Uint64(b))
	const y2k = 946684800 // 2000-01-01 in Unix seconds
	sec, rem := us/1e6, us%1e6
	if rem < 0 {
		sec, rem = sec-1, rem+1e6
	}
	return time.Unix(y2k+sec, rem*1000).UTC(), nil
}

// EachOrganizationRoleGrant lists every organization role of the
// environment, ordered by (organization id, slug), with only what a read
// model builds from it: its organization, slug and permissions. It reads
// a third of the bytes EachOrganizationRole does; package authz uses it
// when a Tx has it.
func (t *tx) EachOrganizationRoleGrant(ctx context.Context, fn func(org, slug string, permissions []string) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	rows, err := t.query(ctx, `SELECT r.scope, r.slug, r.permissions FROM $s.roles r
		WHERE r.env = $1 AND r.scope <> '' ORDER BY r.scope, r.slug`, t.env)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 3 || v[0] == nil || v[1] == nil || v[2] == nil {
			return fail(fmt.Errorf("pgstore: organization roles: unexpected row"))
		}
		all := joined(v[0], v[1], v[2])
		a, b := len(v[0]), len(v[0])+len(v[1])
		if err := fn(all[:a], all[a:b], permissionList(all[b:])); err != nil {
			return err
		}
	}
	return fail(rows.Err())
}

// EachOrganizationDefaultRole lists the organizations with settings of
// their own, in no particular order, with their default roles. Package
// authz uses it when a Tx has it.
func (t *tx) EachOrganizationDefaultRole(ctx context.Context, fn func(org, role string) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	rows, err := t.query(ctx, `SELECT o.id, o.default_role FROM $s.organizations o
		WHERE o.env = $1 AND coalesce(o.default_role, '') <> ''`, t.env)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 2 || v[0] == nil || v[1] == nil {
			return fail(fmt.Errorf("pgstore: organization defaults: unexpected row"))
		}
		all := joined(v[0], v[1])
		if err := fn(all[:len(v[0])], all[len(v[0]):]); err != nil {
			return err
		}
	}
	return fail(rows.Err())
}

// joined returns the bytes of parts end to end, in one allocation.
func joined(parts ...[]byte) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, p := range parts {
		sb.Write(p)
	}
	return sb.String()
}
