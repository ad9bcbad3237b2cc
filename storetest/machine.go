package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
)

// Small pools, so that names collide often.
var (
	envPool     = []string{"prod", "staging", "dev"} // dev starts missing
	orgPool     = []string{"acme", "globex", "initech"}
	userPool    = []string{"u1", "u2", "u3", "u4"}
	permPool    = []string{"read", "write", "billing.*", "videos:create"}
	envRolePool = []string{"member", "admin", "viewer", "editor"}
	groupPool   = []string{"g1", "g2", "g3"}
	namePool    = []string{"Admin", "Viewer", "Billing Admin", "  Support  team ", "Ünïcode Ops", "a_-b", "!!!", "K", strings.Repeat("x", 48)}
	badNames    = []string{"", "   ", strings.Repeat("y", 49)}
	descPool    = []string{"", "d", strings.Repeat("z", 150)}
	badDescs    = []string{strings.Repeat("z", 151)}
	orgNamePool = []string{"Acme Inc.", "Ünïcode", "   ", "No\u00a0break", strings.Repeat("é", rbac.MaxOrganizationNameLen)}
	badOrgNames = []string{strings.Repeat("n", rbac.MaxOrganizationNameLen+1), "tab\tname"}
	extPool     = []string{"ext-1", "ext-2", "crm:42"}
	badExts     = []string{"bad ext", "nb\u00a0sp", strings.Repeat("e", rbac.MaxIDLen+1)}
	metaPool    = []map[string]string{nil, {"plan": "pro"}, {"plan": "free", "region": "eu-west"}, {"note": "  spaced  ", "ünï": "cödé"}}
	badMetas    = []map[string]string{{"": "v"}, {strings.Repeat("k", rbac.MaxMetadataKeyLen+1): "v"},
		{"k": strings.Repeat("v", rbac.MaxMetadataValueLen+1)}, {"k": "nul\x00"}, manyKeys(rbac.MaxMetadataKeys + 1)}
)

func manyKeys(n int) map[string]string {
	md := map[string]string{}
	for i := range n {
		md[fmt.Sprintf("k%d", i)] = "v"
	}
	return md
}

// cmpState compares states with the model: revisions are not modelled.
var cmpState = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(envObs{}, "Revision")}

// cmpPlan compares deletion plans; the order of the roles that lost a
// permission is not specified, so they are compared as a set.
var cmpPlan = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmpopts.IgnoreFields(rbac.GroupMapping{}, "CreatedAt", "UpdatedAt"),
	cmpopts.SortSlices(func(a, b rbac.RoleRef) bool {
		return a.OrganizationID < b.OrganizationID || a.OrganizationID == b.OrganizationID && a.Slug < b.Slug
	}),
}

type machine struct {
	ctx   context.Context
	store rbac.Store
	svc   *rbac.Service
	m     *model
	revs  map[string]int64
	stats map[string]*[2]int // per operation: calls that succeeded, that failed
	noops map[string]int     // per operation: successful calls that changed nothing
	// events collects what the Service commits during one call (the
	// machine makes one call at a time).
	events []rbac.Event
	// env is the environment the last action worked on, "" for all. The
	// expensive checks (claims, store queries, before/after dumps) look at
	// it alone: the full comparison with the model shows that the others
	// did not change.
	env string
	// revBefore and revAfter are env's revision before and after the last
	// call (0 while it does not exist).
	revBefore, revAfter int64
}

func testStateMachine(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	stats := map[string]*[2]int{}
	noops := map[string]int{}
	defer func() {
		if testing.Verbose() {
			for _, op := range sortedKeys(stats) {
				t.Logf("%-30s %6d succeeded (%d changing nothing) %6d failed", op, stats[op][0], noops[op], stats[op][1])
			}
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		store := newStore(t)
		seed := rapid.Uint64().Draw(rt, "seed")
		sm := &machine{
			ctx:   context.Background(),
			store: store,
			svc:   rbac.New(store, rbac.WithRand(rand.NewChaCha8(seedBytes(seed)))),
			m:     newModel(),
			revs:  map[string]int64{},
			stats: stats,
			noops: noops,
		}
		sm.svc.OnCommit(func(c rbac.Commit) { sm.events = append(sm.events, c.Events...) })
		for _, id := range envPool[:2] {
			if _, err := sm.svc.CreateEnvironment(sm.ctx, rbac.EnvironmentInput{ID: id}); err != nil {
				rt.Fatalf("CreateEnvironment(%q): %v", id, err)
			}
			if err := sm.m.createEnvironment(id, ""); err != nil {
				rt.Fatalf("model: CreateEnvironment(%q): %+v", id, err)
			}
		}
		actions := sm.actions()
		// Start from a populated state, so that deletions and
		// reassignments meet members, mappings and defaults.
		for _, phase := range []struct {
			action   string
			min, max int
		}{
			{"CreatePermission", 0, 6}, {"CreateRole", 0, 5}, {"CreateOrganization", 1, 6},
			{"CreateOrganizationRole", 0, 6}, {"SetOrganizationDefaultRole", 0, 3}, {"SetDefaultRole", 0, 2},
			{"SetMultipleRoles", 0, 1}, {"CreateMembership", 0, 12}, {"CreateGroupMapping", 0, 4},
		} {
			for i, n := 0, rapid.IntRange(phase.min, phase.max).Draw(rt, "seed "+phase.action); i < n; i++ {
				actions[phase.action](rt)
			}
		}
		sm.env = ""
		sm.check(rt)
		// rapid runs 30 steps on average per Repeat (-rapid.steps); with
		// this many operations, three rounds reach deeper states.
		for range 3 {
			rt.Repeat(actions)
		}
	})
}

func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	return b
}

func (sm *machine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"":                                 sm.check,
		"CreateEnvironment":                sm.createEnvironment,
		"SetDefaultRole":                   sm.setDefaultRole,
		"SetPriorityOrder":                 sm.setPriorityOrder,
		"SetMultipleRoles":                 sm.setMultipleRoles,
		"CreatePermission":                 sm.createPermission,
		"UpdatePermission":                 sm.updatePermission,
		"DeletePermission":                 sm.deletePermission,
		"CreateRole":                       sm.createRole,
		"UpdateRole":                       sm.updateRole,
		"DeleteRole":                       sm.deleteRole,
		"CreateOrganization":               sm.createOrganization,
		"DeleteOrganization":               sm.deleteOrganization,
		"SetOrganizationDefaultRole":       sm.setOrgDefault,
		"SetOrganizationPriorityOrder":     sm.setOrgOrder,
		"ResolveRole":                      sm.resolveRole,
		"CreateOrganizationRole":           sm.createOrgRole,
		"UpdateOrganizationRole":           sm.updateOrgRole,
		"DeleteOrganizationRole":           sm.deleteOrgRole,
		"CreateMembership":                 sm.createMembership,
		"UpdateMembershipRoles":            sm.updateMembershipRoles,
		"DeactivateMembership":             sm.deactivate,
		"ReactivateMembership":             sm.reactivate,
		"AcceptMembership":                 sm.accept,
		"DeleteMembership":                 sm.deleteMembership,
		"CreateGroupMapping":               sm.createMapping,
		"DeleteGroupMapping":               sm.deleteMapping,
		"SyncGroups":                       sm.syncGroups,
		"Reads":                            sm.reads,
		"UpdateOrganization":               sm.updateOrganization,
		"DeleteEnvironment":                sm.deleteEnvironment,
		"AddRolePermission":                sm.rolePermission(false, true),
		"RemoveRolePermission":             sm.rolePermission(false, false),
		"AddOrganizationRolePermission":    sm.rolePermission(true, true),
		"RemoveOrganizationRolePermission": sm.rolePermission(true, false),
		"Paging":                           sm.paging,
		"ListMemberships":                  sm.listMemberships,
	}
}

// ---- drawing inputs ----

