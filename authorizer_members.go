package rbac

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// ---- member records ----
//
// A check reads one member record: everything it needs about one active
// membership, in a few dozen contiguous bytes of its organization part's
// block:
//
//	offset  size        field
//	0       4           role reference (for claims)
//	4       2           length of the organization id
//	6       2           length of the user id
//	8       2           width: words of the organization roles' bitset
//	10      2           number of environment roles held
//	12      8 × width   union of the permission bitsets of the
//	                    organization roles held
//	…       4 × max(n, 1) ids of the environment roles held (0 when none)
//	…                   organization id, user id
//	…                   zero bytes up to a multiple of 8, at least 24 bytes
//
// All numbers are little-endian. Records are written once, before the
// part holding them is published, and never changed; a record is reached
// through a pointer to its first byte, which keeps the whole block alive.

const recordHeader = 12

// recordLen returns the length of a record with the given field sizes.
func recordLen(width, envRoles, orgLen, userLen int) int {
	n := recordHeader + 8*width + 4*max(envRoles, 1) + orgLen + userLen
	return max(24, (n+7)&^7)
}

// appendRecord appends the record of user's membership in org.
func appendRecord(b []byte, org, user string, ref uint32, orgBits []uint64, envRoles []uint32) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, ref)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(org)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(user)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(orgBits)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(envRoles)))
	for _, w := range orgBits {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	for _, id := range envRoles {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	if len(envRoles) == 0 {
		b = binary.LittleEndian.AppendUint32(b, 0)
	}
	b = append(b, org...)
	b = append(b, user...)
	for len(b)-start < recordLen(len(orgBits), len(envRoles), len(org), len(user)) {
		b = append(b, 0)
	}
	return b
}

// record is a member record.
type record []byte

// recordAt returns the record whose first byte p points to.
func recordAt(p *byte) record {
	h := unsafe.Slice(p, recordHeader)
	n := recordLen(int(get16(h[8:])), int(get16(h[10:])), int(get16(h[4:])), int(get16(h[6:])))
	return unsafe.Slice(p, n)
}

func get16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func get64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

func (r record) ref() uint32   { return get32(r) }
func (r record) width() uint64 { return uint64(get16(r[8:])) }
func (r record) envRoles() int { return int(get16(r[10:])) }

// idsAt returns the offset of the organization id.
func (r record) idsAt() int { return recordHeader + 8*int(r.width()) + 4*max(r.envRoles(), 1) }

func (r record) org() string {
	at := r.idsAt()
	return string(r[at : at+int(get16(r[4:]))])
}

func (r record) user() string {
	at := r.idsAt() + int(get16(r[4:]))
	return string(r[at : at+int(get16(r[6:]))])
}

// is reports whether r is the membership of user in org.
func (r record) is(org, user string) bool {
	at, n, m := r.idsAt(), int(get16(r[4:])), int(get16(r[6:]))
	return n == len(org) && m == len(user) && string(r[at:at+n]) == org && string(r[at+n:at+n+m]) == user
}

// grants reports whether the roles of r grant permission id perm. The
// organization roles' word and the first environment role's word are
// read at clamped offsets and masked rather than branched on.
func (r record) grants(env *envPart, perm uint32) bool {
	word := uint64(perm >> 6)
	width, n := r.width(), r.envRoles()
	ow := get64(r[recordHeader+8*min(word, max(width, 1)-1):]) & ltMask(word, width)
	at := recordHeader + 8*int(width)
	ew := env.word(uint64(get32(r[at:])), word) & -uint64(min(n, 1))
	for k := 1; k < n; k++ { // several environment roles: rare
		ew |= env.word(uint64(get32(r[at+4*k:])), word)
	}
	return (ow|ew)>>(perm&63)&1 != 0
}

// word returns word w of the bitset of environment role id, 0 when there
// is no such role or word.
func (e *envPart) word(id, w uint64) uint64 {
	return e.bits[min(id*e.width+w, uint64(len(e.bits)-1))] &
		ltMask(id, uint64(len(e.roles))) & ltMask(w, e.width)
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

// memberTable maps an organization and user id pair to its member record:
// open addressing on the pair's hash, at most half full counting removed
// entries, updated in place like the organization index (see orgIndex).
type memberTable struct {
	mask    uint64
	live    int // writers only
	used    int // live and removed entries; writers only
	entries []memberEntry
}

type memberEntry struct {
	hash atomic.Uint64
	rec  atomic.Pointer[byte]
}

// removed is the record of a removed entry; it matches no membership.
var removed = &make([]byte, 24)[0]

func newMemberTable(n int) *memberTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &memberTable{mask: uint64(size - 1), entries: make([]memberEntry, size)}
}

// pairHash hashes an organization and user id pair.
func pairHash(org, user string, seed uint64) uint64 {
	return strhash(user, strhash(org, seed))
}

// find returns the record of user's membership in org, or nil.
func (t *memberTable) find(h uint64, org, user string) record {
	es, i := t.entries, h&t.mask
	i1, i2 := next2(i, t.mask)
	j := (i + pick(h, es[i].hash.Load(), es[i1].hash.Load(), es[i2].hash.Load())) & t.mask
	if p := es[j].rec.Load(); p != nil && p != removed {
		if r := recordAt(p); r.is(org, user) {
			return r
		}
	}
	if e := t.entry(h, org, user); e != nil {
		if p := e.rec.Load(); p != removed {
			return recordAt(p)
		}
	}
	return nil
}

// entry returns the entry of user's membership in org, or nil.
func (t *memberTable) entry(h uint64, org, user string) *memberEntry {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		p := e.rec.Load()
		if p == nil {
			return nil
		}
		if p != removed && e.hash.Load() == h && recordAt(p).is(org, user) {
			return e
		}
	}
}

func (t *memberTable) insert(h uint64, p *byte) {
	i := h & t.mask
	for t.entries[i].rec.Load() != nil {
		i = (i + 1) & t.mask
	}
	t.entries[i].hash.Store(h)
	t.entries[i].rec.Store(p)
	t.live++
	t.used++
}

// put publishes r, replacing the record of the same membership. It returns
// the table to use from now on: t, or a larger copy when t was full, which
// the caller must publish. Callers hold the authorizer's mu.
func (t *memberTable) put(seed uint64, r record) *memberTable {
	org, user := r.org(), r.user()
	h := pairHash(org, user, seed)
	if e := t.entry(h, org, user); e != nil {
		e.rec.Store(&r[0])
		return t
	}
	if 2*(t.used+1) > len(t.entries) {
		nt := newMemberTable(t.live + 1)
		for i := range t.entries {
			e := &t.entries[i]
			if p := e.rec.Load(); p != nil && p != removed {
				nt.insert(e.hash.Load(), p)
			}
		}
		t = nt
	}
	t.insert(h, &r[0])
	return t
}

// remove drops user's membership in org. Callers hold the authorizer's mu.
func (t *memberTable) remove(seed uint64, org, user string) {
	if e := t.entry(pairHash(org, user, seed), org, user); e != nil {
		e.rec.Store(removed)
		t.live--
	}
}
