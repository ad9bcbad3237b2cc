package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/orgroles/rbac"
)

// ---- organizations ----

// orgsPerPage and membersPerPage are the lengths of the listings' pages.
const (
	orgsPerPage    = 50
	membersPerPage = 50
)

type orgForm struct{ ID, Name string }

type organizationsData struct {
	Query  string
	After  string
	Before string
	Page   page[rbac.Organization]
	Form   orgForm
	Error  *formError
}

func (c *ctx) organizationsPage() { c.showOrganizations(http.StatusOK, orgForm{}, nil) }

func (c *ctx) showOrganizations(status int, form orgForm, fe *formError) {
	ctx := c.r.Context()
	q, cur := strings.TrimSpace(c.q("q")), c.cursor()
	var p page[rbac.Organization]
	var err error
	if q != "" {
		p, err = c.h.lib.searchOrganizations(ctx, c.env(), q, cur, orgsPerPage)
	} else {
		p, err = c.h.lib.organizations(ctx, c.env(), cur, orgsPerPage)
	}
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "organizations", "Organizations", organizationsData{Query: q, After: cur.After, Before: cur.Before,
		Page: p, Form: form, Error: fe})
}

func (c *ctx) createOrganization() {
	form := orgForm{ID: c.f("id"), Name: c.f("name")}
	o, err := c.h.lib.svc.CreateOrganization(c.r.Context(), c.env(), rbac.OrganizationInput{ID: form.ID, Name: form.Name})
	if err != nil {
		c.showOrganizations(rbac.HTTPStatus(err), form, c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("Organization %s created.", o.Name), c.link("org/roles", "org", o.ID))
}

// cursor reads the page asked for in the query: after an id, or before
// one.
func (c *ctx) cursor() cursor {
	if a := c.q("after"); a != "" {
		return cursor{After: a}
	}
	return cursor{Before: c.q("before")}
}

// org loads the organization of the query, or shows why it cannot.
func (c *ctx) org() (rbac.Organization, bool) {
	o, err := c.h.lib.svc.GetOrganization(c.r.Context(), c.env(), c.q("org"))
	if err != nil {
		c.failErr(err)
		return o, false
	}
	return o, true
}

// ---- the Roles tab ----

type orgRolesData struct {
	Org         rbac.Organization
	Env         rbac.Environment
	Settings    rbac.Settings
	Roles       []rbac.Role
	Permissions []rbac.Permission
	Form        roleForm
	Slug        slugPreview
	Error       *formError
	ErrorAt     string // "create", "order", "default"
}

// slugPreview is the slug a new organization role will get.
type slugPreview struct {
	Slug   string // the whole slug, or the part before the random suffix
	Random bool   // a random suffix of six characters follows
	Error  string // why a supplied slug is not valid
}

func previewSlug(slug, name string) slugPreview {
	switch {
	case slug != "":
		s := rbac.OrganizationRoleSlug(slug)
		p := slugPreview{Slug: s}
		if err := rbac.ValidateRoleSlug(s); err != nil {
			var e *rbac.Error
			if errors.As(err, &e) {
				p.Error = e.Message
			}
		}
		return p
	case name != "":
		const marker = "000000"
		s := rbac.GenerateOrganizationRoleSlug(name, marker)
		return slugPreview{Slug: strings.TrimSuffix(s, marker), Random: true}
	}
	return slugPreview{Slug: rbac.OrganizationRolePrefix, Random: true}
}

func (c *ctx) orgRolesPage() { c.showOrgRoles(http.StatusOK, roleForm{}, nil, "") }

func (c *ctx) showOrgRoles(status int, form roleForm, fe *formError, at string) {
	ctx := c.r.Context()
	o, ok := c.org()
	if !ok {
		return
	}
	d := orgRolesData{Org: o, Form: form, Slug: previewSlug(form.Slug, form.Name), Error: fe, ErrorAt: at}
	var err error
	if d.Env, err = c.h.lib.svc.GetEnvironment(ctx, c.env()); err == nil {
		if d.Settings, err = c.h.lib.svc.OrganizationSettings(ctx, c.env(), o.ID); err == nil {
			if d.Roles, err = c.h.lib.orgRoles(ctx, c.env(), o.ID); err == nil {
				d.Permissions, err = c.h.lib.permissions(ctx, c.env())
			}
		}
	}
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "organizations-roles", o.Name+": roles", d)
}

