package authz

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
