package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// DeleteOptions qualifies a deletion.
type DeleteOptions struct {
	// Replacement is, when deleting an environment role, the environment
	// role that becomes the default wherever the deleted role was default
	// (required when it was one, SPEC 9.1); when deleting an organization
	// role, the role visible in the organization that its members, group
	// mappings and default move to (SPEC 9.3). Ignored for other
	// deletions.
	Replacement string
	// DryRun computes the plan without changing anything (SPEC 9.5).
	DryRun bool
}

// RoleRef names a role: an environment role when OrganizationID is empty.
type RoleRef struct {
	OrganizationID string `json:"organization_id,omitempty"`
	Slug           string `json:"slug"`
}

// A DeletionPlan reports what a deletion changed or, with
// DeleteOptions.DryRun, what it would change.
type DeletionPlan struct {
	DryRun         bool   `json:"dry_run"`
	Role           string `json:"role,omitempty"`            // the role deleted
	OrganizationID string `json:"organization_id,omitempty"` // its organization, for organization roles and organization deletion
	Permission     string `json:"permission,omitempty"`      // the permission deleted
	Replacement    string `json:"replacement,omitempty"`     // the replacement default or reassignment target

	// EnvironmentDefaultReplaced is true when the deleted role was the
	// environment default.
	EnvironmentDefaultReplaced bool `json:"environment_default_replaced,omitempty"`
	// DefaultsReplaced lists the organizations whose own default changed.
	DefaultsReplaced []string `json:"defaults_replaced,omitempty"`
	// Memberships lists the ids of the memberships whose roles changed
	// (or, for an organization deletion, that were deleted).
	Memberships []string `json:"memberships,omitempty"`
	// GroupMappings lists the mappings re-pointed to Replacement, or
	// deleted, as they were before.
	GroupMappings []GroupMapping `json:"group_mappings,omitempty"`
	// Roles lists the roles that lost the permission, or, for an
	// organization deletion, the organization roles deleted.
	Roles []RoleRef `json:"roles,omitempty"`
}

// ---- environment roles ----

// CreateRole creates an environment role. Its slug must not begin with
// "org-" (SPEC 4.2). It is appended at the bottom of the environment
// priority order and of the order of every organization that has its own
// (SPEC 4.3), and is visible in every organization (SPEC 4.4).
func (s *Service) CreateRole(ctx context.Context, env string, in RoleInput) (Role, error) {
	if err := ValidateRoleSlug(in.Slug); err != nil {
		return Role{}, err
	}
	if IsOrganizationRoleSlug(in.Slug) {
		return Role{}, invalidf("slug", "must not begin with \"org-\"",
			"environment role slug %q begins with %q, which is reserved for organization roles", in.Slug, OrganizationRolePrefix)
	}
	if err := validateText(in.Name, in.Description); err != nil {
		return Role{}, err
	}
	var out Role
	err := s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.tx.Role(ctx, "", in.Slug); err == nil {
			return conflict(CodeRoleSlugConflict, "an environment role with slug %q already exists", in.Slug)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		perms, err := o.checkPermissions(in.Permissions)
		if err != nil {
			return err
		}
		id, err := s.newID("role")
		if err != nil {
			return err
		}
		out = Role{ID: id, Slug: in.Slug, Name: in.Name, Description: in.Description, Type: EnvironmentRole,
			Permissions: perms, CreatedAt: o.now, UpdatedAt: o.now}
		if err := o.tx.PutRole(ctx, out); err != nil {
			return err
		}
		o.env.PriorityOrder = append(slices.Clip(o.env.PriorityOrder), in.Slug)
		if err := o.putEnv(); err != nil {
			return err
		}
		// One role.created event stands for the appends to every
		// organization order (SPEC 4.3): they follow from it.
		if _, err := o.tx.AppendToOrganizationOrders(ctx, in.Slug); err != nil {
			return err
		}
		o.emitRole(EventRoleCreated, "", in.Slug)
		return nil
	})
	return out, err
}

// UpdateRole changes an environment role's name, description and/or
// permission set.
func (s *Service) UpdateRole(ctx context.Context, env, slug string, u RoleUpdate) (Role, error) {
	return s.updateRole(ctx, env, "", slug, u)
}

