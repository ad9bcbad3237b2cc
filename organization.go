package rbac

import (
	"time"
)

// An Environment is an isolated world ("production", "staging"): its own
// permissions, environment roles, organizations, memberships and settings
// (SPEC 1.1, 1.6). Nothing crosses between environments.
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
// must be a valid role-style slug ("production", "staging").
type EnvironmentInput struct {
	ID   string
	Name string // defaults to ID
}

// An Organization is a customer tenant in an environment (SPEC 1.2).
//
// An organization starts by inheriting the environment's default role and
// priority order. Once it has its own configuration — from its first
// organization role, or from setting its default role or priority order —
// DefaultRole and PriorityOrder hold it, independent from the environment
// from then on (SPEC 5.5, 5.7, 7.3). Use [Service.OrganizationSettings] for
// the effective values either way.
type Organization struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	DefaultRole   string    `json:"default_role,omitempty"`   // own default role; empty while inheriting
	PriorityOrder []string  `json:"priority_order,omitempty"` // own priority order; nil while inheriting
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// HasOwnSettings reports whether the organization has its own default role
// and priority order rather than inheriting the environment's.
func (o Organization) HasOwnSettings() bool { return o.DefaultRole != "" }

// OrganizationInput describes an organization to create. ID may be the
// application's own tenant id; when empty the library generates "org_…".
type OrganizationInput struct {
	ID   string
	Name string
}

// Settings are the effective default role and priority order of an
// organization (SPEC 6.3).
type Settings struct {
	DefaultRole   string   `json:"default_role"`
	PriorityOrder []string `json:"priority_order"`
	Inherited     bool     `json:"inherited"` // true while the organization follows the environment
}

// MembershipStatus is the state of a membership (SPEC 1.5).
type MembershipStatus string

// Membership statuses, with their WorkOS names.
const (
	StatusActive   MembershipStatus = "active"
	StatusInactive MembershipStatus = "inactive"
	StatusPending  MembershipStatus = "pending"
)

func (s MembershipStatus) valid() bool {
	return s == StatusActive || s == StatusInactive || s == StatusPending
}

// RoleSource records where a membership's roles came from (SPEC 10.2).
type RoleSource string

// Role sources, lowest precedence first: an SSO default mapping yields to a
// manual assignment, which yields to an explicit SSO mapping, which yields to
// an explicit directory mapping.
const (
	SourceSSODefault RoleSource = "sso_default"
	SourceManual     RoleSource = "manual"
	SourceSSO        RoleSource = "sso"
	SourceDirectory  RoleSource = "directory"
)

// A Membership links one user to one organization (SPEC 1.5).
type Membership struct {
	ID             string           `json:"id"`
	UserID         string           `json:"user_id"`
	OrganizationID string           `json:"organization_id"`
	Status         MembershipStatus `json:"status"`
	// Role is the primary role: the highest-priority one (SPEC 8.3).
	Role string `json:"role"`
	// Roles lists every role, highest priority first.
	Roles      []string   `json:"roles"`
	RoleSource RoleSource `json:"role_source"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// MembershipInput describes a membership to create.
type MembershipInput struct {
	OrganizationID string
	UserID         string
	// Roles to give; empty means the organization's default role (SPEC 6.4).
	// More than one needs the environment's multiple-roles mode.
	Roles []string
	// Status is StatusActive when empty; StatusPending creates an invited
	// member who becomes active with [Service.AcceptMembership].
	Status MembershipStatus
}

// MembershipFilter selects memberships to list. Empty fields do not filter.
// Statuses defaults to active only (SPEC 8.6). Results are ordered by id;
// After and Limit page through them.
type MembershipFilter struct {
	OrganizationID string
	UserID         string
	Statuses       []MembershipStatus
	MultipleRoles  bool   // only memberships holding more than one role
	After          string // only ids greater than this
	Limit          int    // at most this many; 0 means no limit
}
