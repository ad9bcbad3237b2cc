package rbac

import (
	"context"
	"errors"
)

// CreatePermission creates a permission (rule 3.1).
func (s *Service) CreatePermission(ctx context.Context, env string, in PermissionInput) (Permission, error) {
	if err := ValidatePermissionSlug(in.Slug); err != nil {
		return Permission{}, err
	}
	if err := validateText(in.Name, in.Description); err != nil {
		return Permission{}, err
	}
	var out Permission
	err := s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.tx.Permission(ctx, in.Slug); err == nil {
			return conflict(CodePermissionSlugConflict, "a permission with slug %q already exists", in.Slug)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, err := s.newID("perm")
		if err != nil {
			return err
		}
		out = Permission{ID: id, Slug: in.Slug, Name: in.Name, Description: in.Description,
			System: in.System, CreatedAt: o.now, UpdatedAt: o.now}
		o.emitPermission(EventPermissionCreated, out)
		return o.tx.PutPermission(ctx, out)
	})
	if err != nil {
		return Permission{}, err
	}
	return out, nil
}

// UpdatePermission changes a permission's name and/or description.
func (s *Service) UpdatePermission(ctx context.Context, env, slug string, u PermissionUpdate) (Permission, error) {
	if err := validateUpdate(u.Name, u.Description); err != nil {
		return Permission{}, err
	}
	var out Permission
	err := s.update(ctx, env, false, false, func(o *op) error {
		p, err := o.permission(slug)
		if err != nil {
			return err
		}
		out = p
		changed := setIf(&p.Name, u.Name)
		changed = setIf(&p.Description, u.Description) || changed
		if !changed {
			return nil
		}
		p.UpdatedAt = o.now
		out = p
		o.emitPermission(EventPermissionUpdated, p)
		return o.tx.PutPermission(ctx, p)
	})
	return out, err
}

// setIf sets *dst to *v when v is not nil, and reports whether that
// changed *dst.
func setIf[T comparable](dst *T, v *T) bool {
	if v == nil || *dst == *v {
		return false
	}
	*dst = *v
	return true
}

// GetPermission returns a permission by slug.
func (s *Service) GetPermission(ctx context.Context, env, slug string) (Permission, error) {
	var out Permission
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.permission(slug)
		return err
	})
	return out, err
}

// ListPermissions lists the environment's permissions, ordered by id (the
// order of creation).
func (s *Service) ListPermissions(ctx context.Context, env string, opt ListOptions) (Page[Permission], error) {
	opt, err := opt.check()
	if err != nil {
		return Page[Permission]{}, err
	}
	var out Page[Permission]
	err = s.view(ctx, env, func(o *op) (err error) {
		out, err = pageByID(opt, func(p Permission) string { return p.ID }, func(r Range) ([]Permission, error) {
			return collect(func(fn func(Permission) error) error { return o.tx.Permissions(ctx, r, fn) })
		})
		return err
	})
	return out, err
}

// DeletePermission deletes a permission and removes it from every role,
// environment and organization roles alike, atomically (rule 3.3). System
// permissions cannot be deleted. The plan lists the roles that lost it.
// Only opt.DryRun applies.
func (s *Service) DeletePermission(ctx context.Context, env, slug string, opt DeleteOptions) (DeletionPlan, error) {
	if err := opt.only("a permission", false, false); err != nil {
		return DeletionPlan{}, err
	}
	plan := DeletionPlan{Permission: slug, DryRun: opt.DryRun}
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan.Roles = nil
		p, err := o.permission(slug)
		if err != nil {
			return err
		}
		if p.System {
			return conflict(CodeSystemPermission, "permission %q is a system permission and cannot be deleted", slug)
		}
		err = o.tx.DeletePermission(ctx, slug, o.now, func(r Role) error {
			plan.Roles = append(plan.Roles, r.Ref())
			o.emitRole(EventRoleUpdated, r)
			return nil
		})
		if err != nil {
			return err
		}
		o.emitPermission(EventPermissionDeleted, p)
		return nil
	})
	return plan, err
}
