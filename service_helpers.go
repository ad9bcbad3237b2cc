package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Helpers shared by the Service's calls, on the call in progress.

func (o *op) permission(slug string) (Permission, error) {
	if ValidatePermissionSlug(slug) != nil {
		return Permission{}, permissionNotFound(slug)
	}
	p, err := o.tx.Permission(o.ctx, slug)
	if errors.Is(err, ErrNotFound) {
		return p, permissionNotFound(slug)
	}
	return p, err
}

func permissionNotFound(slug string) error {
	return notFound(CodePermissionNotFound, "permission %q not found", slug)
}

// envRole returns an environment role; a missing one is invalid_role.
func (o *op) envRole(slug string) (Role, error) {
	if ValidateRoleSlug(slug) != nil || IsOrganizationRoleSlug(slug) {
		return Role{}, invalidRole(slug)
	}
	r, err := o.tx.EnvironmentRole(o.ctx, slug)
	if errors.Is(err, ErrNotFound) {
		return r, invalidRole(slug)
	}
	return r, err
}

func (o *op) organization(id string) (Organization, error) {
	if !validID(id) {
		return Organization{}, organizationNotFound(id)
	}
	org, err := o.tx.Organization(o.ctx, id)
	if errors.Is(err, ErrNotFound) {
		return org, organizationNotFound(id)
	}
	return org, err
}

func organizationNotFound(id string) error {
	return notFound(CodeOrganizationNotFound, "organization %q not found", id)
}

// role returns a role by its own scope: an organization role of org when
// org is not empty, else an environment role. Missing is role_not_found.
func (o *op) role(org, slug string) (Role, error) {
	if ValidateRoleSlug(slug) != nil {
		return Role{}, roleNotFound(org, slug)
	}
	var r Role
	var err error
	if org == "" {
		r, err = o.tx.EnvironmentRole(o.ctx, slug)
	} else {
		r, err = o.tx.OrganizationRole(o.ctx, org, slug)
	}
	if errors.Is(err, ErrNotFound) {
		return r, roleNotFound(org, slug)
	}
	return r, err
}

func roleNotFound(org, slug string) error {
	if org == "" {
		return notFound(CodeRoleNotFound, "environment role %q not found", slug)
	}
	return notFound(CodeRoleNotFound, "organization %q has no role %q", org, slug)
}

// scopeOf returns the organization that owns slug as seen from org: org
// for an organization role slug ("org-…"), "" for an environment role.
func scopeOf(org, slug string) string {
	if IsOrganizationRoleSlug(slug) {
		return org
	}
	return ""
}

// visibleRole returns the role slug as seen from org: an organization role
// of org when the slug begins with "org-", else an environment role. A role
// not visible there is an invalid_role error (rules 5.4, 8.1).
func (o *op) visibleRole(org, slug string) (Role, error) {
	r, err := o.role(scopeOf(org, slug), slug)
	if errors.Is(err, ErrNotFound) {
		return r, invalidRole(slug)
	}
	return r, err
}

// visibleRoles lists every role visible in org: environment roles, then
// its organization roles, each sorted by slug.
func (o *op) visibleRoles(org string) ([]Role, error) {
	env, err := o.tx.EnvironmentRoles(o.ctx)
	if err != nil {
		return nil, err
	}
	own, err := o.tx.OrganizationRoles(o.ctx, org)
	if err != nil {
		return nil, err
	}
	return append(env, own...), nil
}

// settings returns the effective default and order of org (rule 6.3).
func (o *op) settings(org Organization) Settings { return EffectiveSettings(o.env, org) }

// settingsCache returns a function that gives the effective settings of
// an organization, loading each organization once.
func (o *op) settingsCache() func(org string) (Settings, error) {
	cache := map[string]Settings{}
	return func(id string) (Settings, error) {
		if st, ok := cache[id]; ok {
			return st, nil
		}
		org, err := o.tx.Organization(o.ctx, id)
		if err != nil {
			return Settings{}, err
		}
		st := o.settings(org)
		cache[id] = st
		return st, nil
	}
}

// fork gives org its own settings, copied from the environment, if it has
// none yet (rules 5.5, 7.3). It reports whether it did.
func (o *op) fork(org *Organization) bool {
	if org.HasOwnSettings() {
		return false
	}
	org.DefaultRole = o.env.DefaultRole
	org.PriorityOrder = slices.Clone(o.env.PriorityOrder)
	return true
}

// checkPermissions validates the permission slugs a role is given and
// returns them sorted, without duplicates.
func (o *op) checkPermissions(perms []string) ([]string, error) {
	norm, err := normalizeSlugs(perms)
	if err != nil {
		return nil, err
	}
	for _, p := range norm {
		if _, err := o.tx.Permission(o.ctx, p); errors.Is(err, ErrNotFound) {
			return nil, invalidf("permissions", "must exist in the environment", "permission %q does not exist", p)
		} else if err != nil {
			return nil, err
		}
	}
	return norm, nil
}

func (o *op) emitPermission(t EventType, p Permission) {
	o.emit(Event{Type: t, PermissionSlug: p.Slug, Permission: &p})
}

// emitRole emits a role event; t is the environment role's type, turned
// into the organization role's for an organization role.
func (o *op) emitRole(t EventType, r Role) {
	if r.OrganizationID != "" {
		switch t {
		case EventRoleCreated:
			t = EventOrganizationRoleCreated
		case EventRoleUpdated:
			t = EventOrganizationRoleUpdated
		case EventRoleDeleted:
			t = EventOrganizationRoleDeleted
		}
	}
	o.emit(Event{Type: t, OrganizationID: r.OrganizationID, RoleSlug: r.Slug, Role: &r})
}

// emitOrganization emits an organization event; role is the default role
// the change set, if it set one.
func (o *op) emitOrganization(t EventType, org Organization, role string) {
	o.emit(Event{Type: t, OrganizationID: org.ID, RoleSlug: role, Organization: &org})
}

// emitMembership emits a membership event; m is as callers see it
// (present).
func (o *op) emitMembership(t EventType, m Membership) {
	o.emit(Event{Type: t, OrganizationID: m.OrganizationID, MembershipID: m.ID, UserID: m.UserID, Membership: &m})
}

func (o *op) emitMapping(t EventType, m GroupMapping) {
	o.emit(Event{Type: t, OrganizationID: m.OrganizationID, GroupID: m.GroupID, RoleSlug: m.Role, GroupMapping: &m})
}

func slugsOf(roles []Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Slug
	}
	return out
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// article returns word with "a" or "an" before it.
func article(word string) string {
	if word != "" && strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an " + word
	}
	return "a " + word
}
