// Package memstore is the in-memory [rbac.Store]: standard library only,
// safe for concurrent use, and the default store of the examples.
//
// Each environment has its own lock: read-write transactions on one
// environment run one at a time, read-only ones run together and never see
// a transaction in progress. A read-write transaction writes in place and
// keeps an undo log, so rolling back a failed call costs as much as the
// writes it made, and bulk operations cost as much as the records they
// touch (indexes by organization, user, role and default role make them
// independent of the size of the rest of the store).
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/orgroles/rbac"
)

// Store is an in-memory rbac.Store. The zero value is not usable; call New.
type Store struct {
	mu   sync.Mutex
	envs map[string]*env
}

var _ rbac.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store { return &Store{envs: map[string]*env{}} }

type roleKey struct{ org, slug string } // org "" for environment roles
type userKey struct{ org, user string }
type mappingKey struct {
	org    string
	source rbac.GroupSource
	group  string
}

// env is the state of one environment and its lock.
type env struct {
	rw sync.RWMutex
	*data
}

// data is the state of one environment. DeleteEnvironment replaces it
// whole (and its undo puts the old one back).
type data struct {
	rec   *rbac.Environment // nil until created
	perms map[string]rbac.Permission
	roles map[roleKey]rbac.Role
	// rolesOf indexes role slugs by scope ("" for environment roles).
	rolesOf map[string]map[string]struct{}

	orgs map[string]rbac.Organization
	// orgIDs orders the organizations' ids; byExternal indexes them by
	// external id.
	orgIDs     *sortedSet
	byExternal map[string]string
	// ownSettings holds the organizations with their own settings;
	// byDefault indexes them by default role.
	ownSettings map[string]struct{}
	byDefault   map[string]map[string]struct{}

	members map[string]rbac.Membership
	// memberIDs orders the memberships' ids.
	memberIDs *sortedSet
	byUser    map[userKey]string
	// ofOrg, ofUser and holders index membership ids by organization, by
	// user and by role held (roleKey{"", slug} for environment roles).
	ofOrg   map[string]*sortedSet
	ofUser  map[string]*sortedSet
	holders map[roleKey]*sortedSet

	mappings map[mappingKey]rbac.GroupMapping
	mapsOf   map[string]map[mappingKey]struct{}
}

func newEnv() *env { return &env{data: newData()} }

func newData() *data {
	return &data{
		perms: map[string]rbac.Permission{}, roles: map[roleKey]rbac.Role{}, rolesOf: map[string]map[string]struct{}{},
		orgs: map[string]rbac.Organization{}, orgIDs: &sortedSet{}, byExternal: map[string]string{},
		ownSettings: map[string]struct{}{}, byDefault: map[string]map[string]struct{}{},
		members: map[string]rbac.Membership{}, memberIDs: &sortedSet{}, byUser: map[userKey]string{},
		ofOrg: map[string]*sortedSet{}, ofUser: map[string]*sortedSet{}, holders: map[roleKey]*sortedSet{},
		mappings: map[mappingKey]rbac.GroupMapping{}, mapsOf: map[string]map[mappingKey]struct{}{},
	}
}

func (s *Store) env(id string, create bool) *env {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.envs[id]
	if e == nil && create {
		e = newEnv()
		s.envs[id] = e
	}
	return e
}

// current reports whether e is still the state of environment id: a
// transaction that waited for e's lock may find that e was dropped
// meanwhile (see drop).
func (s *Store) current(id string, e *env) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.envs[id] == e
}

// drop forgets the state of environment id when it holds nothing, as
// after a failed write to an environment that does not exist, so that
// such writes do not leave state behind. The caller holds e's write
// lock.
func (s *Store) drop(id string, e *env) {
	if e.rec != nil || len(e.perms)+len(e.roles)+len(e.orgs)+len(e.members)+len(e.mappings) > 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.envs[id] == e {
		delete(s.envs, id)
	}
}

// Update implements rbac.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(rbac.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.lock(id)
	defer e.rw.Unlock()
	defer s.drop(id, e)
	tx := &tx{e: e, write: true}
	err := fn(tx)
	if err == nil {
		err = ctx.Err()
	}
	tx.done = true
	if err != nil {
		tx.rollback()
		return err
	}
	return nil
}

