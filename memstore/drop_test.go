package memstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/orgroles/rbac"
)

// TestFailedWritesLeaveNoState checks that writes to environments that do
// not exist, which fail, leave nothing behind, while an environment
// created by a write, and one written to without being created, stay.
func TestFailedWritesLeaveNoState(t *testing.T) {
	ctx := context.Background()
	s := New()
	svc := rbac.New(s)
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "prod"}); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		env := fmt.Sprintf("no-such-env-%d", i)
		_, err := svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "docs:read", Name: "Read docs"})
		if !errors.Is(err, rbac.ErrNotFound) {
			t.Fatalf("CreatePermission in %q: %v, want not found", env, err)
		}
	}
	// A store write without the environment record keeps what it wrote.
	err := s.Update(ctx, "bare", func(tx rbac.Tx) error {
		return tx.PutPermission(ctx, rbac.Permission{ID: "perm_1", Slug: "docs:read"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.envs); got != 2 {
		t.Errorf("the store holds %d environments' state, want 2 (prod and bare)", got)
	}
	if err := s.View(ctx, "bare", func(tx rbac.Tx) error {
		_, err := tx.Permission(ctx, "docs:read")
		return err
	}); err != nil {
		t.Errorf("the permission written to bare: %v", err)
	}
}

// TestDroppedStateRace runs failed writes, a creating write and reads of
// one environment at once: every transaction must see the environment
// either absent or created, and once created it must stay.
func TestDroppedStateRace(t *testing.T) {
	ctx := context.Background()
	for round := range 50 {
		s := New()
		svc := rbac.New(s)
		env := fmt.Sprintf("env-%d", round)
		var wg sync.WaitGroup
		created := make(chan struct{})
		wg.Add(3)
		go func() {
			defer wg.Done()
			for range 20 {
				// Fails or succeeds depending on when it runs.
				_, _ = svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: "docs:read", Name: "Read docs"})
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}); err != nil {
				t.Error(err)
			}
			close(created)
		}()
		go func() {
			defer wg.Done()
			<-created
			for range 20 {
				if _, err := svc.GetEnvironment(ctx, env); err != nil {
					t.Errorf("round %d: environment created before the read: %v", round, err)
					return
				}
			}
		}()
		wg.Wait()
		if _, err := svc.GetEnvironment(ctx, env); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
