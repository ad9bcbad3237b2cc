package pgstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// TestTour walks the main calls through the Service on PostgreSQL: an
// environment, a permission, roles, an organization with its own role,
// memberships, and the deletion of an environment role with a replacement.
func TestTour(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	svc := rbac.New(store)
	const env = "prod"

	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}))
	must[rbac.Permission](t)(svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "videos:create", Name: "Create videos"}))
	must[rbac.Role](t)(svc.CreateRole(ctx, env, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: []string{"videos:create"}}))
	must[rbac.Role](t)(svc.CreateRole(ctx, env, rbac.RoleInput{Slug: "viewer", Name: "Viewer"}))
	must[rbac.Environment](t)(svc.SetDefaultRole(ctx, env, "viewer"))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme", Name: "Acme"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "globex", Name: "Globex"}))
	billing := must[rbac.Role](t)(svc.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"videos:create"}}))
	if billing.Slug != "org-billing" || billing.Type != rbac.OrganizationRole || billing.OrganizationID != "acme" {
		t.Fatalf("organization role: %+v", billing)
	}
	st := must[rbac.Settings](t)(svc.OrganizationSettings(ctx, env, "acme"))
	if want := []string{"member", "admin", "viewer", "org-billing"}; !slices.Equal(st.PriorityOrder, want) || st.DefaultRole != "viewer" || st.Inherited {
		t.Fatalf("acme settings %+v, want own order %v and default viewer", st, want)
	}

	alice := must[rbac.Membership](t)(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "alice", Roles: []string{"org-billing"}}))
	bob := must[rbac.Membership](t)(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "acme", UserID: "bob"}))
	carol := must[rbac.Membership](t)(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "globex", UserID: "carol"}))
	if bob.Role != "viewer" || carol.Role != "viewer" {
		t.Fatalf("default roles: bob %q, carol %q, want viewer", bob.Role, carol.Role)
	}
	if _, err := svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "globex", UserID: "dan", Roles: []string{"org-billing"}}); !errors.Is(err, rbac.ErrInvalidRole) {
		t.Fatalf("organization role used in another organization: %v, want invalid_role", err)
	}
	if ok := must[bool](t)(svc.Can(ctx, env, "acme", "alice", "videos:create")); !ok {
		t.Fatal("alice cannot create videos")
	}

	// Deleting the default without a replacement fails and changes nothing.
	before := must[rbac.Environment](t)(svc.GetEnvironment(ctx, env))
	if _, err := svc.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{}); !errors.Is(err, rbac.ErrReplacementRequired) {
		t.Fatalf("delete default role: %v, want replacement required", err)
	}
	if after := must[rbac.Environment](t)(svc.GetEnvironment(ctx, env)); after.Revision != before.Revision {
		t.Fatalf("revision moved from %d to %d on a failed call", before.Revision, after.Revision)
	}

	plan := must[rbac.DeletionPlan](t)(svc.DeleteRole(ctx, env, "viewer", rbac.DeleteOptions{ReplacementDefault: "member"}))
	if want := []string{bob.ID, carol.ID}; !slices.Equal(plan.Memberships, sortedCopy(want)) {
		t.Fatalf("reassigned %v, want %v", plan.Memberships, want)
	}
	if !slices.Equal(plan.DefaultsReplaced, []string{"acme"}) || !plan.EnvironmentDefaultReplaced {
		t.Fatalf("plan %+v", plan)
	}
	for _, id := range []string{bob.ID, carol.ID} {
		m := must[rbac.Membership](t)(svc.GetMembership(ctx, env, id))
		if m.Role != "member" || !slices.Equal(m.Roles, []string{"member"}) {
			t.Fatalf("membership %s after deletion: %+v", id, m)
		}
	}
	st = must[rbac.Settings](t)(svc.OrganizationSettings(ctx, env, "acme"))
	if want := []string{"member", "admin", "org-billing"}; !slices.Equal(st.PriorityOrder, want) || st.DefaultRole != "member" {
		t.Fatalf("acme settings after deletion %+v", st)
	}
	if a := must[rbac.Membership](t)(svc.GetMembership(ctx, env, alice.ID)); a.Role != "org-billing" {
		t.Fatalf("alice: %+v", a)
	}

	// Deleting the organization role moves its holder.
	must[rbac.DeletionPlan](t)(svc.DeleteOrganizationRole(ctx, env, "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "admin"}))
	if a := must[rbac.Membership](t)(svc.GetMembership(ctx, env, alice.ID)); a.Role != "admin" {
		t.Fatalf("alice after organization role deletion: %+v", a)
	}
	// Deleting an organization deletes its memberships.
	must[rbac.DeletionPlan](t)(svc.DeleteOrganization(ctx, env, "acme", rbac.DeleteOptions{}))
	if _, err := svc.GetMembership(ctx, env, alice.ID); !errors.Is(err, rbac.ErrNotFound) {
		t.Fatalf("membership of a deleted organization: %v", err)
	}
	if envs := must[[]string](t)(svc.Environments(ctx)); !slices.Equal(envs, []string{env}) {
		t.Fatalf("environments %v", envs)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestMigrateIdempotent applies the migrations twice, concurrently, on one
// schema.
func TestMigrateIdempotent(t *testing.T) {
	pool := sharedPool(t)
	s := newStoreOn(t, pool, randomSchema())
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n, v int
	if err := pool.QueryRow(ctx, "SELECT count(*), max(version) FROM "+s.Schema()+".schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != pgstore.SchemaVersion || v != pgstore.SchemaVersion {
		t.Fatalf("%d migrations recorded, latest %d; want %d", n, v, pgstore.SchemaVersion)
	}
}

// TestDatabaseIntegrity writes through the Store directly, past the
// Service, and checks the database refuses what breaks integrity.
func TestDatabaseIntegrity(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	svc := rbac.New(store)
	const env = "prod"
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "acme"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: "globex"}))
	must[rbac.Role](t)(svc.CreateOrganizationRole(ctx, env, "acme", rbac.RoleInput{Slug: "billing", Name: "Billing"}))
	m := must[rbac.Membership](t)(svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: "globex", UserID: "u1"}))

	for _, c := range []struct {
		name string
		fn   func(rbac.Tx) error
	}{
		{"role of another organization", func(tx rbac.Tx) error {
			m := m
			m.Roles = []string{"org-billing"}
			return tx.PutMembership(ctx, m)
		}},
		{"missing role", func(tx rbac.Tx) error {
			m := m
			m.Roles = []string{"ghost"}
			return tx.PutMembership(ctx, m)
		}},
		{"second membership of a user", func(tx rbac.Tx) error {
			m := m
			m.ID = "om_other"
			return tx.PutMembership(ctx, m)
		}},
		{"membership moved to another organization", func(tx rbac.Tx) error {
			m := m
			m.OrganizationID = "acme"
			return tx.PutMembership(ctx, m)
		}},
		{"role twice in an order", func(tx rbac.Tx) error {
			o, err := tx.Organization(ctx, "acme")
			if err != nil {
				return err
			}
			o.PriorityOrder = append(o.PriorityOrder, "member")
			return tx.PutOrganization(ctx, o)
		}},
		{"environment role with the organization prefix", func(tx rbac.Tx) error {
			return tx.PutRole(ctx, rbac.Role{Slug: "org-x", Name: "X", Type: rbac.EnvironmentRole})
		}},
		{"deleting a held role", func(tx rbac.Tx) error {
			return tx.DeleteEnvironmentRole(ctx, "member")
		}},
		{"default role of another organization", func(tx rbac.Tx) error {
			o, err := tx.Organization(ctx, "globex")
			if err != nil {
				return err
			}
			o.DefaultRole, o.PriorityOrder = "org-billing", []string{"member", "org-billing"}
			return tx.PutOrganization(ctx, o)
		}},
		{"grant of a missing permission", func(tx rbac.Tx) error {
			r, err := tx.EnvironmentRole(ctx, "member")
			if err != nil {
				return err
			}
			r.Permissions = []string{"ghost:read"}
			return tx.PutRole(ctx, r)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := store.Update(ctx, env, c.fn)
			if err == nil {
				t.Fatal("the database accepted it")
			}
			t.Log(err)
		})
	}
	if _, err := svc.GetMembership(ctx, env, m.ID); err != nil {
		t.Fatal(err)
	}
	err := store.Update(ctx, env, func(tx rbac.Tx) error {
		return tx.PutMembership(ctx, rbac.Membership{ID: "om_x", OrganizationID: "nowhere", UserID: "u", Status: rbac.StatusActive, Roles: []string{"member"}})
	})
	if !errors.Is(err, rbac.ErrNotFound) {
		t.Fatalf("membership of a missing organization: %v, want not found", err)
	}
}

// TestPanicRollsBack panics inside Update: the transaction rolls back and
// releases the environment's lock, so the next writer proceeds.
func TestPanicRollsBack(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	svc := rbac.New(store)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_ = store.Update(ctx, "prod", func(tx rbac.Tx) error {
			if err := tx.PutPermission(ctx, rbac.Permission{Slug: "ghost", Name: "Ghost"}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := svc.CreatePermission(wctx, "prod", rbac.PermissionInput{Slug: "read", Name: "Read"}); err != nil {
		t.Fatalf("writer after a panic: %v", err)
	}
	if ps := must[rbac.Page[rbac.Permission]](t)(svc.ListPermissions(ctx, "prod", rbac.ListOptions{})).Data; len(ps) != 1 || ps[0].Slug != "read" {
		t.Fatalf("permissions %+v, want only read", ps)
	}
}
