package authz

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

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
				Message: "environment \"" + a.env + "\" not found", Err: err}
		}
		if err != nil {
			return err
		}
		return fn(tx, e)
	})
}

// storeRevision returns the environment's current revision.
func (a *Authorizer) storeRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := a.view(ctx, func(_ rbac.Tx, e rbac.Environment) error {
		rev = e.Revision
		return nil
	})
	return rev, err
}

// listPermissions lists the environment's permissions, sorted by slug.
func listPermissions(ctx context.Context, tx rbac.Tx) ([]rbac.Permission, error) {
	var out []rbac.Permission
	err := tx.Permissions(ctx, rbac.Range{}, func(p rbac.Permission) error {
		out = append(out, p)
		return nil
	})
	slices.SortFunc(out, func(a, b rbac.Permission) int { return strings.Compare(a.Slug, b.Slug) })
	return out, err
}

func listEnvironmentRoles(ctx context.Context, tx rbac.Tx) ([]rbac.Role, error) {
	return tx.EnvironmentRoles(ctx)
}

func readOrganizationRole(ctx context.Context, tx rbac.Tx, org, slug string) (rbac.Role, error) {
	return tx.OrganizationRole(ctx, org, slug)
}

func readOrganization(ctx context.Context, tx rbac.Tx, org string) (rbac.Organization, error) {
	return tx.Organization(ctx, org)
}

// memberships returns the memberships q selects. (A listing's callback may
// not use the Tx, and records are built with reads: the memberships are
// collected first. The listings this is used for are as long as the change
// that asks for them.)
func memberships(ctx context.Context, tx rbac.Tx, q rbac.MembershipQuery) ([]rbac.Membership, error) {
	var out []rbac.Membership
	err := tx.Memberships(ctx, q, func(m rbac.Membership) error {
		out = append(out, m)
		return nil
	})
	return out, err
}

// bulkReads is the number of memberships named by one change above which
// they are read in one listing of the environment's active memberships
// rather than one by one: one statement instead of a round trip each.
var bulkReads = 2000

