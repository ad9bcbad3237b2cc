package rbac

import (
	"context"
	"slices"
	"strings"
)

// A Change summarises one committed write for caches in other processes:
// which environment, at which revision, and what it touched.
//
// Every change says which organizations it touched. An itemized change
// (Itemized true) also says, item by item, what in them changed, so that a
// cache can refresh one membership or one role rather than a whole
// organization. A feed that knows only the organizations (Itemized false)
// leaves the item fields empty; a reader must then treat each listed
// organization as changed throughout.
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

	// Itemized is true when Settings, Roles and Memberships list
	// everything the write changed in the organizations it touched
	// (group mappings aside, which no check reads).
	Itemized bool `json:"itemized,omitempty"`
	// Settings lists, sorted, the organizations created, deleted, or
	// whose own default role or priority order changed (including by
	// getting their own settings from a first organization role).
	Settings []string `json:"settings,omitempty"`
	// Roles lists the organization roles created, updated or deleted,
	// sorted by organization and slug.
	Roles []RoleRef `json:"roles,omitempty"`
	// Memberships lists the memberships created, updated or deleted,
	// sorted by id — unless Bulk is set.
	Memberships []MembershipRef `json:"memberships,omitempty"`
	// Bulk is set on an itemized change when the write changed more
	// memberships than the change lists: a role deletion that reassigned
	// more than MaxListedMemberships holders (its events have an
	// EventMembershipsReassigned), or more memberships than a feed
	// stores. Memberships then lists at most those of the write's
	// individual membership events, and a reader must read the
	// environment's memberships again.
	Bulk bool `json:"bulk,omitempty"`
}

// A MembershipRef names a membership, with the organization and user it
// links (which a reader needs to forget a membership the store no longer
// has).
type MembershipRef struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
}

// ChangeOf summarises the events of one write as an itemized change.
func ChangeOf(env string, revision int64, events []Event) Change {
	c := Change{EnvironmentID: env, Revision: revision, Itemized: true}
	for _, e := range events {
		switch e.Type {
		case EventEnvironmentCreated, EventEnvironmentUpdated,
			EventPermissionCreated, EventPermissionUpdated, EventPermissionDeleted,
			EventRoleCreated, EventRoleUpdated, EventRoleDeleted:
			c.Environment = true
		case EventOrganizationCreated, EventOrganizationUpdated, EventOrganizationDeleted:
			c.Settings = append(c.Settings, e.OrganizationID)
		case EventOrganizationRoleCreated:
			// The first organization role gives its organization its own
			// settings.
			c.Settings = append(c.Settings, e.OrganizationID)
			c.Roles = append(c.Roles, RoleRef{OrganizationID: e.OrganizationID, Slug: e.RoleSlug})
		case EventOrganizationRoleUpdated, EventOrganizationRoleDeleted:
			c.Roles = append(c.Roles, RoleRef{OrganizationID: e.OrganizationID, Slug: e.RoleSlug})
		case EventMembershipCreated, EventMembershipUpdated, EventMembershipDeleted:
			c.Memberships = append(c.Memberships, MembershipRef{ID: e.MembershipID, OrganizationID: e.OrganizationID, UserID: e.UserID})
		case EventMembershipsReassigned:
			c.Bulk = true
		}
		if e.OrganizationID != "" {
			c.Organizations = append(c.Organizations, e.OrganizationID)
		}
	}
	c.Organizations = nilIfEmpty(sortedUnique(c.Organizations))
	c.Settings = nilIfEmpty(sortedUnique(c.Settings))
	slices.SortFunc(c.Roles, func(a, b RoleRef) int {
		if n := strings.Compare(a.OrganizationID, b.OrganizationID); n != 0 {
			return n
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	c.Roles = nilIfEmpty(slices.Compact(c.Roles))
	slices.SortFunc(c.Memberships, func(a, b MembershipRef) int { return strings.Compare(a.ID, b.ID) })
	c.Memberships = nilIfEmpty(slices.Compact(c.Memberships))
	return c
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
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
	// feed fails; it returns the reason it stopped. A change whose
	// revision is not one more than the previous one's (or than since)
	// means the changes between were lost, as when they were pruned: a
	// reader must then read the store again. A feed that cannot tell
	// what changed in an organization delivers changes that are not
	// itemized.
	//
	// Follow must not block forever on a connection that stopped
	// answering: every read it makes has a deadline, and it returns an
	// error when one passes.
	Follow(ctx context.Context, env string, since int64, fn func(Change)) error
}
