package rbac

import (
	"context"
	"errors"
	"slices"
)

// checkRoles validates the roles asked for a membership of org and returns
// them without duplicates, highest priority first (SPEC 8.1, 8.2). No roles
// means the organization's effective default (SPEC 6.4).
func (o *op) checkRoles(org Organization, roles []string) ([]string, error) {
	st := o.settings(org)
	if len(roles) == 0 {
		return []string{st.DefaultRole}, nil
	}
	uniq := sortedUnique(slices.Clone(roles))
	if len(uniq) > 1 && !o.env.MultipleRoles {
		return nil, &Error{Kind: KindInvalid, Code: CodeMultipleRolesNotEnabled, Field: "roles",
			Rule:    "one role unless multiple-roles mode is on",
			Message: "Multiple roles are not enabled for this environment; give exactly one role."}
	}
	for _, r := range uniq {
		if _, err := o.visibleRole(org.ID, r); err != nil {
			return nil, err
		}
	}
	sortByPriority(uniq, st.PriorityOrder)
	return uniq, nil
}

// present returns m as callers see it: roles highest priority first and
// the primary role set (SPEC 8.3).
func present(m Membership, st Settings) Membership {
	m.Roles = slices.Clone(m.Roles)
	sortByPriority(m.Roles, st.PriorityOrder)
	m.Role = ""
	if len(m.Roles) > 0 {
		m.Role = m.Roles[0]
	}
	return m
}

// membership loads a membership and its organization's settings.
func (o *op) membership(id string) (Membership, Organization, error) {
	m, err := o.tx.Membership(o.ctx, id)
	if errors.Is(err, ErrNotFound) {
		return m, Organization{}, notFound(CodeMembershipNotFound, "organization membership %q not found", id)
	}
	if err != nil {
		return m, Organization{}, err
	}
	org, err := o.tx.Organization(o.ctx, m.OrganizationID)
	return m, org, err
}

// CreateMembership adds a user to an organization with the given roles, or
// the organization's default role when none are given (SPEC 6.4, 8.1, 8.2).
// If the user has an inactive membership there it is reactivated with those
// roles; an active or pending one is a conflict (SPEC 8.4).
func (s *Service) CreateMembership(ctx context.Context, env string, in MembershipInput) (Membership, error) {
	if err := validateID("user_id", in.UserID, MaxIDLen); err != nil {
		return Membership{}, err
	}
	if in.OrganizationID == "" {
		return Membership{}, invalidf("organization_id", "required", "organization_id is required")
	}
	status := in.Status
	if status == "" {
		status = StatusActive
	}
	if status != StatusActive && status != StatusPending {
		return Membership{}, invalidf("status", "active or pending", "a new membership is active or pending, not %q", in.Status)
	}
	var out Membership
	err := s.update(ctx, env, false, false, func(o *op) error {
		org, err := o.organization(in.OrganizationID)
		if err != nil {
			return err
		}
		roles, err := o.checkRoles(org, in.Roles)
		if err != nil {
			return err
		}
		m, err := o.tx.MembershipOf(ctx, org.ID, in.UserID)
		switch {
		case err == nil && m.Status == StatusInactive:
			m.Status = StatusActive
			m.Roles = roles
			m.RoleSource = SourceManual
			m.UpdatedAt = o.now
			o.emitMembership(EventMembershipUpdated, m)
		case err == nil:
			return conflict(CodeMembershipAlreadyExists, "user %q already has a %s membership in organization %q", in.UserID, m.Status, org.ID)
		case errors.Is(err, ErrNotFound):
			id, err := s.newID("om")
			if err != nil {
				return err
			}
			m = Membership{ID: id, UserID: in.UserID, OrganizationID: org.ID, Status: status,
				Roles: roles, RoleSource: SourceManual, CreatedAt: o.now, UpdatedAt: o.now}
			o.emitMembership(EventMembershipCreated, m)
		default:
			return err
		}
		out = present(m, o.settings(org))
		return o.tx.PutMembership(ctx, m)
	})
	return out, err
}

// UpdateMembershipRoles replaces a membership's roles (SPEC 8.1, 8.2). The
// roles become manual (SPEC 10.2).
func (s *Service) UpdateMembershipRoles(ctx context.Context, env, id string, roles []string) (Membership, error) {
	if len(roles) == 0 {
		return Membership{}, invalidf("roles", "at least one role", "give at least one role")
	}
	return s.changeMembership(ctx, env, id, func(o *op, m *Membership, org Organization) (bool, error) {
		r, err := o.checkRoles(org, roles)
		if err != nil {
			return false, err
		}
		m.Roles = r
		m.RoleSource = SourceManual
		return true, nil
	})
}

