package authz_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
	"github.com/orgroles/rbac/memstore"
)

func newMemWorld(tb fataler, follow bool) *world {
	tb.Helper()
	var feed rbac.Feed
	if follow {
		feed = newLogFeed()
	}
	return newWorld(tb, memstore.New(), "production", feed)
}

// TestAgrees drives random writes through the Service on memstore and,
// after each one, compares every check and every claim of the authorizer
// registered with the Service, and of one in another Service following
// its writes through an itemized feed, with the recomputation from the
// store; and their revision with the environment's. The feed marks the
// changes of more than two memberships bulk (the follower then loads
// again), and half the sequences read the memberships a change names in
// one listing rather than one by one.
func TestAgrees(t *testing.T) {
	var n tally
	rapid.Check(t, func(t *rapid.T) {
		if rapid.Bool().Draw(t, "bulk reads") {
			t.Cleanup(authz.SetBulkReads(0))
		}
		feed := newLogFeed()
		feed.bulkAbove = 2
		agree(t, newWorld(t, memstore.New(), "production", feed), &n, false)
	})
	checkTally(t, &n)
}

// TestComparisonCatchesStaleSnapshot checks that the comparison of
// TestAgrees can fail: an authorizer that is not told about writes (it is
// registered with another Service on the same store, and follows nothing)
// must be reported as disagreeing after a write that changes answers, and
// agree again after Reload.
func TestComparisonCatchesStaleSnapshot(t *testing.T) {
	w := newMemWorld(t, false)
	stale, err := authz.New(w.ctx, rbac.New(w.svc.Store()), w.env, authz.WithPollInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	if d := disagreements(w, stale, nil, true); len(d) > 0 {
		t.Fatalf("disagreement before any write: %v", d)
	}
	seedAcme(t, w)
	if d := disagreements(w, stale, nil, true); len(d) == 0 {
		t.Fatal("the comparison did not notice a stale snapshot")
	}
	if d := disagreements(w, w.auth, nil, true); len(d) > 0 {
		t.Errorf("the registered authorizer disagrees: %v", d)
	}
	if err := stale.Reload(w.ctx); err != nil {
		t.Fatal(err)
	}
	if d := disagreements(w, stale, nil, true); len(d) > 0 {
		t.Errorf("disagreement after Reload: %v", d)
	}
}

// seedAcme writes a small environment: permissions, an environment role, an
// organization with a custom role, an active and a pending member.
func seedAcme(tb testing.TB, w *world) {
	tb.Helper()
	must := func(_ any, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, p := range permPool {
		must(w.svc.CreatePermission(w.ctx, w.env, rbac.PermissionInput{Slug: p, Name: p}))
	}
	must(w.svc.CreateRole(w.ctx, w.env, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: permPool}))
	must(w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"docs:read"})}))
	must(w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: "acme"}))
	must(w.svc.CreateOrganizationRole(w.ctx, w.env, "acme", rbac.RoleInput{Slug: "finance", Name: "Finance",
		Permissions: []string{"billing.*", "docs:read"}}))
	must(w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: "acme", UserID: "ana", Roles: []string{"org-finance"}}))
	must(w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: "acme", UserID: "bob", Roles: []string{"admin"},
		Status: rbac.StatusPending}))
}

func TestBasics(t *testing.T) {
	w := newMemWorld(t, false)
	seedAcme(t, w)
	a := w.auth
	checks := []struct {
		org, user, perm string
		want            bool
	}{
		{"acme", "ana", "billing.*", true},
		{"acme", "ana", "docs:read", true},
		{"acme", "ana", "docs:write", false},
		{"acme", "bob", "docs:read", false}, // pending
		{"acme", "cy", "docs:read", false},  // no membership
		{"globex", "ana", "docs:read", false},
		{"acme", "ana", "no-such", false},
	}
	for _, c := range checks {
		if got := a.Can(c.org, c.user, c.perm); got != c.want {
			t.Errorf("Can(%q, %q, %q) = %v, want %v", c.org, c.user, c.perm, got, c.want)
		}
	}
	want := rbac.Claims{OrganizationID: "acme", Role: "org-finance", Roles: []string{"org-finance"},
		Permissions: []string{"billing.*", "docs:read"}}
	got, ok, rev := a.ClaimsAt("acme", "ana")
	if !ok {
		t.Fatal("no claims for an active member")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	if e := w.revision(t); rev != e {
		t.Errorf("claims revision %d, want %d", rev, e)
	}
	// A write is visible when the call returns.
	m, _ := w.svc.FindMembership(w.ctx, w.env, "acme", "bob")
	before := w.revision(t)
	if _, err := w.svc.AcceptMembership(w.ctx, w.env, m.ID); err != nil {
		t.Fatal(err)
	}
	if ok, rev := a.CanAt("acme", "bob", "docs:write"); !ok || rev != before+1 {
		t.Errorf("after accepting: CanAt = %v at %d, want true at %d", ok, rev, before+1)
	}
	if _, err := w.svc.DeactivateMembership(w.ctx, w.env, m.ID); err != nil {
		t.Fatal(err)
	}
	if a.Can("acme", "bob", "docs:read") {
		t.Error("an inactive member is allowed")
	}
	// An organization role change reaches its holders.
	if _, err := w.svc.UpdateOrganizationRole(w.ctx, w.env, "acme", "org-finance", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"audit:view"})}); err != nil {
		t.Fatal(err)
	}
	if a.Can("acme", "ana", "billing.*") || !a.Can("acme", "ana", "audit:view") {
		t.Error("organization role change not visible")
	}
	if _, err := w.svc.DeleteOrganization(w.ctx, w.env, "acme", rbac.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Claims("acme", "ana"); ok {
		t.Error("claims in a deleted organization")
	}
	if a.Can("acme", "ana", "audit:view") {
		t.Error("a check allowed in a deleted organization")
	}
}