func (s *Service) updateRole(ctx context.Context, env, org, slug string, u RoleUpdate) (Role, error) {
	if err := validateUpdate(u.Name, u.Description); err != nil {
		return Role{}, err
	}
	var out Role
	err := s.update(ctx, env, false, false, func(o *op) error {
		if org != "" {
			if _, err := o.organization(org); err != nil {
				return err
			}
		}
		r, err := o.ownRole(org, slug)
		if err != nil {
			return err
		}
		if u.Name != nil {
			r.Name = *u.Name
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.Permissions != nil {
			if r.Permissions, err = o.checkPermissions(*u.Permissions); err != nil {
				return err
			}
		}
		r.UpdatedAt = o.now
		out = r
		o.emitRole(EventRoleUpdated, org, slug)
		return o.tx.PutRole(ctx, r)
	})
	return out, err
}

// ownRole returns a role by its own scope: an environment role when org is
// "", else an organization role of org. Missing is role_not_found.
func (o *op) ownRole(org, slug string) (Role, error) {
	r, err := o.tx.Role(o.ctx, org, slug)
	if errors.Is(err, ErrNotFound) {
		return r, notFound(CodeRoleNotFound, "%s %q not found", roleKindName(org), slug)
	}
	return r, err
}

// GetRole returns an environment role.
func (s *Service) GetRole(ctx context.Context, env, slug string) (Role, error) {
	var out Role
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.ownRole("", slug)
		return err
	})
	return out, err
}

// ListRoles lists the environment roles in the environment priority order.
func (s *Service) ListRoles(ctx context.Context, env string) ([]Role, error) {
	var out []Role
	err := s.view(ctx, env, func(o *op) error {
		roles, err := o.tx.Roles(ctx, "")
		if err != nil {
			return err
		}
		out = inOrder(roles, o.env.PriorityOrder)
		return nil
	})
	return out, err
}

// inOrder returns roles sorted by order.
func inOrder(roles []Role, order []string) []Role {
	r := rank(order)
	slices.SortStableFunc(roles, func(a, b Role) int {
		pa, oka := r[a.Slug]
		pb, okb := r[b.Slug]
		switch {
		case oka && okb:
			return pa - pb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return roles
}

// DeleteRole deletes an environment role (SPEC 9.1, 9.2). If it is the
// environment default or the default of any organization, opt.Replacement
// must name another environment role, which becomes the default wherever
// the deleted role was; without one the call fails with
// [ErrReplacementRequired], listing the organizations concerned. The role
// leaves every priority order, every membership that held it is reassigned
// (single-role mode: to its organization's default; multiple-roles mode: the
// role is dropped and a membership left with none gets the default), and
// group mappings to it are re-pointed to the replacement or, without one,
// deleted. All of it is one atomic step.
func (s *Service) DeleteRole(ctx context.Context, env, slug string, opt DeleteOptions) (DeletionPlan, error) {
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, Role: slug, Replacement: opt.Replacement}
		if _, err := o.ownRole("", slug); err != nil {
			return err
		}
		orgs, err := o.tx.OrganizationsWithDefault(ctx, slug)
		if err != nil {
			return err
		}
		isDefault := o.env.DefaultRole == slug
		if opt.Replacement == "" && (isDefault || len(orgs) > 0) {
			msg := fmt.Sprintf("role %q is the default role of %d organizations", slug, len(orgs))
			if isDefault {
				msg = fmt.Sprintf("role %q is the environment default role", slug)
				if len(orgs) > 0 {
					msg += fmt.Sprintf(" and the default of %d organizations", len(orgs))
				}
			}
			return &Error{Kind: KindReplacementRequired, Code: CodeReplacementRequired, Field: "replacement",
				Rule: "required when the role is a default", Message: msg + "; name a replacement default role",
				Organizations: orgs, EnvironmentDefault: isDefault}
		}
		if opt.Replacement != "" {
			if opt.Replacement == slug || IsOrganizationRoleSlug(opt.Replacement) {
				return replacementErr(opt.Replacement, "must be another environment role")
			}
			if _, err := o.tx.Role(ctx, "", opt.Replacement); errors.Is(err, ErrNotFound) {
				return replacementErr(opt.Replacement, "must be another environment role")
			} else if err != nil {
				return err
			}
		}
		plan.EnvironmentDefaultReplaced = isDefault
		if isDefault {
			o.env.DefaultRole = opt.Replacement
			o.emit(Event{Type: EventEnvironmentUpdated, RoleSlug: opt.Replacement})
		}
		o.env.PriorityOrder = without(o.env.PriorityOrder, slug)
		if err := o.putEnv(); err != nil {
			return err
		}
		replaced, err := o.tx.RemoveFromOrganizations(ctx, slug, opt.Replacement)
		if err != nil {
			return err
		}
		plan.DefaultsReplaced = replaced
		for _, org := range replaced {
			o.emit(Event{Type: EventOrganizationUpdated, OrganizationID: org, RoleSlug: opt.Replacement})
		}
		ms, err := o.tx.RemoveRole(ctx, slug)
		if err != nil {
			return err
		}
		for _, m := range ms {
			plan.Memberships = append(plan.Memberships, m.ID)
			o.emitMembership(EventMembershipUpdated, m)
		}
		if plan.GroupMappings, err = o.tx.RepointGroupMappings(ctx, "", slug, opt.Replacement); err != nil {
			return err
		}
		o.emitMappings(plan.GroupMappings, opt.Replacement)
		if err := o.tx.DeleteRole(ctx, "", slug); err != nil {
			return err
		}
		o.emitRole(EventRoleDeleted, "", slug)
		return nil
	})
	return plan, err
}

