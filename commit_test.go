package rbac_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// TestOnCommitRemove checks that the function OnCommit returns unregisters
// the handler, and only that one.
func TestOnCommitRemove(t *testing.T) {
	ctx := context.Background()
	s := rbac.New(memstore.New())
	var a, b int
	removeA := s.OnCommit(func(rbac.Commit) { a++ })
	s.OnCommit(func(rbac.Commit) { b++ })
	if _, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		t.Fatal(err)
	}
	removeA()
	removeA() // harmless
	if _, err := s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if a != 1 || b != 2 {
		t.Errorf("handler calls: removed %d (want 1), kept %d (want 2)", a, b)
	}
}

// TestOnCommitPanic checks that a panicking handler stops neither the
// handlers after it nor the write call, and is logged.
func TestOnCommitPanic(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	s := rbac.New(memstore.New(), rbac.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	s.OnCommit(func(rbac.Commit) { panic("boom") })
	var after []rbac.Commit
	s.OnCommit(func(c rbac.Commit) { after = append(after, c) })
	env, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"})
	if err != nil {
		t.Fatalf("CreateEnvironment: %v", err)
	}
	if len(after) != 1 || after[0].Revision != env.Revision || after[0].Err != nil || len(after[0].Events) == 0 {
		t.Errorf("the handler after the panicking one got %+v", after)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("the panic was not logged: %q", logs.String())
	}
}

// unknownStore is a Store whose next Update commits and then reports that
// it cannot tell whether it did.
type unknownStore struct {
	rbac.Store
	fail bool
}

func (u *unknownStore) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	err := u.Store.Update(ctx, env, fn)
	if u.fail && err == nil {
		u.fail = false
		return &rbac.Error{Kind: rbac.KindOutcomeUnknown, Code: rbac.CodeOutcomeUnknown,
			Message: "commit sent, no answer", Err: errors.New("connection reset")}
	}
	return err
}

// TestOutcomeUnknown checks that an unknown commit outcome reaches the
// caller as itself, not as an internal error, and reaches the OnCommit
// handlers with the events the write would have committed.
func TestOutcomeUnknown(t *testing.T) {
	ctx := context.Background()
	st := &unknownStore{Store: memstore.New()}
	s := rbac.New(st)
	if _, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		t.Fatal(err)
	}
	var got []rbac.Commit
	s.OnCommit(func(c rbac.Commit) { got = append(got, c) })
	st.fail = true
	_, err := s.CreateOrganization(ctx, "production", rbac.OrganizationInput{ID: "acme"})
	if !errors.Is(err, rbac.ErrOutcomeUnknown) || errors.Is(err, rbac.ErrInternal) {
		t.Fatalf("CreateOrganization: %v, want an outcome-unknown error", err)
	}
	if s := rbac.HTTPStatus(err); s != http.StatusServiceUnavailable {
		t.Errorf("HTTPStatus = %d, want 503", s)
	}
	if len(got) != 1 || !errors.Is(got[0].Err, rbac.ErrOutcomeUnknown) || got[0].Revision != 2 ||
		len(got[0].Events) != 1 || got[0].Events[0].Type != rbac.EventOrganizationCreated {
		t.Errorf("handlers got %+v", got)
	}
}

// TestCanceled checks that a context's error surfaces as itself, wrapped
// in a KindCanceled error, on reads and writes, and changes nothing.
func TestCanceled(t *testing.T) {
	s := rbac.New(memstore.New())
	if _, err := s.CreateEnvironment(context.Background(), rbac.EnvironmentInput{ID: "production"}); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -1)
	defer cancel2()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{canceled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		calls := map[string]error{}
		_, calls["CreateOrganization"] = s.CreateOrganization(c.ctx, "production", rbac.OrganizationInput{ID: "acme"})
		_, calls["GetEnvironment"] = s.GetEnvironment(c.ctx, "production")
		_, calls["Can"] = s.Can(c.ctx, "production", "acme", "u", "p")
		for name, err := range calls {
			if !errors.Is(err, c.want) || !errors.Is(err, rbac.ErrCanceled) || errors.Is(err, rbac.ErrInternal) {
				t.Errorf("%s with %v: %v, want a canceled error matching it", name, c.want, err)
			}
			if got := rbac.HTTPStatus(err); got != rbac.StatusClientClosedRequest {
				t.Errorf("%s: HTTPStatus = %d, want %d", name, got, rbac.StatusClientClosedRequest)
			}
		}
	}
	if _, err := s.GetOrganization(context.Background(), "production", "acme"); !errors.Is(err, rbac.ErrNotFound) {
		t.Errorf("a canceled CreateOrganization left the organization behind: %v", err)
	}
}
