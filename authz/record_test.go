package authz

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orgroles/rbac"
)

// testEnv returns an environment part whose role i grants the permission
// ids in grants[i].
func testEnv(perms int, grants ...[]uint32) *envPart {
	e := &envPart{roles: make([]envRole, len(grants)), width: uint64(perms+63) / 64}
	e.bits = make([]uint64, (len(grants)+1)*int(e.width))
	for i, g := range grants {
		for _, p := range g {
			e.bits[i*int(e.width)+int(p/64)] |= 1 << (p % 64)
		}
	}
	return e
}

// testRecord returns a record holding the environment roles envRoles and,
// when orgBits is not empty, one organization role granting its
// permissions.
func testRecord(org, user string, orgBits []uint64, envRoles []uint32) record {
	var held []heldRole
	for _, id := range envRoles {
		held = append(held, heldRole{env: true, id: id})
	}
	if len(orgBits) > 0 {
		held = append(held, heldRole{slug: "org-x"})
	}
	kind := recordKind(held, true)
	if len(held) == 0 {
		kind = ordered
	}
	return appendRecord(nil, org, user, kind, held, orgBits, envRoles)
}

// putRecord publishes r in t, replacing the record of the same
// membership, and returns the table to use from now on.
func putRecord(t *memberTable, seed uint64, r record) *memberTable {
	org, user := r.ids()
	return t.put(pairHash(org, user, seed), &r[0], isMember(org, user))
}

func TestRecords(t *testing.T) {
	const perms = 300 // five words
	env := testEnv(perms, []uint32{0, 63}, []uint32{64, 299}, []uint32{128})
	type member struct {
		org, user string
		orgBits   []uint64
		envRoles  []uint32
		held      []heldRole // the roles, when not those testRecord gives
		ordered   bool
		want      []uint32 // the permissions granted
	}
	long := strings.Repeat("x", 200)
	members := []member{
		{org: "o", user: "u", want: nil},
		{org: "acme", user: "user_1", envRoles: []uint32{0}, want: []uint32{0, 63}},
		{org: "org_01EHZNVPK3SFK441A1RGBFSHRT", user: "user_01E4ZCR3C56J083X43JQXF3JK5",
			envRoles: []uint32{1, 2}, want: []uint32{64, 128, 299}},
		{org: "org_000001", user: "user_00000001", orgBits: []uint64{1 << 5, 0, 1 << 2},
			want: []uint32{5, 130}},
		{org: "org_000001", user: "user_00000002", orgBits: []uint64{1 << 5},
			envRoles: []uint32{2, 0, 1}, want: []uint32{0, 5, 63, 64, 128, 299}},
		{org: long, user: long + "y", orgBits: []uint64{0, 0, 0, 0, 1 << 43}, want: []uint32{299}},
		// A role the environment part does not know grants nothing.
		{org: "acme", user: "ghost", envRoles: []uint32{7}, want: nil},
		// Several roles in an order of the organization's own, with
		// slugs of every length a slug may have.
		{org: "acme", user: "multi", orgBits: []uint64{1 << 7}, envRoles: []uint32{1},
			held:    []heldRole{{slug: "org-" + strings.Repeat("b", 44)}, {env: true, id: 1}, {slug: "org-a"}},
			ordered: true, want: []uint32{7, 64, 299}},
	}
	var got []record
	for _, m := range members {
		r := testRecord(m.org, m.user, m.orgBits, m.envRoles)
		if m.held != nil {
			kind := unordered
			if m.ordered {
				kind = ordered
			}
			r = appendRecord(nil, m.org, m.user, kind, m.held, m.orgBits, m.envRoles)
		}
		if len(r)%8 != 0 || len(r) < 24 {
			t.Fatalf("record of %s/%s has %d bytes, not a multiple of 8 of at least 24", m.org, m.user, len(r))
		}
		// The record's length is what its header says.
		if n := len(recordAt(&r[0])); n != len(r) {
			t.Fatalf("record of %s/%s: recordAt says %d bytes, want %d", m.org, m.user, n, len(r))
		}
		got = append(got, r)
	}
	for i, m := range members {
		r := got[i]
		if org, user := r.ids(); org != m.org || user != m.user {
			t.Errorf("record %d: ids %q %q, want %q %q", i, org, user, m.org, m.user)
		}
		kind, roles := r.roles(nil)
		wantRoles := m.held
		if wantRoles == nil {
			for _, id := range m.envRoles {
				wantRoles = append(wantRoles, heldRole{env: true, id: id})
			}
			if len(m.orgBits) > 0 {
				wantRoles = append(wantRoles, heldRole{slug: "org-x"})
			}
		}
		if fmt.Sprint(roles) != fmt.Sprint(wantRoles) {
			t.Errorf("record %d: roles %v (kind %x), want %v", i, roles, kind, wantRoles)
		}
		var ids []uint32
		r.envRoleIDs(func(id uint32) { ids = append(ids, id) })
		if fmt.Sprint(ids) != fmt.Sprint(m.envRoles) && !(len(ids) == 0 && len(m.envRoles) == 0) {
			t.Errorf("record %d: environment roles %v, want %v", i, ids, m.envRoles)
		}
		if !is(&r[0], m.org, m.user) || !isOf(&r[0], m.org) {
			t.Errorf("record %d: is(%q, %q) = false", i, m.org, m.user)
		}
		for _, o := range [][2]string{
			{m.org + "x", m.user}, {m.org, m.user + "x"}, {m.user, m.org},
			{m.org[:len(m.org)-1], m.org[len(m.org)-1:] + m.user}, // same bytes, other split
			{strings.ToUpper(m.org), m.user},
		} {
			if o != [2]string{m.org, m.user} && is(&r[0], o[0], o[1]) {
				t.Errorf("record %d: is(%q, %q) = true", i, o[0], o[1])
			}
		}
		for p := uint32(0); p < 64*uint32(env.width); p++ { // every id a part's permission may have
			want := false
			for _, w := range m.want {
				want = want || w == p
			}
			if g := grants(&r[0], env, p); g != want {
				t.Errorf("record %d (%s): grants(%d) = %v, want %v", i, fmt.Sprint(m.want), p, g, want)
			}
		}
	}
}

