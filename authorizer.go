package rbac

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// An Authorizer answers permission checks and session claims for one
// environment from memory (SPEC 11.3). It is what request middleware calls
// on every request; the [Service] methods Can and Claims, which read the
// store, are the reference it is tested against (SPEC I9).
//
// # Reading
//
// Checks read immutable parts through atomic pointers: no lock, no
// allocation, and a cost that does not depend on the number of
// organizations, members or roles. A check hashes the permission, then the
// organization and user ids together, and reads one entry of a table
// keyed by that pair, which points to the membership's record: its ids,
// the id of the environment role it holds and the union of the permission
// bitsets of the organization roles it holds. Permission slugs are
// interned to small integers, so a set of permissions is a bitset. The
// answer is the bit of the permission in the environment role's bitset
// or in that union. Inactive, pending and missing memberships have no
// record, so they are denied — nearly always from the table entries
// alone, which show the pair absent without a record being read.
//
// A check at scale waits for memory, and the speed of a run of checks is
// how many of those waits overlap: how many checks the processor has
// under way at once. So a check reads two places that are not in cache —
// the table entry and the record, which lies in one piece of memory — and
// does not branch on what it reads there: it chooses among the table
// entries with arithmetic, and clamps the offsets of the bitset words it
// reads with arithmetic too. (A mispredicted branch on a record's width or
// roles is resolved only when the record arrives, and discards the work
// begun on the next checks meanwhile.) And it is short, so that more
// checks fit in the processor's window: ids of 1 to 64 bytes and slugs of
// 1 to 32, nearly all of them, are read as words (of 8 bytes, or the end
// bytes of a string under 8), hashed with a few multiplications and
// compared as integers, in one function. At 1,000,000 memberships the
// snapshot takes about 115 bytes per membership.
//
// # Writing
//
// The snapshot has two kinds of parts, each replaced whole and never
// changed in place:
//
//   - the environment part: permission ids, the environment roles'
//     permission bitsets and the environment priority order;
//   - one part per organization: the records of its active members, one
//     after the other in one block, and for claims the organization roles
//     they hold and the roles of its multi-role members, already in the
//     organization's own priority order when it has one (an organization
//     that inherits follows the environment order, applied when claims
//     are built).
//
// Organization parts are reached through an open-addressing table of
// organizations, and member records through the open-addressing table of
// memberships; the entries of both hold atomic pointers. A change to an
// organization publishes its new part, then points the entries of its
// members at the new records and marks those of former members removed:
// as many pointer stores as the organization has members. Adding an entry
// fills an empty one, and only when a table is half full is it copied into
// one twice as large (amortized O(1) per entry added). The environment
// roles' bitsets are read at check time, so a change to an environment
// role — which concerns every organization — replaces only the environment
// part: it costs as much as the environment roles, not the organizations.
//
// # Freshness
//
// [NewAuthorizer] registers the authorizer with [Service.OnCommit]: every
// write through that Service reloads what it touched (the environment part
// and/or the organizations its events name) from the store, in one
// read-only transaction, before the write call returns. Other processes
// writing to a shared store are followed with [Authorizer.Follow]. All
// reloads run one at a time and read the store's current state, so a part
// is never replaced by an older one even when the notices of concurrent
// writes arrive out of order.
//
// # Revisions
//
// [Authorizer.Revision] is a watermark: the snapshot reflects every write
// committed at or before it. It starts at the revision the snapshot was
// loaded at and advances as the changes of consecutive revisions are
// applied. [Authorizer.CanAt] and [Authorizer.ClaimsAt] report the
// watermark read before the answer was computed, so an answer at revision
// r reflects every write up to r (and possibly later ones).
type Authorizer struct {
	svc  *Service
	env  string
	seed uint64 // of idHash

	root atomic.Pointer[snapshot]
	rev  atomic.Int64 // the watermark

	// Writers (loads and reloads) hold mu. The interning tables only grow,
	// so ids in older parts stay meaningful in newer ones.
	mu      sync.Mutex
	permIDs map[string]uint32
	roleIDs map[string]uint32
	scratch []byte             // where parts' records are built
	pending map[int64]struct{} // applied revisions above the watermark
	failed  error              // the last failed reload, until a full reload succeeds
}

