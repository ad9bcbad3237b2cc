package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
	"github.com/orgroles/rbac/memstore"
)

// The pools the agreement test draws from: small, so that random writes
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

// world is the system under test: a Service on memstore and the
// authorizer registered with it.
type world struct {
	ctx  context.Context
	svc  *rbac.Service
	env  string
	auth *rbac.Authorizer
}

// fataler is what newWorld needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatal(...any)
}

func newWorld(tb fataler) *world {
	tb.Helper()
	ctx := context.Background()
	svc := rbac.New(memstore.New())
	if _, err := svc.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: "production"}); err != nil {
		tb.Fatal(err)
	}
	a, err := rbac.NewAuthorizer(ctx, svc, "production")
	if err != nil {
		tb.Fatal(err)
	}
	return &world{ctx: ctx, svc: svc, env: "production", auth: a}
}

// tally counts the answers compared, so the test can show it compared
// both kinds.
type tally struct{ allowed, denied, claims, noClaims atomic.Int64 }

// disagreements compares every check and every claim the authorizer a
// answers for the organizations, users and permissions of w (and some it
// does not know) with the naive recomputation from the store (SPEC I9).
// It returns one line per disagreement.
func disagreements(w *world, a *rbac.Authorizer, n *tally) []string {
	var out []string
	page, err := w.svc.ListOrganizations(w.ctx, w.env, rbac.ListOptions{Limit: rbac.MaxLimit})
	orgs := page.Data
	if err != nil {
		return []string{err.Error()}
	}
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
				want, err := w.svc.Can(w.ctx, w.env, org, user, p)
				if err != nil {
					return append(out, err.Error())
				}
				got, _ := a.CanAt(org, user, p)
				if got != want {
					out = append(out, fmt.Sprintf("Can(%q, %q, %q) = %v, want %v", org, user, p, got, want))
				}
				if n != nil {
					if want {
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
	ms, _ := w.svc.ListMemberships(w.ctx, w.env, rbac.MembershipFilter{
		Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}},
		rbac.ListOptions{Limit: rbac.MaxLimit})
	return ms.Data
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

// TestAuthorizerAgrees drives random writes through the Service and, after
// each one, compares every check and every claim of the authorizer with
// the naive recomputation from the store (SPEC I9), and its revision with
// the environment's.
func TestAuthorizerAgrees(t *testing.T) {
	var n tally
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		// Seed enough that checks can be allowed from the first steps.
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
		actions := w.actions()
		actions[""] = func(t *rapid.T) {
			for _, d := range disagreements(w, w.auth, &n) {
				t.Error(d)
			}
			e, err := w.svc.GetEnvironment(w.ctx, w.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.auth.Revision(); got != e.Revision {
				t.Errorf("Revision() = %d, want the environment's %d", got, e.Revision)
			}
		}
		t.Repeat(actions)
	})
	// The comparison must have seen both answers, or it proves little.
	t.Logf("compared: %d allowed, %d denied checks; %d claims, %d without", n.allowed.Load(), n.denied.Load(), n.claims.Load(), n.noClaims.Load())
	if n.allowed.Load() == 0 || n.denied.Load() == 0 || n.claims.Load() == 0 || n.noClaims.Load() == 0 {
		t.Errorf("the comparison did not cover allowed and denied answers: %d allowed, %d denied, %d claims, %d without",
			n.allowed.Load(), n.denied.Load(), n.claims.Load(), n.noClaims.Load())
	}
}

// TestAuthorizerComparisonCatchesStaleSnapshot checks that the comparison
// of TestAuthorizerAgrees can fail: an authorizer that is not told about
// writes (it is registered with another Service on the same store) must
// be reported as disagreeing after a write that changes answers, and
// agree again after Reload.
func TestAuthorizerComparisonCatchesStaleSnapshot(t *testing.T) {
	w := newWorld(t)
	stale, err := rbac.NewAuthorizer(w.ctx, rbac.New(w.svc.Store()), w.env)
	if err != nil {
		t.Fatal(err)
	}
	if d := disagreements(w, stale, nil); len(d) > 0 {
		t.Fatalf("disagreement before any write: %v", d)
	}
	seedAcme(t, w)
	d := disagreements(w, stale, nil)
	if len(d) == 0 {
		t.Fatal("the comparison did not notice a stale snapshot")
	}
	if d := disagreements(w, w.auth, nil); len(d) > 0 {
		t.Errorf("the registered authorizer disagrees: %v", d)
	}
	if err := stale.Reload(w.ctx); err != nil {
		t.Fatal(err)
	}
	if d := disagreements(w, stale, nil); len(d) > 0 {
		t.Errorf("disagreement after Reload: %v", d)
	}
}

// seedAcme writes a small environment: permissions, an environment role, an
// organization with a custom role, an active and a pending member.
func seedAcme(tb testing.TB, w *world) {
	tb.Helper()
	must := func(_ any, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, p := range permPool {
		must(w.svc.CreatePermission(w.ctx, w.env, rbac.PermissionInput{Slug: p, Name: p}))
	}
	must(w.svc.CreateRole(w.ctx, w.env, rbac.RoleInput{Slug: "admin", Name: "Admin", Permissions: permPool}))
	must(w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"docs:read"})}))
	must(w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: "acme"}))
	must(w.svc.CreateOrganizationRole(w.ctx, w.env, "acme", rbac.RoleInput{Slug: "finance", Name: "Finance",
		Permissions: []string{"billing.*", "docs:read"}}))
	must(w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: "acme", UserID: "ana", Roles: []string{"org-finance"}}))
	must(w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: "acme", UserID: "bob", Roles: []string{"admin"},
		Status: rbac.StatusPending}))
}

