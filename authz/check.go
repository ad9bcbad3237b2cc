package authz

import (
	"slices"
	"sort"
	"unsafe"

	"github.com/orgroles/rbac"
)

// ---- reading ----
//
// Checks read immutable parts through atomic pointers: no lock, no
// allocation, and a cost that does not depend on the number of
// organizations, members or roles. A check hashes the permission, then the
// organization and user ids together, and reads one entry of a table
// keyed by that pair, which points to the membership's record: its ids,
// the id of the environment role it holds and the union of the permission
// bitsets of the organization roles it holds. Permission slugs are
// interned to small integers, so a set of permissions is a bitset. The
// answer is the bit of the permission in the environment role's bitset
// or in that union. Inactive, pending and missing memberships have no
// record, so they are denied — nearly always from the table entries
// alone, which show the pair absent without a record being read.
//
// A check at scale waits for memory, and the speed of a run of checks is
// how many of those waits overlap: how many checks the processor has
// under way at once. So a check reads two places that are not in cache —
// the table entry and the record, which lies in one piece of memory — and
// does not branch on what it reads there: it chooses among the table
// entries with arithmetic, and clamps the offsets of the bitset words it
// reads with arithmetic too. (A mispredicted branch on a record's width or
// roles is resolved only when the record arrives, and discards the work
// begun on the next checks meanwhile.) And it is short, so that more
// checks fit in the processor's window: ids of 1 to 64 bytes and slugs of
// 1 to 32, nearly all of them, are read as words (of 8 bytes, or the end
// bytes of a string under 8), hashed with a few multiplications and
// compared as integers, in one function.
//
// The measurements behind these choices are in docs/performance.md.

// snapshot is what checks and claims read: the environment part and the
// table of member records. The table is shared by the snapshots that
// follow one another and updated in place, entry by entry; the
// environment part is replaced whole.
type snapshot struct {
	env     *envPart
	members *memberTable
}

// envPart is the environment-level part of a snapshot.
type envPart struct {
	perms     *permTable // live permission slug → id
	permSlugs []string   // id → slug; "" for an id no live permission has
	sorted    []uint32   // ids of the live permissions, by slug
	roles     []envRole  // environment role id → role; slug "" when none
	// bits holds the roles' permission bitsets, width words each, and a
	// row of zeros (see word).
	bits  []uint64
	width uint64
}

type envRole struct {
	slug string
	rank int // position in the environment priority order
}

// word returns word w < e.width of the bitset of environment role id: of
// the zero row after the roles' when there is no such role, as for noRole
// or a role newer than the part. The row is clamped with arithmetic (see
// clamp), and the index, below len(e.bits) for w < e.width, is not
// checked again.
func (e *envPart) word(id, w uint64) uint64 {
	i := clamp(id, uint64(len(e.roles)))*e.width + w
	return load64(unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.bits)), 8*i))
}

// Can reports whether user has an active membership in org one of whose
// roles grants the permission. It takes no lock and does not allocate. A
// user, organization or permission the authorizer does not know is a
// plain false, and so is every check while the authorizer denies for
// staleness (see [WithMaxStaleness]).
func (a *Authorizer) Can(org, user, permission string) bool {
	s := a.root.Load()
	no, nu, np := len(org), len(user), len(permission)
	if !covered(no) || !covered(nu) || !inText(np) {
		return s.can(org, user, permission, a.seed)
	}
	// This is s.can for ids of 1 to 64 bytes and a slug of 1 to 32,
	// written out as one function (the parts of rawHash, idHash and
	// differ are inlined): the pair hash of the ids, the one table entry
	// pick chooses (none when the entries it reads show there is no such
	// membership), the record's header, a compare of the record's ids
	// with the query's, the permission's id, the bitset words. Anything
	// else (a record that is not in the candidate entry, several
	// environment roles) goes on with canFrom from that entry.
	po, pu, pp := data(org), data(user), data(permission)
	ol, oh := ends(po, no)
	ul, uh := ends(pu, nu)
	h := fold(ol, oh, no, a.seed)
	// The middle words' loops (see rawHash) start with a test of the
	// length, which keeps their setup off the path of ids and slugs of at
	// most 16 bytes.
	if no > 16 {
		for o := 8; 2*o < no; o += 8 {
			h ^= foldMiddle(po, no, o, a.seed)
		}
	}
	ho := spread(h)
	h = fold(ul, uh, nu, ho)
	if nu > 16 {
		for o := 8; 2*o < nu; o += 8 {
			h ^= foldMiddle(pu, nu, o, ho)
		}
	}
	h = spread(h)
	t := s.members
	es, m := unsafe.Pointer(unsafe.SliceData(t.entries)), t.mask
	i := t.home(h)
	k := pick(h, hashAt(es, i), hashAt(es, (i+1)&m), hashAt(es, (i+2)&m))
	if k == 3 && vacant(es, i, m) {
		return false // no such membership: no record read
	}
	j := (i + k) & m
	p := valueAt(es, j)
	if p == nil {
		return s.canFrom(j, h, org, user, permission)
	}
	h0, h1 := load64(p), load64(unsafe.Add(p, 8))
	width, envRoles := h1>>32&0xffff, h1>>48
	if uint32(h1) != uint32(no)|uint32(nu)<<16 || envRoles > 1 {
		return s.canFrom(j, h, org, user, permission)
	}
	ro := unsafe.Add(p, recordHeader+8*width)
	ru := unsafe.Add(ro, no)
	rol, roh := ends(ro, no)
	rul, ruh := ends(ru, nu)
	d := (rol ^ ol) | (roh ^ oh) | (rul ^ ul) | (ruh ^ uh)
	if no > 16 {
		for o := 8; 2*o < no; o += 8 {
			d |= differMiddle(ro, po, no, o)
		}
	}
	if nu > 16 {
		for o := 8; 2*o < nu; o += 8 {
			d |= differMiddle(ru, pu, nu, o)
		}
	}
	if d != 0 {
		return s.canFrom(j, h, org, user, permission)
	}
	env := s.env
	pt := env.perms
	pl, ph := ends(pp, np)
	hp := fold(pl, ph, np, pt.seed)
	if np > 16 { // a slug has at most 32 bytes: one pair of middle words
		hp ^= foldMiddle(pp, np, 8, pt.seed)
	}
	hp = spread(hp)
	var perm uint64
	pes := unsafe.Pointer(unsafe.SliceData(pt.entries))
	for i := pt.home(hp); ; i = (i + 1) & pt.mask {
		e := (*permEntry)(unsafe.Add(pes, i*permEntrySize)) // i ≤ mask
		d := (e.lo ^ pl) | (e.hi ^ ph) | uint64(e.n^uint32(np))
		if np > 16 {
			d |= differMiddle(unsafe.Pointer(&e.text), pp, np, 8)
		}
		if d == 0 {
			perm = uint64(e.id)
			break
		}
		if e.n == 0 {
			return false
		}
	}
	// grants, for at most one environment role.
	word := perm >> 6
	ow := load64(unsafe.Add(p, recordHeader+8*clamp(word, lastWord(width)))) & ltMask(word, width)
	ew := env.word(h0>>32, word)
	return (ow|ew)>>(perm&63)&1 != 0
}