// maxPending bounds the applied revisions kept above a stalled watermark
// (which happens when writes this process is not told about are not
// followed through a feed).
const maxPending = 1 << 14

// snapshot is what checks and claims read: the environment part, the
// index of organization parts and the table of their member records.
type snapshot struct {
	env     *envPart
	orgs    *orgIndex
	members *memberTable
}

// envPart is the environment-level part of a snapshot.
type envPart struct {
	perms     *permTable // live permission slug → id
	permSlugs []string   // id → slug; "" for a deleted permission
	sorted    []uint32   // ids of the live permissions, by slug
	roles     []envRole  // environment role id → role; slug "" when deleted
	// bits holds the roles' permission bitsets, width words each, and a
	// row of zeros (see word).
	bits  []uint64
	width uint64
}

type envRole struct {
	slug string
	rank int // position in the environment priority order
}

// Can reports whether user has an active membership in org one of whose
// roles grants the permission (SPEC 11.2). It takes no lock and does not
// allocate. A user, organization or permission the authorizer does not
// know is a plain false.
func (a *Authorizer) Can(org, user, permission string) bool {
	s := a.root.Load()
	no, nu, np := len(org), len(user), len(permission)
	if !covered(no) || !covered(nu) || !inText(np) {
		return s.can(org, user, permission, a.seed)
	}
	// This is s.can for ids of 1 to 64 bytes and a slug of 1 to 32,
	// written out as one function (the parts of rawHash, idHash and
	// differ are inlined): the pair hash of the ids, the one table entry
	// pick chooses (none when the entries it reads show there is no such
	// membership), the record's header, a compare of the record's ids
	// with the query's, the permission's id, the bitset words. Anything
	// else (a record that is not in the candidate entry, several
	// environment roles) goes on with canFrom from that entry.
	po, pu, pp := data(org), data(user), data(permission)
	ol, oh := ends(po, no)
	ul, uh := ends(pu, nu)
	h := fold(ol, oh, no, a.seed)
	// The middle words' loops (see rawHash) start with a test of the
	// length, which keeps their setup off the path of ids and slugs of at
	// most 16 bytes.
	if no > 16 {
		for o := 8; 2*o < no; o += 8 {
			h ^= foldMiddle(po, no, o, a.seed)
		}
	}
	ho := spread(h)
	h = fold(ul, uh, nu, ho)
	if nu > 16 {
		for o := 8; 2*o < nu; o += 8 {
			h ^= foldMiddle(pu, nu, o, ho)
		}
	}
	h = spread(h)
	t := s.members
	es, m := unsafe.Pointer(unsafe.SliceData(t.entries)), t.mask
	i := t.home(h)
	k := pick(h, hashAt(es, i), hashAt(es, (i+1)&m), hashAt(es, (i+2)&m))
	if k == 3 && vacant(es, i, m) {
		return false // no such membership: no record read
	}
	j := (i + k) & m
	p := valueAt(es, j)
	if p == nil {
		return s.canFrom(j, h, org, user, permission)
	}
	h0, h1 := load64(p), load64(unsafe.Add(p, 8))
	width, envRoles := h1>>32&0xffff, h1>>48
	if uint32(h1) != uint32(no)|uint32(nu)<<16 || envRoles > 1 {
		return s.canFrom(j, h, org, user, permission)
	}
	ro := unsafe.Add(p, recordHeader+8*width)
	ru := unsafe.Add(ro, no)
	rol, roh := ends(ro, no)
	rul, ruh := ends(ru, nu)
	d := (rol ^ ol) | (roh ^ oh) | (rul ^ ul) | (ruh ^ uh)
	if no > 16 {
		for o := 8; 2*o < no; o += 8 {
			d |= differMiddle(ro, po, no, o)
		}
	}
	if nu > 16 {
		for o := 8; 2*o < nu; o += 8 {
			d |= differMiddle(ru, pu, nu, o)
		}
	}
	if d != 0 {
		return s.canFrom(j, h, org, user, permission)
	}
	env := s.env
	pt := env.perms
	pl, ph := ends(pp, np)
	hp := fold(pl, ph, np, pt.seed)
	if np > 16 { // a slug has at most 32 bytes: one pair of middle words
		hp ^= foldMiddle(pp, np, 8, pt.seed)
	}
	hp = spread(hp)
	var perm uint64
	pes := unsafe.Pointer(unsafe.SliceData(pt.entries))
	for i := pt.home(hp); ; i = (i + 1) & pt.mask {
		e := (*permEntry)(unsafe.Add(pes, i*permEntrySize)) // i ≤ mask
		d := (e.lo ^ pl) | (e.hi ^ ph) | uint64(e.n^uint32(np))
		if np > 16 {
			d |= differMiddle(unsafe.Pointer(&e.text), pp, np, 8)
		}
		if d == 0 {
			perm = uint64(e.id)
			break
		}
		if e.n == 0 {
			return false
		}
	}
	// grants, for at most one environment role.
	word := perm >> 6
	ow := load64(unsafe.Add(p, recordHeader+8*clamp(word, lastWord(width)))) & ltMask(word, width)
	ew := env.word(h0>>32, word)
	return (ow|ew)>>(perm&63)&1 != 0
}

