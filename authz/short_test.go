package authz

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCanShortPath checks that Can answers checks of short ids and slugs
// — ids of 1 to 64 bytes, slugs of 1 to 32, members with at most one
// environment role — without the general path for nearly all of them (the
// few left are records past their candidate table entry), and that its
// answers are snapshot.can's. A short path that fell back for every check
// would give the same answers, only slower: this is the test that sees it.
func TestCanShortPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	word := func(prefix string, n int) string {
		if n < 8 {
			prefix = ""
		}
		s := fmt.Sprintf("%s%x", prefix, rng.Uint64())
		for len(s) < n {
			s += fmt.Sprintf("%x", rng.Uint64())
		}
		return s[:n]
	}
	const nperms, members = 150, 3000
	grants := make([][]uint32, 6)
	for r := range grants {
		for range 10 {
			grants[r] = append(grants[r], uint32(rng.IntN(nperms)))
		}
	}
	env := testEnv(nperms, grants...)
	const seed = 77
	env.perms = newPermTable(seed, nperms)
	slugs := make([]string, nperms)
	for i := range slugs {
		slugs[i] = word("perm:", 1+rng.IntN(32))
		env.perms.put(slugs[i], uint32(i))
	}
	type member struct{ org, user string }
	var ms []member
	table := newMemberTable(0)
	for range members {
		m := member{word("org_", 1+rng.IntN(64)), word("user_", 1+rng.IntN(64))}
		orgBits := make([]uint64, rng.IntN(int(env.width)+1))
		for w := range orgBits {
			orgBits[w] = rng.Uint64() & rng.Uint64()
		}
		var envRoles []uint32
		if rng.IntN(2) == 0 {
			envRoles = []uint32{uint32(rng.IntN(len(grants)))}
		}
		table = putRecord(table, seed, testRecord(m.org, m.user, orgBits, envRoles))
		ms = append(ms, m)
	}
	s := &snapshot{env: env, members: table}
	a := &Authorizer{seed: seed}
	a.root.Store(s)

	general := 0
	testHookGeneral = func() { general++ }
	defer func() { testHookGeneral = nil }()
	const checks = 20000
	granted, missing, missingGeneral := 0, 0, 0
	for k := range checks {
		m, slug := ms[rng.IntN(len(ms))], slugs[rng.IntN(nperms)]
		absent := k%4 == 0 // a user of another member: nearly always no membership
		if absent {
			m.user = ms[rng.IntN(len(ms))].user
		}
		before := general
		got := a.Can(m.org, m.user, slug)
		viaGeneral := general > before
		testHookGeneral = nil
		want := s.can(m.org, m.user, slug, seed)
		testHookGeneral = func() { general++ }
		if !viaGeneral && got != want {
			t.Fatalf("Can(%q, %q, %q) = %v, the general path %v", m.org, m.user, slug, got, want)
		}
		if got {
			granted++
		}
		if absent && findMember(table, pairHash(m.org, m.user, seed), m.org, m.user) == nil {
			missing++
			if viaGeneral {
				missingGeneral++
			}
		}
	}
	if general > checks/10 || granted == 0 {
		t.Errorf("the general path answered %d of %d checks (want at most 10%%); %d granted", general, checks, granted)
	}
	// Most checks of a membership that does not exist end at the table
	// entries, which show it absent; the others (three full entries in a
	// row) go the general way.
	if missing < checks/8 || missingGeneral > missing/3 {
		t.Errorf("the general path answered %d of %d checks denied for want of a membership (want at most a third)", missingGeneral, missing)
	}
	t.Logf("the general path answered %d of %d checks, %d of the %d denied for want of a membership", general, checks, missingGeneral, missing)
}
