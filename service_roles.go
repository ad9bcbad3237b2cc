package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ---- environment roles ----

// CreateRole creates an environment role. Its slug must not begin with
// "org-" (rule 4.2). It is appended at the bottom of the environment
// priority order and of the order of every organization that has its own
// (rule 4.3), and is visible in every organization (rule 4.4).
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
		if _, err := o.tx.EnvironmentRole(ctx, in.Slug); err == nil {
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
		// organization order (rule 4.3): they follow from it.
		if err := o.tx.AppendToOrganizationOrders(ctx, in.Slug, o.now); err != nil {
			return err
		}
		o.emitRole(EventRoleCreated, out)
		return nil
	})
	return out, err
}

// GetRole returns an environment role.
func (s *Service) GetRole(ctx context.Context, env, slug string) (Role, error) {
	var out Role
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.role("", slug)
		return err
	})
	return out, err
}

// ListRoles lists the environment roles in the environment priority order
// (highest priority first; OrderDesc reverses it).
func (s *Service) ListRoles(ctx context.Context, env string, opt ListOptions) (Page[Role], error) {
	opt, err := opt.check()
	if err != nil {
		return Page[Role]{}, err
	}
	var out Page[Role]
	err = s.view(ctx, env, func(o *op) error {
		roles, err := o.tx.EnvironmentRoles(ctx)
		if err != nil {
			return err
		}
		out, err = pageOf(opt, inOrder(roles, o.env.PriorityOrder), roleID)
		return err
	})
	return out, err
}

func roleID(r Role) string { return r.ID }

// UpdateRole changes an environment role's name, description and/or
// permission set.
func (s *Service) UpdateRole(ctx context.Context, env, slug string, u RoleUpdate) (Role, error) {
	return s.updateRole(ctx, env, "", slug, u)
}

// AddRolePermission adds one permission to an environment role; a role
// that already has it is left as it is.
func (s *Service) AddRolePermission(ctx context.Context, env, slug, permission string) (Role, error) {
	return s.changeRolePermission(ctx, env, "", slug, permission, true)
}

// RemoveRolePermission removes one permission from an environment role; a
// role without it is left as it is.
func (s *Service) RemoveRolePermission(ctx context.Context, env, slug, permission string) (Role, error) {
	return s.changeRolePermission(ctx, env, "", slug, permission, false)
}

// updateRole changes a role of the scope org ("" for environment roles).
func (s *Service) updateRole(ctx context.Context, env, org, slug string, u RoleUpdate) (Role, error) {
	if err := validateUpdate(u.Name, u.Description); err != nil {
		return Role{}, err
	}
	return s.changeRole(ctx, env, org, slug, func(o *op, r *Role) (bool, error) {
		changed := setIf(&r.Name, u.Name)
		changed = setIf(&r.Description, u.Description) || changed
		if u.Permissions != nil {
			perms, err := o.checkPermissions(*u.Permissions)
			if err != nil {
				return false, err
			}
			if !slices.Equal(perms, r.Permissions) {
				r.Permissions, changed = perms, true
			}
		}
		return changed, nil
	})
}

// changeRolePermission adds (add true) or removes one permission of a role
// of the scope org.
func (s *Service) changeRolePermission(ctx context.Context, env, org, slug, permission string, add bool) (Role, error) {
	return s.changeRole(ctx, env, org, slug, func(o *op, r *Role) (bool, error) {
		if _, err := o.permission(permission); err != nil {
			return false, err
		}
		i, has := slices.BinarySearch(r.Permissions, permission)
		switch {
		case has == add:
			return false, nil
		case add:
			r.Permissions = slices.Insert(slices.Clone(r.Permissions), i, permission)
		default:
			r.Permissions = slices.Delete(slices.Clone(r.Permissions), i, i+1)
		}
		return true, nil
	})
}