// can is Authorizer.Can for any ids and slug.
func (s *snapshot) can(org, user, permission string, seed uint64) bool {
	h := pairHash(org, user, seed)
	return s.canFrom(s.members.home(h), h, org, user, permission)
}

// canFrom is s.can for a membership of pair hash h whose table entry, if
// any, is entry j or one after it: what Can does when the entry it reads
// is not the membership's or its record is not one the short path reads,
// and s.can from the home entry.
func (s *snapshot) canFrom(j, h uint64, org, user, permission string) bool {
	if testHookGeneral != nil {
		testHookGeneral()
	}
	r := s.members.probeFrom(h, j, isMember(org, user))
	if r == nil {
		return false
	}
	perm, ok := s.env.perms.get(permission)
	return ok && grants(r, s.env, perm)
}

// testHookGeneral, when set by a test, is called on each check the general
// path answers.
var testHookGeneral func()

// CanAt is [Authorizer.Can] with the revision of the answer: it reflects
// every write committed at or before that revision.
func (a *Authorizer) CanAt(org, user, permission string) (ok bool, revision int64) {
	revision = a.rev.Load()
	return a.Can(org, user, permission), revision
}

// Claims returns the session claims of user in org (SPEC 11.1): the
// organization id, the primary role, every role highest priority first
// and the sorted union of their permissions. ok is false when the user has
// no active membership there. It allocates the claims' slices and nothing
// else.
func (a *Authorizer) Claims(org, user string) (c Claims, ok bool) {
	s, p, r := a.member(org, user)
	if r == nil {
		return Claims{}, false
	}
	ref := r.ref()
	var refs []uint32
	if ref&refKind == refCombo {
		refs = p.combos[ref&refIndex]
	} else {
		refs = []uint32{ref}
	}
	c = Claims{OrganizationID: org, Roles: make([]string, len(refs)), Permissions: []string{}}
	for i, r := range refs {
		c.Roles[i] = p.slug(s.env, r)
	}
	if p.inherit && len(refs) > 1 {
		// Inheriting organizations follow the environment order, which
		// may change without them: sort now (as sortByPriority does).
		rank := func(r uint32) int {
			if id := r & refIndex; r&refKind == refEnv && int(id) < len(s.env.roles) && s.env.roles[id].slug != "" {
				return s.env.roles[id].rank
			}
			return len(s.env.roles)
		}
		idx := make([]int, len(refs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool {
			ri, rj := rank(refs[idx[i]]), rank(refs[idx[j]])
			if ri != rj {
				return ri < rj
			}
			return c.Roles[idx[i]] < c.Roles[idx[j]]
		})
		sorted := make([]string, len(refs))
		for i, k := range idx {
			sorted[i] = c.Roles[k]
		}
		c.Roles = sorted
	}
	if len(c.Roles) > 0 {
		c.Role = c.Roles[0]
	}
	for _, id := range s.env.sorted {
		if grants(&r[0], s.env, id) {
			c.Permissions = append(c.Permissions, s.env.permSlugs[id])
		}
	}
	return c, true
}

// member returns the snapshot read, the part of org and the record of
// user's membership there, from the same version of the part. A writer
// publishes a part before the records it holds, so a reader that finds
// the record of another version is reading during a write, and tries
// again.
func (a *Authorizer) member(org, user string) (*snapshot, *orgPart, record) {
	ho, hm := idHash(org, a.seed), pairHash(org, user, a.seed)
	for try := 0; ; try++ {
		s := a.root.Load()
		p := findOrg(s.orgs, ho, org)
		if p == nil {
			return s, nil, nil
		}
		at := findMember(s.members, hm, org, user)
		if at == nil {
			return s, p, nil
		}
		if r := recordAt(at); p.holds(r) {
			return s, p, r
		}
		if try > 100 {
			runtime.Gosched()
		}
	}
}

// ClaimsAt is [Authorizer.Claims] with the revision of the answer.
func (a *Authorizer) ClaimsAt(org, user string) (c Claims, ok bool, revision int64) {
	revision = a.rev.Load()
	c, ok = a.Claims(org, user)
	return c, ok, revision
}

// Revision returns the watermark: the snapshot reflects every write
// committed at or before this revision.
func (a *Authorizer) Revision() int64 { return a.rev.Load() }

// Environment returns the id of the environment the authorizer serves.
func (a *Authorizer) Environment() string { return a.env }

// ---- loading ----

// NewAuthorizer loads a snapshot of environment env from the Service's
// store and registers with [Service.OnCommit], so that every later write
// through svc is visible to checks before the write call returns.
//
// Loading reads the whole environment in one read-only transaction: its
// permissions and environment roles, every organization, the active
// memberships in one listing, and the roles of the organizations that have
// their own settings (only those can have organization roles).
func NewAuthorizer(ctx context.Context, svc *Service, env string) (*Authorizer, error) {
	a := &Authorizer{svc: svc, env: env, seed: rand.Uint64(),
		permIDs: map[string]uint32{}, roleIDs: map[string]uint32{}, pending: map[int64]struct{}{}}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Register first: writes committed while the snapshot loads wait for
	// the lock and are then applied on top of it.
	svc.OnCommit(a.onCommit)
	if err := a.reload(ctx); err != nil {
		a.failed = err
		return nil, err
	}
	return a, nil
}

// Reload rebuilds the whole snapshot from the store. Checks go on being
// answered from the previous snapshot until the new one replaces it.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reload(ctx)
}

