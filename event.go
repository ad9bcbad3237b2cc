package rbac

import "time"

// EventType names a change (rule 13.1). The role, permission and
// membership types are the WorkOS event names; the environment,
// organization and group mapping types are the library's own, for changes
// WorkOS reports through other channels.
type EventType string

// Event types.
const (
	EventEnvironmentCreated      EventType = "environment.created"
	EventEnvironmentUpdated      EventType = "environment.updated" // default role, priority order or multiple-roles mode
	EventEnvironmentDeleted      EventType = "environment.deleted"
	EventPermissionCreated       EventType = "permission.created"
	EventPermissionUpdated       EventType = "permission.updated"
	EventPermissionDeleted       EventType = "permission.deleted"
	EventRoleCreated             EventType = "role.created"
	EventRoleUpdated             EventType = "role.updated"
	EventRoleDeleted             EventType = "role.deleted"
	EventOrganizationCreated     EventType = "organization.created"
	EventOrganizationUpdated     EventType = "organization.updated" // name, external id, metadata, own default role or priority order
	EventOrganizationDeleted     EventType = "organization.deleted"
	EventOrganizationRoleCreated EventType = "organization_role.created"
	EventOrganizationRoleUpdated EventType = "organization_role.updated"
	EventOrganizationRoleDeleted EventType = "organization_role.deleted"
	EventMembershipCreated       EventType = "organization_membership.created"
	EventMembershipUpdated       EventType = "organization_membership.updated"
	EventMembershipDeleted       EventType = "organization_membership.deleted"
	EventGroupMappingCreated     EventType = "group_role_mapping.created"
	EventGroupMappingUpdated     EventType = "group_role_mapping.updated"
	EventGroupMappingDeleted     EventType = "group_role_mapping.deleted"

	// EventMembershipsReassigned stands, in a role deletion that changed
	// the roles of more than MaxListedMemberships memberships, for the
	// organization_membership.updated event of each (rule 13.1). It is
	// the library's own.
	EventMembershipsReassigned EventType = "organization_membership.bulk_updated"
)

// An Event reports one change, with the ids involved and the record it is
// about. All events of one call carry the same Revision: the environment
// revision that call committed. Fields that do not apply are empty.
//
// A role deletion that reassigns at most [MaxListedMemberships]
// memberships emits one organization_membership.updated event for each,
// carrying the membership. One that reassigns more emits instead a single
// [EventMembershipsReassigned] event: RoleSlug is the role deleted,
// OrganizationID its organization (empty for an environment role), Count
// the number of memberships reassigned and ReassignedTo the role they
// moved to, when they all moved to one (DeleteOptions.ReassignTo); for an
// environment role each holder left with no role got its organization's
// effective default. It carries no record: a consumer that needs the
// memberships lists them with [Service.ListMemberships].
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

	// Count is, on an EventMembershipsReassigned, how many memberships
	// the deletion reassigned.
	Count int `json:"count,omitempty"`
	// ReassignedTo is, on an EventMembershipsReassigned of an
	// organization role, the role its holders moved to.
	ReassignedTo string `json:"reassigned_to,omitempty"`

	// The record the event is about, as it is after the change (as it
	// was before, for a deletion); nil for the kinds of event it does not
	// apply to. Handlers must not change them. Environment events carry
	// none: the environment record is small and read whole.
	Permission   *Permission   `json:"permission,omitempty"`
	Role         *Role         `json:"role,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
	Membership   *Membership   `json:"membership,omitempty"`
	GroupMapping *GroupMapping `json:"group_mapping,omitempty"`
}
