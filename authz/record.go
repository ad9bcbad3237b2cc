package authz

import (
	"encoding/binary"
	"unsafe"
)

// ---- member records ----
//
// A check reads one member record: everything it needs about one active
// membership, in a few dozen contiguous bytes of memory of their own:
//
//	offset  size            field
//	0       4               roles, for claims (see below)
//	4       4               id of the first environment role held (noRole when none)
//	8       2               length of the organization id
//	10      2               length of the user id
//	12      2               width: words of the organization roles' bitset
//	14      2               number of environment roles held
//	16      8 × width       union of the permission bitsets of the
//	                        organization roles held
//	…       4 × (n-1)       ids of the other environment roles held
//	…                       organization id, user id
//	…                       the roles' section, for claims (see below)
//	…                       zero bytes up to a multiple of 8, at least 24 bytes
//
// Numbers are little-endian. Records are allocated on their own (so
// their bitset words are aligned), written once before they are
// published in the member table, and never changed: a change to a
// membership publishes a new record in its entry.
//
// The first field says which roles the membership holds, and so what
// claims list, in its top two bits:
//
//   - oneEnv: one role, the environment role of field 4;
//   - oneOrg: one role, an organization role, whose slug is the roles'
//     section; the low bits are the slug's length;
//   - ordered: several roles, highest priority first: the roles' section
//     holds them; the low bits are how many;
//   - unordered: several roles of an organization that follows the
//     environment priority order, which may change without the record:
//     claims sort them when they are built.
//
// The roles' section of several roles is, for each, one byte n and then
// the slug of an organization role of n bytes or, for n = 0, the 4-byte
// id of an environment role. Organization role slugs are in the records
// rather than interned: an organization role concerns only its holders,
// and its slug costs a dozen bytes in each of them, where an interning
// table would have to be shared with readers and reclaimed.
const recordHeader = 16

// The kinds of the roles field.
const (
	oneEnv    uint32 = 0 << 30
	oneOrg    uint32 = 1 << 30
	ordered   uint32 = 2 << 30
	unordered uint32 = 3 << 30
	kindMask  uint32 = 3 << 30
	countMask uint32 = 1<<30 - 1
)

// noRole is the environment role id of a record holding none.
const noRole = 1<<32 - 1

// heldRole is one role of a record's roles' section: an environment role
// id, or an organization role slug.
type heldRole struct {
	env  bool
	id   uint32
	slug string
}

// recordLen returns the length of a record with the given field sizes,
// and the offset of its organization id.
func recordLen(width, envRoles, orgLen, userLen, section int) (n, idsAt int) {
	idsAt = recordHeader + 8*width + 4*max(envRoles-1, 0)
	return max(24, (idsAt+orgLen+userLen+section+7)&^7), idsAt
}

// sectionLen returns the length of the roles' section of a record whose
// roles field is kind.
func sectionLen(roles []heldRole, kind uint32) int {
	switch kind {
	case oneEnv:
		return 0
	case oneOrg:
		return len(roles[0].slug)
	}
	n := 0
	for _, r := range roles {
		if r.env {
			n += 5
		} else {
			n += 1 + len(r.slug)
		}
	}
	return n
}

