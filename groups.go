package rbac

import (
	"context"
	"errors"
	"slices"
	"time"
)

// GroupSource tells which identity-provider channel a group comes from
// (SPEC 10.1).
type GroupSource string

// Group sources.
const (
	GroupSourceDirectory GroupSource = "directory" // Directory Sync groups
	GroupSourceSSO       GroupSource = "sso"       // groups asserted at SSO login
)

func (s GroupSource) valid() bool { return s == GroupSourceDirectory || s == GroupSourceSSO }

// A GroupMapping maps an external group of an organization's identity
// provider to a role visible in that organization (SPEC 10.1).
type GroupMapping struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organization_id"`
	Source         GroupSource `json:"source"`
	GroupID        string      `json:"group_id"`
	Role           string      `json:"role"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
}

// GroupMappingInput describes a group-to-role mapping to create.
type GroupMappingInput struct {
	Source  GroupSource // GroupSourceDirectory or GroupSourceSSO
	GroupID string      // the identity provider's group id
	Role    string      // a role visible in the organization
}

// precedence ranks role sources (SPEC 10.2): an explicit directory mapping
// beats an explicit SSO mapping, which beats a manual assignment, which
// beats the SSO default mapping (the default role).
func (s RoleSource) precedence() int {
	switch s {
	case SourceDirectory:
		return 3
	case SourceSSO:
		return 2
	case SourceManual, "":
		return 1
	default: // SourceSSODefault
		return 0
	}
}

// CreateGroupMapping maps an identity-provider group of the organization to
// a role visible in it (SPEC 10.1); a role that is not is [ErrInvalidRole].
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
		existing, err := o.tx.GroupMappings(ctx, org)
		if err != nil {
			return err
		}
		for _, m := range existing {
			if m.Source == in.Source && m.GroupID == in.GroupID {
				return conflict(CodeGroupMappingConflict, "%s group %q of organization %q is already mapped to role %q", in.Source, in.GroupID, org, m.Role)
			}
		}
		id, err := s.newID("grm")
		if err != nil {
			return err
		}
		out = GroupMapping{ID: id, OrganizationID: org, Source: in.Source, GroupID: in.GroupID, Role: in.Role, CreatedAt: o.now, UpdatedAt: o.now}
		o.emit(Event{Type: EventGroupMappingCreated, OrganizationID: org, GroupID: in.GroupID, RoleSlug: in.Role})
		return o.tx.PutGroupMapping(ctx, out)
	})
	return out, err
}

// ListGroupMappings lists the organization's group mappings, ordered by
// source and group id.
func (s *Service) ListGroupMappings(ctx context.Context, env, org string) ([]GroupMapping, error) {
	var out []GroupMapping
	err := s.view(ctx, env, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		var err error
		out, err = o.tx.GroupMappings(ctx, org)
		return err
	})
	return out, err
}

// DeleteGroupMapping deletes a mapping. Members keep the roles they have
// until their next sync, which no longer sees the mapping (SPEC 10.4).
func (s *Service) DeleteGroupMapping(ctx context.Context, env, org string, source GroupSource, group string) error {
	return s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.organization(org); err != nil {
			return err
		}
		if err := o.tx.DeleteGroupMapping(ctx, org, source, group); errors.Is(err, ErrNotFound) {
			return notFound(CodeGroupMappingNotFound, "%s group %q of organization %q is not mapped", source, group, org)
		} else if err != nil {
			return err
		}
		o.emit(Event{Type: EventGroupMappingDeleted, OrganizationID: org, GroupID: group})
		return nil
	})
}

// SyncInput says that a user, in an organization, is now in exactly these
// groups of one source: what a directory sync or an SSO login reports.
type SyncInput struct {
	OrganizationID string
	UserID         string
	Source         GroupSource
	Groups         []string
}

// SyncResult reports what a sync did.
type SyncResult struct {
	Membership Membership `json:"membership"`
	// Applied is false when the membership's current roles come from a
	// source of higher precedence, which the sync left in place.
	Applied bool `json:"applied"`
	// Created is true when the sync created the membership.
	Created bool `json:"created"`
}

// SyncGroups resolves a user's roles from their groups (SPEC 10.3):
//
//   - single-role mode: the mapped role highest in the organization's
//     priority order wins;
//   - multiple-roles mode: every mapped role applies;
//   - no group mapped: the organization's default role (the SSO default
//     mapping), with source [SourceSSODefault] whichever the channel.
//
// Explicitly mapped roles get source [SourceDirectory] or [SourceSSO].
// The result replaces the membership's roles unless they come from a
// source of higher precedence (SPEC 10.2): directory > SSO > manual > SSO
// default. A channel always overrides its own earlier result, so removing
// the winning group's mapping resets the member to the default role on the
// next sync of that channel (SPEC 10.4), and a manual change lasts until
// the next sync that maps a group. A user without a membership gets an
// active one; the status of an existing membership is left as it is.
func (s *Service) SyncGroups(ctx context.Context, env string, in SyncInput) (SyncResult, error) {
	if !in.Source.valid() {
		return SyncResult{}, invalidf("source", `"directory" or "sso"`, "unknown group source %q", in.Source)
	}
	if err := validateID("user_id", in.UserID, MaxIDLen); err != nil {
		return SyncResult{}, err
	}
	if in.OrganizationID == "" {
		return SyncResult{}, invalidf("organization_id", "required", "organization_id is required")
	}
	var out SyncResult
	err := s.update(ctx, env, false, false, func(o *op) error {
		org, err := o.organization(in.OrganizationID)
		if err != nil {
			return err
		}
		mappings, err := o.tx.GroupMappings(ctx, org.ID)
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
			o.emitMembership(EventMembershipCreated, m)
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
			o.emitMembership(EventMembershipUpdated, m)
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
