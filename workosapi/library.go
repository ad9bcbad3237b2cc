package workosapi

import (
	"context"
	"errors"

	"github.com/orgroles/rbac"
)

// lib is the handler's one way to the library: every Service call the
// routes make goes through a method here, so that a change of the
// library's API is a change of this file.
type lib struct {
	svc *rbac.Service
}

// plan presents a deletion plan.
func plan(p rbac.DeletionPlan) planObject {
	out := planObject{Object: "deletion_plan", DryRun: p.DryRun, RoleSlug: p.Role, OrganizationID: p.OrganizationID,
		PermissionSlug: p.Permission, ReplacementDefault: p.ReplacementDefault, ReassignedTo: p.ReassignedTo,
		EnvironmentDefaultReplaced: p.EnvironmentDefaultReplaced,
		DefaultsReplaced:           nonNil(p.DefaultsReplaced), MembershipCount: p.MembershipCount, Memberships: nonNil(p.Memberships),
		GroupRoleMappings: []groupMappingObject{}, Roles: []roleRef{}}
	for _, m := range p.GroupMappings {
		out.GroupRoleMappings = append(out.GroupRoleMappings, groupMapping(m))
	}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, roleRef{OrganizationID: r.OrganizationID, Slug: r.Slug})
	}
	return out
}

// listOptions converts WorkOS's pagination to the library's. "normal" is
// descending with the cursors' meanings swapped: before asks for older
// objects (the library's After, in descending order) and after for newer
// ones.
func (o listOptions) library() rbac.ListOptions {
	lo := rbac.ListOptions{Limit: o.limit, Before: o.before, After: o.after, Order: rbac.OrderDesc}
	switch o.order {
	case orderAsc:
		lo.Order = rbac.OrderAsc
	case orderNormal:
		lo.Before, lo.After = o.after, o.before
	}
	return lo
}

// pageOf presents a library page as the handler's, swapping the cursors
// back for "normal".
func pageOf[T any](p rbac.Page[T], o listOptions, err error) (page[T], error) {
	if err != nil {
		return page[T]{}, queryError(err)
	}
	out := page[T]{data: p.Data, before: p.Before, after: p.After}
	if o.order == orderNormal {
		out.before, out.after = out.after, out.before
	}
	return out, nil
}

// queryError answers a refused pagination option as WorkOS does for its
// query parameters (400), not as a body field (422).
func queryError(err error) error {
	var e *rbac.Error
	if errors.As(err, &e) && e.Kind == rbac.KindInvalid && e.Code == rbac.CodeInvalid {
		switch e.Field {
		case "limit", "before", "after", "order", "statuses":
			return invalidQuery(fieldError{Field: e.Field, Code: e.Rule})
		}
	}
	return err
}

// all reads every page of a listing that the API does not paginate (the
// role lists, in priority order).
func all[T any](list func(rbac.ListOptions) (rbac.Page[T], error)) ([]T, error) {
	var out []T
	o := rbac.ListOptions{Limit: rbac.MaxLimit}
	for {
		p, err := list(o)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.After == "" {
			return out, nil
		}
		o.After = p.After
	}
}

// ---- environment ----

func (l *lib) environment(ctx context.Context, env string) (rbac.Environment, error) {
	return l.svc.GetEnvironment(ctx, env)
}

func (l *lib) setDefaultRole(ctx context.Context, env, slug string) (rbac.Environment, error) {
	return l.svc.SetDefaultRole(ctx, env, slug)
}

func (l *lib) setPriorityOrder(ctx context.Context, env string, order []string) (rbac.Environment, error) {
	return l.svc.SetPriorityOrder(ctx, env, order)
}

func (l *lib) setMultipleRoles(ctx context.Context, env string, on bool) (rbac.Environment, error) {
	return l.svc.SetMultipleRoles(ctx, env, on)
}

// ---- permissions ----

func (l *lib) createPermission(ctx context.Context, env string, in rbac.PermissionInput) (rbac.Permission, error) {
	return l.svc.CreatePermission(ctx, env, in)
}

func (l *lib) permission(ctx context.Context, env, slug string) (rbac.Permission, error) {
	return l.svc.GetPermission(ctx, env, slug)
}

