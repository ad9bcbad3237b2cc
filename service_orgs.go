package rbac

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// CreateOrganization creates an organization. in.ID may be the
// application's own tenant id (1–128 bytes, no whitespace, control or
// format characters); when empty an id "org_…" is generated. in.Name
// defaults to the id. in.ExternalID, when set, must not be another
// organization's ([ErrExternalIDAlreadyUsed]). The organization starts
// inheriting the environment's roles, default role and priority order
// (rule 5.1).
func (s *Service) CreateOrganization(ctx context.Context, env string, in OrganizationInput) (Organization, error) {
	if in.ID != "" {
		if err := validateID("id", in.ID, MaxIDLen); err != nil {
			return Organization{}, err
		}
	}
	if err := validateOrganizationText(in.Name, in.ExternalID, in.Metadata); err != nil {
		return Organization{}, err
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
		if err := o.externalIDFree(in.ExternalID, ""); err != nil {
			return err
		}
		name := in.Name
		if name == "" {
			name = id
		}
		out = Organization{ID: id, Name: name, ExternalID: in.ExternalID, Metadata: cloneMetadata(in.Metadata),
			CreatedAt: o.now, UpdatedAt: o.now}
		o.emitOrganization(EventOrganizationCreated, out, "")
		return o.tx.PutOrganization(ctx, out)
	})
	return out, err
}

// externalIDFree checks that no organization but self has the external id.
func (o *op) externalIDFree(externalID, self string) error {
	if externalID == "" {
		return nil
	}
	other, err := o.tx.OrganizationByExternalID(o.ctx, externalID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case other.ID != self:
		return &Error{Kind: KindConflict, Code: CodeExternalIDAlreadyUsed, Field: "external_id",
			Organizations: []string{other.ID},
			Message:       fmt.Sprintf("external id %q is already used by organization %q", externalID, other.ID)}
	}
	return nil
}

func cloneMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
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

// GetOrganizationByExternalID returns the organization whose external id
// is externalID.
func (s *Service) GetOrganizationByExternalID(ctx context.Context, env, externalID string) (Organization, error) {
	var out Organization
	err := s.view(ctx, env, func(o *op) (err error) {
		nf := notFound(CodeOrganizationNotFound, "no organization has the external id %q", externalID)
		if !validID(externalID) {
			return nf
		}
		out, err = o.tx.OrganizationByExternalID(ctx, externalID)
		if errors.Is(err, ErrNotFound) {
			return nf
		}
		return err
	})
	return out, err
}

// ListOrganizations lists the organizations, ordered by id.
func (s *Service) ListOrganizations(ctx context.Context, env string, opt ListOptions) (Page[Organization], error) {
	opt, err := opt.check()
	if err != nil {
		return Page[Organization]{}, err
	}
	var out Page[Organization]
	err = s.view(ctx, env, func(o *op) (err error) {
		out, err = pageByID(opt, func(x Organization) string { return x.ID }, func(r Range) ([]Organization, error) {
			return collect(func(fn func(Organization) error) error { return o.tx.Organizations(ctx, r, fn) })
		})
		return err
	})
	return out, err
}

// SearchOrganizations lists the organizations whose id, name or external
// id contains query, ignoring case, ordered by id and paged like
// [Service.ListOrganizations]. An empty query matches every organization.
// It reads the organizations in one pass, stopping once a page is full.
func (s *Service) SearchOrganizations(ctx context.Context, env, query string, opt ListOptions) (Page[Organization], error) {
	if err := validateTextField("query", query, MaxOrganizationNameLen); err != nil {
		return Page[Organization]{}, err
	}
	opt, err := opt.check()
	if err != nil {
		return Page[Organization]{}, err
	}
	q := strings.ToLower(query)
	match := func(o Organization) bool {
		return containsFold(o.ID, q) || containsFold(o.Name, q) || containsFold(o.ExternalID, q)
	}
	var out Page[Organization]
	err = s.view(ctx, env, func(o *op) (err error) {
		out, err = pageByID(opt, func(x Organization) string { return x.ID }, func(r Range) ([]Organization, error) {
			limit := r.Limit
			r.Limit = 0
			var found []Organization
			err := o.tx.Organizations(ctx, r, func(org Organization) error {
				if match(org) {
					found = append(found, org)
					if len(found) == limit {
						return errPageFull
					}
				}
				return nil
			})
			if errors.Is(err, errPageFull) {
				err = nil
			}
			return found, err
		})
		return err
	})
	return out, err
}

// containsFold reports whether s contains the lowercase lq, ignoring
// case. ASCII text is compared in place, without allocating; other text
// is lowercased first.
func containsFold(s, lq string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), lq)
		}
	}
	for i := 0; i+len(lq) <= len(s); i++ {
		j := 0
		for ; j < len(lq); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lq[j] {
				break
			}
		}
		if j == len(lq) {
			return true
		}
	}
	return false
}

// errPageFull stops a listing once a page is full.
var errPageFull = errors.New("rbac: page full")

