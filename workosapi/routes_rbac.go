package workosapi

import (
	"github.com/orgroles/rbac"
)

// rbac's own routes, under /rbac: what WorkOS keeps in its Dashboard.

func getEnvironment(c *call) (int, any, error) {
	return envResult(c.h.lib.environment(c.r.Context(), c.env))
}

func envResult(e rbac.Environment, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return ok, environment(e), nil
}

type roleSlugRequest struct {
	RoleSlug optString `json:"role_slug"`
}

func (in roleSlugRequest) slug() (string, error) {
	var cs checks
	cs.need("role_slug", in.RoleSlug.Set && !in.RoleSlug.Null && in.RoleSlug.V != "")
	return in.RoleSlug.V, cs.err()
}

func setDefaultRole(c *call) (int, any, error) {
	var req roleSlugRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	slug, err := req.slug()
	if err != nil {
		return 0, nil, err
	}
	return envResult(c.h.lib.setDefaultRole(c.r.Context(), c.env, slug))
}

type priorityOrderRequest struct {
	PriorityOrder *[]string `json:"priority_order"`
}

func (in priorityOrderRequest) order() ([]string, error) {
	var cs checks
	cs.need("priority_order", in.PriorityOrder != nil)
	if in.PriorityOrder == nil {
		return nil, cs.err()
	}
	return *in.PriorityOrder, nil
}

func setPriorityOrder(c *call) (int, any, error) {
	var req priorityOrderRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	order, err := req.order()
	if err != nil {
		return 0, nil, err
	}
	return envResult(c.h.lib.setPriorityOrder(c.r.Context(), c.env, order))
}

type multipleRolesRequest struct {
	Enabled *bool `json:"enabled"`
}

func setMultipleRoles(c *call) (int, any, error) {
	var req multipleRolesRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("enabled", req.Enabled != nil)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	return envResult(c.h.lib.setMultipleRoles(c.r.Context(), c.env, *req.Enabled))
}

// deleteQuery reads the options of a deletion from the query: dry_run and,
// where the route takes it, its role option. Any other parameter is
// refused, so that a misspelt dry_run never deletes.
func (c *call) deleteQuery(roleOption string) (rbac.DeleteOptions, error) {
	q, err := c.query()
	if err != nil {
		return rbac.DeleteOptions{}, err
	}
	names := []string{"dry_run"}
	if roleOption != "" {
		names = append(names, roleOption)
	}
	if err := q.only(names...); err != nil {
		return rbac.DeleteOptions{}, err
	}
	var o rbac.DeleteOptions
	if o.DryRun, err = q.boolean("dry_run"); err != nil {
		return o, err
	}
	var role string
	if roleOption != "" {
		if role, err = q.one(roleOption); err != nil {
			return o, err
		}
	}
	switch roleOption {
	case "replacement_default":
		o.ReplacementDefault = role
	case "reassign_to":
		o.ReassignTo = role
	}
	return o, nil
}

func planResult(p rbac.DeletionPlan, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return ok, plan(p), nil
}

// deleteRole deletes an environment role, naming with replacement_default
// the role that becomes the default wherever it was one (required then).
func deleteRole(c *call) (int, any, error) {
	o, err := c.deleteQuery("replacement_default")
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.deleteRole(c.r.Context(), c.env, c.path("slug"), o)
	return planResult(p, err)
}

// deleteOrganizationRolePlan deletes an organization role; with
// reassign_to its members, group mappings and default move to that role.
func deleteOrganizationRolePlan(c *call) (int, any, error) {
	o, err := c.deleteQuery("reassign_to")
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.deleteOrganizationRole(c.r.Context(), c.env, c.path("org"), c.path("slug"), o)
	return planResult(p, err)
}

func deletePermissionPlan(c *call) (int, any, error) {
	o, err := c.deleteQuery("")
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.deletePermission(c.r.Context(), c.env, c.path("slug"), o)
	return planResult(p, err)
}

func deleteOrganizationPlan(c *call) (int, any, error) {
	o, err := c.deleteQuery("")
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.deleteOrganization(c.r.Context(), c.env, c.path("org"), o)
	return planResult(p, err)
}

func settingsResult(org string, s rbac.Settings, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return ok, settings(org, s), nil
}

func getOrganizationSettings(c *call) (int, any, error) {
	org := c.path("org")
	s, err := c.h.lib.organizationSettings(c.r.Context(), c.env, org)
	return settingsResult(org, s, err)
}

