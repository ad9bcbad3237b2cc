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
			roles, err := tx.Roles(ctx, "")
			if err != nil {
				return err
			}
			eq(envID+": Roles(\"\")", slugsOf(roles), sortedKeys(e.Roles))
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
				got, err = tx.RoleHolders(ctx, "", slug)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: RoleHolders(\"\", %q)", envID, slug), got, holders(e, "", slug))
				gms, err := tx.GroupMappingsTo(ctx, "", slug)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: GroupMappingsTo(\"\", %q)", envID, slug), mappingIDs(gms), mappingsTo(e, "", slug))
			}
			orgs, err := tx.Organizations(ctx, "", 0)
			if err != nil {
				return err
			}
			var ids []string
			for _, o := range orgs {
				ids = append(ids, o.ID)
			}
			eq(envID+": Organizations", ids, sortedKeys(e.Orgs))
			if len(ids) > 1 {
				page, err := tx.Organizations(ctx, ids[0], 1)
				if err != nil {
					return err
				}
				if len(page) != 1 || page[0].ID != ids[1] {
					add("%s: Organizations(%q, 1) = %v; want %q", envID, ids[0], page, ids[1])
				}
			}
			for _, oid := range sortedKeys(e.Orgs) {
				o := e.Orgs[oid]
				roles, err := tx.Roles(ctx, oid)
				if err != nil {
					return err
				}
				eq(fmt.Sprintf("%s: Roles(%q)", envID, oid), slugsOf(roles), sortedKeys(o.Roles))
				for _, slug := range e.visibleSlugs(o) {
					got, err := tx.RoleHolders(ctx, oid, slug)
					if err != nil {
						return err
					}
					eq(fmt.Sprintf("%s: RoleHolders(%q, %q)", envID, oid, slug), got, holders(e, oid, slug))
					gms, err := tx.GroupMappingsTo(ctx, oid, slug)
					if err != nil {
						return err
					}
					eq(fmt.Sprintf("%s: GroupMappingsTo(%q, %q)", envID, oid, slug), mappingIDs(gms), mappingsTo(e, oid, slug))
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
			all, err := tx.Memberships(ctx, rbac.MembershipFilter{})
			if err != nil {
				return err
			}
			var allIDs []string
			for _, mm := range all {
				allIDs = append(allIDs, mm.ID)
			}
			eq(envID+": Memberships({})", allIDs, sortedKeys(e.Members))
			if len(allIDs) > 2 {
				page, err := tx.Memberships(ctx, rbac.MembershipFilter{After: allIDs[0], Limit: 2})
				if err != nil {
					return err
				}
				var got []string
				for _, mm := range page {
					got = append(got, mm.ID)
				}
				eq(envID+": Memberships(after, limit 2)", got, allIDs[1:3])
			}
			for _, u := range userPool {
				f := rbac.MembershipFilter{UserID: u, Statuses: []rbac.MembershipStatus{rbac.StatusInactive, rbac.StatusPending}}
				got, err := tx.Memberships(ctx, f)
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
			multi, err := tx.Memberships(ctx, rbac.MembershipFilter{MultipleRoles: true})
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

func mappingsTo(e *mEnv, org, slug string) []string {
	var out []string
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