// appendRecord appends the record of user's membership in org, which
// holds roles (in the order claims list them, for kind ordered; see
// recordKind), the environment roles envRoles and, from its organization
// roles, the permissions of orgBits.
func appendRecord(b []byte, org, user string, kind uint32, roles []heldRole, orgBits []uint64, envRoles []uint32) []byte {
	start := len(b)
	first := uint32(noRole)
	if len(envRoles) > 0 {
		first = envRoles[0]
	}
	field := kind
	switch kind {
	case oneOrg:
		field |= uint32(len(roles[0].slug))
	case ordered, unordered:
		field |= uint32(len(roles))
	}
	b = binary.LittleEndian.AppendUint32(b, field)
	b = binary.LittleEndian.AppendUint32(b, first)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(org)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(user)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(orgBits)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(envRoles)))
	for _, w := range orgBits {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	for _, id := range envRoles[min(1, len(envRoles)):] {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	b = append(b, org...)
	b = append(b, user...)
	switch kind {
	case oneOrg:
		b = append(b, roles[0].slug...)
	case ordered, unordered:
		for _, r := range roles {
			if r.env {
				b = append(b, 0)
				b = binary.LittleEndian.AppendUint32(b, r.id)
			} else {
				b = append(b, byte(len(r.slug)))
				b = append(b, r.slug...)
			}
		}
	}
	n, _ := recordLen(len(orgBits), len(envRoles), len(org), len(user), sectionLen(roles, kind))
	return append(b, make([]byte, n-(len(b)-start))...)
}

// recordKind returns the kind of the roles field of a record holding
// roles, in an organization that follows the environment order when
// inherit is true.
func recordKind(roles []heldRole, inherit bool) uint32 {
	switch {
	case len(roles) == 1 && roles[0].env:
		return oneEnv
	case len(roles) == 1:
		return oneOrg
	case inherit:
		return unordered
	}
	return ordered
}

// record is a member record.
type record []byte

// header returns the header of the record p points to.
func header(p *byte) *[recordHeader]byte { return (*[recordHeader]byte)(unsafe.Pointer(p)) }

// fields returns the record's field sizes: the width of its bitset, the
// number of environment roles, the lengths of its ids and of its roles'
// section.
func fields(h *[recordHeader]byte) (width, envRoles, orgLen, userLen, section int) {
	width, envRoles, orgLen, userLen = int(get16(h[12:])), int(get16(h[14:])), int(get16(h[8:])), int(get16(h[10:]))
	field := get32(h[0:])
	switch field & kindMask {
	case oneOrg:
		section = int(field & countMask)
	case ordered, unordered:
		if field&countMask == 0 {
			break
		}
		// The section's length is not in the header: walk it.
		_, idsAt := recordLen(width, envRoles, orgLen, userLen, 0)
		p := unsafe.Add(unsafe.Pointer(h), idsAt+orgLen+userLen)
		for range field & countMask {
			n := int(*(*byte)(unsafe.Add(p, section)))
			if n == 0 {
				n = 4
			}
			section += 1 + n
		}
	}
	return width, envRoles, orgLen, userLen, section
}

// recordAt returns the record whose first byte p points to.
func recordAt(p *byte) record {
	n, _ := recordLen(fields(header(p)))
	return unsafe.Slice(p, n)
}

func get16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func get32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// ids returns the organization and user ids. They alias the record, which
// never changes.
func (r record) ids() (org, user string) {
	w, e, n, m, _ := fields(header(&r[0]))
	_, at := recordLen(w, e, n, m, 0)
	return unsafe.String(&r[at], n), unsafe.String(&r[at+n], m)
}

// roles appends to out the roles the record holds, in the order of its
// roles' section (or the one environment role). Slugs alias the record.
func (r record) roles(out []heldRole) (kind uint32, _ []heldRole) {
	h := header(&r[0])
	w, e, n, m, _ := fields(h)
	_, at := recordLen(w, e, n, m, 0)
	field := get32(h[0:])
	kind = field & kindMask
	p := at + n + m
	switch kind {
	case oneEnv:
		return kind, append(out, heldRole{env: true, id: get32(h[4:])})
	case oneOrg:
		return kind, append(out, heldRole{slug: unsafe.String(&r[p], int(field&countMask))})
	}
	first := len(out)
	out = append(out, make([]heldRole, field&countMask)...)
	for i := first; i < len(out); i++ {
		l := int(r[p])
		p++
		if l == 0 {
			out[i] = heldRole{env: true, id: get32(r[p:])}
			p += 4
		} else {
			out[i] = heldRole{slug: unsafe.String(&r[p], l)}
			p += l
		}
	}
	return kind, out
}

// envRoleIDs calls f with the id of each environment role the record
// holds.
func (r record) envRoleIDs(f func(uint32)) {
	h := header(&r[0])
	w, e := int(get16(h[12:])), int(get16(h[14:]))
	if e == 0 {
		return
	}
	f(get32(h[4:]))
	for k := range e - 1 {
		f(get32(r[recordHeader+8*w+4*k:]))
	}
}

// orgBits returns the record's bitset of organization-role permissions.
func (r record) orgBits() []uint64 {
	w := int(get16(r[12:]))
	out := make([]uint64, w)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(r[recordHeader+8*i:])
	}
	return out
}

// is reports whether the record p points to is the membership of user in
// org.
func is(p *byte, org, user string) bool {
	w, e, n, m, _ := fields(header(p))
	_, at := recordLen(w, e, n, m, 0)
	ids := unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(p), at)), n+m)
	return n == len(org) && m == len(user) && ids[:n] == org && ids[n:] == user
}

// isOf reports whether the record p points to is a membership of org.
func isOf(p *byte, org string) bool {
	w, e, n, m, _ := fields(header(p))
	_, at := recordLen(w, e, n, m, 0)
	return n == len(org) && unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(p), at)), n) == org
}

// grants reports whether the roles of the record p points to grant
// permission id perm, a permission of env. The organization roles' word
// is read at a clamped offset and masked, and a record without
// environment roles reads the zero row (see envPart.word), so that
// every record takes the same steps, without a branch on what the record
// holds (see Authorizer.Can).
func grants(p *byte, env *envPart, perm uint32) bool {
	h := header(p)
	word, width, n := uint64(perm>>6), uint64(get16(h[12:])), int(get16(h[14:]))
	ow := *(*uint64)(unsafe.Add(unsafe.Pointer(p), recordHeader+8*clamp(word, lastWord(width)))) &
		ltMask(word, width)
	ew := env.word(uint64(get32(h[4:])), word)
	for k := range max(n-1, 0) { // several environment roles: rare
		at := recordHeader + 8*int(width) + 4*k
		ew |= env.word(uint64(*(*uint32)(unsafe.Add(unsafe.Pointer(p), at))), word)
	}
	return (ow|ew)>>(perm&63)&1 != 0
}

// ---- the table of member records ----

// memberTable maps an organization and user id pair to its member record.
type memberTable = table[byte]

// removed is the record of a removed entry; it matches no membership.
var removed = &make([]byte, 24)[0]

func newMemberTable(n int) *memberTable { return newTable(n, removed) }

// isMember returns the key of user's membership in org.
func isMember(org, user string) func(*byte) bool {
	return func(p *byte) bool { return is(p, org, user) }
}

// findMember returns the record of user's membership in org, whose pair
// hash is h, or nil. The common case, the candidate entry, makes no call
// through a function value.
func findMember(t *memberTable, h uint64, org, user string) *byte {
	if p := t.candidate(h); p != nil && is(p, org, user) {
		return p
	}
	return t.probe(h, isMember(org, user))
}

// each calls f with every live record of t. Writers only.
func (t *table[V]) each(f func(*V)) {
	t.eachEntry(func(_ *tableEntry[V], v *V) { f(v) })
}

// eachEntry calls f with every entry of t holding a live record, and the
// record. Writers only.
func (t *table[V]) eachEntry(f func(*tableEntry[V], *V)) {
	for i := range t.entries {
		if v := t.entries[i].v.Load(); v != nil && v != t.gone {
			f(&t.entries[i], v)
		}
	}
}
