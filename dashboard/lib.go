package dashboard

import (
	"context"
	"strings"

	"github.com/orgroles/rbac"
)

// This file holds every call the Dashboard makes to the Service whose
// shape is about to change (listing and paging, delete options and plans),
// so that a change of the library's API touches this file alone.

// allStatuses lists memberships of every status.
var allStatuses = []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusPending, rbac.StatusInactive}

// lib wraps the Service.
type lib struct{ svc *rbac.Service }

func (l lib) permissions(ctx context.Context, env string) ([]rbac.Permission, error) {
	return l.svc.ListPermissions(ctx, env)
}

// roles lists the environment roles, highest priority first.
func (l lib) roles(ctx context.Context, env string) ([]rbac.Role, error) {
	return l.svc.ListRoles(ctx, env)
}

// orgRoles lists every role visible in org, in its effective order.
func (l lib) orgRoles(ctx context.Context, env, org string) ([]rbac.Role, error) {
	return l.svc.ListOrganizationRoles(ctx, env, org)
}

// groupMappings lists the mappings of org.
func (l lib) groupMappings(ctx context.Context, env, org string) ([]rbac.GroupMapping, error) {
	return l.svc.ListGroupMappings(ctx, env, org)
}

// page is one page of a listing: Next is the cursor of the page after it,
// "" when it is the last.
type page[T any] struct {
	Data []T
	Next string
}

// organizations returns up to limit organizations with ids after the
// cursor, ordered by id.
func (l lib) organizations(ctx context.Context, env, after string, limit int) (page[rbac.Organization], error) {
	orgs, err := l.svc.ListOrganizations(ctx, env, after, limit+1)
	if err != nil {
		return page[rbac.Organization]{}, err
	}
	return cut(orgs, limit, func(o rbac.Organization) string { return o.ID }), nil
}

// searchOrganizations returns up to limit organizations after the cursor
// whose id or name contains q, ignoring case, ordered by id. It reads the
// organizations in the store's pages of searchBatch and stops once the
// page is full, so a search that matches early is cheap.
func (l lib) searchOrganizations(ctx context.Context, env, q, after string, limit int) (page[rbac.Organization], error) {
	q = strings.ToLower(q)
	var out []rbac.Organization
	for {
		batch, err := l.svc.ListOrganizations(ctx, env, after, searchBatch)
		if err != nil {
			return page[rbac.Organization]{}, err
		}
		for _, o := range batch {
			if strings.Contains(strings.ToLower(o.ID), q) || strings.Contains(strings.ToLower(o.Name), q) {
				out = append(out, o)
				if len(out) > limit {
					return cut(out, limit, func(o rbac.Organization) string { return o.ID }), nil
				}
			}
		}
		if len(batch) < searchBatch {
			return page[rbac.Organization]{Data: out}, nil
		}
		after = batch[len(batch)-1].ID
	}
}

// searchBatch is how many organizations a search reads at once.
const searchBatch = 5000

// members returns up to limit memberships of org, of every status, with
// ids after the cursor.
func (l lib) members(ctx context.Context, env, org, after string, limit int) (page[rbac.Membership], error) {
	ms, err := l.svc.ListMemberships(ctx, env, rbac.MembershipFilter{
		OrganizationID: org, Statuses: allStatuses, After: after, Limit: limit + 1})
	if err != nil {
		return page[rbac.Membership]{}, err
	}
	return cut(ms, limit, func(m rbac.Membership) string { return m.ID }), nil
}

// cut keeps the first limit items of a listing read with limit+1 and
// sets the cursor of the next page when there is one.
func cut[T any](items []T, limit int, id func(T) string) page[T] {
	if len(items) <= limit {
		return page[T]{Data: items}
	}
	items = items[:limit]
	return page[T]{Data: items, Next: id(items[limit-1])}
}

func (l lib) updatePermission(ctx context.Context, env, slug, name, description string) (rbac.Permission, error) {
	return l.svc.UpdatePermission(ctx, env, slug, rbac.Update{Name: &name, Description: &description})
}

// deleteRole deletes, or with dry set plans the deletion of, an
// environment role; replacement is the new default where it was one.
func (l lib) deleteRole(ctx context.Context, env, slug, replacement string, dry bool) (plan, error) {
	p, err := l.svc.DeleteRole(ctx, env, slug, rbac.DeleteOptions{Replacement: replacement, DryRun: dry})
	return planOf(p), err
}

// deleteOrgRole deletes, or with dry set plans the deletion of, an
// organization role; reassignTo receives its members, mappings and
// default.
func (l lib) deleteOrgRole(ctx context.Context, env, org, slug, reassignTo string, dry bool) (plan, error) {
	p, err := l.svc.DeleteOrganizationRole(ctx, env, org, slug, rbac.DeleteOptions{Replacement: reassignTo, DryRun: dry})
	return planOf(p), err
}

func (l lib) deletePermission(ctx context.Context, env, slug string, dry bool) (plan, error) {
	p, err := l.svc.DeletePermission(ctx, env, slug, rbac.DeleteOptions{DryRun: dry})
	return planOf(p), err
}

// plan is what a deletion does (or, dry, would do), as the pages show it.
type plan struct {
	Replacement                string // the new default, or the reassignment target
	EnvironmentDefaultReplaced bool
	DefaultsReplaced           []string
	Memberships                []string
	GroupMappings              []rbac.GroupMapping
	Roles                      []rbac.RoleRef
}

func planOf(p rbac.DeletionPlan) plan {
	return plan{Replacement: p.Replacement, EnvironmentDefaultReplaced: p.EnvironmentDefaultReplaced,
		DefaultsReplaced: p.DefaultsReplaced, Memberships: p.Memberships, GroupMappings: p.GroupMappings, Roles: p.Roles}
}
