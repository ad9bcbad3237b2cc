package rbac

import (
	"context"
	"errors"
	"slices"
)

// checkRoles validates the roles asked for a membership of org and returns
// them without duplicates, highest priority first (rules 8.1, 8.2). No roles
// means the organization's effective default (rule 6.4).
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
// the primary role set (rule 8.3).
func present(m Membership, st Settings) Membership {
	m.Roles = slices.Clone(m.Roles)
	sortByPriority(m.Roles, st.PriorityOrder)
	m.Role = ""
	if len(m.Roles) > 0 {
		m.Role = m.Roles[0]
	}
	return m
}

// membership loads a membership and its organization.
func (o *op) membership(id string) (Membership, Organization, error) {
	nf := func() error { return notFound(CodeMembershipNotFound, "organization membership %q not found", id) }
	if !validID(id) {
		return Membership{}, Organization{}, nf()
	}
	m, err := o.tx.Membership(o.ctx, id)
	if errors.Is(err, ErrNotFound) {
		return m, Organization{}, nf()
	}
	if err != nil {
		return m, Organization{}, err
	}
	org, err := o.tx.Organization(o.ctx, m.OrganizationID)
	return m, org, err
}

// CreateMembership adds a user to an organization with the given roles, or
// the organization's default role when none are given (rules 6.4, 8.1,
// 8.2). If the user has an inactive membership there it is reused with
// those roles: reactivated, or made pending when in.Status is
// StatusPending (a new invitation). An active or pending one is a conflict
// (rule 8.4).
func (s *Service) CreateMembership(ctx context.Context, env string, in MembershipInput) (Membership, error) {
	if err := validateID("user_id", in.UserID, MaxIDLen); err != nil {
		return Membership{}, err
	}
	if err := validateID("organization_id", in.OrganizationID, MaxIDLen); err != nil {
		return Membership{}, err
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
		event := EventMembershipUpdated
		switch {
		case err == nil && m.Status == StatusInactive:
			m.Status = status
			m.Roles = roles
			m.RoleSource = SourceManual
			m.UpdatedAt = o.now
		case err == nil:
			return conflict(CodeMembershipAlreadyExists, "user %q already has %s membership in organization %q",
				in.UserID, article(string(m.Status)), org.ID)
		case errors.Is(err, ErrNotFound):
			id, err := s.newID("om")
			if err != nil {
				return err
			}
			m = Membership{ID: id, UserID: in.UserID, OrganizationID: org.ID, Status: status,
				Roles: roles, RoleSource: SourceManual, CreatedAt: o.now, UpdatedAt: o.now}
			event = EventMembershipCreated
		default:
			return err
		}
		out = present(m, o.settings(org))
		o.emitMembership(event, out)
		return o.tx.PutMembership(ctx, m)
	})
	return out, err
}

// UpdateMembershipRoles replaces a membership's roles (rules 8.1, 8.2). The
// roles become manual (rule 10.2).
func (s *Service) UpdateMembershipRoles(ctx context.Context, env, id string, roles []string) (Membership, error) {
	if len(roles) == 0 {
		return Membership{}, invalidf("roles", "at least one role", "give at least one role")
	}
	return s.changeMembership(ctx, env, id, func(o *op, m *Membership, org Organization) (bool, error) {
		r, err := o.checkRoles(org, roles)
		if err != nil {
			return false, err
		}
		cur := present(*m, o.settings(org))
		if slices.Equal(cur.Roles, r) && m.RoleSource == SourceManual {
			return false, nil
		}
		m.Roles = r
		m.RoleSource = SourceManual
		return true, nil
	})
}

// DeactivateMembership makes an active membership inactive; an inactive
// one is left as it is; a pending one cannot be deactivated (rule 8.5).
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
// [ErrCannotReactivatePending] (rule 8.5).
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
		if changed {
			m.UpdatedAt = o.now
		}
		out = present(m, o.settings(org))
		if !changed {
			return nil
		}
		o.emitMembership(EventMembershipUpdated, out)
		return o.tx.PutMembership(ctx, m)
	})
	return out, err
}

// DeleteMembership deletes a membership permanently (rule 8.5).
func (s *Service) DeleteMembership(ctx context.Context, env, id string) error {
	return s.update(ctx, env, false, false, func(o *op) error {
		m, org, err := o.membership(id)
		if err != nil {
			return err
		}
		o.emitMembership(EventMembershipDeleted, present(m, o.settings(org)))
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
		nf := notFound(CodeMembershipNotFound, "user %q has no membership in organization %q", user, org)
		if !validID(user) {
			return nf
		}
		m, err := o.tx.MembershipOf(ctx, org, user)
		if errors.Is(err, ErrNotFound) {
			return nf
		}
		if err != nil {
			return err
		}
		out = present(m, o.settings(o2))
		return nil
	})
	return out, err
}

// ListMemberships lists the memberships that match the filter (by default,
// active ones only; rule 8.6), ordered by id.
func (s *Service) ListMemberships(ctx context.Context, env string, f MembershipFilter, opt ListOptions) (Page[Membership], error) {
	for _, st := range f.Statuses {
		if !st.valid() {
			return Page[Membership]{}, invalidf("statuses", "active, inactive or pending", "unknown membership status %q", st)
		}
	}
	opt, err := opt.check()
	if err != nil {
		return Page[Membership]{}, err
	}
	q := MembershipQuery{OrganizationID: f.OrganizationID, UserID: f.UserID, Statuses: f.Statuses, Role: f.Role}
	if len(q.Statuses) == 0 {
		q.Statuses = []MembershipStatus{StatusActive}
	}
	var out Page[Membership]
	err = s.view(ctx, env, func(o *op) error {
		// Filters no record can match select nothing, without a read.
		for _, id := range []string{f.OrganizationID, f.UserID} {
			if id != "" && !validID(id) {
				out = Page[Membership]{Data: []Membership{}}
				return nil
			}
		}
		if f.Role != "" && ValidateRoleSlug(f.Role) != nil {
			out = Page[Membership]{Data: []Membership{}}
			return nil
		}
		var err error
		out, err = pageByID(opt, func(m Membership) string { return m.ID }, func(r Range) ([]Membership, error) {
			q.Range = r
			return collect(func(fn func(Membership) error) error { return o.tx.Memberships(ctx, q, fn) })
		})
		if err != nil {
			return err
		}
		settingsOf := o.settingsCache()
		for i, m := range out.Data {
			st, err := settingsOf(m.OrganizationID)
			if err != nil {
				return err
			}
			out.Data[i] = present(m, st)
		}
		return nil
	})
	return out, err
}
