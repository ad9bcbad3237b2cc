package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgroles/rbac"
)

// ---- freshness ----
//
// Every write through the Service reaches onCommit before the write call
// returns; writes of other processes arrive from the feed (follow.go).
// Either way a change is turned into work: the memberships, organization
// roles and organization settings it names, and whether the environment
// part changed. Applying work reads what it names from the store, in one
// read-only transaction, and publishes the records built from it; it
// never reads a whole organization unless the change does not say what
// in it changed (a feed that is not itemized). All applications run one at
// a time under mu and read the store's current state, so a record is
// never replaced by an older one even when the changes of concurrent
// writes arrive out of order.
//
// The watermark (Revision) moves over consecutive revisions applied:
// pending holds those applied above it. A change whose outcome the store
// could not tell is applied (its items read again) but not counted: if it
// committed, its revision stays missing, and the supervisor (follow.go)
// finds the gap.

// work is what one change asks to bring up to date: a change from the
// feed, or the events of a commit of this process's Service, which carry
// the records they are about.
type work struct {
	revision int64
	certain  bool // the change committed: its revision counts
	events   []rbac.Event
	change   *rbac.Change // from the feed, or summarised from events when needed
}

func workOfChange(c rbac.Change) *work { return &work{revision: c.Revision, certain: true, change: &c} }

func workOfCommit(c rbac.Commit) *work {
	return &work{revision: c.Revision, certain: c.Err == nil, events: c.Events}
}

// summary returns the change w stands for.
func (w *work) summary(env string) *rbac.Change {
	if w.change == nil {
		c := rbac.ChangeOf(env, w.revision, w.events)
		w.change = &c
	}
	return w.change
}

// size is a measure of the work, for its read deadline.
func (w *work) size() int {
	if w.events != nil {
		n := len(w.events)
		for i := range w.events {
			n += w.events[i].Count // a bulk reassignment's memberships
		}
		return n
	}
	c := w.change
	return len(c.Memberships) + len(c.Roles) + len(c.Settings) + len(c.Organizations)
}

// carries reports whether w's events carry every membership they name.
func (w *work) carries() bool {
	if w.events == nil {
		return false
	}
	for i := range w.events {
		e := &w.events[i]
		switch e.Type {
		case rbac.EventMembershipCreated, rbac.EventMembershipUpdated, rbac.EventMembershipDeleted:
			if e.Membership == nil {
				return false
			}
		}
	}
	return true
}

// deadline returns a context for the reads of w.
func (a *Authorizer) deadline(ctx context.Context, w *work) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.opt.readTimeout+time.Duration(w.size())*50*time.Microsecond)
}

// onCommit is the Service's commit hook.
func (a *Authorizer) onCommit(c rbac.Commit) {
	if c.EnvironmentID != a.env || len(c.Events) == 0 {
		return
	}
	w := workOfCommit(c)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	if a.loading {
		a.during = append(a.during, w)
	}
	if a.g == nil {
		return // the first load is under way: it applies w when it ends
	}
	ctx, cancel := a.deadline(context.Background(), w)
	defer cancel()
	if err := a.apply(ctx, a.g, w); err != nil {
		a.report(fmt.Errorf("authz: applying revision %d: %w", w.revision, err))
		a.nudge()
		return
	}
	if w.certain {
		a.advance(w.revision)
	}
}

