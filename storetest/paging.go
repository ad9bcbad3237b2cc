package storetest

import (
	"fmt"
	"slices"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/orgroles/rbac"
)

// A page as the paging checks see it: the keys of its records (slugs for
// permissions and roles, ids for the rest), their ids, and its cursors.
type pageObs struct {
	Keys, IDs     []string
	Before, After string
}

// pager calls one Service listing and renders the page it returns.
type pager func(rbac.ListOptions) (pageObs, error)

func pagerOf[T any](list func(rbac.ListOptions) (rbac.Page[T], error), key, id func(T) string) pager {
	return func(o rbac.ListOptions) (pageObs, error) {
		p, err := list(o)
		if err != nil {
			return pageObs{}, err
		}
		if p.Data == nil {
			return pageObs{}, fmt.Errorf("page %+v has nil Data; want an empty slice", p)
		}
		out := pageObs{Before: p.Before, After: p.After}
		for _, x := range p.Data {
			out.Keys = append(out.Keys, key(x))
			out.IDs = append(out.IDs, id(x))
		}
		return out, nil
	}
}

// A listing under test: the model's records in ascending order, their ids,
// and how to page through them.
type listing struct {
	what string
	keys []string          // the model's listing, in ascending order
	ids  map[string]string // id by key
	// byID is set for the listings ordered by id, where a cursor may be
	// any id (rule 19.2); a role listing's cursor must be one of its ids.
	byID bool
	page pager
}

// paging pages through one listing of the Service with a random limit,
// order and starting cursor, then walks every page to both ends, and
// checks each page against the model's full listing (rules 19.1, 19.2).
func (sm *machine) paging(t *rapid.T) {
	kind := rapid.SampledFrom([]string{"permissions", "roles", "organizations", "organization roles", "memberships", "group mappings"}).Draw(t, "listing")
	sm.page(t, kind)
}

// listMemberships pages through the memberships a random filter selects,
// the richest listing (rule 8.6).
func (sm *machine) listMemberships(t *rapid.T) { sm.page(t, "memberships") }

