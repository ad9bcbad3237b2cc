package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/pgstore"
)

// TestMembershipRolesMustExist checks, below the Service, what the schema
// guarantees of the roles of memberships (I1): a statement that writes a
// membership role naming no role fails, and a transaction that deletes a
// role some membership still holds fails at commit; both change nothing.
func TestMembershipRolesMustExist(t *testing.T) {
	ctx := context.Background()
	pool := sharedPool(t)
	store := newStore(t)
	svc := rbac.New(store)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	must[rbac.Role](t)(svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "held", Name: "Held"}))
	m := must[rbac.Membership](t)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"held"}}))
	s := store.Schema()
	isViolation := func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == "membership_roles_role_fkey"
	}
	// An organization role of another organization is no role of acme's.
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "globex"}))
	must[rbac.Role](t)(svc.CreateOrganizationRole(ctx, "prod", "globex", rbac.RoleInput{Slug: "org-ops", Name: "Ops"}))
	for _, c := range []struct{ what, sql string }{
		{"insert", `INSERT INTO ` + s + `.memberships (env, id, org_id, user_id, status, role_source, roles, created_at, updated_at)
			VALUES ('prod', $1 || '-2', 'acme', 'u2', 'active', 'manual', ARRAY['member', 'ghost'], now(), now())`},
		{"update", `UPDATE ` + s + `.memberships SET roles = ARRAY['ghost'] WHERE env = 'prod' AND id = $1`},
		{"update to another organization's role", `UPDATE ` + s + `.memberships SET roles = ARRAY['org-ops'] WHERE env = 'prod' AND id = $1`},
	} {
		_, err := pool.Exec(ctx, c.sql, m.ID)
		if !isViolation(err) {
			t.Fatalf("%s of a membership role naming no role: %v, want a violation of membership_roles_role_fkey", c.what, err)
		}
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, order := range []string{"environment_order", "organization_order"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.`+order+` WHERE env = 'prod' AND role_slug = 'held'`); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.roles WHERE env = 'prod' AND scope = '' AND slug = 'held'`)
		return err
	})
	if !isViolation(err) {
		t.Fatalf("deleting a held role: %v, want a violation of membership_roles_role_fkey at commit", err)
	}
	if got := must[rbac.Membership](t)(svc.GetMembership(ctx, "prod", m.ID)); len(got.Roles) != 1 || got.Roles[0] != "held" {
		t.Fatalf("the membership holds %v after the refused writes, want [held]", got.Roles)
	}
	must[rbac.Role](t)(svc.GetRole(ctx, "prod", "held"))
	// A role no membership holds any more may go.
	must[rbac.Membership](t)(svc.UpdateMembershipRoles(ctx, "prod", m.ID, []string{"member"}))
	must[rbac.DeletionPlan](t)(svc.DeleteRole(ctx, "prod", "held", rbac.DeleteOptions{}))
}

// TestRoleCheckAfterBulkDeletion checks that a role deletion's statement,
// which tells the trigger checking membership roles that its own are
// known to exist, leaves the check on for the rest of the transaction: a
// membership written after it with a role that is no role fails.
func TestRoleCheckAfterBulkDeletion(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	svc := rbac.New(store)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	must[rbac.Organization](t)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: "acme"}))
	must[rbac.Role](t)(svc.CreateRole(ctx, "prod", rbac.RoleInput{Slug: "spare", Name: "Spare"}))
	m := must[rbac.Membership](t)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: "u1", Roles: []string{"spare"}}))
	for _, narrow := range []int{1000, 0} {
		restore := pgstore.SetNarrowOrganizations(narrow)
		reassigned := 0
		err := store.Update(ctx, "prod", func(tx rbac.Tx) error {
			now := time.Now().UTC()
			if err := tx.RemoveEnvironmentRole(ctx, "spare", now, func(rbac.Membership) error { reassigned++; return nil }); err != nil {
				return err
			}
			ghost := m
			ghost.ID, ghost.UserID, ghost.Roles = m.ID+"-2", "u2", []string{"ghost"}
			return tx.PutMembership(ctx, ghost)
		})
		restore()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.ConstraintName != "membership_roles_role_fkey" {
			t.Fatalf("narrow=%d: a membership holding no role, written after a role deletion: %v, want a violation of membership_roles_role_fkey", narrow, err)
		}
		if reassigned != 1 {
			t.Fatalf("narrow=%d: the deletion reassigned %d memberships, want 1", narrow, reassigned)
		}
	}
}
