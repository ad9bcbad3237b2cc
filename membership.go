package rbac

import "time"

// MembershipStatus is the state of a membership (rule 1.5).
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

// RoleSource records where a membership's roles came from (rule 10.2).
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

// A Membership links one user to one organization (rule 1.5).
type Membership struct {
	ID             string           `json:"id"`
	UserID         string           `json:"user_id"`
	OrganizationID string           `json:"organization_id"`
	Status         MembershipStatus `json:"status"`
	// Role is the primary role: the highest-priority one (rule 8.3).
	Role string `json:"role"`
	// Roles lists every role, highest priority first.
	Roles      []string   `json:"roles"`
	RoleSource RoleSource `json:"role_source"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// MembershipInput describes a membership to create.
type MembershipInput struct {
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	// Roles to give; empty means the organization's default role (rule
	// 6.4). More than one needs the environment's multiple-roles mode.
	Roles []string `json:"role_slugs,omitempty"`
	// Status is StatusActive when empty; StatusPending creates an invited
	// member who becomes active with [Service.AcceptMembership].
	Status MembershipStatus `json:"status,omitempty"`
}

// MembershipFilter selects memberships to list. Empty fields do not
// filter, except Statuses, which defaults to active only (rule 8.6).
type MembershipFilter struct {
	OrganizationID string             `json:"organization_id,omitempty"`
	UserID         string             `json:"user_id,omitempty"`
	Statuses       []MembershipStatus `json:"statuses,omitempty"`
	// Role keeps the memberships that hold the role with this slug: an
	// environment role anywhere, or an organization role of the
	// membership's organization.
	Role string `json:"role_slug,omitempty"`
}