func (sm *machine) page(t *rapid.T, kind string) {
	env := sm.drawEnv(t)
	ctx, svc := sm.ctx, sm.svc
	e, ok := sm.m.Envs[env]
	var org string
	if kind == "organization roles" || kind == "group mappings" {
		org = sm.drawOrg(t, env)
	}
	l := listing{what: fmt.Sprintf("%s of %s", kind, env), ids: map[string]string{}, byID: true}
	self := func(keys []string) {
		for _, k := range keys {
			l.ids[k] = k
		}
	}
	slug := func(r rbac.Role) string { return r.Slug }
	id := func(r rbac.Role) string { return r.ID }
	switch kind {
	case "permissions":
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.Permission], error) { return svc.ListPermissions(ctx, env, o) },
			func(p rbac.Permission) string { return p.Slug }, func(p rbac.Permission) string { return p.ID })
		if ok {
			// Ordered by id, which is the order of creation (rules 1.7,
			// 19.2): the model lists them in the order it created them.
			l.keys = sortedKeys(e.Perms)
			slices.SortFunc(l.keys, func(a, b string) int { return e.Perms[a].Seq - e.Perms[b].Seq })
			for _, k := range l.keys {
				l.ids[k] = e.Perms[k].ID
			}
		}
	case "roles":
		l.byID = false
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) { return svc.ListRoles(ctx, env, o) }, slug, id)
		if ok {
			l.keys = e.Order
			all, err := listRoles(ctx, svc, env)
			if err != nil {
				t.Fatalf("ListRoles(%s): %v", env, err)
			}
			for _, r := range all {
				l.ids[r.Slug] = r.ID
			}
		}
	case "organizations":
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.Organization], error) {
			return svc.ListOrganizations(ctx, env, o)
		},
			func(o rbac.Organization) string { return o.ID }, func(o rbac.Organization) string { return o.ID })
		if ok {
			l.keys = sortedKeys(e.Orgs)
			self(l.keys)
		}
	case "organization roles":
		l.what = fmt.Sprintf("roles of %s/%s", env, org)
		l.byID = false
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.Role], error) {
			return svc.ListOrganizationRoles(ctx, env, org, o)
		}, slug, id)
		if ok && e.Orgs[org] != nil {
			_, l.keys = e.effective(e.Orgs[org])
			all, err := listOrganizationRoles(ctx, svc, env, org)
			if err != nil {
				t.Fatalf("ListOrganizationRoles(%s, %q): %v", env, org, err)
			}
			for _, r := range all {
				l.ids[r.Slug] = r.ID
			}
		}
	case "memberships":
		f := sm.drawFilter(t, env)
		l.what = fmt.Sprintf("memberships of %s %+v", env, f)
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.Membership], error) {
			return svc.ListMemberships(ctx, env, f, o)
		}, func(m rbac.Membership) string { return m.ID }, func(m rbac.Membership) string { return m.ID })
		if ok {
			l.keys = e.filterMembers(f)
			self(l.keys)
		}
	case "group mappings":
		l.what = fmt.Sprintf("group mappings of %s/%s", env, org)
		l.page = pagerOf(func(o rbac.ListOptions) (rbac.Page[rbac.GroupMapping], error) {
			return svc.ListGroupMappings(ctx, env, org, o)
		}, func(m rbac.GroupMapping) string { return m.ID }, func(m rbac.GroupMapping) string { return m.ID })
		if ok && e.Orgs[org] != nil {
			o := e.Orgs[org]
			for _, k := range o.mappingKeys() {
				l.keys = append(l.keys, o.Mappings[k].ID)
			}
			slices.Sort(l.keys)
			self(l.keys)
		}
	}
	// A listing of a missing environment or organization is not found.
	var missing *expErr
	switch {
	case !ok:
		missing = errNotFound(rbac.CodeEnvironmentNotFound)
	case org != "" && e.Orgs[org] == nil:
		missing = errNotFound(rbac.CodeOrganizationNotFound)
	}
	opt := rbac.ListOptions{
		Limit: rapid.SampledFrom([]int{0, 1, 2, 3, 5, len(l.keys), len(l.keys) + 1, rbac.MaxLimit}).Draw(t, "limit"),
		Order: rapid.SampledFrom([]rbac.Order{"", rbac.OrderAsc, rbac.OrderDesc}).Draw(t, "order"),
	}
	ids := make([]string, len(l.keys))
	for i, k := range l.keys {
		ids[i] = l.ids[k]
	}
	if l.byID {
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				t.Fatalf("%s: id %q of %q does not sort after id %q of %q, made before it (rules 1.7, 19.2)",
					l.what, ids[i], l.keys[i], ids[i-1], l.keys[i-1])
			}
		}
	}
	// Cursors: the ids of the listing; for listings by id, ids between
	// or beyond them too; for role listings, ids that are not of the
	// listing, which are invalid.
	cursors := slices.Clone(ids)
	if l.byID {
		cursors = append(cursors, "0", "zzz")
		for _, id := range ids {
			cursors = append(cursors, id+"0")
		}
	} else {
		cursors = append(cursors, "role_00000000000000000000000000")
	}
	switch rapid.IntRange(0, 9).Draw(t, "cursor") {
	case 0, 1, 2:
		opt.After = rapid.SampledFrom(cursors).Draw(t, "after")
	case 3, 4, 5:
		opt.Before = rapid.SampledFrom(cursors).Draw(t, "before")
	case 6:
		// Options rule 19.1 refuses.
		switch rapid.IntRange(0, 3).Draw(t, "bad option") {
		case 0:
			opt.Limit = rapid.SampledFrom([]int{-1, rbac.MaxLimit + 1}).Draw(t, "bad limit")
		case 1:
			opt.Order = rapid.SampledFrom([]rbac.Order{"ASC", "up", " asc"}).Draw(t, "bad order")
		case 2:
			opt.After, opt.Before = rapid.SampledFrom(cursors).Draw(t, "after"), rapid.SampledFrom(cursors).Draw(t, "before")
		case 3:
			opt.After = rapid.SampledFrom([]string{"a b", "nul\x00", "\xff"}).Draw(t, "bad cursor")
		}
	}
	get := func(o rbac.ListOptions) (pageObs, bool) {
		want, w := expectPage(o, l.keys, ids, l.byID, missing)
		op := fmt.Sprintf("listing %s with %+v", l.what, o)
		got, err := l.page(o)
		switch {
		case w != nil && err == nil:
			t.Fatalf("%s = %+v; want %s", op, got, w)
		case w != nil:
			if msg := matchErr(err, w); msg != "" {
				t.Fatalf("%s: %s", op, msg)
			}
			return got, false
		case err != nil:
			t.Fatalf("%s: %v", op, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s (-model +got) (rules 19.1, 19.2):\n%s", op, diff)
		}
		return got, true
	}
	p, good := get(opt)
	if sm.stats["Paging"] == nil {
		sm.stats["Paging"] = new([2]int)
	}
	if !good {
		sm.stats["Paging"][1]++
		return
	}
	sm.stats["Paging"][0]++
	// Walk to both ends from the page, by its cursors.
	for _, forward := range []bool{true, false} {
		cur := p
		for steps := 0; ; steps++ {
			next := rbac.ListOptions{Limit: opt.Limit, Order: opt.Order}
			if forward {
				next.After = cur.After
			} else {
				next.Before = cur.Before
			}
			if next.After == "" && next.Before == "" {
				break
			}
			if steps > len(ids) {
				t.Fatalf("%s: paging from %+v does not end after %d pages", l.what, opt, steps)
			}
			cur, _ = get(next)
		}
	}
}

