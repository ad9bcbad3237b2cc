package rbac

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// Service enforces the rules of roles and permissions on top of a [Store].
// It is safe for concurrent use; every write is one Store transaction, so a
// failed call changes nothing (SPEC 12.2) and a successful one is visible
// whole (SPEC 9.4).
type Service struct {
	store Store
	now   func() time.Time
	rand  io.Reader

	log *slog.Logger

	mu       sync.Mutex
	handlers []*handler
}

// An Option configures a [Service].
type Option func(*Service)

// WithClock makes the Service read the time from now (for tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw ids and slug suffixes from r instead of
// crypto/rand (for reproducible tests and examples).
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger makes the Service log what it cannot return to a caller (a
// panicking OnCommit handler) to l instead of [slog.Default].
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service on the store.
func New(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now, rand: rand.Reader, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Store returns the Store the Service works on.
func (s *Service) Store() Store { return s.store }

// A Commit reports one write call to the handlers registered with
// [Service.OnCommit].
type Commit struct {
	EnvironmentID string
	// Revision is the environment revision the write committed at (or,
	// when Err is set, would have committed at).
	Revision int64
	// Events are the changes of the write, all stamped with Revision.
	Events []Event
	// Err is nil when the write committed. It matches [ErrOutcomeUnknown]
	// when the store could not tell whether the write committed: the
	// events may or may not be stored, and a handler that caches state
	// must read it again from the store.
	Err error
}

// OnCommit registers fn to be called after every committed write with
// what it committed, before the write call returns, and after every write
// whose outcome the store could not tell (see [Commit.Err]). It is how
// same-process caches stay fresh. Calls for concurrent writes may overlap
// and may arrive out of commit order; every commit carries its revision,
// so a handler can tell. fn must not call the Service's write methods.
//
// Handlers run one after the other in the order they were registered. A
// handler that panics does not stop the others nor the write call: the
// panic is recovered and logged (see [WithLogger]).
//
// OnCommit returns a function that unregisters fn; calling it more than
// once is harmless.
func (s *Service) OnCommit(fn func(Commit)) (remove func()) {
	h := &handler{fn: fn}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers = append(slices.Clip(s.handlers), h)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.handlers, h); i >= 0 {
			s.handlers = slices.Delete(slices.Clip(s.handlers), i, i+1)
		}
	}
}

// handler is one registration of OnCommit (a pointer, so that the same
// function registered twice is two registrations).
type handler struct{ fn func(Commit) }

// notify calls every handler with c, each protected from the others'
// panics.
func (s *Service) notify(c Commit) {
	s.mu.Lock()
	hs := s.handlers
	s.mu.Unlock()
	for _, h := range hs {
		s.call(h, c)
	}
}

func (s *Service) call(h *handler, c Commit) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("rbac: an OnCommit handler panicked", "environment", c.EnvironmentID,
				"revision", c.Revision, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	h.fn(c)
}

// op is one write call in progress: its transaction, the environment as
// loaded (and changed), and the events to publish.
type op struct {
	ctx    context.Context
	s      *Service
	tx     Tx
	env    Environment
	now    time.Time
	events []Event
}

var errRollback = errors.New("rbac: dry run")