// changeRole applies change to a role of the scope org and stores it when
// change reports that it changed it.
func (s *Service) changeRole(ctx context.Context, env, org, slug string, change func(*op, *Role) (bool, error)) (Role, error) {
	var out Role
	err := s.update(ctx, env, false, false, func(o *op) error {
		if org != "" {
			if _, err := o.organization(org); err != nil {
				return err
			}
		}
		r, err := o.role(org, slug)
		if err != nil {
			return err
		}
		out = r
		changed, err := change(o, &r)
		if err != nil || !changed {
			return err
		}
		r.UpdatedAt = o.now
		out = r
		o.emitRole(EventRoleUpdated, r)
		return o.tx.PutRole(ctx, r)
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

// DeleteRole deletes an environment role (rules 9.1, 9.2). If it is the
// environment default or the default of any organization,
// opt.ReplacementDefault must name another environment role, which becomes
// the default wherever the deleted role was; without one the call fails
// with [ErrReplacementRequired], listing the organizations concerned. The
// role leaves every priority order, every membership that held it is
// reassigned (single-role mode: to its organization's default;
// multiple-roles mode: the role is dropped and a membership left with none
// gets the default), and group mappings to it are re-pointed to the
// replacement default or, without one, deleted. All of it is one atomic
// step. opt.ReassignTo does not apply. The plan counts the memberships
// reassigned and lists up to MaxListedMemberships of them; when there are
// more, one EventMembershipsReassigned stands for their events (rules 9.5,
// 13.1).
func (s *Service) DeleteRole(ctx context.Context, env, slug string, opt DeleteOptions) (DeletionPlan, error) {
	if err := opt.only("an environment role", true, false); err != nil {
		return DeletionPlan{}, err
	}
	repl := opt.ReplacementDefault
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, Role: slug, ReplacementDefault: repl}
		role, err := o.role("", slug)
		if err != nil {
			return err
		}
		orgs, err := o.tx.OrganizationsWithDefault(ctx, slug)
		if err != nil {
			return err
		}
		isDefault := o.env.DefaultRole == slug
		if repl == "" && (isDefault || len(orgs) > 0) {
			msg := fmt.Sprintf("role %q is the default role of %s", slug, plural(len(orgs), "organization"))
			if isDefault {
				msg = fmt.Sprintf("role %q is the environment default role", slug)
				if len(orgs) > 0 {
					msg += " and the default of " + plural(len(orgs), "organization")
				}
			}
			return &Error{Kind: KindReplacementRequired, Code: CodeReplacementRequired, Field: "replacement_default",
				Rule: "required when the role is a default", Message: msg + "; name a replacement default role",
				Organizations: orgs, EnvironmentDefault: isDefault}
		}
		if repl != "" {
			if repl == slug {
				return replacementErr("replacement_default", repl, "must be another environment role")
			}
			if _, err := o.envRole(repl); err != nil {
				var e *Error
				if errors.As(err, &e) && e.Code == CodeInvalidRole {
					return replacementErr("replacement_default", repl, "must be another environment role")
				}
				return err
			}
		}
		plan.EnvironmentDefaultReplaced = isDefault
		if isDefault {
			o.env.DefaultRole = repl
			o.emit(Event{Type: EventEnvironmentUpdated, RoleSlug: repl})
		}
		o.env.PriorityOrder = without(o.env.PriorityOrder, slug)
		if err := o.putEnv(); err != nil {
			return err
		}
		replaced, err := o.tx.RemoveFromOrganizationOrders(ctx, slug, repl, o.now)
		if err != nil {
			return err
		}
		plan.DefaultsReplaced = replaced
		for _, id := range replaced {
			org, err := o.tx.Organization(ctx, id)
			if err != nil {
				return err
			}
			o.emitOrganization(EventOrganizationUpdated, org, repl)
		}
		var moved reassigned
		if err := o.tx.RemoveEnvironmentRole(ctx, slug, o.now, moved.add); err != nil {
			return err
		}
		moved.report(&plan)
		if moved.n <= MaxListedMemberships {
			for _, m := range moved.first {
				o.emitMembership(EventMembershipUpdated, m) // presented below
			}
			if err := o.presentEvents(); err != nil {
				return err
			}
		} else {
			o.emit(Event{Type: EventMembershipsReassigned, RoleSlug: slug, Count: moved.n})
		}
		err = o.tx.RepointEnvironmentRoleMappings(ctx, slug, repl, o.now, func(m GroupMapping) error {
			plan.GroupMappings = append(plan.GroupMappings, m)
			return nil
		})
		if err != nil {
			return err
		}
		o.emitMappings(plan.GroupMappings, repl)
		if err := o.tx.DeleteEnvironmentRole(ctx, slug); err != nil {
			return err
		}
		o.emitRole(EventRoleDeleted, role)
		return nil
	})
	return plan, err
}

