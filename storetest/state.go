package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/orgroles/rbac"
)

// observed is everything a caller can observe of a store through the
// Service's read API, keyed by environment id. Timestamps and the ids of
// roles and permissions, which the caller never names, are left out.
type observed map[string]envObs

// envObs is the observable state of one environment.
type envObs struct {
	Name          string
	Revision      int64 // compared before/after a failed call, not with the model
	DefaultRole   string
	PriorityOrder []string
	MultipleRoles bool
	Permissions   []permObs // by slug
	Roles         []roleObs // environment roles, in the environment order
	Orgs          []orgObs  // by id
}

// permObs is a permission.
type permObs struct {
	Slug, Name, Description string
	System                  bool
}

// roleObs is a role.
type roleObs struct {
	Slug, Name, Description string
	Type                    rbac.RoleType
	Org                     string
	Permissions             []string
}

// orgObs is an organization with everything it holds.
type orgObs struct {
	ID, Name    string
	ExternalID  string
	Metadata    map[string]string
	OwnDefault  string   // the record's own default, "" while inheriting
	OwnOrder    []string // the record's own order, nil while inheriting
	Settings    rbac.Settings
	Roles       []roleObs // every visible role, in the effective order
	Memberships []memberObs
	Mappings    []mappingObs
}

// memberObs is a membership.
type memberObs struct {
	ID, User string
	Status   rbac.MembershipStatus
	Role     string
	Roles    []string
	Source   rbac.RoleSource
}

// mappingObs is a group mapping.
type mappingObs struct {
	ID     string
	Source rbac.GroupSource
	Group  string
	Role   string
}

var allStatuses = []rbac.MembershipStatus{rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending}

func roleState(r rbac.Role) roleObs {
	return roleObs{Slug: r.Slug, Name: r.Name, Description: r.Description, Type: r.Type,
		Org: r.OrganizationID, Permissions: r.Permissions}
}

func memberState(m rbac.Membership) memberObs {
	return memberObs{ID: m.ID, User: m.UserID, Status: m.Status, Role: m.Role, Roles: m.Roles, Source: m.RoleSource}
}

// dumpAll reads the whole state of every environment through the Service.
func dumpAll(ctx context.Context, s *rbac.Service) (observed, error) {
	envs, err := s.Environments(ctx)
	if err != nil {
		return nil, err
	}
	st := observed{}
	for _, id := range envs {
		es, err := dumpEnv(ctx, s, id)
		if err != nil {
			return nil, fmt.Errorf("environment %q: %w", id, err)
		}
		st[id] = es
	}
	return st, nil
}

func dumpEnv(ctx context.Context, s *rbac.Service, id string) (envObs, error) {
	var es envObs
	env, err := s.GetEnvironment(ctx, id)
	if err != nil {
		return es, err
	}
	es.Name, es.Revision = env.Name, env.Revision
	es.DefaultRole, es.PriorityOrder, es.MultipleRoles = env.DefaultRole, env.PriorityOrder, env.MultipleRoles
	perms, err := listPermissions(ctx, s, id)
	if err != nil {
		return es, err
	}
	for i, p := range perms {
		if i > 0 && perms[i-1].ID >= p.ID {
			return es, fmt.Errorf("ListPermissions: %q listed after %q, not in id order", p.ID, perms[i-1].ID)
		}
		es.Permissions = append(es.Permissions, permObs{p.Slug, p.Name, p.Description, p.System})
	}
	// The model does not know permission ids: compare by slug.
	slices.SortFunc(es.Permissions, func(a, b permObs) int { return strings.Compare(a.Slug, b.Slug) })
	roles, err := listRoles(ctx, s, id)
	if err != nil {
		return es, err
	}
	for _, r := range roles {
		es.Roles = append(es.Roles, roleState(r))
	}
	orgs, err := listOrganizations(ctx, s, id)
	if err != nil {
		return es, err
	}
	for _, o := range orgs {
		os := orgObs{ID: o.ID, Name: o.Name, ExternalID: o.ExternalID, Metadata: o.Metadata,
			OwnDefault: o.DefaultRole, OwnOrder: o.PriorityOrder}
		if os.Settings, err = s.OrganizationSettings(ctx, id, o.ID); err != nil {
			return es, err
		}
		roles, err := listOrganizationRoles(ctx, s, id, o.ID)
		if err != nil {
			return es, err
		}
		for _, r := range roles {
			os.Roles = append(os.Roles, roleState(r))
		}
		ms, err := listMemberships(ctx, s, id, rbac.MembershipFilter{OrganizationID: o.ID, Statuses: allStatuses})
		if err != nil {
			return es, err
		}
		for _, m := range ms {
			if m.OrganizationID != o.ID {
				return es, fmt.Errorf("membership %q of organization %q listed under %q", m.ID, m.OrganizationID, o.ID)
			}
			os.Memberships = append(os.Memberships, memberState(m))
		}
		gms, err := listGroupMappings(ctx, s, id, o.ID)
		if err != nil {
			return es, err
		}
		for _, g := range gms {
			if g.OrganizationID != o.ID {
				return es, fmt.Errorf("group mapping %q of organization %q listed under %q", g.ID, g.OrganizationID, o.ID)
			}
			os.Mappings = append(os.Mappings, mappingObs{g.ID, g.Source, g.GroupID, g.Role})
		}
		es.Orgs = append(es.Orgs, os)
	}
	return es, nil
}

