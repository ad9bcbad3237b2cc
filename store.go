package rbac

import (
	"context"
	"time"
)

// A Store persists the state of environments. The [Service] enforces every
// rule of the library on top of it; a Store only keeps records, reads them
// back and applies the few bulk effects described below as one operation
// each (so a SQL store runs one statement, not one per row).
//
// All work happens inside transactions scoped to one environment. A Store
// must make each transaction atomic (all of its writes become visible at
// once, or none) and must serialize read-write transactions on the same
// environment, so that a transaction never acts on state another one has
// changed under it. Read-only transactions see a consistent snapshot.
//
// Conventions of every method:
//
//   - Get-style methods return an error matching [ErrNotFound]
//     (errors.Is) when the record does not exist.
//   - Slices returned by a Store belong to the caller; slices passed to a
//     Store must not be retained by it without a copy.
//   - Listing methods call fn once per record, in the order they state;
//     when fn returns an error the listing stops and returns that error.
//     fn must not use the Tx (a SQL store may still be reading rows).
//   - Bulk methods take the time of the call, now, and set the UpdatedAt
//     of every record they change to it.
//   - An empty filter field means "not filtered"; no argument of a method
//     has two meanings.
//
// The package storetest holds the conformance suite every Store must pass:
// storetest.Run.
type Store interface {
	// Update runs fn in a read-write transaction on environment env, which
	// need not exist yet. If fn returns an error, or the context is done
	// before the commit is sent, nothing fn wrote persists and Update
	// returns that error (a context's error as itself, or wrapped). Once
	// the commit is sent it is not abandoned because ctx ends. When the
	// store cannot tell whether the commit took effect (the connection
	// broke while it was in flight), Update returns an error matching
	// [ErrOutcomeUnknown]. Read-write transactions on one environment are
	// serialized.
	Update(ctx context.Context, env string, fn func(Tx) error) error

	// View runs fn in a read-only transaction on environment env: a
	// consistent snapshot. Calling a write method of the Tx in View is an
	// error.
	View(ctx context.Context, env string, fn func(Tx) error) error

	// Environments lists the ids of all environments, sorted.
	Environments(ctx context.Context) ([]string, error)
}

// Tx is one transaction on one environment. Every method acts on that
// environment only. A Tx must not be used after the function it was passed
// to returns. It is made of one interface per noun.
type Tx interface {
	EnvironmentTx
	PermissionTx
	RoleTx
	OrganizationTx
	MembershipTx
	GroupMappingTx
	ChangeTx
}

// EnvironmentTx keeps the environment record.
type EnvironmentTx interface {
	// Environment returns the environment record.
	Environment(ctx context.Context) (Environment, error)
	// PutEnvironment inserts or replaces the environment record.
	PutEnvironment(ctx context.Context, e Environment) error
	// DeleteEnvironment deletes the environment record and everything of
	// the environment: permissions, roles, organizations, memberships,
	// group mappings and stored changes.
	DeleteEnvironment(ctx context.Context) error
}

// PermissionTx keeps permissions.
type PermissionTx interface {
	// Permission returns the permission with the slug.
	Permission(ctx context.Context, slug string) (Permission, error)
	// Permissions lists the permissions in the range, by id.
	Permissions(ctx context.Context, r Range, fn func(Permission) error) error
	// PutPermission inserts or replaces the permission with p.Slug.
	PutPermission(ctx context.Context, p Permission) error
	// DeletePermission deletes the permission and removes its slug from the
	// permissions of every role, environment and organization roles alike,
	// in one operation. It calls fn with each role it changed, as it is
	// after the change, ordered by (organization id, slug), environment
	// roles first.
	DeletePermission(ctx context.Context, slug string, now time.Time, fn func(Role) error) error
}