// pick draws from good with probability pct percent, else from bad.
func pick(t *rapid.T, label string, pct int, good, bad []string) string {
	if len(bad) == 0 || len(good) > 0 && rapid.IntRange(0, 99).Draw(t, label+" good?") < pct {
		return rapid.SampledFrom(good).Draw(t, label)
	}
	return rapid.SampledFrom(bad).Draw(t, label)
}

func (sm *machine) drawEnv(t *rapid.T) string {
	sm.env = "dev"
	if rapid.IntRange(0, 19).Draw(t, "env?") > 0 {
		sm.env = rapid.SampledFrom(envPool[:2]).Draw(t, "env")
	}
	return sm.env
}

// allOrgs lists the organization ids of every environment, and ids that
// exist nowhere.
func (sm *machine) allOrgs() []string {
	ids := append(slices.Clone(orgPool), "ghost")
	for _, e := range sm.m.Envs {
		ids = append(ids, sortedKeys(e.Orgs)...)
	}
	return sortedUnique(ids)
}

func (sm *machine) drawOrg(t *rapid.T, env string) string {
	var here []string
	if e, ok := sm.m.Envs[env]; ok {
		here = sortedKeys(e.Orgs)
	}
	return pick(t, "org", 85, here, sm.allOrgs())
}

// foreignRoles lists role slugs from everywhere: every environment and
// organization of the model, the pool, and slugs that exist nowhere.
func (sm *machine) foreignRoles() []string {
	s := append(slices.Clone(envRolePool), "org-ghost", "Bad Role")
	for _, e := range sm.m.Envs {
		s = append(s, sortedKeys(e.Roles)...)
		for _, o := range e.Orgs {
			s = append(s, sortedKeys(o.Roles)...)
		}
	}
	return sortedUnique(s)
}

// drawRole draws a role slug, usually one visible in org of env.
func (sm *machine) drawRole(t *rapid.T, env, org string) string {
	var visible []string
	if e, ok := sm.m.Envs[env]; ok {
		visible = sortedKeys(e.Roles)
		if o, ok := e.Orgs[org]; ok {
			visible = append(visible, sortedKeys(o.Roles)...)
		}
	}
	return pick(t, "role", 80, visible, sm.foreignRoles())
}

// drawRoles draws a list of roles; atLeast > 0 asks for at least one.
func (sm *machine) drawRoles(t *rapid.T, env, org string, atLeast int) []string {
	n := []int{0, 1, 1, 1, 1, 1, 2, 2, 3}[rapid.IntRange(0, 8).Draw(t, "number of roles")]
	n = max(n, min(atLeast, 1))
	out := make([]string, n)
	for i := range out {
		out[i] = sm.drawRole(t, env, org)
	}
	return out
}

func (sm *machine) drawEnvRole(t *rapid.T, env string) string {
	var here []string
	if e, ok := sm.m.Envs[env]; ok {
		here = sortedKeys(e.Roles)
	}
	return pick(t, "environment role", 80, here, sm.foreignRoles())
}

// drawOrgWithRoles draws an organization, usually one with roles of its own.
func (sm *machine) drawOrgWithRoles(t *rapid.T, env string) string {
	var with []string
	if e, ok := sm.m.Envs[env]; ok {
		for _, id := range sortedKeys(e.Orgs) {
			if len(e.Orgs[id].Roles) > 0 {
				with = append(with, id)
			}
		}
	}
	if len(with) > 0 && rapid.IntRange(0, 9).Draw(t, "org with roles?") > 1 {
		return rapid.SampledFrom(with).Draw(t, "org with roles")
	}
	return sm.drawOrg(t, env)
}

func (sm *machine) drawOrgRole(t *rapid.T, env, org string) string {
	var here []string
	if e, ok := sm.m.Envs[env]; ok {
		if o, ok := e.Orgs[org]; ok {
			here = sortedKeys(o.Roles)
		}
	}
	return pick(t, "organization role", 80, here, sm.foreignRoles())
}

func (sm *machine) drawPerms(t *rapid.T, env string) []string {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) string { return sm.drawPerm(t, env) }), 0, 3).Draw(t, "permissions")
}

// drawPerm draws a permission slug, usually one of the environment.
func (sm *machine) drawPerm(t *rapid.T, env string) string {
	var here []string
	if e, ok := sm.m.Envs[env]; ok {
		here = sortedKeys(e.Perms)
	}
	return pick(t, "permission", 90, here, append(slices.Clone(permPool), "nope:x", "Bad Perm"))
}

func drawName(t *rapid.T) string { return pick(t, "name", 95, namePool, badNames) }
func drawDesc(t *rapid.T) string { return pick(t, "description", 97, descPool, badDescs) }

// drawOptName draws the name of a partial update: none, the current one
// cur (an update that changes nothing, rule 12.3) or another.
func drawOptName(t *rapid.T, cur string) *string {
	switch rapid.IntRange(0, 3).Draw(t, "set name") {
	case 0, 1:
		return nil
	case 2:
		return &cur
	}
	return rbac.Ptr(drawName(t))
}

// drawOptDesc draws the description of a partial update, as drawOptName.
func drawOptDesc(t *rapid.T, cur string) *string {
	switch rapid.IntRange(0, 3).Draw(t, "set description") {
	case 0, 1:
		return nil
	case 2:
		return &cur
	}
	return rbac.Ptr(drawDesc(t))
}

// drawOptPerms draws the permissions of a partial role update: none, the
// current ones (in another order) or others.
func (sm *machine) drawOptPerms(t *rapid.T, env string, cur []string) *[]string {
	switch rapid.IntRange(0, 3).Draw(t, "set permissions") {
	case 0, 1:
		return nil
	case 2:
		p := rapid.Permutation(cur).Draw(t, "same permissions")
		return &p
	}
	p := sm.drawPerms(t, env)
	return &p
}

// current returns the role slug of the scope org ("" for environment
// roles) in the model, or a zero role.
func (sm *machine) current(env, org, slug string) mRole {
	e, ok := sm.m.Envs[env]
	if !ok {
		return mRole{}
	}
	roles := e.Roles
	if org != "" {
		if e.Orgs[org] == nil {
			return mRole{}
		}
		roles = e.Orgs[org].Roles
	}
	if r, ok := roles[slug]; ok {
		return *r
	}
	return mRole{}
}

func (sm *machine) drawMembership(t *rapid.T, env string) string {
	var here []string
	if e, ok := sm.m.Envs[env]; ok {
		here = sortedKeys(e.Members)
	}
	all := []string{"om_missing"}
	for _, e := range sm.m.Envs {
		all = append(all, sortedKeys(e.Members)...)
	}
	return pick(t, "membership", 85, here, all)
}

func drawUser(t *rapid.T) string {
	return pick(t, "user", 97, userPool, []string{"", "bad user", strings.Repeat("u", rbac.MaxIDLen+1)})
}

// drawOrder draws a permutation of roles, sometimes a broken one.
func drawOrder(t *rapid.T, roles []string) []string {
	order := rapid.Permutation(roles).Draw(t, "order")
	switch rapid.IntRange(0, 13).Draw(t, "break order") {
	case 0:
		if len(order) > 0 {
			order = order[:len(order)-1]
		}
	case 1:
		if len(order) > 0 {
			order = append(order, order[0])
		}
	case 2:
		order = append(order, "org-ghost")
	case 3:
		if len(order) > 0 {
			order[0] = "org-ghost"
		}
	}
	return order
}

func drawDry(t *rapid.T) bool { return rapid.IntRange(0, 3).Draw(t, "dry run") == 0 }

// drawStrayOptions draws, now and then, deletion options that a deletion
// may not be given (rule 9.7): a replacement default, a reassignment
// target or both. The deletions that take one of them overwrite it.
func (sm *machine) drawStrayOptions(t *rapid.T, env, org string) rbac.DeleteOptions {
	var opt rbac.DeleteOptions
	switch rapid.IntRange(0, 11).Draw(t, "stray options") {
	case 0:
		opt.ReplacementDefault = sm.drawRole(t, env, org)
	case 1:
		opt.ReassignTo = sm.drawRole(t, env, org)
	case 2:
		opt.ReplacementDefault, opt.ReassignTo = sm.drawRole(t, env, org), sm.drawRole(t, env, org)
	}
	return opt
}

