package rbac

import "time"

// An Environment is an isolated world ("production", "staging"): its own
// permissions, environment roles, organizations, memberships and settings
// (rules 1.1, 1.6). Nothing crosses between environments.
type Environment struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	DefaultRole   string    `json:"default_role"`   // an environment role slug
	PriorityOrder []string  `json:"priority_order"` // every environment role, highest priority first
	MultipleRoles bool      `json:"multiple_roles"` // memberships may hold several roles
	Revision      int64     `json:"revision"`       // bumped by every committed change
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// EnvironmentInput describes an environment to create. ID is required and
// follows the role slug rules ("production", "staging").
type EnvironmentInput struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // defaults to ID
}

// Settings are the effective default role and priority order of an
// organization (rule 6.3).
type Settings struct {
	DefaultRole   string   `json:"default_role"`
	PriorityOrder []string `json:"priority_order"`
	Inherited     bool     `json:"inherited"` // true while the organization follows the environment
}

// EffectiveSettings returns the default role and priority order that
// apply in organization org of environment env: the organization's own
// once it has them, else the environment's (rules 5.1, 6.3). It is the one
// statement of that rule; a Store that applies it itself (as
// [MembershipTx.RemoveEnvironmentRole] does) calls it or mirrors it. The
// order is shared with env or org, not copied.
func EffectiveSettings(env Environment, org Organization) Settings {
	if org.HasOwnSettings() {
		return Settings{DefaultRole: org.DefaultRole, PriorityOrder: org.PriorityOrder}
	}
	return Settings{DefaultRole: env.DefaultRole, PriorityOrder: env.PriorityOrder, Inherited: true}
}
