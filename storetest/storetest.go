// Package storetest is the conformance suite every [rbac.Store] must pass,
// the library's own stores and any written elsewhere.
//
// # What a Store implements
//
// A Store implements [rbac.Store]: Update and View, which run a function
// in a read-write or read-only transaction scoped to one environment, and
// Environments. The transaction, [rbac.Tx], is one small interface per noun
// ([rbac.EnvironmentTx], [rbac.PermissionTx], [rbac.RoleTx],
// [rbac.OrganizationTx], [rbac.MembershipTx], [rbac.GroupMappingTx],
// [rbac.ChangeTx]); each method's contract is written on it, and the
// conventions that hold for all of them on [rbac.Store]. The Store keeps
// records and indexes; every rule of the library is enforced by the
// [rbac.Service] above it, so a Store needs no knowledge of roles and
// permissions beyond the few bulk operations the contract names.
//
// # Running the suite
//
// A Store runs the suite from one test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) rbac.Store { return mystore.New() })
//	}
//
// newStore must return a fresh, empty store on every call (the suite makes
// hundreds); it may register cleanups on the t it is given. Run it with
// the race detector:
//
//	go test -race -run TestConformance ./mystore/
//
// The state machine runs rapid's default of 100 random sequences of about
// 90 operations each. rapid's flags, registered with the test binary's, set
// the number and replay a failure: -rapid.checks=1000 for a longer run,
// -rapid.seed=N to replay the sequence a failure printed; rapid also saves
// each failing sequence under testdata/rapid and replays it first on the
// next run. A store that is slow per transaction (a database server) takes
// minutes at 100 checks: set -rapid.checks lower while developing.
//
// # What Run checks
//
// Run drives an [rbac.Service] over fresh stores and checks the library's
// rules (docs/rules.md in the repository) through the Service's API and,
// where the Service cannot show it, through the Store itself:
//
//   - StateMachine: a property-based state machine (pgregory.net/rapid)
//     that runs random sequences of every operation of the Service, with
//     valid and invalid inputs, beside a plain-Go model of the rules.
//     After every step it compares the whole observable state with the
//     model, checks every invariant (rules §14), recomputes claims and
//     checks naively (invariant I9) and queries the Store's indexes
//     against the model. After every call it checks the outcome: the exact
//     typed error, and nothing changed (rule 12.2), for a failed call; for
//     one that succeeded, exactly one new revision with its events when the
//     model says it changed something, and no revision and no event when
//     it changed nothing (rules 12.3, 13.2). It pages through every
//     listing with random limits, orders and cursors to both ends, against
//     the model's whole listing (rules 19.1, 19.2).
//   - BadInputs: thousands of bad inputs, every odd id and text (invalid
//     UTF-8, control characters, spaces and format characters of every
//     script, over-long and empty values) in every field of every write,
//     and bad cursors, limits, orders, statuses, sources and deletion
//     options: each gives the exact typed error (kind, code, field, rule)
//     and changes nothing, revision included (rules 2.5–2.7, 12.1, 12.2,
//     19.1). The odd values the rules allow are kept byte for byte, and a
//     read given an id no store could hold answers as for a missing record.
//   - Concurrency: writers create, reassign and delete roles and
//     memberships while readers read; no membership is lost and every
//     snapshot is consistent.
//   - Scenarios: deterministic tests of single rules, each named after the
//     rule it checks, among them that the bulk changes (reassignment on
//     role deletion, re-pointed mappings, replaced defaults, a permission
//     removed from every role) move the UpdatedAt of exactly the records
//     they touch.
//   - Store: the parts of the Store contract the Service cannot show: a
//     failed or cancelled transaction leaves no trace in records or
//     indexes, read-only transactions refuse writes, slices are not shared.
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
