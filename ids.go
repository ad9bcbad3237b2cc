package rbac

import (
	"io"
	"strings"
	"sync"
	"time"
)

// Generated ids are prefix + "_" + 26 characters of Crockford base32 that
// encode 48 bits of milliseconds since 1970 and 80 random bits, as a ULID
// does: ids made later sort after ids made earlier. Within one
// millisecond a Service increments the random part, so the ids one
// Service makes sort in the order it made them.
type idSource struct {
	mu   sync.Mutex
	ms   uint64
	rand [10]byte
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// next returns the id bits for time t: 6 bytes of milliseconds, 10 random.
func (g *idSource) next(t time.Time, r io.Reader) ([16]byte, error) {
	ms := uint64(max(t.UnixMilli(), 0))
	g.mu.Lock()
	defer g.mu.Unlock()
	if ms > g.ms || !increment(&g.rand) {
		if _, err := io.ReadFull(r, g.rand[:]); err != nil {
			return [16]byte{}, err
		}
		if ms <= g.ms {
			ms = g.ms + 1 // the random part overflowed (or the clock went back): move on
		}
		g.ms = ms
	}
	var b [16]byte
	for i := 0; i < 6; i++ {
		b[i] = byte(g.ms >> (40 - 8*i))
	}
	copy(b[6:], g.rand[:])
	return b, nil
}

// increment adds one to the big-endian number in b; it reports false on
// overflow.
func increment(b *[10]byte) bool {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return true
		}
	}
	return false
}

// encodeID writes prefix + "_" + the 128 bits of b in 26 base32 digits
// (the top two bits of the 130-bit number are 0).
func encodeID(prefix string, b [16]byte) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + 27)
	sb.WriteString(prefix)
	sb.WriteByte('_')
	for i := 0; i < 26; i++ {
		var d byte
		for j := 0; j < 5; j++ {
			if p := i*5 + j - 2; p >= 0 && b[p/8]&(0x80>>(p%8)) != 0 {
				d |= 1 << (4 - j)
			}
		}
		sb.WriteByte(crockford[d])
	}
	return sb.String()
}
