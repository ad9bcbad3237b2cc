package authz

import (
	"math/bits"
	"unsafe"
)

// strhash hashes the strings the words of rawHash do not cover: the empty
// string and those over 64 bytes. It is a seeded hash after wyhash
// (github.com/wangyi-fudan/wyhash, public domain), 16 bytes at a time,
// without a runtime call. The seed is random per authorizer; the hash is
// not meant to resist an adversary who can choose ids and time lookups.
func strhash(s string, seed uint64) uint64 {
	const p0, p1, p2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	n := len(s)
	seed ^= p0
	var a, b uint64
	if n > 16 {
		for t := s; len(t) > 16; t = t[16:] {
			seed = mix(le64(t)^p1, le64(t[8:])^seed)
		}
		a, b = le64(s[n-16:]), le64(s[n-8:])
	}
	return mix(p1^uint64(n), mix(a^p1, b^seed)^p2)
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// permTable maps permission slugs to ids: open addressing, at most half
// full, a few kilobytes that stay in cache. An entry holds the first 32
// bytes of its slug and its end words, so that a slug of 1 to 32 bytes —
// most are — compares as words (see differ and inText).
type permTable struct {
	seed    uint64
	mask    uint64
	shift   uint8
	entries []permEntry
}

// permEntrySize is the size of a permEntry.
const permEntrySize = uint64(unsafe.Sizeof(permEntry{}))

type permEntry struct {
	slug string
	n    uint32 // the slug's length; 0 marks an empty entry
	id   uint32
	// The slug's bytes, read at check time instead of slug's: the first
	// 32, zero after the end; and its end words (see ends) when it has at
	// most 32 bytes.
	text   [4]uint64
	lo, hi uint64
}

func newPermTable(seed uint64, n int) *permTable {
	size, shift := sizeFor(n)
	return &permTable{seed: seed, mask: uint64(size - 1), shift: shift, entries: make([]permEntry, size)}
}

// home returns the home entry of hash h.
func (t *permTable) home(h uint64) uint64 { return h >> (t.shift & 63) }

func (t *permTable) put(slug string, id uint32) {
	i := t.home(idHash(slug, t.seed))
	for t.entries[i].n != 0 && t.entries[i].slug != slug {
		i = (i + 1) & t.mask
	}
	e := permEntry{slug: slug, n: uint32(len(slug)), id: id}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.text)), len(e.text)*8), slug)
	if inText(len(slug)) {
		e.lo, e.hi = ends(data(slug), len(slug))
	}
	t.entries[i] = e
}

// inText reports whether a slug of n bytes is compared as the words of an
// entry's text: 1 to 32 bytes.
func inText(n int) bool { return uint(n-1) < uint(len(permEntry{}.text)*8) }

// get returns the id of slug. Checks inline the case of a covered slug
// (see Authorizer.Can).
func (t *permTable) get(slug string) (uint32, bool) {
	covers := inText(len(slug))
	for i := t.home(idHash(slug, t.seed)); ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.n == 0 {
			return 0, false
		}
		if e.n == uint32(len(slug)) && (covers && differ(unsafe.Pointer(&e.text), data(slug), len(slug)) == 0 || !covers && e.slug == slug) {
			return e.id, true
		}
	}
}