// DeactivateMembership makes an active membership inactive; an inactive
// one is left as it is; a pending one cannot be deactivated (SPEC 8.5).
func (s *Service) DeactivateMembership(ctx context.Context, env, id string) (Membership, error) {
	return s.changeMembership(ctx, env, id, func(o *op, m *Membership, _ Organization) (bool, error) {
		switch m.Status {
		case StatusInactive:
			return false, nil
		case StatusPending:
			return false, conflict(CodeCannotDeactivatePending, "organization membership %q is pending and cannot be deactivated", id)
		}
		m.Status = StatusInactive
		return true, nil
	})
}

// ReactivateMembership makes an inactive membership active with the roles it
// had; an active one is left as it is; a pending one is
// [ErrCannotReactivatePending] (SPEC 8.5).
func (s *Service) ReactivateMembership(ctx context.Context, env, id string) (Membership, error) {
	return s.changeMembership(ctx, env, id, func(o *op, m *Membership, _ Organization) (bool, error) {
		switch m.Status {
		case StatusActive:
			return false, nil
		case StatusPending:
			return false, conflict(CodeCannotReactivatePending, "organization membership %q is pending and cannot be reactivated", id)
		}
		m.Status = StatusActive
		return true, nil
	})
}

// AcceptMembership makes a pending membership (an invitation) active. Any
// other status is [ErrMembershipNotPending].
func (s *Service) AcceptMembership(ctx context.Context, env, id string) (Membership, error) {
	return s.changeMembership(ctx, env, id, func(o *op, m *Membership, _ Organization) (bool, error) {
		if m.Status != StatusPending {
			return false, conflict(CodeMembershipNotPending, "organization membership %q is %s, not pending", id, m.Status)
		}
		m.Status = StatusActive
		return true, nil
	})
}

func (s *Service) changeMembership(ctx context.Context, env, id string, change func(*op, *Membership, Organization) (bool, error)) (Membership, error) {
	var out Membership
	err := s.update(ctx, env, false, false, func(o *op) error {
		m, org, err := o.membership(id)
		if err != nil {
			return err
		}
		changed, err := change(o, &m, org)
		if err != nil {
			return err
		}
		out = present(m, o.settings(org))
		if !changed {
			return nil
		}
		m.UpdatedAt = o.now
		out.UpdatedAt = o.now
		o.emitMembership(EventMembershipUpdated, m)
		return o.tx.PutMembership(ctx, m)
	})
	return out, err
}

// DeleteMembership deletes a membership permanently (SPEC 8.5).
func (s *Service) DeleteMembership(ctx context.Context, env, id string) error {
	return s.update(ctx, env, false, false, func(o *op) error {
		m, _, err := o.membership(id)
		if err != nil {
			return err
		}
		o.emitMembership(EventMembershipDeleted, m)
		return o.tx.DeleteMembership(ctx, id)
	})
}

// GetMembership returns a membership by id.
func (s *Service) GetMembership(ctx context.Context, env, id string) (Membership, error) {
	var out Membership
	err := s.view(ctx, env, func(o *op) error {
		m, org, err := o.membership(id)
		if err != nil {
			return err
		}
		out = present(m, o.settings(org))
		return nil
	})
	return out, err
}

// FindMembership returns the membership of user in org, whatever its status.
func (s *Service) FindMembership(ctx context.Context, env, org, user string) (Membership, error) {
	var out Membership
	err := s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		m, err := o.tx.MembershipOf(ctx, org, user)
		if errors.Is(err, ErrNotFound) {
			return notFound(CodeMembershipNotFound, "user %q has no membership in organization %q", user, org)
		}
		if err != nil {
			return err
		}
		out = present(m, o.settings(o2))
		return nil
	})
	return out, err
}

// ListMemberships lists memberships by organization and/or user and status
// (default: active only), ordered by id (SPEC 8.6).
func (s *Service) ListMemberships(ctx context.Context, env string, f MembershipFilter) ([]Membership, error) {
	for _, st := range f.Statuses {
		if !st.valid() {
			return nil, invalidf("statuses", "active, inactive or pending", "unknown membership status %q", st)
		}
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []MembershipStatus{StatusActive}
	}
	if f.Limit < 0 {
		return nil, invalidf("limit", "not negative", "limit %d is negative", f.Limit)
	}
	var out []Membership
	err := s.view(ctx, env, func(o *op) error {
		ms, err := o.tx.Memberships(ctx, f)
		if err != nil {
			return err
		}
		settingsOf := o.settingsCache()
		for i, m := range ms {
			st, err := settingsOf(m.OrganizationID)
			if err != nil {
				return err
			}
			ms[i] = present(m, st)
		}
		out = ms
		return nil
	})
	return out, err
}
