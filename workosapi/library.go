package workosapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/orgroles/rbac"
)

// lib is the handler's one way to the library: every Service call the
// routes make goes through a method here, so that a change of the
// library's API is a change of this file.
//
// Some methods stand in for library operations the handler needs and the
// library does not have yet. Each says so in its first line ("Until the
// library has …") and what it does instead.
type lib struct {
	svc *rbac.Service

	// permMu serializes the read-modify-write of the add/remove permission
	// stand-ins in this process.
	permMu sync.Mutex
}

// deleteOptions qualify a deletion as the HTTP routes name them.
type deleteOptions struct {
	ReplacementDefault string // deleting an environment role
	ReassignTo         string // deleting an organization role
	DryRun             bool
}

// plan presents a deletion plan.
func plan(p rbac.DeletionPlan, o deleteOptions) planObject {
	out := planObject{Object: "deletion_plan", DryRun: p.DryRun, RoleSlug: p.Role, OrganizationID: p.OrganizationID,
		PermissionSlug: p.Permission, EnvironmentDefaultReplaced: p.EnvironmentDefaultReplaced,
		DefaultsReplaced: nonNil(p.DefaultsReplaced), Memberships: nonNil(p.Memberships),
		GroupRoleMappings: []groupMappingObject{}, Roles: []roleRef{}}
	if p.Replacement != "" {
		if o.ReassignTo != "" {
			out.ReassignedTo = p.Replacement
		} else {
			out.ReplacementDefault = p.Replacement
		}
	}
	for _, m := range p.GroupMappings {
		out.GroupRoleMappings = append(out.GroupRoleMappings, groupMapping(m))
	}
	for _, r := range p.Roles {
		out.Roles = append(out.Roles, roleRef{OrganizationID: r.OrganizationID, Slug: r.Slug})
	}
	return out
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
	return l.svc.UpdatePermission(ctx, env, slug, rbac.Update{Name: name, Description: description})
}

func (l *lib) deletePermission(ctx context.Context, env, slug string, o deleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeletePermission(ctx, env, slug, rbac.DeleteOptions{DryRun: o.DryRun})
}

// listPermissions pages through the permissions by id. Until the library
// pages itself, it reads them all and cuts the page here.
func (l *lib) listPermissions(ctx context.Context, env string, o listOptions) (page[rbac.Permission], error) {
	all, err := l.svc.ListPermissions(ctx, env)
	if err != nil {
		return page[rbac.Permission]{}, err
	}
	id := func(p rbac.Permission) string { return p.ID }
	slices.SortFunc(all, func(a, b rbac.Permission) int { return strings.Compare(a.ID, b.ID) })
	return paginate(all, id, o), nil
}

// ---- environment roles ----

func (l *lib) createRole(ctx context.Context, env string, in rbac.RoleInput) (rbac.Role, error) {
	return l.svc.CreateRole(ctx, env, in)
}

func (l *lib) listRoles(ctx context.Context, env string) ([]rbac.Role, error) {
	return l.svc.ListRoles(ctx, env)
}

func (l *lib) role(ctx context.Context, env, slug string) (rbac.Role, error) {
	return l.svc.GetRole(ctx, env, slug)
}

func (l *lib) updateRole(ctx context.Context, env, slug string, u rbac.RoleUpdate) (rbac.Role, error) {
	return l.svc.UpdateRole(ctx, env, slug, u)
}

func (l *lib) deleteRole(ctx context.Context, env, slug string, o deleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteRole(ctx, env, slug, rbac.DeleteOptions{Replacement: o.ReplacementDefault, DryRun: o.DryRun})
}

// addRolePermission adds one permission to a role of the environment
// (org "") or of an organization; a permission the role has is a no-op.
// Until the library has AddRolePermission and
// AddOrganizationRolePermission, it reads the role and writes its whole
// permission set back, serialized with the other stand-ins of this
// process; a concurrent change of the role's permissions from another
// process between the read and the write can be lost.
func (l *lib) addRolePermission(ctx context.Context, env, org, slug, perm string) (rbac.Role, error) {
	return l.editPermissions(ctx, env, org, slug, perm, true)
}

