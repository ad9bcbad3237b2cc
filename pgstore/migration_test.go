package pgstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// TestMigrationRolesColumn writes memberships into a schema at version 5,
// where their roles are rows of membership_roles, and opens a Store on
// it: version 6 must move each membership's roles into its row, count the
// holders of every role, and leave a store that reads, filters and
// reassigns them as one created at version 6 does.
func TestMigrationRolesColumn(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	schema := randomSchema()
	if err := pgstore.MigrateTo(ctx, pool, schema, 5); err != nil {
		t.Fatal(err)
	}
	s := pgx.Identifier{schema}.Sanitize()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`INSERT INTO ` + s + `.environments (id, name, default_role, revision, created_at, updated_at)
				VALUES ('prod', 'Production', 'member', 7, now(), now())`,
			`INSERT INTO ` + s + `.roles (env, scope, slug, id, name, description, created_at, updated_at)
				VALUES ('prod', '', 'member', 'role_member', 'Member', '', now(), now()),
					('prod', '', 'admin', 'role_admin', 'Admin', '', now(), now())`,
			`INSERT INTO ` + s + `.environment_order (env, position, role_slug) VALUES ('prod', 1, 'admin'), ('prod', 2, 'member')`,
			`INSERT INTO ` + s + `.organizations (env, id, name, created_at, updated_at)
				VALUES ('prod', 'acme', 'Acme', now(), now()), ('prod', 'globex', 'Globex', now(), now())`,
			`INSERT INTO ` + s + `.roles (env, scope, slug, id, name, description, created_at, updated_at)
				VALUES ('prod', 'acme', 'org-ops', 'role_ops', 'Ops', '', now(), now())`,
			`INSERT INTO ` + s + `.organization_order (env, org_id, position, role_slug)
				VALUES ('prod', 'acme', 1, 'org-ops'), ('prod', 'acme', 2, 'admin'), ('prod', 'acme', 3, 'member')`,
			`UPDATE ` + s + `.organizations SET default_role = 'member' WHERE id = 'acme'`,
			`INSERT INTO ` + s + `.memberships (env, id, org_id, user_id, status, role_source, created_at, updated_at)
				VALUES ('prod', 'om_1', 'acme', 'ana', 'active', 'manual', now(), now()),
					('prod', 'om_2', 'acme', 'bob', 'active', 'manual', now(), now()),
					('prod', 'om_3', 'globex', 'ana', 'inactive', 'manual', now(), now()),
					('prod', 'om_4', 'globex', 'cy', 'active', 'manual', now(), now())`,
			`INSERT INTO ` + s + `.membership_roles (env, membership_id, org_id, role_slug)
				VALUES ('prod', 'om_1', 'acme', 'member'), ('prod', 'om_2', 'acme', 'org-ops'), ('prod', 'om_2', 'acme', 'admin'),
					('prod', 'om_3', 'globex', 'admin'), ('prod', 'om_4', 'globex', 'member')`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	store := newStoreOn(t, pool, schema) // migrates to the current version
	svc := rbac.New(store)
	roles := map[string][]string{}
	page := must[rbac.Page[rbac.Membership]](t)(svc.ListMemberships(ctx, "prod", rbac.MembershipFilter{
		Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive}}, rbac.ListOptions{Limit: rbac.MaxLimit}))
	for _, m := range page.Data {
		roles[m.ID] = slices.Sorted(slices.Values(m.Roles)) // the Service lists them in priority order
	}
	want := map[string][]string{"om_1": {"member"}, "om_2": {"admin", "org-ops"}, "om_3": {"admin"}, "om_4": {"member"}}
	if d := cmp.Diff(want, roles); d != "" {
		t.Fatalf("roles after the migration (-want +got):\n%s", d)
	}
	holders := func(role string) []string {
		t.Helper()
		var ids []string
		err := store.View(ctx, "prod", func(tx rbac.Tx) error {
			return tx.Memberships(ctx, rbac.MembershipQuery{Role: role}, func(m rbac.Membership) error {
				ids = append(ids, m.ID)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for role, ids := range map[string][]string{"admin": {"om_2", "om_3"}, "member": {"om_1", "om_4"}, "org-ops": {"om_2"}} {
		if got := holders(role); !slices.Equal(got, ids) {
			t.Errorf("holders of %s after the migration: %v, want %v", role, got, ids)
		}
	}
	// Deleting admin reassigns om_3, which held it alone, to globex's
	// default (the environment's, member); om_2 keeps org-ops.
	must[rbac.DeletionPlan](t)(svc.DeleteRole(ctx, "prod", "admin", rbac.DeleteOptions{}))
	if got := must[rbac.Membership](t)(svc.GetMembership(ctx, "prod", "om_3")).Roles; !slices.Equal(got, []string{"member"}) {
		t.Errorf("om_3 holds %v after admin's deletion, want [member]", got)
	}
	if got := must[rbac.Membership](t)(svc.GetMembership(ctx, "prod", "om_2")).Roles; !slices.Equal(got, []string{"org-ops"}) {
		t.Errorf("om_2 holds %v after admin's deletion, want [org-ops]", got)
	}
	if got := holders("member"); !slices.Equal(got, []string{"om_1", "om_3", "om_4"}) {
		t.Errorf("holders of member after admin's deletion: %v", got)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'membership_roles'`, schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("membership_roles is still there after the migration")
	}
}