// ---- running and checking one call ----

func (sm *machine) dump(t *rapid.T) observed {
	st, err := dumpAll(sm.ctx, sm.svc)
	if err != nil {
		t.Fatalf("reading the state: %v", err)
	}
	return st
}

// dumpEnv reads the whole state of the last action's environment and only
// the revisions of the others.
func (sm *machine) dumpEnv(t *rapid.T) observed {
	if sm.env == "" {
		return sm.dump(t)
	}
	envs, err := sm.svc.Environments(sm.ctx)
	if err != nil {
		t.Fatalf("reading the state: %v", err)
	}
	st := observed{}
	for _, id := range envs {
		if id == sm.env {
			if st[id], err = dumpEnv(sm.ctx, sm.svc, id); err != nil {
				t.Fatalf("reading environment %q: %v", id, err)
			}
			continue
		}
		e, err := sm.svc.GetEnvironment(sm.ctx, id)
		if err != nil {
			t.Fatalf("reading environment %q: %v", id, err)
		}
		st[id] = envObs{Revision: e.Revision}
	}
	return st
}

// expect runs call, which the model predicts fails with w (nil: succeeds).
// When the call fails, or keep is set (a dry run), it checks that the
// state did not change (rules 12.2, 9.5). It reports whether the call
// succeeded.
func (sm *machine) expect(t *rapid.T, op string, w *expErr, keep bool, call func() error) bool {
	var before observed
	if w != nil || keep {
		before = sm.dumpEnv(t)
	}
	sm.revBefore = sm.revision(t, sm.env)
	sm.events = nil
	err := call()
	sm.revAfter = sm.revision(t, sm.env)
	sm.checkEvents(t, op, err == nil && !keep)
	name, _, _ := strings.Cut(op, "(")
	if sm.stats[name] == nil {
		sm.stats[name] = new([2]int)
	}
	if err == nil {
		sm.stats[name][0]++
	} else {
		sm.stats[name][1]++
		var e *rbac.Error
		if errors.As(err, &e) {
			k := name + " " + e.Code + " " + e.Field
			if sm.stats[k] == nil {
				sm.stats[k] = new([2]int)
			}
			sm.stats[k][1]++
		}
	}
	if w == nil && err != nil {
		t.Fatalf("%s: %v; the model expects success", op, err)
	}
	if w != nil {
		if err == nil {
			t.Fatalf("%s succeeded; the model expects %s", op, w)
		}
		if msg := matchErr(err, w); msg != "" {
			t.Fatalf("%s: %s", op, msg)
		}
	}
	if w != nil || keep {
		if after := sm.dumpEnv(t); !reflect.DeepEqual(before.normalized(false), after.normalized(false)) {
			diff := cmp.Diff(before, after, cmpopts.EquateEmpty())
			t.Fatalf("%s (error %v, dry run %v) changed the state (rules 12.2, 9.5) (-before +after):\n%s", op, err, keep, diff)
		}
	}
	return err == nil
}

// revision returns the revision of environment env, 0 when it does not
// exist.
func (sm *machine) revision(t *rapid.T, env string) int64 {
	e, err := sm.svc.GetEnvironment(sm.ctx, env)
	if isCode(err, rbac.KindNotFound, rbac.CodeEnvironmentNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("GetEnvironment(%q): %v", env, err)
	}
	return e.Revision
}

// checkEvents checks the events of the last call (rule 13.1): none for a
// failed call or a dry run (12.2, 9.5), which leave the revision as it
// was; else all of the call's environment, at the revision it committed
// (the one after the revision it read, for a deleted environment).
func (sm *machine) checkEvents(t *rapid.T, op string, committed bool) {
	if !committed {
		if len(sm.events) > 0 {
			t.Fatalf("%s failed or was a dry run but emitted %+v", op, sm.events)
		}
		if sm.revAfter != sm.revBefore {
			t.Fatalf("%s failed or was a dry run but moved the revision of %s from %d to %d (rules 12.2, 9.5)", op, sm.env, sm.revBefore, sm.revAfter)
		}
		return
	}
	want := sm.revAfter
	if _, existed := sm.m.Envs[sm.env]; existed && want == 0 {
		want = sm.revBefore + 1 // the environment was deleted
	}
	for _, e := range sm.events {
		if e.EnvironmentID != sm.env || e.Revision != want || e.Type == "" {
			t.Fatalf("%s: event %+v; want environment %s at revision %d (rules 13.1, 13.2)", op, e, sm.env, want)
		}
	}
}

// commit takes next, the model after a call that succeeded, as the model
// and checks what the call committed against what the model says it
// changed: a write that changed nothing commits nothing, no event and no
// new revision (rule 12.3); one that changed something commits exactly one
// revision, with its events (rules 13.1, 13.2).
func (sm *machine) commit(t *rapid.T, op string, next *model) {
	env := sm.env
	before, existed := sm.m.envState(env)
	after, exists := next.envState(env)
	switch {
	case existed && !exists:
		if len(sm.events) != 1 || sm.events[0].Type != rbac.EventEnvironmentDeleted {
			t.Fatalf("%s deleted the environment with events %+v; want one %s", op, sm.events, rbac.EventEnvironmentDeleted)
		}
		if sm.revAfter != 0 {
			t.Fatalf("%s: environment %s still has revision %d", op, env, sm.revAfter)
		}
		delete(sm.revs, env) // a new environment of that id starts again
	case !reflect.DeepEqual(before, after) || !existed:
		if sm.revAfter != sm.revBefore+1 || len(sm.events) == 0 {
			t.Fatalf("%s changed the state, but moved the revision of %s from %d to %d with %d events; want one revision (rule 13.2)",
				op, env, sm.revBefore, sm.revAfter, len(sm.events))
		}
	default:
		if sm.revAfter != sm.revBefore || len(sm.events) > 0 {
			t.Fatalf("%s changed nothing, but moved the revision of %s from %d to %d and emitted %+v (rule 12.3)",
				op, env, sm.revBefore, sm.revAfter, sm.events)
		}
		sm.noops[strings.SplitN(op, "(", 2)[0]]++
	}
	sm.m = next
}

// countEvents counts the events of the last call of type typ.
func (sm *machine) countEvents(typ rbac.EventType) int {
	n := 0
	for _, e := range sm.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func (w *expErr) String() string {
	s := fmt.Sprintf("a %v error", rbac.Kind(w.Kind))
	if w.Code != "" {
		s += " with code " + w.Code
	}
	if w.Field != "" {
		s += " on field " + w.Field
	}
	return s
}

// matchErr reports how err differs from w, or "" when it matches.
func matchErr(err error, w *expErr) string {
	var e *rbac.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("error %v (%T) is not an *rbac.Error; want %s", err, err, w)
	}
	if e.Kind != w.Kind || !errors.Is(err, kindSentinel(w.Kind)) {
		return fmt.Sprintf("error %v has kind %v; want %s", err, e.Kind, w)
	}
	if w.Code != "" && (e.Code != w.Code || !errors.Is(err, &rbac.Error{Kind: w.Kind, Code: w.Code})) {
		return fmt.Sprintf("error %v has code %q; want %s", err, e.Code, w)
	}
	if sentinel, ok := codeSentinels[w.Code]; ok && !errors.Is(err, sentinel) {
		return fmt.Sprintf("error %v does not match its sentinel %v with errors.Is", err, sentinel)
	}
	if w.Field != "" && e.Field != w.Field {
		return fmt.Sprintf("error %v names field %q; want %s", err, e.Field, w)
	}
	if e.Kind == rbac.KindInvalid && (e.Field == "" || e.Rule == "") {
		return fmt.Sprintf("error %v names field %q and rule %q; an invalid error names both (rule 2.5)", err, e.Field, e.Rule)
	}
	if w.Kind == rbac.KindReplacementRequired {
		if diff := cmp.Diff(w.Orgs, e.Organizations, cmpopts.EquateEmpty()); diff != "" || e.EnvironmentDefault != w.EnvDefault {
			return fmt.Sprintf("error %v: organizations %v, environment default %v; want %v, %v (rule 9.1)",
				err, e.Organizations, e.EnvironmentDefault, w.Orgs, w.EnvDefault)
		}
	}
	return ""
}

