package authz_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/authz"
)

// The pools the agreement tests draw from: small, so that random writes
// collide, reuse and delete one another's records. Ids and slugs are of
// lengths under 8, 8 to 16, 17 to 32, 33 to 64 and over 64 bytes, which
// checks read in different ways, and some differ from others in one byte.
var (
	permPool    = []string{"read", "docs:read", "docs:write", "billing.*", "users:invite", "audit:view", "organization:members:manage", "sso:configure:identity-providers:all"}
	envRolePool = []string{"admin", "editor", "viewer", "billing"}
	orgRolePool = []string{"org-ops", "org-finance", "org-guest"}
	orgPool     = []string{"acme", "org_01EHZNVPK3SFK441A1RGBFSHRT", "globex-industries", "org_01EHZNVPK3SFK441A1RGBFSHRQ", "initech-software-and-consulting-group-of-the-americas-europe-and-asia"}
	userPool    = []string{"ana", "al", "bob@example.com", "user_01E4ZCR3C56J083X43JQXF3JK5", "bob@example.con", "9f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b"}
	groupPool   = []string{"g-eng", "g-fin", "g-all"}
)

// fataler is what the helpers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatal(...any)
	Cleanup(func())
}

// world is the system under test: a Service on a store, the authorizer
// registered with it and, when follow is set, a second authorizer on
// another Service on the same store (as another process would be) that
// follows the first's writes through a feed.
type world struct {
	ctx      context.Context
	svc      *rbac.Service
	env      string
	auth     *authz.Authorizer
	follower *authz.Authorizer
}

// newWorld creates environment env in store and the authorizers. feed,
// when not nil, is the feed the follower follows; it receives the
// writer's commits when it is a *logFeed.
func newWorld(tb fataler, store rbac.Store, env string, feed rbac.Feed) *world {
	tb.Helper()
	ctx := context.Background()
	svc := rbac.New(store)
	if lf, ok := feed.(*logFeed); ok {
		svc.OnCommit(lf.add)
	}
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: env}); err != nil {
		tb.Fatal(err)
	}
	a, err := authz.New(ctx, svc, env)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	w := &world{ctx: ctx, svc: svc, env: env, auth: a}
	if feed != nil {
		// The follower's Service is on the feed's store when the feed is
		// one (another pool, as another process would have).
		fstore := store
		if s, ok := feed.(rbac.Store); ok {
			fstore = s
		}
		f, err := authz.New(ctx, rbac.New(fstore), env, authz.WithFeed(feed), authz.WithPollInterval(50*time.Millisecond))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		w.follower = f
	}
	return w
}

// revision returns the environment's revision in the store.
func (w *world) revision(tb fataler) int64 {
	tb.Helper()
	e, err := w.svc.GetEnvironment(w.ctx, w.env)
	if err != nil {
		tb.Fatal(err)
	}
	return e.Revision
}

// catchUp waits until the follower has reached the store's revision.
func (w *world) catchUp(tb fataler) {
	tb.Helper()
	if w.follower == nil {
		return
	}
	rev := w.revision(tb)
	ctx, cancel := context.WithTimeout(w.ctx, 20*time.Second)
	defer cancel()
	if err := w.follower.WaitFor(ctx, rev); err != nil {
		tb.Fatal(fmt.Errorf("the follower did not catch up: %w; status %+v", err, w.follower.Status()))
	}
}

// tally counts the answers compared, so the test can show it compared
// both kinds.
type tally struct{ allowed, denied, claims, noClaims atomic.Int64 }

