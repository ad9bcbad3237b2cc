// Package storetest is the conformance suite every [rbac.Store] must pass.
//
// A Store implementation runs it from one test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) rbac.Store { return memstore.New() })
//	}
//
// Run drives an [rbac.Service] over fresh stores and checks the behaviour of
// SPEC.md statement by statement:
//
//   - StateMachine: a property-based state machine (pgregory.net/rapid)
//     that runs random sequences of every operation, with valid and invalid
//     inputs, beside a plain-Go model of the specification. After every step
//     it compares the whole observable state with the model, checks every
//     invariant of SPEC §14 and recomputes claims and checks naively; after
//     every failed call it checks the error is the right typed error and
//     that nothing changed (SPEC 12.2).
//   - BadInputs: each bad input gives the exact typed error and changes
//     nothing.
//   - Concurrency: writers create, reassign and delete roles and
//     memberships while readers read; no membership is lost. Run it with
//     -race.
//   - Scenarios: deterministic tests of single SPEC statements, each named
//     after the statement it checks, and the group-mapping scenarios of
//     [RunGroups].
//   - Store: the parts of the Store contract the Service cannot show: a
//     failed or cancelled transaction leaves no trace in records or
//     indexes, read-only transactions refuse writes, slices are not shared.
//
// # Number of checks
//
// The state machine runs rapid's default of 100 random sequences. Raise it
// with the environment variable RBAC_RAPID_CHECKS (RBAC_RAPID_CHECKS=1000
// go test ./memstore/) or with rapid's own -rapid.checks flag, which wins
// when both are given. rapid's other flags (-rapid.seed, -rapid.steps, …)
// work as usual.
package storetest

import (
	"flag"
	"os"
	"testing"

	"github.com/orgroles/rbac"
)

// ChecksEnv is the environment variable that sets the number of random
// sequences the state machine runs.
const ChecksEnv = "RBAC_RAPID_CHECKS"

// Run runs the conformance suite. newStore must return a fresh, empty
// store on every call; it may register cleanups on the t it is given.
func Run(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	t.Helper()
	ApplyChecksEnv(t)
	t.Run("StateMachine", func(t *testing.T) { testStateMachine(t, newStore) })
	t.Run("BadInputs", func(t *testing.T) { testBadInputs(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newStore) })
	t.Run("Scenarios", func(t *testing.T) { testScenarios(t, newStore) })
	t.Run("Store", func(t *testing.T) { testStoreContract(t, newStore) })
}

// ApplyChecksEnv sets rapid's -rapid.checks flag from the environment
// variable RBAC_RAPID_CHECKS, unless the flag was given on the command line.
// [Run] calls it; other property tests built on rapid can call it too, so
// that one variable scales them all. Without the variable it does nothing.
func ApplyChecksEnv(t testing.TB) {
	t.Helper()
	v, ok := os.LookupEnv(ChecksEnv)
	if !ok || v == "" {
		return
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.checks" {
			explicit = true
		}
	})
	if explicit {
		return
	}
	if err := flag.Set("rapid.checks", v); err != nil {
		t.Fatalf("%s=%q: %v", ChecksEnv, v, err)
	}
}