func (sm *machine) checkPlan(t *rapid.T, op string, want, got rbac.DeletionPlan, dry bool) {
	want.DryRun = dry
	if diff := cmp.Diff(want, got, cmpPlan...); diff != "" {
		t.Fatalf("%s: plan mismatch (-model +got) (rule 9.5):\n%s", op, diff)
	}
	if dry {
		return
	}
	// rule 13.1: one membership event per membership changed or deleted.
	typ := rbac.EventMembershipUpdated
	if want.OrganizationID != "" && want.Role == "" {
		typ = rbac.EventMembershipDeleted
	}
	if want.Permission != "" {
		return
	}
	each, bulk := want.MembershipCount, 0
	if typ == rbac.EventMembershipUpdated && each > rbac.MaxListedMemberships {
		each, bulk = 0, 1 // one summary event stands for them
	}
	if n := sm.countEvents(typ); n != each {
		t.Fatalf("%s: %d %s events for %d memberships (rule 13.1)", op, n, typ, want.MembershipCount)
	}
	if n := sm.countEvents(rbac.EventMembershipsReassigned); n != bulk {
		t.Fatalf("%s: %d %s events for %d memberships (rule 13.1)", op, n, rbac.EventMembershipsReassigned, want.MembershipCount)
	}
}

func (sm *machine) checkMember(t *rapid.T, op string, want memberObs, got rbac.Membership, org string) {
	if diff := cmp.Diff(want, memberState(got), cmpopts.EquateEmpty()); diff != "" || got.OrganizationID != org {
		t.Fatalf("%s: returned membership mismatch (-model +got):\n%s (organization %q)", op, diff, got.OrganizationID)
	}
}

// check is run after every action.
func (sm *machine) check(t *rapid.T) {
	st := sm.dump(t)
	if want := sm.m.state(); !reflect.DeepEqual(want.normalized(true), st.normalized(true)) {
		t.Fatalf("state mismatch (-model +store):\n%s", cmp.Diff(want, st, cmpState...))
	}
	for id, es := range st {
		if es.Revision < sm.revs[id] {
			t.Fatalf("%s: revision went back from %d to %d", id, sm.revs[id], es.Revision)
		}
		sm.revs[id] = es.Revision
	}
	if bad := invariants(st); len(bad) > 0 {
		t.Fatalf("invariants broken:\n%s", strings.Join(bad, "\n"))
	}
	if sm.env != "" {
		st = observed{sm.env: st[sm.env]}
		if _, ok := sm.m.Envs[sm.env]; !ok {
			st = observed{}
		}
	}
	if bad := checkClaims(sm.ctx, sm.svc, st, userPool, []string{"nope:x"}); len(bad) > 0 {
		t.Fatalf("claims and checks:\n%s", strings.Join(bad, "\n"))
	}
	if bad := checkStore(sm.ctx, sm.store, sm.m, sm.env); len(bad) > 0 {
		t.Fatalf("store contract:\n%s", strings.Join(bad, "\n"))
	}
}

// ---- actions ----

func (sm *machine) createEnvironment(t *rapid.T) {
	id := pick(t, "environment id", 90, envPool, []string{"", "Bad Env", "-x"})
	sm.env = id
	name := ""
	if rapid.Bool().Draw(t, "named") {
		name = drawName(t)
	}
	c := sm.m.clone()
	w := c.createEnvironment(id, name)
	var got rbac.Environment
	op := fmt.Sprintf("CreateEnvironment(%q, %q)", id, name)
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateEnvironment(sm.ctx, rbac.EnvironmentInput{ID: id, Name: name})
		return err
	}) {
		if got.ID != id || got.DefaultRole != "member" || !slices.Equal(got.PriorityOrder, []string{"member"}) || got.MultipleRoles {
			t.Fatalf("%s = %+v; want default member, order [member], multiple roles off (rule 4.1)", op, got)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) setDefaultRole(t *rapid.T) {
	env := sm.drawEnv(t)
	slug := sm.drawEnvRole(t, env)
	c := sm.m.clone()
	w := c.setDefaultRole(env, slug)
	var got rbac.Environment
	op := fmt.Sprintf("SetDefaultRole(%s, %q)", env, slug)
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SetDefaultRole(sm.ctx, env, slug)
		return err
	}) {
		if got.DefaultRole != slug {
			t.Fatalf("%s returned default %q", op, got.DefaultRole)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) setPriorityOrder(t *rapid.T) {
	env := sm.drawEnv(t)
	var roles []string
	if e, ok := sm.m.Envs[env]; ok {
		roles = e.Order
	}
	order := drawOrder(t, roles)
	c := sm.m.clone()
	w := c.setPriorityOrder(env, order)
	var got rbac.Environment
	op := fmt.Sprintf("SetPriorityOrder(%s, %q)", env, order)
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SetPriorityOrder(sm.ctx, env, order)
		return err
	}) {
		if !slices.Equal(got.PriorityOrder, order) {
			t.Fatalf("%s returned order %q", op, got.PriorityOrder)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) setMultipleRoles(t *rapid.T) {
	env := sm.drawEnv(t)
	on := rapid.Bool().Draw(t, "on")
	c := sm.m.clone()
	w := c.setMultipleRoles(env, on)
	op := fmt.Sprintf("SetMultipleRoles(%s, %v)", env, on)
	var got rbac.Environment
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SetMultipleRoles(sm.ctx, env, on)
		return err
	}) {
		if got.MultipleRoles != on {
			t.Fatalf("%s returned %v", op, got.MultipleRoles)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) createPermission(t *rapid.T) {
	env := sm.drawEnv(t)
	in := rbac.PermissionInput{
		Slug:        pick(t, "slug", 90, permPool, []string{"", "Bad Perm", strings.Repeat("p", 49)}),
		Name:        drawName(t),
		Description: drawDesc(t),
		System:      rapid.IntRange(0, 4).Draw(t, "system") == 0,
	}
	c := sm.m.clone()
	w := c.createPermission(env, in, "")
	op := fmt.Sprintf("CreatePermission(%s, %+v)", env, in)
	var got rbac.Permission
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreatePermission(sm.ctx, env, in)
		return err
	}) {
		if got.Slug != in.Slug || got.Name != in.Name || got.Description != in.Description || got.System != in.System ||
			!strings.HasPrefix(got.ID, "perm_") {
			t.Fatalf("%s = %+v", op, got)
		}
		c = sm.m.clone()
		c.createPermission(env, in, got.ID)
		sm.commit(t, op, c)
	}
}

func (sm *machine) updatePermission(t *rapid.T) {
	env := sm.drawEnv(t)
	slug := sm.drawPerm(t, env)
	var cur mPerm
	if e, ok := sm.m.Envs[env]; ok && e.Perms[slug] != nil {
		cur = *e.Perms[slug]
	}
	u := rbac.PermissionUpdate{Name: drawOptName(t, cur.Name), Description: drawOptDesc(t, cur.Description)}
	c := sm.m.clone()
	w := c.updatePermission(env, slug, u)
	op := fmt.Sprintf("UpdatePermission(%s, %q, %v, %v)", env, slug, deref(u.Name), deref(u.Description))
	var got rbac.Permission
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.UpdatePermission(sm.ctx, env, slug, u)
		return err
	}) {
		p := c.Envs[env].Perms[slug]
		if got.Slug != slug || got.Name != p.Name || got.Description != p.Description {
			t.Fatalf("%s = %+v; want %+v (rule 2.4)", op, got, p)
		}
		sm.commit(t, op, c)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *p)
}