// disagreements compares every check and every claim the authorizer a
// answers for the organizations, users and permissions of w (and some it
// does not know) with the recomputation from the store (Service.Claims,
// and Service.Can when canEach is set; Service.Can is Claims' Has). It
// returns one line per disagreement.
func disagreements(w *world, a *authz.Authorizer, n *tally, canEach bool) []string {
	var out []string
	page, err := w.svc.ListOrganizations(w.ctx, w.env, rbac.ListOptions{Limit: rbac.MaxLimit})
	if err != nil {
		return []string{err.Error()}
	}
	orgs := page.Data
	// Deleted organizations too: they must have no answers left.
	orgIDs := append(slices.Clone(orgPool), "no-such-org", "org_01EHZNVPK3SFK441A1RGBFSHRU")
	for _, o := range orgs {
		if !slices.Contains(orgIDs, o.ID) {
			orgIDs = append(orgIDs, o.ID)
		}
	}
	perms := append(slices.Clone(permPool), "no:such:permission", "organization:memberz:manage")
	users := append(slices.Clone(userPool), "nobody", "user_01E4ZCR3C56J083X43JQXF3JK6", "9f1c2d3e-4b5a-4978-8a9c-0c1d2e3f4a5b")
	for _, org := range orgIDs {
		for _, user := range users {
			want, err := w.svc.Claims(w.ctx, w.env, org, user)
			wantOK := err == nil
			if err != nil && !errors.Is(err, rbac.ErrNotFound) {
				return append(out, err.Error())
			}
			got, ok := a.Claims(org, user)
			if ok != wantOK {
				out = append(out, fmt.Sprintf("Claims(%q, %q): ok %v, want %v", org, user, ok, wantOK))
			} else if diff := cmp.Diff(want, got); diff != "" {
				out = append(out, fmt.Sprintf("Claims(%q, %q) mismatch (-want +got):\n%s", org, user, diff))
			}
			if n != nil {
				if wantOK {
					n.claims.Add(1)
				} else {
					n.noClaims.Add(1)
				}
			}
			for _, p := range perms {
				wantCan := wantOK && want.Has(p)
				if canEach {
					c, err := w.svc.Can(w.ctx, w.env, org, user, p)
					if err != nil {
						return append(out, err.Error())
					}
					if c != wantCan {
						out = append(out, fmt.Sprintf("Service.Can(%q, %q, %q) = %v, but its claims say %v", org, user, p, c, wantCan))
					}
				}
				if got := a.Can(org, user, p); got != wantCan {
					out = append(out, fmt.Sprintf("Can(%q, %q, %q) = %v, want %v", org, user, p, got, wantCan))
				}
				if n != nil {
					if wantCan {
						n.allowed.Add(1)
					} else {
						n.denied.Add(1)
					}
				}
			}
		}
	}
	return out
}

func (w *world) envRoles() []string {
	roles, _ := w.svc.ListRoles(w.ctx, w.env, rbac.ListOptions{Limit: rbac.MaxLimit})
	var out []string
	for _, r := range roles.Data {
		out = append(out, r.Slug)
	}
	return out
}

func (w *world) visibleRoles(org string) []string {
	roles, _ := w.svc.ListOrganizationRoles(w.ctx, w.env, org, rbac.ListOptions{Limit: rbac.MaxLimit})
	var out []string
	for _, r := range roles.Data {
		out = append(out, r.Slug)
	}
	return out
}

func (w *world) memberships() []rbac.Membership {
	page, _ := w.svc.ListMemberships(w.ctx, w.env, rbac.MembershipFilter{
		Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}},
		rbac.ListOptions{Limit: rbac.MaxLimit})
	return page.Data
}

// subset draws a subset of pool, possibly empty.
func subset(t *rapid.T, pool []string, label string) []string {
	if len(pool) == 0 {
		return nil
	}
	return rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 0, len(pool), rapid.ID[string]).Draw(t, label)
}

// pick draws one of pool, or skips the step when pool is empty.
func pick(t *rapid.T, pool []string, label string) string {
	if len(pool) == 0 {
		t.Skip("nothing to pick")
	}
	return rapid.SampledFrom(pool).Draw(t, label)
}

func permutation(t *rapid.T, s []string, label string) []string {
	return rapid.Permutation(s).Draw(t, label)
}