// UpdateOrganization changes an organization's name, external id and/or
// metadata. An external id must not be another organization's
// ([ErrExternalIDAlreadyUsed]); an empty one removes it.
func (s *Service) UpdateOrganization(ctx context.Context, env, org string, u OrganizationUpdate) (Organization, error) {
	if u.Name != nil {
		if err := validateTextField("name", *u.Name, MaxOrganizationNameLen); err != nil {
			return Organization{}, err
		}
		if *u.Name == "" {
			return Organization{}, invalidf("name", "required", "name is required")
		}
	}
	ext := ""
	if u.ExternalID != nil {
		ext = *u.ExternalID
	}
	var md map[string]string
	if u.Metadata != nil {
		md = *u.Metadata
	}
	if err := validateOrganizationText("", ext, md); err != nil {
		return Organization{}, err
	}
	var out Organization
	err := s.update(ctx, env, false, false, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		out = o2
		changed := setIf(&o2.Name, u.Name)
		if u.ExternalID != nil && o2.ExternalID != ext {
			if err := o.externalIDFree(ext, o2.ID); err != nil {
				return err
			}
			o2.ExternalID, changed = ext, true
		}
		if u.Metadata != nil && !maps.Equal(o2.Metadata, md) {
			o2.Metadata, changed = cloneMetadata(md), true
		}
		if !changed {
			return nil
		}
		o2.UpdatedAt = o.now
		out = o2
		o.emitOrganization(EventOrganizationUpdated, o2, "")
		return o.tx.PutOrganization(ctx, o2)
	})
	return out, err
}

// DeleteOrganization deletes an organization with its roles, settings,
// memberships and group mappings (rule 9.6). The plan lists the
// organization roles deleted and counts the memberships deleted, listing
// up to MaxListedMemberships of them; every deleted membership has its
// organization_membership.deleted event. Only opt.DryRun applies.
func (s *Service) DeleteOrganization(ctx context.Context, env, org string, opt DeleteOptions) (DeletionPlan, error) {
	if err := opt.only("an organization", false, false); err != nil {
		return DeletionPlan{}, err
	}
	var plan DeletionPlan
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan = DeletionPlan{DryRun: opt.DryRun, OrganizationID: org}
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		roles, err := o.tx.OrganizationRoles(ctx, org)
		if err != nil {
			return err
		}
		for _, r := range roles {
			plan.Roles = append(plan.Roles, r.Ref())
		}
		st := o.settings(o2)
		err = o.tx.Memberships(ctx, MembershipQuery{OrganizationID: org}, func(m Membership) error {
			plan.MembershipCount++
			if plan.MembershipCount <= MaxListedMemberships {
				plan.Memberships = append(plan.Memberships, m.ID)
			}
			o.emitMembership(EventMembershipDeleted, present(m, st))
			return nil
		})
		if err != nil {
			return err
		}
		err = o.tx.GroupMappings(ctx, GroupMappingQuery{OrganizationID: org}, func(m GroupMapping) error {
			plan.GroupMappings = append(plan.GroupMappings, m)
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range roles {
			o.emitRole(EventRoleDeleted, r)
		}
		o.emitOrganization(EventOrganizationDeleted, o2, "")
		return o.tx.DeleteOrganization(ctx, org)
	})
	return plan, err
}

// OrganizationSettings returns the organization's effective default role
// and priority order: its own once it has them, else the environment's
// (rules 5.1, 6.3).
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
// default (rule 6.2). An organization that inherits gets its own settings,
// copied from the environment (rule 7.3).
func (s *Service) SetOrganizationDefaultRole(ctx context.Context, env, org, slug string) (Settings, error) {
	return s.changeSettings(ctx, env, org, func(o *op, o2 *Organization) (string, error) {
		if _, err := o.visibleRole(org, slug); err != nil {
			return "", err
		}
		o2.DefaultRole = slug
		return slug, nil
	})
}

// SetOrganizationPriorityOrder replaces the organization's priority order:
// order must hold every role visible in it exactly once (rule 7.2). An
// organization that inherits gets its own settings (rule 7.3).
func (s *Service) SetOrganizationPriorityOrder(ctx context.Context, env, org string, order []string) (Settings, error) {
	return s.changeSettings(ctx, env, org, func(o *op, o2 *Organization) (string, error) {
		visible, err := o.visibleRoles(org)
		if err != nil {
			return "", err
		}
		if err := checkPermutation(order, slugsOf(visible)); err != nil {
			return "", err
		}
		o2.PriorityOrder = slices.Clone(order)
		return "", nil
	})
}

// changeSettings forks the organization's settings if need be, applies
// change, and stores the organization when that changed it. change
// returns the default role it set, if it set one.
func (s *Service) changeSettings(ctx context.Context, env, org string, change func(*op, *Organization) (string, error)) (Settings, error) {
	var out Settings
	err := s.update(ctx, env, false, false, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		before := o2
		o.fork(&o2)
		role, err := change(o, &o2)
		if err != nil {
			return err
		}
		out = o.settings(o2)
		out.PriorityOrder = slices.Clone(out.PriorityOrder)
		if before.DefaultRole == o2.DefaultRole && slices.Equal(before.PriorityOrder, o2.PriorityOrder) {
			return nil
		}
		o2.UpdatedAt = o.now
		o.emitOrganization(EventOrganizationUpdated, o2, role)
		return o.tx.PutOrganization(ctx, o2)
	})
	return out, err
}

// ResolveRole returns, among candidate role slugs, the one highest in the
// organization's effective priority order (rule 7.4). Every candidate must
// be visible in the organization; with no candidates the answer is the
// organization's default role. It reads the organization's roles once,
// however many candidates there are.
func (s *Service) ResolveRole(ctx context.Context, env, org string, candidates []string) (string, error) {
	var out string
	err := s.view(ctx, env, func(o *op) error {
		o2, err := o.organization(org)
		if err != nil {
			return err
		}
		st := o.settings(o2)
		if len(candidates) == 0 {
			out = st.DefaultRole
			return nil
		}
		visible, err := o.visibleRoles(org)
		if err != nil {
			return err
		}
		known := make(map[string]bool, len(visible))
		for _, r := range visible {
			known[r.Slug] = true
		}
		for _, c := range candidates {
			if !known[c] {
				return invalidRole(c)
			}
		}
		out = Resolve(st.PriorityOrder, candidates)
		return nil
	})
	return out, err
}
