package rbac

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
)

// Role references held by members: the top two bits give the kind, the
// rest the index.
const (
	refEnv   uint32 = 0 << 30 // an environment role id (envPart.roles)
	refOrg   uint32 = 1 << 30 // an organization role of the part (orgPart.roleSlugs)
	refCombo uint32 = 2 << 30 // several roles (orgPart.combos)
	refKind  uint32 = 3 << 30
	refIndex uint32 = 1<<30 - 1
)

// orgPart is the part of a snapshot for one organization. A check reads
// its first fields and then only its block, buf, laid out as
//
//	member table | organization id | user ids | role bitsets | 8 zero bytes
//
// The member table has a power-of-two number of 16-byte entries, each four
// little-endian 32-bit words: the user id's hash, the member's role
// reference, and the offset and length in buf of the user id (length 0
// in an empty entry). The role bitsets are those of the organization roles
// members hold, width words each. The zero bytes at the end let a check
// read a bitset word at a clamped offset without a branch.
type orgPart struct {
	buf    []byte
	mask   uint32 // member table entries - 1
	width  uint32 // 64-bit words of each organization role's bitset
	idAt   uint32 // the organization id is buf[idAt : idAt+idLen]
	idLen  uint32
	bitsAt uint32
	// combos are the role sets of multi-role members, highest priority
	// first unless inherit.
	combos [][]uint32
	// roleSlugs are the organization roles held by members.
	roleSlugs []string
	inherit   bool // follows the environment priority order
}

const entrySize = 16 // bytes of a member table entry

func (p *orgPart) id() string { return string(p.buf[p.idAt : p.idAt+p.idLen]) }

func get32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// ---- branch-free selection ----
//
// A check at scale waits for memory: the organization's index entry, its
// part, its block. Consecutive checks overlap their waits only as long as
// the processor does not mispredict a branch that depends on what it is
// waiting for, so the lookups below choose among candidates with
// arithmetic where the outcome is not predictable (which of a few entries
// holds the key, which kind of role a member holds), and branch only where
// it is (the key is found, the bounds hold).

// ne returns 1 when a != b and 0 otherwise.
func ne(a, b uint64) uint64 {
	d := a ^ b
	return (d | -d) >> 63
}

// eqMask returns all ones when a == b and zero otherwise.
func eqMask(a, b uint64) uint64 { return ne(a, b) - 1 }

// ltMask returns all ones when a < b and zero otherwise; a and b are below
// 1<<63.
func ltMask(a, b uint64) uint64 { return uint64(int64(a-b) >> 63) }

// choose returns y where mask is all ones and x where it is zero.
func choose(x, y, mask uint64) uint64 { return x&^mask | y&mask }

// next2 returns the two entries after i in a table of mask+1.
func next2(i, mask uint64) (i1, i2 uint64) { return (i + 1) & mask, (i + 2) & mask }

// pick returns the distance from a home entry to the first of it and the
// next two entries whose hash (h0, h1, h2) is h, and otherwise 3: the one
// entry a lookup then verifies. A table at most half full nearly always
// holds a key within four entries of its home entry; a lookup probes on
// from there in the rare other case.
func pick(h, h0, h1, h2 uint64) uint64 {
	return ne(h0, h) * (1 + ne(h1, h)*(1+ne(h2, h)))
}

// ---- index of organization parts ----

// orgIndex is an open-addressing table of organization parts, at most half
// full counting deleted entries. Entries are updated in place with atomic
// stores: a changed organization replaces its part's pointer; a new one
// fills an empty entry (hash first, then pointer, so a reader that sees the
// pointer sees the hash); a deleted one gets the deleted marker. When the
// table is half full a copy twice as large replaces it (amortized O(1) per
// organization added, and never a copy per write).
type orgIndex struct {
	mask    uint64
	live    int // writers only
	used    int // live and deleted entries; writers only
	entries []orgEntry
}

type orgEntry struct {
	hash atomic.Uint64
	part atomic.Pointer[orgPart]
}