// removeRolePermission removes one permission from a role; a permission
// the role does not have is a no-op, one that does not exist is
// permission_not_found. Until the library has RemoveRolePermission and
// RemoveOrganizationRolePermission, it works as addRolePermission does.
func (l *lib) removeRolePermission(ctx context.Context, env, org, slug, perm string) (rbac.Role, error) {
	return l.editPermissions(ctx, env, org, slug, perm, false)
}

func (l *lib) editPermissions(ctx context.Context, env, org, slug, perm string, add bool) (rbac.Role, error) {
	l.permMu.Lock()
	defer l.permMu.Unlock()
	var r rbac.Role
	var err error
	if org == "" {
		r, err = l.svc.GetRole(ctx, env, slug)
	} else {
		r, err = l.ownOrganizationRole(ctx, env, org, slug)
	}
	if err != nil {
		return rbac.Role{}, err
	}
	if _, err := l.svc.GetPermission(ctx, env, perm); err != nil {
		return rbac.Role{}, err
	}
	has := slices.Contains(r.Permissions, perm)
	if has == add {
		return r, nil
	}
	perms := slices.DeleteFunc(slices.Clone(r.Permissions), func(p string) bool { return p == perm })
	if add {
		perms = append(perms, perm)
	}
	u := rbac.RoleUpdate{Permissions: &perms}
	if org == "" {
		return l.svc.UpdateRole(ctx, env, slug, u)
	}
	return l.svc.UpdateOrganizationRole(ctx, env, org, slug, u)
}

// ownOrganizationRole returns an organization role of org, refusing an
// environment role as the library's updates do.
func (l *lib) ownOrganizationRole(ctx context.Context, env, org, slug string) (rbac.Role, error) {
	r, err := l.svc.GetOrganizationRole(ctx, env, org, slug)
	if err == nil && r.OrganizationID != org {
		return rbac.Role{}, &rbac.Error{Kind: rbac.KindNotFound, Code: rbac.CodeRoleNotFound,
			Message: "organization role \"" + slug + "\" of \"" + org + "\" not found"}
	}
	return r, err
}

// ---- organization roles ----

func (l *lib) createOrganizationRole(ctx context.Context, env, org string, in rbac.RoleInput) (rbac.Role, error) {
	return l.svc.CreateOrganizationRole(ctx, env, org, in)
}

func (l *lib) listOrganizationRoles(ctx context.Context, env, org string) ([]rbac.Role, error) {
	return l.svc.ListOrganizationRoles(ctx, env, org)
}

func (l *lib) organizationRole(ctx context.Context, env, org, slug string) (rbac.Role, error) {
	return l.svc.GetOrganizationRole(ctx, env, org, slug)
}

func (l *lib) updateOrganizationRole(ctx context.Context, env, org, slug string, u rbac.RoleUpdate) (rbac.Role, error) {
	return l.svc.UpdateOrganizationRole(ctx, env, org, slug, u)
}

func (l *lib) deleteOrganizationRole(ctx context.Context, env, org, slug string, o deleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteOrganizationRole(ctx, env, org, slug, rbac.DeleteOptions{Replacement: o.ReassignTo, DryRun: o.DryRun})
}

// ---- organizations ----

// organizationInput is an organization to create, as the routes read it.
type organizationInput struct {
	ID         string
	Name       string
	ExternalID string
	Metadata   map[string]string
}

// createOrganization creates an organization. Until the library's
// organizations have an external id and metadata, an input with either is
// refused with 501 and nothing is written.
func (l *lib) createOrganization(ctx context.Context, env string, in organizationInput) (rbac.Organization, error) {
	if in.ExternalID != "" {
		return rbac.Organization{}, notImplemented("An organization's external_id")
	}
	if len(in.Metadata) > 0 {
		return rbac.Organization{}, notImplemented("An organization's metadata")
	}
	return l.svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: in.ID, Name: in.Name})
}

