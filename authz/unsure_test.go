package authz_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// unsureStore is a Store whose next Update, when told so, reports that it
// cannot tell whether the write committed, after storing it ("stored") or
// after rolling it back ("lost"): what pgstore returns when the answer to
// a COMMIT is lost.
type unsureStore struct {
	rbac.Store
	mu   sync.Mutex
	next string
}

var errLost = errors.New("the commit's answer was lost, and so was the commit")

func (u *unsureStore) set(mode string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.next = mode
}

func (u *unsureStore) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	u.mu.Lock()
	mode := u.next
	u.next = ""
	u.mu.Unlock()
	unknown := &rbac.Error{Kind: rbac.KindOutcomeUnknown, Code: rbac.CodeOutcomeUnknown, Message: "no answer to COMMIT (" + mode + ")", Err: errLost}
	switch mode {
	case "stored":
		if err := u.Store.Update(ctx, env, fn); err != nil {
			return err
		}
		return unknown
	case "lost":
		err := u.Store.Update(ctx, env, func(tx rbac.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errLost
		})
		if errors.Is(err, errLost) {
			return unknown
		}
		return err
	}
	return u.Store.Update(ctx, env, fn)
}

// TestAgreesWhenOutcomeUnknown drives random writes as TestAgrees does,
// some of which end with the outcome unknown, stored or not, and after
// each one compares every check and claim of the authorizer with the
// recomputation from the store. The events of such a write describe it as
// if it had committed: an authorizer that applies them grants what a lost
// write would have granted.
func TestAgreesWhenOutcomeUnknown(t *testing.T) {
	var n tally
	var unknowns [2]int
	rapid.Check(t, func(t *rapid.T) {
		st := &unsureStore{Store: memstore.New()}
		w := newWorld(t, st, "production", nil)
		w.seedRandom()
		actions := w.actions()
		actions["OutcomeUnknown"] = func(t *rapid.T) {
			mode := rapid.SampledFrom([]string{"stored", "lost"}).Draw(t, "next write")
			st.set(mode)
			if mode == "stored" {
				unknowns[0]++
			} else {
				unknowns[1]++
			}
		}
		actions[""] = func(t *rapid.T) {
			for _, d := range disagreements(w, w.auth, &n, false) {
				t.Error(d)
			}
		}
		t.Repeat(actions)
	})
	checkTally(t, &n)
	if unknowns[0] == 0 || unknowns[1] == 0 {
		t.Errorf("writes with the outcome unknown: %d stored, %d lost; want some of each", unknowns[0], unknowns[1])
	}
}
