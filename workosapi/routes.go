package workosapi

import (
	"net/http"
)

// routes registers every route. The table is the API: WorkOS's paths
// first, then rbac's own under /rbac.
func (h *Handler) routes() {
	// Environment roles.
	h.handle("POST", "/authorization/roles", createRole, nil)
	h.handle("GET", "/authorization/roles", listRoles, nil)
	h.handle("GET", "/authorization/roles/{slug}", getRole, nil)
	h.handle("PATCH", "/authorization/roles/{slug}", updateRole, nil)
	h.handle("PUT", "/authorization/roles/{slug}/permissions", setRolePermissions, nil)
	h.handle("POST", "/authorization/roles/{slug}/permissions", addRolePermission, nil)

	// Organization roles.
	h.handle("POST", "/authorization/organizations/{org}/roles", createOrganizationRole, nil)
	h.handle("GET", "/authorization/organizations/{org}/roles", listOrganizationRoles, nil)
	h.handle("GET", "/authorization/organizations/{org}/roles/{slug}", getOrganizationRole, nil)
	h.handle("PATCH", "/authorization/organizations/{org}/roles/{slug}", updateOrganizationRole, nil)
	h.handle("DELETE", "/authorization/organizations/{org}/roles/{slug}", deleteOrganizationRole, nil)
	h.handle("PUT", "/authorization/organizations/{org}/roles/{slug}/permissions", setOrganizationRolePermissions, nil)
	h.handle("POST", "/authorization/organizations/{org}/roles/{slug}/permissions", addOrganizationRolePermission, nil)
	h.handle("DELETE", "/authorization/organizations/{org}/roles/{slug}/permissions/{permission}", removeOrganizationRolePermission, nil)

	// Permissions.
	h.handle("POST", "/authorization/permissions", createPermission, nil)
	h.handle("GET", "/authorization/permissions", listPermissions, nil)
	h.handle("GET", "/authorization/permissions/{slug}", getPermission, nil)
	h.handle("PATCH", "/authorization/permissions/{slug}", updatePermission, nil)
	h.handle("DELETE", "/authorization/permissions/{slug}", deletePermission, nil)

	// Checks.
	h.handle("POST", "/authorization/organization_memberships/{id}/check", check, nil)

	// Organizations.
	h.handle("POST", "/organizations", createOrganization, nil)
	h.handle("GET", "/organizations", listOrganizations, nil)
	h.handle("GET", "/organizations/{id}", getOrganization, nil)
	h.handle("PUT", "/organizations/{id}", updateOrganization, nil)
	h.handle("DELETE", "/organizations/{id}", deleteOrganization, nil)
	h.handle("GET", "/organizations/external_id/{external_id}", getOrganizationByExternalID, nil)

	// Organization memberships.
	roleSlugs := fieldNames{"roles": "role_slugs", "role": "role_slug"}
	h.handle("POST", "/user_management/organization_memberships", createMembership, roleSlugs)
	h.handle("GET", "/user_management/organization_memberships", listMemberships, nil)
	h.handle("GET", "/user_management/organization_memberships/{id}", getMembership, nil)
	h.handle("PUT", "/user_management/organization_memberships/{id}", updateMembership, roleSlugs)
	h.handle("DELETE", "/user_management/organization_memberships/{id}", deleteMembership, nil)
	h.handle("PUT", "/user_management/organization_memberships/{id}/deactivate", deactivateMembership, nil)
	h.handle("PUT", "/user_management/organization_memberships/{id}/reactivate", reactivateMembership, nil)

	// rbac's own: what WorkOS keeps in its Dashboard.
	h.handle("GET", "/rbac/environment", getEnvironment, nil)
	h.handle("PUT", "/rbac/environment/default_role", setDefaultRole, fieldNames{"role": "role_slug"})
	h.handle("PUT", "/rbac/environment/priority_order", setPriorityOrder, nil)
	h.handle("PUT", "/rbac/environment/multiple_roles", setMultipleRoles, nil)
	h.handle("DELETE", "/rbac/roles/{slug}", deleteRole, fieldNames{"replacement": "replacement_default"})
	h.handle("DELETE", "/rbac/permissions/{slug}", deletePermissionPlan, nil)
	h.handle("DELETE", "/rbac/organizations/{org}", deleteOrganizationPlan, nil)
	h.handle("GET", "/rbac/organizations/{org}/settings", getOrganizationSettings, nil)
	h.handle("PUT", "/rbac/organizations/{org}/default_role", setOrganizationDefaultRole, fieldNames{"role": "role_slug"})
	h.handle("PUT", "/rbac/organizations/{org}/priority_order", setOrganizationPriorityOrder, nil)
	h.handle("DELETE", "/rbac/organizations/{org}/roles/{slug}", deleteOrganizationRolePlan, fieldNames{"replacement": "reassign_to"})
	h.handle("GET", "/rbac/organizations/{org}/group_role_mappings", listGroupMappings, nil)
	h.handle("POST", "/rbac/organizations/{org}/group_role_mappings", createGroupMapping, fieldNames{"role": "role_slug"})
	h.handle("DELETE", "/rbac/organizations/{org}/group_role_mappings/{source}/{group}", deleteGroupMapping, nil)
	h.handle("POST", "/rbac/organizations/{org}/group_sync", syncGroups, nil)
	h.handle("POST", "/rbac/organization_memberships", createMembershipWithStatus, roleSlugs)
	h.handle("PUT", "/rbac/organization_memberships/{id}/accept", acceptMembership, nil)
}

// Statuses of successful answers.
const (
	ok        = http.StatusOK
	created   = http.StatusCreated
	noContent = http.StatusNoContent
)

// ---- validation ----

// checks collects the fields of a request that break a rule.
type checks []fieldError

// need records name as required when it is missing.
func (cs *checks) need(name string, present bool) {
	if !present {
		*cs = append(*cs, fieldError{Field: name, Code: "required"})
	}
}

// add records a field that breaks a rule.
func (cs *checks) add(name, rule string) {
	*cs = append(*cs, fieldError{Field: name, Code: rule})
}

// err returns the 422 answer for the fields collected, or nil.
func (cs checks) err() error {
	if len(cs) == 0 {
		return nil
	}
	return invalidBody(cs...)
}

// resourceTypeSlug checks an optional resource_type_slug: rbac's only
// resource type is the organization.
func (cs *checks) resourceTypeSlug(o optString) {
	if o.Set && !o.Null && o.V != resourceType {
		cs.add("resource_type_slug", `"organization", the only resource type`)
	}
}

// notNull records a field that may be absent but not null.
func (cs *checks) notNull(name string, o optString) {
	if o.Set && o.Null {
		cs.add(name, "must be a string")
	}
}
