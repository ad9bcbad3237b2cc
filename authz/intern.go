package authz

import (
	"strings"
	"time"
)

// ---- interning ----
//
// Permission slugs are interned to bit positions and environment role
// slugs to rows of the environment part's bitsets. An id is held by the
// current environment part (the permission or role exists) and by every
// published record that names it (a set bit of its organization bitset,
// an environment role it holds). When nothing holds an id any more — the
// permission or role was deleted and every record that named it has been
// replaced — its slug leaves the table and, after a quarantine, the id
// is given to another slug, so the tables and the bitsets stay as small as
// what exists.
//
// The quarantine protects a check that read the snapshot's environment
// part before a deletion and reads a record built after the id was
// reused: records are shared by successive snapshots, environment parts
// are not. A check lasts a fraction of a microsecond; the quarantine is a
// minute.
type interner struct {
	ids   map[string]uint32
	names []string // id → slug; "" when free
	refs  []int32  // holders of each id, the environment part included
	inEnv []bool   // the current environment part holds the id
	free  []freed  // released ids, oldest first
	peak  int      // the most slugs the map has held since it was made
	fresh []uint32 // ids given since the last sweep
	now   func() time.Time
}

type freed struct {
	id uint32
	at time.Time
}

// quarantine is how long a released id waits before it is reused.
const quarantine = time.Minute

func newInterner(now func() time.Time) *interner {
	return &interner{ids: map[string]uint32{}, now: now}
}

// id returns the id of slug, assigning one if it has none.
func (t *interner) id(slug string) uint32 {
	if id, ok := t.ids[slug]; ok {
		return id
	}
	var id uint32
	if len(t.free) > 0 && t.now().Sub(t.free[0].at) >= quarantine {
		id = t.free[0].id
		t.free = t.free[1:]
	} else {
		id = uint32(len(t.names))
		t.names = append(t.names, "")
		t.refs = append(t.refs, 0)
		t.inEnv = append(t.inEnv, false)
	}
	slug = strings.Clone(slug)
	t.fresh = append(t.fresh, id)
	t.ids[slug] = id
	t.names[id] = slug
	t.peak = max(t.peak, len(t.ids))
	return id
}

// size returns one more than the largest id in use: the length of the
// tables indexed by id.
func (t *interner) size() int { return len(t.names) }

// hold and release count one holder of id more or less.
func (t *interner) hold(id uint32) { t.refs[id]++ }

func (t *interner) release(id uint32) {
	t.refs[id]--
	if t.refs[id] == 0 {
		t.drop(id)
	}
}

// drop releases id, whose last holder is gone.
func (t *interner) drop(id uint32) {
	delete(t.ids, t.names[id])
	t.names[id] = ""
	t.free = append(t.free, freed{id, t.now()})
	if len(t.ids) < t.peak/4 && t.peak > 64 {
		// A map does not shrink: copy it once it holds a quarter of
		// what it held at most.
		ids := make(map[string]uint32, len(t.ids))
		for k, v := range t.ids {
			ids[k] = v
		}
		t.ids, t.peak = ids, len(ids)
	}
}

// setEnv makes the ids of slugs the ones the environment part holds,
// releasing those it held and no longer does. It returns the ids of
// slugs, in order.
func (t *interner) setEnv(slugs []string) []uint32 {
	out := make([]uint32, len(slugs))
	now := make(map[uint32]bool, len(slugs))
	for i, s := range slugs {
		id := t.id(s)
		out[i] = id
		now[id] = true
		if !t.inEnv[id] {
			t.inEnv[id] = true
			t.hold(id)
		}
	}
	for id, in := range t.inEnv {
		if in && !now[uint32(id)] {
			t.inEnv[id] = false
			t.release(uint32(id))
		}
	}
	return out
}

// sweep releases the ids given since the last sweep that nothing came to
// hold (a record built and not published).
func (t *interner) sweep() {
	for _, id := range t.fresh {
		if t.refs[id] == 0 && t.names[id] != "" {
			t.drop(id)
		}
	}
	t.fresh = t.fresh[:0]
}

// live reports whether id is held.
func (t *interner) live(id uint32) bool { return int(id) < len(t.refs) && t.refs[id] > 0 }