// namedMemberships returns the memberships of refs the store has, and
// calls gone with those it does not (or, read in bulk, that are not
// active).
func namedMemberships(ctx context.Context, tx rbac.Tx, refs []rbac.MembershipRef, gone func(rbac.MembershipRef)) ([]rbac.Membership, error) {
	var out []rbac.Membership
	if len(refs) <= bulkReads {
		for _, r := range refs {
			m, err := tx.Membership(ctx, r.ID)
			if errors.Is(err, rbac.ErrNotFound) {
				gone(r)
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	named := make(map[string]bool, len(refs))
	for _, r := range refs {
		named[r.ID] = false
	}
	err := tx.Memberships(ctx, rbac.MembershipQuery{Statuses: []rbac.MembershipStatus{rbac.StatusActive}}, func(m rbac.Membership) error {
		if seen, ok := named[m.ID]; ok && !seen {
			named[m.ID] = true
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if !named[r.ID] {
			gone(r)
		}
	}
	return out, nil
}

// holders returns the memberships of org holding its organization role
// slug, whatever their status.
func holders(ctx context.Context, tx rbac.Tx, org, slug string) ([]rbac.Membership, error) {
	return memberships(ctx, tx, rbac.MembershipQuery{OrganizationID: org, Role: slug})
}

// multiRole returns the memberships of org holding several roles,
// whatever their status.
func multiRole(ctx context.Context, tx rbac.Tx, org string) ([]rbac.Membership, error) {
	return memberships(ctx, tx, rbac.MembershipQuery{OrganizationID: org, MultipleRoles: true})
}

// membershipsOf returns every membership of org, whatever its status.
func membershipsOf(ctx context.Context, tx rbac.Tx, org string) ([]rbac.Membership, error) {
	return memberships(ctx, tx, rbac.MembershipQuery{OrganizationID: org})
}

// defaultLister is what a Tx may offer beside Organization: the default
// roles of the organizations with settings of their own, in one listing
// (memstore and pgstore have it).
type defaultLister interface {
	EachOrganizationDefaultRole(ctx context.Context, fn func(org, role string) error) error
}

// grantLister is what a Tx may offer beside EachOrganizationRole: the
// same listing with only what a load uses (pgstore has it).
type grantLister interface {
	EachOrganizationRoleGrant(ctx context.Context, fn func(org, slug string, permissions []string) error) error
}

// loadAll reads, for a full load, every active membership and calls fn
// with each and a source of the organization roles and settings its
// record needs, in three streaming listings whatever the environment's
// size: every organization role (kept as a bitset), every active
// membership, and — for the few memberships with several roles, kept
// aside until then — their organizations' settings (one by one when they
// are few, else in one listing). The listings and what is built from
// them run on two goroutines (see pipe).
func loadAll(ctx context.Context, tx rbac.Tx, s *source, fn func(m *rbac.Membership) error) error {
	sorted := true
	list := func(put func(rbac.Role) error) error { return tx.EachOrganizationRole(ctx, put) }
	if g, ok := tx.(grantLister); ok {
		list = func(put func(rbac.Role) error) error {
			return g.EachOrganizationRoleGrant(ctx, func(org, slug string, perms []string) error {
				return put(rbac.Role{OrganizationID: org, Slug: slug, Permissions: perms})
			})
		}
	}
	err := pipe(list, func(r *rbac.Role) error {
		l := listedRole{ref: rbac.RoleRef{OrganizationID: r.OrganizationID, Slug: r.Slug}, r: s.roleOf(r.Permissions)}
		if n := s.listed.n; n > 0 && compareRef(s.listed.at(n-1).ref, l.ref) >= 0 {
			sorted = false
		}
		s.listed.add(l)
		return nil
	})
	if err != nil {
		return err
	}
	if !sorted {
		s.listed.sort()
	}
	s.complete = true // a role not listed does not exist
	var multi []rbac.Membership
	orgs := map[string]bool{}
	q := rbac.MembershipQuery{Statuses: []rbac.MembershipStatus{rbac.StatusActive}}
	err = pipe(func(put func(rbac.Membership) error) error { return tx.Memberships(ctx, q, put) }, func(m *rbac.Membership) error {
		if len(m.Roles) > 1 {
			multi = append(multi, *m)
			orgs[m.OrganizationID] = true
			return nil
		}
		return fn(m)
	})
	if err != nil {
		return err
	}
	if len(orgs) > bulkReads {
		err := tx.Organizations(ctx, rbac.Range{}, func(o rbac.Organization) error {
			if orgs[o.ID] {
				s.orgs[o.ID] = orgOrder{order: o.PriorityOrder, own: o.HasOwnSettings()}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range multi {
		if err := fn(&multi[i]); err != nil {
			return err
		}
	}
	return nil
}

// pipe runs a listing on this goroutine and consume on another, handing
// the records over in batches: the store reads and decodes while records
// are built. It returns the first error of either.
func pipe[T any](list func(put func(T) error) error, consume func(*T) error) error {
	const size = 512
	batches := make(chan []T, 8)
	free := make(chan []T, 10)
	var failed atomic.Pointer[error]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			if failed.Load() == nil {
				for i := range b {
					if err := consume(&b[i]); err != nil {
						failed.CompareAndSwap(nil, &err)
						break
					}
				}
			}
			clear(b)
			select {
			case free <- b[:0]:
			default:
			}
		}
	}()
	var cur []T
	err := list(func(x T) error {
		if p := failed.Load(); p != nil {
			return *p
		}
		if cur == nil {
			select {
			case cur = <-free:
			default:
				cur = make([]T, 0, size)
			}
		}
		cur = append(cur, x)
		if len(cur) == size {
			batches <- cur
			cur = nil
		}
		return nil
	})
	if len(cur) > 0 && err == nil {
		batches <- cur
	}
	close(batches)
	<-done
	if p := failed.Load(); p != nil {
		return *p
	}
	return err
}

// organizationDefaults sets, for each organization of need, its
// effective default role in an environment whose record is env. It reads
// them one by one while reads are cheap (an in-memory store): once 64
// reads have taken more than 10 µs each on average (round trips to a
// server), it reads the rest in one listing of the organizations.
func organizationDefaults(ctx context.Context, tx rbac.Tx, env rbac.Environment, need map[string]string) error {
	const probe, cheap = 64, 10 * time.Microsecond
	start, n := time.Now(), 0
	left := len(need)
	for id := range need {
		if n == probe && time.Since(start) > probe*cheap {
			break
		}
		o, err := tx.Organization(ctx, id)
		if err != nil {
			return err
		}
		need[id] = rbac.EffectiveSettings(env, o).DefaultRole
		n++
		left--
	}
	if left == 0 {
		return nil
	}
	return tx.Organizations(ctx, rbac.Range{}, func(o rbac.Organization) error {
		if _, ok := need[o.ID]; ok {
			need[o.ID] = rbac.EffectiveSettings(env, o).DefaultRole
		}
		return nil
	})
}

// membershipsOfPairs returns the memberships of the (organization, user)
// pairs the store has, and calls gone with those it does not (or, read in
// bulk, that are not active): one read each when they are few, else one
// listing of the environment's active memberships.
func membershipsOfPairs(ctx context.Context, tx rbac.Tx, pairs [][2]string, gone func(org, user string)) ([]rbac.Membership, error) {
	var out []rbac.Membership
	if len(pairs) <= bulkReads {
		for _, p := range pairs {
			m, err := tx.MembershipOf(ctx, p[0], p[1])
			if errors.Is(err, rbac.ErrNotFound) {
				gone(p[0], p[1])
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	named := make(map[[2]string]bool, len(pairs))
	for _, p := range pairs {
		named[p] = false
	}
	err := tx.Memberships(ctx, rbac.MembershipQuery{Statuses: []rbac.MembershipStatus{rbac.StatusActive}}, func(m rbac.Membership) error {
		k := [2]string{m.OrganizationID, m.UserID}
		if seen, ok := named[k]; ok && !seen {
			named[k] = true
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		if !named[p] {
			gone(p[0], p[1])
		}
	}
	return out, nil
}
