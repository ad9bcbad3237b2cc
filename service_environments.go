package rbac

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// CreateEnvironment creates an environment seeded with the environment role
// "member", which is its default role and the whole of its priority order
// (rule 4.1). Multiple-roles mode starts off.
func (s *Service) CreateEnvironment(ctx context.Context, in EnvironmentInput) (Environment, error) {
	if err := ValidateRoleSlug(in.ID); err != nil {
		e := err.(*Error)
		e.Field = "id"
		e.Message = strings.Replace(e.Message, "role slug", "environment id", 1)
		return Environment{}, e
	}
	name := in.Name
	if name == "" {
		name = in.ID
	}
	if err := validateName(name); err != nil {
		return Environment{}, err
	}
	err := s.update(ctx, in.ID, true, false, func(o *op) error {
		if _, err := o.tx.Environment(ctx); err == nil {
			return conflict(CodeEnvironmentExists, "environment %q already exists", in.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, err := s.newID("role")
		if err != nil {
			return err
		}
		member := Role{ID: id, Slug: "member", Name: "Member", Type: EnvironmentRole,
			Permissions: []string{}, CreatedAt: o.now, UpdatedAt: o.now}
		o.env = Environment{ID: in.ID, Name: name, DefaultRole: member.Slug,
			PriorityOrder: []string{member.Slug}, CreatedAt: o.now, UpdatedAt: o.now}
		if err := o.tx.PutEnvironment(ctx, o.env); err != nil {
			return err
		}
		if err := o.tx.PutRole(ctx, member); err != nil {
			return err
		}
		o.emit(Event{Type: EventEnvironmentCreated})
		o.emitRole(EventRoleCreated, member)
		return nil
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, in.ID)
}

// GetEnvironment returns an environment with its settings and revision.
func (s *Service) GetEnvironment(ctx context.Context, env string) (Environment, error) {
	var out Environment
	err := s.view(ctx, env, func(o *op) error { out = o.env; return nil })
	return out, err
}

// Environments lists the ids of every environment in the store, sorted.
func (s *Service) Environments(ctx context.Context) ([]string, error) {
	ids, err := s.store.Environments(ctx)
	return ids, internal(err)
}

// DeleteEnvironment deletes an environment and everything in it:
// permissions, roles, organizations, memberships and group mappings. It
// emits one event, environment.deleted.
func (s *Service) DeleteEnvironment(ctx context.Context, env string) error {
	return s.update(ctx, env, false, false, func(o *op) error {
		if err := o.tx.DeleteEnvironment(ctx); err != nil {
			return err
		}
		o.deleted = true
		o.emit(Event{Type: EventEnvironmentDeleted})
		return nil
	})
}

// SetDefaultRole makes the environment role slug the environment default
// (rule 6.2). Organizations without their own settings follow it.
func (s *Service) SetDefaultRole(ctx context.Context, env, slug string) (Environment, error) {
	var cur *op
	err := s.update(ctx, env, false, false, func(o *op) error {
		cur = o
		if _, err := o.envRole(slug); err != nil {
			return err
		}
		if o.env.DefaultRole != slug {
			o.env.DefaultRole = slug
			o.emit(Event{Type: EventEnvironmentUpdated, RoleSlug: slug})
			if err := o.putEnv(); err != nil {
				return err
			}
		}
		return nil
	})
	return envOf(cur, err)
}

// SetPriorityOrder replaces the environment priority order. order must hold
// every environment role exactly once (rule 7.2).
func (s *Service) SetPriorityOrder(ctx context.Context, env string, order []string) (Environment, error) {
	var cur *op
	err := s.update(ctx, env, false, false, func(o *op) error {
		cur = o
		roles, err := o.tx.EnvironmentRoles(ctx)
		if err != nil {
			return err
		}
		if err := checkPermutation(order, slugsOf(roles)); err != nil {
			return err
		}
		if !slices.Equal(order, o.env.PriorityOrder) {
			o.env.PriorityOrder = slices.Clone(order)
			o.emit(Event{Type: EventEnvironmentUpdated})
			if err := o.putEnv(); err != nil {
				return err
			}
		}
		return nil
	})
	return envOf(cur, err)
}

// SetMultipleRoles turns multiple-roles mode on or off. Turning it off
// keeps, on every membership, only its highest-priority role (rule 8.7).
func (s *Service) SetMultipleRoles(ctx context.Context, env string, on bool) (Environment, error) {
	var cur *op
	err := s.update(ctx, env, false, false, func(o *op) error {
		cur = o
		if o.env.MultipleRoles == on {
			return nil
		}
		o.env.MultipleRoles = on
		if err := o.putEnv(); err != nil {
			return err
		}
		o.emit(Event{Type: EventEnvironmentUpdated})
		if on {
			return nil
		}
		ms, err := collect(func(fn func(Membership) error) error {
			return o.tx.Memberships(ctx, MembershipQuery{MultipleRoles: true}, fn)
		})
		if err != nil {
			return err
		}
		settingsOf := o.settingsCache()
		for _, m := range ms {
			st, err := settingsOf(m.OrganizationID)
			if err != nil {
				return err
			}
			sortByPriority(m.Roles, st.PriorityOrder)
			m.Roles = m.Roles[:1]
			m.UpdatedAt = o.now
			if err := o.tx.PutMembership(ctx, m); err != nil {
				return err
			}
			o.emitMembership(EventMembershipUpdated, present(m, st))
		}
		return nil
	})
	return envOf(cur, err)
}

// collect gathers the records a listing method hands to its callback.
func collect[T any](list func(fn func(T) error) error) ([]T, error) {
	var out []T
	err := list(func(x T) error { out = append(out, x); return nil })
	return out, err
}

// envOf returns the environment a write call left, with the revision it
// committed at.
func envOf(o *op, err error) (Environment, error) {
	if err != nil {
		return Environment{}, err
	}
	return o.env, nil
}