// invariants checks invariants I1–I7 and the shape of listings on a dumped
// state, without a model. It returns one line per violation.
func invariants(st observed) []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	for _, envID := range sortedKeys(st) {
		es := st[envID]
		envSlugs := map[string]bool{}
		for _, r := range es.Roles {
			// I5
			if strings.HasPrefix(r.Slug, rbac.OrganizationRolePrefix) || r.Type != rbac.EnvironmentRole || r.Org != "" {
				add("%s: environment role %+v: org- prefix, type or organization wrong (I5)", envID, r)
			}
			if envSlugs[r.Slug] {
				add("%s: environment role %q listed twice", envID, r.Slug)
			}
			envSlugs[r.Slug] = true
			if !isSortedSet(r.Permissions) {
				add("%s: role %q permissions %v not sorted without duplicates", envID, r.Slug, r.Permissions)
			}
		}
		perms := map[string]bool{}
		for _, p := range es.Permissions {
			perms[p.Slug] = true
		}
		checkPerms := func(where string, r roleObs) {
			for _, p := range r.Permissions {
				if !perms[p] {
					add("%s: role %q holds permission %q that does not exist (3.2, 3.3)", where, r.Slug, p)
				}
			}
		}
		for _, r := range es.Roles {
			checkPerms(envID, r)
		}
		// I2, I3 at environment level.
		if !envSlugs[es.DefaultRole] {
			add("%s: environment default %q is not an environment role (I2)", envID, es.DefaultRole)
		}
		if !isPermutation(es.PriorityOrder, keys(envSlugs)) {
			add("%s: environment order %v is not a permutation of %v (I3)", envID, es.PriorityOrder, sortedKeys(envSlugs))
		}
		if !slices.Equal(slugsOfStates(es.Roles), es.PriorityOrder) {
			add("%s: ListRoles %v not in the environment order %v", envID, slugsOfStates(es.Roles), es.PriorityOrder)
		}
		memberIDs := map[string]string{}
		for _, os := range es.Orgs {
			where := envID + "/" + os.ID
			visible := map[string]bool{}
			for s := range envSlugs {
				visible[s] = true
			}
			nOwn := 0
			for _, r := range os.Roles {
				if strings.HasPrefix(r.Slug, rbac.OrganizationRolePrefix) {
					nOwn++
					// I5, I6
					if r.Type != rbac.OrganizationRole || r.Org != os.ID {
						add("%s: organization role %+v has the wrong type or organization (I5, I6)", where, r)
					}
					if visible[r.Slug] {
						add("%s: role %q listed twice", where, r.Slug)
					}
					visible[r.Slug] = true
					checkPerms(where, r)
				} else if !envSlugs[r.Slug] {
					add("%s: role %q listed but neither an environment role nor an org- role (I6)", where, r.Slug)
				}
			}
			if len(os.Roles) != len(visible) {
				add("%s: lists %d roles, %d visible (4.4, 5.8)", where, len(os.Roles), len(visible))
			}
			set := os.Settings
			if os.OwnDefault == "" {
				// I4: inheritance.
				if nOwn > 0 {
					add("%s: has organization roles but no own settings (5.5)", where)
				}
				if os.OwnOrder != nil {
					add("%s: own order %v without own default", where, os.OwnOrder)
				}
				if !set.Inherited || set.DefaultRole != es.DefaultRole || !slices.Equal(set.PriorityOrder, es.PriorityOrder) {
					add("%s: inheriting settings %+v differ from the environment's %q %v (I4)", where, set, es.DefaultRole, es.PriorityOrder)
				}
			} else if set.Inherited || set.DefaultRole != os.OwnDefault || !slices.Equal(set.PriorityOrder, os.OwnOrder) {
				add("%s: settings %+v differ from own %q %v (6.3)", where, set, os.OwnDefault, os.OwnOrder)
			}
			// I2, I3
			if !visible[set.DefaultRole] {
				add("%s: default %q is not visible there (I2)", where, set.DefaultRole)
			}
			if !isPermutation(set.PriorityOrder, keys(visible)) {
				add("%s: order %v is not a permutation of the visible roles %v (I3)", where, set.PriorityOrder, sortedKeys(visible))
			}
			if !slices.Equal(slugsOfStates(os.Roles), set.PriorityOrder) {
				add("%s: ListOrganizationRoles %v not in the effective order %v (5.8)", where, slugsOfStates(os.Roles), set.PriorityOrder)
			}
			users := map[string]bool{}
			for _, m := range os.Memberships {
				if other, ok := memberIDs[m.ID]; ok {
					add("%s: membership id %q also in %s (1.7)", where, m.ID, other)
				}
				memberIDs[m.ID] = os.ID
				if users[m.User] {
					add("%s: user %q has two memberships (1.5)", where, m.User)
				}
				users[m.User] = true
				// I1
				for _, r := range m.Roles {
					if !visible[r] {
						add("%s: membership %q holds role %q, not visible there (I1)", where, m.ID, r)
					}
				}
				// I7
				if es.MultipleRoles && len(m.Roles) < 1 || !es.MultipleRoles && len(m.Roles) != 1 {
					add("%s: membership %q has roles %v with multiple roles %v (I7)", where, m.ID, m.Roles, es.MultipleRoles)
				}
				// 8.3
				sorted := slices.Clone(m.Roles)
				sortIn(sorted, set.PriorityOrder)
				if !slices.Equal(sorted, m.Roles) || len(m.Roles) > 0 && m.Role != m.Roles[0] || hasDup(m.Roles) {
					add("%s: membership %q role %q roles %v not in priority order %v (8.3)", where, m.ID, m.Role, m.Roles, set.PriorityOrder)
				}
				switch m.Status {
				case rbac.StatusActive, rbac.StatusInactive, rbac.StatusPending:
				default:
					add("%s: membership %q has status %q", where, m.ID, m.Status)
				}
			}
			for _, g := range os.Mappings {
				if !visible[g.Role] {
					add("%s: group mapping %s/%s targets role %q, not visible there (10.1)", where, g.Source, g.Group, g.Role)
				}
			}
		}
	}
	return bad
}