// deleted marks the entry of a deleted organization: its id "" matches no
// organization, and probing goes on past it.
var deleted = &orgPart{}

func newOrgIndex(n int) *orgIndex {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &orgIndex{mask: uint64(size - 1), entries: make([]orgEntry, size)}
}

// find returns the part of organization id, or nil.
func (x *orgIndex) find(h uint64, id string) *orgPart {
	es, i := x.entries, h&x.mask
	i1, i2 := next2(i, x.mask)
	j := (i + pick(h, es[i].hash.Load(), es[i1].hash.Load(), es[i2].hash.Load())) & x.mask
	// A writer may replace the part after the hash was read: the newer
	// part is as good an answer.
	if p := es[j].part.Load(); p != nil && p.id() == id {
		return p
	}
	if e := x.entry(h, id); e != nil {
		return e.part.Load()
	}
	return nil
}

// entry returns the entry of organization id, or nil.
func (x *orgIndex) entry(h uint64, id string) *orgEntry {
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		e := &x.entries[i]
		p := e.part.Load()
		if p == nil {
			return nil
		}
		if e.hash.Load() == h && p.id() == id {
			return e
		}
	}
}

func (x *orgIndex) insert(h uint64, p *orgPart) {
	i := h & x.mask
	for x.entries[i].part.Load() != nil {
		i = (i + 1) & x.mask
	}
	x.entries[i].hash.Store(h)
	x.entries[i].part.Store(p)
	x.live++
	x.used++
}

// put publishes p, replacing the part of the same organization. It
// returns the index to use from now on: x, or a larger copy when x was
// full, which the caller must publish. Callers hold the authorizer's mu.
func (x *orgIndex) put(h uint64, p *orgPart) *orgIndex {
	if e := x.entry(h, p.id()); e != nil {
		e.part.Store(p)
		return x
	}
	if 2*(x.used+1) > len(x.entries) {
		nx := newOrgIndex(x.live + 1)
		for i := range x.entries {
			e := &x.entries[i]
			if q := e.part.Load(); q != nil && q != deleted {
				nx.insert(e.hash.Load(), q)
			}
		}
		x = nx
	}
	x.insert(h, p)
	return x
}

// remove drops the organization id. Callers hold the authorizer's mu.
func (x *orgIndex) remove(h uint64, id string) {
	if e := x.entry(h, id); e != nil {
		e.part.Store(deleted)
		x.live--
	}
}

// ---- reading a part ----

// member returns the role reference of user, whose hash is h, and whether
// user is an active member.
func (p *orgPart) member(h uint32, user string) (uint32, bool) {
	b, i := p.buf, uint64(h&p.mask)
	i1, i2 := next2(i, uint64(p.mask))
	hash := func(i uint64) uint64 { return uint64(get32(b[i*entrySize:])) }
	j := (i + pick(uint64(h), hash(i), hash(i1), hash(i2))) & uint64(p.mask)
	if ref, ok := p.entry(j, h, user); ok {
		return ref, true
	}
	for i := h & p.mask; ; i = (i + 1) & p.mask {
		if get32(b[i*entrySize+12:]) == 0 {
			return 0, false
		}
		if ref, ok := p.entry(uint64(i), h, user); ok {
			return ref, true
		}
	}
}

// entry returns the role reference of member table entry i if it holds
// user, whose hash is h.
func (p *orgPart) entry(i uint64, h uint32, user string) (uint32, bool) {
	e := p.buf[i*entrySize : i*entrySize+entrySize]
	at, n := get32(e[8:]), get32(e[12:])
	if n != 0 && get32(e) == h && string(p.buf[at:at+n]) == user {
		return get32(e[4:]), true
	}
	return 0, false
}