func (sm *machine) deletePermission(t *rapid.T) {
	env := sm.drawEnv(t)
	slug := sm.drawPerm(t, env)
	opt := sm.drawStrayOptions(t, env, "")
	opt.DryRun = drawDry(t)
	dry := opt.DryRun
	c := sm.m.clone()
	want, w := c.deletePermission(env, slug, opt)
	op := fmt.Sprintf("DeletePermission(%s, %q, %+v)", env, slug, opt)
	var got rbac.DeletionPlan
	if sm.expect(t, op, w, dry, func() (err error) {
		got, err = sm.svc.DeletePermission(sm.ctx, env, slug, opt)
		return err
	}) {
		sm.checkPlan(t, op, want, got, dry)
		if !dry {
			sm.commit(t, op, c)
		}
	}
}

func (sm *machine) createRole(t *rapid.T) {
	env := sm.drawEnv(t)
	in := rbac.RoleInput{
		Slug:        pick(t, "slug", 92, envRolePool, []string{"", "org-admin", "Admin", "a--b", "_a", strings.Repeat("r", 49)}),
		Name:        drawName(t),
		Description: drawDesc(t),
		Permissions: sm.drawPerms(t, env),
	}
	c := sm.m.clone()
	w := c.createRole(env, in)
	op := fmt.Sprintf("CreateRole(%s, %+v)", env, in)
	var got rbac.Role
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateRole(sm.ctx, env, in)
		return err
	}) {
		want := c.state()[env].Roles[len(c.Envs[env].Order)-1]
		if diff := cmp.Diff(want, roleState(got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s returned (-model +got):\n%s", op, diff)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) updateRole(t *rapid.T) {
	env := sm.drawEnv(t)
	slug := sm.drawEnvRole(t, env)
	cur := sm.current(env, "", slug)
	u := rbac.RoleUpdate{Name: drawOptName(t, cur.Name), Description: drawOptDesc(t, cur.Description),
		Permissions: sm.drawOptPerms(t, env, cur.Perms)}
	c := sm.m.clone()
	w := c.updateRole(env, "", slug, u)
	op := fmt.Sprintf("UpdateRole(%s, %q, %+v)", env, slug, u)
	var got rbac.Role
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.UpdateRole(sm.ctx, env, slug, u)
		return err
	}) {
		r := c.Envs[env].Roles[slug]
		if got.Slug != slug || got.Name != r.Name || got.Description != r.Description || !slices.Equal(got.Permissions, r.Perms) {
			t.Fatalf("%s = %+v; want %+v", op, got, r)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) deleteRole(t *rapid.T) {
	env := sm.drawEnv(t)
	slug := sm.drawEnvRole(t, env)
	repl := ""
	if rapid.IntRange(0, 2).Draw(t, "replacement?") > 0 {
		var others []string
		if e, ok := sm.m.Envs[env]; ok {
			others = without(sortedKeys(e.Roles), slug)
		}
		repl = pick(t, "replacement", 85, others, sm.foreignRoles())
	}
	opt := sm.drawStrayOptions(t, env, "")
	opt.ReplacementDefault, opt.DryRun = repl, drawDry(t)
	dry := opt.DryRun
	c := sm.m.clone()
	want, w := c.deleteRole(env, slug, opt)
	op := fmt.Sprintf("DeleteRole(%s, %q, %+v)", env, slug, opt)
	var got rbac.DeletionPlan
	if sm.expect(t, op, w, dry, func() (err error) {
		got, err = sm.svc.DeleteRole(sm.ctx, env, slug, opt)
		return err
	}) {
		sm.checkPlan(t, op, want, got, dry)
		if !dry {
			sm.commit(t, op, c)
		}
	}
}

func (sm *machine) createOrganization(t *rapid.T) {
	env := sm.drawEnv(t)
	in := rbac.OrganizationInput{
		ID:   pick(t, "id", 85, append(slices.Clone(orgPool), ""), []string{"bad id", "tab\tid", strings.Repeat("o", rbac.MaxIDLen+1)}),
		Name: pick(t, "org name", 90, append([]string{""}, orgNamePool...), badOrgNames),
	}
	if rapid.Bool().Draw(t, "external id?") {
		in.ExternalID = pick(t, "external id", 90, extPool, badExts)
	}
	in.Metadata = drawMetadata(t)
	c := sm.m.clone()
	w := c.createOrganization(env, in, "")
	op := fmt.Sprintf("CreateOrganization(%s, %+v)", env, in)
	var got rbac.Organization
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateOrganization(sm.ctx, env, in)
		return err
	}) {
		if in.ID == "" && !strings.HasPrefix(got.ID, "org_") || in.ID != "" && got.ID != in.ID {
			t.Fatalf("%s returned id %q (rule 1.7)", op, got.ID)
		}
		c = sm.m.clone()
		if w := c.createOrganization(env, in, got.ID); w != nil {
			t.Fatalf("%s: generated id %q: the model says %s", op, got.ID, w)
		}
		if got.HasOwnSettings() || got.PriorityOrder != nil {
			t.Fatalf("%s = %+v: a new organization inherits (rule 5.1)", op, got)
		}
		sm.checkOrg(t, op, c.Envs[env], got)
		sm.commit(t, op, c)
	}
}

// checkOrg checks an organization record against the model's.
func (sm *machine) checkOrg(t *rapid.T, op string, e *mEnv, got rbac.Organization) {
	o := e.Orgs[got.ID]
	if o == nil {
		t.Fatalf("%s returned organization %q, which the model does not have", op, got.ID)
	}
	wantDefault, wantOrder := "", []string(nil)
	if o.Own {
		wantDefault, wantOrder = o.Default, o.Order
	}
	want := orgObs{ID: o.ID, Name: o.Name, ExternalID: o.ExternalID, Metadata: o.Metadata, OwnDefault: wantDefault, OwnOrder: wantOrder}
	gotObs := orgObs{ID: got.ID, Name: got.Name, ExternalID: got.ExternalID, Metadata: got.Metadata, OwnDefault: got.DefaultRole, OwnOrder: got.PriorityOrder}
	if diff := cmp.Diff(want, gotObs, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s returned (-model +got) (rules 1.2, 2.4):\n%s", op, diff)
	}
}

// drawOrgName draws an organization name, sometimes one rule 2.6 forbids.
func drawOrgName(t *rapid.T, cur string) string {
	return pick(t, "organization name", 90, append([]string{cur}, orgNamePool...), append([]string{""}, badOrgNames...))
}

// drawMetadata draws an organization's metadata, sometimes metadata rule
// 2.6 forbids.
func drawMetadata(t *rapid.T) map[string]string {
	if rapid.IntRange(0, 9).Draw(t, "bad metadata?") > 0 {
		return metaPool[rapid.IntRange(0, len(metaPool)-1).Draw(t, "metadata")]
	}
	return badMetas[rapid.IntRange(0, len(badMetas)-1).Draw(t, "bad metadata")]
}

func (sm *machine) updateOrganization(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	var cur mOrg
	if e, ok := sm.m.Envs[env]; ok && e.Orgs[org] != nil {
		cur = *e.Orgs[org]
	}
	var u rbac.OrganizationUpdate
	if rapid.Bool().Draw(t, "set name") {
		u.Name = rbac.Ptr(drawOrgName(t, cur.Name))
	}
	if rapid.Bool().Draw(t, "set external id") {
		ext := pick(t, "external id", 90, append([]string{"", cur.ExternalID}, extPool...), badExts)
		u.ExternalID = &ext
	}
	if rapid.Bool().Draw(t, "set metadata") {
		md := cur.Metadata
		if rapid.IntRange(0, 3).Draw(t, "same metadata?") > 0 {
			md = drawMetadata(t)
		}
		u.Metadata = &md
	}
	c := sm.m.clone()
	w := c.updateOrganization(env, org, u)
	op := fmt.Sprintf("UpdateOrganization(%s, %q, name %v, external id %v, metadata %v)", env, org, deref(u.Name), deref(u.ExternalID), derefMap(u.Metadata))
	var got rbac.Organization
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.UpdateOrganization(sm.ctx, env, org, u)
		return err
	}) {
		sm.checkOrg(t, op, c.Envs[env], got)
		sm.commit(t, op, c)
	}
}

