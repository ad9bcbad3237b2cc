package rbac

import "time"

// EventType names a change (SPEC 13). The role, permission and membership
// types are the WorkOS event names; the environment, organization and group
// mapping types are the library's own, for changes WorkOS reports through
// other channels.
type EventType string

// Event types.
const (
	EventEnvironmentCreated     EventType = "environment.created"
	EventEnvironmentUpdated     EventType = "environment.updated" // default role, priority order or multiple-roles mode
	EventPermissionCreated      EventType = "permission.created"
	EventPermissionUpdated      EventType = "permission.updated"
	EventPermissionDeleted      EventType = "permission.deleted"
	EventRoleCreated            EventType = "role.created"
	EventRoleUpdated            EventType = "role.updated"
	EventRoleDeleted            EventType = "role.deleted"
	EventOrganizationCreated    EventType = "organization.created"
	EventOrganizationUpdated    EventType = "organization.updated" // own default role or priority order
	EventOrganizationDeleted    EventType = "organization.deleted"
	EventOrganizationRoleCreate EventType = "organization_role.created"
	EventOrganizationRoleUpdate EventType = "organization_role.updated"
	EventOrganizationRoleDelete EventType = "organization_role.deleted"
	EventMembershipCreated      EventType = "organization_membership.created"
	EventMembershipUpdated      EventType = "organization_membership.updated"
	EventMembershipDeleted      EventType = "organization_membership.deleted"
	EventGroupMappingCreated    EventType = "group_role_mapping.created"
	EventGroupMappingUpdated    EventType = "group_role_mapping.updated"
	EventGroupMappingDeleted    EventType = "group_role_mapping.deleted"
)

// An Event reports one change, with the ids involved. All events of one
// call carry the same Revision: the environment revision that call
// committed. Fields that do not apply are empty.
type Event struct {
	Type           EventType `json:"event"`
	EnvironmentID  string    `json:"environment_id"`
	OrganizationID string    `json:"organization_id,omitempty"`
	RoleSlug       string    `json:"role_slug,omitempty"`
	PermissionSlug string    `json:"permission_slug,omitempty"`
	MembershipID   string    `json:"membership_id,omitempty"`
	UserID         string    `json:"user_id,omitempty"`
	GroupID        string    `json:"group_id,omitempty"`
	Revision       int64     `json:"revision"`
	Time           time.Time `json:"time"`
}