// checkClaims checks invariant I9: Claims and Can of every (organization, user)
// pair of users agree with a naive recomputation from the dumped state.
// perms are the permissions to ask Can about, in addition to those of the
// environment.
func checkClaims(ctx context.Context, s *rbac.Service, st observed, users, perms []string) []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	for _, envID := range sortedKeys(st) {
		es := st[envID]
		askPerms := slices.Clone(perms)
		for _, p := range es.Permissions {
			askPerms = append(askPerms, p.Slug)
		}
		askPerms = sortedUnique(askPerms)
		for _, os := range es.Orgs {
			byUser := map[string]memberObs{}
			for _, m := range os.Memberships {
				byUser[m.User] = m
			}
			roleOf := map[string]roleObs{}
			for _, r := range os.Roles {
				roleOf[r.Slug] = r
			}
			us := slices.Clone(users)
			for u := range byUser {
				us = append(us, u)
			}
			for _, u := range sortedUnique(us) {
				m, ok := byUser[u]
				active := ok && m.Status == rbac.StatusActive
				var want rbac.Claims
				if active {
					want = rbac.Claims{OrganizationID: os.ID, Role: m.Role, Roles: m.Roles, Permissions: []string{}}
					for _, r := range m.Roles {
						want.Permissions = append(want.Permissions, roleOf[r].Permissions...)
					}
					want.Permissions = sortedUnique(want.Permissions)
				}
				got, err := s.Claims(ctx, envID, os.ID, u)
				switch {
				case active && err != nil:
					add("%s/%s: Claims(%q): %v", envID, os.ID, u, err)
				case active && !equalClaims(want, got):
					add("%s/%s: Claims(%q) = %+v, want %+v (I9, 11.1)", envID, os.ID, u, got, want)
				case !active && !isCode(err, rbac.KindNotFound, rbac.CodeMembershipNotFound):
					add("%s/%s: Claims(%q) for no active membership = %+v, %v; want not found (11.1)", envID, os.ID, u, got, err)
				}
				if !active && (len(users) == 0 || u != users[0]) {
					continue // Can of a non-member: one user per organization is enough
				}
				for _, p := range askPerms {
					ok, err := s.Can(ctx, envID, os.ID, u, p)
					want := active && slices.Contains(want.Permissions, p)
					if err != nil || ok != want {
						add("%s/%s: Can(%q, %q) = %v, %v; want %v (I9, 11.2)", envID, os.ID, u, p, ok, err, want)
					}
				}
			}
		}
	}
	return bad
}

