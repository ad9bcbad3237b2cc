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

// work is what one change asks to bring up to date.
type work struct {
	revision int64
	certain  bool // the change committed: its revision counts
	env      bool
	members  []rbac.MembershipRef
	roles    []rbac.RoleRef
	settings []string
	whole    []string // organizations to read again entirely
}

func workOf(c rbac.Change) *work {
	w := &work{revision: c.Revision, certain: true, env: c.Environment}
	if c.Itemized {
		w.members, w.roles, w.settings = c.Memberships, c.Roles, c.Settings
	} else {
		w.whole = c.Organizations
	}
	return w
}

// size is a measure of the work, for its read deadline.
func (w *work) size() int { return len(w.members) + len(w.roles) + len(w.settings) + len(w.whole) }

// deadline returns a context for the reads of w.
func (a *Authorizer) deadline(ctx context.Context, w *work) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, a.opt.readTimeout+time.Duration(w.size())*50*time.Microsecond)
}

// onCommit is the Service's commit hook.
func (a *Authorizer) onCommit(c rbac.Commit) {
	if c.EnvironmentID != a.env || len(c.Events) == 0 {
		return
	}
	w := workOf(rbac.ChangeOf(c.EnvironmentID, c.Revision, c.Events))
	w.certain = c.Err == nil
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

// apply brings g up to date with w, reading what it names from the
// store. Callers hold mu.
func (a *Authorizer) apply(ctx context.Context, g *gen, w *work) error {
	defer g.perms.sweep()
	defer g.roles.sweep()
	return a.view(ctx, func(tx rbac.Tx, e rbac.Environment) error {
		if w.env {
			part, err := a.buildEnv(ctx, tx, e, g)
			if err != nil {
				return err
			}
			a.publish(g, &snapshot{env: part, members: g.live.members})
		}
		s := newSource(ctx, tx)
		refresh := func(m rbac.Membership) error { return a.refresh(g, &m, s) }
		err := eachNamed(ctx, tx, w.members, refresh, func(r rbac.MembershipRef) { a.remove(g, r.OrganizationID, r.UserID) })
		if err != nil {
			return err
		}
		for _, r := range w.roles {
			if err := eachHolder(ctx, tx, r.OrganizationID, r.Slug, refresh); err != nil {
				return err
			}
		}
		for _, org := range w.settings {
			if err := eachMultiRole(ctx, tx, org, refresh); err != nil {
				return err
			}
		}
		if len(w.whole) > 0 {
			return a.refreshWhole(ctx, tx, g, s, w.whole)
		}
		return nil
	})
}

// refresh publishes the record of m if it is active, and forgets it
// otherwise. Callers hold mu.
func (a *Authorizer) refresh(g *gen, m *rbac.Membership, s *source) error {
	if m.Status != rbac.StatusActive {
		a.remove(g, m.OrganizationID, m.UserID)
		return nil
	}
	r, err := buildRecord(m, s, g, &a.scratch)
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
		err := eachMembershipOf(ctx, tx, org, func(m rbac.Membership) error {
			have[key{m.OrganizationID, m.UserID}] = true
			return a.refresh(g, &m, s)
		})
		if err != nil {
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
		g.live = &snapshot{env: part, members: newMemberTable(0)}
		return loadAll(ctx, tx, func(m *rbac.Membership, s *source, n int) error {
			if g.live.members.live == 0 && len(g.live.members.entries) < 2*n {
				g.live.members = newMemberTable(n)
			}
			r, err := buildRecord(m, s, g, &scratch)
			if err != nil {
				return err
			}
			holdRecord(g, r, 1)
			org, user := r.ids()
			h := pairHash(org, user, a.seed)
			t := g.live.members
			if e := t.entry(h, isMember(org, user)); e != nil { // a store listing a membership twice
				old := e.v.Load()
				e.v.Store(&r[0])
				holdRecord(g, recordAt(old), -1)
				return nil
			}
			g.live.members = t.put(h, &r[0], isMember(org, user))
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("authz: loading environment %q: %w", a.env, err)
	}
	g.perms.sweep()
	g.roles.sweep()
	return g, rev, nil
}
