package pgstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/orgroles/rbac"
)

// A listing of every membership of an environment — what a read model
// loads at start — reads a million rows. It opens a cursor on the
// memberships in id order (the primary key's) and fetches it in batches:
// one ordered scan, a constant number of statements per batch of rows,
// memory of one batch. The rows' wire bytes are decoded directly: the ids
// of a batch are cut from one string, and role slugs are interned.

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
	mc := fmt.Sprintf("rbac_memberships_%d", t.cursors)
	cond, args := "", []any{t.env}
	if len(statuses) > 0 {
		cond, args = " AND m.status = ANY($2::text[])", append(args, statuses)
	}
	if _, err := t.exec(ctx, `DECLARE `+mc+` NO SCROLL CURSOR FOR SELECT `+membershipColumns+`, m.roles
		FROM $s.memberships m WHERE m.env = $1`+cond+` ORDER BY m.id`, args...); err != nil {
		return err
	}
	ms := &membershipCursor{t: t, name: mc, slugs: map[string]string{}}
	for {
		m, ok, err := ms.next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := fn(*m); err != nil {
			return err
		}
	}
	_, err := t.exec(ctx, `CLOSE `+mc)
	return err
}

// membershipCursor reads a cursor of membershipColumns and the roles, as
// one text, in batches.
type membershipCursor struct {
	t     *tx
	name  string
	buf   []rbac.Membership
	text  []byte // the ids of the batch, end to end
	ends  []int  // where each id ends in text, three per row
	i     int
	done  bool
	slugs map[string]string // interned role slugs
	arena []string          // the roles of memberships share arrays of a few thousand
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
			if m, err = decodeMembership(v[:7]); err == nil {
				m.Roles, err = c.roles(v[7])
			}
			// The ids of the batch are cut from one string, below.
			for _, b := range v[:3] {
				c.text = append(c.text, b...)
				c.ends = append(c.ends, len(c.text))
			}
		} else {
			m, err = scanMembership(rows)
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

var errMalformedRoles = errors.New("pgstore: membership roles: malformed array")

// roles decodes PostgreSQL's binary text[] (dimensions, a null flag, the
// element type, each dimension's length and lower bound, then each
// element's length and bytes) into slugs, interned, in a slice of the
// arena.
func (c *membershipCursor) roles(b []byte) ([]string, error) {
	bad := errMalformedRoles
	if len(b) < 12 {
		return nil, bad
	}
	dims := binary.BigEndian.Uint32(b)
	if dims == 0 {
		return []string{}, nil
	}
	if dims != 1 || len(b) < 20 {
		return nil, bad
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	b = b[20:]
	if cap(c.arena)-len(c.arena) < n {
		c.arena = make([]string, 0, max(4096, n))
	}
	start := len(c.arena)
	for range n {
		if len(b) < 4 {
			return nil, bad
		}
		l := int(int32(binary.BigEndian.Uint32(b)))
		if l < 0 || len(b) < 4+l {
			return nil, bad
		}
		e := b[4 : 4+l]
		b = b[4+l:]
		s, ok := c.slugs[string(e)]
		if !ok {
			s = string(e)
			if len(c.slugs) < 4096 {
				c.slugs[s] = s
			}
		}
		c.arena = append(c.arena, s)
	}
	return c.arena[start:len(c.arena):len(c.arena)], nil
}

// rawDecodable reports whether rows hold membershipColumns as
// decodeMembership reads them from the wire bytes (five texts, then two
// binary timestamps), then the roles as a binary text[]. Otherwise rows
// are scanned.
func rawDecodable(rows pgx.Rows) bool {
	fds := rows.FieldDescriptions()
	if len(fds) != 8 {
		return false
	}
	for i, fd := range fds {
		switch {
		case i < 5 && fd.DataTypeOID != textOID,
			i >= 5 && i < 7 && (fd.DataTypeOID != timestamptzOID || fd.Format != pgx.BinaryFormatCode),
			i == 7 && (fd.DataTypeOID != textArrayOID || fd.Format != pgx.BinaryFormatCode):
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

// The type ids of text, text[] and timestamptz, fixed in PostgreSQL's
// catalog.
const textOID, textArrayOID, timestamptzOID = 25, 1009, 1184

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