// presentEvents puts the memberships of the membership events collected so
// far as callers see them (roles in priority order, the primary role set):
// bulk methods hand them as stored. Only memberships with several roles
// need their organization's order; when they span many organizations, the
// organizations are read in one listing rather than one by one.
func (o *op) presentEvents() error {
	var need []*Membership
	orgs := map[string]bool{}
	for i := range o.events {
		m := o.events[i].Membership
		switch {
		case m == nil || m.Role != "" || len(m.Roles) == 0:
		case len(m.Roles) == 1:
			m.Role = m.Roles[0]
		default:
			need = append(need, m)
			orgs[m.OrganizationID] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	settings := map[string]Settings{}
	if len(orgs) > 64 {
		err := o.tx.Organizations(o.ctx, Range{}, func(org Organization) error {
			if orgs[org.ID] {
				settings[org.ID] = o.settings(org)
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		for id := range orgs {
			org, err := o.tx.Organization(o.ctx, id)
			if err != nil {
				return err
			}
			settings[id] = o.settings(org)
		}
	}
	for _, m := range need {
		*m = present(*m, settings[m.OrganizationID])
	}
	return nil
}

func replacementErr(field, slug, rule string) error {
	return &Error{Kind: KindInvalid, Code: CodeInvalidRole, Field: field, Rule: rule,
		Message: fmt.Sprintf("Role '%s' is not a valid role.", slug)}
}

// emitMappings emits the events of mappings re-pointed to the role to, or
// deleted when to is "".
func (o *op) emitMappings(ms []GroupMapping, to string) {
	for _, m := range ms {
		if to == "" {
			o.emitMapping(EventGroupMappingDeleted, m)
			continue
		}
		m.Role, m.UpdatedAt = to, o.now
		o.emitMapping(EventGroupMappingUpdated, m)
	}
}

// ---- organization roles ----

// CreateOrganizationRole creates a role visible only in the organization
// (rule 5). Its slug always begins with "org-": a supplied slug without the
// prefix gets it, and an omitted slug is generated from the name. The first
// organization role gives the organization its own default role and
// priority order, copied from the environment (rule 5.5); every
// organization role is appended at the bottom of that order (rule 5.6).
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
			_, err := o.tx.OrganizationRole(ctx, org, slug)
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
		// The organization's order (and, for its first role, its own
		// default) follows from the role's creation: one event.
		o.emitRole(EventRoleCreated, out)
		return nil
	})
	return out, err
}

// UpdateOrganizationRole changes an organization role's name, description
// and/or permission set.
func (s *Service) UpdateOrganizationRole(ctx context.Context, env, org, slug string, u RoleUpdate) (Role, error) {
	if org == "" {
		return Role{}, organizationNotFound(org) // "" would be the environment roles' scope
	}
	return s.updateRole(ctx, env, org, slug, u)
}

// AddOrganizationRolePermission adds one permission to an organization
// role; a role that already has it is left as it is.
func (s *Service) AddOrganizationRolePermission(ctx context.Context, env, org, slug, permission string) (Role, error) {
	if org == "" {
		return Role{}, organizationNotFound(org)
	}
	return s.changeRolePermission(ctx, env, org, slug, permission, true)
}

// RemoveOrganizationRolePermission removes one permission from an
// organization role; a role without it is left as it is.
func (s *Service) RemoveOrganizationRolePermission(ctx context.Context, env, org, slug, permission string) (Role, error) {
	if org == "" {
		return Role{}, organizationNotFound(org)
	}
	return s.changeRolePermission(ctx, env, org, slug, permission, false)
}

// GetOrganizationRole returns a role visible in the organization: an
// organization role of it, or an environment role (rule 5.8).
func (s *Service) GetOrganizationRole(ctx context.Context, env, org, slug string) (Role, error) {
	var out Role
	err := s.view(ctx, env, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		r, err := o.role(scopeOf(org, slug), slug)
		out = r
		return err
	})
	return out, err
}

// ListOrganizationRoles lists every role visible in the organization,
// environment and organization roles merged, in its effective priority
// order (rule 5.8; OrderDesc reverses it).
func (s *Service) ListOrganizationRoles(ctx context.Context, env, org string, opt ListOptions) (Page[Role], error) {
	opt, err := opt.check()
	if err != nil {
		return Page[Role]{}, err
	}
	var out Page[Role]
	err = s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		roles, err := o.visibleRoles(org)
		if err != nil {
			return err
		}
		out, err = pageOf(opt, inOrder(roles, o.settings(o2).PriorityOrder), roleID)
		return err
	})
	return out, err
}