// nudge asks the supervisor to poll the store now.
func (a *Authorizer) nudge() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// apply brings g up to date with w. Callers hold mu.
//
// The records a commit's events carry are as they were when it
// committed: they are used only when nothing newer has been applied
// (g.high, the newest revision any applied record reflects, is below the
// commit's) — commits of concurrent writes may arrive out of order. A
// membership change whose record needs nothing else (it holds one
// environment role, or roles whose permissions the events carry) is then
// applied without reading the store. Anything else is read from the store,
// in one read-only transaction: current state, newer than any change.
// The records of a commit whose outcome the store could not tell are
// never used: they may not be stored. What it names is read instead (the
// store has settled the commit, one way or the other, before the write
// call returns), and its revision does not count towards g.high.
func (a *Authorizer) apply(ctx context.Context, g *gen, w *work) error {
	defer g.perms.sweep()
	defer g.roles.sweep()
	carried := w.certain && w.revision > g.high && w.carries()
	c := (*rbac.Change)(nil)
	if !carried || w.events == nil {
		c = w.summary(a.env)
	}
	if carried && !a.needsView(w) {
		s := newSource(ctx, nil, g)
		seed(s, w.events)
		err := a.applyEvents(g, s, w.events, nil)
		if err == nil {
			g.high = max(g.high, w.revision)
			return nil
		}
		if !errors.Is(err, errNeedRead) {
			return err
		}
	}
	err := a.view(ctx, func(tx rbac.Tx, e rbac.Environment) error {
		s := newSource(ctx, tx, g)
		if carried {
			seed(s, w.events)
		}
		if c == nil && !carried || c != nil && c.Environment || carried && w.touchesEnv() {
			part, err := a.buildEnv(ctx, tx, e, g)
			if err != nil {
				return err
			}
			a.publish(g, &snapshot{env: part, members: g.live.members})
		}
		if carried {
			// A summary of a bulk reassignment is applied from the
			// snapshot when the store is at its revision (bulk.go).
			bulk := func(ev *rbac.Event) error {
				if e.Revision == w.revision && bulkFromSnapshot {
					return a.reassign(g, s, e, ev)
				}
				return a.reread(g, s, ev)
			}
			if err := a.applyEvents(g, s, w.events, bulk); err != nil {
				return err
			}
		} else {
			ms, err := namedMemberships(ctx, tx, c.Memberships, func(r rbac.MembershipRef) { a.remove(g, r.OrganizationID, r.UserID) })
			if err != nil {
				return err
			}
			if err := a.refreshAll(g, s, ms); err != nil {
				return err
			}
			for _, ev := range w.bulkEvents() {
				if err := a.reread(g, s, ev); err != nil {
					return err
				}
			}
		}
		sum := c
		if sum == nil {
			sum = w.summary(a.env)
		}
		for _, r := range sum.Roles {
			ms, err := holders(ctx, tx, r.OrganizationID, r.Slug)
			if err == nil {
				err = a.refreshAll(g, s, ms)
			}
			if err != nil {
				return err
			}
		}
		for _, org := range sum.Settings {
			ms, err := multiRole(ctx, tx, org)
			if err == nil {
				err = a.refreshAll(g, s, ms)
			}
			if err != nil {
				return err
			}
		}
		if !sum.Itemized && len(sum.Organizations) > 0 {
			if err := a.refreshWhole(ctx, tx, g, s, sum.Organizations); err != nil {
				return err
			}
		}
		g.high = max(g.high, e.Revision)
		if w.certain {
			g.high = max(g.high, w.revision)
		}
		return nil
	})
	if isEnvGone(err) {
		// The environment was deleted: nothing of it is left to allow.
		a.publish(g, &snapshot{env: emptyEnv(), members: newMemberTable(0)})
		return nil
	}
	return err
}

// needsView reports whether w needs more than the records its events
// carry: the environment part, or the holders or members of roles and
// organizations.
func (a *Authorizer) needsView(w *work) bool {
	for i := range w.events {
		switch w.events[i].Type {
		case rbac.EventMembershipCreated, rbac.EventMembershipUpdated, rbac.EventMembershipDeleted,
			rbac.EventGroupMappingCreated, rbac.EventGroupMappingUpdated, rbac.EventGroupMappingDeleted,
			rbac.EventOrganizationCreated:
		default:
			return true
		}
	}
	return false
}