func derefMap(p *map[string]string) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *p)
}

func (sm *machine) deleteEnvironment(t *rapid.T) {
	// Mostly the environment that starts missing, so that the populated
	// ones live long enough to meet the other operations.
	env := envPool[2]
	if rapid.IntRange(0, 9).Draw(t, "delete a populated environment?") == 0 {
		env = rapid.SampledFrom(envPool[:2]).Draw(t, "environment")
	}
	sm.env = env
	c := sm.m.clone()
	w := c.deleteEnvironment(env)
	op := fmt.Sprintf("DeleteEnvironment(%s)", env)
	if sm.expect(t, op, w, false, func() error { return sm.svc.DeleteEnvironment(sm.ctx, env) }) {
		sm.commit(t, op, c)
	}
}

// rolePermission returns the action that adds (add) or removes one
// permission of an environment role, or of an organization role (org).
func (sm *machine) rolePermission(org, add bool) func(*rapid.T) {
	return func(t *rapid.T) {
		env := sm.drawEnv(t)
		scope, slug := "", ""
		if org {
			scope = sm.drawOrgWithRoles(t, env)
			slug = sm.drawOrgRole(t, env, scope)
		} else {
			slug = sm.drawEnvRole(t, env)
		}
		perm := sm.drawPerm(t, env)
		var r *mRole
		if e, ok := sm.m.Envs[env]; ok {
			r = e.Roles[slug]
			if o := e.Orgs[scope]; scope != "" {
				r = nil
				if o != nil {
					r = o.Roles[slug]
				}
			}
		}
		// Often a permission the role has: removals that bite, additions
		// that change nothing (rule 3.4).
		if r != nil && len(r.Perms) > 0 && rapid.Bool().Draw(t, "a permission the role has?") {
			perm = rapid.SampledFrom(r.Perms).Draw(t, "held permission")
		}
		c := sm.m.clone()
		w := c.changeRolePermission(env, scope, slug, perm, add)
		name := map[[2]bool]string{{false, true}: "AddRolePermission", {false, false}: "RemoveRolePermission",
			{true, true}: "AddOrganizationRolePermission", {true, false}: "RemoveOrganizationRolePermission"}[[2]bool{org, add}]
		op := fmt.Sprintf("%s(%s, %q, %q, %q)", name, env, scope, slug, perm)
		var got rbac.Role
		if sm.expect(t, op, w, false, func() (err error) {
			switch {
			case org && add:
				got, err = sm.svc.AddOrganizationRolePermission(sm.ctx, env, scope, slug, perm)
			case org:
				got, err = sm.svc.RemoveOrganizationRolePermission(sm.ctx, env, scope, slug, perm)
			case add:
				got, err = sm.svc.AddRolePermission(sm.ctx, env, slug, perm)
			default:
				got, err = sm.svc.RemoveRolePermission(sm.ctx, env, slug, perm)
			}
			return err
		}) {
			e := c.Envs[env]
			want := e.Roles[slug]
			if org {
				want = e.Orgs[scope].Roles[slug]
			}
			if got.Slug != slug || got.OrganizationID != scope || !slices.Equal(got.Permissions, want.Perms) {
				t.Fatalf("%s = %+v; want permissions %q (rule 3.4)", op, got, want.Perms)
			}
			sm.commit(t, op, c)
		}
	}
}

func (sm *machine) deleteOrganization(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	opt := sm.drawStrayOptions(t, env, org)
	opt.DryRun = drawDry(t)
	dry := opt.DryRun
	c := sm.m.clone()
	want, w := c.deleteOrganization(env, org, opt)
	op := fmt.Sprintf("DeleteOrganization(%s, %q, %+v)", env, org, opt)
	var got rbac.DeletionPlan
	if sm.expect(t, op, w, dry, func() (err error) {
		got, err = sm.svc.DeleteOrganization(sm.ctx, env, org, opt)
		return err
	}) {
		sm.checkPlan(t, op, want, got, dry)
		if !dry {
			sm.commit(t, op, c)
		}
	}
}

func (sm *machine) setOrgDefault(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	slug := sm.drawRole(t, env, org)
	c := sm.m.clone()
	w := c.setOrgDefault(env, org, slug)
	op := fmt.Sprintf("SetOrganizationDefaultRole(%s, %q, %q)", env, org, slug)
	var got rbac.Settings
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SetOrganizationDefaultRole(sm.ctx, env, org, slug)
		return err
	}) {
		o := c.Envs[env].Orgs[org]
		if got.DefaultRole != slug || got.Inherited || !slices.Equal(got.PriorityOrder, o.Order) {
			t.Fatalf("%s = %+v; want own settings %q %v (rule 7.3)", op, got, slug, o.Order)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) setOrgOrder(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	var roles []string
	if e, ok := sm.m.Envs[env]; ok {
		if o, ok := e.Orgs[org]; ok {
			roles = e.visibleSlugs(o)
		}
	}
	order := drawOrder(t, roles)
	c := sm.m.clone()
	w := c.setOrgOrder(env, org, order)
	op := fmt.Sprintf("SetOrganizationPriorityOrder(%s, %q, %q)", env, org, order)
	var got rbac.Settings
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SetOrganizationPriorityOrder(sm.ctx, env, org, order)
		return err
	}) {
		if got.Inherited || !slices.Equal(got.PriorityOrder, order) {
			t.Fatalf("%s = %+v (rule 7.3)", op, got)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) resolveRole(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	cands := sm.drawRoles(t, env, org, 0)
	want, w := sm.m.clone().resolve(env, org, cands)
	op := fmt.Sprintf("ResolveRole(%s, %q, %q)", env, org, cands)
	var got string
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.ResolveRole(sm.ctx, env, org, cands)
		return err
	}) && got != want {
		t.Fatalf("%s = %q; want %q (rule 7.4)", op, got, want)
	}
}

func (sm *machine) createOrgRole(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	in := rbac.RoleInput{
		Slug:        pick(t, "slug", 92, []string{"", "billing", "org-billing", "support", "org-support", "member"}, []string{"org-", "Bad Slug", "org--x", strings.Repeat("s", 45)}),
		Name:        drawName(t),
		Description: drawDesc(t),
		Permissions: sm.drawPerms(t, env),
	}
	c := sm.m.clone()
	_, w := c.createOrgRole(env, org, in, "org-placeholder-generated")
	op := fmt.Sprintf("CreateOrganizationRole(%s, %q, %+v)", env, org, in)
	var got rbac.Role
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateOrganizationRole(sm.ctx, env, org, in)
		return err
	}) {
		if in.Slug == "" {
			checkGeneratedSlug(t, op, in.Name, got.Slug)
		}
		c = sm.m.clone()
		slug, w := c.createOrgRole(env, org, in, got.Slug)
		if w != nil {
			t.Fatalf("%s returned slug %q; the model says %s", op, got.Slug, w)
		}
		want := roleObs{Slug: slug, Name: in.Name, Description: in.Description, Type: rbac.OrganizationRole,
			Org: org, Permissions: c.Envs[env].Orgs[org].Roles[slug].Perms}
		if diff := cmp.Diff(want, roleState(got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s returned (-model +got) (rule 5.2):\n%s", op, diff)
		}
		sm.commit(t, op, c)
	}
}

