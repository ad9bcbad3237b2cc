package workosapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/workosapi"
)

// failingStore is the in-memory store with a failure to inject into its
// transactions: the store failing as a database can.
type failingStore struct {
	*memstore.Store
	fail atomic.Pointer[error]
}

func (s *failingStore) Update(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	if err := s.fail.Load(); err != nil {
		return *err
	}
	return s.Store.Update(ctx, env, fn)
}

func (s *failingStore) View(ctx context.Context, env string, fn func(rbac.Tx) error) error {
	if err := s.fail.Load(); err != nil {
		return *err
	}
	return s.Store.View(ctx, env, fn)
}

// TestStoreFailures checks the answers to a store that fails: 500 without
// its cause in the body (the log has it), 503 with Retry-After when the
// outcome of a commit is unknown, 499 when the request's context ended.
func TestStoreFailures(t *testing.T) {
	ctx := context.Background()
	st := &failingStore{Store: memstore.New()}
	svc := rbac.New(st)
	must[rbac.Environment](t)(svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: testEnv}))
	var logs bytes.Buffer
	h := workosapi.New(svc, workosapi.Options{Keys: map[string]string{testKey: testEnv},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	send := func(ctx context.Context, method, path, body string) (int, string, string) {
		t.Helper()
		r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String(), w.Header().Get("Retry-After")
	}

	secret := errors.New("disk on fire at /var/lib/secret")
	st.fail.Store(&secret)
	status, body, _ := send(ctx, "GET", "/authorization/roles", "")
	if status != 500 || !strings.Contains(body, `"code":"internal_error"`) || strings.Contains(body, "disk") {
		t.Errorf("store failure: %d %s", status, body)
	}
	if !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("the log lacks the cause: %s", logs.String())
	}

	unknown := fmt.Errorf("commit: connection reset: %w", rbac.ErrOutcomeUnknown)
	st.fail.Store(&unknown)
	status, body, retry := send(ctx, "POST", "/authorization/roles", `{"slug":"x","name":"X"}`)
	if status != 503 || !strings.Contains(body, `"code":"commit_outcome_unknown"`) || retry != "1" || strings.Contains(body, "connection reset") {
		t.Errorf("outcome unknown: %d %s (Retry-After %q)", status, body, retry)
	}

	st.fail.Store(nil)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	status, body, _ = send(canceled, "POST", "/authorization/roles", `{"slug":"x","name":"X"}`)
	if status != 499 || !strings.Contains(body, `"code":"canceled"`) {
		t.Errorf("canceled: %d %s", status, body)
	}
	if _, err := svc.GetRole(ctx, testEnv, "x"); !errors.Is(err, rbac.ErrNotFound) {
		t.Errorf("the canceled create wrote: %v", err)
	}
}
