package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// follow starts store.Follow on env from since and returns the channel
// of changes; the feed stops at the end of the test.
func follow(tb testing.TB, store *pgstore.Store, env string, since int64) <-chan rbac.Change {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan rbac.Change, 1024)
	done := make(chan error, 1)
	go func() { done <- store.Follow(ctx, env, since, func(c rbac.Change) { ch <- c }) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			tb.Errorf("Follow: %v", err)
		}
	})
	return ch
}

func next(tb testing.TB, ch <-chan rbac.Change) rbac.Change {
	tb.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		tb.Fatal("no change delivered within 10 s")
		return rbac.Change{}
	}
}

// TestFeed writes through one pool and follows on another: every change
// arrives once, in order, saying what it touched; a follower started late
// catches up from the table; other environments' changes are not
// delivered.
func TestFeed(t *testing.T) {
	ctx := context.Background()
	a := newStoreOn(t, newPool(t), randomSchema())
	b := mustNew(t, newPool(t), pgstore.Options{Schema: a.Schema()})
	svc := rbac.New(a)
	ch := follow(t, b, "prod", 0)

	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "staging"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	m := must[rbac.Membership](t)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "alice"}))
	must[rbac.Role](t)(svc.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))
	must[rbac.Role](t)(svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "admin", Name: "Admin"}))

	// Itemized: what in each organization changed.
	acme := []string{"acme"}
	want := []rbac.Change{
		{EnvironmentID: "prod", Revision: 1, Environment: true, Itemized: true},
		{EnvironmentID: "prod", Revision: 2, Organizations: acme, Itemized: true, Settings: acme},
		{EnvironmentID: "prod", Revision: 3, Organizations: acme, Itemized: true,
			Memberships: []rbac.MembershipRef{{ID: m.ID, OrganizationID: "acme", UserID: "alice"}}},
		{EnvironmentID: "prod", Revision: 4, Organizations: acme, Itemized: true, Settings: acme,
			Roles: []rbac.RoleRef{{OrganizationID: "acme", Slug: "org-billing"}}},
		{EnvironmentID: "prod", Revision: 5, Environment: true, Itemized: true},
	}
	var got []rbac.Change
	for range want {
		got = append(got, next(t, ch))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes mismatch (-want +got):\n%s", diff)
	}

	// A follower from revision 3 gets 4 and 5 from the table.
	late := follow(t, b, "prod", 3)
	if c := next(t, late); c.Revision != 4 {
		t.Fatalf("late follower got revision %d first, want 4", c.Revision)
	}
	if c := next(t, late); c.Revision != 5 {
		t.Fatalf("late follower got revision %d second, want 5", c.Revision)
	}
	select {
	case c := <-ch:
		t.Fatalf("unexpected change %+v", c)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestFeedPruned prunes the change table: a follower from before the gap
// gets the first change after it, whose revision shows the gap.
func TestFeedPruned(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	svc := rbac.New(store)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	for _, id := range []string{"a", "b", "c"} {
		must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: id}))
	}
	n, err := store.PruneChanges(ctx, "prod", time.Now().Add(time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("PruneChanges: %d, %v; want 3 deleted (all but the latest)", n, err)
	}
	c := next(t, follow(t, store, "prod", 1))
	if want := (rbac.Change{EnvironmentID: "prod", Revision: 4, Organizations: []string{"c"}, Itemized: true, Settings: []string{"c"}}); !cmp.Equal(c, want) {
		t.Fatalf("after a gap: %+v, want %+v", c, want)
	}
}

// TestInTx runs library writes inside the application's own transaction:
// they commit or roll back with the application's rows, a failed call
// leaves the transaction usable, and the change notice goes out on commit.
func TestInTx(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	store := newStoreOn(t, pool, randomSchema())
	svc := rbac.New(store)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	if _, err := pool.Exec(ctx, "CREATE TABLE "+store.Schema()+".invoices (user_id text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	ch := follow(t, store, "prod", 2)

	run := func(user string, commit bool) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "INSERT INTO "+store.Schema()+".invoices VALUES ($1)", user); err != nil {
			t.Fatal(err)
		}
		in := rbac.New(store.InTx(tx))
		must[rbac.Membership](t)(in.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: user}))
		// A failed call rolls back to its savepoint only.
		if _, err := in.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: user}); !errors.Is(err, rbac.ErrMembershipAlreadyExists) {
			t.Fatalf("second membership: %v", err)
		}
		if _, err := in.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "ghost", UserID: user}); !errors.Is(err, rbac.ErrNotFound) {
			t.Fatalf("membership of a missing organization: %v", err)
		}
		if m := must[rbac.Membership](t)(in.FindMembership(ctx, "prod", "acme", user)); m.Role != "member" {
			t.Fatalf("membership read in the transaction: %+v", m)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	exists := func(user string) (invoice, membership bool) {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+store.Schema()+".invoices WHERE user_id = $1", user).Scan(&n); err != nil {
			t.Fatal(err)
		}
		_, err := svc.FindMembership(ctx, "prod", "acme", user)
		if err != nil && !errors.Is(err, rbac.ErrNotFound) {
			t.Fatal(err)
		}
		return n == 1, err == nil
	}

	run("alice", false)
	if inv, mem := exists("alice"); inv || mem {
		t.Fatalf("rolled back: invoice %v, membership %v; want neither", inv, mem)
	}
	run("bob", true)
	if inv, mem := exists("bob"); !inv || !mem {
		t.Fatalf("committed: invoice %v, membership %v; want both", inv, mem)
	}
	if c := next(t, ch); c.Revision != 3 || !slices.Equal(c.Organizations, []string{"acme"}) {
		t.Fatalf("change after commit: %+v, want revision 3 of acme", c)
	}
}

// BenchmarkFeedDelay measures the delay from the return of a write on one
// pool to the delivery of its change by Follow on another pool: the time a
// cache in another process stays behind. It reports the mean and the
// slowest delay.
func BenchmarkFeedDelay(b *testing.B) {
	ctx := context.Background()
	a := newStoreOn(b, newPool(b), randomSchema())
	other := mustNew(b, newPool(b), pgstore.Options{Schema: a.Schema()})
	svc := rbac.New(a)
	must[rbac.Environment](b)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Organization](b)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	start := must[rbac.Environment](b)(svc.GetEnvironment(ctx, "prod")).Revision
	ch := follow(b, other, "prod", start)
	var delays []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m := must[rbac.Membership](b)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: fmt.Sprintf("user%d", i)}))
		committed := time.Now()
		for {
			c := next(b, ch)
			if c.Has(m.OrganizationID) && c.Revision == start+int64(i)+1 {
				break
			}
		}
		delays = append(delays, time.Since(committed))
	}
	b.StopTimer()
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	var sum time.Duration
	for _, d := range delays {
		sum += d
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(len(delays)), "µs/delay")
	b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds()), "µs/p99-delay")
}

// TestFeedLongSchemaName follows a store whose schema name is as long as
// PostgreSQL allows: the channel name must still fit.
func TestFeedLongSchemaName(t *testing.T) {
	ctx := context.Background()
	schema := randomSchema()
	schema += strings.Repeat("x", 63-len(schema))
	store := newStoreOn(t, sharedPool(t), schema)
	ch := follow(t, store, "prod", 0)
	must[rbac.Environment](t)(rbac.New(store).CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	if c := next(t, ch); c.Revision != 1 {
		t.Fatalf("change %+v, want revision 1", c)
	}
}
