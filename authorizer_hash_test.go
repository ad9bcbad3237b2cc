package rbac

import (
	"fmt"
	"strings"
	"testing"
)

func TestStrhash(t *testing.T) {
	// Every length, including the block loop, and no collisions among ids
	// that differ in one place.
	seen := map[uint64]string{}
	add := func(s string, seed uint64) {
		h := strhash(s, seed)
		if o, ok := seen[h]; ok && o != s {
			t.Fatalf("strhash(%q) == strhash(%q)", s, o)
		}
		seen[h] = s
	}
	for n := 0; n <= 70; n++ {
		base := strings.Repeat("a", n)
		add(base, 1)
		for i := 0; i < n; i++ {
			add(base[:i]+"b"+base[i+1:], 1)
		}
	}
	for i := range 200_000 {
		add(fmt.Sprintf("user_%07d", i), 1)
	}
	if strhash("user_0000001", 1) == strhash("user_0000001", 2) {
		t.Error("the seed does not change the hash")
	}
	// The low bits, which pick table entries, are spread like random
	// ones: 200,000 ids in 1<<16 buckets leave about 65536·e^(-200000/65536)
	// ≈ 3,100 of them empty, and none very full.
	var buckets [1 << 16]int
	for i := range 200_000 {
		buckets[strhash(fmt.Sprintf("org_%06d", i), 7)&(1<<16-1)]++
	}
	empty, most := 0, 0
	for _, n := range buckets {
		if n == 0 {
			empty++
		}
		most = max(most, n)
	}
	if empty < 2800 || empty > 3400 || most > 16 {
		t.Errorf("low bits badly spread: %d empty buckets (want about 3,100), fullest %d", empty, most)
	}
}

func TestPermTable(t *testing.T) {
	tab := newPermTable(3, 340)
	for i := range 300 {
		tab.put(fmt.Sprintf("res%d:read", i), uint32(i))
	}
	for i := range 300 {
		if id, ok := tab.get(fmt.Sprintf("res%d:read", i)); !ok || id != uint32(i) {
			t.Errorf("get(res%d:read) = %d, %v", i, id, ok)
		}
	}
	// Short slugs compare as words: every length, and slugs that differ
	// in one byte.
	for n := 1; n <= 40; n++ {
		a := strings.Repeat("a", n)
		tab.put(a, uint32(1000+n))
		for k := range n {
			b := a[:k] + "b" + a[k+1:]
			if _, ok := tab.get(b); ok {
				t.Errorf("get(%q) found", b)
			}
		}
	}
	for n := 1; n <= 40; n++ {
		if id, ok := tab.get(strings.Repeat("a", n)); !ok || id != uint32(1000+n) {
			t.Errorf("get(%d a's) = %d, %v", n, id, ok)
		}
	}
	for _, s := range []string{"", "res300:read", "res1:write"} {
		if _, ok := tab.get(s); ok {
			t.Errorf("get(%q) found", s)
		}
	}
}
