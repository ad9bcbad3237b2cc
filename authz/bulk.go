package authz

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	"github.com/orgroles/rbac"
)

// ---- bulk reassignments ----
//
// A role deletion that reassigns more than rbac.MaxListedMemberships
// memberships reports them with one EventMembershipsReassigned rather than
// an event each. The records of its holders are in the snapshot: the
// authorizer finds them there, in one pass over the member table, and
// rebuilds each as the store changed it — the role removed and, when none
// is left, its organization's effective default (an environment role);
// the role replaced by the reassignment target (an organization role).
// That is exact only when the store is at the deletion's revision, read
// in the same transaction: the defaults read are then those the store
// used. Otherwise (later writes committed meanwhile, or the records of
// the commit are older than the snapshot's) the holders the snapshot
// names are read again from the store, which is newer than the deletion.

// bulkFromSnapshot is whether a bulk reassignment is applied from the
// snapshot when it can be; tests turn it off to exercise the reads.
var bulkFromSnapshot = true

// bulkEvents returns the summary events of w's events.
func (w *work) bulkEvents() []*rbac.Event {
	var out []*rbac.Event
	for i := range w.events {
		if w.events[i].Type == rbac.EventMembershipsReassigned {
			out = append(out, &w.events[i])
		}
	}
	return out
}

// heldBy returns the records of g that hold the role e deleted: an
// environment role, or an organization role of e's organization.
func (a *Authorizer) heldBy(g *gen, e *rbac.Event) []*byte {
	var out []*byte
	var held []heldRole
	if e.OrganizationID == "" {
		envHolders(g, e.RoleSlug, func(_ *tableEntry[byte], p *byte) { out = append(out, p) })
		return out
	}
	g.live.members.each(func(p *byte) {
		if !isOf(p, e.OrganizationID) {
			return
		}
		_, held = recordAt(p).roles(held[:0])
		if slices.ContainsFunc(held, func(h heldRole) bool { return !h.env && h.slug == e.RoleSlug }) {
			out = append(out, p)
		}
	})
	return out
}

// reassign rebuilds, from the snapshot, the records of the holders of the
// role summary event e deleted, in an environment whose record, at the
// deletion's revision, is env. s reads from the deletion's transaction.
//
// For an environment role, when the Tx lists the defaults of the
// organizations with settings of their own (defaultLister), those are
// read first, and the holders that held the role alone and get an
// environment role as their default are rebuilt during the pass that
// finds the holders: the new record is the old one with the default's
// id, stored in the entry the pass is at. The other holders — and all of
// them otherwise — are rebuilt from the roles their records list, the
// default of those left with none read from the store.
func (a *Authorizer) reassign(g *gen, s *source, env rbac.Environment, e *rbac.Event) error {
	var recs []*byte
	var defaultOf func(org string) string
	if l, ok := s.tx.(defaultLister); ok && e.OrganizationID == "" {
		own := map[string]string{}
		err := l.EachOrganizationDefaultRole(s.ctx, func(org, role string) error {
			own[org] = role
			return nil
		})
		if err != nil {
			return err
		}
		defaultOf = func(org string) string {
			if r, ok := own[org]; ok {
				return r
			}
			return env.DefaultRole
		}
		if recs, err = a.reassignSole(g, s, e, defaultOf); err != nil {
			return err
		}
	} else {
		recs = a.heldBy(g, e)
	}
	if len(recs) == 0 {
		return nil
	}
	var held []heldRole
	var roles []string
	// rolesOf sets roles to those the record p holds after the deletion,
	// without the default a holder left with none gets.
	rolesOf := func(p *byte) {
		_, held = recordAt(p).roles(held[:0])
		roles = roles[:0]
		for _, h := range held {
			slug := h.slug
			if h.env {
				slug = g.roles.names[h.id]
			}
			if slug == e.RoleSlug && h.env == (e.OrganizationID == "") {
				continue
			}
			roles = append(roles, slug)
		}
		if e.OrganizationID != "" && e.ReassignedTo != "" && !slices.Contains(roles, e.ReassignedTo) {
			roles = append(roles, e.ReassignedTo)
		}
	}
	if defaultOf == nil {
		// Find the organizations whose default a holder left with no
		// role gets, then read their defaults: the holders are gone
		// over twice, their roles decoded again rather than kept.
		need := map[string]string{}
		for _, p := range recs {
			if rolesOf(p); len(roles) == 0 {
				org, _ := recordAt(p).ids()
				need[org] = ""
			}
		}
		if len(need) > 0 {
			if err := organizationDefaults(s.ctx, s.tx, env, need); err != nil {
				return err
			}
		}
		defaultOf = func(org string) string { return need[org] }
	}
	m := rbac.Membership{Status: rbac.StatusActive}
	for _, p := range recs {
		rolesOf(p)
		m.OrganizationID, m.UserID = recordAt(p).ids()
		if len(roles) == 0 {
			roles = append(roles, defaultOf(m.OrganizationID))
		}
		m.Roles = roles
		r, err := buildRecord(&m, s, &a.scratch)
		if err != nil {
			return err
		}
		a.put(g, r)
	}
	return nil
}