func (l *lib) updatePermission(ctx context.Context, env, slug string, name, description *string) (rbac.Permission, error) {
	return l.svc.UpdatePermission(ctx, env, slug, rbac.PermissionUpdate{Name: name, Description: description})
}

func (l *lib) deletePermission(ctx context.Context, env, slug string, o rbac.DeleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeletePermission(ctx, env, slug, o)
}

func (l *lib) listPermissions(ctx context.Context, env string, o listOptions) (page[rbac.Permission], error) {
	p, err := l.svc.ListPermissions(ctx, env, o.library())
	return pageOf(p, o, err)
}

// ---- environment roles ----

func (l *lib) createRole(ctx context.Context, env string, in rbac.RoleInput) (rbac.Role, error) {
	return l.svc.CreateRole(ctx, env, in)
}

func (l *lib) listRoles(ctx context.Context, env string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) { return l.svc.ListRoles(ctx, env, o) })
}

func (l *lib) role(ctx context.Context, env, slug string) (rbac.Role, error) {
	return l.svc.GetRole(ctx, env, slug)
}

func (l *lib) updateRole(ctx context.Context, env, slug string, u rbac.RoleUpdate) (rbac.Role, error) {
	return l.svc.UpdateRole(ctx, env, slug, u)
}

func (l *lib) deleteRole(ctx context.Context, env, slug string, o rbac.DeleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteRole(ctx, env, slug, o)
}

// addRolePermission adds one permission to a role of the environment
// (org "") or of an organization; a permission the role has is a no-op,
// one that does not exist is permission_not_found.
func (l *lib) addRolePermission(ctx context.Context, env, org, slug, perm string) (rbac.Role, error) {
	if org == "" {
		return l.svc.AddRolePermission(ctx, env, slug, perm)
	}
	return l.svc.AddOrganizationRolePermission(ctx, env, org, slug, perm)
}

// removeRolePermission removes one permission from a role of an
// organization; a permission the role does not have is a no-op, one that
// does not exist is permission_not_found.
func (l *lib) removeRolePermission(ctx context.Context, env, org, slug, perm string) (rbac.Role, error) {
	return l.svc.RemoveOrganizationRolePermission(ctx, env, org, slug, perm)
}

// ---- organization roles ----

func (l *lib) createOrganizationRole(ctx context.Context, env, org string, in rbac.RoleInput) (rbac.Role, error) {
	return l.svc.CreateOrganizationRole(ctx, env, org, in)
}

func (l *lib) listOrganizationRoles(ctx context.Context, env, org string) ([]rbac.Role, error) {
	return all(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) {
		return l.svc.ListOrganizationRoles(ctx, env, org, o)
	})
}

func (l *lib) organizationRole(ctx context.Context, env, org, slug string) (rbac.Role, error) {
	return l.svc.GetOrganizationRole(ctx, env, org, slug)
}

func (l *lib) updateOrganizationRole(ctx context.Context, env, org, slug string, u rbac.RoleUpdate) (rbac.Role, error) {
	return l.svc.UpdateOrganizationRole(ctx, env, org, slug, u)
}

func (l *lib) deleteOrganizationRole(ctx context.Context, env, org, slug string, o rbac.DeleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteOrganizationRole(ctx, env, org, slug, o)
}

// ---- organizations ----

func (l *lib) createOrganization(ctx context.Context, env string, in rbac.OrganizationInput) (rbac.Organization, error) {
	return l.svc.CreateOrganization(ctx, env, in)
}

// organization presents an organization.
func organization(o rbac.Organization) organizationObject {
	md := o.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return organizationObject{Object: "organization", ID: o.ID, Name: o.Name, Domains: []struct{}{},
		Metadata: md, ExternalID: nullable(o.ExternalID), CreatedAt: ts(o.CreatedAt), UpdatedAt: ts(o.UpdatedAt)}
}

func (l *lib) organization(ctx context.Context, env, id string) (rbac.Organization, error) {
	return l.svc.GetOrganization(ctx, env, id)
}

func (l *lib) organizationByExternalID(ctx context.Context, env, externalID string) (rbac.Organization, error) {
	return l.svc.GetOrganizationByExternalID(ctx, env, externalID)
}

