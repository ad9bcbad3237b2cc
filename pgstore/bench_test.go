package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/orgroles/rbac"
)

// BenchmarkCreateMembership creates memberships one call (one transaction)
// at a time in an environment of 100 organizations.
func BenchmarkCreateMembership(b *testing.B) {
	ctx := context.Background()
	store := newStore(b)
	svc := rbac.New(store)
	must[rbac.Environment](b)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}))
	for i := range 100 {
		must[rbac.Organization](b)(svc.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: fmt.Sprintf("org%03d", i)}))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		must[rbac.Membership](b)(svc.CreateMembership(ctx, "prod", rbac.MembershipInput{
			OrganizationID: fmt.Sprintf("org%03d", i%100), UserID: fmt.Sprintf("user%d", i)}))
	}
}

// BenchmarkDeleteRoleHeldBy100k deletes an environment role held by
// 100,000 memberships across 10,000 organizations: every membership is
// reassigned to the default role, in one transaction whose reassignment is
// one statement. Each iteration seeds a fresh schema first (not timed).
func BenchmarkDeleteRoleHeldBy100k(b *testing.B) {
	ctx := context.Background()
	pool := sharedPool(b)
	for b.Loop() {
		b.StopTimer()
		store := newStoreOn(b, pool, randomSchema())
		svc := seedBulk(b, pool, store, 10_000, 100_000)
		b.StartTimer()
		plan := must[rbac.DeletionPlan](b)(svc.DeleteRole(ctx, bulkEnv, "temp", rbac.DeleteOptions{}))
		b.StopTimer()
		if plan.MembershipCount != 100_000 {
			b.Fatalf("reassigned %d memberships, want 100000", plan.MembershipCount)
		}
		if err := store.DropSchema(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