func setOrganizationDefaultRole(c *call) (int, any, error) {
	var req roleSlugRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	slug, err := req.slug()
	if err != nil {
		return 0, nil, err
	}
	org := c.path("org")
	s, err := c.h.lib.setOrganizationDefaultRole(c.r.Context(), c.env, org, slug)
	return settingsResult(org, s, err)
}

func setOrganizationPriorityOrder(c *call) (int, any, error) {
	var req priorityOrderRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	order, err := req.order()
	if err != nil {
		return 0, nil, err
	}
	org := c.path("org")
	s, err := c.h.lib.setOrganizationPriorityOrder(c.r.Context(), c.env, org, order)
	return settingsResult(org, s, err)
}

// ---- group mappings and sync ----

func listGroupMappings(c *call) (int, any, error) {
	q, err := c.query()
	if err != nil {
		return 0, nil, err
	}
	o, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	p, err := c.h.lib.listGroupMappings(c.r.Context(), c.env, c.path("org"), o)
	if err != nil {
		return 0, nil, err
	}
	return ok, list(p, groupMapping), nil
}

type groupMappingRequest struct {
	Source   optString `json:"source"`
	GroupID  optString `json:"group_id"`
	RoleSlug optString `json:"role_slug"`
}

func createGroupMapping(c *call) (int, any, error) {
	var req groupMappingRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("source", req.Source.Set && !req.Source.Null && req.Source.V != "")
	cs.need("group_id", req.GroupID.Set && !req.GroupID.Null && req.GroupID.V != "")
	cs.need("role_slug", req.RoleSlug.Set && !req.RoleSlug.Null && req.RoleSlug.V != "")
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	m, err := c.h.lib.createGroupMapping(c.r.Context(), c.env, c.path("org"),
		rbac.GroupMappingInput{Source: rbac.GroupSource(req.Source.V), GroupID: req.GroupID.V, Role: req.RoleSlug.V})
	if err != nil {
		return 0, nil, err
	}
	return created, groupMapping(m), nil
}

func deleteGroupMapping(c *call) (int, any, error) {
	source := rbac.GroupSource(c.path("source"))
	if source != rbac.GroupSourceDirectory && source != rbac.GroupSourceSSO {
		return 0, nil, &apiError{status: 404, body: errorBody{Code: rbac.CodeGroupMappingNotFound,
			Message: "Group sources are \"directory\" and \"sso\"."}}
	}
	if err := c.h.lib.deleteGroupMapping(c.r.Context(), c.env, c.path("org"), source, c.path("group")); err != nil {
		return 0, nil, err
	}
	return noContent, nil, nil
}

type syncRequest struct {
	UserID optString `json:"user_id"`
	Source optString `json:"source"`
	Groups *[]string `json:"groups"`
}

// syncGroups applies the groups a directory sync or an SSO login reports
// for a user in the organization.
func syncGroups(c *call) (int, any, error) {
	var req syncRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("user_id", req.UserID.Set && !req.UserID.Null && req.UserID.V != "")
	cs.need("source", req.Source.Set && !req.Source.Null && req.Source.V != "")
	cs.need("groups", req.Groups != nil)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	ctx := c.r.Context()
	res, err := c.h.lib.syncGroups(ctx, c.env, rbac.SyncInput{OrganizationID: c.path("org"), UserID: req.UserID.V,
		Source: rbac.GroupSource(req.Source.V), Groups: *req.Groups})
	if err != nil {
		return 0, nil, err
	}
	m, err := c.membership(ctx, res.Membership)
	if err != nil {
		return 0, nil, err
	}
	return ok, syncObject{Object: "group_sync_result", Membership: m, RoleSource: string(res.Membership.RoleSource),
		Applied: res.Applied, Created: res.Created}, nil
}

// ---- invitations ----

type membershipStatusRequest struct {
	membershipRequest
	Status optString `json:"status"`
}

// createMembershipWithStatus creates a membership as WorkOS's create does,
// with a status: "active" (the default) or "pending" (an invitation, which
// acceptMembership makes active).
func createMembershipWithStatus(c *call) (int, any, error) {
	var req membershipStatusRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	in := req.input(&cs)
	cs.notNull("status", req.Status)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	in.Status = rbac.MembershipStatus(req.Status.V)
	return c.createMembership(in)
}

func acceptMembership(c *call) (int, any, error) {
	return c.membershipResult(c.h.lib.acceptMembership(c.r.Context(), c.env, c.path("id")))
}