// checkGeneratedSlug checks a slug generated from name (rule 5.2).
func checkGeneratedSlug(t interface{ Fatalf(string, ...any) }, op, name, slug string) {
	base := slugBase(name)
	prefix := "org-"
	if base != "" {
		prefix += base + "-"
	}
	suffix, ok := strings.CutPrefix(slug, prefix)
	if !ok || len(suffix) != rbac.SlugSuffixLen || strings.Trim(suffix, "abcdefghijklmnopqrstuvwxyz0123456789") != "" ||
		len(slug) > rbac.MaxSlugLen || !validRoleSlug(slug) {
		t.Fatalf("%s: generated slug %q; want %q + %d characters of [a-z0-9] (rule 5.2)", op, slug, prefix, rbac.SlugSuffixLen)
	}
}

func (sm *machine) updateOrgRole(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrgWithRoles(t, env)
	slug := sm.drawOrgRole(t, env, org)
	cur := sm.current(env, org, slug)
	u := rbac.RoleUpdate{Name: drawOptName(t, cur.Name), Description: drawOptDesc(t, cur.Description),
		Permissions: sm.drawOptPerms(t, env, cur.Perms)}
	c := sm.m.clone()
	w := c.updateRole(env, org, slug, u)
	op := fmt.Sprintf("UpdateOrganizationRole(%s, %q, %q, %+v)", env, org, slug, u)
	var got rbac.Role
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.UpdateOrganizationRole(sm.ctx, env, org, slug, u)
		return err
	}) {
		r := c.Envs[env].Orgs[org].Roles[slug]
		if got.Slug != slug || got.OrganizationID != org || got.Name != r.Name || got.Description != r.Description || !slices.Equal(got.Permissions, r.Perms) {
			t.Fatalf("%s = %+v; want %+v", op, got, r)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) deleteOrgRole(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrgWithRoles(t, env)
	slug := sm.drawOrgRole(t, env, org)
	repl := ""
	if rapid.Bool().Draw(t, "replacement?") {
		repl = sm.drawRole(t, env, org)
	}
	opt := sm.drawStrayOptions(t, env, org)
	opt.ReassignTo, opt.DryRun = repl, drawDry(t)
	dry := opt.DryRun
	c := sm.m.clone()
	want, w := c.deleteOrgRole(env, org, slug, opt)
	op := fmt.Sprintf("DeleteOrganizationRole(%s, %q, %q, %+v)", env, org, slug, opt)
	var got rbac.DeletionPlan
	if sm.expect(t, op, w, dry, func() (err error) {
		got, err = sm.svc.DeleteOrganizationRole(sm.ctx, env, org, slug, opt)
		return err
	}) {
		sm.checkPlan(t, op, want, got, dry)
		if !dry {
			sm.commit(t, op, c)
		}
	}
}

func (sm *machine) createMembership(t *rapid.T) {
	env := sm.drawEnv(t)
	in := rbac.MembershipInput{UserID: drawUser(t)}
	in.OrganizationID = pick(t, "organization", 97, []string{sm.drawOrg(t, env)}, []string{""})
	in.Roles = sm.drawRoles(t, env, in.OrganizationID, 0)
	in.Status = rbac.MembershipStatus(pick(t, "status", 95, []string{"", "active", "pending"}, []string{"inactive", "bogus"}))
	c := sm.m.clone()
	_, w := c.createMembership(env, in, "om_placeholder")
	op := fmt.Sprintf("CreateMembership(%s, %+v)", env, in)
	var got rbac.Membership
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateMembership(sm.ctx, env, in)
		return err
	}) {
		if !strings.HasPrefix(got.ID, "om_") {
			t.Fatalf("%s returned id %q (rule 1.7)", op, got.ID)
		}
		c = sm.m.clone()
		want, w := c.createMembership(env, in, got.ID)
		if w != nil {
			t.Fatalf("%s returned id %q; the model says %s", op, got.ID, w)
		}
		sm.checkMember(t, op, want, got, in.OrganizationID)
		sm.commit(t, op, c)
	}
}

func (sm *machine) updateMembershipRoles(t *rapid.T) {
	env := sm.drawEnv(t)
	id := sm.drawMembership(t, env)
	org := ""
	if e, ok := sm.m.Envs[env]; ok {
		if mm, ok := e.Members[id]; ok {
			org = mm.Org
		}
	}
	roles := sm.drawRoles(t, env, org, rapid.IntRange(0, 9).Draw(t, "no roles?"))
	if e, ok := sm.m.Envs[env]; ok && e.Members[id] != nil && rapid.IntRange(0, 3).Draw(t, "the roles it has?") == 0 {
		roles = rapid.Permutation(e.Members[id].Roles).Draw(t, "same roles")
	}
	c := sm.m.clone()
	want, w := c.updateMembershipRoles(env, id, roles)
	op := fmt.Sprintf("UpdateMembershipRoles(%s, %q, %q)", env, id, roles)
	var got rbac.Membership
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.UpdateMembershipRoles(sm.ctx, env, id, roles)
		return err
	}) {
		sm.checkMember(t, op, want, got, org)
		sm.commit(t, op, c)
	}
}

func (sm *machine) memberOp(t *rapid.T, name string, mop func(*model, string, string) (memberObs, *expErr),
	sop func(context.Context, string, string) (rbac.Membership, error)) {
	env := sm.drawEnv(t)
	id := sm.drawMembership(t, env)
	c := sm.m.clone()
	want, w := mop(c, env, id)
	op := fmt.Sprintf("%s(%s, %q)", name, env, id)
	var got rbac.Membership
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sop(sm.ctx, env, id)
		return err
	}) {
		sm.checkMember(t, op, want, got, c.Envs[env].Members[id].Org)
		sm.commit(t, op, c)
	}
}

func (sm *machine) deactivate(t *rapid.T) {
	sm.memberOp(t, "DeactivateMembership", (*model).deactivate, sm.svc.DeactivateMembership)
}

func (sm *machine) reactivate(t *rapid.T) {
	sm.memberOp(t, "ReactivateMembership", (*model).reactivate, sm.svc.ReactivateMembership)
}

func (sm *machine) accept(t *rapid.T) {
	sm.memberOp(t, "AcceptMembership", (*model).accept, sm.svc.AcceptMembership)
}

func (sm *machine) deleteMembership(t *rapid.T) {
	env := sm.drawEnv(t)
	id := sm.drawMembership(t, env)
	c := sm.m.clone()
	w := c.deleteMembership(env, id)
	op := fmt.Sprintf("DeleteMembership(%s, %q)", env, id)
	if sm.expect(t, op, w, false, func() error {
		return sm.svc.DeleteMembership(sm.ctx, env, id)
	}) {
		sm.commit(t, op, c)
	}
}

func drawSource(t *rapid.T) rbac.GroupSource {
	return rbac.GroupSource(pick(t, "source", 95, []string{"directory", "sso"}, []string{"", "ldap"}))
}

func (sm *machine) createMapping(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	in := rbac.GroupMappingInput{
		Source:  drawSource(t),
		GroupID: pick(t, "group", 95, groupPool, []string{"", "bad group"}),
		Role:    sm.drawRole(t, env, org),
	}
	c := sm.m.clone()
	w := c.createMapping(env, org, in, "")
	op := fmt.Sprintf("CreateGroupMapping(%s, %q, %+v)", env, org, in)
	var got rbac.GroupMapping
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.CreateGroupMapping(sm.ctx, env, org, in)
		return err
	}) {
		if got.ID == "" || got.OrganizationID != org || got.Source != in.Source || got.GroupID != in.GroupID || got.Role != in.Role {
			t.Fatalf("%s = %+v", op, got)
		}
		c = sm.m.clone()
		if w := c.createMapping(env, org, in, got.ID); w != nil {
			t.Fatalf("%s: model: %s", op, w)
		}
		sm.commit(t, op, c)
	}
}