// update runs fn in a read-write transaction on env. If create is false the
// environment must exist. If dryRun is true the transaction is rolled back
// after fn succeeds. Events collected by fn are published with the next
// revision and handed to OnCommit handlers after commit.
func (s *Service) update(ctx context.Context, envID string, create, dryRun bool, fn func(*op) error) error {
	var pending Commit
	err := s.store.Update(ctx, envID, func(tx Tx) error {
		pending = Commit{}
		o := &op{ctx: ctx, s: s, tx: tx, now: s.now().UTC()}
		if !create {
			env, err := tx.Environment(ctx)
			if err != nil {
				return envErr(envID, err)
			}
			o.env = env
		}
		if err := fn(o); err != nil {
			return err
		}
		if dryRun {
			return errRollback
		}
		if len(o.events) == 0 {
			return nil
		}
		o.env.Revision++
		if err := tx.PutEnvironment(ctx, o.env); err != nil {
			return err
		}
		for i := range o.events {
			o.events[i].EnvironmentID = envID
			o.events[i].Revision = o.env.Revision
			o.events[i].Time = o.now
		}
		if err := tx.Publish(ctx, o.env.Revision, o.events); err != nil {
			return err
		}
		pending = Commit{EnvironmentID: envID, Revision: o.env.Revision, Events: o.events}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		// The store sent the commit and lost the answer. Tell the
		// handlers, so caches read the store again, even when fn's
		// events are not known (a store may lose the connection before
		// fn ends too, but then it rolled back and says so).
		if pending.EnvironmentID == "" {
			pending.EnvironmentID = envID
		}
		pending.Err = err
		s.notify(pending)
		return err
	}
	if err != nil {
		return internal(err)
	}
	if len(pending.Events) > 0 {
		s.notify(pending)
	}
	return nil
}

// view runs fn in a read-only transaction on an existing environment.
func (s *Service) view(ctx context.Context, envID string, fn func(*op) error) error {
	err := s.store.View(ctx, envID, func(tx Tx) error {
		env, err := tx.Environment(ctx)
		if err != nil {
			return envErr(envID, err)
		}
		return fn(&op{ctx: ctx, s: s, tx: tx, env: env})
	})
	return internal(err)
}

func envErr(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return notFound(CodeEnvironmentNotFound, "environment %q not found", id)
	}
	return err
}

func (o *op) emit(e Event) { o.events = append(o.events, e) }

func (o *op) putEnv() error {
	o.env.UpdatedAt = o.now
	return o.tx.PutEnvironment(o.ctx, o.env)
}

// newID returns prefix + "_" + 26 characters of Crockford base32.
func (s *Service) newID(prefix string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", err
	}
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var sb strings.Builder
	sb.WriteString(prefix)
	sb.WriteByte('_')
	// 128 bits → 26 base32 digits: a 130-bit number whose top 2 bits are 0.
	for i := 0; i < 26; i++ {
		var d byte
		for j := 0; j < 5; j++ {
			if p := i*5 + j - 2; p >= 0 && b[p/8]&(0x80>>(p%8)) != 0 {
				d |= 1 << (4 - j)
			}
		}
		sb.WriteByte(alphabet[d])
	}
	return sb.String(), nil
}

// newSuffix returns SlugSuffixLen characters of [a-z0-9].
func (s *Service) newSuffix() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [SlugSuffixLen]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:]), nil
}

// ---- environments ----