func (a *Authorizer) reload(ctx context.Context) error {
	err := a.svc.view(ctx, a.env, func(o *op) error {
		env, err := a.loadEnv(o)
		if err != nil {
			return err
		}
		orgs, err := collect(func(fn func(Organization) error) error { return o.tx.Organizations(ctx, Range{}, fn) })
		if err != nil {
			return err
		}
		ms, err := collect(func(fn func(Membership) error) error {
			return o.tx.Memberships(ctx, MembershipQuery{Statuses: []MembershipStatus{StatusActive}}, fn)
		})
		if err != nil {
			return err
		}
		slices.SortStableFunc(ms, func(x, y Membership) int { return strings.Compare(x.OrganizationID, y.OrganizationID) })
		idx := newOrgIndex(len(orgs))
		mem := &slab{}
		parts := make([]*orgPart, 0, len(orgs))
		for _, org := range orgs {
			var roles []Role
			if org.HasOwnSettings() {
				if roles, err = o.tx.OrganizationRoles(ctx, org.ID); err != nil {
					return err
				}
			}
			i, _ := slices.BinarySearchFunc(ms, org.ID, func(m Membership, id string) int { return strings.Compare(m.OrganizationID, id) })
			j := i
			for j < len(ms) && ms[j].OrganizationID == org.ID {
				j++
			}
			p := a.buildOrg(mem, org, roles, ms[i:j])
			idx.insert(idHash(org.ID, a.seed), p)
			parts = append(parts, p)
		}
		members := newMemberTable(len(ms))
		for _, p := range parts {
			records(p.block, func(r record) {
				org, user := r.ids()
				members.insert(pairHash(org, user, a.seed), &r[0])
			})
		}
		a.root.Store(&snapshot{env: env, orgs: idx, members: members})
		a.advance(o.env.Revision, true)
		return nil
	})
	if err == nil {
		a.failed = nil
	}
	return err
}

