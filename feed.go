package rbac

import (
	"context"
	"slices"
)

// A Change summarises one committed write for caches in other processes:
// which environment, at which revision, and what it touched.
type Change struct {
	EnvironmentID string `json:"environment_id"`
	Revision      int64  `json:"revision"`
	// Environment is true when the write changed something every
	// organization sees: an environment role, a permission or an
	// environment setting.
	Environment bool `json:"environment,omitempty"`
	// Organizations lists, sorted, the organizations whose own state
	// changed: their roles, settings, memberships or group mappings.
	Organizations []string `json:"organizations,omitempty"`
}

// ChangeOf summarises the events of one write.
func ChangeOf(env string, revision int64, events []Event) Change {
	c := Change{EnvironmentID: env, Revision: revision}
	for _, e := range events {
		switch e.Type {
		case EventEnvironmentCreated, EventEnvironmentUpdated,
			EventPermissionCreated, EventPermissionUpdated, EventPermissionDeleted,
			EventRoleCreated, EventRoleUpdated, EventRoleDeleted:
			c.Environment = true
		}
		if e.OrganizationID != "" {
			c.Organizations = append(c.Organizations, e.OrganizationID)
		}
	}
	c.Organizations = sortedUnique(c.Organizations)
	if len(c.Organizations) == 0 {
		c.Organizations = nil
	}
	return c
}

// Has reports whether the change touched organization org, directly or
// through the environment.
func (c Change) Has(org string) bool {
	if c.Environment {
		return true
	}
	_, ok := slices.BinarySearch(c.Organizations, org)
	return ok
}

// A Feed delivers the changes that writers, in this process or others,
// commit to a shared Store. A durable store shared by several processes
// (pgstore) implements it so that in-memory caches can catch up.
type Feed interface {
	// Follow calls fn with every change committed to environment env
	// after revision since, in revision order, until ctx is done or the
	// feed fails; it returns the reason it stopped. A feed that cannot
	// tell exactly what changed reports Environment true.
	Follow(ctx context.Context, env string, since int64, fn func(Change)) error
}
