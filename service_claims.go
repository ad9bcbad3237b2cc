package rbac

import (
	"context"
	"errors"
)

// Claims computes the session claims of user in org from the store. Only an
// active membership has claims: an inactive, pending or missing one is an
// [ErrNotFound] error with code organization_membership_not_found.
//
// This reads the store on every call; request paths should use an
// authorizer that serves claims from memory.
func (s *Service) Claims(ctx context.Context, env, org, user string) (Claims, error) {
	var out Claims
	err := s.view(ctx, env, func(o *op) error {
		c, ok, err := o.claims(org, user)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(CodeMembershipNotFound, "user %q has no active membership in organization %q", user, org)
		}
		out = c
		return nil
	})
	return out, err
}

// Can reports whether user has an active membership in org one of whose
// roles holds the permission (rule 11.2). A missing organization or
// membership is a plain false. It reads the store on every call; it is the
// reference the in-memory authorizer is checked against.
func (s *Service) Can(ctx context.Context, env, org, user, permission string) (bool, error) {
	var ok bool
	err := s.view(ctx, env, func(o *op) error {
		c, active, err := o.claims(org, user)
		ok = active && c.Has(permission)
		return err
	})
	return ok, err
}

// claims computes the claims of user in org; ok is false when there is no
// active membership.
func (o *op) claims(org, user string) (c Claims, ok bool, err error) {
	if !validID(org) || !validID(user) {
		return c, false, nil // no such membership can exist
	}
	o2, err := o.tx.Organization(o.ctx, org)
	if errors.Is(err, ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	m, err := o.tx.MembershipOf(o.ctx, org, user)
	if errors.Is(err, ErrNotFound) {
		return c, false, nil
	}
	if err != nil || m.Status != StatusActive {
		return c, false, err
	}
	m = present(m, o.settings(o2))
	perms := []string{}
	for _, slug := range m.Roles {
		r, err := o.visibleRole(org, slug)
		if err != nil {
			return c, false, err
		}
		perms = append(perms, r.Permissions...)
	}
	return Claims{OrganizationID: org, Role: m.Role, Roles: m.Roles, Permissions: sortedUnique(perms)}, true, nil
}