func TestAuthorizerBasics(t *testing.T) {
	w := newWorld(t)
	seedAcme(t, w)
	a := w.auth
	checks := []struct {
		org, user, perm string
		want            bool
	}{
		{"acme", "ana", "billing.*", true},
		{"acme", "ana", "docs:read", true},
		{"acme", "ana", "docs:write", false},
		{"acme", "bob", "docs:read", false}, // pending
		{"acme", "cy", "docs:read", false},  // no membership
		{"globex", "ana", "docs:read", false},
		{"acme", "ana", "no-such", false},
	}
	for _, c := range checks {
		if got := a.Can(c.org, c.user, c.perm); got != c.want {
			t.Errorf("Can(%q, %q, %q) = %v, want %v", c.org, c.user, c.perm, got, c.want)
		}
	}
	want := rbac.Claims{OrganizationID: "acme", Role: "org-finance", Roles: []string{"org-finance"},
		Permissions: []string{"billing.*", "docs:read"}}
	got, ok, rev := a.ClaimsAt("acme", "ana")
	if !ok {
		t.Fatal("no claims for an active member")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	e, _ := w.svc.GetEnvironment(w.ctx, w.env)
	if rev != e.Revision {
		t.Errorf("claims revision %d, want %d", rev, e.Revision)
	}
	// A write is visible when the call returns.
	m, _ := w.svc.FindMembership(w.ctx, w.env, "acme", "bob")
	if _, err := w.svc.AcceptMembership(w.ctx, w.env, m.ID); err != nil {
		t.Fatal(err)
	}
	if ok, rev := a.CanAt("acme", "bob", "docs:write"); !ok || rev != e.Revision+1 {
		t.Errorf("after accepting: CanAt = %v at %d, want true at %d", ok, rev, e.Revision+1)
	}
	if _, err := w.svc.DeactivateMembership(w.ctx, w.env, m.ID); err != nil {
		t.Fatal(err)
	}
	if a.Can("acme", "bob", "docs:read") {
		t.Error("an inactive member is allowed")
	}
	// An environment role change reaches every organization.
	if _, err := w.svc.UpdateOrganizationRole(w.ctx, w.env, "acme", "org-finance", rbac.RoleUpdate{Permissions: rbac.Ptr([]string{"audit:view"})}); err != nil {
		t.Fatal(err)
	}
	if a.Can("acme", "ana", "billing.*") || !a.Can("acme", "ana", "audit:view") {
		t.Error("organization role change not visible")
	}
	if _, err := w.svc.DeleteOrganization(w.ctx, w.env, "acme", rbac.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Claims("acme", "ana"); ok {
		t.Error("claims in a deleted organization")
	}
}

// TestAuthorizerIDLengths compares checks of ids and slugs of lengths
// from 1 to 72 bytes — read in different ways by checks — and of
// ids and slugs that differ from them in one byte, with the store's
// answers.
func TestAuthorizerIDLengths(t *testing.T) {
	w := newWorld(t)
	const text = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
	lengths := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 36, 40, 47, 48, 49, 63, 64, 65, 72}
	// near returns s and the strings that differ from it in one byte, at
	// each position.
	near := func(s string) []string {
		out := []string{s}
		for k := range len(s) {
			out = append(out, s[:k]+"_"+s[k+1:])
		}
		return out
	}
	var orgs, users, perms []string
	for _, n := range lengths {
		orgs = append(orgs, "o"+text[:n-1])
		users = append(users, "u"+text[:n-1])
		if n <= 48 { // the longest slug allowed
			perms = append(perms, ("p:" + text)[:n])
		}
	}
	var granted []string
	for i, p := range perms {
		if _, err := w.svc.CreatePermission(w.ctx, w.env, rbac.PermissionInput{Slug: p, Name: p}); err != nil {
			t.Fatalf("permission %q: %v", p, err)
		}
		if i%2 == 0 {
			granted = append(granted, p)
		}
	}
	if _, err := w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: &granted}); err != nil {
		t.Fatal(err)
	}
	for i, org := range orgs {
		if _, err := w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: org}); err != nil {
			t.Fatalf("organization %q: %v", org, err)
		}
		for j, user := range users {
			if (i+j)%3 != 0 {
				if _, err := w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: org, UserID: user}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var allowed, denied int
	check := func(org, user, perm string) {
		want, err := w.svc.Can(w.ctx, w.env, org, user, perm)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.auth.Can(org, user, perm); got != want {
			t.Errorf("Can(%q, %q, %q) = %v, want %v", org, user, perm, got, want)
		}
		if want {
			allowed++
		} else {
			denied++
		}
	}
	for _, org := range orgs {
		for _, user := range users {
			for _, p := range perms {
				check(org, user, p)
			}
		}
	}
	// One of org, user and permission differs in one byte.
	for i := range lengths {
		for _, org := range near(orgs[i])[1:] {
			check(org, users[i], granted[0])
		}
		for _, user := range near(users[i])[1:] {
			check(orgs[(i+1)%len(orgs)], user, granted[0])
		}
	}
	for i, perm := range perms {
		for _, p := range near(perm)[1:] {
			check(orgs[i], users[(i+1)%len(users)], p)
		}
	}
	if allowed == 0 || denied == 0 {
		t.Errorf("compared %d allowed and %d denied checks; want both", allowed, denied)
	}
}