func (c *ctx) createOrgRole() {
	form := c.roleForm()
	if c.f("preview") != "" {
		c.showOrgRoles(http.StatusOK, form, nil, "create")
		return
	}
	org := c.q("org")
	r, err := c.h.lib.svc.CreateOrganizationRole(c.r.Context(), c.env(), org, rbac.RoleInput{Slug: form.Slug,
		Name: form.Name, Description: form.Description, Permissions: form.Permissions})
	if err != nil {
		c.showOrgRoles(rbac.HTTPStatus(err), form, c.h.formError(err), "create")
		return
	}
	c.done(fmt.Sprintf("Role %s created at the bottom of this organization's priority order.", r.Slug),
		c.link("org/roles", "org", org)+"#role-"+r.Slug)
}

func (c *ctx) setOrgPriorityOrder() {
	ctx := c.r.Context()
	org := c.q("org")
	st, err := c.h.lib.svc.OrganizationSettings(ctx, c.env(), org)
	if err != nil {
		c.failErr(err)
		return
	}
	shown := splitOrder(c.f("order"))
	if !slices.Equal(shown, st.PriorityOrder) {
		c.showOrgRoles(http.StatusConflict, roleForm{}, errOrderChanged, "order")
		return
	}
	order, ok := moved(shown, c.f("role"), c.f("dir"))
	if !ok {
		c.showOrgRoles(http.StatusUnprocessableEntity, roleForm{}, &formError{Field: "priority_order",
			Message: "That role cannot move that way; nothing was changed."}, "order")
		return
	}
	if _, err := c.h.lib.svc.SetOrganizationPriorityOrder(ctx, c.env(), org, order); err != nil {
		c.showOrgRoles(rbac.HTTPStatus(err), roleForm{}, c.h.formError(err), "order")
		return
	}
	c.done(fmt.Sprintf("Role %s moved %s in this organization's priority order.", c.f("role"), c.f("dir")),
		c.link("org/roles", "org", org)+"#role-"+c.f("role"))
}

func (c *ctx) setOrgDefaultRole() {
	org, slug := c.q("org"), c.f("role")
	if _, err := c.h.lib.svc.SetOrganizationDefaultRole(c.r.Context(), c.env(), org, slug); err != nil {
		c.showOrgRoles(rbac.HTTPStatus(err), roleForm{}, c.h.formError(err), "default")
		return
	}
	c.done(fmt.Sprintf("Role %s is now this organization's default role.", slug), c.link("org/roles", "org", org))
}

func (c *ctx) orgRolePage() {
	o, ok := c.org()
	if !ok {
		return
	}
	r, err := c.h.lib.svc.GetOrganizationRole(c.r.Context(), c.env(), o.ID, c.q("role"))
	if err != nil {
		c.failErr(err)
		return
	}
	if r.Type != rbac.OrganizationRole {
		http.Redirect(c.w, c.r, c.link("role", "slug", r.Slug), http.StatusSeeOther)
		return
	}
	c.showRole(http.StatusOK, r, &o, roleForm{Slug: r.Slug, Name: r.Name, Description: r.Description, Permissions: r.Permissions}, nil)
}

