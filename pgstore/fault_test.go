package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// namedPool returns a pool whose connections carry application_name, so
// another connection can find them in pg_stat_activity.
func namedPool(tb testing.TB, name string) *pgxpool.Pool {
	tb.Helper()
	base := newPool(tb) // skips without a server
	cfg := base.Config()
	cfg.ConnConfig.RuntimeParams["application_name"] = name
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// blockReassignment starts, on pool b, a transaction that locks the
// row of the last membership, so that a reassignment of
// every holder of temp, running on pool a (application name app), stops
// there: after it has rewritten every other row, before it finishes. It
// returns the backend pid of the blocked statement and a function that
// ends b's transaction.
func blockReassignment(t *testing.T, b *pgxpool.Pool, store *pgstore.Store, app string, start func()) (pid int32, release func()) {
	t.Helper()
	ctx := context.Background()
	locker, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Exec(ctx, fmt.Sprintf(`SELECT 1 FROM %s.memberships
		WHERE env = $1 AND id = (SELECT max(id) FROM %[1]s.memberships WHERE env = $1)
		FOR UPDATE`, store.Schema()), bulkEnv); err != nil {
		t.Fatal(err)
	}
	start()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		err := b.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%UPDATE%memberships%'`, app).Scan(&pid)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the reassignment never reached the locked row")
	}
	return pid, func() { _ = locker.Rollback(ctx) }
}

// TestFaultConnectionKilled kills the connection of a DeleteRole in the
// middle of reassigning 20,000 memberships: the call fails and the
// database is exactly as before.
func TestFaultConnectionKilled(t *testing.T) {
	const app = "rbac-fault-kill"
	a, b := namedPool(t, app), newPool(t)
	store := newStoreOn(t, a, randomSchema())
	seedBulk(t, a, store, 1000, 20000)
	before := takeSnapshot(t, b, store, bulkEnv)

	svc := rbac.New(store)
	done := make(chan error, 1)
	pid, release := blockReassignment(t, b, store, app, func() {
		go func() {
			_, err := svc.DeleteRole(context.Background(), bulkEnv, "temp", rbac.DeleteOptions{})
			done <- err
		}()
	})
	var killed bool
	if err := b.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, killed, err)
	}
	release()
	err := <-done
	if err == nil {
		t.Fatal("DeleteRole succeeded on a killed connection")
	}
	t.Logf("DeleteRole on a killed connection: %v", err)
	if after := takeSnapshot(t, b, store, bulkEnv); !after.equal(before) {
		t.Fatalf("database changed by a failed call:\nbefore %+v\nafter  %+v", before, after)
	}
	// The store still works, and the reassignment completes.
	plan := must[rbac.DeletionPlan](t)(svc.DeleteRole(context.Background(), bulkEnv, "temp", rbac.DeleteOptions{}))
	if plan.MembershipCount != 20000 {
		t.Fatalf("reassigned %d memberships, want 20000", plan.MembershipCount)
	}
	if after := takeSnapshot(t, b, store, bulkEnv); after.Holders["member"] != 20000 || after.Holders["temp"] != 0 {
		t.Fatalf("after the reassignment: %+v", after)
	}
}

// TestFaultContextCancelled cancels the context of a DeleteRole in the
// middle of reassigning 20,000 memberships.
func TestFaultContextCancelled(t *testing.T) {
	const app = "rbac-fault-cancel"
	a, b := namedPool(t, app), newPool(t)
	store := newStoreOn(t, a, randomSchema())
	seedBulk(t, a, store, 1000, 20000)
	before := takeSnapshot(t, b, store, bulkEnv)

	svc := rbac.New(store)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	_, release := blockReassignment(t, b, store, app, func() {
		go func() {
			_, err := svc.DeleteRole(ctx, bulkEnv, "temp", rbac.DeleteOptions{})
			done <- err
		}()
	})
	cancel()
	err := <-done
	release()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("DeleteRole with a cancelled context: %v, want context.Canceled", err)
	}
	// The cancelled statement's backend may still be finishing its
	// rollback; committed state is what counts.
	if after := takeSnapshot(t, b, store, bulkEnv); !after.equal(before) {
		t.Fatalf("database changed by a cancelled call:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := checkInvariants(t, svc, bulkEnv); n != 20000 {
		t.Fatalf("%d memberships, want 20000", n)
	}
}

