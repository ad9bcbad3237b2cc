package rbac

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestIDsSortByCreation checks that generated ids sort in the order they
// were made: across milliseconds, within one millisecond, and when the
// clock goes back.
func TestIDsSortByCreation(t *testing.T) {
	var g idSource
	rnd := bytes.NewReader(bytes.Repeat([]byte{0xff, 0x01, 0x80}, 10000))
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	times := []time.Time{base, base, base, base.Add(time.Millisecond), base.Add(-time.Second), base.Add(2 * time.Millisecond)}
	var prev string
	for i, at := range times {
		b, err := g.next(at, rnd)
		if err != nil {
			t.Fatal(err)
		}
		id := encodeID("om", b)
		if len(id) != len("om_")+26 || !strings.HasPrefix(id, "om_0") {
			t.Fatalf("id %q: want om_ and 26 base32 digits", id)
		}
		if id <= prev {
			t.Fatalf("id %d %q does not sort after %q", i, id, prev)
		}
		prev = id
	}
}

// TestIncrementOverflow checks that a random part that overflows within
// one millisecond moves the id on to the next millisecond.
func TestIncrementOverflow(t *testing.T) {
	g := idSource{ms: uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}
	for i := range g.rand {
		g.rand[i] = 0xff
	}
	at := time.UnixMilli(int64(g.ms))
	before := encodeID("x", func() (b [16]byte) {
		for i := 0; i < 6; i++ {
			b[i] = byte(g.ms >> (40 - 8*i))
		}
		copy(b[6:], g.rand[:])
		return
	}())
	b, err := g.next(at, bytes.NewReader(make([]byte, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if after := encodeID("x", b); after <= before {
		t.Fatalf("after overflow %q does not sort after %q", after, before)
	}
}
