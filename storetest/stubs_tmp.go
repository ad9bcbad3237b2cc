package storetest

import (
	"testing"

	"github.com/orgroles/rbac"
)

func testConcurrency(t *testing.T, newStore func(t *testing.T) rbac.Store) {}
