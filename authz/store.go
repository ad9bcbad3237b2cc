package authz

import (
	"context"
	"errors"

	"github.com/orgroles/rbac"
)

// Every read of the Store the authorizer makes is in this file.

// view runs fn in a read-only transaction of the environment, with its
// record.
func (a *Authorizer) view(ctx context.Context, fn func(tx rbac.Tx, e rbac.Environment) error) error {
	return a.svc.Store().View(ctx, a.env, func(tx rbac.Tx) error {
		e, err := tx.Environment(ctx)
		if errors.Is(err, rbac.ErrNotFound) {
			return &rbac.Error{Kind: rbac.KindNotFound, Code: rbac.CodeEnvironmentNotFound,
				Message: "environment " + quote(a.env) + " not found", Err: err}
		}
		if err != nil {
			return err
		}
		return fn(tx, e)
	})
}

func quote(s string) string { return "\"" + s + "\"" }

// storeRevision returns the environment's current revision.
func (a *Authorizer) storeRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := a.view(ctx, func(_ rbac.Tx, e rbac.Environment) error {
		rev = e.Revision
		return nil
	})
	return rev, err
}

func listPermissions(ctx context.Context, tx rbac.Tx) ([]rbac.Permission, error) {
	return tx.Permissions(ctx)
}

func listEnvironmentRoles(ctx context.Context, tx rbac.Tx) ([]rbac.Role, error) {
	return tx.Roles(ctx, "")
}

func readOrganizationRole(ctx context.Context, tx rbac.Tx, org, slug string) (rbac.Role, error) {
	return tx.Role(ctx, org, slug)
}

func readOrganization(ctx context.Context, tx rbac.Tx, org string) (rbac.Organization, error) {
	return tx.Organization(ctx, org)
}

// bulkReads is the number of memberships named by one change above which
// they are read in one listing of the environment's active memberships
// rather than one by one: one statement instead of a round trip each.
var bulkReads = 2000

// eachNamed calls found with every membership refs names that the store
// has, and gone with those it does not (or, read in bulk, that are not
// active).
func eachNamed(ctx context.Context, tx rbac.Tx, refs []rbac.MembershipRef, found func(rbac.Membership) error, gone func(rbac.MembershipRef)) error {
	if len(refs) <= bulkReads {
		for _, r := range refs {
			m, err := tx.Membership(ctx, r.ID)
			if errors.Is(err, rbac.ErrNotFound) {
				gone(r)
				continue
			}
			if err != nil {
				return err
			}
			if err := found(m); err != nil {
				return err
			}
		}
		return nil
	}
	named := make(map[string]bool, len(refs))
	for _, r := range refs {
		named[r.ID] = false
	}
	ms, err := tx.Memberships(ctx, rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusActive}})
	if err != nil {
		return err
	}
	for i := range ms {
		if seen, ok := named[ms[i].ID]; ok && !seen {
			named[ms[i].ID] = true
			if err := found(ms[i]); err != nil {
				return err
			}
		}
		ms[i] = rbac.Membership{}
	}
	for _, r := range refs {
		if !named[r.ID] {
			gone(r)
		}
	}
	return nil
}

// eachHolder calls fn with every membership of org holding its
// organization role slug.
func eachHolder(ctx context.Context, tx rbac.Tx, org, slug string, fn func(rbac.Membership) error) error {
	ids, err := tx.RoleHolders(ctx, org, slug)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, err := tx.Membership(ctx, id)
		if errors.Is(err, rbac.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

// eachMultiRole calls fn with every membership of org holding several
// roles, whatever its status.
func eachMultiRole(ctx context.Context, tx rbac.Tx, org string, fn func(rbac.Membership) error) error {
	ms, err := tx.Memberships(ctx, rbac.MembershipFilter{OrganizationID: org, MultipleRoles: true})
	if err != nil {
		return err
	}
	for i := range ms {
		if err := fn(ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// eachMembershipOf calls fn with every membership of org, whatever its
// status.
func eachMembershipOf(ctx context.Context, tx rbac.Tx, org string, fn func(rbac.Membership) error) error {
	ms, err := tx.Memberships(ctx, rbac.MembershipFilter{OrganizationID: org})
	if err != nil {
		return err
	}
	for i := range ms {
		if err := fn(ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// loadAll reads, for a full load, every active membership and the
// organization roles and settings their records need, and calls fn with
// each membership, a source of those roles and settings, and the number
// of active memberships. It reads the memberships first, then the roles of
// the organizations whose members hold organization roles, and the
// settings of those whose members hold several roles. (The Store's
// streaming listings will make this a constant number of queries.)
func loadAll(ctx context.Context, tx rbac.Tx, fn func(m *rbac.Membership, s *source, n int) error) error {
	ms, err := tx.Memberships(ctx, rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusActive}})
	if err != nil {
		return err
	}
	s := newSource(ctx, tx)
	roles := map[string]bool{}
	orgs := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		if len(m.Roles) > 1 {
			orgs[m.OrganizationID] = true
		}
		for _, r := range m.Roles {
			if rbac.IsOrganizationRoleSlug(r) {
				roles[m.OrganizationID] = true
			}
		}
	}
	for org := range roles {
		rs, err := tx.Roles(ctx, org)
		if err != nil {
			return err
		}
		for _, r := range rs {
			s.roles[rbac.RoleRef{OrganizationID: org, Slug: r.Slug}] = orgRole{perms: r.Permissions, ok: true}
		}
	}
	for org := range orgs {
		if _, err := s.order(org); err != nil {
			return err
		}
	}
	for i := range ms {
		if err := fn(&ms[i], s, len(ms)); err != nil {
			return err
		}
		ms[i] = rbac.Membership{} // let the listing go as records are built
	}
	return nil
}