// touchesEnv reports whether w's events change the environment part.
func (w *work) touchesEnv() bool {
	for i := range w.events {
		switch w.events[i].Type {
		case rbac.EventEnvironmentCreated, rbac.EventEnvironmentUpdated, rbac.EventEnvironmentDeleted,
			rbac.EventPermissionCreated, rbac.EventPermissionUpdated, rbac.EventPermissionDeleted,
			rbac.EventRoleCreated, rbac.EventRoleUpdated, rbac.EventRoleDeleted:
			return true
		}
	}
	return false
}

// seed gives s the organization roles and organizations events carry.
func seed(s *source, events []rbac.Event) {
	for i := range events {
		e := &events[i]
		switch e.Type {
		case rbac.EventOrganizationRoleCreated, rbac.EventOrganizationRoleUpdated:
			if e.Role != nil {
				s.roles[rbac.RoleRef{OrganizationID: e.Role.OrganizationID, Slug: e.Role.Slug}] = s.roleOf(e.Role.Permissions)
			}
		case rbac.EventOrganizationRoleDeleted:
			if e.Role != nil {
				s.roles[rbac.RoleRef{OrganizationID: e.Role.OrganizationID, Slug: e.Role.Slug}] = orgRole{}
			}
		case rbac.EventOrganizationCreated, rbac.EventOrganizationUpdated:
			if o := e.Organization; o != nil {
				s.orgs[o.ID] = orgOrder{order: o.PriorityOrder, own: o.HasOwnSettings()}
			}
		}
	}
}