func equalClaims(a, b rbac.Claims) bool {
	return a.OrganizationID == b.OrganizationID && a.Role == b.Role &&
		slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Permissions, b.Permissions)
}

// isCode reports whether err is an *rbac.Error of the kind and, if code is
// not empty, the code — checked through errors.Is with the kind sentinel
// and errors.As.
func isCode(err error, kind rbac.Kind, code string) bool {
	var e *rbac.Error
	if !errors.As(err, &e) || e.Kind != kind || !errors.Is(err, kindSentinel(kind)) {
		return false
	}
	return code == "" || e.Code == code
}

func kindSentinel(k rbac.Kind) error {
	switch k {
	case rbac.KindNotFound:
		return rbac.ErrNotFound
	case rbac.KindInvalid:
		return rbac.ErrInvalid
	case rbac.KindConflict:
		return rbac.ErrConflict
	case rbac.KindReplacementRequired:
		return rbac.ErrReplacementRequired
	}
	return rbac.ErrInternal
}

// ---- small helpers ----

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) []string { return sortedKeys(m) }

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func isSortedSet(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func hasDup(s []string) bool { return len(sortedUnique(s)) != len(s) }

func isPermutation(order, want []string) bool {
	if len(order) != len(want) {
		return false
	}
	a, b := slices.Clone(order), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func slugsOfStates(rs []roleObs) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Slug
	}
	return out
}

// sortIn sorts roles by their position in order (stable; absent last).
func sortIn(roles, order []string) {
	pos := func(s string) int {
		if i := slices.Index(order, s); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(roles, func(a, b string) int { return pos(a) - pos(b) })
}

// normalized returns a copy of st with every empty slice nil and, if
// noRev, revisions zeroed, so that reflect.DeepEqual compares it the way
// cmpopts.EquateEmpty would (cmp.Diff is kept for reporting a difference).
func (st observed) normalized(noRev bool) observed {
	out := observed{}
	nilIfEmpty := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	roles := func(rs []roleObs) []roleObs {
		if len(rs) == 0 {
			return nil
		}
		out := slices.Clone(rs)
		for i := range out {
			out[i].Permissions = nilIfEmpty(out[i].Permissions)
		}
		return out
	}
	for id, es := range st {
		if noRev {
			es.Revision = 0
		}
		es.PriorityOrder = nilIfEmpty(es.PriorityOrder)
		if len(es.Permissions) == 0 {
			es.Permissions = nil
		}
		es.Roles = roles(es.Roles)
		orgs := slices.Clone(es.Orgs)
		if len(orgs) == 0 {
			orgs = nil
		}
		for i, o := range orgs {
			if len(o.Metadata) == 0 {
				o.Metadata = nil
			}
			o.OwnOrder = nilIfEmpty(o.OwnOrder)
			o.Settings.PriorityOrder = nilIfEmpty(o.Settings.PriorityOrder)
			o.Roles = roles(o.Roles)
			ms := slices.Clone(o.Memberships)
			if len(ms) == 0 {
				ms = nil
			}
			for j := range ms {
				ms[j].Roles = nilIfEmpty(ms[j].Roles)
			}
			o.Memberships = ms
			if len(o.Mappings) == 0 {
				o.Mappings = nil
			}
			orgs[i] = o
		}
		es.Orgs = orgs
		out[id] = es
	}
	return out
}
