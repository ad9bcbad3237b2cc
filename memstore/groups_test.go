package memstore_test

import (
	"testing"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
	"github.com/orgroles/rbac/storetest"
)

func TestGroupsScenarios(t *testing.T) {
	storetest.RunGroups(t, func(*testing.T) rbac.Store { return memstore.New() })
}