func TestAuthorizerCanDoesNotAllocate(t *testing.T) {
	w := newWorld(t)
	seedAcme(t, w)
	for _, c := range [][3]string{{"acme", "ana", "billing.*"}, {"acme", "ana", "docs:write"}, {"acme", "zed", "docs:read"}, {"nope", "ana", "docs:read"}} {
		if n := testing.AllocsPerRun(100, func() { w.auth.Can(c[0], c[1], c[2]) }); n != 0 {
			t.Errorf("Can%q allocates %v times", c, n)
		}
	}
}

// TestAuthorizerConcurrent runs checks while writes happen (meant for
// -race) and checks the answer once writers are done.
func TestAuthorizerConcurrent(t *testing.T) {
	w := newWorld(t)
	seedAcme(t, w)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					w.auth.Can("acme", "ana", "docs:read")
					w.auth.Claims("acme", "ana")
					w.auth.Can("org-new", "cy", "docs:read")
					// What the writers are changing, and the member
					// table growing under them.
					for i := range 4 {
						org, user := fmt.Sprintf("org%d", i), fmt.Sprint("u", i*3)
						w.auth.Can(org, user, "docs:read")
						if c, ok := w.auth.Claims(org, user); ok && (c.OrganizationID != org || c.Role == "") {
							t.Errorf("Claims(%q, %q) = %+v", org, user, c)
						}
					}
				}
			}
		})
	}
	var writers sync.WaitGroup
	for i := range 4 {
		writers.Go(func() {
			org := fmt.Sprintf("org%d", i)
			for j := range 20 {
				w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: org})
				w.svc.CreateMembership(w.ctx, w.env, rbac.MembershipInput{OrganizationID: org, UserID: fmt.Sprint("u", j)})
				w.svc.UpdateRole(w.ctx, w.env, "member", rbac.RoleUpdate{Permissions: rbac.Ptr(permPool[:1+j%3])})
				if j%5 == 4 {
					w.svc.DeleteOrganization(w.ctx, w.env, org, rbac.DeleteOptions{})
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	if d := disagreements(w, w.auth, nil); len(d) > 0 {
		t.Errorf("after concurrent writes: %v", d)
	}
	e, _ := w.svc.GetEnvironment(w.ctx, w.env)
	if w.auth.Revision() != e.Revision {
		t.Errorf("Revision() = %d, want %d", w.auth.Revision(), e.Revision)
	}
}

// chanFeed is a Feed fed by the OnCommit hook of the writing process.
type chanFeed struct{ ch chan rbac.Change }

func (f *chanFeed) Follow(ctx context.Context, env string, since int64, fn func(rbac.Change)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c := <-f.ch:
			if c.EnvironmentID == env && c.Revision > since {
				fn(c)
			}
		}
	}
}

