package memstore_test

import (
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/storetest"
)

// TestConformance runs the Store conformance suite on the in-memory store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) rbac.Store { return memstore.New() })
}