func replacementErr(slug, rule string) error {
	return &Error{Kind: KindInvalid, Code: CodeInvalidRole, Field: "replacement", Rule: rule,
		Message: fmt.Sprintf("Role '%s' is not a valid role.", slug)}
}

func (o *op) emitMappings(ms []GroupMapping, to string) {
	t := EventGroupMappingUpdated
	if to == "" {
		t = EventGroupMappingDeleted
	}
	for _, m := range ms {
		o.emit(Event{Type: t, OrganizationID: m.OrganizationID, GroupID: m.GroupID, RoleSlug: to})
	}
}

// ---- organization roles ----

// CreateOrganizationRole creates a role visible only in the organization
// (SPEC 5). Its slug always begins with "org-": a supplied slug without the
// prefix gets it, and an omitted slug is generated from the name. The first
// organization role gives the organization its own default role and
// priority order, copied from the environment (SPEC 5.5); every
// organization role is appended at the bottom of that order (SPEC 5.6).
func (s *Service) CreateOrganizationRole(ctx context.Context, env, org string, in RoleInput) (Role, error) {
	generate := in.Slug == ""
	slug := ""
	if !generate {
		slug = OrganizationRoleSlug(in.Slug)
		if err := ValidateRoleSlug(slug); err != nil {
			return Role{}, err
		}
	}
	if err := validateText(in.Name, in.Description); err != nil {
		return Role{}, err
	}
	var out Role
	err := s.update(ctx, env, false, false, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		slug := slug
		for try := 0; ; try++ {
			if generate {
				suffix, err := s.newSuffix()
				if err != nil {
					return err
				}
				slug = GenerateOrganizationRoleSlug(in.Name, suffix)
			}
			_, err := o.tx.Role(ctx, org, slug)
			if errors.Is(err, ErrNotFound) {
				break
			}
			if err != nil {
				return err
			}
			if !generate || try == 10 {
				return conflict(CodeOrganizationRoleSlugConflict,
					"organization %q already has a role with slug %q", org, slug)
			}
		}
		perms, err := o.checkPermissions(in.Permissions)
		if err != nil {
			return err
		}
		id, err := s.newID("role")
		if err != nil {
			return err
		}
		out = Role{ID: id, Slug: slug, Name: in.Name, Description: in.Description, Type: OrganizationRole,
			OrganizationID: org, Permissions: perms, CreatedAt: o.now, UpdatedAt: o.now}
		if err := o.tx.PutRole(ctx, out); err != nil {
			return err
		}
		o.fork(&o2)
		o2.PriorityOrder = append(slices.Clip(o2.PriorityOrder), slug)
		o2.UpdatedAt = o.now
		if err := o.tx.PutOrganization(ctx, o2); err != nil {
			return err
		}
		o.emitRole(EventRoleCreated, org, slug)
		return nil
	})
	return out, err
}

// UpdateOrganizationRole changes an organization role's name, description
// and/or permission set.
func (s *Service) UpdateOrganizationRole(ctx context.Context, env, org, slug string, u RoleUpdate) (Role, error) {
	return s.updateRole(ctx, env, org, slug, u)
}