// TestAuthorizerFollow plays two processes on one store: a writer, whose
// commits feed a change feed, and a reader that follows it.
func TestAuthorizerFollow(t *testing.T) {
	w := newWorld(t)
	reader, err := rbac.NewAuthorizer(w.ctx, rbac.New(w.svc.Store()), w.env)
	if err != nil {
		t.Fatal(err)
	}
	feed := &chanFeed{ch: make(chan rbac.Change, 100)}
	var drop atomic.Bool
	w.svc.OnCommit(func(c rbac.Commit) {
		if !drop.Load() {
			feed.ch <- rbac.ChangeOf(c.EnvironmentID, c.Revision, c.Events)
		}
	})
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error)
	go func() { done <- reader.Follow(ctx, feed) }()
	waitFor := func(rev int64) {
		t.Helper()
		for i := 0; reader.Revision() < rev; i++ {
			if i > 5000 {
				t.Fatalf("reader stuck at revision %d, want %d", reader.Revision(), rev)
			}
			time.Sleep(time.Millisecond)
		}
	}
	seedAcme(t, w)
	e, _ := w.svc.GetEnvironment(w.ctx, w.env)
	waitFor(e.Revision)
	if d := disagreements(w, reader, nil); len(d) > 0 {
		t.Errorf("follower disagrees: %v", d)
	}
	// Lose a change: the next one reveals the gap and the reader reloads.
	drop.Store(true)
	m, _ := w.svc.FindMembership(w.ctx, w.env, "acme", "ana")
	w.svc.UpdateMembershipRoles(w.ctx, w.env, m.ID, []string{"admin"})
	drop.Store(false)
	w.svc.CreateOrganization(w.ctx, w.env, rbac.OrganizationInput{ID: "globex"})
	e, _ = w.svc.GetEnvironment(w.ctx, w.env)
	waitFor(e.Revision)
	if !reader.Can("acme", "ana", "docs:write") {
		t.Error("the change lost by the feed was not recovered")
	}
	if d := disagreements(w, reader, nil); len(d) > 0 {
		t.Errorf("follower disagrees after a gap: %v", d)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
}
