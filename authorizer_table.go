package rbac

import "sync/atomic"

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
	live    int // writers only
	used    int // live and removed entries; writers only
	gone    *V
	entries []tableEntry[V]
}

type tableEntry[V any] struct {
	hash atomic.Uint64
	v    atomic.Pointer[V]
}

func newTable[V any](n int, gone *V) *table[V] {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &table[V]{mask: uint64(size - 1), gone: gone, entries: make([]tableEntry[V], size)}
}

// candidate returns the value of the one entry a lookup of hash h checks
// first (see pick), or nil when it is empty or removed. The caller
// verifies the key, and calls entry when it does not match.
func (t *table[V]) candidate(h uint64) *V {
	es, i := t.entries, h&t.mask
	i1, i2 := next2(i, t.mask)
	j := (i + pick(h, es[i].hash.Load(), es[i1].hash.Load(), es[i2].hash.Load())) & t.mask
	if v := es[j].v.Load(); v != t.gone {
		return v
	}
	return nil
}

// entry returns the live entry of hash h whose value is the key, or nil.
func (t *table[V]) entry(h uint64, is func(*V) bool) *tableEntry[V] {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
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
	if e := t.entry(h, is); e != nil {
		// A writer may have replaced or removed the value since.
		if v := e.v.Load(); v != t.gone {
			return v
		}
	}
	return nil
}

func (t *table[V]) insert(h uint64, v *V) {
	i := h & t.mask
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
		nt := newTable(t.live+1, t.gone)
		for i := range t.entries {
			e := &t.entries[i]
			if w := e.v.Load(); w != nil && w != t.gone {
				nt.insert(e.hash.Load(), w)
			}
		}
		t = nt
	}
	t.insert(h, v)
	return t
}

// remove drops the key (is), whose hash is h.
func (t *table[V]) remove(h uint64, is func(*V) bool) {
	if e := t.entry(h, is); e != nil {
		e.v.Store(t.gone)
		t.live--
	}
}
