package authz

import (
	"context"
	"errors"
	"math/bits"
	"slices"
	"strings"

	"github.com/orgroles/rbac"
)

// ---- writing ----
//
// The snapshot has two kinds of parts, never changed once published:
//
//   - the environment part: permission ids, the environment roles'
//     permission bitsets and the environment priority order, replaced
//     whole when any of them changes — its size is that of the
//     environment's permissions and roles, not of its organizations;
//   - one record per active membership (see record.go), reached through
//     the open-addressing member table, whose entries hold atomic
//     pointers: a change to a membership publishes its new record in its
//     entry, and a membership that is no longer active has its entry
//     marked removed.
//
// So a write costs what it changed: a membership change builds one record
// and stores one pointer; a change to an organization role rebuilds the
// records of its holders (the union of organization-role permissions is
// in each record); a change to an organization's priority order rebuilds
// those of its members with several roles (whose roles are kept in that
// order); a change to an environment role, a permission or the
// environment order replaces the environment part only (environment
// roles' bitsets are read at check time). Adding an entry fills an empty
// one, and only when the table is half full is it copied into one twice
// as large (amortized O(1) per entry added).

// buildEnv builds the environment part from the store, interning its
// permissions and roles in g.
func (a *Authorizer) buildEnv(ctx context.Context, tx rbac.Tx, e rbac.Environment, g *gen) (*envPart, error) {
	perms, err := listPermissions(ctx, tx)
	if err != nil {
		return nil, err
	}
	roles, err := listEnvironmentRoles(ctx, tx)
	if err != nil {
		return nil, err
	}
	slugs := make([]string, len(perms))
	for i, p := range perms { // sorted by slug
		slugs[i] = p.Slug
	}
	part := &envPart{perms: newPermTable(a.seed, len(perms))}
	part.sorted = g.perms.setEnv(slugs)
	part.permSlugs = make([]string, g.perms.size())
	for _, id := range part.sorted {
		slug := g.perms.names[id]
		part.permSlugs[id] = slug
		part.perms.put(slug, id)
	}
	rslugs := make([]string, len(roles))
	for i, r := range roles {
		rslugs[i] = r.Slug
	}
	ids := g.roles.setEnv(rslugs)
	order := map[string]int{}
	for i, s := range e.PriorityOrder {
		order[s] = i
	}
	part.width = uint64(g.perms.size()+63) / 64
	part.width = max(part.width, 1)
	part.roles = make([]envRole, g.roles.size())
	part.bits = make([]uint64, (len(part.roles)+1)*int(part.width)) // and a zero row
	for i, r := range roles {
		id := ids[i]
		pos, ok := order[r.Slug]
		if !ok {
			pos = len(e.PriorityOrder)
		}
		part.roles[id] = envRole{slug: g.roles.names[id], rank: pos}
		row := part.bits[int(id)*int(part.width):]
		for _, p := range r.Permissions {
			// Only the permissions of this part: a role names only
			// permissions that exist.
			if pid, ok := g.perms.ids[p]; ok && g.perms.inEnv[pid] {
				row[pid>>6] |= 1 << (pid & 63)
			}
		}
	}
	return part, nil
}

// source gives what records are built from — organization roles'
// permissions and organizations' priority orders — read each once from
// one read-only transaction, or given by the change (the records its
// events carry), or listed in advance (a full load, complete).
type source struct {
	ctx   context.Context
	tx    rbac.Tx // nil: no reads (every record needed is given)
	g     *gen
	roles map[rbac.RoleRef]orgRole
	orgs  map[string]orgOrder
	// listed holds, for a full load, every organization role, sorted by
	// organization and slug (as the store lists them): a million roles
	// are searched rather than put in a map.
	listed   roleList
	complete bool // listed holds every organization role

	// Scratch space of buildRecord and roleOf.
	held     []heldRole
	envRoles []uint32
	orgBits  []uint64
	bits     [8]uint64
}

// roleList is a sorted list of roles in chunks, so that listing a million
// never copies them.
type roleList struct {
	chunks [][]listedRole
	n      int
}

const roleChunk = 1 << 14

