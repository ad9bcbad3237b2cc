package rbac

import (
	"encoding/binary"
	"unsafe"
)

// ---- member records ----
//
// A check reads one member record: everything it needs about one active
// membership, in a few dozen contiguous bytes of its organization part's
// block:
//
//	offset  size            field
//	0       4               role reference (for claims)
//	4       4               id of the first environment role held (noRole when none)
//	8       2               length of the organization id
//	10      2               length of the user id
//	12      2               width: words of the organization roles' bitset
//	14      2               number of environment roles held
//	16      8 × width       union of the permission bitsets of the
//	                        organization roles held
//	…       4 × (n-1)       ids of the other environment roles held
//	…                       organization id, user id
//	…                       zero bytes up to a multiple of 8, at least 24 bytes
//
// Numbers are little-endian. Records start at multiples of 8 in their
// block, so the bitset words are aligned. They are written once, before
// the part holding them is published, and never changed; a record is
// reached through a pointer to its first byte, which keeps the whole block
// alive.

const recordHeader = 16

// recordLen returns the length of a record with the given field sizes,
// and the offset of its organization id.
func recordLen(width, envRoles, orgLen, userLen int) (n, idsAt int) {
	idsAt = recordHeader + 8*width + 4*max(envRoles-1, 0)
	return max(24, (idsAt+orgLen+userLen+7)&^7), idsAt
}

// appendRecord appends the record of user's membership in org.
func appendRecord(b []byte, org, user string, ref uint32, orgBits []uint64, envRoles []uint32) []byte {
	start := len(b)
	first := uint32(noRole)
	if len(envRoles) > 0 {
		first = envRoles[0]
	}
	b = binary.LittleEndian.AppendUint32(b, ref)
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
	n, _ := recordLen(len(orgBits), len(envRoles), len(org), len(user))
	return append(b, make([]byte, n-(len(b)-start))...)
}

// record is a member record.
type record []byte

// header returns the header of the record p points to.
func header(p *byte) *[recordHeader]byte { return (*[recordHeader]byte)(unsafe.Pointer(p)) }

// fields returns the record's field sizes.
func fields(h *[recordHeader]byte) (width, envRoles, orgLen, userLen int) {
	return int(get16(h[12:])), int(get16(h[14:])), int(get16(h[8:])), int(get16(h[10:]))
}

// recordAt returns the record whose first byte p points to.
func recordAt(p *byte) record {
	n, _ := recordLen(fields(header(p)))
	return unsafe.Slice(p, n)
}

func get16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

func (r record) ref() uint32 { return get32(r) }

// ids returns the organization and user ids.
func (r record) ids() (org, user string) {
	w, e, n, m := fields(header(&r[0]))
	_, at := recordLen(w, e, n, m)
	return string(r[at : at+n]), string(r[at+n : at+n+m])
}

// is reports whether the record p points to is the membership of user in
// org.
func is(p *byte, org, user string) bool {
	w, e, n, m := fields(header(p))
	_, at := recordLen(w, e, n, m)
	ids := unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(p), at)), n+m)
	return n == len(org) && m == len(user) && ids[:n] == org && ids[n:] == user
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

// noRole is the environment role id of a record holding none.
const noRole = 1<<32 - 1

// word returns word w < e.width of the bitset of environment role id: of
// the zero row after the roles' when there is no such role, as for noRole
// or a role newer than the part. The row is clamped with arithmetic (see
// clamp), and the index, below len(e.bits) for w < e.width, is not
// checked again.
func (e *envPart) word(id, w uint64) uint64 {
	i := clamp(id, uint64(len(e.roles)))*e.width + w
	return load64(unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.bits)), 8*i))
}

// records calls f with each record of block b.
func records(b []byte, f func(record)) {
	for at := 0; at < len(b); {
		r := recordAt(&b[at])
		f(r)
		at += len(r)
	}
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

// putRecord publishes r, replacing the record of the same membership, and
// returns the table to use from now on (see table.put).
func putRecord(t *memberTable, seed uint64, r record) *memberTable {
	org, user := r.ids()
	return t.put(pairHash(org, user, seed), &r[0], isMember(org, user))
}