// loadEnv builds the environment part from the transaction.
func (a *Authorizer) loadEnv(o *op) (*envPart, error) {
	perms, err := collect(func(fn func(Permission) error) error { return o.tx.Permissions(o.ctx, Range{}, fn) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(perms, func(a, b Permission) int { return strings.Compare(a.Slug, b.Slug) })
	roles, err := o.tx.EnvironmentRoles(o.ctx)
	if err != nil {
		return nil, err
	}
	e := &envPart{perms: newPermTable(a.seed, len(perms))}
	for _, p := range perms { // sorted by slug
		e.sorted = append(e.sorted, a.permID(p.Slug))
	}
	e.permSlugs = make([]string, len(a.permIDs))
	for i, p := range perms {
		slug := strings.Clone(p.Slug)
		e.permSlugs[e.sorted[i]] = slug
		e.perms.put(slug, e.sorted[i])
	}
	order := rank(o.env.PriorityOrder)
	for _, r := range roles {
		a.roleID(r.Slug)
	}
	e.roles = make([]envRole, len(a.roleIDs))
	bits := make([][]uint64, len(a.roleIDs))
	for _, r := range roles {
		pos, ok := order[r.Slug]
		if !ok {
			pos = len(o.env.PriorityOrder)
		}
		id := a.roleIDs[r.Slug]
		e.roles[id] = envRole{slug: strings.Clone(r.Slug), rank: pos}
		bits[id] = a.bitset(r.Permissions) // may intern new permission ids
	}
	e.width = uint64(len(a.permIDs)+63) / 64
	e.bits = make([]uint64, (len(e.roles)+1)*int(e.width)) // and a zero row
	for i, b := range bits {
		copy(e.bits[i*int(e.width):], b)
	}
	return e, nil
}

func (a *Authorizer) permID(slug string) uint32 {
	id, ok := a.permIDs[slug]
	if !ok {
		id = uint32(len(a.permIDs))
		a.permIDs[strings.Clone(slug)] = id
	}
	return id
}

func (a *Authorizer) roleID(slug string) uint32 {
	id, ok := a.roleIDs[slug]
	if !ok {
		id = uint32(len(a.roleIDs))
		a.roleIDs[strings.Clone(slug)] = id
	}
	return id
}

// bitset returns the permission bitset of slugs, as short as it can be.
func (a *Authorizer) bitset(slugs []string) []uint64 {
	var b []uint64
	for _, s := range slugs {
		id := a.permID(s)
		for int(id>>6) >= len(b) {
			b = append(b, 0)
		}
		b[id>>6] |= 1 << (id & 63)
	}
	return slices.Clip(b)
}

// onCommit is the Service's commit hook.
func (a *Authorizer) onCommit(c Commit) {
	events := c.Events
	if c.EnvironmentID != a.env {
		return
	}
	if c.Err != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.root.Load() != nil {
			a.failed = c.Err // the next change reloads the whole snapshot
			_ = a.reload(context.Background())
		}
		return
	}
	if len(events) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.root.Load() == nil {
		return // the initial load failed
	}
	// A failure is kept in a.failed; the next change retries with a full
	// reload.
	_ = a.apply(context.Background(), ChangeOf(a.env, events[0].Revision, events))
}

// Apply brings the snapshot up to date with one change: it reloads the
// environment part when c.Environment is set and the part of every
// organization c names, all from one read-only transaction of the store.
// Nothing else is rebuilt. Applying a change twice, or late, is harmless.
func (a *Authorizer) Apply(ctx context.Context, c Change) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.apply(ctx, c)
}