func TestMemberTable(t *testing.T) {
	// Growing from the smallest table, replacing and removing entries.
	const seed = 11
	tab := newMemberTable(0)
	put := func(org, user string, ref uint32) {
		tab = putRecord(tab, seed, testRecord(org, user, nil, []uint32{ref}))
	}
	find := func(org, user string) (uint32, bool) {
		p := findMember(tab, pairHash(org, user, seed), org, user)
		if p == nil {
			return 0, false
		}
		_, roles := recordAt(p).roles(nil)
		return roles[0].id, true
	}
	for i := range 500 {
		put(fmt.Sprint("org", i%7), fmt.Sprint("user", i), uint32(i))
	}
	for i := range 500 {
		if i%3 == 0 {
			org, user := fmt.Sprint("org", i%7), fmt.Sprint("user", i)
			tab.remove(pairHash(org, user, seed), isMember(org, user))
		}
		if i%3 == 1 {
			put(fmt.Sprint("org", i%7), fmt.Sprint("user", i), uint32(i+1000))
		}
	}
	for i := range 500 {
		ref, ok := find(fmt.Sprint("org", i%7), fmt.Sprint("user", i))
		want, wantOK := uint32(i), true
		switch i % 3 {
		case 0:
			want, wantOK = 0, false
		case 1:
			want = uint32(i + 1000)
		}
		if ref != want || ok != wantOK {
			t.Errorf("user%d: %d %v, want %d %v", i, ref, ok, want, wantOK)
		}
		if _, ok := find(fmt.Sprint("org", (i+1)%7), fmt.Sprint("user", i)); ok {
			t.Errorf("user%d found in another organization", i)
		}
	}
	if tab.live != 500-167 {
		t.Errorf("live = %d, want %d", tab.live, 500-167)
	}
}