func (c *ctx) updateOrgRole() {
	ctx := c.r.Context()
	o, ok := c.org()
	if !ok {
		return
	}
	slug := c.q("role")
	form := c.roleForm()
	form.Slug = slug
	_, err := c.h.lib.svc.UpdateOrganizationRole(ctx, c.env(), o.ID, slug, rbac.RoleUpdate{Name: &form.Name,
		Description: &form.Description, Permissions: &form.Permissions})
	if err != nil {
		r, gerr := c.h.lib.svc.GetOrganizationRole(ctx, c.env(), o.ID, slug)
		if gerr != nil {
			c.failErr(gerr)
			return
		}
		c.showRole(rbac.HTTPStatus(err), r, &o, form, c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("Role %s saved.", slug), c.link("org/roles", "org", o.ID))
}

func (c *ctx) orgRoleDeletePage() { c.showOrgRoleDelete(http.StatusOK, c.q("reassign_to"), nil) }

func (c *ctx) showOrgRoleDelete(status int, target string, fe *formError) {
	ctx := c.r.Context()
	o, ok := c.org()
	if !ok {
		return
	}
	slug := c.q("role")
	r, err := c.h.lib.svc.GetOrganizationRole(ctx, c.env(), o.ID, slug)
	if err == nil && r.Type != rbac.OrganizationRole {
		err = &rbac.Error{Kind: rbac.KindNotFound, Code: rbac.CodeRoleNotFound,
			Message: fmt.Sprintf("%s is an environment role: delete it on the environment's roles page", slug)}
	}
	if err != nil {
		c.failErr(err)
		return
	}
	roles, err := c.h.lib.orgRoles(ctx, c.env(), o.ID)
	if err != nil {
		c.failErr(err)
		return
	}
	d := deletion{Role: r, Org: &o, Replacement: target, Error: fe}
	for _, x := range roles {
		if x.Slug != slug {
			d.Choices = append(d.Choices, x)
		}
	}
	// Without a target the library refuses a role that is held, mapped
	// or the default before it touches a membership: that dry run is
	// cheap. With a target, a role held by more than planLimit
	// memberships gets the plan from listings (see deletion.Large).
	first, n, over, err := c.h.lib.holders(ctx, c.env(), o.ID, slug)
	if err != nil {
		c.failErr(err)
		return
	}
	pl, err := c.h.lib.deleteOrgRole(ctx, c.env(), o.ID, slug, "", true)
	if errors.Is(err, rbac.ErrRoleHasAssignments) || errors.Is(err, rbac.ErrRoleHasGroupRoleMappings) || errors.Is(err, rbac.ErrRoleIsDefault) {
		d.Need, d.Why = true, c.h.formError(err)
		switch {
		case target != "" && over:
			d.Large, d.Holders, d.Members = true, n, first
			if !slices.ContainsFunc(d.Choices, func(r rbac.Role) bool { return r.Slug == target }) {
				if d.Error == nil {
					d.Error, status = &formError{Field: "reassign_to", Message: fmt.Sprintf("Role '%s' is not a valid role.", target),
						Rule: "must be another role visible in the organization"}, http.StatusUnprocessableEntity
				}
				c.render(status, "organizations-role-delete", "Delete role "+slug, d)
				return
			}
			pl, err = plan{Replacement: target}, nil
			if o.DefaultRole == slug {
				pl.DefaultsReplaced = []string{o.ID}
			}
		case target != "":
			pl, err = c.h.lib.deleteOrgRole(ctx, c.env(), o.ID, slug, target, true)
		}
	}
	switch {
	case err != nil && !d.Need:
		if d.Error == nil {
			d.Error, status = c.h.formError(err), rbac.HTTPStatus(err)
		}
	case err != nil && target != "":
		if d.Error == nil {
			d.Error, status = c.h.formError(err), rbac.HTTPStatus(err)
		}
	case err == nil:
		d.Plan = &pl
		if !d.Large {
			d.Members = c.members(pl.Memberships)
		}
	}
	c.render(status, "organizations-role-delete", "Delete role "+slug, d)
}

func (c *ctx) deleteOrgRole() {
	org, slug, target := c.q("org"), c.q("role"), c.f("reassign_to")
	pl, err := c.h.lib.deleteOrgRole(c.r.Context(), c.env(), org, slug, target, false)
	if err != nil {
		c.showOrgRoleDelete(rbac.HTTPStatus(err), target, c.h.formError(err))
		return
	}
	msg := fmt.Sprintf("Role %s deleted.", slug)
	if target != "" {
		msg = fmt.Sprintf("Role %s deleted; %d memberships and %d group mappings moved to %s.", slug,
			pl.MembershipCount, len(pl.GroupMappings), target)
		if len(pl.DefaultsReplaced) > 0 {
			msg += fmt.Sprintf(" %s is now the default role.", target)
		}
	}
	c.done(msg, c.link("org/roles", "org", org))
}

// ---- the Members tab ----

type memberForm struct {
	UserID string
	Roles  []string
	Status string
}

type membersData struct {
	Org     rbac.Organization
	Env     rbac.Environment
	Roles   []rbac.Role
	After   string
	Before  string
	Page    page[rbac.Membership]
	Form    memberForm
	Error   *formError
	ErrorAt string // "create" or a membership id
}

func (c *ctx) membersPage() { c.showMembers(http.StatusOK, memberForm{}, nil, "") }

func (c *ctx) showMembers(status int, form memberForm, fe *formError, at string) {
	ctx := c.r.Context()
	o, ok := c.org()
	if !ok {
		return
	}
	cur := c.cursor()
	d := membersData{Org: o, After: cur.After, Before: cur.Before, Form: form, Error: fe, ErrorAt: at}
	var err error
	if d.Env, err = c.h.lib.svc.GetEnvironment(ctx, c.env()); err == nil {
		if d.Roles, err = c.h.lib.orgRoles(ctx, c.env(), o.ID); err == nil {
			d.Page, err = c.h.lib.members(ctx, c.env(), o.ID, cur, membersPerPage)
		}
	}
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "organizations-members", o.Name+": members", d)
}