// RoleTx keeps environment and organization roles. A role is identified
// by its slug among the environment roles, and by (organization id, slug)
// among organization roles.
type RoleTx interface {
	// EnvironmentRole returns the environment role with the slug.
	EnvironmentRole(ctx context.Context, slug string) (Role, error)
	// EnvironmentRoles lists the environment roles, sorted by slug.
	EnvironmentRoles(ctx context.Context) ([]Role, error)
	// OrganizationRole returns the organization role of org with the slug.
	OrganizationRole(ctx context.Context, org, slug string) (Role, error)
	// OrganizationRoles lists the organization roles of org, sorted by
	// slug.
	OrganizationRoles(ctx context.Context, org string) ([]Role, error)
	// EachOrganizationRole lists every organization role of the
	// environment, ordered by (organization id, slug). A Tx may also have
	// EachOrganizationRoleGrant(ctx, fn func(org, slug string,
	// permissions []string) error) error, the same listing with only
	// those fields, which package authz uses for a full load when it is
	// there (pgstore's has it: it reads a third of the bytes).
	EachOrganizationRole(ctx context.Context, fn func(Role) error) error
	// PutRole inserts or replaces a role: an environment role when r.Type
	// is EnvironmentRole (r.OrganizationID is then empty), else the
	// organization role (r.OrganizationID, r.Slug), whose organization
	// exists.
	PutRole(ctx context.Context, r Role) error
	// DeleteEnvironmentRole deletes the environment role. It does not
	// touch memberships, orders or mappings: the Service has already
	// moved them.
	DeleteEnvironmentRole(ctx context.Context, slug string) error
	// DeleteOrganizationRole deletes the organization role of org, under
	// the same terms.
	DeleteOrganizationRole(ctx context.Context, org, slug string) error
}

// OrganizationTx keeps organizations, with their own settings.
type OrganizationTx interface {
	// Organization returns the organization with the id.
	Organization(ctx context.Context, id string) (Organization, error)
	// OrganizationByExternalID returns the organization whose ExternalID
	// is externalID (not empty).
	OrganizationByExternalID(ctx context.Context, externalID string) (Organization, error)
	// Organizations lists the organizations in the range, by id. A Tx
	// may also have EachOrganizationDefaultRole(ctx, fn func(org, role
	// string) error) error, which lists the organizations with settings
	// of their own (HasOwnSettings), in any order, with their default
	// roles; package authz uses it, when it is there, to find the
	// defaults of many organizations at once (memstore's and pgstore's
	// have it).
	Organizations(ctx context.Context, r Range, fn func(Organization) error) error
	// PutOrganization inserts or replaces the organization with o.ID.
	PutOrganization(ctx context.Context, o Organization) error
	// DeleteOrganization deletes the organization with its roles,
	// memberships and group mappings.
	DeleteOrganization(ctx context.Context, id string) error
	// OrganizationsWithDefault lists, sorted, the organizations whose own
	// default role is the environment role slug.
	OrganizationsWithDefault(ctx context.Context, slug string) ([]string, error)
	// AppendToOrganizationOrders appends the environment role slug at the
	// bottom of the priority order of every organization that has its
	// own, in one operation.
	AppendToOrganizationOrders(ctx context.Context, slug string, now time.Time) error
	// RemoveFromOrganizationOrders removes the environment role slug from
	// the priority order of every organization that has its own and, in
	// those whose default is slug, makes replacement the default — in one
	// operation. It returns, sorted, the ids of the organizations whose
	// default it replaced.
	RemoveFromOrganizationOrders(ctx context.Context, slug, replacement string, now time.Time) ([]string, error)
}

