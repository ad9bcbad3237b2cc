package workosapi

import (
	"github.com/orgroles/rbac"
)

// ---- environment roles ----

type createRoleRequest struct {
	Slug             optString `json:"slug"`
	Name             optString `json:"name"`
	Description      optString `json:"description"`
	ResourceTypeSlug optString `json:"resource_type_slug"`
}

// input checks a role to create; the slug is required for environment
// roles and optional for organization roles.
func (in createRoleRequest) input(slugRequired bool) (rbac.RoleInput, error) {
	var cs checks
	if slugRequired {
		cs.need("slug", in.Slug.Set && !in.Slug.Null)
	}
	cs.need("name", in.Name.Set && !in.Name.Null)
	cs.resourceTypeSlug(in.ResourceTypeSlug)
	return rbac.RoleInput{Slug: in.Slug.V, Name: in.Name.V, Description: in.Description.V}, cs.err()
}

func createRole(c *call) (int, any, error) {
	var req createRoleRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	in, err := req.input(true)
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.createRole(c.r.Context(), c.env, in)
	if err != nil {
		return 0, nil, err
	}
	return created, role(r), nil
}

func listRoles(c *call) (int, any, error) {
	rs, err := c.h.lib.listRoles(c.r.Context(), c.env)
	if err != nil {
		return 0, nil, err
	}
	return ok, roleList{Object: "list", Data: roles(rs)}, nil
}

