package rbac

import (
	"context"
	"errors"
	"slices"
	"unicode/utf8"
)

// MaxIDLen bounds application-supplied ids (organization and user ids).
const MaxIDLen = 128

// maxOrgNameLen bounds organization names.
const maxOrgNameLen = 255

// CreateOrganization creates an organization. in.ID may be the
// application's own tenant id (1–128 bytes, no whitespace); when empty an id
// "org_…" is generated. in.Name defaults to the id. The organization starts
// inheriting the environment's roles, default role and priority order
// (SPEC 5.1).
func (s *Service) CreateOrganization(ctx context.Context, env string, in OrganizationInput) (Organization, error) {
	if in.ID != "" {
		if err := validateID("id", in.ID, MaxIDLen); err != nil {
			return Organization{}, err
		}
	}
	if n := utf8.RuneCountInString(in.Name); n > maxOrgNameLen || !utf8.ValidString(in.Name) {
		return Organization{}, invalidf("name", "at most 255 characters of UTF-8", "organization name is longer than %d characters or not UTF-8", maxOrgNameLen)
	}
	var out Organization
	err := s.update(ctx, env, false, false, func(o *op) error {
		id := in.ID
		if id == "" {
			var err error
			if id, err = s.newID("org"); err != nil {
				return err
			}
		}
		if _, err := o.tx.Organization(ctx, id); err == nil {
			return conflict(CodeOrganizationExists, "organization %q already exists", id)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		name := in.Name
		if name == "" {
			name = id
		}
		out = Organization{ID: id, Name: name, CreatedAt: o.now, UpdatedAt: o.now}
		o.emit(Event{Type: EventOrganizationCreated, OrganizationID: id})
		return o.tx.PutOrganization(ctx, out)
	})
	return out, err
}

// GetOrganization returns an organization record. Its DefaultRole and
// PriorityOrder are empty while it inherits; see [Service.OrganizationSettings].
func (s *Service) GetOrganization(ctx context.Context, env, org string) (Organization, error) {
	var out Organization
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.organization(org)
		return err
	})
	return out, err
}

// ListOrganizations lists organizations ordered by id: those with an id
// greater than after, at most limit (0: all).
func (s *Service) ListOrganizations(ctx context.Context, env, after string, limit int) ([]Organization, error) {
	var out []Organization
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.tx.Organizations(ctx, after, limit)
		return err
	})
	return out, err
}

// DeleteOrganization deletes an organization with its roles, settings,
// memberships and group mappings (SPEC 9.6). The plan lists the
// organization roles and memberships deleted.
func (s *Service) DeleteOrganization(ctx context.Context, env, org string, opt DeleteOptions) (DeletionPlan, error) {
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, OrganizationID: org}
		if _, err := o.organization(org); err != nil {
			return err
		}
		roles, err := o.tx.Roles(ctx, org)
		if err != nil {
			return err
		}
		for _, r := range roles {
			plan.Roles = append(plan.Roles, RoleRef{OrganizationID: org, Slug: r.Slug})
		}
		ms, err := o.tx.Memberships(ctx, MembershipFilter{OrganizationID: org})
		if err != nil {
			return err
		}
		for _, m := range ms {
			plan.Memberships = append(plan.Memberships, m.ID)
			o.emitMembership(EventMembershipDeleted, m)
		}
		if plan.GroupMappings, err = o.tx.GroupMappings(ctx, org); err != nil {
			return err
		}
		for _, r := range roles {
			o.emitRole(EventRoleDeleted, org, r.Slug)
		}
		o.emit(Event{Type: EventOrganizationDeleted, OrganizationID: org})
		return o.tx.DeleteOrganization(ctx, org)
	})
	return plan, err
}

// OrganizationSettings returns the organization's effective default role
// and priority order: its own once it has them, else the environment's
// (SPEC 5.1, 6.3).
func (s *Service) OrganizationSettings(ctx context.Context, env, org string) (Settings, error) {
	var out Settings
	err := s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		out = o.settings(o2)
		out.PriorityOrder = slices.Clone(out.PriorityOrder)
		return nil
	})
	return out, err
}

// SetOrganizationDefaultRole makes a role visible in the organization its
// default (SPEC 6.2). An organization that inherits gets its own settings,
// copied from the environment (SPEC 7.3).
func (s *Service) SetOrganizationDefaultRole(ctx context.Context, env, org, slug string) (Settings, error) {
	err := s.update(ctx, env, false, false, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		if _, err := o.visibleRole(org, slug); err != nil {
			return err
		}
		forked := o.fork(&o2)
		if !forked && o2.DefaultRole == slug {
			return nil
		}
		o2.DefaultRole = slug
		o2.UpdatedAt = o.now
		o.emit(Event{Type: EventOrganizationUpdated, OrganizationID: org, RoleSlug: slug})
		return o.tx.PutOrganization(ctx, o2)
	})
	if err != nil {
		return Settings{}, err
	}
	return s.OrganizationSettings(ctx, env, org)
}

// SetOrganizationPriorityOrder replaces the organization's priority order:
// order must hold every role visible in it exactly once (SPEC 7.2). An
// organization that inherits gets its own settings (SPEC 7.3).
func (s *Service) SetOrganizationPriorityOrder(ctx context.Context, env, org string, order []string) (Settings, error) {
	err := s.update(ctx, env, false, false, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		visible, err := o.visibleSlugs(org)
		if err != nil {
			return err
		}
		if err := checkPermutation(order, visible); err != nil {
			return err
		}
		forked := o.fork(&o2)
		if !forked && slices.Equal(o2.PriorityOrder, order) {
			return nil
		}
		o2.PriorityOrder = slices.Clone(order)
		o2.UpdatedAt = o.now
		o.emit(Event{Type: EventOrganizationUpdated, OrganizationID: org})
		return o.tx.PutOrganization(ctx, o2)
	})
	if err != nil {
		return Settings{}, err
	}
	return s.OrganizationSettings(ctx, env, org)
}

// ResolveRole returns, among candidate role slugs, the one highest in the
// organization's effective priority order (SPEC 7.4). Every candidate must
// be visible in the organization; with no candidates the answer is the
// organization's default role.
func (s *Service) ResolveRole(ctx context.Context, env, org string, candidates []string) (string, error) {
	var out string
	err := s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		for _, c := range candidates {
			if _, err := o.visibleRole(org, c); err != nil {
				return err
			}
		}
		st := o.settings(o2)
		if len(candidates) == 0 {
			out = st.DefaultRole
			return nil
		}
		out = Resolve(st.PriorityOrder, candidates)
		return nil
	})
	return out, err
}
