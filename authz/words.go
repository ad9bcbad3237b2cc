package authz

import (
	"math/bits"
	"unsafe"
)

// ---- words of short strings ----
//
// Ids and permission slugs of 1 to 64 bytes — nearly all of them, UUIDs
// included — are read as words, which are their hash's input and compare
// as integers: no call, which matters on the check path. The words of
// n ≥ 8 bytes are the 8 bytes at offsets 0 and n-8 (the ends) and, for
// each o = 8, 16, 24 with 2o < n, those at o and n-8-o (the middle, from
// both ends inwards); a string of 1 to 7 bytes has only ends (see ends).
// Together they cover the n bytes, so two strings of the same length are
// equal exactly when their words are. Each function comes in an ends part
// and a middle part, which the compiler inlines separately (see
// Authorizer.Can).

// covered reports whether a string of n bytes is read as words: 1 to 64
// bytes.
func covered(n int) bool { return uint(n-1) < 64 }

// ends returns the end words of the n bytes at p, 1 ≤ n ≤ 64: the 8 bytes
// at 0 and at n-8 when n ≥ 8; for 4 to 7 bytes, the 4 at 0 and at n-4;
// for 1 to 3, the first and last byte, and the middle one. It reads none
// of the bytes outside the n.
func ends(p unsafe.Pointer, n int) (lo, hi uint64) {
	if n >= 8 {
		return load64(p), load64(unsafe.Add(p, n-8))
	}
	if n >= 4 {
		return uint64(load32(p)), uint64(load32(unsafe.Add(p, n-4)))
	}
	return uint64(*(*byte)(p))<<8 | uint64(byteAt(p, n-1)), uint64(byteAt(p, n>>1))
}

// rawHash returns a hash of s: for 1 to 64 bytes, the two end words are
// multiplied into one (two 64-bit multiplications, no 128-bit one) and
// each pair of middle words is mixed in (see foldMiddle); otherwise
// strhash. A product's top bits depend on all of its factors' bits, so
// tables take their entries from the top bits (see sizeFor) of idHash,
// which spreads the raw hash so that every bit counts there.
func rawHash(s string, seed uint64) uint64 {
	if n := len(s); covered(n) {
		h := foldEnds(data(s), n, seed)
		for o := 8; 2*o < n; o += 8 {
			h ^= foldMiddle(data(s), n, o, seed)
		}
		return h
	}
	return strhash(s, seed)
}

// idHash is the hash of ids and slugs in the authorizer's tables.
func idHash(s string, seed uint64) uint64 { return spread(rawHash(s, seed)) }

// pairHash hashes an organization and user id pair: the user id, with the
// organization id's hash as the seed.
func pairHash(org, user string, seed uint64) uint64 {
	return idHash(user, idHash(org, seed))
}

// spread makes every bit of h count in the top bits of the result.
func spread(h uint64) uint64 { return (h ^ h>>32) * k4 }

const k0, k1, k2, k3, k4 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3, 0x589965cc75374cc3, 0x1d8e4e27c47d124f

func foldEnds(p unsafe.Pointer, n int, seed uint64) uint64 {
	lo, hi := ends(p, n)
	return fold(lo, hi, n, seed)
}

func byteAt(p unsafe.Pointer, i int) byte { return *(*byte)(unsafe.Add(p, i)) }

// fold hashes the end words of a string of n bytes.
func fold(lo, hi uint64, n int, seed uint64) uint64 { return ((lo^seed^uint64(n)*k2)*k0 ^ hi) * k1 }

// foldMiddle mixes a pair of middle words with a 128-bit product, whose
// high half depends on every bit of both: the terms of a long string are
// combined with xor, and a 64-bit product would leave a difference in a
// word's top byte in the top byte, where another could cancel it.
func foldMiddle(p unsafe.Pointer, n, o int, seed uint64) uint64 {
	return mix(load64(unsafe.Add(p, o))^bits.RotateLeft64(seed, o)^k2, load64(unsafe.Add(p, n-8-o))^k3)
}

// differ returns zero exactly when the n bytes at p and at q are equal,
// 1 ≤ n ≤ 64.
func differ(p, q unsafe.Pointer, n int) uint64 {
	d := differEnds(p, q, n)
	for o := 8; 2*o < n; o += 8 {
		d |= differMiddle(p, q, n, o)
	}
	return d
}

func differEnds(p, q unsafe.Pointer, n int) uint64 {
	pl, ph := ends(p, n)
	ql, qh := ends(q, n)
	return (pl ^ ql) | (ph ^ qh)
}

func differMiddle(p, q unsafe.Pointer, n, o int) uint64 {
	return (load64(unsafe.Add(p, o)) ^ load64(unsafe.Add(q, o))) |
		(load64(unsafe.Add(p, n-8-o)) ^ load64(unsafe.Add(q, n-8-o)))
}

// data returns a pointer to the bytes of s.
func data(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }
