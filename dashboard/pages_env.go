package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/orgroles/rbac"
)

// ---- permissions ----

type permissionForm struct{ Slug, Name, Description string }

type permissionsData struct {
	Permissions []rbac.Permission
	Form        permissionForm
	Error       *formError
}

func (c *ctx) permissionsPage() { c.showPermissions(http.StatusOK, permissionForm{}, nil) }

func (c *ctx) showPermissions(status int, form permissionForm, fe *formError) {
	perms, err := c.h.lib.permissions(c.r.Context(), c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "permissions", "Permissions", permissionsData{Permissions: perms, Form: form, Error: fe})
}

func (c *ctx) createPermission() {
	form := permissionForm{Slug: c.f("slug"), Name: c.f("name"), Description: c.f("description")}
	p, err := c.h.lib.svc.CreatePermission(c.r.Context(), c.env(),
		rbac.PermissionInput{Slug: form.Slug, Name: form.Name, Description: form.Description})
	if err != nil {
		c.showPermissions(rbac.HTTPStatus(err), form, c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("Permission %s created.", p.Slug), c.link("permissions"))
}

type permissionData struct {
	Permission rbac.Permission
	Form       permissionForm
	Error      *formError
}

func (c *ctx) permissionPage() {
	p, err := c.h.lib.svc.GetPermission(c.r.Context(), c.env(), c.q("slug"))
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(http.StatusOK, "permissions-edit", "Edit permission "+p.Slug, permissionData{Permission: p,
		Form: permissionForm{Slug: p.Slug, Name: p.Name, Description: p.Description}})
}

func (c *ctx) updatePermission() {
	slug := c.q("slug")
	form := permissionForm{Slug: slug, Name: c.f("name"), Description: c.f("description")}
	p, err := c.h.lib.updatePermission(c.r.Context(), c.env(), slug, form.Name, form.Description)
	if err != nil {
		cur, gerr := c.h.lib.svc.GetPermission(c.r.Context(), c.env(), slug)
		if gerr != nil {
			c.failErr(gerr)
			return
		}
		c.render(rbac.HTTPStatus(err), "permissions-edit", "Edit permission "+slug,
			permissionData{Permission: cur, Form: form, Error: c.h.formError(err)})
		return
	}
	c.done(fmt.Sprintf("Permission %s saved.", p.Slug), c.link("permissions"))
}

type permissionDeleteData struct {
	Permission rbac.Permission
	Plan       plan
	Error      *formError
}

func (c *ctx) permissionDeletePage() { c.showPermissionDelete(http.StatusOK, nil) }

func (c *ctx) showPermissionDelete(status int, fe *formError) {
	slug := c.q("slug")
	p, err := c.h.lib.svc.GetPermission(c.r.Context(), c.env(), slug)
	if err != nil {
		c.failErr(err)
		return
	}
	d := permissionDeleteData{Permission: p, Error: fe}
	pl, err := c.h.lib.deletePermission(c.r.Context(), c.env(), slug, true)
	if err != nil && fe == nil {
		d.Error, status = c.h.formError(err), rbac.HTTPStatus(err)
	}
	d.Plan = pl
	c.render(status, "permissions-delete", "Delete permission "+slug, d)
}

func (c *ctx) deletePermission() {
	slug := c.q("slug")
	pl, err := c.h.lib.deletePermission(c.r.Context(), c.env(), slug, false)
	if err != nil {
		c.showPermissionDelete(rbac.HTTPStatus(err), c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("Permission %s deleted; %d roles no longer grant it.", slug, len(pl.Roles)), c.link("permissions"))
}

// ---- environment roles ----

type roleForm struct {
	Slug, Name, Description string
	Permissions             []string
}

func (c *ctx) roleForm() roleForm {
	return roleForm{Slug: c.f("slug"), Name: c.f("name"), Description: c.f("description"), Permissions: c.fs("permissions")}
}

type rolesData struct {
	Env         rbac.Environment
	Roles       []rbac.Role
	Permissions []rbac.Permission
	Form        roleForm
	Error       *formError
	ErrorAt     string // which form the error belongs to: "create", "order", "default", "multiple"
}

func (c *ctx) rolesPage() { c.showRoles(http.StatusOK, roleForm{}, nil, "") }

func (c *ctx) showRoles(status int, form roleForm, fe *formError, at string) {
	ctx := c.r.Context()
	env, err := c.h.lib.svc.GetEnvironment(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	roles, err := c.h.lib.roles(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	perms, err := c.h.lib.permissions(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "roles", "Environment roles", rolesData{Env: env, Roles: roles, Permissions: perms,
		Form: form, Error: fe, ErrorAt: at})
}

func (c *ctx) createRole() {
	form := c.roleForm()
	r, err := c.h.lib.svc.CreateRole(c.r.Context(), c.env(), rbac.RoleInput{Slug: form.Slug, Name: form.Name,
		Description: form.Description, Permissions: form.Permissions})
	if err != nil {
		c.showRoles(rbac.HTTPStatus(err), form, c.h.formError(err), "create")
		return
	}
	c.done(fmt.Sprintf("Role %s created at the bottom of the priority order.", r.Slug), c.link("roles"))
}

// errOrderChanged is shown when an order shown on a page is no longer the
// stored one, so a move would not do what the page showed.
var errOrderChanged = &formError{Field: "priority_order", Message: "The priority order changed since this page was shown; " +
	"nothing was changed. Here is the current order."}

func (c *ctx) setPriorityOrder() {
	ctx := c.r.Context()
	env, err := c.h.lib.svc.GetEnvironment(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	shown := splitOrder(c.f("order"))
	if !slices.Equal(shown, env.PriorityOrder) {
		c.showRoles(http.StatusConflict, roleForm{}, errOrderChanged, "order")
		return
	}
	order, ok := moved(shown, c.f("role"), c.f("dir"))
	if !ok {
		c.showRoles(http.StatusUnprocessableEntity, roleForm{}, &formError{Field: "priority_order",
			Message: "That role cannot move that way; nothing was changed."}, "order")
		return
	}
	if _, err := c.h.lib.svc.SetPriorityOrder(ctx, c.env(), order); err != nil {
		c.showRoles(rbac.HTTPStatus(err), roleForm{}, c.h.formError(err), "order")
		return
	}
	c.done(fmt.Sprintf("Role %s moved %s.", c.f("role"), c.f("dir")), c.link("roles")+"#role-"+c.f("role"))
}

func (c *ctx) setDefaultRole() {
	slug := c.f("role")
	if _, err := c.h.lib.svc.SetDefaultRole(c.r.Context(), c.env(), slug); err != nil {
		c.showRoles(rbac.HTTPStatus(err), roleForm{}, c.h.formError(err), "default")
		return
	}
	c.done(fmt.Sprintf("Role %s is now the environment's default role.", slug), c.link("roles"))
}

func (c *ctx) setMultipleRoles() {
	on := c.f("multiple_roles") == "on"
	if _, err := c.h.lib.svc.SetMultipleRoles(c.r.Context(), c.env(), on); err != nil {
		c.showRoles(rbac.HTTPStatus(err), roleForm{}, c.h.formError(err), "multiple")
		return
	}
	msg := "Multiple roles are off: every membership keeps only its highest-priority role."
	if on {
		msg = "Multiple roles are on: a membership may hold several roles."
	}
	c.done(msg, c.link("roles"))
}

type roleData struct {
	Role        rbac.Role
	Org         *rbac.Organization // for organization roles
	Permissions []rbac.Permission
	Form        roleForm
	Error       *formError
}

func (c *ctx) rolePage() {
	ctx := c.r.Context()
	r, err := c.h.lib.svc.GetRole(ctx, c.env(), c.q("slug"))
	if err != nil {
		c.failErr(err)
		return
	}
	c.showRole(http.StatusOK, r, nil, roleForm{Slug: r.Slug, Name: r.Name, Description: r.Description, Permissions: r.Permissions}, nil)
}

func (c *ctx) showRole(status int, r rbac.Role, org *rbac.Organization, form roleForm, fe *formError) {
	perms, err := c.h.lib.permissions(c.r.Context(), c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	name := "roles-edit"
	if org != nil {
		name = "organizations-role-edit"
	}
	c.render(status, name, "Edit role "+r.Slug, roleData{Role: r, Org: org, Permissions: perms, Form: form, Error: fe})
}

func (c *ctx) updateRole() {
	ctx := c.r.Context()
	slug := c.q("slug")
	form := c.roleForm()
	form.Slug = slug
	_, err := c.h.lib.svc.UpdateRole(ctx, c.env(), slug, rbac.RoleUpdate{Name: &form.Name,
		Description: &form.Description, Permissions: &form.Permissions})
	if err != nil {
		r, gerr := c.h.lib.svc.GetRole(ctx, c.env(), slug)
		if gerr != nil {
			c.failErr(gerr)
			return
		}
		c.showRole(rbac.HTTPStatus(err), r, nil, form, c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("Role %s saved.", slug), c.link("roles"))
}

// deletion is the page of a role deletion: the step that asks for a
// replacement when one is needed, then the plan to confirm.
type deletion struct {
	Role        rbac.Role
	Org         *rbac.Organization
	Choices     []rbac.Role // the roles that may replace it
	Replacement string      // the one chosen, "" before the choice
	// Need is set when a replacement must be chosen before anything can
	// be deleted; Why says why, in the library's words.
	Need  bool
	Why   *formError
	Plan  *plan
	Error *formError
	// Members are the first memberships the plan changes, to show.
	Members []rbac.Membership
	// Large is set when more than planLimit memberships hold the role:
	// the plan then comes from listings, not from the library's dry run,
	// and does not count the memberships and group mappings it changes.
	Large bool
	// Holders is how many memberships hold the role, at least.
	Holders int
}

// largeRoleDelete fills the deletion page of an environment role held by
// more than planLimit memberships. Whether a replacement is needed, and
// the organizations concerned, still come from the library: its dry run
// without a replacement refuses a default role before it touches a
// membership, so the page runs it only when the role is a default.
// It returns the status of an error it shows, 0 if none.
func (c *ctx) largeRoleDelete(d *deletion, first []rbac.Membership, n int) int {
	ctx := c.r.Context()
	d.Large, d.Holders, d.Members = true, n, first
	env, err := c.h.lib.svc.GetEnvironment(ctx, c.env())
	if err != nil {
		d.Error = c.h.formError(err)
		return rbac.HTTPStatus(err)
	}
	isDefault := env.DefaultRole == d.Role.Slug
	if !isDefault {
		orgs, err := c.h.lib.orgsWithDefault(ctx, c.env(), d.Role.Slug)
		if err != nil {
			d.Error = c.h.formError(err)
			return rbac.HTTPStatus(err)
		}
		isDefault = len(orgs) > 0
	}
	pl := plan{}
	if isDefault {
		_, err := c.h.lib.deleteRole(ctx, c.env(), d.Role.Slug, "", true)
		if !errors.Is(err, rbac.ErrReplacementRequired) {
			if err == nil {
				err = fmt.Errorf("dashboard: the dry run of deleting default role %q without a replacement succeeded", d.Role.Slug)
			}
			d.Error = c.h.formError(err)
			return rbac.HTTPStatus(err)
		}
		d.Need, d.Why = true, c.h.formError(err)
		if d.Replacement == "" {
			return 0
		}
		if !slices.ContainsFunc(d.Choices, func(r rbac.Role) bool { return r.Slug == d.Replacement }) {
			if d.Error == nil {
				d.Error = &formError{Field: "replacement_default", Message: fmt.Sprintf("Role '%s' is not a valid role.", d.Replacement),
					Rule: "must be another environment role"}
			}
			return http.StatusUnprocessableEntity
		}
		pl = plan{Replacement: d.Replacement, EnvironmentDefaultReplaced: d.Why.EnvironmentDefault, DefaultsReplaced: d.Why.Organizations}
	}
	d.Plan = &pl
	return 0
}

// shownMembers is how many of the memberships a plan changes are listed.
const shownMembers = 20

func (c *ctx) members(ids []string) []rbac.Membership {
	var out []rbac.Membership
	for _, id := range ids[:min(len(ids), shownMembers)] {
		if m, err := c.h.lib.svc.GetMembership(c.r.Context(), c.env(), id); err == nil {
			out = append(out, m)
		}
	}
	return out
}

func (c *ctx) roleDeletePage() { c.showRoleDelete(http.StatusOK, c.q("replacement_default"), nil) }

func (c *ctx) showRoleDelete(status int, replacement string, fe *formError) {
	ctx := c.r.Context()
	slug := c.q("slug")
	r, err := c.h.lib.svc.GetRole(ctx, c.env(), slug)
	if err != nil {
		c.failErr(err)
		return
	}
	roles, err := c.h.lib.roles(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	d := deletion{Role: r, Replacement: replacement, Error: fe}
	for _, x := range roles {
		if x.Slug != slug {
			d.Choices = append(d.Choices, x)
		}
	}
	env, err := c.h.lib.svc.GetEnvironment(ctx, c.env())
	if err != nil {
		c.failErr(err)
		return
	}
	// The environment's default role needs a replacement, and the dry run
	// without one says so before it touches a membership: the first step
	// needs no more than that, however many hold the role.
	if env.DefaultRole == slug && replacement == "" {
		_, err := c.h.lib.deleteRole(ctx, c.env(), slug, "", true)
		if !errors.Is(err, rbac.ErrReplacementRequired) {
			if err == nil {
				err = fmt.Errorf("dashboard: the dry run of deleting default role %q without a replacement succeeded", slug)
			}
			c.failErr(err)
			return
		}
		d.Need, d.Why = true, c.h.formError(err)
		c.render(status, "roles-delete", "Delete role "+slug, d)
		return
	}
	first, n, over, err := c.h.lib.holders(ctx, c.env(), "", slug)
	if err != nil {
		c.failErr(err)
		return
	}
	if over {
		if st := c.largeRoleDelete(&d, first, n); st != 0 {
			status = st
		}
		c.render(status, "roles-delete", "Delete role "+slug, d)
		return
	}
	// The plan without a replacement tells whether one is needed.
	pl, err := c.h.lib.deleteRole(ctx, c.env(), slug, "", true)
	if errors.Is(err, rbac.ErrReplacementRequired) {
		d.Need, d.Why = true, c.h.formError(err)
		if replacement != "" {
			pl, err = c.h.lib.deleteRole(ctx, c.env(), slug, replacement, true)
		}
	}
	switch {
	case err != nil && !errors.Is(err, rbac.ErrReplacementRequired):
		if d.Error == nil {
			d.Error, status = c.h.formError(err), rbac.HTTPStatus(err)
		}
	case err == nil:
		d.Plan = &pl
		d.Members = c.members(pl.Memberships)
	}
	c.render(status, "roles-delete", "Delete role "+slug, d)
}

func (c *ctx) deleteRole() {
	slug := c.q("slug")
	replacement := c.f("replacement_default")
	pl, err := c.h.lib.deleteRole(c.r.Context(), c.env(), slug, replacement, false)
	if err != nil {
		c.showRoleDelete(rbac.HTTPStatus(err), replacement, c.h.formError(err))
		return
	}
	msg := fmt.Sprintf("Role %s deleted; %d memberships reassigned.", slug, pl.MembershipCount)
	if n := len(pl.DefaultsReplaced); n > 0 || pl.EnvironmentDefaultReplaced {
		msg += fmt.Sprintf(" %s is now the default role wherever %s was (%d organizations", replacement, slug, n)
		if pl.EnvironmentDefaultReplaced {
			msg += " and the environment"
		}
		msg += ")."
	}
	c.done(msg, c.link("roles"))
}
