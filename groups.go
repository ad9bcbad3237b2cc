package rbac

import "time"

// GroupSource tells which identity-provider channel a group comes from
// (SPEC 10.1).
type GroupSource string

// Group sources.
const (
	GroupSourceDirectory GroupSource = "directory" // Directory Sync groups
	GroupSourceSSO       GroupSource = "sso"       // groups asserted at SSO login
)

func (s GroupSource) valid() bool { return s == GroupSourceDirectory || s == GroupSourceSSO }

// A GroupMapping maps an external group of an organization's identity
// provider to a role visible in that organization (SPEC 10.1).
type GroupMapping struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id"`
	Source         GroupSource `json:"source"`
	GroupID        string      `json:"group_id"`
	Role           string      `json:"role"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}