// membersLink is the Members tab at the page the request came from.
func (c *ctx) membersLink() string {
	switch cur := c.cursor(); {
	case cur.After != "":
		return c.link("org/members", "org", c.q("org"), "after", cur.After)
	case cur.Before != "":
		return c.link("org/members", "org", c.q("org"), "before", cur.Before)
	}
	return c.link("org/members", "org", c.q("org"))
}

func (c *ctx) createMember() {
	form := memberForm{UserID: c.f("user_id"), Roles: c.fs("roles"), Status: c.f("status")}
	m, err := c.h.lib.svc.CreateMembership(c.r.Context(), c.env(), rbac.MembershipInput{OrganizationID: c.q("org"),
		UserID: form.UserID, Roles: form.Roles, Status: rbac.MembershipStatus(form.Status)})
	if err != nil {
		c.showMembers(rbac.HTTPStatus(err), form, c.h.formError(err), "create")
		return
	}
	c.done(fmt.Sprintf("%s is a member with %s.", m.UserID, theRoles(m.Roles)), c.membersLink())
}

func (c *ctx) setMemberRoles() {
	id := c.q("m")
	if !c.memberOfOrg(id) {
		return
	}
	m, err := c.h.lib.svc.UpdateMembershipRoles(c.r.Context(), c.env(), id, c.fs("roles"))
	if err != nil {
		c.showMembers(rbac.HTTPStatus(err), memberForm{}, c.h.formError(err), id)
		return
	}
	c.done(fmt.Sprintf("%s now has %s.", m.UserID, theRoles(m.Roles)), c.membersLink()+"#member-"+id)
}

// theRoles names a membership's roles in a sentence.
func theRoles(roles []string) string {
	if len(roles) == 1 {
		return "the role " + roles[0]
	}
	return "the roles " + strings.Join(roles, ", ")
}

// memberOfOrg checks that the membership of the query belongs to the
// organization of the query, so a form of one organization's page never
// changes another's member.
func (c *ctx) memberOfOrg(id string) bool {
	m, err := c.h.lib.svc.GetMembership(c.r.Context(), c.env(), id)
	if err == nil && m.OrganizationID != c.q("org") {
		err = &rbac.Error{Kind: rbac.KindNotFound, Code: rbac.CodeMembershipNotFound,
			Message: fmt.Sprintf("organization membership %q not found in organization %q", id, c.q("org"))}
	}
	if err != nil {
		c.failErr(err)
		return false
	}
	return true
}

