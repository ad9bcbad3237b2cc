package authz

import (
	"fmt"
	"strings"
	"testing"
)

func TestIDHash(t *testing.T) {
	// Every length, including strhash's block loop, and no collisions
	// among ids that differ in one place.
	seen := map[uint64]string{}
	add := func(s string, seed uint64) {
		h := idHash(s, seed)
		if o, ok := seen[h]; ok && o != s {
			t.Fatalf("idHash(%q) == idHash(%q)", s, o)
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
	for _, s := range []string{"user", "user_0000001", "user_01E4ZCR3C56J083X43JQXF3JK5", strings.Repeat("x", 40)} {
		if idHash(s, 1) == idHash(s, 2) {
			t.Errorf("the seed does not change the hash of %q", s)
		}
	}
	// The top bits, which pick table entries, are spread at least as
	// evenly as random ones: 200,000 keys in 1<<16 entries leave about
	// 65536·e^(-200000/65536) ≈ 3,100 of them empty, and none very full.
	// Ids of every kind, and pairs of them as the membership table hashes
	// them.
	spread := func(name string, key func(i int) uint64) {
		t.Helper()
		var buckets [1 << 16]int
		for i := range 200_000 {
			buckets[key(i)>>48]++
		}
		empty, most := 0, 0
		for _, n := range buckets {
			if n == 0 {
				empty++
			}
			most = max(most, n)
		}
		if empty > 3400 || most > 16 {
			t.Errorf("%s: top bits badly spread: %d empty entries (want at most about 3,100), fullest %d", name, empty, most)
		}
	}
	for _, format := range []string{"o%d", "org_%06d", "user_%07d", "tenant-%06d-production", "org_01EHZNVPK3SFK441A1R%07d", "%033d", "%040d"} {
		spread(format, func(i int) uint64 { return idHash(fmt.Sprintf(format, i), 7) })
	}
	spread("pairs", func(i int) uint64 {
		return pairHash(fmt.Sprintf("org_%06d", i/10), fmt.Sprintf("user_%06d", i%400_000), 7)
	})
	spread("pairs sharing users", func(i int) uint64 {
		return pairHash(fmt.Sprintf("org_%06d", i/100), fmt.Sprintf("user_%06d", i%100), 7)
	})
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