func (l *lib) updateOrganization(ctx context.Context, env, id string, u rbac.OrganizationUpdate) (rbac.Organization, error) {
	return l.svc.UpdateOrganization(ctx, env, id, u)
}

func (l *lib) deleteOrganization(ctx context.Context, env, id string, o rbac.DeleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteOrganization(ctx, env, id, o)
}

func (l *lib) listOrganizations(ctx context.Context, env string, o listOptions) (page[rbac.Organization], error) {
	p, err := l.svc.ListOrganizations(ctx, env, o.library())
	return pageOf(p, o, err)
}

func (l *lib) organizationSettings(ctx context.Context, env, org string) (rbac.Settings, error) {
	return l.svc.OrganizationSettings(ctx, env, org)
}

func (l *lib) setOrganizationDefaultRole(ctx context.Context, env, org, slug string) (rbac.Settings, error) {
	return l.svc.SetOrganizationDefaultRole(ctx, env, org, slug)
}

func (l *lib) setOrganizationPriorityOrder(ctx context.Context, env, org string, order []string) (rbac.Settings, error) {
	return l.svc.SetOrganizationPriorityOrder(ctx, env, org, order)
}

// ---- memberships ----

func (l *lib) createMembership(ctx context.Context, env string, in rbac.MembershipInput) (rbac.Membership, error) {
	m, err := l.svc.CreateMembership(ctx, env, in)
	if errors.Is(err, rbac.ErrMembershipAlreadyExists) {
		// WorkOS answers a create over a pending membership (an
		// invitation) with cannot_reactivate_pending_organization_membership.
		if cur, ferr := l.svc.FindMembership(ctx, env, in.OrganizationID, in.UserID); ferr == nil && cur.Status == rbac.StatusPending {
			return m, &rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeCannotReactivatePending,
				Message: "The organization membership of user '" + in.UserID + "' is pending and cannot be reactivated: accept the invitation."}
		}
	}
	return m, err
}

func (l *lib) membership(ctx context.Context, env, id string) (rbac.Membership, error) {
	return l.svc.GetMembership(ctx, env, id)
}

func (l *lib) updateMembershipRoles(ctx context.Context, env, id string, roles []string) (rbac.Membership, error) {
	return l.svc.UpdateMembershipRoles(ctx, env, id, roles)
}

func (l *lib) deactivateMembership(ctx context.Context, env, id string) (rbac.Membership, error) {
	return l.svc.DeactivateMembership(ctx, env, id)
}

func (l *lib) reactivateMembership(ctx context.Context, env, id string) (rbac.Membership, error) {
	return l.svc.ReactivateMembership(ctx, env, id)
}

func (l *lib) acceptMembership(ctx context.Context, env, id string) (rbac.Membership, error) {
	return l.svc.AcceptMembership(ctx, env, id)
}

func (l *lib) deleteMembership(ctx context.Context, env, id string) error {
	return l.svc.DeleteMembership(ctx, env, id)
}

func (l *lib) listMemberships(ctx context.Context, env string, f rbac.MembershipFilter, o listOptions) (page[rbac.Membership], error) {
	p, err := l.svc.ListMemberships(ctx, env, f, o.library())
	return pageOf(p, o, err)
}

// ---- group mappings ----

func (l *lib) createGroupMapping(ctx context.Context, env, org string, in rbac.GroupMappingInput) (rbac.GroupMapping, error) {
	return l.svc.CreateGroupMapping(ctx, env, org, in)
}

func (l *lib) listGroupMappings(ctx context.Context, env, org string, o listOptions) (page[rbac.GroupMapping], error) {
	p, err := l.svc.ListGroupMappings(ctx, env, org, o.library())
	return pageOf(p, o, err)
}

func (l *lib) deleteGroupMapping(ctx context.Context, env, org string, source rbac.GroupSource, group string) error {
	return l.svc.DeleteGroupMapping(ctx, env, org, source, group)
}

func (l *lib) syncGroups(ctx context.Context, env string, in rbac.SyncInput) (rbac.SyncResult, error) {
	return l.svc.SyncGroups(ctx, env, in)
}

// ---- checks ----

// can answers a check from the store, when the handler has no Checker for
// the environment.
func (l *lib) can(ctx context.Context, env, org, user, perm string) (bool, error) {
	return l.svc.Can(ctx, env, org, user, perm)
}