func (c *ctx) setMemberStatus() {
	id := c.q("m")
	if !c.memberOfOrg(id) {
		return
	}
	ctx := c.r.Context()
	var m rbac.Membership
	var err error
	action := c.f("action")
	switch action {
	case "deactivate":
		m, err = c.h.lib.svc.DeactivateMembership(ctx, c.env(), id)
	case "reactivate":
		m, err = c.h.lib.svc.ReactivateMembership(ctx, c.env(), id)
	case "accept":
		m, err = c.h.lib.svc.AcceptMembership(ctx, c.env(), id)
	default:
		err = &rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid, Field: "action",
			Rule: "deactivate, reactivate or accept", Message: fmt.Sprintf("unknown action %q", action)}
	}
	if err != nil {
		c.showMembers(rbac.HTTPStatus(err), memberForm{}, c.h.formError(err), id)
		return
	}
	c.done(fmt.Sprintf("The membership of %s is %s.", m.UserID, m.Status), c.membersLink()+"#member-"+id)
}

type memberRemoveData struct {
	Org        rbac.Organization
	Membership rbac.Membership
	Error      *formError
}

func (c *ctx) memberRemovePage() { c.showMemberRemove(http.StatusOK, nil) }

func (c *ctx) showMemberRemove(status int, fe *formError) {
	o, ok := c.org()
	if !ok {
		return
	}
	id := c.q("m")
	if !c.memberOfOrg(id) {
		return
	}
	m, err := c.h.lib.svc.GetMembership(c.r.Context(), c.env(), id)
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "organizations-member-remove", "Remove "+m.UserID, memberRemoveData{Org: o, Membership: m, Error: fe})
}

func (c *ctx) removeMember() {
	id := c.q("m")
	if !c.memberOfOrg(id) {
		return
	}
	m, _ := c.h.lib.svc.GetMembership(c.r.Context(), c.env(), id)
	if err := c.h.lib.svc.DeleteMembership(c.r.Context(), c.env(), id); err != nil {
		c.showMemberRemove(rbac.HTTPStatus(err), c.h.formError(err))
		return
	}
	c.done(fmt.Sprintf("%s is no longer a member.", m.UserID), c.link("org/members", "org", c.q("org")))
}

// ---- the Groups tab ----

type groupForm struct{ Source, GroupID, Role string }

type groupsData struct {
	Org      rbac.Organization
	Roles    []rbac.Role
	Mappings []rbac.GroupMapping
	Form     groupForm
	Error    *formError
	ErrorAt  string // "create" or "delete"
}

func (c *ctx) groupsPage() { c.showGroups(http.StatusOK, groupForm{}, nil, "") }

func (c *ctx) showGroups(status int, form groupForm, fe *formError, at string) {
	ctx := c.r.Context()
	o, ok := c.org()
	if !ok {
		return
	}
	d := groupsData{Org: o, Form: form, Error: fe, ErrorAt: at}
	var err error
	if d.Roles, err = c.h.lib.orgRoles(ctx, c.env(), o.ID); err == nil {
		d.Mappings, err = c.h.lib.groupMappings(ctx, c.env(), o.ID)
	}
	if err != nil {
		c.failErr(err)
		return
	}
	c.render(status, "organizations-groups", o.Name+": groups", d)
}

func (c *ctx) createGroupMapping() {
	form := groupForm{Source: c.f("source"), GroupID: c.f("group_id"), Role: c.f("role")}
	org := c.q("org")
	_, err := c.h.lib.svc.CreateGroupMapping(c.r.Context(), c.env(), org, rbac.GroupMappingInput{
		Source: rbac.GroupSource(form.Source), GroupID: form.GroupID, Role: form.Role})
	if err != nil {
		c.showGroups(rbac.HTTPStatus(err), form, c.h.formError(err), "create")
		return
	}
	c.done(fmt.Sprintf("The %s group %s maps to %s.", form.Source, form.GroupID, form.Role), c.link("org/groups", "org", org))
}

func (c *ctx) deleteGroupMapping() {
	org, source, group := c.q("org"), c.f("source"), c.f("group_id")
	if err := c.h.lib.svc.DeleteGroupMapping(c.r.Context(), c.env(), org, rbac.GroupSource(source), group); err != nil {
		c.showGroups(rbac.HTTPStatus(err), groupForm{}, c.h.formError(err), "delete")
		return
	}
	c.done(fmt.Sprintf("The %s group %s is no longer mapped.", source, group), c.link("org/groups", "org", org))
}