// actions returns the random writes, one per Service write method. Writes
// that the Service refuses are fine: a refused write changes nothing, and
// the comparison after it checks that the authorizer agrees.
func (w *world) actions() map[string]func(*rapid.T) {
	ctx, env, svc := w.ctx, w.env, w.svc
	return map[string]func(*rapid.T){
		"CreatePermission": func(t *rapid.T) {
			p := pick(t, permPool, "perm")
			svc.CreatePermission(ctx, env, rbac.PermissionInput{Slug: p, Name: p})
		},
		"DeletePermission": func(t *rapid.T) {
			svc.DeletePermission(ctx, env, pick(t, permPool, "perm"), rbac.DeleteOptions{})
		},
		"CreateRole": func(t *rapid.T) {
			r := pick(t, envRolePool, "role")
			svc.CreateRole(ctx, env, rbac.RoleInput{Slug: r, Name: r, Permissions: subset(t, permPool, "perms")})
		},
		"UpdateRole": func(t *rapid.T) {
			perms := subset(t, permPool, "perms")
			svc.UpdateRole(ctx, env, pick(t, w.envRoles(), "role"), rbac.RoleUpdate{Permissions: &perms})
		},
		"DeleteRole": func(t *rapid.T) {
			roles := w.envRoles()
			r := pick(t, roles, "role")
			repl := ""
			if rapid.Bool().Draw(t, "replace") {
				repl = pick(t, roles, "replacement")
			}
			svc.DeleteRole(ctx, env, r, rbac.DeleteOptions{ReplacementDefault: repl})
		},
		"SetPriorityOrder": func(t *rapid.T) {
			svc.SetPriorityOrder(ctx, env, permutation(t, w.envRoles(), "order"))
		},
		"SetDefaultRole": func(t *rapid.T) {
			svc.SetDefaultRole(ctx, env, pick(t, w.envRoles(), "role"))
		},
		"SetMultipleRoles": func(t *rapid.T) {
			svc.SetMultipleRoles(ctx, env, rapid.Bool().Draw(t, "on"))
		},
		"CreateOrganization": func(t *rapid.T) {
			svc.CreateOrganization(ctx, env, rbac.OrganizationInput{ID: pick(t, orgPool, "org")})
		},
		"DeleteOrganization": func(t *rapid.T) {
			svc.DeleteOrganization(ctx, env, pick(t, orgPool, "org"), rbac.DeleteOptions{})
		},
		"CreateOrganizationRole": func(t *rapid.T) {
			r := pick(t, orgRolePool, "role")
			svc.CreateOrganizationRole(ctx, env, pick(t, orgPool, "org"),
				rbac.RoleInput{Slug: r, Name: r, Permissions: subset(t, permPool, "perms")})
		},
		"UpdateOrganizationRole": func(t *rapid.T) {
			perms := subset(t, permPool, "perms")
			svc.UpdateOrganizationRole(ctx, env, pick(t, orgPool, "org"), pick(t, orgRolePool, "role"),
				rbac.RoleUpdate{Permissions: &perms})
		},
		"DeleteOrganizationRole": func(t *rapid.T) {
			org := pick(t, orgPool, "org")
			repl := ""
			if rapid.Bool().Draw(t, "replace") {
				repl = pick(t, w.visibleRoles(org), "replacement")
			}
			svc.DeleteOrganizationRole(ctx, env, org, pick(t, orgRolePool, "role"), rbac.DeleteOptions{ReassignTo: repl})
		},
		"SetOrganizationPriorityOrder": func(t *rapid.T) {
			org := pick(t, orgPool, "org")
			svc.SetOrganizationPriorityOrder(ctx, env, org, permutation(t, w.visibleRoles(org), "order"))
		},
		"SetOrganizationDefaultRole": func(t *rapid.T) {
			org := pick(t, orgPool, "org")
			svc.SetOrganizationDefaultRole(ctx, env, org, pick(t, w.visibleRoles(org), "role"))
		},
		"CreateMembership": func(t *rapid.T) {
			org := pick(t, orgPool, "org")
			roles := rapid.SliceOfNDistinct(rapid.SampledFrom(append(w.visibleRoles(org), "x")), 0, 3, rapid.ID[string]).Draw(t, "roles")
			status := rapid.SampledFrom([]rbac.MembershipStatus{rbac.StatusActive, rbac.StatusPending}).Draw(t, "status")
			svc.CreateMembership(ctx, env, rbac.MembershipInput{OrganizationID: org, UserID: pick(t, userPool, "user"),
				Roles: roles, Status: status})
		},
		"UpdateMembershipRoles": func(t *rapid.T) {
			ms := w.memberships()
			if len(ms) == 0 {
				t.Skip("no membership")
			}
			m := rapid.SampledFrom(ms).Draw(t, "membership")
			roles := rapid.SliceOfNDistinct(rapid.SampledFrom(w.visibleRoles(m.OrganizationID)), 1, 3, rapid.ID[string]).Draw(t, "roles")
			svc.UpdateMembershipRoles(ctx, env, m.ID, roles)
		},
		"ChangeMembershipStatus": func(t *rapid.T) {
			ms := w.memberships()
			if len(ms) == 0 {
				t.Skip("no membership")
			}
			m := rapid.SampledFrom(ms).Draw(t, "membership")
			switch rapid.IntRange(0, 3).Draw(t, "change") {
			case 0:
				svc.DeactivateMembership(ctx, env, m.ID)
			case 1:
				svc.ReactivateMembership(ctx, env, m.ID)
			case 2:
				svc.AcceptMembership(ctx, env, m.ID)
			case 3:
				svc.DeleteMembership(ctx, env, m.ID)
			}
		},
		"CreateGroupMapping": func(t *rapid.T) {
			org := pick(t, orgPool, "org")
			svc.CreateGroupMapping(ctx, env, org, rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory,
				GroupID: pick(t, groupPool, "group"), Role: pick(t, w.visibleRoles(org), "role")})
		},
		"SyncGroups": func(t *rapid.T) {
			svc.SyncGroups(ctx, env, rbac.SyncInput{OrganizationID: pick(t, orgPool, "org"), UserID: pick(t, userPool, "user"),
				Source: rbac.GroupSourceDirectory, Groups: subset(t, groupPool, "groups")})
		},
	}
}