func (a *Authorizer) apply(ctx context.Context, c Change) error {
	if c.EnvironmentID != "" && c.EnvironmentID != a.env {
		return nil
	}
	if a.failed != nil {
		if err := a.reload(ctx); err != nil {
			return err
		}
		a.advance(c.Revision, false)
		return nil
	}
	err := a.svc.view(ctx, a.env, func(o *op) error {
		s := a.root.Load()
		if c.Environment {
			env, err := a.loadEnv(o)
			if err != nil {
				return err
			}
			s = &snapshot{env: env, orgs: s.orgs, members: s.members}
			a.root.Store(s)
		}
		for _, id := range c.Organizations {
			org, err := o.tx.Organization(ctx, id)
			if errors.Is(err, ErrNotFound) {
				s = a.replace(s, id, nil)
				continue
			}
			if err != nil {
				return err
			}
			var roles []Role
			if org.HasOwnSettings() {
				if roles, err = o.tx.OrganizationRoles(ctx, id); err != nil {
					return err
				}
			}
			ms, err := collect(func(fn func(Membership) error) error {
				return o.tx.Memberships(ctx, MembershipQuery{OrganizationID: id, Statuses: []MembershipStatus{StatusActive}}, fn)
			})
			if err != nil {
				return err
			}
			s = a.replace(s, id, a.buildOrg(nil, org, roles, ms))
		}
		return nil
	})
	if err != nil {
		a.failed = err
		return err
	}
	a.advance(c.Revision, false)
	return nil
}

// replace publishes p as the part of organization id, or removes the
// organization when p is nil: first the part, then its records, then the
// removal of the records of former members. It returns the snapshot to use
// from now on, which it has published if it changed. Callers hold mu.
func (a *Authorizer) replace(s *snapshot, id string, p *orgPart) *snapshot {
	h := idHash(id, a.seed)
	old := findOrg(s.orgs, h, id)
	orgs, members := s.orgs, s.members
	if p == nil {
		orgs.remove(h, isOrg(id))
	} else if orgs = orgs.put(h, p, isOrg(id)); orgs != s.orgs {
		s = &snapshot{env: s.env, orgs: orgs, members: members}
		a.root.Store(s)
	}
	now := map[string]bool{}
	if p != nil {
		records(p.block, func(r record) {
			_, user := r.ids()
			now[user] = true
			members = putRecord(members, a.seed, r)
		})
	}
	if members != s.members {
		s = &snapshot{env: s.env, orgs: orgs, members: members}
		a.root.Store(s)
	}
	if old != nil {
		records(old.block, func(r record) {
			if _, user := r.ids(); !now[user] {
				members.remove(pairHash(id, user, a.seed), isMember(id, user))
			}
		})
	}
	return s
}

// advance records that every change up to revision r has been applied
// (reset, after a full load at r) or that the change of revision r has
// (otherwise), and moves the watermark over the consecutive revisions
// applied. Callers hold mu.
func (a *Authorizer) advance(r int64, reset bool) {
	w := a.rev.Load()
	if reset {
		w = max(w, r)
		for p := range a.pending {
			if p <= w {
				delete(a.pending, p)
			}
		}
	} else if r > w {
		if len(a.pending) >= maxPending {
			clear(a.pending)
		}
		a.pending[r] = struct{}{}
	}
	for {
		if _, ok := a.pending[w+1]; !ok {
			break
		}
		delete(a.pending, w+1)
		w++
	}
	a.rev.Store(w)
}

// Follow keeps the snapshot up to date with the changes feed delivers —
// those committed by every process sharing the store — until ctx is done
// or the feed fails, and returns why it stopped. Each change reloads only
// what it names (see [Authorizer.Apply]); a change whose revision does not
// follow the previous one means changes were lost, and makes Follow reload
// the whole snapshot. Run it in its own goroutine, and again when it
// returns an error:
//
//	go func() {
//		for ctx.Err() == nil {
//			if err := a.Follow(ctx, feed); err != nil { log.Print(err) }
//			time.Sleep(time.Second)
//		}
//	}()
func (a *Authorizer) Follow(ctx context.Context, feed Feed) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	last := a.Revision()
	err := feed.Follow(ctx, a.env, last, func(c Change) {
		if ctx.Err() != nil || c.Revision <= last {
			return
		}
		var err error
		switch {
		case c.Revision > last+1:
			err = a.Reload(ctx)
		case c.Revision > a.Revision():
			err = a.Apply(ctx, c)
		}
		if err != nil {
			cancel(fmt.Errorf("rbac: authorizer: applying revision %d: %w", c.Revision, err))
			return
		}
		last = c.Revision
	})
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}