// TestIDLengths compares checks of ids and slugs of lengths from 1 to 72
// bytes — read in different ways by checks — and of ids and slugs that
// differ from them in one byte, with the store's answers.
func TestIDLengths(t *testing.T) {
	w := newMemWorld(t, false)
	const text = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
	lengths := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 36, 40, 47, 48, 49, 63, 64, 65, 72}
	// near returns s and the strings that differ from it in one byte, at
	// each position.
	near := func(s string) []string {
		out := []string{s}
		for k := range len(s) {
			out = append(out, s[:k]+"_"+s[k+1:])
		}
		return out
	}
	var orgs, users, perms []string
	for _, n := range lengths {
		orgs = append(orgs, "o"+text[:n-1])
		users = append(users, "u"+text[:n-1])
		if n <= 48 { // the longest slug allowed
			perms = append(perms, ("p:" + text)[:n])
		}
	}
	var granted []string
	for i, p := range perms {
		if _, err := w.svc.CreatePermission(w.ctx, w.env, rbac.PermissionInput{Slug: p, Name: p}); err != nil {
			t.Fatalf("permission %q: %v", p, err)
		}
		if i%2 == 0 {
			granted = append(granted, p)
		}
	}
	if _, err := w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: &granted}); err != nil {
		t.Fatal(err)
	}
	for i, org := range orgs {
		if _, err := w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: org}); err != nil {
			t.Fatalf("organization %q: %v", org, err)
		}
		for j, user := range users {
			if (i+j)%3 != 0 {
				if _, err := w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: org, UserID: user}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var allowed, denied int
	check := func(org, user, perm string) {
		want, err := w.svc.Can(w.ctx, w.env, org, user, perm)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.auth.Can(org, user, perm); got != want {
			t.Errorf("Can(%q, %q, %q) = %v, want %v", org, user, perm, got, want)
		}
		if want {
			allowed++
		} else {
			denied++
		}
	}
	for _, org := range orgs {
		for _, user := range users {
			for _, p := range perms {
				check(org, user, p)
			}
		}
	}
	// One of org, user and permission differs in one byte.
	for i := range lengths {
		for _, org := range near(orgs[i])[1:] {
			check(org, users[i], granted[0])
		}
		for _, user := range near(users[i])[1:] {
			check(orgs[(i+1)%len(orgs)], user, granted[0])
		}
	}
	for i, perm := range perms {
		for _, p := range near(perm)[1:] {
			check(orgs[i], users[(i+1)%len(users)], p)
		}
	}
	if allowed == 0 || denied == 0 {
		t.Errorf("compared %d allowed and %d denied checks; want both", allowed, denied)
	}
}

func TestCanDoesNotAllocate(t *testing.T) {
	w := newMemWorld(t, false)
	seedAcme(t, w)
	for _, c := range [][3]string{{"acme", "ana", "billing.*"}, {"acme", "ana", "docs:write"}, {"acme", "zed", "docs:read"}, {"nope", "ana", "docs:read"}} {
		if n := testing.AllocsPerRun(100, func() { w.auth.Can(c[0], c[1], c[2]) }); n != 0 {
			t.Errorf("Can%q allocates %v times", c, n)
		}
	}
}

// TestConcurrent runs checks while writes happen (meant for -race) and
// checks the answers once writers are done.
func TestConcurrent(t *testing.T) {
	w := newMemWorld(t, true)
	seedAcme(t, w)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, a := range []*authz.Authorizer{w.auth, w.follower} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					a.Can("acme", "ana", "docs:read")
					a.Claims("acme", "ana")
					a.Can("org-new", "cy", "docs:read")
					// What the writers are changing, and the member
					// table growing under them.
					for i := range 4 {
						org, user := fmt.Sprintf("org%d", i), fmt.Sprint("u", i*3)
						a.Can(org, user, "docs:read")
						if c, ok := a.Claims(org, user); ok && (c.OrganizationID != org || c.Role == "") {
							t.Errorf("Claims(%q, %q) = %+v", org, user, c)
						}
					}
				}
			}
		})
	}
	var writers sync.WaitGroup
	for i := range 4 {
		writers.Go(func() {
			org := fmt.Sprintf("org%d", i)
			for j := range 20 {
				w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: org})
				w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: org, UserID: fmt.Sprint("u", j)})
				w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: rbac.Ptr(permPool[:1+j%3])})
				if j%5 == 4 {
					w.svc.DeleteOrganization(w.ctx, w.env, org, rbac.DeleteOptions{})
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	w.catchUp(t)
	for _, a := range []*authz.Authorizer{w.auth, w.follower} {
		if d := disagreements(w, a, nil, true); len(d) > 0 {
			t.Errorf("after concurrent writes: %v", d)
		}
		if got, want := a.Revision(), w.revision(t); got != want {
			t.Errorf("Revision() = %d, want %d", got, want)
		}
	}
}

