package rbac

import "unsafe"

// ---- words of short strings ----
//
// Ids and permission slugs of 8 to 32 bytes — nearly all of them — are
// read as 8-byte words, which are their hash's input and compare as
// integers: no loop and no call, which matters on the check path. The
// words of n bytes are those at offsets 0 and n-8 (the ends) and, when
// n > 16, 8 and n-16 (the middle). Together they cover the n bytes, so
// two strings of the same length are equal exactly when their words are.
// Each function comes in an ends part and a middle part, which the
// compiler inlines separately (see Authorizer.Can).

// covered reports whether a string of n bytes is read as words: 8 to 32
// bytes.
func covered(n int) bool { return uint(n-8) <= 24 }

// rawHash returns a hash of s: for 8 to 32 bytes, each pair of words is
// multiplied into one (two or four 64-bit multiplications, no 128-bit
// one), and otherwise strhash. A product's top bits depend on all of its
// factors' bits, so tables take their entries from a hash's top bits (see
// sizeFor), which are good enough for the permission table; idHash spreads
// the hash further for the large tables.
func rawHash(s string, seed uint64) uint64 {
	if n := len(s); covered(n) {
		h := foldEnds(data(s), n, seed)
		if n > 16 {
			h ^= foldMiddle(data(s), n, seed)
		}
		return h
	}
	return strhash(s, seed)
}

// idHash is the hash of ids in the authorizer's tables.
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
	return ((load64(p)^seed^uint64(n)*k2)*k0 ^ load64(unsafe.Add(p, n-8))) * k1
}

func foldMiddle(p unsafe.Pointer, n int, seed uint64) uint64 {
	return ((load64(unsafe.Add(p, 8))^seed)*k2 ^ load64(unsafe.Add(p, n-16))) * k3
}

// differ returns zero exactly when the n bytes at p and at q are equal,
// 8 ≤ n ≤ 32.
func differ(p, q unsafe.Pointer, n int) uint64 {
	d := differEnds(p, q, n)
	if n > 16 {
		d |= differMiddle(p, q, n)
	}
	return d
}

func differEnds(p, q unsafe.Pointer, n int) uint64 {
	return (load64(p) ^ load64(q)) | (load64(unsafe.Add(p, n-8)) ^ load64(unsafe.Add(q, n-8)))
}

func differMiddle(p, q unsafe.Pointer, n int) uint64 {
	return (load64(unsafe.Add(p, 8)) ^ load64(unsafe.Add(q, 8))) |
		(load64(unsafe.Add(p, n-16)) ^ load64(unsafe.Add(q, n-16)))
}

// data returns a pointer to the bytes of s.
func data(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }
