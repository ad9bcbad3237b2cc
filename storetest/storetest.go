// Package storetest is the conformance suite every [rbac.Store] must pass.
//
// A Store implementation runs it from one test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) rbac.Store { return memstore.New() })
//	}
//
// Run drives an [rbac.Service] over fresh stores and checks the behaviour of
// the library's rules (docs/rules.md) rule by rule:
//
//   - StateMachine: a property-based state machine (pgregory.net/rapid)
//     that runs random sequences of every operation, with valid and invalid
//     inputs, beside a plain-Go model of the specification. After every step
//     it compares the whole observable state with the model, checks every
//     invariant (rules §14) and recomputes claims and checks naively; after
//     every failed call it checks the error is the right typed error and
//     that nothing changed (rule 12.2).
//   - BadInputs: each bad input gives the exact typed error and changes
//     nothing.
//   - Concurrency: writers create, reassign and delete roles and
//     memberships while readers read; no membership is lost. Run it with
//     -race.
//   - Scenarios: deterministic tests of single rules, each named
//     after the statement it checks, and the group-mapping scenarios of
//     [runGroups].
//   - Store: the parts of the Store contract the Service cannot show: a
//     failed or cancelled transaction leaves no trace in records or
//     indexes, read-only transactions refuse writes, slices are not shared.
//
// # Number of checks
//
// The state machine runs rapid's default of 100 random sequences; rapid's
// own flags set it: go test ./memstore/ -rapid.checks=1000 (and
// -rapid.seed, -rapid.steps, … as usual).
package storetest

import (
	"context"
	"testing"

	"github.com/orgroles/rbac"
)

// Run runs the conformance suite. newStore must return a fresh, empty
// store on every call; it may register cleanups on the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	t.Helper()
	t.Run("StateMachine", func(t *testing.T) { testStateMachine(t, newStore) })
	t.Run("BadInputs", func(t *testing.T) { testBadInputs(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore) })
	t.Run("Scenarios", func(t *testing.T) { testScenarios(t, newStore) })
	t.Run("Store", func(t *testing.T) { testStoreContract(t, newStore) })
	t.Run("Cancellation", func(t *testing.T) { testCancellation(t, newStore) })
}

// all reads every page of a Service listing, MaxLimit at a time.
func all[T any](list func(rbac.ListOptions) (rbac.Page[T], error)) ([]T, error) {
	var out []T
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p, err := list(opt)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.After == "" {
			return out, nil
		}
		opt.After = p.After
	}
}

// collect gathers what a Store listing method hands to its callback.
func collect[T any](list func(fn func(T) error) error) ([]T, error) {
	var out []T
	err := list(func(x T) error { out = append(out, x); return nil })
	return out, err
}

// The Service's listings, read whole.

func listPermissions(ctx context.Context, s *rbac.Service, env string) ([]rbac.Permission, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Permission], error) { return s.ListPermissions(ctx, env, o) })
}

func listRoles(ctx context.Context, s *rbac.Service, env string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) { return s.ListRoles(ctx, env, o) })
}

func listOrganizations(ctx context.Context, s *rbac.Service, env string) ([]rbac.Organization, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Organization], error) {
		return s.ListOrganizations(ctx, env, o)
	})
}

func listOrganizationRoles(ctx context.Context, s *rbac.Service, env, org string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) {
		return s.ListOrganizationRoles(ctx, env, org, o)
	})
}

func listMemberships(ctx context.Context, s *rbac.Service, env string, f rbac.MembershipFilter) ([]rbac.Membership, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Membership], error) { return s.ListMemberships(ctx, env, f, o) })
}

func listGroupMappings(ctx context.Context, s *rbac.Service, env, org string) ([]rbac.GroupMapping, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.GroupMapping], error) {
		return s.ListGroupMappings(ctx, env, org, o)
	})
}