// TestFollowGap plays two processes on one store: a writer, whose
// commits feed a change feed, and a reader that follows it. The feed
// loses a change: the reader finds the gap by itself, without any other
// change coming, and agrees with the store again.
func TestFollowGap(t *testing.T) {
	feed := newLogFeed()
	w := newWorld(t, memstore.New(), "production", feed)
	seedAcme(t, w)
	w.catchUp(t)
	if d := disagreements(w, w.follower, nil, true); len(d) > 0 {
		t.Errorf("follower disagrees: %v", d)
	}
	// A write the feed never delivers: it is in the store only.
	m, _ := w.svc.FindMembership(w.ctx, w.env, "acme", "ana")
	hidden := rbac.New(w.svc.Store()) // no feed sees its writes
	if _, err := hidden.UpdateMembershipRoles(w.ctx, w.env, m.ID, []string{"admin"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.catchUp(t)
	t.Logf("the follower found and filled the gap in %v", time.Since(start).Round(time.Millisecond))
	if !w.follower.Can("acme", "ana", "docs:write") {
		t.Error("the change the feed lost was not recovered")
	}
	// The feed's later changes go on arriving: revisions after the gap
	// are in the feed (the hidden write's revision is not).
	if _, err := w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: "globex"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: "globex", UserID: "ana"}); err != nil {
		t.Fatal(err)
	}
	w.catchUp(t)
	if d := disagreements(w, w.follower, nil, true); len(d) > 0 {
		t.Errorf("follower disagrees after a gap: %v", d)
	}
	for i := 0; ; i++ {
		st := w.follower.Status()
		if st.Revision == w.revision(t) && st.Following && st.Err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("status %+v, want current and following", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCloseUnregisters checks that Close unregisters the authorizer from
// the Service, and that a failed New leaves nothing registered: writes
// after either cost nothing to an authorizer.
func TestCloseUnregisters(t *testing.T) {
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		t.Fatal(err)
	}
	// Loads that fail: the environment does not exist.
	for range 100 {
		if _, err := authz.New(ctx, svc, "staging"); !errors.Is(err, rbac.ErrNotFound) {
			t.Fatalf("New on a missing environment: %v, want not found", err)
		}
	}
	a, err := authz.New(ctx, svc, "production")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "ana"}); err != nil {
		t.Fatal(err)
	}
	rev := a.Revision()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Close() // harmless
	if _, err := svc.CreateMembership(ctx, "production", rbac.MembershipInput{OrganizationID: "acme", UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	if a.Revision() != rev || a.Can("acme", "bob", "x") {
		t.Errorf("a closed authorizer moved on: revision %d, want %d", a.Revision(), rev)
	}
	// Count the handlers left: one of our own, called once per write.
	calls := 0
	remove := svc.OnCommit(func(rbac.Commit) { calls++ })
	defer remove()
	if _, err := svc.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "globex"}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("handler calls %d, want 1", calls)
	}
}

// TestWaitFor checks that WaitFor returns once the revision is reached,
// at once when it already is, and with the context's error otherwise.
func TestWaitFor(t *testing.T) {
	w := newMemWorld(t, true)
	seedAcme(t, w)
	rev := w.revision(t)
	if err := w.auth.WaitFor(w.ctx, rev); err != nil {
		t.Fatalf("WaitFor(%d) on the writer's authorizer: %v", rev, err)
	}
	if err := w.follower.WaitFor(w.ctx, rev); err != nil {
		t.Fatal(err)
	}
	if !w.follower.Can("acme", "ana", "billing.*") {
		t.Error("the follower reached the revision without its writes")
	}
	ctx, cancel := context.WithTimeout(w.ctx, 50*time.Millisecond)
	defer cancel()
	if err := w.follower.WaitFor(ctx, rev+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor of a revision not committed: %v, want the deadline", err)
	}
}

// TestClaimsAllocations checks what Claims allocates: the claims' two
// slices and their growth, and nothing for the roles' lookup.
func TestClaimsAllocations(t *testing.T) {
	w := newMemWorld(t, false)
	seedAcme(t, w)
	n := testing.AllocsPerRun(100, func() { w.auth.Claims("acme", "ana") })
	if n > 3 {
		t.Errorf("Claims allocates %v times, want at most 3 (roles, permissions and their growth)", n)
	}
	t.Logf("Claims allocates %v times", n)
}