// View implements rbac.Store.
func (s *Store) View(ctx context.Context, id string, fn func(rbac.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.rlock(id)
	if e == nil {
		e = newEnv() // an empty view, of no one else's: the environment does not exist
	} else {
		defer e.rw.RUnlock()
	}
	tx := &tx{e: e}
	defer func() { tx.done = true }()
	return fn(tx)
}

// lock returns the state of environment id, created if need be, with its
// write lock held.
func (s *Store) lock(id string) *env {
	for {
		e := s.env(id, true)
		e.rw.Lock()
		if s.current(id, e) {
			return e
		}
		e.rw.Unlock()
	}
}

// rlock returns the state of environment id with its read lock held, or
// nil when there is none.
func (s *Store) rlock(id string) *env {
	for {
		e := s.env(id, false)
		if e == nil {
			return nil
		}
		e.rw.RLock()
		if s.current(id, e) {
			return e
		}
		e.rw.RUnlock()
	}
}

// Environments implements rbac.Store.
func (s *Store) Environments(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	envs := make([]*env, 0, len(s.envs))
	ids := make([]string, 0, len(s.envs))
	for id, e := range s.envs {
		ids = append(ids, id)
		envs = append(envs, e)
	}
	s.mu.Unlock()
	var out []string
	for i, e := range envs {
		e.rw.RLock()
		if e.rec != nil {
			out = append(out, ids[i])
		}
		e.rw.RUnlock()
	}
	slices.Sort(out)
	return out, nil
}

// tx is a transaction on one environment, holding its lock.
type tx struct {
	e     *env
	write bool
	done  bool
	undo  []func()
}

var _ rbac.Tx = (*tx)(nil)

var errReadOnly = errors.New("memstore: write in a read-only transaction")
var errDone = errors.New("memstore: transaction used after it ended")

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

func (t *tx) check(write bool) error {
	if t.done {
		return errDone
	}
	if write && !t.write {
		return errReadOnly
	}
	return nil
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("memstore: %s: %w", fmt.Sprintf(format, args...), rbac.ErrNotFound)
}

// ---- generic undoable map and set edits ----

func put[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.undo = append(t.undo, func() { m[k] = old })
}

func addTo[K, M comparable](t *tx, idx map[K]map[M]struct{}, k K, m M) {
	set := idx[k]
	if set == nil {
		set = map[M]struct{}{}
		idx[k] = set
	}
	if _, ok := set[m]; ok {
		return
	}
	set[m] = struct{}{}
	t.undo = append(t.undo, func() {
		// Look the set up again: a later removeFrom that emptied it and
		// was undone has put a new set in its place.
		s := idx[k]
		delete(s, m)
		if len(s) == 0 {
			delete(idx, k)
		}
	})
}

func removeFrom[K, M comparable](t *tx, idx map[K]map[M]struct{}, k K, m M) {
	set := idx[k]
	if _, ok := set[m]; !ok {
		return
	}
	delete(set, m)
	if len(set) == 0 {
		delete(idx, k)
	}
	t.undo = append(t.undo, func() {
		s := idx[k]
		if s == nil {
			s = map[M]struct{}{}
			idx[k] = s
		}
		s[m] = struct{}{}
	})
}

func sortedKeys[M cmp.Ordered](set map[M]struct{}) []M {
	out := make([]M, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- environment ----

func (t *tx) Environment(ctx context.Context) (rbac.Environment, error) {
	if err := t.check(false); err != nil {
		return rbac.Environment{}, err
	}
	if t.e.rec == nil {
		return rbac.Environment{}, notFound("environment")
	}
	e := *t.e.rec
	e.PriorityOrder = slices.Clone(e.PriorityOrder)
	return e, nil
}

func (t *tx) PutEnvironment(ctx context.Context, e rbac.Environment) error {
	if err := t.check(true); err != nil {
		return err
	}
	e.PriorityOrder = slices.Clone(e.PriorityOrder)
	old := t.e.rec
	t.e.rec = &e
	t.undo = append(t.undo, func() { t.e.rec = old })
	return nil
}

func (t *tx) DeleteEnvironment(ctx context.Context) error {
	if err := t.check(true); err != nil {
		return err
	}
	if t.e.rec == nil {
		return notFound("environment")
	}
	old := t.e.data
	t.e.data = newData()
	t.undo = append(t.undo, func() { t.e.data = old })
	return nil
}

// ---- permissions ----

func (t *tx) Permission(ctx context.Context, slug string) (rbac.Permission, error) {
	if err := t.check(false); err != nil {
		return rbac.Permission{}, err
	}
	p, ok := t.e.perms[slug]
	if !ok {
		return p, notFound("permission %q", slug)
	}
	return p, nil
}

func (t *tx) Permissions(ctx context.Context, r rbac.Range, fn func(rbac.Permission) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	ps := make([]rbac.Permission, 0, len(t.e.perms))
	for _, p := range t.e.perms {
		if r.Contains(p.ID) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b rbac.Permission) int {
		if r.Desc {
			return cmp.Compare(b.ID, a.ID)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return each(ps, r.Limit, fn)
}

// each calls fn with the first limit items (all when limit is 0).
func each[T any](items []T, limit int, fn func(T) error) error {
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	for _, x := range items {
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) PutPermission(ctx context.Context, p rbac.Permission) error {
	if err := t.check(true); err != nil {
		return err
	}
	put(t, t.e.perms, p.Slug, p)
	return nil
}

func (t *tx) DeletePermission(ctx context.Context, slug string, now time.Time, fn func(rbac.Role) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.e.perms[slug]; !ok {
		return notFound("permission %q", slug)
	}
	del(t, t.e.perms, slug)
	var changed []rbac.Role
	for k, r := range t.e.roles {
		i, ok := slices.BinarySearch(r.Permissions, slug)
		if !ok {
			continue
		}
		r.Permissions = slices.Delete(slices.Clone(r.Permissions), i, i+1)
		r.UpdatedAt = now
		put(t, t.e.roles, k, r)
		changed = append(changed, cloneRole(r))
	}
	slices.SortFunc(changed, func(a, b rbac.Role) int {
		return cmp.Or(cmp.Compare(a.OrganizationID, b.OrganizationID), cmp.Compare(a.Slug, b.Slug))
	})
	return each(changed, 0, fn)
}

// ---- roles ----

func cloneRole(r rbac.Role) rbac.Role {
	r.Permissions = slices.Clone(r.Permissions)
	if r.Permissions == nil {
		r.Permissions = []string{}
	}
	return r
}

func (t *tx) role(org, slug string) (rbac.Role, error) {
	if err := t.check(false); err != nil {
		return rbac.Role{}, err
	}
	r, ok := t.e.roles[roleKey{org, slug}]
	if !ok {
		if org == "" {
			return r, notFound("environment role %q", slug)
		}
		return r, notFound("role %q of organization %q", slug, org)
	}
	return cloneRole(r), nil
}

func (t *tx) EnvironmentRole(ctx context.Context, slug string) (rbac.Role, error) {
	return t.role("", slug)
}

func (t *tx) OrganizationRole(ctx context.Context, org, slug string) (rbac.Role, error) {
	if org == "" {
		return rbac.Role{}, notFound("role %q of organization %q", slug, org)
	}
	return t.role(org, slug)
}

// roles lists the roles of a scope ("" for the environment roles).
func (t *tx) roles(org string) ([]rbac.Role, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	slugs := sortedKeys(t.e.rolesOf[org])
	out := make([]rbac.Role, len(slugs))
	n := 0
	for i, s := range slugs {
		out[i] = t.e.roles[roleKey{org, s}]
		n += len(out[i].Permissions)
	}
	// The roles' permission lists are copied into one array, each capped
	// at its own end so that an append to one does not write into the next.
	perms := make([]string, 0, n)
	for i := range out {
		at := len(perms)
		perms = append(perms, out[i].Permissions...)
		out[i].Permissions = perms[at:len(perms):len(perms)]
	}
	return out, nil
}

func (t *tx) EnvironmentRoles(ctx context.Context) ([]rbac.Role, error) { return t.roles("") }

func (t *tx) OrganizationRoles(ctx context.Context, org string) ([]rbac.Role, error) {
	if org == "" {
		return []rbac.Role{}, t.check(false)
	}
	return t.roles(org)
}

func (t *tx) EachOrganizationRole(ctx context.Context, fn func(rbac.Role) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	orgs := make([]string, 0, len(t.e.rolesOf))
	for org := range t.e.rolesOf {
		if org != "" {
			orgs = append(orgs, org)
		}
	}
	slices.Sort(orgs)
	for _, org := range orgs {
		roles, _ := t.roles(org)
		if err := each(roles, 0, fn); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) PutRole(ctx context.Context, r rbac.Role) error {
	if err := t.check(true); err != nil {
		return err
	}
	if (r.Type == rbac.EnvironmentRole) != (r.OrganizationID == "") {
		return fmt.Errorf("memstore: role %q of type %s with organization %q", r.Slug, r.Type, r.OrganizationID)
	}
	if r.OrganizationID != "" {
		if _, ok := t.e.orgs[r.OrganizationID]; !ok {
			return notFound("organization %q", r.OrganizationID)
		}
	}
	put(t, t.e.roles, roleKey{r.OrganizationID, r.Slug}, cloneRole(r))
	addTo(t, t.e.rolesOf, r.OrganizationID, r.Slug)
	return nil
}

func (t *tx) deleteRole(org, slug string) error {
	if err := t.check(true); err != nil {
		return err
	}
	k := roleKey{org, slug}
	if _, ok := t.e.roles[k]; !ok {
		return notFound("role %q of %q", slug, org)
	}
	del(t, t.e.roles, k)
	removeFrom(t, t.e.rolesOf, org, slug)
	return nil
}

func (t *tx) DeleteEnvironmentRole(ctx context.Context, slug string) error {
	return t.deleteRole("", slug)
}

func (t *tx) DeleteOrganizationRole(ctx context.Context, org, slug string) error {
	if org == "" {
		return notFound("role %q of organization %q", slug, org)
	}
	return t.deleteRole(org, slug)
}

// ---- organizations ----

func cloneOrg(o rbac.Organization) rbac.Organization {
	o.PriorityOrder = slices.Clone(o.PriorityOrder)
	o.Metadata = maps.Clone(o.Metadata)
	return o
}

func (t *tx) Organization(ctx context.Context, id string) (rbac.Organization, error) {
	if err := t.check(false); err != nil {
		return rbac.Organization{}, err
	}
	o, ok := t.e.orgs[id]
	if !ok {
		return o, notFound("organization %q", id)
	}
	return cloneOrg(o), nil
}

func (t *tx) OrganizationByExternalID(ctx context.Context, externalID string) (rbac.Organization, error) {
	if err := t.check(false); err != nil {
		return rbac.Organization{}, err
	}
	id, ok := t.e.byExternal[externalID]
	if !ok || externalID == "" {
		return rbac.Organization{}, notFound("organization with external id %q", externalID)
	}
	return cloneOrg(t.e.orgs[id]), nil
}

func (t *tx) Organizations(ctx context.Context, r rbac.Range, fn func(rbac.Organization) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	var err error
	n := 0
	t.e.orgIDs.each(r, func(id string) bool {
		if err = fn(cloneOrg(t.e.orgs[id])); err != nil {
			return false
		}
		n++
		return r.Limit == 0 || n < r.Limit
	})
	return err
}

// EachOrganizationDefaultRole lists the organizations with settings of
// their own, in no particular order, with their default roles. Package
// authz uses it when a Tx has it.
func (t *tx) EachOrganizationDefaultRole(ctx context.Context, fn func(org, role string) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	for id := range t.e.ownSettings {
		if err := fn(id, t.e.orgs[id].DefaultRole); err != nil {
			return err
		}
	}
	return nil
}

// setOrg stores o and keeps the indexes right.
func (t *tx) setOrg(o rbac.Organization) {
	old, had := t.e.orgs[o.ID]
	if had && old.DefaultRole != "" && old.DefaultRole != o.DefaultRole {
		removeFrom(t, t.e.byDefault, old.DefaultRole, o.ID)
	}
	if had && old.ExternalID != "" && old.ExternalID != o.ExternalID {
		del(t, t.e.byExternal, old.ExternalID)
	}
	put(t, t.e.orgs, o.ID, o)
	if !had {
		setAdd(t, t.e.orgIDs, o.ID)
	}
	if o.ExternalID != "" {
		put(t, t.e.byExternal, o.ExternalID, o.ID)
	}
	if o.HasOwnSettings() {
		addTo(t, t.e.byDefault, o.DefaultRole, o.ID)
		if _, ok := t.e.ownSettings[o.ID]; !ok {
			put(t, t.e.ownSettings, o.ID, struct{}{})
		}
	} else {
		del(t, t.e.ownSettings, o.ID)
	}
}

func (t *tx) PutOrganization(ctx context.Context, o rbac.Organization) error {
	if err := t.check(true); err != nil {
		return err
	}
	if o.ExternalID != "" {
		if id, ok := t.e.byExternal[o.ExternalID]; ok && id != o.ID {
			return fmt.Errorf("memstore: external id %q belongs to organization %q", o.ExternalID, id)
		}
	}
	t.setOrg(cloneOrg(o))
	return nil
}

func (t *tx) DeleteOrganization(ctx context.Context, id string) error {
	if err := t.check(true); err != nil {
		return err
	}
	o, ok := t.e.orgs[id]
	if !ok {
		return notFound("organization %q", id)
	}
	for _, mid := range t.e.ofOrg[id].ids() {
		t.deleteMembership(mid)
	}
	for _, slug := range sortedKeys(t.e.rolesOf[id]) {
		del(t, t.e.roles, roleKey{id, slug})
		removeFrom(t, t.e.rolesOf, id, slug)
	}
	for k := range t.e.mapsOf[id] {
		t.deleteMapping(k)
	}
	if o.DefaultRole != "" {
		removeFrom(t, t.e.byDefault, o.DefaultRole, id)
	}
	if o.ExternalID != "" {
		del(t, t.e.byExternal, o.ExternalID)
	}
	del(t, t.e.ownSettings, id)
	del(t, t.e.orgs, id)
	setRemove(t, t.e.orgIDs, id)
	return nil
}

func (t *tx) OrganizationsWithDefault(ctx context.Context, slug string) ([]string, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return sortedKeys(t.e.byDefault[slug]), nil
}

func (t *tx) AppendToOrganizationOrders(ctx context.Context, slug string, now time.Time) error {
	if err := t.check(true); err != nil {
		return err
	}
	for id := range t.e.ownSettings {
		o := t.e.orgs[id]
		// Appending in place is safe: the store never hands out its
		// slices, and the undo restores the old length.
		o.PriorityOrder = append(o.PriorityOrder, slug)
		o.UpdatedAt = now
		put(t, t.e.orgs, id, o)
	}
	return nil
}

func (t *tx) RemoveFromOrganizationOrders(ctx context.Context, slug, replacement string, now time.Time) ([]string, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	replaced := sortedKeys(t.e.byDefault[slug])
	for id := range t.e.ownSettings {
		o := t.e.orgs[id]
		if !slices.Contains(o.PriorityOrder, slug) && o.DefaultRole != slug {
			continue
		}
		o.PriorityOrder = slices.DeleteFunc(slices.Clone(o.PriorityOrder), func(s string) bool { return s == slug })
		if o.DefaultRole == slug {
			o.DefaultRole = replacement
		}
		o.UpdatedAt = now
		t.setOrg(o)
	}
	return replaced, nil
}

// ---- memberships ----

func cloneMembership(m rbac.Membership) rbac.Membership {
	m.Roles = slices.Clone(m.Roles)
	m.Role = ""
	return m
}

// holderKey is the index key of role slug held in organization org.
func holderKey(org, slug string) roleKey {
	if rbac.IsOrganizationRoleSlug(slug) {
		return roleKey{org, slug}
	}
	return roleKey{"", slug}
}

func (t *tx) Membership(ctx context.Context, id string) (rbac.Membership, error) {
	if err := t.check(false); err != nil {
		return rbac.Membership{}, err
	}
	m, ok := t.e.members[id]
	if !ok {
		return m, notFound("membership %q", id)
	}
	return cloneMembership(m), nil
}

func (t *tx) MembershipOf(ctx context.Context, org, user string) (rbac.Membership, error) {
	if err := t.check(false); err != nil {
		return rbac.Membership{}, err
	}
	id, ok := t.e.byUser[userKey{org, user}]
	if !ok {
		return rbac.Membership{}, notFound("membership of %q in %q", user, org)
	}
	return cloneMembership(t.e.members[id]), nil
}

func (t *tx) Memberships(ctx context.Context, q rbac.MembershipQuery, fn func(rbac.Membership) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	// Walk the smallest index that covers the query, in id order.
	var walk func(func(string) bool)
	switch {
	case q.OrganizationID != "" && q.UserID != "":
		walk = func(f func(string) bool) {
			if id, ok := t.e.byUser[userKey{q.OrganizationID, q.UserID}]; ok && q.Range.Contains(id) {
				f(id)
			}
		}
	case q.Role != "" && (q.OrganizationID != "") == rbac.IsOrganizationRoleSlug(q.Role):
		// An organization role of one organization, or an environment
		// role anywhere: the holders index has exactly those.
		walk = func(f func(string) bool) { t.e.holders[holderKey(q.OrganizationID, q.Role)].each(q.Range, f) }
	case q.OrganizationID != "":
		walk = func(f func(string) bool) { t.e.ofOrg[q.OrganizationID].each(q.Range, f) }
	case q.UserID != "":
		walk = func(f func(string) bool) { t.e.ofUser[q.UserID].each(q.Range, f) }
	default:
		walk = func(f func(string) bool) { t.e.memberIDs.each(q.Range, f) }
	}
	var err error
	n := 0
	walk(func(id string) bool {
		m := t.e.members[id]
		if !matches(m, q) {
			return true
		}
		if err = fn(cloneMembership(m)); err != nil {
			return false
		}
		n++
		return q.Range.Limit == 0 || n < q.Range.Limit
	})
	return err
}

// matches reports whether m matches the filters of q (its range aside).
func matches(m rbac.Membership, q rbac.MembershipQuery) bool {
	return (q.OrganizationID == "" || m.OrganizationID == q.OrganizationID) &&
		(q.UserID == "" || m.UserID == q.UserID) &&
		(len(q.Statuses) == 0 || slices.Contains(q.Statuses, m.Status)) &&
		(q.Role == "" || slices.Contains(m.Roles, q.Role)) &&
		(!q.MultipleRoles || len(m.Roles) > 1)
}

// setMembership stores m and keeps the indexes right.
func (t *tx) setMembership(m rbac.Membership) {
	old, had := t.e.members[m.ID]
	if had {
		for _, r := range old.Roles {
			if !slices.Contains(m.Roles, r) {
				indexRemove(t, t.e.holders, holderKey(old.OrganizationID, r), m.ID)
			}
		}
	}
	put(t, t.e.members, m.ID, m)
	if !had {
		setAdd(t, t.e.memberIDs, m.ID)
		put(t, t.e.byUser, userKey{m.OrganizationID, m.UserID}, m.ID)
		indexAdd(t, t.e.ofOrg, m.OrganizationID, m.ID)
		indexAdd(t, t.e.ofUser, m.UserID, m.ID)
	}
	for _, r := range m.Roles {
		indexAdd(t, t.e.holders, holderKey(m.OrganizationID, r), m.ID)
	}
}

func (t *tx) PutMembership(ctx context.Context, m rbac.Membership) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.e.orgs[m.OrganizationID]; !ok {
		return notFound("organization %q", m.OrganizationID)
	}
	if id, ok := t.e.byUser[userKey{m.OrganizationID, m.UserID}]; ok && id != m.ID {
		return fmt.Errorf("memstore: user %q already has membership %q in %q", m.UserID, id, m.OrganizationID)
	}
	if old, ok := t.e.members[m.ID]; ok && (old.OrganizationID != m.OrganizationID || old.UserID != m.UserID) {
		return fmt.Errorf("memstore: membership %q cannot change organization or user", m.ID)
	}
	m = cloneMembership(m)
	m.Roles = sortedUniq(m.Roles)
	t.setMembership(m)
	return nil
}

func sortedUniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func (t *tx) deleteMembership(id string) {
	m := t.e.members[id]
	for _, r := range m.Roles {
		indexRemove(t, t.e.holders, holderKey(m.OrganizationID, r), id)
	}
	indexRemove(t, t.e.ofOrg, m.OrganizationID, id)
	indexRemove(t, t.e.ofUser, m.UserID, id)
	del(t, t.e.byUser, userKey{m.OrganizationID, m.UserID})
	del(t, t.e.members, id)
	setRemove(t, t.e.memberIDs, id)
}

func (t *tx) DeleteMembership(ctx context.Context, id string) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.e.members[id]; !ok {
		return notFound("membership %q", id)
	}
	t.deleteMembership(id)
	return nil
}

func (t *tx) ReplaceOrganizationRole(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.Membership) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	if org == "" {
		return nil
	}
	ids := t.e.holders[holderKey(org, from)].ids()
	for _, id := range ids {
		m := cloneMembership(t.e.members[id])
		if m.OrganizationID != org {
			continue
		}
		m.Roles = slices.DeleteFunc(m.Roles, func(s string) bool { return s == from })
		m.Roles = sortedUniq(append(m.Roles, to))
		m.UpdatedAt = now
		t.setMembership(m)
		if err := fn(cloneMembership(m)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) RemoveEnvironmentRole(ctx context.Context, slug string, now time.Time, fn func(rbac.Membership) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	ids := t.e.holders[roleKey{"", slug}].ids()
	for _, id := range ids {
		m := cloneMembership(t.e.members[id])
		m.Roles = slices.DeleteFunc(m.Roles, func(s string) bool { return s == slug })
		if len(m.Roles) == 0 {
			m.Roles = []string{rbac.EffectiveSettings(*t.e.rec, t.e.orgs[m.OrganizationID]).DefaultRole}
		}
		m.UpdatedAt = now
		t.setMembership(m)
		if err := fn(cloneMembership(m)); err != nil {
			return err
		}
	}
	return nil
}

// ---- group mappings ----

func (t *tx) GroupMappings(ctx context.Context, q rbac.GroupMappingQuery, fn func(rbac.GroupMapping) error) error {
	if err := t.check(false); err != nil {
		return err
	}
	var ms []rbac.GroupMapping
	keep := func(m rbac.GroupMapping) {
		if (q.Role == "" || m.Role == q.Role) && q.Range.Contains(m.ID) {
			ms = append(ms, m)
		}
	}
	if q.OrganizationID != "" {
		for k := range t.e.mapsOf[q.OrganizationID] {
			keep(t.e.mappings[k])
		}
	} else {
		for _, m := range t.e.mappings {
			keep(m)
		}
	}
	slices.SortFunc(ms, func(a, b rbac.GroupMapping) int {
		if q.Range.Desc {
			return cmp.Compare(b.ID, a.ID)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return each(ms, q.Range.Limit, fn)
}

func (t *tx) PutGroupMapping(ctx context.Context, m rbac.GroupMapping) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.e.orgs[m.OrganizationID]; !ok {
		return notFound("organization %q", m.OrganizationID)
	}
	k := mappingKey{m.OrganizationID, m.Source, m.GroupID}
	put(t, t.e.mappings, k, m)
	addTo(t, t.e.mapsOf, m.OrganizationID, k)
	return nil
}

func (t *tx) deleteMapping(k mappingKey) {
	del(t, t.e.mappings, k)
	removeFrom(t, t.e.mapsOf, k.org, k)
}

func (t *tx) DeleteGroupMapping(ctx context.Context, org string, source rbac.GroupSource, group string) error {
	if err := t.check(true); err != nil {
		return err
	}
	k := mappingKey{org, source, group}
	if _, ok := t.e.mappings[k]; !ok {
		return notFound("group mapping %q/%q of %q", source, group, org)
	}
	t.deleteMapping(k)
	return nil
}

// repoint re-points (or deletes, when to is "") the mappings q selects.
func (t *tx) repoint(q rbac.GroupMappingQuery, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	if err := t.check(true); err != nil {
		return err
	}
	ms, err := collect(func(f func(rbac.GroupMapping) error) error { return t.GroupMappings(context.Background(), q, f) })
	if err != nil {
		return err
	}
	for _, m := range ms {
		k := mappingKey{m.OrganizationID, m.Source, m.GroupID}
		if to == "" {
			t.deleteMapping(k)
		} else {
			n := m
			n.Role, n.UpdatedAt = to, now
			put(t, t.e.mappings, k, n)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func collect[T any](list func(fn func(T) error) error) ([]T, error) {
	var out []T
	err := list(func(x T) error { out = append(out, x); return nil })
	return out, err
}

func (t *tx) RepointOrganizationRoleMappings(ctx context.Context, org, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	if org == "" {
		return t.check(true)
	}
	return t.repoint(rbac.GroupMappingQuery{OrganizationID: org, Role: from}, to, now, fn)
}

func (t *tx) RepointEnvironmentRoleMappings(ctx context.Context, from, to string, now time.Time, fn func(rbac.GroupMapping) error) error {
	return t.repoint(rbac.GroupMappingQuery{Role: from}, to, now, fn)
}

// ---- change feed ----

// Publish implements rbac.Tx. The in-memory store serves one process, whose
// Service already tells its own subscribers; it records nothing.
func (t *tx) Publish(ctx context.Context, revision int64, events []rbac.Event) error {
	return t.check(true)
}
