package rbac

import (
	"context"
	"errors"
	"slices"
)

// CreateGroupMapping maps an identity-provider group of the organization to
// a role visible in it (rule 10.1); a role that is not is [ErrInvalidRole].
// A group maps to one role per source: mapping it again is
// [ErrGroupMappingConflict] (delete the mapping first). The SSO "default"
// mapping is not a mapping: it is the organization's default role.
func (s *Service) CreateGroupMapping(ctx context.Context, env, org string, in GroupMappingInput) (GroupMapping, error) {
	if !in.Source.valid() {
		return GroupMapping{}, invalidf("source", `"directory" or "sso"`, "unknown group source %q", in.Source)
	}
	if err := validateID("group_id", in.GroupID, MaxIDLen); err != nil {
		return GroupMapping{}, err
	}
	var out GroupMapping
	err := s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		if _, err := o.visibleRole(org, in.Role); err != nil {
			return err
		}
		if m, ok, err := o.mapping(org, in.Source, in.GroupID); err != nil {
			return err
		} else if ok {
			return conflict(CodeGroupMappingConflict, "%s group %q of organization %q is already mapped to role %q", in.Source, in.GroupID, org, m.Role)
		}
		id, err := s.newID("grm")
		if err != nil {
			return err
		}
		out = GroupMapping{ID: id, OrganizationID: org, Source: in.Source, GroupID: in.GroupID, Role: in.Role, CreatedAt: o.now, UpdatedAt: o.now}
		o.emitMapping(EventGroupMappingCreated, out)
		return o.tx.PutGroupMapping(ctx, out)
	})
	return out, err
}

// mapping returns the mapping of a group of org, if there is one.
func (o *op) mapping(org string, source GroupSource, group string) (GroupMapping, bool, error) {
	var out GroupMapping
	found := false
	err := o.tx.GroupMappings(o.ctx, GroupMappingQuery{OrganizationID: org}, func(m GroupMapping) error {
		if m.Source == source && m.GroupID == group {
			out, found = m, true
		}
		return nil
	})
	return out, found, err
}

// ListGroupMappings lists the organization's group mappings, ordered by id
// (the order of creation).
func (s *Service) ListGroupMappings(ctx context.Context, env, org string, opt ListOptions) (Page[GroupMapping], error) {
	opt, err := opt.check()
	if err != nil {
		return Page[GroupMapping]{}, err
	}
	var out Page[GroupMapping]
	err = s.view(ctx, env, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		out, err = pageByID(opt, func(m GroupMapping) string { return m.ID }, func(r Range) ([]GroupMapping, error) {
			return collect(func(fn func(GroupMapping) error) error {
				return o.tx.GroupMappings(ctx, GroupMappingQuery{OrganizationID: org, Range: r}, fn)
			})
		})
		return err
	})
	return out, err
}

// DeleteGroupMapping deletes a mapping. Members keep the roles they have
// until their next sync, which no longer sees the mapping (rule 10.4).
func (s *Service) DeleteGroupMapping(ctx context.Context, env, org string, source GroupSource, group string) error {
	return s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		m, ok, err := o.mapping(org, source, group)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(CodeGroupMappingNotFound, "%s group %q of organization %q is not mapped", source, group, org)
		}
		if err := o.tx.DeleteGroupMapping(ctx, org, source, group); err != nil {
			return err
		}
		o.emitMapping(EventGroupMappingDeleted, m)
		return nil
	})
}

// SyncGroups resolves a user's roles from their groups (rule 10.3):
//
//   - single-role mode: the mapped role highest in the organization's
//     priority order wins;
//   - multiple-roles mode: every mapped role applies;
//   - no group mapped: the organization's default role (the SSO default
//     mapping), with source [SourceSSODefault] whichever the channel.
//
// Explicitly mapped roles get source [SourceDirectory] or [SourceSSO].
// The result replaces the membership's roles unless they come from a
// source of higher precedence (rule 10.2): directory > SSO > manual > SSO
// default. A channel always overrides its own earlier result, so removing
// the winning group's mapping resets the member to the default role on the
// next sync of that channel (rule 10.4), and a manual change lasts until
// the next sync that maps a group. A user without a membership gets an
// active one; the status of an existing membership is left as it is.
func (s *Service) SyncGroups(ctx context.Context, env string, in SyncInput) (SyncResult, error) {
	if !in.Source.valid() {
		return SyncResult{}, invalidf("source", `"directory" or "sso"`, "unknown group source %q", in.Source)
	}
	if err := validateID("user_id", in.UserID, MaxIDLen); err != nil {
		return SyncResult{}, err
	}
	if err := validateID("organization_id", in.OrganizationID, MaxIDLen); err != nil {
		return SyncResult{}, err
	}
	var out SyncResult
	err := s.update(ctx, env, false, false, func(o *op) error {
		org, err := o.organization(in.OrganizationID)
		if err != nil {
			return err
		}
		mappings, err := collect(func(fn func(GroupMapping) error) error {
			return o.tx.GroupMappings(ctx, GroupMappingQuery{OrganizationID: org.ID}, fn)
		})
		if err != nil {
			return err
		}
		groups := map[string]bool{}
		for _, g := range in.Groups {
			groups[g] = true
		}
		var mapped []string
		for _, m := range mappings {
			if m.Source == in.Source && groups[m.GroupID] {
				mapped = append(mapped, m.Role)
			}
		}
		mapped = sortedUnique(mapped)
		st := o.settings(org)
		var roles []string
		var source RoleSource
		switch {
		case len(mapped) == 0:
			roles, source = []string{st.DefaultRole}, SourceSSODefault
		case o.env.MultipleRoles:
			roles = mapped
		default:
			roles = []string{Resolve(st.PriorityOrder, mapped)}
		}
		if len(mapped) > 0 {
			source = SourceSSO
			if in.Source == GroupSourceDirectory {
				source = SourceDirectory
			}
		}
		m, err := o.tx.MembershipOf(ctx, org.ID, in.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			id, err := s.newID("om")
			if err != nil {
				return err
			}
			m = Membership{ID: id, UserID: in.UserID, OrganizationID: org.ID, Status: StatusActive,
				Roles: roles, RoleSource: source, CreatedAt: o.now, UpdatedAt: o.now}
			out.Created, out.Applied = true, true
			o.emitMembership(EventMembershipCreated, present(m, st))
		case err != nil:
			return err
		default:
			if source.precedence() < m.RoleSource.precedence() && m.RoleSource != channelSource(in.Source) {
				out.Membership = present(m, st)
				return nil
			}
			out.Applied = true
			sortByPriority(roles, st.PriorityOrder)
			cur := present(m, st)
			if slices.Equal(cur.Roles, roles) && m.RoleSource == source {
				out.Membership = cur
				return nil
			}
			m.Roles, m.RoleSource, m.UpdatedAt = roles, source, o.now
			o.emitMembership(EventMembershipUpdated, present(m, st))
		}
		out.Membership = present(m, st)
		return o.tx.PutMembership(ctx, m)
	})
	return out, err
}

// channelSource is the explicit role source of a group channel.
func channelSource(g GroupSource) RoleSource {
	if g == GroupSourceDirectory {
		return SourceDirectory
	}
	return SourceSSO
}
