package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgroles/rbac"
)

// checkStore reads the store directly, in one read-only transaction per
// environment, and checks the query methods of the Store contract against
// the model: the indexes a Store keeps for bulk operations (holders of a
// role, organizations by default role, mappings by role, memberships by
// user) must agree with the records. With only != "", it looks at that
// environment alone.
func checkStore(ctx context.Context, store rbac.Store, m *model, only string) []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	envs, err := store.Environments(ctx)
	if err != nil {
		return []string{fmt.Sprintf("Environments: %v", err)}
	}
	if !slices.Equal(envs, sortedKeys(m.Envs)) {
		add("Environments() = %v; want %v", envs, sortedKeys(m.Envs))
	}
	eq := func(what string, got, want []string) {
		if slices.Equal(got, want) {
			return
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			add("%s (-model +store):\n%s", what, diff)
		}
	}
	for _, envID := range sortedKeys(m.Envs) {
		if only != "" && envID != only {
			continue
		}
		e := m.Envs[envID]
		err := store.View(ctx, envID, func(tx rbac.Tx) error {
			rec, err := tx.Environment(ctx)
			if err != nil {
				return err
			}
			if rec.ID != envID || rec.DefaultRole != e.Default || rec.MultipleRoles != e.Multi {
				add("%s: Environment() = %+v; want default %q, multiple roles %v", envID, rec, e.Default, e.Multi)
			}
			eq(envID+": Environment().PriorityOrder", rec.PriorityOrder, e.Order)
			if err := tx.PutPermission(ctx, rbac.Permission{Slug: "x"}); err == nil {
				add("%s: a write in a read-only transaction succeeded", envID)
			}
			roles, err := tx.EnvironmentRoles(ctx)
			if err != nil {
				return err
			}
			eq(envID+": EnvironmentRoles()", slugsOf(roles), sortedKeys(e.Roles))
			if l, ok := tx.(interface {
				EachOrganizationDefaultRole(ctx context.Context, fn func(org, role string) error) error
			}); ok {
				var want, got []string
				for _, id := range sortedKeys(e.Orgs) {
					if o := e.Orgs[id]; o.Own {
						want = append(want, id+" "+o.Default)
					}
				}
				if err := l.EachOrganizationDefaultRole(ctx, func(org, role string) error {
					got = append(got, org+" "+role)
					return nil
				}); err != nil {
					return err
				}
				slices.Sort(got)
				eq(envID+": EachOrganizationDefaultRole()", got, want)
			}
			for _, slug := range sortedKeys(e.Roles) {
				var want []string
				for _, id := range sortedKeys(e.Orgs) {
					if o := e.Orgs[id]; o.Own && o.Default == slug {
						want = append(want, id)
					}
				}
				got, err := tx.OrganizationsWithDefault(ctx, slug)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: OrganizationsWithDefault(%q)", envID, slug), got, want)
				got, err = holderIDs(ctx, tx, "", slug)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: Memberships({Role: %q})", envID, slug), got, holders(e, "", slug))
				gms, err := collect(func(fn func(rbac.GroupMapping) error) error {
					return tx.GroupMappings(ctx, rbac.GroupMappingQuery{Role: slug}, fn)
				})
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: GroupMappings({Role: %q})", envID, slug), mappingIDs(gms), mappingsTo(e, "", slug))
			}
			orgs, err := collect(func(fn func(rbac.Organization) error) error { return tx.Organizations(ctx, rbac.Range{}, fn) })
			if err != nil {
				return err
			}
			var ids []string
			for _, o := range orgs {
				ids = append(ids, o.ID)
			}
			eq(envID+": Organizations", ids, sortedKeys(e.Orgs))
			// The external id index (rule 1.2).
			exts := slices.Clone(extPool)
			for _, o := range e.Orgs {
				exts = append(exts, o.ExternalID)
			}
			for _, ext := range sortedUnique(exts) {
				if ext == "" {
					continue
				}
				got, err := tx.OrganizationByExternalID(ctx, ext)
				mo := e.byExternalID(ext)
				if mo == nil && !isNotFound(err) || mo != nil && (err != nil || got.ID != mo.ID) {
					add("%s: OrganizationByExternalID(%q) = %q, %v; want %v", envID, ext, got.ID, err, mo)
				}
			}
			checkRanges(add, envID+": Organizations", ids, func(r rbac.Range) ([]string, error) {
				var got []string
				err := tx.Organizations(ctx, r, func(o rbac.Organization) error { got = append(got, o.ID); return nil })
				return got, err
			})
			for _, oid := range sortedKeys(e.Orgs) {
				o := e.Orgs[oid]
				roles, err := tx.OrganizationRoles(ctx, oid)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: OrganizationRoles(%q)", envID, oid), slugsOf(roles), sortedKeys(o.Roles))
				for _, slug := range e.visibleSlugs(o) {
					got, err := holderIDs(ctx, tx, oid, slug)
					if err != nil {
						return err
					}
					eq(fmt.Sprintf("%s: Memberships({%q, Role: %q})", envID, oid, slug), got, holders(e, oid, slug))
					gms, err := collect(func(fn func(rbac.GroupMapping) error) error {
						return tx.GroupMappings(ctx, rbac.GroupMappingQuery{OrganizationID: oid, Role: slug}, fn)
					})
					if err != nil {
						return err
					}
					eq(fmt.Sprintf("%s: GroupMappings({%q, Role: %q})", envID, oid, slug), mappingIDs(gms), mappingsTo(e, oid, slug))
				}
				for _, u := range userPool {
					mm := e.memberOf(oid, u)
					got, err := tx.MembershipOf(ctx, oid, u)
					if mm == nil && !isNotFound(err) || mm != nil && (err != nil || got.ID != mm.ID) {
						add("%s: MembershipOf(%q, %q) = %q, %v; want %v", envID, oid, u, got.ID, err, mm)
					}
				}
			}
			// Membership filters.
			memberIDs := func(q rbac.MembershipQuery) ([]string, error) {
				var got []string
				err := tx.Memberships(ctx, q, func(m rbac.Membership) error { got = append(got, m.ID); return nil })
				return got, err
			}
			allIDs, err := memberIDs(rbac.MembershipQuery{})
			if err != nil {
				return err
			}
			eq(envID+": Memberships({})", allIDs, sortedKeys(e.Members))
			checkRanges(add, envID+": Memberships", allIDs, func(r rbac.Range) ([]string, error) {
				return memberIDs(rbac.MembershipQuery{Range: r})
			})
			for _, u := range userPool {
				f := rbac.MembershipQuery{UserID: u, Statuses: []rbac.MembershipStatus{rbac.StatusInactive, rbac.StatusPending}}
				got, err := collect(func(fn func(rbac.Membership) error) error { return tx.Memberships(ctx, f, fn) })
				if err != nil {
					return err
				}
				var want, gotIDs []string
				for _, mm := range e.membersIn("") {
					if mm.User == u && mm.Status != rbac.StatusActive {
						want = append(want, mm.ID)
					}
				}
				for _, mm := range got {
					gotIDs = append(gotIDs, mm.ID)
				}
				eq(fmt.Sprintf("%s: Memberships(user %q, inactive or pending)", envID, u), gotIDs, want)
			}
			multi, err := collect(func(fn func(rbac.Membership) error) error {
				return tx.Memberships(ctx, rbac.MembershipQuery{MultipleRoles: true}, fn)
			})
			if err != nil {
				return err
			}
			var want, gotIDs []string
			for _, mm := range e.membersIn("") {
				if len(mm.Roles) > 1 {
					want = append(want, mm.ID)
				}
			}
			for _, mm := range multi {
				gotIDs = append(gotIDs, mm.ID)
				if mw := e.Members[mm.ID]; mw != nil {
					got := sortedUnique(mm.Roles)
					eq(fmt.Sprintf("%s: roles of %q", envID, mm.ID), got, mw.Roles)
				}
			}
			eq(envID+": Memberships(multiple roles)", gotIDs, want)
			return nil
		})
		if err != nil {
			add("%s: View: %v", envID, err)
		}
	}
	return bad
}

