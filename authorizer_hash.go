package rbac

import "math/bits"

// strhash is the hash of the authorizer's tables: a seeded hash of short
// strings (organization and user ids, permission slugs) after wyhash
// (github.com/wangyi-fudan/wyhash, public domain). It reads 8 bytes at a
// time and makes no runtime call, which matters because a check
// hashes three strings. The seed is random per authorizer; the hash is not
// meant to resist an adversary who can choose ids and time lookups.
func strhash(s string, seed uint64) uint64 {
	const p0, p1, p2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	n := len(s)
	seed ^= p0
	var a, b uint64
	switch {
	case n > 16:
		for t := s; len(t) > 16; t = t[16:] {
			seed = mix(le64(t)^p1, le64(t[8:])^seed)
		}
		a, b = le64(s[n-16:]), le64(s[n-8:])
	case n >= 8:
		a, b = le64(s), le64(s[n-8:])
	case n >= 4:
		a, b = uint64(le32(s)), uint64(le32(s[n-4:]))
	case n > 0:
		a = small(s)
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

func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// small reads 1 to 7 bytes.
func small(s string) uint64 {
	if len(s) >= 4 {
		return uint64(le32(s))<<32 | uint64(le32(s[len(s)-4:]))
	}
	n := len(s)
	if n == 0 {
		return 0
	}
	return uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
}

// permTable maps permission slugs to ids: open addressing, at most half
// full, a few kilobytes that stay in cache. A slug of 8 to 16 bytes — most
// are — is held as the two overlapping little-endian words that cover it,
// which serve as its hash and compare as two integers: no string hash, no
// call.
type permTable struct {
	seed    uint64
	mask    uint64
	entries []permEntry
}

type permEntry struct {
	w0, w1 uint64 // the words of a short slug
	n      uint32 // the slug's length; 0 marks an empty entry
	id     uint32
	slug   string
}

func newPermTable(seed uint64, n int) *permTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &permTable{seed: seed, mask: uint64(size - 1), entries: make([]permEntry, size)}
}

// key returns the hash of slug and, when it has 8 to 16 bytes, the words
// that cover it (short).
func (t *permTable) key(slug string) (h, w0, w1 uint64, short bool) {
	if n := len(slug); n >= 8 && n <= 16 {
		w0, w1 = le64(slug), le64(slug[n-8:])
		return mix(w0^t.seed, w1^uint64(n)^0xe7037ed1a0b428db), w0, w1, true
	}
	return strhash(slug, t.seed), 0, 0, false
}

func (t *permTable) put(slug string, id uint32) {
	h, w0, w1, _ := t.key(slug)
	i := h & t.mask
	for t.entries[i].n != 0 && t.entries[i].slug != slug {
		i = (i + 1) & t.mask
	}
	t.entries[i] = permEntry{w0: w0, w1: w1, n: uint32(len(slug)), id: id, slug: slug}
}

func (t *permTable) get(slug string) (uint32, bool) {
	h, w0, w1, short := t.key(slug)
	n := uint32(len(slug))
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.n == 0 {
			return 0, false
		}
		if e.n == n && (short && e.w0 == w0 && e.w1 == w1 || !short && e.slug == slug) {
			return e.id, true
		}
	}
}