func getRole(c *call) (int, any, error) {
	r, err := c.h.lib.role(c.r.Context(), c.env, c.path("slug"))
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

type updateRoleRequest struct {
	Name        optString `json:"name"`
	Description optString `json:"description"`
}

func (in updateRoleRequest) update() (rbac.RoleUpdate, error) {
	var cs checks
	cs.notNull("name", in.Name)
	return rbac.RoleUpdate{Name: in.Name.ptr(), Description: in.Description.ptr()}, cs.err()
}

func updateRole(c *call) (int, any, error) {
	var req updateRoleRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	u, err := req.update()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.updateRole(c.r.Context(), c.env, c.path("slug"), u)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

type setPermissionsRequest struct {
	Permissions *[]string `json:"permissions"`
}

func (in setPermissionsRequest) update() (rbac.RoleUpdate, error) {
	var cs checks
	cs.need("permissions", in.Permissions != nil)
	return rbac.RoleUpdate{Permissions: in.Permissions}, cs.err()
}

func setRolePermissions(c *call) (int, any, error) {
	var req setPermissionsRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	u, err := req.update()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.updateRole(c.r.Context(), c.env, c.path("slug"), u)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

type addPermissionRequest struct {
	Slug optString `json:"slug"`
}

func (in addPermissionRequest) slug() (string, error) {
	var cs checks
	cs.need("slug", in.Slug.Set && !in.Slug.Null && in.Slug.V != "")
	return in.Slug.V, cs.err()
}

func addRolePermission(c *call) (int, any, error) {
	var req addPermissionRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	perm, err := req.slug()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.addRolePermission(c.r.Context(), c.env, "", c.path("slug"), perm)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

// ---- organization roles ----

func createOrganizationRole(c *call) (int, any, error) {
	var req createRoleRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	in, err := req.input(false)
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.createOrganizationRole(c.r.Context(), c.env, c.path("org"), in)
	if err != nil {
		return 0, nil, err
	}
	return created, role(r), nil
}

func listOrganizationRoles(c *call) (int, any, error) {
	rs, err := c.h.lib.listOrganizationRoles(c.r.Context(), c.env, c.path("org"))
	if err != nil {
		return 0, nil, err
	}
	return ok, roleList{Object: "list", Data: roles(rs)}, nil
}

func getOrganizationRole(c *call) (int, any, error) {
	r, err := c.h.lib.organizationRole(c.r.Context(), c.env, c.path("org"), c.path("slug"))
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

func updateOrganizationRole(c *call) (int, any, error) {
	var req updateRoleRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	u, err := req.update()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.updateOrganizationRole(c.r.Context(), c.env, c.path("org"), c.path("slug"), u)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

// deleteOrganizationRole is WorkOS's delete: refused while members hold
// the role (role_has_assignments), group mappings target it
// (role_has_group_role_mappings) or it is the organization's default
// (role_is_default). rbac's own route deletes with a reassignment target.
func deleteOrganizationRole(c *call) (int, any, error) {
	_, err := c.h.lib.deleteOrganizationRole(c.r.Context(), c.env, c.path("org"), c.path("slug"), rbac.DeleteOptions{})
	if err != nil {
		return 0, nil, err
	}
	return noContent, nil, nil
}

func setOrganizationRolePermissions(c *call) (int, any, error) {
	var req setPermissionsRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	u, err := req.update()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.updateOrganizationRole(c.r.Context(), c.env, c.path("org"), c.path("slug"), u)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

func addOrganizationRolePermission(c *call) (int, any, error) {
	var req addPermissionRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	perm, err := req.slug()
	if err != nil {
		return 0, nil, err
	}
	r, err := c.h.lib.addRolePermission(c.r.Context(), c.env, c.path("org"), c.path("slug"), perm)
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

func removeOrganizationRolePermission(c *call) (int, any, error) {
	r, err := c.h.lib.removeRolePermission(c.r.Context(), c.env, c.path("org"), c.path("slug"), c.path("permission"))
	if err != nil {
		return 0, nil, err
	}
	return ok, role(r), nil
}

// ---- permissions ----

type createPermissionRequest struct {
	Slug             optString `json:"slug"`
	Name             optString `json:"name"`
	Description      optString `json:"description"`
	ResourceTypeSlug optString `json:"resource_type_slug"`
}

func createPermission(c *call) (int, any, error) {
	var req createPermissionRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("slug", req.Slug.Set && !req.Slug.Null)
	cs.need("name", req.Name.Set && !req.Name.Null)
	cs.resourceTypeSlug(req.ResourceTypeSlug)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.createPermission(c.r.Context(), c.env, rbac.PermissionInput{Slug: req.Slug.V, Name: req.Name.V, Description: req.Description.V})
	if err != nil {
		return 0, nil, err
	}
	return created, permission(p), nil
}

func listPermissions(c *call) (int, any, error) {
	q, err := c.query()
	if err != nil {
		return 0, nil, err
	}
	o, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.listPermissions(c.r.Context(), c.env, o)
	if err != nil {
		return 0, nil, err
	}
	return ok, list(p, permission), nil
}

func getPermission(c *call) (int, any, error) {
	p, err := c.h.lib.permission(c.r.Context(), c.env, c.path("slug"))
	if err != nil {
		return 0, nil, err
	}
	return ok, permission(p), nil
}

func updatePermission(c *call) (int, any, error) {
	var req updateRoleRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.notNull("name", req.Name)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.updatePermission(c.r.Context(), c.env, c.path("slug"), req.Name.ptr(), req.Description.ptr())
	if err != nil {
		return 0, nil, err
	}
	return ok, permission(p), nil
}

func deletePermission(c *call) (int, any, error) {
	if _, err := c.h.lib.deletePermission(c.r.Context(), c.env, c.path("slug"), rbac.DeleteOptions{}); err != nil {
		return 0, nil, err
	}
	return noContent, nil, nil
}

// ---- checks ----

type checkRequest struct {
	PermissionSlug     optString `json:"permission_slug"`
	ResourceID         optString `json:"resource_id"`
	ResourceExternalID optString `json:"resource_external_id"`
	ResourceTypeSlug   optString `json:"resource_type_slug"`
}

// check answers whether a membership has a permission. The resource, when
// given, must be the membership's organization — rbac's roles apply to
// organizations only: resource_id naming the organization's id, or
// resource_type_slug "organization" with resource_external_id naming its
// id or its external id. Any other resource is resource_not_found (404).
func check(c *call) (int, any, error) {
	var req checkRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("permission_slug", req.PermissionSlug.Set && !req.PermissionSlug.Null && req.PermissionSlug.V != "")
	byExternal := req.ResourceExternalID.Set || req.ResourceTypeSlug.Set
	if byExternal {
		cs.need("resource_external_id", req.ResourceExternalID.Set && req.ResourceExternalID.V != "")
		cs.need("resource_type_slug", req.ResourceTypeSlug.Set && req.ResourceTypeSlug.V != "")
		if req.ResourceID.Set {
			cs.add("resource_id", "not with resource_external_id")
		}
	}
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	ctx := c.r.Context()
	m, err := c.h.lib.membership(ctx, c.env, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	ours := true
	switch {
	case req.ResourceID.Set:
		ours = req.ResourceID.V == m.OrganizationID
	case byExternal && req.ResourceTypeSlug.V != resourceType:
		ours = false
	case byExternal && req.ResourceExternalID.V != m.OrganizationID:
		org, err := c.h.lib.organization(ctx, c.env, m.OrganizationID)
		if err != nil {
			return 0, nil, err
		}
		ours = org.ExternalID != "" && req.ResourceExternalID.V == org.ExternalID
	}
	if !ours {
		return 0, nil, &apiError{status: 404, body: errorBody{Code: codeResourceNotFound,
			Message: "The resource is not the membership's organization; rbac's roles apply to organizations only."}}
	}
	perm := req.PermissionSlug.V
	if c.h.checker != nil {
		if ch := c.h.checker(c.env); ch != nil {
			return ok, checkObject{Authorized: ch.Can(m.OrganizationID, m.UserID, perm)}, nil
		}
	}
	yes, err := c.h.lib.can(ctx, c.env, m.OrganizationID, m.UserID, perm)
	if err != nil {
		return 0, nil, err
	}
	return ok, checkObject{Authorized: yes}, nil
}