// MembershipTx keeps memberships. A Store keeps a membership's Roles as a
// set (order does not matter) and does not store Role, the primary role,
// which the Service derives.
type MembershipTx interface {
	// Membership returns the membership with the id.
	Membership(ctx context.Context, id string) (Membership, error)
	// MembershipOf returns the membership of user in org.
	MembershipOf(ctx context.Context, org, user string) (Membership, error)
	// Memberships lists the memberships that match q, by id.
	Memberships(ctx context.Context, q MembershipQuery, fn func(Membership) error) error
	// PutMembership inserts or replaces the membership with m.ID.
	PutMembership(ctx context.Context, m Membership) error
	// DeleteMembership deletes the membership.
	DeleteMembership(ctx context.Context, id string) error
	// ReplaceOrganizationRole moves every membership of org that holds the
	// role from to the role to: from is removed from its roles and to
	// added (once), in one operation. It calls fn with each membership it
	// changed, as it is after the change, by id.
	ReplaceOrganizationRole(ctx context.Context, org, from, to string, now time.Time, fn func(Membership) error) error
	// RemoveEnvironmentRole removes the environment role slug from every
	// membership of the environment that holds it, in one operation. A
	// membership left with no role gets its organization's effective
	// default role as stored at the time of the call (see
	// [EffectiveSettings]). It calls fn with each membership it changed,
	// as it is after the change, by id.
	RemoveEnvironmentRole(ctx context.Context, slug string, now time.Time, fn func(Membership) error) error
}

// MembershipQuery selects memberships for [MembershipTx.Memberships].
type MembershipQuery struct {
	OrganizationID string             // only memberships of this organization
	UserID         string             // only memberships of this user
	Statuses       []MembershipStatus // only these statuses (empty: every status)
	// Role keeps only the memberships that hold a role with this slug: an
	// environment role, or an organization role of the membership's own
	// organization.
	Role string
	// MultipleRoles keeps only the memberships that hold more than one
	// role.
	MultipleRoles bool
	Range         Range
}

// GroupMappingTx keeps identity-provider group mappings.
type GroupMappingTx interface {
	// GroupMappings lists the mappings that match q, by id.
	GroupMappings(ctx context.Context, q GroupMappingQuery, fn func(GroupMapping) error) error
	// PutGroupMapping inserts or replaces the mapping identified by
	// (m.OrganizationID, m.Source, m.GroupID).
	PutGroupMapping(ctx context.Context, m GroupMapping) error
	// DeleteGroupMapping deletes one mapping.
	DeleteGroupMapping(ctx context.Context, org string, source GroupSource, group string) error
	// RepointOrganizationRoleMappings makes every mapping of org that
	// targets its organization role from target the role to instead, or
	// deletes them when to is "", in one operation. It calls fn with each
	// mapping it changed, as it was before, by id.
	RepointOrganizationRoleMappings(ctx context.Context, org, from, to string, now time.Time, fn func(GroupMapping) error) error
	// RepointEnvironmentRoleMappings does the same for the mappings of
	// every organization that target the environment role from.
	RepointEnvironmentRoleMappings(ctx context.Context, from, to string, now time.Time, fn func(GroupMapping) error) error
}

// GroupMappingQuery selects group mappings for
// [GroupMappingTx.GroupMappings].
type GroupMappingQuery struct {
	OrganizationID string // only the mappings of this organization
	Role           string // only the mappings targeting a role with this slug
	Range          Range
}

// ChangeTx records what a transaction commits, for other processes.
type ChangeTx interface {
	// Publish records that the transaction commits the given events at the
	// given revision (already stored with PutEnvironment). A store that
	// feeds other processes (a durable, shared store) makes them available
	// to its feed when the transaction commits; others may do nothing.
	Publish(ctx context.Context, revision int64, events []Event) error
}

// A Range selects a run of records ordered by id, for paging.
type Range struct {
	After  string // only ids greater than After, when set
	Before string // only ids less than Before, when set
	Desc   bool   // descending id order (ascending when false)
	Limit  int    // at most Limit records, the first in that order (0: all)
}

// Contains reports whether id falls in the range's bounds (Limit aside).
func (r Range) Contains(id string) bool {
	return (r.After == "" || id > r.After) && (r.Before == "" || id < r.Before)
}