// envHolders calls f with the entry and the record of each record of g
// that holds the environment role slug.
func envHolders(g *gen, slug string, f func(*tableEntry[byte], *byte)) {
	id, ok := g.roles.ids[slug]
	if !ok || !g.roles.live(id) {
		return // no record holds it
	}
	g.live.members.eachEntry(func(en *tableEntry[byte], p *byte) {
		if holdsEnvRole(p, id) {
			f(en, p)
		}
	})
}

// reassignSole goes over the records of g once for the deletion of the
// environment role e names. It replaces the record of each holder that
// held the role alone, when its organization's default (defaultOf) is an
// environment role, with the old record holding the default instead —
// exactly what buildRecord would build for it — and returns the records
// of the other holders.
func (a *Authorizer) reassignSole(g *gen, s *source, e *rbac.Event, defaultOf func(org string) string) ([]*byte, error) {
	var rest []*byte
	var err error
	deleted := g.roles.ids[e.RoleSlug]
	envHolders(g, e.RoleSlug, func(en *tableEntry[byte], p *byte) {
		if err != nil {
			return
		}
		old := recordAt(p)
		org, _ := old.ids()
		def := ""
		if soleEnvRole(p) {
			def = defaultOf(org)
		}
		if def == "" || rbac.IsOrganizationRoleSlug(def) {
			rest = append(rest, p)
			return
		}
		r := slices.Clone(old)
		to := g.roles.id(def)
		binary.LittleEndian.PutUint32(r[4:], to)
		if checkRecords {
			if err = a.checkRecord(s, r, def); err != nil {
				return
			}
		}
		// replace, for records that name one id each: the deleted
		// role's and the default's.
		g.roles.hold(to)
		en.v.Store(&r[0])
		g.roles.release(deleted)
	})
	return rest, err
}

// checkRecord panics unless r is the record buildRecord builds for its
// membership holding role alone.
func (a *Authorizer) checkRecord(s *source, r record, role string) error {
	m := rbac.Membership{Status: rbac.StatusActive, Roles: []string{role}}
	m.OrganizationID, m.UserID = r.ids()
	want, err := buildRecord(&m, s, &a.scratch)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, r) {
		panic(fmt.Sprintf("authz: the record of %s/%s holding %q is %x, want %x", m.OrganizationID, m.UserID, role, []byte(r), []byte(want)))
	}
	return nil
}

// checkRecords makes reassignSole check the records it builds against
// buildRecord's; tests turn it on.
var checkRecords = false

// soleEnvRole reports whether the record p points to holds one role, an
// environment role, and no organization role.
func soleEnvRole(p *byte) bool {
	h := header(p)
	return get32(h[0:])&kindMask == oneEnv && get16(h[14:]) == 1 && get16(h[12:]) == 0
}

// reread reads again from the store the memberships whose records hold
// the role summary event e deleted, and publishes them as they are now.
func (a *Authorizer) reread(g *gen, s *source, e *rbac.Event) error {
	recs := a.heldBy(g, e)
	if len(recs) == 0 {
		return nil
	}
	pairs := make([][2]string, len(recs))
	for i, p := range recs {
		org, user := recordAt(p).ids()
		pairs[i] = [2]string{org, user}
	}
	ms, err := membershipsOfPairs(s.ctx, s.tx, pairs, func(org, user string) { a.remove(g, org, user) })
	if err != nil {
		return err
	}
	return a.refreshAll(g, s, ms)
}

// holdsEnvRole reports whether the record p points to holds the
// environment role id, reading its header and environment role ids only.
func holdsEnvRole(p *byte, id uint32) bool {
	h := header(p)
	n := int(get16(h[14:]))
	if n == 0 {
		return false
	}
	if get32(h[4:]) == id {
		return true
	}
	w := int(get16(h[12:]))
	for k := range n - 1 {
		if *(*uint32)(unsafe.Add(unsafe.Pointer(p), recordHeader+8*w+4*k)) == id {
			return true
		}
	}
	return false
}