// expectPage is the page of a listing that o asks for (rules 19.1, 19.2).
// keys and ids are the whole listing, ascending; byID says whether it is
// ordered by id. missing is the error of a listing of a missing
// environment or organization, nil if it exists: options are checked
// before it, and whether a cursor belongs to the listing after.
func expectPage(o rbac.ListOptions, keys, ids []string, byID bool, missing *expErr) (pageObs, *expErr) {
	switch {
	case o.Limit < 0 || o.Limit > rbac.MaxLimit:
		return pageObs{}, errInvalid("limit")
	case o.Order != "" && o.Order != rbac.OrderAsc && o.Order != rbac.OrderDesc:
		return pageObs{}, errInvalid("order")
	case o.Before != "" && o.After != "":
		return pageObs{}, errInvalid("before")
	case o.After != "" && !validID(o.After):
		return pageObs{}, errInvalid("after")
	case o.Before != "" && !validID(o.Before):
		return pageObs{}, errInvalid("before")
	}
	if missing != nil {
		return pageObs{}, missing
	}
	limit := o.Limit
	if limit == 0 {
		limit = rbac.DefaultLimit
	}
	desc := o.Order == rbac.OrderDesc
	keys, ids = slices.Clone(keys), slices.Clone(ids)
	if desc {
		slices.Reverse(keys)
		slices.Reverse(ids)
	}
	n := len(ids)
	// pos is the place of cursor c in the listing's order: its index, or
	// for an id not listed, the index of the first id that follows it.
	pos := func(c string) (int, bool) {
		if i := slices.Index(ids, c); i >= 0 {
			return i, true
		}
		j := 0
		for j < n && (desc && ids[j] > c || !desc && ids[j] < c) {
			j++
		}
		return j, false
	}
	var start, end int
	switch {
	case o.After != "":
		i, found := pos(o.After)
		if !found && !byID {
			return pageObs{}, errInvalid("after")
		}
		start = i
		if found {
			start++
		}
		end = min(start+limit, n)
	case o.Before != "":
		i, found := pos(o.Before)
		if !found && !byID {
			return pageObs{}, errInvalid("before")
		}
		end = i
		start = max(0, end-limit)
	default:
		end = min(limit, n)
	}
	p := pageObs{Keys: keys[start:end], IDs: ids[start:end]}
	if end > start {
		if start > 0 {
			p.Before = ids[start]
		}
		if end < n {
			p.After = ids[end-1]
		}
	}
	return p, nil
}

// drawFilter draws a membership filter: by organization, user, role held
// and statuses (rule 8.6).
func (sm *machine) drawFilter(t *rapid.T, env string) rbac.MembershipFilter {
	var f rbac.MembershipFilter
	if rapid.Bool().Draw(t, "by organization?") {
		f.OrganizationID = sm.drawOrg(t, env)
	}
	if rapid.IntRange(0, 2).Draw(t, "by user?") == 0 {
		f.UserID = rapid.SampledFrom(userPool).Draw(t, "user")
	}
	if rapid.IntRange(0, 2).Draw(t, "by role?") > 0 {
		f.Role = sm.drawRole(t, env, f.OrganizationID)
	}
	if rapid.Bool().Draw(t, "by status?") {
		f.Statuses = rapid.SliceOfNDistinct(rapid.SampledFrom(allStatuses), 1, 3, rapid.ID[rbac.MembershipStatus]).Draw(t, "statuses")
	}
	return f
}

// filterMembers lists, by id, the memberships that match f; with no
// statuses, only active ones (rule 8.6).
func (e *mEnv) filterMembers(f rbac.MembershipFilter) []string {
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = []rbac.MembershipStatus{rbac.StatusActive}
	}
	var out []string
	for _, mm := range e.membersIn(f.OrganizationID) {
		if (f.UserID == "" || mm.User == f.UserID) && slices.Contains(statuses, mm.Status) &&
			(f.Role == "" || slices.Contains(mm.Roles, f.Role)) {
			out = append(out, mm.ID)
		}
	}
	return out
}
