package authz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
)

// The check benchmarks run at the scale the library is designed for: one
// environment with 200 permissions and 50 environment roles, 100,000
// organizations with 10 custom roles each, and 1,000,000 active
// memberships (10 per organization). Run them with
//
//	go test -run '^$' -bench 'BenchmarkCan|BenchmarkClaims|BenchmarkSnapshot' -benchmem -count 1 ./authz/
//
// The fixture is built once per process, only by benchmarks, directly
// through the Store's transactions (1,000 organizations per transaction):
// the same records the Service would write, without its checks, which would
// take minutes at this scale.

const (
	benchPerms       = 200
	benchEnvRoles    = 50
	benchOrgRoles    = 10
	benchMembers     = 10 // per organization
	benchOrgs        = 100_000
	benchRolePerms   = 12 // permissions per role
	benchUsers       = 400_000
	benchQueries     = 1 << 14
	benchBatchOfOrgs = 1000
)

type benchFixture struct {
	svc   *rbac.Service
	env   string
	orgs  int
	perms []string
	// rolePerms[r] lists the permission indexes of environment role r
	// (r < benchEnvRoles) or of the organization role r-benchEnvRoles
	// of organization i, at orgRolePerms[i][r-benchEnvRoles].
	envRolePerms [][]uint8
	orgRolePerms [][][]uint8
	// memberRole[i*benchMembers+j] is the role of member j of organization
	// i: an index as in rolePerms.
	memberRole []uint8
}

func benchOrgID(i int) string { return fmt.Sprintf("org_%06d", i) }
func benchUserID(i, j int) string {
	return fmt.Sprintf("user_%06d", (i*benchMembers+j)%benchUsers)
}
func benchMembershipID(i, j int) string { return fmt.Sprintf("om_%07d", i*benchMembers+j) }

func (f *benchFixture) permsOf(i, j int) []uint8 {
	r := int(f.memberRole[i*benchMembers+j])
	if r < benchEnvRoles {
		return f.envRolePerms[r]
	}
	return f.orgRolePerms[i][r-benchEnvRoles]
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[int]*benchFixture{}
)

// fixture returns the fixture with orgs organizations, building it on
// first use.
func fixture(b *testing.B, orgs int) *benchFixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[orgs]; f != nil {
		return f
	}
	start := time.Now()
	f, err := buildFixture(orgs)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d organizations, %d memberships built in %v", orgs, orgs*benchMembers, time.Since(start).Round(time.Millisecond))
	fixtures[orgs] = f
	return f
}

// pickPerms draws benchRolePerms distinct permission indexes.
func pickPerms(rng *rand.Rand) []uint8 {
	out := make([]uint8, 0, benchRolePerms)
	for len(out) < benchRolePerms {
		if p := uint8(rng.IntN(benchPerms)); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func slugs(all []string, idx []uint8) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = all[i]
	}
	return out
}

