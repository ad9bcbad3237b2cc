package rbac

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"
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

// orgPart is the part of a snapshot for one organization: the records of
// its active members (see record), which checks read through the member
// table, and what claims need besides.
type orgPart struct {
	id    string
	block []byte // the member records, one after the other
	// combos are the role sets of multi-role members, highest priority
	// first unless inherit.
	combos [][]uint32
	// roleSlugs are the organization roles held by members.
	roleSlugs []string
	inherit   bool // follows the environment priority order
}

func get32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// holds reports whether r is one of p's records.
func (p *orgPart) holds(r record) bool {
	if len(p.block) == 0 || len(r) == 0 {
		return false
	}
	start, at := uintptr(unsafe.Pointer(&p.block[0])), uintptr(unsafe.Pointer(&r[0]))
	return at >= start && at-start < uintptr(len(p.block))
}

// ---- branch-free selection ----
//
// A check at scale waits for memory, and consecutive checks overlap their
// waits only as long as the processor does not mispredict a branch that
// depends on what it is waiting for. So lookups choose among the few
// entries that may hold a key with arithmetic, and branch only where the
// outcome is predictable (the key is found, the bounds hold).

// ne returns 1 when a != b and 0 otherwise.
func ne(a, b uint64) uint64 {
	d := a ^ b
	return (d | -d) >> 63
}

// ltMask returns all ones when a < b and zero otherwise; a and b are below
// 1<<63.
func ltMask(a, b uint64) uint64 { return uint64(int64(a-b) >> 63) }

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
	if p := es[j].part.Load(); p != nil && p.id == id {
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
		if e.hash.Load() == h && p.id == id {
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
	if e := x.entry(h, p.id); e != nil {
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

// slab allocates parts and their blocks. Those of a full load are
// allocated many at a time, so that the snapshot lies together rather than
// among the garbage of loading, and a check finds the page tables of the
// memory it reads in cache. An allocation lives as long as one part in it
// does. Parts rebuilt later are allocated one at a time (a nil slab).
type slab struct {
	parts []orgPart
	bytes []byte
}

const (
	slabParts = 1024
	slabBytes = 1 << 20
)

func (s *slab) part() *orgPart {
	if s == nil {
		return new(orgPart)
	}
	if len(s.parts) == 0 {
		s.parts = make([]orgPart, slabParts)
	}
	p := &s.parts[0]
	s.parts = s.parts[1:]
	return p
}

// block returns a copy of b.
func (s *slab) block(b []byte) []byte {
	if s == nil || len(b) > slabBytes/4 {
		return append([]byte(nil), b...)
	}
	if len(b) > cap(s.bytes)-len(s.bytes) {
		s.bytes = make([]byte, 0, slabBytes)
	}
	at := len(s.bytes)
	s.bytes = append(s.bytes, b...)
	return s.bytes[at:len(s.bytes):len(s.bytes)]
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

	p := s.part()
	p.id, p.inherit, p.combos, p.roleSlugs = strings.Clone(org.ID), inherit, combos, roleSlugs
	buf := a.scratch[:0]
	bits := make([]uint64, width)
	var envRoles []uint32
	for k, m := range ms {
		clear(bits)
		envRoles = envRoles[:0]
		refs := []uint32{refOf[k]}
		if refOf[k]&refKind == refCombo {
			refs = combos[refOf[k]&refIndex]
		}
		for _, r := range refs {
			if r&refKind == refEnv {
				envRoles = append(envRoles, r&refIndex)
				continue
			}
			for w, x := range heldBits[r&refIndex] {
				bits[w] |= x
			}
		}
		orgBits := bits
		if len(envRoles) == len(refs) {
			orgBits = nil
		}
		buf = appendRecord(buf, org.ID, m.UserID, refOf[k], orgBits, envRoles)
	}
	p.block = s.block(buf)
	a.scratch = buf
	return p
}