// seedRandom writes enough that checks can be allowed from the first
// steps.
func (w *world) seedRandom() {
	for _, p := range permPool[:4] {
		w.svc.CreatePermission(w.ctx, w.env, rbac.PermissionInput{Slug: p, Name: p})
	}
	w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: rbac.Ptr(permPool[:2])})
	w.svc.CreateRole(w.ctx, w.env, rbac.RoleInput{Slug: "admin", Name: "admin", Permissions: permPool[:4]})
	for _, org := range orgPool[:2] {
		w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: org})
		for _, u := range userPool[:3] {
			w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: org, UserID: u})
		}
	}
	// An organization role with a holder, so that changes to
	// organization roles reach members from the first steps.
	w.svc.CreateOrganizationRole(w.ctx, w.env, orgPool[0], rbac.RoleInput{Slug: orgRolePool[0], Name: "ops", Permissions: permPool[2:4]})
	w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: orgPool[0], UserID: userPool[3], Roles: []string{orgRolePool[0]}})
}

// agree runs random writes in w and, after each one, compares the
// authorizers with the store.
func agree(t *rapid.T, w *world, n *tally, canEach bool) {
	w.seedRandom()
	actions := w.actions()
	actions[""] = func(t *rapid.T) {
		for _, d := range disagreements(w, w.auth, n, canEach) {
			t.Error(d)
		}
		if got, want := w.auth.Revision(), w.revision(t); got != want {
			t.Errorf("Revision() = %d, want the environment's %d", got, want)
		}
		if w.follower != nil {
			w.catchUp(t)
			for _, d := range disagreements(w, w.follower, n, false) {
				t.Error("follower: " + d)
			}
		}
	}
	t.Repeat(actions)
}

// checkTally fails the test when the comparisons did not see both kinds
// of answers, which would prove little.
func checkTally(t *testing.T, n *tally) {
	t.Helper()
	t.Logf("compared: %d allowed, %d denied checks; %d claims, %d without", n.allowed.Load(), n.denied.Load(), n.claims.Load(), n.noClaims.Load())
	if n.allowed.Load() == 0 || n.denied.Load() == 0 || n.claims.Load() == 0 || n.noClaims.Load() == 0 {
		t.Errorf("the comparison did not cover allowed and denied answers: %d allowed, %d denied, %d claims, %d without",
			n.allowed.Load(), n.denied.Load(), n.claims.Load(), n.noClaims.Load())
	}
}

// setChecks sets rapid's number of checks to n for the test, unless
// -rapid.checks was given: for the tests whose sequences cost seconds.
func setChecks(t *testing.T, n int) {
	t.Helper()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if explicit {
		return
	}
	old := flag.Lookup("rapid.checks").Value.String()
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flag.Set("rapid.checks", old) })
}

// logFeed is an rbac.Feed fed by the OnCommit hook of a writer's
// Service: what another process would get from a durable store's feed,
// with every change itemized.
type logFeed struct {
	mu      sync.Mutex
	changes map[int64]rbac.Change
	more    chan struct{} // closed when a change is added
	hold    atomic.Bool   // changes are kept but not delivered
	// bulkAbove, when positive, makes the changes that name more
	// memberships bulk, as a durable store's feed does for large ones.
	bulkAbove int
}

func newLogFeed() *logFeed {
	return &logFeed{changes: map[int64]rbac.Change{}, more: make(chan struct{})}
}

func (f *logFeed) add(c rbac.Commit) {
	if c.Err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := rbac.ChangeOf(c.EnvironmentID, c.Revision, c.Events)
	if f.bulkAbove > 0 && len(ch.Memberships) > f.bulkAbove {
		ch.Memberships, ch.Bulk = nil, true
	}
	f.changes[c.Revision] = ch
	close(f.more)
	f.more = make(chan struct{})
}

// Follow delivers, in revision order, the changes after since as they
// become contiguous.
func (f *logFeed) Follow(ctx context.Context, env string, since int64, fn func(rbac.Change)) error {
	next := since + 1
	for {
		f.mu.Lock()
		c, ok := f.changes[next]
		more := f.more
		f.mu.Unlock()
		if ok && !f.hold.Load() {
			if c.EnvironmentID == env {
				fn(c)
			}
			next++
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-more:
		case <-time.After(10 * time.Millisecond):
		}
	}
}
