package rbac

import (
	"context"
)

// A Store persists the state of environments. The [Service] enforces every
// rule of the specification on top of it; a Store only keeps records, reads
// them back and applies the few bulk effects described below as one
// operation each (so a SQL store runs one statement, not one per row).
//
// All work happens inside transactions scoped to one environment. A Store
// must make each transaction atomic (all of its writes become visible at
// once, or none) and must serialize read-write transactions on the same
// environment, so that a transaction never acts on state another one has
// changed under it. Read-only transactions see a consistent snapshot.
//
// Get-style methods return an error matching [ErrNotFound] (errors.Is) when
// the record does not exist. Slices returned by a Store belong to the
// caller; slices passed to a Store must not be retained by it without a
// copy.
//
// The package storetest holds the conformance suite that every Store must
// pass.
type Store interface {
	// Update runs fn in a read-write transaction on environment env, which
	// need not exist yet. If fn returns an error, or the context is done
	// before commit, nothing fn wrote persists and Update returns that
	// error. Read-write transactions on one environment are serialized.
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
// to returns.
type Tx interface {
	// Environment returns the environment record.
	Environment(ctx context.Context) (Environment, error)
	// PutEnvironment inserts or replaces the environment record.
	PutEnvironment(ctx context.Context, e Environment) error

	// Permission returns the permission with the slug.
	Permission(ctx context.Context, slug string) (Permission, error)
	// Permissions lists every permission, sorted by slug.
	Permissions(ctx context.Context) ([]Permission, error)
	// PutPermission inserts or replaces the permission with p.Slug.
	PutPermission(ctx context.Context, p Permission) error
	// DeletePermission deletes the permission and removes its slug from the
	// permissions of every role, environment and organization roles alike,
	// in one operation. It returns the roles it changed, as they are after
	// the change.
	DeletePermission(ctx context.Context, slug string) ([]Role, error)

	// Role returns a role: an environment role when org is "", else the
	// organization role of org.
	Role(ctx context.Context, org, slug string) (Role, error)
	// Roles lists the environment roles when org is "", else the
	// organization roles of org only; sorted by slug.
	Roles(ctx context.Context, org string) ([]Role, error)
	// PutRole inserts or replaces the role identified by
	// (r.OrganizationID, r.Slug). The organization must exist.
	PutRole(ctx context.Context, r Role) error
	// DeleteRole deletes the role. It does not touch memberships, orders
	// or mappings: the Service has already moved them.
	DeleteRole(ctx context.Context, org, slug string) error

	// Organization returns the organization with the id.
	Organization(ctx context.Context, id string) (Organization, error)
	// Organizations lists organizations ordered by id, those with an id
	// greater than after, at most limit of them (0: all).
	Organizations(ctx context.Context, after string, limit int) ([]Organization, error)
	// PutOrganization inserts or replaces the organization with o.ID.
	PutOrganization(ctx context.Context, o Organization) error
	// DeleteOrganization deletes the organization with its roles,
	// memberships and group mappings.
	DeleteOrganization(ctx context.Context, id string) error
	// OrganizationsWithDefault lists, sorted, the organizations whose own
	// default role is the environment role slug.
	OrganizationsWithDefault(ctx context.Context, slug string) ([]string, error)
	// AppendToOrganizationOrders appends the environment role slug at the
	// bottom of the priority order of every organization that has its own,
	// in one operation, and returns those organizations' ids.
	AppendToOrganizationOrders(ctx context.Context, slug string) ([]string, error)
	// RemoveFromOrganizations removes the environment role slug from the
	// priority order of every organization that has its own and, in those
	// whose default is slug, makes replacement the default — in one
	// operation. It returns, sorted, the ids of the organizations whose
	// default it replaced.
	RemoveFromOrganizations(ctx context.Context, slug, replacement string) ([]string, error)

	// Membership returns the membership with the id.
	Membership(ctx context.Context, id string) (Membership, error)
	// MembershipOf returns the membership of user in org.
	MembershipOf(ctx context.Context, org, user string) (Membership, error)
	// Memberships lists the memberships that match the filter, ordered by
	// id. An empty Statuses matches every status (the Service applies the
	// "active only" default before it calls the Store).
	Memberships(ctx context.Context, f MembershipFilter) ([]Membership, error)
	// PutMembership inserts or replaces the membership with m.ID. The
	// Store keeps m.Roles as a set; order does not matter and m.Role is
	// not stored.
	PutMembership(ctx context.Context, m Membership) error
	// DeleteMembership deletes the membership.
	DeleteMembership(ctx context.Context, id string) error
	// RoleHolders lists, sorted, the ids of the memberships of org that
	// hold the role slug; when org is "", of every organization (used for
	// environment roles).
	RoleHolders(ctx context.Context, org, slug string) ([]string, error)
	// ReplaceRole moves every membership of org that holds role from to
	// role to: from is removed from its roles and to added (once), in one
	// operation. It returns the memberships it changed, as they are after
	// the change, ordered by id.
	ReplaceRole(ctx context.Context, org, from, to string) ([]Membership, error)
	// RemoveRole removes the environment role slug from every membership of
	// the environment that holds it, in one operation. A membership left
	// with no role gets its organization's effective default as stored at
	// the time of the call: the organization's own default role if it has
	// one, else the environment's. It returns the memberships it changed,
	// as they are after the change, ordered by id.
	RemoveRole(ctx context.Context, slug string) ([]Membership, error)

	// GroupMappings lists the group mappings of org, ordered by
	// (source, group id).
	GroupMappings(ctx context.Context, org string) ([]GroupMapping, error)
	// PutGroupMapping inserts or replaces the mapping identified by
	// (m.OrganizationID, m.Source, m.GroupID).
	PutGroupMapping(ctx context.Context, m GroupMapping) error
	// DeleteGroupMapping deletes one mapping.
	DeleteGroupMapping(ctx context.Context, org string, source GroupSource, group string) error
	// GroupMappingsTo lists the mappings of org that target the role slug;
	// when org is "", those of every organization. Ordered by
	// (organization, source, group id).
	GroupMappingsTo(ctx context.Context, org, slug string) ([]GroupMapping, error)
	// RepointGroupMappings makes every mapping of org that targets role
	// from target role to instead — or deletes them when to is "" — in one
	// operation; when org is "", in every organization. It returns the
	// mappings it changed as they were before, ordered as GroupMappingsTo.
	RepointGroupMappings(ctx context.Context, org, from, to string) ([]GroupMapping, error)

	// Publish records that the transaction commits the given events at the
	// given revision (already stored with PutEnvironment). A store that
	// feeds other processes (a durable, shared store) sends them a change
	// notice when the transaction commits; others may do nothing.
	Publish(ctx context.Context, revision int64, events []Event) error
}
