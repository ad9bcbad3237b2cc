package storetest

import (
	"testing"

	"github.com/orgroles/rbac"
)

func testBadInputs(t *testing.T, newStore func(t *testing.T) rbac.Store)   {}
func testConcurrency(t *testing.T, newStore func(t *testing.T) rbac.Store) {}