func (sm *machine) deleteMapping(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	source := drawSource(t)
	group := rapid.SampledFrom(groupPool).Draw(t, "group")
	if e, ok := sm.m.Envs[env]; ok && e.Orgs[org] != nil && len(e.Orgs[org].Mappings) > 0 && rapid.IntRange(0, 4).Draw(t, "existing mapping?") > 0 {
		k := rapid.SampledFrom(e.Orgs[org].mappingKeys()).Draw(t, "mapping")
		source, group = k.Source, k.Group
	}
	c := sm.m.clone()
	w := c.deleteMapping(env, org, source, group)
	op := fmt.Sprintf("DeleteGroupMapping(%s, %q, %q, %q)", env, org, source, group)
	if sm.expect(t, op, w, false, func() error {
		return sm.svc.DeleteGroupMapping(sm.ctx, env, org, source, group)
	}) {
		sm.commit(t, op, c)
	}
}

func (sm *machine) syncGroups(t *rapid.T) {
	env := sm.drawEnv(t)
	in := rbac.SyncInput{
		OrganizationID: pick(t, "organization", 97, []string{sm.drawOrg(t, env)}, []string{""}),
		UserID:         drawUser(t),
		Source:         drawSource(t),
		Groups:         rapid.SliceOfN(rapid.SampledFrom(append(slices.Clone(groupPool), "g-unmapped")), 0, 3).Draw(t, "groups"),
	}
	c := sm.m.clone()
	_, _, w := c.syncGroups(env, in, "om_placeholder")
	op := fmt.Sprintf("SyncGroups(%s, %+v)", env, in)
	var got rbac.SyncResult
	if sm.expect(t, op, w, false, func() (err error) {
		got, err = sm.svc.SyncGroups(sm.ctx, env, in)
		return err
	}) {
		c = sm.m.clone()
		want, wm, w := c.syncGroups(env, in, got.Membership.ID)
		if w != nil {
			t.Fatalf("%s: model: %s", op, w)
		}
		if got.Applied != want.Applied || got.Created != want.Created {
			t.Fatalf("%s = applied %v created %v; want %v %v (rules 10.2, 10.3)", op, got.Applied, got.Created, want.Applied, want.Created)
		}
		sm.checkMember(t, op, wm, got.Membership, in.OrganizationID)
		sm.commit(t, op, c)
	}
}

// reads checks single-record reads, also across organizations and
// environments (rule 5.4, invariant I6).
func (sm *machine) reads(t *rapid.T) {
	env := sm.drawEnv(t)
	org := sm.drawOrg(t, env)
	e, envOK := sm.m.Envs[env]
	var o *mOrg
	if envOK {
		o = e.Orgs[org]
	}
	slug := sm.drawRole(t, env, org)

	// GetOrganizationRole resolves both kinds, only where visible (5.8).
	r, err := sm.svc.GetOrganizationRole(sm.ctx, env, org, slug)
	switch {
	case !envOK:
		mustErr(t, "GetOrganizationRole", err, rbac.KindNotFound, rbac.CodeEnvironmentNotFound)
	case o == nil:
		mustErr(t, "GetOrganizationRole", err, rbac.KindNotFound, rbac.CodeOrganizationNotFound)
	default:
		if mr, ok := e.visible(o, slug); ok {
			if err != nil || r.Slug != slug || r.OrganizationID != mr.Org {
				t.Fatalf("GetOrganizationRole(%s, %q, %q) = %+v, %v", env, org, slug, r, err)
			}
		} else {
			mustErr(t, fmt.Sprintf("GetOrganizationRole(%s, %q, %q)", env, org, slug), err, rbac.KindNotFound, rbac.CodeRoleNotFound)
		}
	}
	// GetOrganization returns the record, own settings included.
	if o != nil {
		op := fmt.Sprintf("GetOrganization(%s, %q)", env, org)
		rec, err := sm.svc.GetOrganization(sm.ctx, env, org)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		sm.checkOrg(t, op, e, rec)
	}
	// GetOrganizationByExternalID finds the one organization with it (rule
	// 1.2).
	if envOK {
		ext := pick(t, "external id", 90, append([]string{""}, extPool...), badExts)
		op := fmt.Sprintf("GetOrganizationByExternalID(%s, %q)", env, ext)
		rec, err := sm.svc.GetOrganizationByExternalID(sm.ctx, env, ext)
		if mo := e.byExternalID(ext); mo != nil {
			if err != nil || rec.ID != mo.ID {
				t.Fatalf("%s = %q, %v; want %q", op, rec.ID, err, mo.ID)
			}
			sm.checkOrg(t, op, e, rec)
		} else {
			mustErr(t, op, err, rbac.KindNotFound, rbac.CodeOrganizationNotFound)
		}
	}
	// GetPermission.
	if envOK {
		slug := sm.drawPerm(t, env)
		p, err := sm.svc.GetPermission(sm.ctx, env, slug)
		if mp, ok := e.Perms[slug]; ok {
			if err != nil || p.Slug != slug || p.Name != mp.Name || p.Description != mp.Description || p.System != mp.System {
				t.Fatalf("GetPermission(%s, %q) = %+v, %v; want %+v", env, slug, p, err, mp)
			}
		} else {
			mustErr(t, fmt.Sprintf("GetPermission(%s, %q)", env, slug), err, rbac.KindNotFound, rbac.CodePermissionNotFound)
		}
	}
	// GetRole sees environment roles only.
	r, err = sm.svc.GetRole(sm.ctx, env, slug)
	if envOK {
		if mr, ok := e.Roles[slug]; ok {
			if err != nil || r.Slug != mr.Slug || r.Type != rbac.EnvironmentRole {
				t.Fatalf("GetRole(%s, %q) = %+v, %v", env, slug, r, err)
			}
		} else {
			mustErr(t, fmt.Sprintf("GetRole(%s, %q)", env, slug), err, rbac.KindNotFound, rbac.CodeRoleNotFound)
		}
	}
	// GetMembership and FindMembership.
	id := sm.drawMembership(t, env)
	m, err := sm.svc.GetMembership(sm.ctx, env, id)
	if envOK {
		if mm, ok := e.Members[id]; ok {
			if err != nil {
				t.Fatalf("GetMembership(%s, %q): %v", env, id, err)
			}
			sm.checkMember(t, "GetMembership", e.present(mm), m, mm.Org)
		} else {
			mustErr(t, fmt.Sprintf("GetMembership(%s, %q)", env, id), err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
		}
	}
	user := rapid.SampledFrom(userPool).Draw(t, "user")
	m, err = sm.svc.FindMembership(sm.ctx, env, org, user)
	if o != nil {
		if mm := e.memberOf(org, user); mm != nil {
			if err != nil {
				t.Fatalf("FindMembership(%s, %q, %q): %v", env, org, user, err)
			}
			sm.checkMember(t, "FindMembership", e.present(mm), m, org)
		} else {
			mustErr(t, fmt.Sprintf("FindMembership(%s, %q, %q)", env, org, user), err, rbac.KindNotFound, rbac.CodeMembershipNotFound)
		}
	}
	// ListMemberships by user, default statuses: active only (8.6).
	ms, err := listMemberships(sm.ctx, sm.svc, env, rbac.MembershipFilter{UserID: user})
	if envOK {
		var want []memberObs
		for _, mm := range e.membersIn("") {
			if mm.User == user && mm.Status == rbac.StatusActive {
				want = append(want, e.present(mm))
			}
		}
		var gotMS []memberObs
		for _, m := range ms {
			gotMS = append(gotMS, memberState(m))
		}
		if diff := cmp.Diff(want, gotMS, cmpopts.EquateEmpty()); err != nil || diff != "" {
			t.Fatalf("ListMemberships(%s, user %q): %v (-model +got):\n%s", env, user, err, diff)
		}
	}
}

func mustErr(t interface{ Fatalf(string, ...any) }, op string, err error, kind rbac.Kind, code string) {
	if msg := matchErr(err, &expErr{Kind: kind, Code: code}); err == nil || msg != "" {
		t.Fatalf("%s: %v; want a %v error %s", op, err, kind, code)
	}
}