// has reports whether the role ref grants permission id perm.
func (p *orgPart) has(env *envPart, ref, perm uint32) bool {
	if ref&refKind == refCombo {
		for _, r := range p.combos[ref&refIndex] {
			if p.has(env, r, perm) {
				return true
			}
		}
		return false
	}
	// Both candidate words are read, at clamped offsets, and the role's
	// kind picks one.
	i, word := uint64(ref&refIndex), uint64(perm>>6)
	ek := i*env.width + word
	ew := env.bits[min(ek, uint64(len(env.bits)-1))] &
		ltMask(i, uint64(len(env.roles))) & ltMask(word, env.width)
	ok := uint64(p.bitsAt) + 8*(i*uint64(p.width)+word)
	ow := binary.LittleEndian.Uint64(p.buf[min(ok, uint64(len(p.buf)-8)):]) &
		ltMask(word, uint64(p.width))
	w := choose(ew, ow, eqMask(uint64(ref&refKind), uint64(refOrg)))
	return w>>(perm&63)&1 != 0
}

func (p *orgPart) slug(env *envPart, ref uint32) string {
	i := ref & refIndex
	if ref&refKind == refOrg {
		return p.roleSlugs[i]
	}
	if int(i) < len(env.roles) {
		return env.roles[i].slug
	}
	return ""
}

// ---- building a part ----

// withBlock is a part and its block in one allocation, so that a check
// reaches both through one pointer and one page.
type withBlock[B any] struct {
	orgPart
	block B
}

// pool hands out parts whose blocks fit in B, count at a time.
type pool[B any] []withBlock[B]

func (pl *pool[B]) get(n, count int, bytes func(*B) []byte) *orgPart {
	if len(*pl) == 0 {
		*pl = make([]withBlock[B], max(count, 1))
	}
	x := &(*pl)[0]
	*pl = (*pl)[1:]
	x.buf = bytes(&x.block)[:n:n]
	return &x.orgPart
}

// slab allocates parts. Those of a full load are allocated many at a time,
// so that the parts of a snapshot lie together rather than among the
// garbage of loading, and a check finds the page tables of the memory it
// reads in cache. An allocation lives as long as one part in it does.
// Parts rebuilt later are allocated one at a time (a nil slab).
type slab struct {
	p64   pool[[64]byte]
	p128  pool[[128]byte]
	p192  pool[[192]byte]
	p256  pool[[256]byte]
	p384  pool[[384]byte]
	p512  pool[[512]byte]
	p768  pool[[768]byte]
	p1024 pool[[1024]byte]
	p1536 pool[[1536]byte]
	p2048 pool[[2048]byte]
	p3072 pool[[3072]byte]
	p4096 pool[[4096]byte]
}

// slabBytes is about how much memory a slab allocates at a time.
const slabBytes = 64 << 10

// part returns a part with a block of n zero bytes.
func (s *slab) part(n int) *orgPart {
	if s == nil {
		s = &slab{} // every pool allocates one part
	}
	c := func(size int) int { return slabBytes / size }
	switch {
	case n <= 64:
		return s.p64.get(n, c(64), func(b *[64]byte) []byte { return b[:] })
	case n <= 128:
		return s.p128.get(n, c(128), func(b *[128]byte) []byte { return b[:] })
	case n <= 192:
		return s.p192.get(n, c(192), func(b *[192]byte) []byte { return b[:] })
	case n <= 256:
		return s.p256.get(n, c(256), func(b *[256]byte) []byte { return b[:] })
	case n <= 384:
		return s.p384.get(n, c(384), func(b *[384]byte) []byte { return b[:] })
	case n <= 512:
		return s.p512.get(n, c(512), func(b *[512]byte) []byte { return b[:] })
	case n <= 768:
		return s.p768.get(n, c(768), func(b *[768]byte) []byte { return b[:] })
	case n <= 1024:
		return s.p1024.get(n, c(1024), func(b *[1024]byte) []byte { return b[:] })
	case n <= 1536:
		return s.p1536.get(n, c(1536), func(b *[1536]byte) []byte { return b[:] })
	case n <= 2048:
		return s.p2048.get(n, c(2048), func(b *[2048]byte) []byte { return b[:] })
	case n <= 3072:
		return s.p3072.get(n, c(3072), func(b *[3072]byte) []byte { return b[:] })
	case n <= 4096:
		return s.p4096.get(n, c(4096), func(b *[4096]byte) []byte { return b[:] })
	}
	return &orgPart{buf: make([]byte, n)}
}