// DeleteOrganizationRole deletes an organization role (rule 9.3). Without
// opt.ReassignTo it is refused while members hold the role
// ([ErrRoleHasAssignments]), while group mappings target it
// ([ErrRoleHasGroupRoleMappings]) or while it is the organization default
// ([ErrRoleIsDefault]). With opt.ReassignTo — any other role visible in
// the organization — its members move to that role, its mappings are
// re-pointed and, if it was the default, the target becomes the default,
// all in one atomic step. opt.ReplacementDefault does not apply. The plan
// counts the memberships moved and lists up to MaxListedMemberships of
// them; when there are more, one EventMembershipsReassigned stands for
// their events (rules 9.5, 13.1).
func (s *Service) DeleteOrganizationRole(ctx context.Context, env, org, slug string, opt DeleteOptions) (DeletionPlan, error) {
	if err := opt.only("an organization role", false, true); err != nil {
		return DeletionPlan{}, err
	}
	to := opt.ReassignTo
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, Role: slug, OrganizationID: org, ReassignedTo: to}
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		role, err := o.role(org, slug)
		if err != nil {
			return err
		}
		holders, err := o.count(func(fn func(Membership) error) error {
			return o.tx.Memberships(ctx, MembershipQuery{OrganizationID: org, Role: slug}, fn)
		})
		if err != nil {
			return err
		}
		mappings, err := collect(func(fn func(GroupMapping) error) error {
			return o.tx.GroupMappings(ctx, GroupMappingQuery{OrganizationID: org, Role: slug}, fn)
		})
		if err != nil {
			return err
		}
		isDefault := o2.DefaultRole == slug
		if to == "" {
			switch {
			case holders > 0:
				return &Error{Kind: KindConflict, Code: CodeRoleHasAssignments, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is assigned to %s; name a role to reassign them to", slug, plural(holders, "membership"))}
			case len(mappings) > 0:
				return &Error{Kind: KindConflict, Code: CodeRoleHasGroupRoleMappings, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is the target of %s; name a role to re-point them to", slug, plural(len(mappings), "group role mapping"))}
			case isDefault:
				return &Error{Kind: KindConflict, Code: CodeRoleIsDefault, Organizations: []string{org},
					Message: fmt.Sprintf("role %q is the default role of organization %q; name a role to reassign it to", slug, org)}
			}
		} else {
			if to == slug {
				return replacementErr("reassign_to", to, "must be another role visible in the organization")
			}
			if _, err := o.visibleRole(org, to); err != nil {
				var e *Error
				if errors.As(err, &e) && e.Code == CodeInvalidRole {
					return replacementErr("reassign_to", to, "must be another role visible in the organization")
				}
				return err
			}
		}
		if isDefault {
			o2.DefaultRole = to
			plan.DefaultsReplaced = []string{org}
		}
		o2.PriorityOrder = without(o2.PriorityOrder, slug)
		o2.UpdatedAt = o.now
		if err := o.tx.PutOrganization(ctx, o2); err != nil {
			return err
		}
		if isDefault {
			o.emitOrganization(EventOrganizationUpdated, o2, to)
		}
		if holders > 0 {
			var moved reassigned
			if err := o.tx.ReplaceOrganizationRole(ctx, org, slug, to, o.now, moved.add); err != nil {
				return err
			}
			moved.report(&plan)
			if moved.n <= MaxListedMemberships {
				st := o.settings(o2)
				for _, m := range moved.first {
					o.emitMembership(EventMembershipUpdated, present(m, st))
				}
			} else {
				o.emit(Event{Type: EventMembershipsReassigned, OrganizationID: org, RoleSlug: slug, ReassignedTo: to, Count: moved.n})
			}
		}
		if len(mappings) > 0 {
			err := o.tx.RepointOrganizationRoleMappings(ctx, org, slug, to, o.now, func(m GroupMapping) error {
				plan.GroupMappings = append(plan.GroupMappings, m)
				return nil
			})
			if err != nil {
				return err
			}
			o.emitMappings(plan.GroupMappings, to)
		}
		if err := o.tx.DeleteOrganizationRole(ctx, org, slug); err != nil {
			return err
		}
		o.emitRole(EventRoleDeleted, role)
		return nil
	})
	return plan, err
}

// count counts the records a listing method hands to its callback.
func (o *op) count(list func(fn func(Membership) error) error) (int, error) {
	n := 0
	err := list(func(Membership) error { n++; return nil })
	return n, err
}

// reassigned gathers the memberships a bulk method hands, by id: it keeps
// the first MaxListedMemberships and only counts the others.
type reassigned struct {
	first []Membership
	n     int
}

func (r *reassigned) add(m Membership) error {
	r.n++
	if r.n <= MaxListedMemberships {
		r.first = append(r.first, m)
	}
	return nil
}

// report puts the count and the listed ids in plan.
func (r *reassigned) report(plan *DeletionPlan) {
	plan.MembershipCount = r.n
	for _, m := range r.first {
		plan.Memberships = append(plan.Memberships, m.ID)
	}
}