func (l *roleList) add(r listedRole) {
	if l.n%roleChunk == 0 {
		l.chunks = append(l.chunks, make([]listedRole, 0, roleChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, r)
	l.n++
}

func (l *roleList) at(i int) *listedRole { return &l.chunks[i/roleChunk][i%roleChunk] }

// find returns the role of ref, if listed.
func (l *roleList) find(ref rbac.RoleRef) (orgRole, bool) {
	i, j := 0, l.n
	for i < j {
		h := int(uint(i+j) >> 1)
		if compareRef(l.at(h).ref, ref) < 0 {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < l.n && l.at(i).ref == ref {
		return l.at(i).r, true
	}
	return orgRole{}, false
}

// sort sorts the list, when the store did not list it in order.
func (l *roleList) sort() {
	all := make([]listedRole, 0, l.n)
	for _, c := range l.chunks {
		all = append(all, c...)
	}
	slices.SortFunc(all, func(a, b listedRole) int { return compareRef(a.ref, b.ref) })
	l.chunks = [][]listedRole{all}
	if l.n > roleChunk {
		l.chunks = nil
		for lo := 0; lo < len(all); lo += roleChunk {
			l.chunks = append(l.chunks, all[lo:min(lo+roleChunk, len(all))])
		}
	}
}

type listedRole struct {
	ref rbac.RoleRef
	r   orgRole
}

func compareRef(a, b rbac.RoleRef) int {
	if n := strings.Compare(a.OrganizationID, b.OrganizationID); n != 0 {
		return n
	}
	return strings.Compare(a.Slug, b.Slug)
}

type orgRole struct {
	bits []uint64 // permission ids, as a bitset
	ok   bool     // the role exists
}

type orgOrder struct {
	order []string
	own   bool // the organization has its own settings
}

// errNeedRead is what a source without a transaction returns for what it
// was not given.
var errNeedRead = errors.New("authz: a record needs a read of the store")

func newSource(ctx context.Context, tx rbac.Tx, g *gen) *source {
	return &source{ctx: ctx, tx: tx, g: g, roles: map[rbac.RoleRef]orgRole{}, orgs: map[string]orgOrder{}}
}

// roleOf returns the role granting perms.
func (s *source) roleOf(perms []string) orgRole {
	bits := s.bits[:0]
	for _, p := range perms {
		id := s.g.perms.id(p)
		for int(id>>6) >= len(bits) {
			bits = append(bits, 0)
		}
		bits[id>>6] |= 1 << (id & 63)
	}
	return orgRole{bits: slices.Clone(bits), ok: true}
}

// orgRole returns organization role slug of org.
func (s *source) orgRole(org, slug string) (orgRole, error) {
	k := rbac.RoleRef{OrganizationID: org, Slug: slug}
	if s.complete {
		r, _ := s.listed.find(k)
		return r, nil
	}
	if r, ok := s.roles[k]; ok {
		return r, nil
	}
	if s.tx == nil {
		return orgRole{}, errNeedRead
	}
	r, err := readOrganizationRole(s.ctx, s.tx, org, slug)
	var out orgRole
	switch {
	case err == nil:
		out = s.roleOf(r.Permissions)
	case !errors.Is(err, rbac.ErrNotFound):
		return orgRole{}, err
	}
	s.roles[k] = out
	return out, nil
}

// order returns the own priority order of org, or own false when it
// follows the environment's.
func (s *source) order(org string) (orgOrder, error) {
	if o, ok := s.orgs[org]; ok {
		return o, nil
	}
	if s.tx == nil {
		return orgOrder{}, errNeedRead
	}
	o, err := readOrganization(s.ctx, s.tx, org)
	var out orgOrder
	switch {
	case err == nil:
		out = orgOrder{order: o.PriorityOrder, own: o.HasOwnSettings()}
	case !errors.Is(err, rbac.ErrNotFound):
		return orgOrder{}, err
	}
	s.orgs[org] = out
	return out, nil
}

// buildRecord returns the record of active membership m, with ids
// interned in s.g, built in scratch.
func buildRecord(m *rbac.Membership, s *source, scratch *[]byte) (record, error) {
	g := s.g
	held, envRoles, orgBits := s.held[:0], s.envRoles[:0], s.orgBits[:0]
	defer func() { s.held, s.envRoles, s.orgBits = held[:0], envRoles[:0], orgBits[:0] }()
	var slugs []string
	for i, slug := range m.Roles {
		if slices.Contains(m.Roles[:i], slug) {
			continue
		}
		if !rbac.IsOrganizationRoleSlug(slug) {
			id := g.roles.id(slug)
			envRoles = append(envRoles, id)
			held = append(held, heldRole{env: true, id: id, slug: slug})
			continue
		}
		r, err := s.orgRole(m.OrganizationID, slug)
		if err != nil {
			return nil, err
		}
		if !r.ok {
			continue // not visible here (the invariants exclude it)
		}
		for len(orgBits) < len(r.bits) {
			orgBits = append(orgBits, 0)
		}
		for w, x := range r.bits {
			orgBits[w] |= x
		}
		held = append(held, heldRole{slug: slug})
	}
	for len(orgBits) > 0 && orgBits[len(orgBits)-1] == 0 {
		orgBits = orgBits[:len(orgBits)-1]
	}
	inherit := true
	if len(held) > 1 {
		o, err := s.order(m.OrganizationID)
		if err != nil {
			return nil, err
		}
		for _, h := range held {
			slugs = append(slugs, h.slug)
		}
		if o.own {
			inherit = false
			sortByPriority(slugs, o.order)
		} else {
			slices.Sort(slugs)
		}
		sorted := make([]heldRole, 0, len(held))
		for _, sl := range slugs {
			i := slices.IndexFunc(held, func(h heldRole) bool { return h.slug == sl })
			sorted = append(sorted, held[i])
		}
		held = sorted
	}
	kind := recordKind(held, inherit)
	if len(held) == 0 {
		// No role at all (the invariants exclude it): a record that
		// grants nothing and lists no role.
		kind = ordered
	}
	buf := appendRecord((*scratch)[:0], m.OrganizationID, m.UserID, kind, held, orgBits, envRoles)
	*scratch = buf
	return record(slices.Clone(buf)), nil
}

// holdRecord counts the ids r names as held by it (d = 1) or no longer
// (d = -1), in g.
func holdRecord(g *gen, r record, d int) {
	for w, x := range r.orgBits() {
		for x != 0 {
			b := uint32(w*64) + uint32(bits.TrailingZeros64(x))
			x &= x - 1
			if d > 0 {
				g.perms.hold(b)
			} else {
				g.perms.release(b)
			}
		}
	}
	r.envRoleIDs(func(id uint32) {
		if d > 0 {
			g.roles.hold(id)
		} else {
			g.roles.release(id)
		}
	})
}

// put publishes the record of an active membership in g, replacing the
// one it had. Callers hold mu.
func (a *Authorizer) put(g *gen, r record) {
	org, user := r.ids()
	h := pairHash(org, user, a.seed)
	t := g.live.members
	if e := t.entry(h, isMember(org, user)); e != nil {
		replace(g, e, r)
		return
	}
	holdRecord(g, r, 1)
	if nt := t.put(h, &r[0], isMember(org, user)); nt != t {
		a.publish(g, &snapshot{env: g.live.env, members: nt})
	}
}

// replace publishes r in the entry e, which holds the record of the same
// membership, and counts the ids each names. Callers hold mu.
func replace(g *gen, e *tableEntry[byte], r record) {
	holdRecord(g, r, 1)
	old := e.v.Load()
	e.v.Store(&r[0])
	holdRecord(g, recordAt(old), -1)
}

// remove forgets the record of user's membership in org, if g has one.
// Callers hold mu.
func (a *Authorizer) remove(g *gen, org, user string) {
	t := g.live.members
	e := t.entry(pairHash(org, user, a.seed), isMember(org, user))
	if e == nil {
		return
	}
	old := e.v.Load()
	e.v.Store(t.gone)
	t.live--
	holdRecord(g, recordAt(old), -1)
}

// publish makes s g's live snapshot and, unless checks deny for
// staleness, the one checks read. Callers hold mu.
func (a *Authorizer) publish(g *gen, s *snapshot) {
	g.live = s
	if a.g != g {
		return // a generation being built
	}
	a.state.Lock()
	denying := a.denying
	a.state.Unlock()
	if !denying {
		a.root.Store(s)
	}
}