// GetOrganizationRole returns a role visible in the organization: an
// organization role of it, or an environment role (SPEC 5.8).
func (s *Service) GetOrganizationRole(ctx context.Context, env, org, slug string) (Role, error) {
	var out Role
	err := s.view(ctx, env, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		scope := ""
		if IsOrganizationRoleSlug(slug) {
			scope = org
		}
		r, err := o.ownRole(scope, slug)
		out = r
		return err
	})
	return out, err
}

// ListOrganizationRoles lists every role visible in the organization,
// environment and organization roles merged, in its effective priority
// order (SPEC 5.8).
func (s *Service) ListOrganizationRoles(ctx context.Context, env, org string) ([]Role, error) {
	var out []Role
	err := s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		envRoles, err := o.tx.Roles(ctx, "")
		if err != nil {
			return err
		}
		own, err := o.tx.Roles(ctx, org)
		if err != nil {
			return err
		}
		out = inOrder(append(envRoles, own...), o.settings(o2).PriorityOrder)
		return nil
	})
	return out, err
}

// DeleteOrganizationRole deletes an organization role (SPEC 9.3). Without
// opt.Replacement it is refused while members hold the role
// ([ErrRoleHasAssignments]), while group mappings target it
// ([ErrRoleHasGroupRoleMappings]) or while it is the organization default
// ([ErrRoleIsDefault]). With opt.Replacement — any other role visible in
// the organization — its members move to that role, its mappings are
// re-pointed and, if it was the default, the replacement becomes the
// default, all in one atomic step.
func (s *Service) DeleteOrganizationRole(ctx context.Context, env, org, slug string, opt DeleteOptions) (DeletionPlan, error) {
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, Role: slug, OrganizationID: org, Replacement: opt.Replacement}
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		if _, err := o.ownRole(org, slug); err != nil {
			return err
		}
		holders, err := o.tx.RoleHolders(ctx, org, slug)
		if err != nil {
			return err
		}
		mappings, err := o.tx.GroupMappingsTo(ctx, org, slug)
		if err != nil {
			return err
		}
		isDefault := o2.DefaultRole == slug
		if opt.Replacement == "" {
			switch {
			case len(holders) > 0:
				return &Error{Kind: KindConflict, Code: CodeRoleHasAssignments, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is assigned to %d memberships; name a replacement role to move them", slug, len(holders))}
			case len(mappings) > 0:
				return &Error{Kind: KindConflict, Code: CodeRoleHasGroupRoleMappings, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is the target of %d group role mappings; name a replacement role to re-point them", slug, len(mappings))}
			case isDefault:
				return &Error{Kind: KindConflict, Code: CodeRoleIsDefault, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is the default role of organization %q; name a replacement role", slug, org)}
			}
		} else {
			if opt.Replacement == slug {
				return replacementErr(opt.Replacement, "must be another role visible in the organization")
			}
			if _, err := o.visibleRole(org, opt.Replacement); err != nil {
				var e *Error
				if errors.As(err, &e) && e.Code == CodeInvalidRole {
					return replacementErr(opt.Replacement, "must be another role visible in the organization")
				}
				return err
			}
		}
		if isDefault {
			o2.DefaultRole = opt.Replacement
			plan.DefaultsReplaced = []string{org}
		}
		o2.PriorityOrder = without(o2.PriorityOrder, slug)
		o2.UpdatedAt = o.now
		if err := o.tx.PutOrganization(ctx, o2); err != nil {
			return err
		}
		if isDefault {
			o.emit(Event{Type: EventOrganizationUpdated, OrganizationID: org, RoleSlug: opt.Replacement})
		}
		if len(holders) > 0 {
			ms, err := o.tx.ReplaceRole(ctx, org, slug, opt.Replacement)
			if err != nil {
				return err
			}
			for _, m := range ms {
				plan.Memberships = append(plan.Memberships, m.ID)
				o.emitMembership(EventMembershipUpdated, m)
			}
		}
		if len(mappings) > 0 {
			if plan.GroupMappings, err = o.tx.RepointGroupMappings(ctx, org, slug, opt.Replacement); err != nil {
				return err
			}
			o.emitMappings(plan.GroupMappings, opt.Replacement)
		}
		if err := o.tx.DeleteRole(ctx, org, slug); err != nil {
			return err
		}
		o.emitRole(EventRoleDeleted, org, slug)
		return nil
	})
	return plan, err
}