func isNotFound(err error) bool { return errors.Is(err, rbac.ErrNotFound) }

func slugsOf(rs []rbac.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Slug
	}
	return out
}

// holders lists the memberships of org (every organization when org is
// "") that hold slug, by id.
func holders(e *mEnv, org, slug string) []string {
	var out []string
	for _, mm := range e.membersIn(org) {
		if slices.Contains(mm.Roles, slug) {
			out = append(out, mm.ID)
		}
	}
	return out
}

// mappingsTo lists, by id, the ids of the mappings of org (every
// organization when org is "") that target slug.
func mappingsTo(e *mEnv, org, slug string) []string {
	var out []string
	defer func() { slices.Sort(out) }()
	for _, oid := range sortedKeys(e.Orgs) {
		if org != "" && oid != org {
			continue
		}
		o := e.Orgs[oid]
		for _, k := range o.mappingKeys() {
			if o.Mappings[k].Role == slug {
				out = append(out, o.Mappings[k].ID)
			}
		}
	}
	return out
}

func mappingIDs(gms []rbac.GroupMapping) []string {
	var out []string
	for _, g := range gms {
		out = append(out, g.ID)
	}
	return out
}

// checkRanges checks a Store listing's ranges against the whole listing
// ids, in id order: every bound, both directions, limits.
func checkRanges(add func(string, ...any), what string, ids []string, list func(rbac.Range) ([]string, error)) {
	if len(ids) == 0 {
		return
	}
	mid := ids[len(ids)/2]
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	filter := func(in []string, keep func(string) bool) []string {
		var out []string
		for _, id := range in {
			if keep(id) {
				out = append(out, id)
			}
		}
		return out
	}
	firstN := func(in []string, n int) []string { return in[:min(n, len(in))] }
	for _, c := range []struct {
		r    rbac.Range
		want []string
	}{
		{rbac.Range{Desc: true}, rev},
		{rbac.Range{Limit: 2}, firstN(ids, 2)},
		{rbac.Range{After: mid}, filter(ids, func(id string) bool { return id > mid })},
		{rbac.Range{After: mid, Limit: 1}, firstN(filter(ids, func(id string) bool { return id > mid }), 1)},
		{rbac.Range{Before: mid}, filter(ids, func(id string) bool { return id < mid })},
		{rbac.Range{Before: mid, Desc: true, Limit: 2}, firstN(filter(rev, func(id string) bool { return id < mid }), 2)},
		{rbac.Range{After: ids[0], Before: ids[len(ids)-1]}, filter(ids, func(id string) bool { return id > ids[0] && id < ids[len(ids)-1] })},
		{rbac.Range{After: mid + "!"}, filter(ids, func(id string) bool { return id > mid+"!" })},
	} {
		got, err := list(c.r)
		if err != nil {
			add("%s(%+v): %v", what, c.r, err)
			continue
		}
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			add("%s(%+v) = %v; want %v", what, c.r, got, c.want)
		}
	}
}
