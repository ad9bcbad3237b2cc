package dashboard

import (
	"context"

	"github.com/orgroles/rbac"
)

// This file holds every call the Dashboard makes to the Service whose
// shape is about to change (listing and paging, delete options and plans),
// so that a change of the library's API touches this file alone.

// allStatuses lists memberships of every status.
var allStatuses = []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusPending, rbac.StatusInactive}

// lib wraps the Service.
type lib struct{ svc *rbac.Service }

// all reads every page of a listing.
func all[T any](list func(rbac.ListOptions) (rbac.Page[T], error)) ([]T, error) {
	var out []T
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p, err := list(opt)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.After == "" {
			return out, nil
		}
		opt.After = p.After
	}
}

func (l lib) permissions(ctx context.Context, env string) ([]rbac.Permission, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Permission], error) {
		return l.svc.ListPermissions(ctx, env, o)
	})
}

// roles lists the environment roles, highest priority first.
func (l lib) roles(ctx context.Context, env string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) { return l.svc.ListRoles(ctx, env, o) })
}

// orgRoles lists every role visible in org, in its effective order.
func (l lib) orgRoles(ctx context.Context, env, org string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) {
		return l.svc.ListOrganizationRoles(ctx, env, org, o)
	})
}

// groupMappings lists the mappings of org.
func (l lib) groupMappings(ctx context.Context, env, org string) ([]rbac.GroupMapping, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.GroupMapping], error) {
		return l.svc.ListGroupMappings(ctx, env, org, o)
	})
}

// page is one page of a listing: Prev and Next are the cursors of the
// pages before and after it, "" when there is none.
type page[T any] struct {
	Data       []T
	Prev, Next string
}

// cursor asks for the page after After, or else the page before Before.
type cursor struct{ After, Before string }

func (c cursor) options(limit int) rbac.ListOptions {
	return rbac.ListOptions{Limit: limit, After: c.After, Before: c.Before}
}

func pageOf[T any](p rbac.Page[T]) page[T] {
	return page[T]{Data: p.Data, Prev: p.Before, Next: p.After}
}

// organizations returns a page of up to limit organizations, ordered by
// id.
func (l lib) organizations(ctx context.Context, env string, c cursor, limit int) (page[rbac.Organization], error) {
	p, err := l.svc.ListOrganizations(ctx, env, c.options(limit))
	return pageOf(p), err
}

// searchOrganizations returns a page of up to limit organizations whose
// id, name or external id contains q, ignoring case, ordered by id.
func (l lib) searchOrganizations(ctx context.Context, env, q string, c cursor, limit int) (page[rbac.Organization], error) {
	p, err := l.svc.SearchOrganizations(ctx, env, q, c.options(limit))
	return pageOf(p), err
}

// members returns a page of up to limit memberships of org, of every
// status, ordered by id.
func (l lib) members(ctx context.Context, env, org string, c cursor, limit int) (page[rbac.Membership], error) {
	p, err := l.svc.ListMemberships(ctx, env, rbac.MembershipFilter{OrganizationID: org, Statuses: allStatuses}, c.options(limit))
	return pageOf(p), err
}

func (l lib) updatePermission(ctx context.Context, env, slug, name, description string) (rbac.Permission, error) {
	return l.svc.UpdatePermission(ctx, env, slug, rbac.PermissionUpdate{Name: &name, Description: &description})
}

// deleteRole deletes, or with dry set plans the deletion of, an
// environment role; replacement is the new default where it was one.
func (l lib) deleteRole(ctx context.Context, env, slug, replacement string, dry bool) (plan, error) {
	p, err := l.svc.DeleteRole(ctx, env, slug, rbac.DeleteOptions{ReplacementDefault: replacement, DryRun: dry})
	return planOf(p), err
}

// deleteOrgRole deletes, or with dry set plans the deletion of, an
// organization role; reassignTo receives its members, mappings and
// default.
func (l lib) deleteOrgRole(ctx context.Context, env, org, slug, reassignTo string, dry bool) (plan, error) {
	p, err := l.svc.DeleteOrganizationRole(ctx, env, org, slug, rbac.DeleteOptions{ReassignTo: reassignTo, DryRun: dry})
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
	MembershipCount            int      // the memberships changed
	Memberships                []string // up to rbac.MaxListedMemberships of them
	GroupMappings              []rbac.GroupMapping
	Roles                      []rbac.RoleRef
}

func planOf(p rbac.DeletionPlan) plan {
	return plan{Replacement: p.ReplacementDefault + p.ReassignedTo, EnvironmentDefaultReplaced: p.EnvironmentDefaultReplaced,
		DefaultsReplaced: p.DefaultsReplaced, MembershipCount: p.MembershipCount, Memberships: p.Memberships, GroupMappings: p.GroupMappings, Roles: p.Roles}
}

// planLimit is the number of memberships holding a role above which a
// deletion page does not run the library's dry run: the dry run applies
// the whole deletion to every holder and rolls it back, which at tens of
// thousands of holders takes seconds. Such a page shows the plan from
// listings instead (see deletion.Large). It is one listing page, because
// the in-memory store sorts every holder of a role for each page of them,
// so that reading many pages of a role held by 100,000 memberships would
// take seconds too.
const planLimit = rbac.MaxLimit

// holders returns the first memberships that hold the role (in org, or
// in any organization when org is ""), how many hold it, up to planLimit,
// and whether more do.
func (l lib) holders(ctx context.Context, env, org, slug string) (first []rbac.Membership, n int, over bool, err error) {
	f := rbac.MembershipFilter{OrganizationID: org, Role: slug, Statuses: allStatuses}
	p, err := l.svc.ListMemberships(ctx, env, f, rbac.ListOptions{Limit: planLimit})
	if err != nil {
		return nil, 0, false, err
	}
	return p.Data[:min(len(p.Data), shownMembers)], len(p.Data), p.After != "", nil
}

// orgsWithDefault lists the organizations whose own default role is the
// environment role slug, by reading every organization.
func (l lib) orgsWithDefault(ctx context.Context, env, slug string) ([]string, error) {
	var out []string
	opt := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p, err := l.svc.ListOrganizations(ctx, env, opt)
		if err != nil {
			return nil, err
		}
		for _, o := range p.Data {
			if o.DefaultRole == slug {
				out = append(out, o.ID)
			}
		}
		if p.After == "" {
			return out, nil
		}
		opt.After = p.After
	}
}
