package memstore

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
)

// TestSortedSet checks the chunked ordered set against a sorted slice:
// random adds and removes (enough to split chunks), then every range in
// both directions.
func TestSortedSet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s sortedSet
		model := map[string]bool{}
		n := rapid.IntRange(0, 3*chunkLen).Draw(t, "ops")
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("id_%04d", rapid.IntRange(0, 2*chunkLen).Draw(t, "id"))
			if rapid.IntRange(0, 3).Draw(t, "remove?") == 0 {
				if got := s.remove(id); got != model[id] {
					t.Fatalf("remove(%q) = %v, want %v", id, got, model[id])
				}
				delete(model, id)
			} else {
				if got := s.add(id); got == model[id] {
					t.Fatalf("add(%q) = %v with the id present %v", id, got, model[id])
				}
				model[id] = true
			}
		}
		var want []string
		for id := range model {
			want = append(want, id)
		}
		slices.Sort(want)
		if got := s.ids(); !slices.Equal(got, want) && len(want) > 0 {
			t.Fatalf("ids() = %d ids, want %d", len(got), len(want))
		}
		for _, c := range s.chunks {
			if len(c) == 0 || len(c) > chunkLen {
				t.Fatalf("a chunk of %d ids", len(c))
			}
		}
		bound := func(label string) string {
			if rapid.Bool().Draw(t, label+"?") {
				return ""
			}
			return fmt.Sprintf("id_%04d", rapid.IntRange(0, 2*chunkLen+1).Draw(t, label))
		}
		r := rbac.Range{After: bound("after"), Before: bound("before"), Desc: rapid.Bool().Draw(t, "desc")}
		var exp []string
		for _, id := range want {
			if r.Contains(id) {
				exp = append(exp, id)
			}
		}
		if r.Desc {
			slices.Reverse(exp)
		}
		var got []string
		s.each(r, func(id string) bool { got = append(got, id); return true })
		if !slices.Equal(got, exp) && len(exp)+len(got) > 0 {
			t.Fatalf("each(%+v) = %v, want %v", r, got, exp)
		}
	})
}
