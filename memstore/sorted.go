package memstore

import (
	"slices"
	"sort"

	"github.com/orgroles/rbac"
)

// sortedSet is an ordered set of ids, kept in chunks of at most chunkLen
// sorted ids, so that adding or removing one costs a binary search over the
// chunks and a copy within one chunk, however many ids there are, and a
// range of ids is read in order without sorting.
type sortedSet struct {
	chunks [][]string
	n      int
}

const chunkLen = 512

// chunk returns the index of the chunk that holds id, or would.
func (s *sortedSet) chunk(id string) int {
	// The first chunk whose last id is >= id; the last chunk otherwise.
	i := sort.Search(len(s.chunks), func(i int) bool { c := s.chunks[i]; return c[len(c)-1] >= id })
	return min(i, len(s.chunks)-1)
}

// add adds id and reports whether it was absent.
func (s *sortedSet) add(id string) bool {
	if len(s.chunks) == 0 {
		s.chunks = [][]string{{id}}
		s.n = 1
		return true
	}
	ci := s.chunk(id)
	c := s.chunks[ci]
	j, found := slices.BinarySearch(c, id)
	if found {
		return false
	}
	c = slices.Insert(c, j, id)
	if len(c) > chunkLen {
		half := len(c) / 2
		left, right := slices.Clone(c[:half]), slices.Clone(c[half:])
		s.chunks = slices.Insert(s.chunks, ci+1, right)
		c = left
	}
	s.chunks[ci] = c
	s.n++
	return true
}

// remove removes id and reports whether it was present.
func (s *sortedSet) remove(id string) bool {
	if len(s.chunks) == 0 {
		return false
	}
	ci := s.chunk(id)
	c := s.chunks[ci]
	j, found := slices.BinarySearch(c, id)
	if !found {
		return false
	}
	c = slices.Delete(c, j, j+1)
	if len(c) == 0 {
		s.chunks = slices.Delete(s.chunks, ci, ci+1)
	} else {
		s.chunks[ci] = c
	}
	s.n--
	return true
}

// ids returns the ids in order, as a new slice. A nil set is empty.
func (s *sortedSet) ids() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, s.n)
	for _, c := range s.chunks {
		out = append(out, c...)
	}
	return out
}

// each calls fn with the ids in the range r, in its order, until fn
// returns false (r.Limit aside: callers count what they keep). A nil set
// is empty.
func (s *sortedSet) each(r rbac.Range, fn func(string) bool) {
	if s == nil {
		return
	}
	if !r.Desc {
		ci, j := 0, 0
		if r.After != "" && len(s.chunks) > 0 {
			ci = s.chunk(r.After)
			j, _ = slices.BinarySearch(s.chunks[ci], r.After)
			if j < len(s.chunks[ci]) && s.chunks[ci][j] == r.After {
				j++
			}
		}
		for ; ci < len(s.chunks); ci, j = ci+1, 0 {
			for _, id := range s.chunks[ci][j:] {
				if r.Before != "" && id >= r.Before {
					return
				}
				if !fn(id) {
					return
				}
			}
		}
		return
	}
	ci, end := len(s.chunks)-1, -1 // end: the exclusive end in chunk ci, -1 for all of it
	if r.Before != "" && len(s.chunks) > 0 {
		ci = s.chunk(r.Before)
		end, _ = slices.BinarySearch(s.chunks[ci], r.Before) // the ids before end are < Before
	}
	for ; ci >= 0; ci-- {
		c := s.chunks[ci]
		hi := len(c)
		if end >= 0 {
			hi, end = end, -1
		}
		for j := hi - 1; j >= 0; j-- {
			if r.After != "" && c[j] <= r.After {
				return
			}
			if !fn(c[j]) {
				return
			}
		}
	}
}

// setAdd adds id to s, undoably.
func setAdd(t *tx, s *sortedSet, id string) {
	if s.add(id) {
		t.undo = append(t.undo, func() { s.remove(id) })
	}
}

// setRemove removes id from s, undoably.
func setRemove(t *tx, s *sortedSet, id string) {
	if s.remove(id) {
		t.undo = append(t.undo, func() { s.add(id) })
	}
}

// indexAdd adds id to the set of key k of idx, undoably.
func indexAdd[K comparable](t *tx, idx map[K]*sortedSet, k K, id string) {
	s := idx[k]
	if s == nil {
		s = &sortedSet{}
		idx[k] = s
	}
	if !s.add(id) {
		return
	}
	t.undo = append(t.undo, func() {
		// Look the set up again: a later indexRemove that emptied it and
		// was undone has put a new set in its place.
		s := idx[k]
		s.remove(id)
		if s.n == 0 {
			delete(idx, k)
		}
	})
}

// indexRemove removes id from the set of key k of idx, undoably; an
// emptied set leaves the index.
func indexRemove[K comparable](t *tx, idx map[K]*sortedSet, k K, id string) {
	s := idx[k]
	if s == nil || !s.remove(id) {
		return
	}
	if s.n == 0 {
		delete(idx, k)
	}
	t.undo = append(t.undo, func() {
		s := idx[k]
		if s == nil {
			s = &sortedSet{}
			idx[k] = s
		}
		s.add(id)
	})
}
