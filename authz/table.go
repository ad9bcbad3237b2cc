package authz

import (
	"sync/atomic"
	"unsafe"
)

// table is the open-addressing table behind the organization index and
// the membership table: entries of a 64-bit hash and an atomic pointer to
// an immutable value, at most half full counting removed entries, updated
// in place with atomic stores. A changed value replaces its entry's
// pointer; a new one fills an empty entry (hash first, then pointer, so a
// reader that sees the pointer sees the hash); a removed one gets the gone
// marker, which matches no key, and probing goes on past it. When the table
// is half full a copy twice as large replaces it (amortized O(1) per entry
// added, and never a copy per write). Writers hold the authorizer's mu.
type table[V any] struct {
	mask    uint64
	shift   uint8 // the home entry of hash h is h >> shift (see home)
	live    int   // writers only
	used    int   // live and removed entries; writers only
	gone    *V
	entries []tableEntry[V]
}

type tableEntry[V any] struct {
	hash atomic.Uint64
	v    atomic.Pointer[V]
}

func newTable[V any](n int, gone *V) *table[V] {
	size, shift := sizeFor(n)
	return &table[V]{mask: uint64(size - 1), shift: shift, gone: gone, entries: make([]tableEntry[V], size)}
}

// candidate returns the value of the one entry a lookup of hash h checks
// first (see pick), or nil when it is empty or removed. The caller
// verifies the key, and calls probe when it does not match. Checks write
// it out for the membership table (see Authorizer.Can).
func (t *table[V]) candidate(h uint64) *V {
	es, m := unsafe.Pointer(unsafe.SliceData(t.entries)), t.mask
	i := t.home(h)
	i += pick(h, hashAt(es, i), hashAt(es, (i+1)&m), hashAt(es, (i+2)&m))
	if v := (*V)(valueAt(es, i&m)); v != t.gone {
		return v
	}
	return nil
}

// hashAt and valueAt read entry i of the entries at es, without a bounds
// check: i is masked by the table's mask, which is one less than the
// number of entries.
func hashAt(es unsafe.Pointer, i uint64) uint64 {
	return (*atomic.Uint64)(unsafe.Add(es, i*entrySize)).Load()
}

func valueAt(es unsafe.Pointer, i uint64) unsafe.Pointer {
	return unsafe.Pointer((*atomic.Pointer[byte])(unsafe.Add(es, i*entrySize+valueOffset)).Load())
}

// vacant reports whether entry i of the entries at es, or one of the next
// two, is empty. A key whose hash none of the three holds is then not in
// the table: an insert takes the first empty entry from the key's home,
// and an entry, once filled, never becomes empty again.
func vacant(es unsafe.Pointer, i, m uint64) bool {
	return valueAt(es, i) == nil || valueAt(es, (i+1)&m) == nil || valueAt(es, (i+2)&m) == nil
}

// home returns the home entry of hash h.
func (t *table[V]) home(h uint64) uint64 { return h >> (t.shift & 63) }

// sizeFor returns the number of entries of an open-addressing table for n
// keys, a power of two at least 16 and 2n, and the shift that takes a
// hash to its home entry: the hash's top bits, which depend on every byte
// hashed (see rawHash and spread).
func sizeFor(n int) (size int, shift uint8) {
	size, shift = 16, 60
	for size < 2*n {
		size, shift = size<<1, shift-1
	}
	return size, shift
}

// entrySize and valueOffset are the size of every table's entries and the
// offset of their value, whatever the values' type.
const (
	entrySize   = uint64(unsafe.Sizeof(tableEntry[byte]{}))
	valueOffset = uint64(unsafe.Offsetof(tableEntry[byte]{}.v))
)

// entry returns the live entry of hash h whose value is the key, or nil.
func (t *table[V]) entry(h uint64, is func(*V) bool) *tableEntry[V] {
	return t.entryFrom(h, t.home(h), is)
}

// entryFrom is entry probing from entry i, when none of the entries from
// the home entry to i holds the key.
func (t *table[V]) entryFrom(h, i uint64, is func(*V) bool) *tableEntry[V] {
	for ; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		v := e.v.Load()
		if v == nil {
			return nil
		}
		if v != t.gone && e.hash.Load() == h && is(v) {
			return e
		}
	}
}

// probe returns the value of hash h that is the key, or nil, probing
// from the home entry: what a lookup does when its candidate is not the
// key.
func (t *table[V]) probe(h uint64, is func(*V) bool) *V {
	return t.probeFrom(h, t.home(h), is)
}

// probeFrom is probe from entry i, when none of the entries from the home
// entry to i holds the key.
func (t *table[V]) probeFrom(h, i uint64, is func(*V) bool) *V {
	if e := t.entryFrom(h, i, is); e != nil {
		// A writer may have replaced or removed the value since.
		if v := e.v.Load(); v != t.gone {
			return v
		}
	}
	return nil
}

func (t *table[V]) insert(h uint64, v *V) {
	i := t.home(h)
	for t.entries[i].v.Load() != nil {
		i = (i + 1) & t.mask
	}
	t.entries[i].hash.Store(h)
	t.entries[i].v.Store(v)
	t.live++
	t.used++
}

// put publishes v as the value of its key (is), whose hash is h. It
// returns the table to use from now on: t, or a larger copy when t was
// full, which the caller must publish.
func (t *table[V]) put(h uint64, v *V, is func(*V) bool) *table[V] {
	if e := t.entry(h, is); e != nil {
		e.v.Store(v)
		return t
	}
	if 2*(t.used+1) > len(t.entries) {
		t = t.grown()
	}
	t.insert(h, v)
	return t
}

// add inserts v, whose key the table does not hold, and returns the table
// to use from now on (see put).
func (t *table[V]) add(h uint64, v *V) *table[V] {
	if 2*(t.used+1) > len(t.entries) {
		t = t.grown()
	}
	t.insert(h, v)
	return t
}

// grown returns a copy of t twice as large, without its removed entries.
func (t *table[V]) grown() *table[V] {
	nt := newTable(t.live+1, t.gone)
	for i := range t.entries {
		e := &t.entries[i]
		if w := e.v.Load(); w != nil && w != t.gone {
			nt.insert(e.hash.Load(), w)
		}
	}
	return nt
}

// remove drops the key (is), whose hash is h.
func (t *table[V]) remove(h uint64, is func(*V) bool) {
	if e := t.entry(h, is); e != nil {
		e.v.Store(t.gone)
		t.live--
	}
}
