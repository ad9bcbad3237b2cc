package rbac

import "time"

// GroupSource tells which identity-provider channel a group comes from
// (rule 10.1).
type GroupSource string

// Group sources.
const (
	GroupSourceDirectory GroupSource = "directory" // Directory Sync groups
	GroupSourceSSO       GroupSource = "sso"       // groups asserted at SSO login
)

func (s GroupSource) valid() bool { return s == GroupSourceDirectory || s == GroupSourceSSO }

// A GroupMapping maps an external group of an organization's identity
// provider to a role visible in that organization (rule 10.1).
type GroupMapping struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id"`
	Source         GroupSource `json:"source"`
	GroupID        string      `json:"group_id"`
	Role           string      `json:"role"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// GroupMappingInput describes a group-to-role mapping to create.
type GroupMappingInput struct {
	Source  GroupSource // GroupSourceDirectory or GroupSourceSSO
	GroupID string      // the identity provider's group id
	Role    string      // a role visible in the organization
}

// precedence ranks role sources (rule 10.2): an explicit directory mapping
// beats an explicit SSO mapping, which beats a manual assignment, which
// beats the SSO default mapping (the default role).
func (s RoleSource) precedence() int {
	switch s {
	case SourceDirectory:
		return 3
	case SourceSSO:
		return 2
	case SourceManual, "":
		return 1
	default: // SourceSSODefault
		return 0
	}
}

// SyncInput says that a user, in an organization, is now in exactly these
// groups of one source: what a directory sync or an SSO login reports.
type SyncInput struct {
	OrganizationID string
	UserID         string
	Source         GroupSource
	Groups         []string
}

// SyncResult reports what a sync did.
type SyncResult struct {
	Membership Membership `json:"membership"`
	// Applied is false when the membership's current roles come from a
	// source of higher precedence, which the sync left in place.
	Applied bool `json:"applied"`
	// Created is true when the sync created the membership.
	Created bool `json:"created"`
}