// TestUniqueRaceTwoPools races two pools (two processes, as far as the
// server can tell) to create the same organization and the same
// membership, through the Service, and to store two memberships of one
// user in one organization straight through the Store, which only the
// database's unique constraint can refuse.
func TestUniqueRaceTwoPools(t *testing.T) {
	ctx := context.Background()
	a := newStoreOn(t, newPool(t), randomSchema())
	b := mustNew(t, newPool(t), pgstore.Options{Schema: a.Schema()})
	sa, sb := rbac.New(a), rbac.New(b)
	must[rbac.Environment](t)(sa.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))

	race := func(fn func(svc *rbac.Service, i int) error) (ok int, errs []error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 8 {
			svc := sa
			if i%2 == 1 {
				svc = sb
			}
			wg.Go(func() {
				err := fn(svc, i)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		return ok, errs
	}

	ok, errs := race(func(svc *rbac.Service, _ int) error {
		_, err := svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"})
		return err
	})
	for _, err := range errs {
		if !errors.Is(err, rbac.ErrOrganizationExists) {
			t.Errorf("losing CreateOrganization: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d CreateOrganization calls succeeded, want 1", ok)
	}

	ok, errs = race(func(svc *rbac.Service, _ int) error {
		_, err := svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "alice"})
		return err
	})
	for _, err := range errs {
		if !errors.Is(err, rbac.ErrMembershipAlreadyExists) {
			t.Errorf("losing CreateMembership: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d CreateMembership calls succeeded, want 1", ok)
	}

	before := takeSnapshot(t, a.Pool(), a, "prod")
	ok, errs = race(func(svc *rbac.Service, i int) error {
		return svc.Store().Update(ctx, "prod", func(tx rbac.Tx) error {
			now := time.Now()
			return tx.PutMembership(ctx, rbac.Membership{ID: fmt.Sprintf("om_race%d", i), OrganizationID: "acme", UserID: "bob",
				Status: rbac.StatusActive, Roles: []string{"member"}, RoleSource: rbac.SourceManual, CreatedAt: now, UpdatedAt: now})
		})
	})
	if ok != 1 || len(errs) != 7 {
		t.Fatalf("%d raw PutMembership calls succeeded, want 1 (errors %v)", ok, errs)
	}
	after := takeSnapshot(t, a.Pool(), a, "prod")
	if after.Memberships != before.Memberships+1 || after.Holders["member"] != before.Holders["member"]+1 {
		t.Fatalf("before %+v, after %+v: want exactly one more membership", before, after)
	}
	if n := checkInvariants(t, sa, "prod"); n != 2 {
		t.Fatalf("%d memberships, want 2", n)
	}
}

// TestHammerTwoPools runs writers on two pools against one environment —
// memberships created, changed and deleted, environment and organization
// roles created and deleted with reassignment — while a follower on a third
// connection reads the change feed. At the end the invariants hold, every
// membership is accounted for, and the feed delivered every revision once,
// in order.
func TestHammerTwoPools(t *testing.T) {
	ctx := context.Background()
	a := newStoreOn(t, newPool(t), randomSchema())
	b := mustNew(t, newPool(t), pgstore.Options{Schema: a.Schema()})
	sa, sb := rbac.New(a), rbac.New(b)
	const env = "prod"
	must[rbac.Environment](t)(sa.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}))
	orgs := []string{"o1", "o2", "o3", "o4"}
	for _, o := range orgs {
		must[rbac.Organization](t)(sa.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: o}))
	}

	fctx, stopFeed := context.WithCancel(ctx)
	var mu sync.Mutex
	var revs []int64
	feedDone := make(chan error, 1)
	go func() {
		feedDone <- b.Follow(fctx, env, 0, func(c rbac.Change) {
			mu.Lock()
			revs = append(revs, c.Revision)
			mu.Unlock()
		})
	}()

	var created, deleted atomic.Int64
	var wg sync.WaitGroup
	for w := range 6 {
		svc := sa
		if w%2 == 1 {
			svc = sb
		}
		wg.Go(func() {
			var mine []string
			for i := range 40 {
				org := orgs[(w+i)%len(orgs)]
				switch i % 8 {
				case 0, 1, 2:
					m, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: org, UserID: fmt.Sprintf("u%d-%d", w, i)})
					if err != nil {
						t.Errorf("CreateMembership: %v", err)
						continue
					}
					created.Add(1)
					mine = append(mine, m.ID)
				case 3:
					slug := fmt.Sprintf("r%d-%d", w, i)
					if _, err := svc.CreateRole(ctx, env, rbac.RoleInput{Slug: slug, Name: "R"}); err != nil {
						t.Errorf("CreateRole: %v", err)
					}
					if _, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: org, UserID: "x" + slug, Roles: []string{slug}}); err != nil {
						t.Errorf("CreateMembership with %s: %v", slug, err)
					} else {
						created.Add(1)
					}
				case 4:
					// Delete some environment role other than member, held
					// or not, with a replacement in case it is a default.
					page, err := svc.ListRoles(ctx, env, rbac.ListOptions{Limit: rbac.MaxLimit})
					roles := page.Data
					if err != nil {
						t.Errorf("ListRoles: %v", err)
						continue
					}
					for _, r := range roles {
						if r.Slug != "member" {
							_, err := svc.DeleteRole(ctx, env, r.Slug, rbac.DeleteOptions{ReplacementDefault: "member"})
							if err != nil && !errors.Is(err, rbac.ErrNotFound) && !errors.Is(err, rbac.ErrInvalidRole) {
								t.Errorf("DeleteRole %s: %v", r.Slug, err)
							}
							break
						}
					}
				case 5:
					r, err := svc.CreateOrganizationRole(ctx, env, org, rbac.RoleInput{Name: "Custom"})
					if err != nil {
						t.Errorf("CreateOrganizationRole: %v", err)
						continue
					}
					if len(mine) > 0 {
						id := mine[len(mine)-1]
						if _, err := svc.UpdateMembershipRoles(ctx, env, id, []string{r.Slug}); err != nil && !errors.Is(err, rbac.ErrInvalidRole) {
							t.Errorf("UpdateMembershipRoles: %v", err)
						}
					}
					// Another writer may have deleted the role meanwhile.
					if _, err := svc.SetOrganizationDefaultRole(ctx, env, org, r.Slug); err != nil && !errors.Is(err, rbac.ErrInvalidRole) {
						t.Errorf("SetOrganizationDefaultRole: %v", err)
					}
				case 6:
					page, err := svc.ListOrganizationRoles(ctx, env, org, rbac.ListOptions{Limit: rbac.MaxLimit})
					rs := page.Data
					if err != nil {
						t.Errorf("ListOrganizationRoles: %v", err)
						continue
					}
					for _, r := range rs {
						if r.Type == rbac.OrganizationRole {
							_, err := svc.DeleteOrganizationRole(ctx, env, org, r.Slug, rbac.DeleteOptions{ReassignTo: "member"})
							if err != nil && !errors.Is(err, rbac.ErrNotFound) {
								t.Errorf("DeleteOrganizationRole %s: %v", r.Slug, err)
							}
							break
						}
					}
				case 7:
					if len(mine) > 0 {
						if err := svc.DeleteMembership(ctx, env, mine[0]); err != nil {
							t.Errorf("DeleteMembership: %v", err)
						} else {
							deleted.Add(1)
						}
						mine = mine[1:]
					}
				}
			}
		})
	}
	wg.Wait()
	n := checkInvariants(t, sa, env)
	if want := int(created.Load() - deleted.Load()); n != want {
		t.Fatalf("%d memberships, want %d created - %d deleted = %d", n, created.Load(), deleted.Load(), want)
	}

	final := must[rbac.Environment](t)(sa.GetEnvironment(ctx, env)).Revision
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(revs)
		mu.Unlock()
		if int64(n) >= final {
			break
		}
	}
	stopFeed()
	if err := <-feedDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("feed: %v", err)
	}
	for i, r := range revs {
		if r != int64(i+1) {
			t.Fatalf("feed delivered revision %d at position %d, want %d", r, i, i+1)
		}
	}
	if int64(len(revs)) != final {
		t.Fatalf("feed delivered %d changes, want %d", len(revs), final)
	}
}
