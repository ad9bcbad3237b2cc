package rbac

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
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
// entries that may hold a key with arithmetic, and branch on what they
// read only where the outcome is predictable (the key is found, the
// bounds hold).

// ne returns 1 when a != b and 0 otherwise.
func ne(a, b uint64) uint64 {
	var n uint64
	if a != b { // compiled to a flag set, not a branch
		n = 1
	}
	return n
}

// ltMask returns all ones when a < b and zero otherwise; a and b are below
// 1<<63.
func ltMask(a, b uint64) uint64 { return uint64(int64(a-b) >> 63) }

// clamp returns min(a, b) for a and b below 1<<63, computed with
// arithmetic: the compiler makes a branch of min, and a check must not
// branch on what it reads from a record (see Authorizer.Can).
func clamp(a, b uint64) uint64 { return b + (a-b)&ltMask(a, b) }

// lastWord returns max(width, 1) - 1, the last word of a record's bitset
// of width words that a check may read, with arithmetic (see clamp).
func lastWord(width uint64) uint64 { return width - 1 + (width-1)>>63 }

// pick returns the distance from a home entry to the first of it and the
// next two entries whose hash (h0, h1, h2) is h, and otherwise 3: the one
// entry a lookup then verifies. A table at most half full nearly always
// holds a key within four entries of its home entry; a lookup probes on
// from there in the rare other case.
func pick(h, h0, h1, h2 uint64) uint64 {
	n0 := ne(h, h0)
	n1 := ne(h, h1) & n0
	return n0 + n1 + ne(h, h2)&n1
}

// ---- index of organization parts ----

// orgIndex maps organization ids to their parts.
type orgIndex = table[orgPart]

// deleted marks the entry of a deleted organization: its id "" matches no
// organization.
var deleted = &orgPart{}

func newOrgIndex(n int) *orgIndex { return newTable(n, deleted) }

// isOrg returns the key of organization id.
func isOrg(id string) func(*orgPart) bool { return func(p *orgPart) bool { return p.id == id } }

// findOrg returns the part of organization id, whose hash is h, or nil.
func findOrg(x *orgIndex, h uint64, id string) *orgPart {
	if p := x.candidate(h); p != nil && p.id == id {
		return p
	}
	return x.probe(h, isOrg(id))
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