// applyEvents applies the memberships events carry, in order, and hands
// the summaries of bulk reassignments to bulk (nil: they need a read).
func (a *Authorizer) applyEvents(g *gen, s *source, events []rbac.Event, bulk func(*rbac.Event) error) error {
	for i := range events {
		e := &events[i]
		switch e.Type {
		case rbac.EventMembershipsReassigned:
			if bulk == nil {
				return errNeedRead
			}
			if err := bulk(e); err != nil {
				return err
			}
		case rbac.EventMembershipDeleted:
			a.remove(g, e.Membership.OrganizationID, e.Membership.UserID)
		case rbac.EventMembershipCreated, rbac.EventMembershipUpdated:
			if err := a.refresh(g, e.Membership, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Authorizer) refreshAll(g *gen, s *source, ms []rbac.Membership) error {
	for i := range ms {
		if err := a.refresh(g, &ms[i], s); err != nil {
			return err
		}
	}
	return nil
}

func isEnvGone(err error) bool {
	var e *rbac.Error
	return errors.As(err, &e) && e.Code == rbac.CodeEnvironmentNotFound
}

// refresh publishes the record of m if it is active, and forgets it
// otherwise. Callers hold mu.
func (a *Authorizer) refresh(g *gen, m *rbac.Membership, s *source) error {
	if m.Status != rbac.StatusActive {
		a.remove(g, m.OrganizationID, m.UserID)
		return nil
	}
	r, err := buildRecord(m, s, &a.scratch)
	if err != nil {
		return err
	}
	a.put(g, r)
	return nil
}

// refreshWhole reads the organizations orgs again entirely, for a change
// that does not say what in them changed: every membership they have,
// and then one pass over the member table forgets the records of the
// memberships they no longer have.
func (a *Authorizer) refreshWhole(ctx context.Context, tx rbac.Tx, g *gen, s *source, orgs []string) error {
	type key struct{ org, user string }
	have := map[key]bool{}
	in := map[string]bool{}
	for _, org := range orgs {
		in[org] = true
		ms, err := membershipsOf(ctx, tx, org)
		if err != nil {
			return err
		}
		for i := range ms {
			have[key{ms[i].OrganizationID, ms[i].UserID}] = true
		}
		if err := a.refreshAll(g, s, ms); err != nil {
			return err
		}
	}
	var gone []key
	g.live.members.each(func(p *byte) {
		org, user := recordAt(p).ids()
		if in[org] && !have[key{org, user}] {
			gone = append(gone, key{org, user})
		}
	})
	for _, k := range gone {
		a.remove(g, k.org, k.user)
	}
	return nil
}

// maxPending bounds the applied revisions kept above a stalled watermark.
const maxPending = 1 << 14

// advance records that the change of revision r has been applied and
// moves the watermark over the consecutive revisions applied. Callers
// hold mu.
func (a *Authorizer) advance(r int64) {
	w := a.rev.Load()
	if r <= w {
		return
	}
	if len(a.pending) >= maxPending {
		clear(a.pending) // the supervisor fills the gap
	}
	a.pending[r] = struct{}{}
	moved := false
	for {
		if _, ok := a.pending[w+1]; !ok {
			break
		}
		delete(a.pending, w+1)
		w++
		moved = true
	}
	if moved {
		a.setRevision(w)
	}
}

// setRevision moves the watermark to w and wakes the callers of WaitFor.
// Callers hold mu.
func (a *Authorizer) setRevision(w int64) {
	a.rev.Store(w)
	close(a.advanced)
	a.advanced = make(chan struct{})
}

// reload loads the whole snapshot again. It reads the store without
// holding mu, so that writes meanwhile are applied to the current
// snapshot as usual (and kept, to be applied again to the new one). Only
// one reload runs at a time.
func (a *Authorizer) reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errClosed
	}
	a.loading, a.during = true, nil
	a.mu.Unlock()

	start := a.opt.now()
	g, rev, err := a.load(ctx)

	a.mu.Lock()
	defer a.mu.Unlock()
	during := a.during
	a.loading, a.during = false, nil
	if err != nil {
		return err
	}
	a.g = g
	// The watermark of the new generation: rev, then the changes
	// replayed on top of it. It is computed before it is published, so
	// that it does not go back meanwhile.
	pending := map[int64]struct{}{}
	w := rev
	replayed := true
	for _, c := range during {
		if c.certain && c.revision <= rev {
			continue // the load reflects it
		}
		cctx, cancel := a.deadline(ctx, c)
		err := a.apply(cctx, g, c)
		cancel()
		if err != nil {
			a.report(fmt.Errorf("authz: applying revision %d after a reload: %w", c.revision, err))
			replayed = false
			continue
		}
		if c.certain && c.revision > w {
			pending[c.revision] = struct{}{}
		}
	}
	for {
		if _, ok := pending[w+1]; !ok {
			break
		}
		delete(pending, w+1)
		w++
	}
	a.pending = pending
	if w != a.rev.Load() {
		a.setRevision(w)
	}
	a.publish(g, g.live)
	if replayed {
		a.markSyncedLocked(start)
	}
	return nil
}

var errClosed = errors.New("authz: the authorizer is closed")

// load builds a new generation from the store and returns it with the
// revision it reflects.
func (a *Authorizer) load(ctx context.Context) (*gen, int64, error) {
	g := &gen{perms: newInterner(a.opt.now), roles: newInterner(a.opt.now)}
	var rev int64
	var scratch []byte
	err := a.view(ctx, func(tx rbac.Tx, e rbac.Environment) error {
		rev = e.Revision
		part, err := a.buildEnv(ctx, tx, e, g)
		if err != nil {
			return err
		}
		g.live = &snapshot{env: part, members: newMemberTable(a.sizeHint())}
		s := newSource(ctx, tx, g)
		return loadAll(ctx, tx, s, func(m *rbac.Membership) error {
			r, err := buildRecord(m, s, &scratch)
			if err != nil {
				return err
			}
			// A store lists each membership once: no lookup.
			holdRecord(g, r, 1)
			org, user := r.ids()
			g.live.members = g.live.members.add(pairHash(org, user, a.seed), &r[0])
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("authz: loading environment %q: %w", a.env, err)
	}
	g.high = rev
	g.perms.sweep()
	g.roles.sweep()
	return g, rev, nil
}

// sizeHint returns the number of records the current generation has, to
// size the member table of the next.
func (a *Authorizer) sizeHint() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.g == nil {
		return 0
	}
	return a.g.live.members.live
}