// organization presents an organization. Until the library's
// organizations have an external id and metadata, they are null and {}.
func organization(o rbac.Organization) organizationObject {
	return organizationObject{Object: "organization", ID: o.ID, Name: o.Name, Domains: []struct{}{},
		Metadata: map[string]string{}, ExternalID: nil, CreatedAt: ts(o.CreatedAt), UpdatedAt: ts(o.UpdatedAt)}
}

func (l *lib) organization(ctx context.Context, env, id string) (rbac.Organization, error) {
	return l.svc.GetOrganization(ctx, env, id)
}

// organizationByExternalID is answered with 501 until the library has
// GetOrganizationByExternalID.
func (l *lib) organizationByExternalID(ctx context.Context, env, externalID string) (rbac.Organization, error) {
	return rbac.Organization{}, notImplemented("Getting an organization by external_id")
}

// organizationUpdate is a partial update of an organization, as the routes
// read it.
type organizationUpdate struct {
	Name       *string
	ExternalID *string
	Metadata   *map[string]string
}

// updateOrganization is answered with 501 until the library has
// UpdateOrganization.
func (l *lib) updateOrganization(ctx context.Context, env, id string, u organizationUpdate) (rbac.Organization, error) {
	return rbac.Organization{}, notImplemented("Updating an organization")
}

func (l *lib) deleteOrganization(ctx context.Context, env, id string, o deleteOptions) (rbac.DeletionPlan, error) {
	return l.svc.DeleteOrganization(ctx, env, id, rbac.DeleteOptions{DryRun: o.DryRun})
}

// listOrganizations pages through the organizations by id. Until the
// library pages itself, it reads them all and cuts the page here.
func (l *lib) listOrganizations(ctx context.Context, env string, o listOptions) (page[rbac.Organization], error) {
	all, err := l.svc.ListOrganizations(ctx, env, "", 0)
	if err != nil {
		return page[rbac.Organization]{}, err
	}
	return paginate(all, func(o rbac.Organization) string { return o.ID }, o), nil
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

// membershipFilter selects memberships to list, as the routes read it.
type membershipFilter struct {
	OrganizationID string
	UserID         string
	Statuses       []rbac.MembershipStatus
}

// listMemberships pages through the memberships matching f by id. Until
// the library pages itself, it reads every matching membership and cuts
// the page here.
func (l *lib) listMemberships(ctx context.Context, env string, f membershipFilter, o listOptions) (page[rbac.Membership], error) {
	all, err := l.svc.ListMemberships(ctx, env, rbac.MembershipFilter{OrganizationID: f.OrganizationID, UserID: f.UserID, Statuses: f.Statuses})
	if err != nil {
		return page[rbac.Membership]{}, err
	}
	return paginate(all, func(m rbac.Membership) string { return m.ID }, o), nil
}

// ---- group mappings ----

func (l *lib) createGroupMapping(ctx context.Context, env, org string, in rbac.GroupMappingInput) (rbac.GroupMapping, error) {
	return l.svc.CreateGroupMapping(ctx, env, org, in)
}

// listGroupMappings pages through an organization's group mappings by id.
// Until the library pages itself, it reads them all and cuts the page
// here.
func (l *lib) listGroupMappings(ctx context.Context, env, org string, o listOptions) (page[rbac.GroupMapping], error) {
	all, err := l.svc.ListGroupMappings(ctx, env, org)
	if err != nil {
		return page[rbac.GroupMapping]{}, err
	}
	slices.SortFunc(all, func(a, b rbac.GroupMapping) int { return strings.Compare(a.ID, b.ID) })
	return paginate(all, func(m rbac.GroupMapping) string { return m.ID }, o), nil
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