func buildFixture(orgs int) (*benchFixture, error) {
	ctx := context.Background()
	store := memstore.New()
	svc := rbac.New(store)
	const env = "production"
	e, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, uint64(orgs)))
	f := &benchFixture{svc: svc, env: env, orgs: orgs}
	actions := []string{"read", "write", "delete", "share", "admin"}
	for i := range benchPerms {
		f.perms = append(f.perms, fmt.Sprintf("resource%02d:%s", i/len(actions), actions[i%len(actions)]))
	}
	now := time.Now().UTC()
	envRoles := []string{"member"}
	for r := 1; r < benchEnvRoles; r++ {
		envRoles = append(envRoles, fmt.Sprintf("role-%02d", r))
	}
	err = store.Update(ctx, env, func(tx rbac.Tx) error {
		for i, p := range f.perms {
			if err := tx.PutPermission(ctx, rbac.Permission{ID: fmt.Sprintf("perm_%03d", i), Slug: p, Name: p, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		for r, slug := range envRoles {
			perms := pickPerms(rng)
			f.envRolePerms = append(f.envRolePerms, perms)
			role := rbac.Role{ID: fmt.Sprintf("role_env_%02d", r), Slug: slug, Name: slug, Type: rbac.EnvironmentRole,
				Permissions: sortedSlugs(f.perms, perms), CreatedAt: now, UpdatedAt: now}
			if err := tx.PutRole(ctx, role); err != nil {
				return err
			}
		}
		e.PriorityOrder = envRoles
		return tx.PutEnvironment(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	f.memberRole = make([]uint8, orgs*benchMembers)
	f.orgRolePerms = make([][][]uint8, orgs)
	for lo := 0; lo < orgs; lo += benchBatchOfOrgs {
		err := store.Update(ctx, env, func(tx rbac.Tx) error {
			for i := lo; i < min(lo+benchBatchOfOrgs, orgs); i++ {
				id := benchOrgID(i)
				var orgRoles []string
				for r := range benchOrgRoles {
					orgRoles = append(orgRoles, fmt.Sprintf("org-custom-%d", r))
				}
				org := rbac.Organization{ID: id, Name: id, DefaultRole: "member",
					PriorityOrder: append(append([]string{}, envRoles...), orgRoles...), CreatedAt: now, UpdatedAt: now}
				if err := tx.PutOrganization(ctx, org); err != nil {
					return err
				}
				for r, slug := range orgRoles {
					perms := pickPerms(rng)
					f.orgRolePerms[i] = append(f.orgRolePerms[i], perms)
					role := rbac.Role{ID: fmt.Sprintf("role_%s_%d", id, r), Slug: slug, Name: slug, Type: rbac.OrganizationRole,
						OrganizationID: id, Permissions: sortedSlugs(f.perms, perms), CreatedAt: now, UpdatedAt: now}
					if err := tx.PutRole(ctx, role); err != nil {
						return err
					}
				}
				for j := range benchMembers {
					// 60% hold an environment role, 40% a custom one.
					r := rng.IntN(benchEnvRoles)
					slug := envRoles[r]
					if rng.IntN(10) < 4 {
						k := rng.IntN(benchOrgRoles)
						r, slug = benchEnvRoles+k, orgRoles[k]
					}
					f.memberRole[i*benchMembers+j] = uint8(r)
					m := rbac.Membership{ID: benchMembershipID(i, j), UserID: benchUserID(i, j), OrganizationID: id,
						Status: rbac.StatusActive, Roles: []string{slug}, RoleSource: rbac.SourceManual, CreatedAt: now, UpdatedAt: now}
					if err := tx.PutMembership(ctx, m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// sortedSlugs returns the slugs of idx sorted, as roles keep them.
func sortedSlugs(all []string, idx []uint8) []string {
	s := slugs(all, idx)
	slices.Sort(s)
	return s
}

// benchQuery is one check: half of them ask for a permission the member
// has, half for a random one (mostly denied).
type benchQuery struct {
	org, user, perm string
	key             string // org + "\x00" + user, for the baseline
	bit             int    // the permission's index, for the baseline
	want            bool
}

func (f *benchFixture) queries() []benchQuery {
	rng := rand.New(rand.NewPCG(7, 7))
	qs := make([]benchQuery, benchQueries)
	for k := range qs {
		i, j := rng.IntN(f.orgs), rng.IntN(benchMembers)
		has := f.permsOf(i, j)
		p := rng.IntN(benchPerms)
		if k%2 == 0 {
			p = int(has[rng.IntN(len(has))])
		}
		want := slices.Contains(has, uint8(p))
		org, user := benchOrgID(i), benchUserID(i, j)
		qs[k] = benchQuery{org: org, user: user, perm: f.perms[p], key: org + "\x00" + user, bit: p, want: want}
	}
	return qs
}

var (
	benchAuthMu sync.Mutex
	benchAuths  = map[int]*authz.Authorizer{}
)

// authorizer returns the authorizer of the fixture, registered with its
// Service, loading it on first use and checking it against the store.
func (f *benchFixture) authorizer(b *testing.B) *authz.Authorizer {
	b.Helper()
	benchAuthMu.Lock()
	defer benchAuthMu.Unlock()
	if a := benchAuths[f.orgs]; a != nil {
		return a
	}
	start := time.Now()
	// Polls are rare, so that nothing else runs while checks are timed.
	a, err := authz.New(context.Background(), f.svc, f.env, authz.WithPollInterval(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("snapshot of %d memberships loaded in %v", f.orgs*benchMembers, time.Since(start).Round(time.Millisecond))
	for _, q := range f.queries()[:200] {
		want, err := f.svc.Can(context.Background(), f.env, q.org, q.user, q.perm)
		if err != nil || want != q.want || a.Can(q.org, q.user, q.perm) != want {
			b.Fatalf("Can(%q, %q, %q): authorizer %v, store %v (%v), fixture %v", q.org, q.user, q.perm,
				a.Can(q.org, q.user, q.perm), want, err, q.want)
		}
	}
	benchAuths[f.orgs] = a
	return a
}

var sink bool

// settle collects garbage before the first timed loop of a benchmark, so
// that a collection of the fixture's multi-gigabyte heap does not run
// during it. The timed loops make no garbage.
func settle(b *testing.B) {
	if b.N == 1 {
		runtime.GC()
	}
}

// BenchmarkCan checks random members of random organizations, cycling
// through 16,384 precomputed queries.
func BenchmarkCan(b *testing.B) {
	f := fixture(b, benchOrgs)
	a := f.authorizer(b)
	runChecks(b, a, f.queries())
}

// runChecks times a.Can over qs, cycling through them.
func runChecks(b *testing.B, a *authz.Authorizer, qs []benchQuery) {
	b.ReportAllocs()
	settle(b)
	b.ResetTimer()
	var ok bool
	for i := 0; i < b.N; i++ {
		q := &qs[i&(benchQueries-1)]
		ok = a.Can(q.org, q.user, q.perm)
	}
	sink = ok
}

// BenchmarkCanNotMember checks users who have no membership in the
// organization, with ids as long as the members': the answer, false, comes
// from the table entries alone nearly always.
func BenchmarkCanNotMember(b *testing.B) {
	f := fixture(b, benchOrgs)
	a := f.authorizer(b)
	qs := f.queries()
	for k := range qs {
		qs[k].user = fmt.Sprintf("nouser%05d", k)
		if a.Can(qs[k].org, qs[k].user, qs[k].perm) {
			b.Fatalf("Can(%q, %q, %q) = true for a user with no membership", qs[k].org, qs[k].user, qs[k].perm)
		}
	}
	runChecks(b, a, qs)
}

// BenchmarkCanParallel is BenchmarkCan on every core at once.
func BenchmarkCanParallel(b *testing.B) {
	f := fixture(b, benchOrgs)
	a := f.authorizer(b)
	qs := f.queries()
	b.ReportAllocs()
	settle(b)
	b.ResetTimer()
	var seed sync.Mutex
	next := 0
	b.RunParallel(func(pb *testing.PB) {
		seed.Lock()
		i := next * 4099
		next++
		seed.Unlock()
		var ok bool
		for pb.Next() {
			q := &qs[i&(benchQueries-1)]
			ok = a.Can(q.org, q.user, q.perm)
			i++
		}
		if ok {
			sink = ok
		}
	})
}

type baselineBits [(benchPerms + 63) / 64]uint64

var (
	baselineOnce sync.Once
	baseline     map[string]baselineBits
)

// BenchmarkCanBaseline is the least work that gives the same answers: one
// lookup of a precomputed organization+user key in a single map holding
// every membership's permission bitset, and a bit test at a precomputed
// index. It has no organization structure, cannot be updated without a
// lock and knows nothing of roles; it is the floor BenchmarkCan is
// measured against.
func BenchmarkCanBaseline(b *testing.B) {
	f := fixture(b, benchOrgs)
	qs := f.queries()
	m := f.baseline(b, qs)
	b.ReportAllocs()
	settle(b)
	b.ResetTimer()
	var ok bool
	for i := 0; i < b.N; i++ {
		q := &qs[i&(benchQueries-1)]
		s, found := m[q.key]
		ok = found && s[q.bit>>6]&(1<<(q.bit&63)) != 0
	}
	sink = ok
}

// baseline returns the map of BenchmarkCanBaseline, building it on first
// use and checking it against the queries.
func (f *benchFixture) baseline(b *testing.B, qs []benchQuery) map[string]baselineBits {
	baselineOnce.Do(func() {
		baseline = make(map[string]baselineBits, f.orgs*benchMembers)
		for i := range f.orgs {
			for j := range benchMembers {
				var s baselineBits
				for _, p := range f.permsOf(i, j) {
					s[p>>6] |= 1 << (p & 63)
				}
				baseline[benchOrgID(i)+"\x00"+benchUserID(i, j)] = s
			}
		}
	})
	for _, q := range qs {
		s := baseline[q.key]
		if got := s[q.bit>>6]&(1<<(q.bit&63)) != 0; got != q.want {
			b.Fatalf("baseline wrong for %+v", q)
		}
	}
	return baseline
}

// BenchmarkCanRatio measures BenchmarkCan's and BenchmarkCanBaseline's
// loops in alternation, 400 rounds of 16,384 checks each, and reports the
// median of the rounds' ratios (ratio), their quartiles, and each side's
// mean (can-ns/op, baseline-ns/op). On a machine whose speed drifts from
// one second to the next, as virtual machines' do, this is a steadier
// figure than the ratio of two benchmarks run one after the other.
func BenchmarkCanRatio(b *testing.B) {
	f := fixture(b, benchOrgs)
	a := f.authorizer(b)
	qs := f.queries()
	m := f.baseline(b, qs)
	settle(b)
	b.ResetTimer()
	const rounds = 400
	var ok bool
	can := func(r int) time.Duration {
		start := time.Now()
		for i := range benchQueries {
			q := &qs[(i+r*977)&(benchQueries-1)]
			ok = a.Can(q.org, q.user, q.perm)
		}
		return time.Since(start)
	}
	base := func(r int) time.Duration {
		start := time.Now()
		for i := range benchQueries {
			q := &qs[(i+r*977)&(benchQueries-1)]
			s, found := m[q.key]
			ok = found && s[q.bit>>6]&(1<<(q.bit&63)) != 0
		}
		return time.Since(start)
	}
	var ratios []float64
	var tc, tb time.Duration
	for n := 0; n < b.N; n++ {
		for r := range rounds {
			var c, x time.Duration
			if r%2 == 0 { // either may go first
				c, x = can(r), base(r)
			} else {
				x, c = base(r), can(r)
			}
			tc, tb = tc+c, tb+x
			ratios = append(ratios, float64(c)/float64(x))
		}
	}
	sink = ok
	slices.Sort(ratios)
	checks := float64(b.N * rounds * benchQueries)
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
	b.ReportMetric(ratios[len(ratios)/4], "ratio-q1")
	b.ReportMetric(ratios[3*len(ratios)/4], "ratio-q3")
	b.ReportMetric(float64(tc.Nanoseconds())/checks, "can-ns/op")
	b.ReportMetric(float64(tb.Nanoseconds())/checks, "baseline-ns/op")
}

// BenchmarkClaims builds the session claims of random members.
func BenchmarkClaims(b *testing.B) {
	f := fixture(b, benchOrgs)
	a := f.authorizer(b)
	qs := f.queries()
	b.ReportAllocs()
	settle(b)
	b.ResetTimer()
	var ok bool
	for i := 0; i < b.N; i++ {
		q := &qs[i&(benchQueries-1)]
		_, ok = a.Claims(q.org, q.user)
	}
	sink = ok
}

// BenchmarkSnapshotMemory loads the snapshot of the full-scale fixture and
// reports its heap size per membership (bytes/membership: live heap after
// garbage collection, with the snapshot, minus before it) and how long the
// load took (ns/op).
func BenchmarkSnapshotMemory(b *testing.B) {
	f := fixture(b, benchOrgs)
	var ms runtime.MemStats
	var bytes float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		// A Service of its own, so that no hook keeps earlier snapshots.
		svc := rbac.New(f.svc.Store())
		b.StartTimer()
		a, err := authz.New(context.Background(), svc, f.env)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		a.Close()
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		bytes = float64(ms.HeapAlloc) - float64(before)
		runtime.KeepAlive(a)
		b.StartTimer()
	}
	b.ReportMetric(bytes/float64(f.orgs*benchMembers), "bytes/membership")
	b.ReportMetric(bytes/(1<<20), "MiB")
}

// BenchmarkLoadSmall loads the snapshot of a fixture of 10,000
// organizations (100,000 memberships) from memstore: for profiling.
func BenchmarkLoadSmall(b *testing.B) {
	f := fixture(b, 10_000)
	svc := rbac.New(f.svc.Store())
	b.ReportAllocs()
	for b.Loop() {
		a, err := authz.New(context.Background(), svc, f.env)
		if err != nil {
			b.Fatal(err)
		}
		a.Close()
	}
}