// CreateEnvironment creates an environment seeded with the environment role
// "member", which is its default role and the whole of its priority order
// (SPEC 4.1). Multiple-roles mode starts off.
func (s *Service) CreateEnvironment(ctx context.Context, in EnvironmentInput) (Environment, error) {
	if err := ValidateRoleSlug(in.ID); err != nil {
		e := err.(*Error)
		e.Field = "id"
		e.Message = strings.Replace(e.Message, "role slug", "environment id", 1)
		return Environment{}, e
	}
	name := in.Name
	if name == "" {
		name = in.ID
	}
	if err := validateName(name); err != nil {
		return Environment{}, err
	}
	err := s.update(ctx, in.ID, true, false, func(o *op) error {
		if _, err := o.tx.Environment(ctx); err == nil {
			return conflict(CodeEnvironmentExists, "environment %q already exists", in.ID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, err := s.newID("role")
		if err != nil {
			return err
		}
		member := Role{ID: id, Slug: "member", Name: "Member", Type: EnvironmentRole,
			Permissions: []string{}, CreatedAt: o.now, UpdatedAt: o.now}
		o.env = Environment{ID: in.ID, Name: name, DefaultRole: member.Slug,
			PriorityOrder: []string{member.Slug}, CreatedAt: o.now, UpdatedAt: o.now}
		if err := o.tx.PutEnvironment(ctx, o.env); err != nil {
			return err
		}
		if err := o.tx.PutRole(ctx, member); err != nil {
			return err
		}
		o.emit(Event{Type: EventEnvironmentCreated})
		o.emit(Event{Type: EventRoleCreated, RoleSlug: member.Slug})
		return nil
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, in.ID)
}

// GetEnvironment returns an environment with its settings and revision.
func (s *Service) GetEnvironment(ctx context.Context, env string) (Environment, error) {
	var out Environment
	err := s.view(ctx, env, func(o *op) error { out = o.env; return nil })
	return out, err
}

// Environments lists the ids of every environment in the store.
func (s *Service) Environments(ctx context.Context) ([]string, error) {
	ids, err := s.store.Environments(ctx)
	return ids, internal(err)
}

// SetDefaultRole makes the environment role slug the environment default
// (SPEC 6.2). Organizations without their own settings follow it.
func (s *Service) SetDefaultRole(ctx context.Context, env, slug string) (Environment, error) {
	err := s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.envRole(slug); err != nil {
			return err
		}
		if o.env.DefaultRole == slug {
			return nil
		}
		o.env.DefaultRole = slug
		o.emit(Event{Type: EventEnvironmentUpdated, RoleSlug: slug})
		return o.putEnv()
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, env)
}

// SetPriorityOrder replaces the environment priority order. order must hold
// every environment role exactly once (SPEC 7.2).
func (s *Service) SetPriorityOrder(ctx context.Context, env string, order []string) (Environment, error) {
	err := s.update(ctx, env, false, false, func(o *op) error {
		roles, err := o.tx.Roles(ctx, "")
		if err != nil {
			return err
		}
		if err := checkPermutation(order, slugsOf(roles)); err != nil {
			return err
		}
		if slices.Equal(order, o.env.PriorityOrder) {
			return nil
		}
		o.env.PriorityOrder = slices.Clone(order)
		o.emit(Event{Type: EventEnvironmentUpdated})
		return o.putEnv()
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, env)
}

// SetMultipleRoles turns multiple-roles mode on or off. Turning it off
// keeps, on every membership, only its highest-priority role (SPEC 8.7).
func (s *Service) SetMultipleRoles(ctx context.Context, env string, on bool) (Environment, error) {
	err := s.update(ctx, env, false, false, func(o *op) error {
		if o.env.MultipleRoles == on {
			return nil
		}
		o.env.MultipleRoles = on
		if err := o.putEnv(); err != nil {
			return err
		}
		o.emit(Event{Type: EventEnvironmentUpdated})
		if on {
			return nil
		}
		ms, err := o.tx.Memberships(ctx, MembershipFilter{MultipleRoles: true})
		if err != nil {
			return err
		}
		settingsOf := o.settingsCache()
		for _, m := range ms {
			st, err := settingsOf(m.OrganizationID)
			if err != nil {
				return err
			}
			sortByPriority(m.Roles, st.PriorityOrder)
			m.Roles = m.Roles[:1]
			m.UpdatedAt = o.now
			if err := o.tx.PutMembership(ctx, m); err != nil {
				return err
			}
			o.emitMembership(EventMembershipUpdated, m)
		}
		return nil
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, env)
}

// ---- permissions ----

// CreatePermission creates a permission (SPEC 3.1).
func (s *Service) CreatePermission(ctx context.Context, env string, in PermissionInput) (Permission, error) {
	if err := ValidatePermissionSlug(in.Slug); err != nil {
		return Permission{}, err
	}
	if err := validateText(in.Name, in.Description); err != nil {
		return Permission{}, err
	}
	var out Permission
	err := s.update(ctx, env, false, false, func(o *op) error {
		if _, err := o.tx.Permission(ctx, in.Slug); err == nil {
			return conflict(CodePermissionSlugConflict, "a permission with slug %q already exists", in.Slug)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, err := s.newID("perm")
		if err != nil {
			return err
		}
		out = Permission{ID: id, Slug: in.Slug, Name: in.Name, Description: in.Description,
			System: in.System, CreatedAt: o.now, UpdatedAt: o.now}
		o.emit(Event{Type: EventPermissionCreated, PermissionSlug: in.Slug})
		return o.tx.PutPermission(ctx, out)
	})
	if err != nil {
		return Permission{}, err
	}
	return out, nil
}

// UpdatePermission changes a permission's name and/or description.
func (s *Service) UpdatePermission(ctx context.Context, env, slug string, u Update) (Permission, error) {
	if err := validateUpdate(u.Name, u.Description); err != nil {
		return Permission{}, err
	}
	var out Permission
	err := s.update(ctx, env, false, false, func(o *op) error {
		p, err := o.permission(slug)
		if err != nil {
			return err
		}
		if u.Name != nil {
			p.Name = *u.Name
		}
		if u.Description != nil {
			p.Description = *u.Description
		}
		p.UpdatedAt = o.now
		out = p
		o.emit(Event{Type: EventPermissionUpdated, PermissionSlug: slug})
		return o.tx.PutPermission(ctx, p)
	})
	return out, err
}

// GetPermission returns a permission by slug.
func (s *Service) GetPermission(ctx context.Context, env, slug string) (Permission, error) {
	var out Permission
	err := s.view(ctx, env, func(o *op) error {
		p, err := o.permission(slug)
		out = p
		return err
	})
	return out, err
}

// ListPermissions lists the environment's permissions, sorted by slug.
func (s *Service) ListPermissions(ctx context.Context, env string) ([]Permission, error) {
	var out []Permission
	err := s.view(ctx, env, func(o *op) (err error) {
		out, err = o.tx.Permissions(ctx)
		return err
	})
	return out, err
}

// DeletePermission deletes a permission and removes it from every role,
// environment and organization roles alike, atomically (SPEC 3.3). System
// permissions cannot be deleted. The plan lists the roles that lost it.
func (s *Service) DeletePermission(ctx context.Context, env, slug string, opt DeleteOptions) (DeletionPlan, error) {
	plan := DeletionPlan{Permission: slug, DryRun: opt.DryRun}
	err := s.update(ctx, env, false, opt.DryRun, func(o *op) error {
		plan.Roles = nil
		p, err := o.permission(slug)
		if err != nil {
			return err
		}
		if p.System {
			return conflict(CodeSystemPermission, "permission %q is a system permission and cannot be deleted", slug)
		}
		roles, err := o.tx.DeletePermission(ctx, slug)
		if err != nil {
			return err
		}
		for _, r := range roles {
			plan.Roles = append(plan.Roles, RoleRef{OrganizationID: r.OrganizationID, Slug: r.Slug})
			o.emitRole(EventRoleUpdated, r.OrganizationID, r.Slug)
		}
		o.emit(Event{Type: EventPermissionDeleted, PermissionSlug: slug})
		return nil
	})
	return plan, err
}

// ---- shared helpers on op ----

func (o *op) permission(slug string) (Permission, error) {
	p, err := o.tx.Permission(o.ctx, slug)
	if errors.Is(err, ErrNotFound) {
		return p, notFound(CodePermissionNotFound, "permission %q not found", slug)
	}
	return p, err
}

func (o *op) envRole(slug string) (Role, error) {
	r, err := o.tx.Role(o.ctx, "", slug)
	if errors.Is(err, ErrNotFound) {
		return r, invalidRole(slug)
	}
	return r, err
}

func (o *op) organization(id string) (Organization, error) {
	org, err := o.tx.Organization(o.ctx, id)
	if errors.Is(err, ErrNotFound) {
		return org, notFound(CodeOrganizationNotFound, "organization %q not found", id)
	}
	return org, err
}

// visibleRole returns the role slug as seen from org: an organization role
// of org when the slug begins with "org-", else an environment role. A role
// not visible there is an invalid_role error (SPEC 5.4, 8.1).
func (o *op) visibleRole(org, slug string) (Role, error) {
	scope := ""
	if IsOrganizationRoleSlug(slug) {
		scope = org
	}
	r, err := o.tx.Role(o.ctx, scope, slug)
	if errors.Is(err, ErrNotFound) {
		return r, invalidRole(slug)
	}
	return r, err
}

// visibleSlugs lists every role visible in org: environment roles, then
// its organization roles.
func (o *op) visibleSlugs(org string) ([]string, error) {
	env, err := o.tx.Roles(o.ctx, "")
	if err != nil {
		return nil, err
	}
	own, err := o.tx.Roles(o.ctx, org)
	if err != nil {
		return nil, err
	}
	return append(slugsOf(env), slugsOf(own)...), nil
}

// settings returns the effective default and order of org (SPEC 6.3).
func (o *op) settings(org Organization) Settings {
	if org.HasOwnSettings() {
		return Settings{DefaultRole: org.DefaultRole, PriorityOrder: org.PriorityOrder}
	}
	return Settings{DefaultRole: o.env.DefaultRole, PriorityOrder: o.env.PriorityOrder, Inherited: true}
}

// settingsCache returns a function that gives the effective settings of
// an organization, loading each organization once.
func (o *op) settingsCache() func(org string) (Settings, error) {
	cache := map[string]Settings{}
	return func(id string) (Settings, error) {
		if st, ok := cache[id]; ok {
			return st, nil
		}
		org, err := o.tx.Organization(o.ctx, id)
		if err != nil {
			return Settings{}, err
		}
		st := o.settings(org)
		cache[id] = st
		return st, nil
	}
}

// fork gives org its own settings, copied from the environment, if it has
// none yet (SPEC 5.5, 7.3). It reports whether it did.
func (o *op) fork(org *Organization) bool {
	if org.HasOwnSettings() {
		return false
	}
	org.DefaultRole = o.env.DefaultRole
	org.PriorityOrder = slices.Clone(o.env.PriorityOrder)
	return true
}

func (o *op) checkPermissions(perms []string) ([]string, error) {
	norm, err := normalizeSlugs(perms)
	if err != nil {
		return nil, err
	}
	for _, p := range norm {
		if _, err := o.tx.Permission(o.ctx, p); errors.Is(err, ErrNotFound) {
			return nil, invalidf("permissions", "must exist in the environment", "permission %q does not exist", p)
		} else if err != nil {
			return nil, err
		}
	}
	return norm, nil
}

func (o *op) emitRole(t EventType, org, slug string) {
	if org != "" {
		switch t {
		case EventRoleCreated:
			t = EventOrganizationRoleCreate
		case EventRoleUpdated:
			t = EventOrganizationRoleUpdate
		case EventRoleDeleted:
			t = EventOrganizationRoleDelete
		}
	}
	o.emit(Event{Type: t, OrganizationID: org, RoleSlug: slug})
}

func (o *op) emitMembership(t EventType, m Membership) {
	o.emit(Event{Type: t, OrganizationID: m.OrganizationID, MembershipID: m.ID, UserID: m.UserID})
}

func slugsOf(roles []Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Slug
	}
	return out
}

func validateID(field, id string, max int) error {
	if id == "" {
		return invalidf(field, "required", "%s is required", field)
	}
	if len(id) > max {
		return invalidf(field, fmt.Sprintf("at most %d bytes", max), "%s is longer than %d bytes", field, max)
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f {
			return invalidf(field, "no whitespace or control characters", "%s %q has whitespace or a control character", field, id)
		}
	}
	return nil
}