// buildOrg builds the part of org, whose organization roles are roles and
// whose active memberships are ms, with memory from s.
func (a *Authorizer) buildOrg(s *slab, org Organization, roles []Role, ms []Membership) *orgPart {
	inherit := !org.HasOwnSettings()
	orgRoles := make(map[string]*Role, len(roles))
	for i := range roles {
		orgRoles[roles[i].Slug] = &roles[i]
	}
	held := map[string]uint32{} // organization role slug → index
	var (
		roleSlugs []string
		heldBits  [][]uint64
		combos    [][]uint32
		width     int
	)
	ref := func(slug string) (uint32, bool) {
		if !IsOrganizationRoleSlug(slug) {
			return refEnv | a.roleID(slug), true
		}
		if i, ok := held[slug]; ok {
			return refOrg | i, true
		}
		r, ok := orgRoles[slug]
		if !ok {
			return 0, false // not visible here (the invariants exclude it)
		}
		i := uint32(len(roleSlugs))
		held[slug] = i
		roleSlugs = append(roleSlugs, strings.Clone(slug))
		heldBits = append(heldBits, a.bitset(r.Permissions))
		width = max(width, len(heldBits[i]))
		return refOrg | i, true
	}
	comboOf := map[string]uint32{}
	var key []byte
	refOf := make([]uint32, len(ms))
	for k, m := range ms {
		if len(m.Roles) == 1 {
			if r, ok := ref(m.Roles[0]); ok {
				refOf[k] = r
				continue
			}
		}
		slugs := slices.Clone(m.Roles)
		if !inherit {
			sortByPriority(slugs, org.PriorityOrder)
		} else {
			slices.Sort(slugs)
		}
		var refs []uint32
		for _, s := range slugs {
			if r, ok := ref(s); ok {
				refs = append(refs, r)
			}
		}
		if len(refs) == 1 {
			refOf[k] = refs[0]
			continue
		}
		key = key[:0]
		for _, x := range refs {
			key = fmt.Appendf(key, "%d,", x)
		}
		i, ok := comboOf[string(key)]
		if !ok {
			i = uint32(len(combos))
			comboOf[string(key)] = i
			combos = append(combos, refs)
		}
		refOf[k] = refCombo | i
	}

	size := 1 // with an empty entry, where a probe stops
	for size < len(ms)+len(ms)/2+1 {
		size <<= 1
	}
	n := size*entrySize + len(org.ID) + 8*width*len(heldBits) + 8
	for _, m := range ms {
		n += len(m.UserID)
	}
	p := s.part(n)
	p.mask, p.width, p.inherit, p.combos, p.roleSlugs = uint32(size-1), uint32(width), inherit, combos, roleSlugs
	at := size * entrySize
	p.idAt, p.idLen = uint32(at), uint32(len(org.ID))
	at += copy(p.buf[at:], org.ID)
	for k, m := range ms {
		p.insert(a.seed, at, m.UserID, refOf[k])
		at += len(m.UserID)
	}
	p.bitsAt = uint32(at)
	for _, b := range heldBits {
		for w := range width {
			if w < len(b) {
				binary.LittleEndian.PutUint64(p.buf[at:], b[w])
			}
			at += 8
		}
	}
	return p
}

// insert copies user to buf[at:] and adds its member table entry.
func (p *orgPart) insert(seed uint64, at int, user string, ref uint32) {
	copy(p.buf[at:], user)
	h := uint32(strhash(user, seed))
	i := h & p.mask
	for get32(p.buf[i*entrySize+12:]) != 0 {
		i = (i + 1) & p.mask
	}
	e := p.buf[i*entrySize:]
	binary.LittleEndian.PutUint32(e, h)
	binary.LittleEndian.PutUint32(e[4:], ref)
	binary.LittleEndian.PutUint32(e[8:], uint32(at))
	binary.LittleEndian.PutUint32(e[12:], uint32(len(user)))
}