// can is Authorizer.Can for any ids and slug.
func (s *snapshot) can(org, user, permission string, seed uint64) bool {
	h := pairHash(org, user, seed)
	return s.canFrom(s.members.home(h), h, org, user, permission)
}

// canFrom is s.can for a membership of pair hash h whose table entry, if
// any, is entry j or one after it: what Can does when the entry it reads
// is not the membership's or its record is not one the short path reads,
// and s.can from the home entry.
func (s *snapshot) canFrom(j, h uint64, org, user, permission string) bool {
	if testHookGeneral != nil {
		testHookGeneral()
	}
	r := s.members.probeFrom(h, j, isMember(org, user))
	if r == nil {
		return false
	}
	perm, ok := s.env.perms.get(permission)
	return ok && grants(r, s.env, perm)
}

// testHookGeneral, when set by a test, is called on each check the general
// path answers.
var testHookGeneral func()

// CanAt is [Authorizer.Can] with the revision of the answer: it reflects
// every write committed at or before that revision.
func (a *Authorizer) CanAt(org, user, permission string) (ok bool, revision int64) {
	revision = a.rev.Load()
	return a.Can(org, user, permission), revision
}

// Claims returns the session claims of user in org: the organization id,
// the primary role, every role highest priority first and the sorted
// union of their permissions. ok is false when the user has no active
// membership there (and while the authorizer denies for staleness). It
// allocates the claims' slices and nothing else.
func (a *Authorizer) Claims(org, user string) (c rbac.Claims, ok bool) {
	s := a.root.Load()
	p := findMember(s.members, pairHash(org, user, a.seed), org, user)
	if p == nil {
		return rbac.Claims{}, false
	}
	r := recordAt(p)
	var buf [4]heldRole
	kind, roles := r.roles(buf[:0])
	c = rbac.Claims{OrganizationID: org, Roles: make([]string, len(roles)), Permissions: []string{}}
	for i, h := range roles {
		c.Roles[i] = s.env.slug(h)
	}
	if kind == unordered {
		// The organization follows the environment order, which may
		// change without its records: sort now, as the Service does
		// (roles missing from the order last, by slug).
		rank := func(h heldRole) int {
			if h.env && int(h.id) < len(s.env.roles) && s.env.roles[h.id].slug != "" {
				return s.env.roles[h.id].rank
			}
			return len(s.env.roles)
		}
		idx := make([]int, len(roles))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool {
			ri, rj := rank(roles[idx[i]]), rank(roles[idx[j]])
			if ri != rj {
				return ri < rj
			}
			return c.Roles[idx[i]] < c.Roles[idx[j]]
		})
		sorted := make([]string, len(roles))
		for i, k := range idx {
			sorted[i] = c.Roles[k]
		}
		c.Roles = sorted
	}
	if len(c.Roles) > 0 {
		c.Role = c.Roles[0]
	}
	for _, id := range s.env.sorted {
		if grants(p, s.env, id) {
			c.Permissions = append(c.Permissions, s.env.permSlugs[id])
		}
	}
	return c, true
}

// slug returns the slug of a held role: an organization role's own, an
// environment role's from the part ("" for a role the part does not
// have).
func (e *envPart) slug(h heldRole) string {
	if !h.env {
		return h.slug
	}
	if int(h.id) < len(e.roles) {
		return e.roles[h.id].slug
	}
	return ""
}

// ClaimsAt is [Authorizer.Claims] with the revision of the answer.
func (a *Authorizer) ClaimsAt(org, user string) (c rbac.Claims, ok bool, revision int64) {
	revision = a.rev.Load()
	c, ok = a.Claims(org, user)
	return c, ok, revision
}

// sortByPriority sorts slugs in place, highest priority first in order;
// slugs absent from order sort last, by slug — as the Service presents a
// membership's roles.
func sortByPriority(slugs []string, order []string) {
	if len(slugs) < 2 {
		return
	}
	pos := func(s string) int {
		if p := slices.Index(order, s); p >= 0 {
			return p
		}
		return len(order)
	}
	sort.SliceStable(slugs, func(i, j int) bool {
		pi, pj := pos(slugs[i]), pos(slugs[j])
		if pi != pj {
			return pi < pj
		}
		return slugs[i] < slugs[j]
	})
}