// TestCanComparesWholeIDs makes the table entry of a membership point to
// the record of another one whose ids differ in one byte, as a collision
// of their 64-bit hashes would: a check must not take one for the other,
// whichever byte differs and however long the ids are. The same for the
// permission table's entries.
func TestCanComparesWholeIDs(t *testing.T) {
	const seed = 42
	env := testEnv(1, []uint32{0})
	env.perms = newPermTable(seed, 1)
	env.perms.put("docs:read", 0)
	a := &Authorizer{seed: seed}
	const text = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
	for n := 1; n <= len(text); n++ {
		for _, which := range []string{"org", "user"} {
			for k := range n {
				org, user := text[:n], strings.ToUpper(text[:n])
				other := org[:k] + "_" + org[k+1:]
				rec := testRecord(other, user, nil, []uint32{0})
				if which == "user" {
					other = user[:k] + "_" + user[k+1:]
					rec = testRecord(org, other, nil, []uint32{0})
				}
				members := newMemberTable(1)
				members.insert(pairHash(org, user, seed), &rec[0])
				a.root.Store(&snapshot{env: env, members: members})
				if a.Can(org, user, "docs:read") {
					t.Fatalf("%d-byte ids: the record of %s %q is taken for %q", n, which, other, text[:n])
				}
			}
		}
		// The permission table's entry at a slug's home holding another
		// slug of the same length, as a collision would, is not taken
		// for it either.
		if n >= 8 && n <= 32 {
			org, user := text[:n], strings.ToUpper(text[:n])
			rec := testRecord(org, user, nil, []uint32{0})
			members := newMemberTable(1)
			members.insert(pairHash(org, user, seed), &rec[0])
			for k := range n {
				slug := text[:n]
				other := slug[:k] + "_" + slug[k+1:]
				e := testEnv(1, []uint32{0})
				e.perms = newPermTable(seed, 1)
				e.perms.put(other, 0)
				home := e.perms.home(idHash(slug, seed))
				for i := range e.perms.entries { // move it to slug's home
					if e.perms.entries[i].n != 0 {
						e.perms.entries[i], e.perms.entries[home] = e.perms.entries[home], e.perms.entries[i]
						break
					}
				}
				if e.perms.entries[home].slug != other {
					t.Fatalf("%d-byte slug: %q not moved to the home of %q", n, other, slug)
				}
				a.root.Store(&snapshot{env: e, members: members})
				if a.Can(org, user, slug) {
					t.Fatalf("%d-byte slug: the entry of %q is taken for %q", n, other, slug)
				}
				// Put after it, the slug itself is found past the other.
				e.perms.put(slug, 0)
				if !a.Can(org, user, slug) {
					t.Fatalf("%d-byte slug: %q is not found past %q", n, slug, other)
				}
			}
		}
		// The record of the membership itself is found.
		org, user := text[:n], strings.ToUpper(text[:n])
		rec := testRecord(org, user, nil, []uint32{0})
		members := newMemberTable(1)
		members.insert(pairHash(org, user, seed), &rec[0])
		a.root.Store(&snapshot{env: env, members: members})
		if !a.Can(org, user, "docs:read") {
			t.Fatalf("%d-byte ids: the membership's own record is not found", n)
		}
	}
}

// TestClamps checks the branch-free arithmetic of a check's last step:
// clamp against min, lastWord against max(width, 1) - 1, and envPart.word
// against a plain index for every role id, the zero row and ids past it.
func TestClamps(t *testing.T) {
	values := []uint64{0, 1, 2, 3, 4, 63, 64, 65, 1<<16 - 1, 1 << 16, noRole - 1, noRole, 1<<62 + 5, 1<<63 - 1}
	for _, a := range values {
		if got := lastWord(a); got != max(a, 1)-1 {
			t.Errorf("lastWord(%d) = %d, want %d", a, got, max(a, 1)-1)
		}
		for _, b := range values {
			if got := clamp(a, b); got != min(a, b) {
				t.Errorf("clamp(%d, %d) = %d, want %d", a, b, got, min(a, b))
			}
		}
	}
	e := testEnv(200, []uint32{0, 64, 199}, []uint32{1, 128}, nil)
	for _, id := range []uint64{0, 1, 2, 3, 4, 1000, noRole} {
		row := min(id, uint64(len(e.roles)))
		for w := range e.width {
			if got, want := e.word(id, w), e.bits[row*e.width+w]; got != want {
				t.Errorf("word(%d, %d) = %#x, want %#x", id, w, got, want)
			}
		}
	}
}

// TestRoleList checks the list a full load keeps the organization roles
// in: found after a sort when they were added out of order, across
// chunks, and not found when absent.
func TestRoleList(t *testing.T) {
	var l roleList
	const n = 3*roleChunk + 17
	for i := range n {
		k := (i * 7919) % n // out of order
		l.add(listedRole{ref: rbac.RoleRef{OrganizationID: fmt.Sprintf("org%06d", k), Slug: "org-a"}, r: orgRole{bits: []uint64{uint64(k)}, ok: true}})
	}
	l.sort()
	for i := 0; i < n; i += 97 {
		r, ok := l.find(rbac.RoleRef{OrganizationID: fmt.Sprintf("org%06d", i), Slug: "org-a"})
		if !ok || r.bits[0] != uint64(i) {
			t.Fatalf("find(org%06d) = %v, %v", i, r, ok)
		}
	}
	for _, ref := range []rbac.RoleRef{{OrganizationID: "org000001", Slug: "org-b"}, {OrganizationID: "zzz", Slug: "org-a"}, {}} {
		if _, ok := l.find(ref); ok {
			t.Errorf("find(%v) found", ref)
		}
	}
}
