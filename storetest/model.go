package storetest

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orgroles/rbac"
)

// The model is a plain-Go rendering of the rules (docs/rules.md), written from the
// specification and not from the Service: maps and slices, no store, no
// transactions. Each operation works on a copy of the model (see
// machine.apply) and returns either its result or the error the Service
// must report.
//
// Where the rules are silent the model takes these readings:
//
//   - When a call breaks several rules, the first one reported is, in this
//     order: the syntax of the inputs (slug, name, description, ids), the
//     environment, the organization or membership named, an existing record
//     (slug or membership conflict), then the roles and permissions given.
//   - An organization role in use is refused for its members first
//     (role_has_assignments), then its group mappings, then being the
//     default.
//   - Deleting an environment role re-points its group mappings to the
//     replacement, or deletes them when there is none (I1 for mappings).
//   - Creating a membership over a pending one is a conflict, like over an
//     active one.
//   - A generated slug collapses a run of separators to the run's first
//     one ("a_-b" gives "org-a_b-…").
//   - The roles that lost a deleted permission are a set: their order in
//     the plan is not specified.
//   - A deletion option that does not apply (rule 9.7) is reported before
//     anything else; when both are given where neither applies,
//     replacement_default is the one named.
//   - Ids that name the record a call acts on (the organization of
//     UpdateOrganization, the membership of DeactivateMembership, …) are
//     looked up, not validated: one no store could hold is not found, as
//     on a read (rule 2.7). Ids a write stores or refers to in its input
//     (a new organization's id, a membership's user and organization, a
//     group id, an external id) are validated: invalid, naming the field.
//   - Adding or removing a permission that does not exist is
//     permission_not_found, after the role is found.
//   - An organization's name may be set to anything rule 2.6 allows but,
//     by an update, not to "" (the id stands in for it only at creation).
//   - Setting an external id an organization already has, or removing
//     one it does not have, changes nothing; setting one another
//     organization has is external_id_already_used.

// expErr is the error an operation must fail with.
type expErr struct {
	Kind  rbac.Kind
	Code  string // "" to accept any code of the kind
	Field string // for KindInvalid: "" to accept any field
	// For KindReplacementRequired.
	Orgs       []string
	EnvDefault bool
}

func errNotFound(code string) *expErr { return &expErr{Kind: rbac.KindNotFound, Code: code} }
func errInvalid(field string) *expErr {
	return &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid, Field: field}
}
func errConflict(code string) *expErr { return &expErr{Kind: rbac.KindConflict, Code: code} }
func errInvalidRole() *expErr         { return &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeInvalidRole} }

// errBadReplacement is the error of a replacement default
// ("replacement_default") or reassignment target ("reassign_to") that is
// not a role it may be.
func errBadReplacement(field string) *expErr {
	return &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeInvalidRole, Field: field}
}

type mPerm struct {
	ID                string // the id the Service gave it
	Seq               int    // its place in the order of creation
	Name, Description string
	System            bool
}

type mRole struct {
	Slug, Name, Description string
	Org                     string
	Perms                   []string // sorted set
}

type mapKey struct {
	Source rbac.GroupSource
	Group  string
}

type mMapping struct {
	ID   string
	Role string
}

type mMember struct {
	ID, Org, User string
	Status        rbac.MembershipStatus
	Roles         []string // a set, kept sorted by slug
	Source        rbac.RoleSource
}

type mOrg struct {
	ID, Name   string
	ExternalID string
	Metadata   map[string]string // replaced whole, never changed in place
	Own        bool
	Default    string
	Order      []string
	Roles      map[string]*mRole
	Mappings   map[mapKey]*mMapping
}

type mEnv struct {
	ID, Name string
	Default  string
	Order    []string
	Multi    bool
	Perms    map[string]*mPerm
	Roles    map[string]*mRole
	Orgs     map[string]*mOrg
	Members  map[string]*mMember
}

type model struct {
	Envs map[string]*mEnv
	Seq  int // the number of permissions created so far, for their order of creation
}

func newModel() *model { return &model{Envs: map[string]*mEnv{}} }

func (m *model) clone() *model {
	c := newModel()
	c.Seq = m.Seq
	for id, e := range m.Envs {
		ce := *e
		ce.Order = slices.Clone(e.Order)
		ce.Perms = map[string]*mPerm{}
		for k, p := range e.Perms {
			cp := *p
			ce.Perms[k] = &cp
		}
		ce.Roles = cloneRoles(e.Roles)
		ce.Orgs = map[string]*mOrg{}
		for k, o := range e.Orgs {
			co := *o
			co.Order = slices.Clone(o.Order)
			co.Roles = cloneRoles(o.Roles)
			co.Mappings = map[mapKey]*mMapping{}
			for mk, mm := range o.Mappings {
				cm := *mm
				co.Mappings[mk] = &cm
			}
			ce.Orgs[k] = &co
		}
		ce.Members = map[string]*mMember{}
		for k, mm := range e.Members {
			cm := *mm
			cm.Roles = slices.Clone(mm.Roles)
			ce.Members[k] = &cm
		}
		c.Envs[id] = &ce
	}
	return c
}

func cloneRoles(rs map[string]*mRole) map[string]*mRole {
	out := map[string]*mRole{}
	for k, r := range rs {
		cr := *r
		cr.Perms = slices.Clone(r.Perms)
		out[k] = &cr
	}
	return out
}

// ---- rules §2: slugs and text ----

func validRoleSlug(s string) bool {
	if len(s) < 1 || len(s) > 48 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		sep := c == '-' || c == '_'
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || sep) {
			return false
		}
		if sep && (i == 0 || i == len(s)-1 || s[i-1] == '-' || s[i-1] == '_') {
			return false
		}
	}
	return true
}

func validPermSlug(s string) bool {
	if len(s) < 1 || len(s) > 48 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_:.*", c) >= 0) {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	return strings.TrimSpace(s) != "" && validText(s, 48)
}

func validDescription(s string) bool { return validText(s, 150) }

// validText is the rule for names and descriptions: valid UTF-8, at most
// max characters, no control character (ordinary spaces are fine).
func validText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) {
			return false
		}
	}
	return true
}

// validID is the rule for ids (organization, user, group, membership,
// external): 1–128 bytes of valid UTF-8 without control, format or
// separator characters nor white space of any script.
func validID(s string) bool {
	if s == "" || len(s) > rbac.MaxIDLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp, unicode.White_Space) {
			return false
		}
	}
	return true
}

// validMetadata is the rule for an organization's metadata (rule 2.6).
func validMetadata(md map[string]string) bool {
	if len(md) > rbac.MaxMetadataKeys {
		return false
	}
	for k, v := range md {
		if k == "" || !validText(k, rbac.MaxMetadataKeyLen) || !validText(v, rbac.MaxMetadataValueLen) {
			return false
		}
	}
	return true
}

// checkOptions checks that a deletion is given only the options that
// apply to it (rule 9.7).
func checkOptions(opt rbac.DeleteOptions, replacementDefault, reassignTo bool) *expErr {
	if opt.ReplacementDefault != "" && !replacementDefault {
		return errInvalid("replacement_default")
	}
	if opt.ReassignTo != "" && !reassignTo {
		return errInvalid("reassign_to")
	}
	return nil
}

// slugBase is the name part of a generated organization role slug (rule
// 5.2): lowercased, whitespace to '-', everything outside [a-z0-9_-]
// dropped, each run of separators collapsed to its first one, separators
// trimmed at both ends, at most 48-4-1-6 characters.
func slugBase(name string) string {
	var kept []byte
	for _, r := range strings.ToLower(name) {
		switch {
		case unicode.IsSpace(r):
			kept = append(kept, '-')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			kept = append(kept, byte(r))
		}
	}
	isSep := func(c byte) bool { return c == '-' || c == '_' }
	var out []byte
	for i, c := range kept {
		if isSep(c) && i > 0 && isSep(kept[i-1]) {
			continue
		}
		out = append(out, c)
	}
	s := strings.Trim(string(out), "-_")
	if room := 48 - len("org-") - 1 - 6; len(s) > room {
		s = strings.TrimRight(s[:room], "-_")
	}
	return s
}

// ---- lookups ----

func (e *mEnv) visible(org *mOrg, slug string) (*mRole, bool) {
	if r, ok := e.Roles[slug]; ok {
		return r, true
	}
	r, ok := org.Roles[slug]
	return r, ok
}

func (e *mEnv) visibleSlugs(org *mOrg) []string {
	out := sortedKeys(e.Roles)
	return append(out, sortedKeys(org.Roles)...)
}

// effective returns the default and order the organization resolves (rule
// 6.3, 5.1).
func (e *mEnv) effective(org *mOrg) (string, []string) {
	if org.Own {
		return org.Default, org.Order
	}
	return e.Default, e.Order
}

// fork gives the organization its own settings (rules 5.5, 7.3).
func (e *mEnv) fork(org *mOrg) {
	if !org.Own {
		org.Own, org.Default, org.Order = true, e.Default, slices.Clone(e.Order)
	}
}

// best returns the candidate highest in order (rule 7.4).
func best(order, candidates []string) string {
	for _, s := range order {
		if slices.Contains(candidates, s) {
			return s
		}
	}
	return ""
}

func (e *mEnv) present(mm *mMember) memberObs {
	_, order := e.effective(e.Orgs[mm.Org])
	roles := slices.Clone(mm.Roles)
	sortIn(roles, order)
	ms := memberObs{ID: mm.ID, User: mm.User, Status: mm.Status, Roles: roles, Source: mm.Source}
	if len(roles) > 0 {
		ms.Role = roles[0]
	}
	return ms
}

func (e *mEnv) memberOf(org, user string) *mMember {
	for _, mm := range e.Members {
		if mm.Org == org && mm.User == user {
			return mm
		}
	}
	return nil
}

func (e *mEnv) membersIn(org string) []*mMember {
	var out []*mMember
	for _, id := range sortedKeys(e.Members) {
		if mm := e.Members[id]; mm.Org == org || org == "" {
			out = append(out, mm)
		}
	}
	return out
}

// checkPerms validates a role's permission list (rule 3.2).
func (e *mEnv) checkPerms(perms []string) ([]string, *expErr) {
	for _, p := range perms {
		if !validPermSlug(p) {
			return nil, errInvalid("permissions")
		}
	}
	for _, p := range perms {
		if _, ok := e.Perms[p]; !ok {
			return nil, errInvalid("permissions")
		}
	}
	return sortedUnique(perms), nil
}

// checkRoles validates the roles given to a membership of org (rules 6.4,
// 8.1, 8.2) and returns them as a sorted set.
func (e *mEnv) checkRoles(org *mOrg, roles []string) ([]string, *expErr) {
	if len(roles) == 0 {
		def, _ := e.effective(org)
		return []string{def}, nil
	}
	set := sortedUnique(roles)
	if len(set) > 1 && !e.Multi {
		return nil, &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeMultipleRolesNotEnabled, Field: "roles"}
	}
	for _, r := range set {
		if _, ok := e.visible(org, r); !ok {
			return nil, errInvalidRole()
		}
	}
	return set, nil
}

func (m *model) env(id string) (*mEnv, *expErr) {
	e, ok := m.Envs[id]
	if !ok {
		return nil, errNotFound(rbac.CodeEnvironmentNotFound)
	}
	return e, nil
}

func (e *mEnv) org(id string) (*mOrg, *expErr) {
	o, ok := e.Orgs[id]
	if !ok {
		return nil, errNotFound(rbac.CodeOrganizationNotFound)
	}
	return o, nil
}

// ---- environments ----

func (m *model) createEnvironment(id, name string) *expErr {
	if !validRoleSlug(id) {
		return errInvalid("id")
	}
	if name == "" {
		name = id
	}
	if !validName(name) {
		return errInvalid("name")
	}
	if _, ok := m.Envs[id]; ok {
		return errConflict(rbac.CodeEnvironmentExists)
	}
	m.Envs[id] = &mEnv{ID: id, Name: name, Default: "member", Order: []string{"member"},
		Perms: map[string]*mPerm{}, Roles: map[string]*mRole{"member": {Slug: "member", Name: "Member"}},
		Orgs: map[string]*mOrg{}, Members: map[string]*mMember{}}
	return nil
}

func (m *model) setDefaultRole(env, slug string) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	if _, ok := e.Roles[slug]; !ok {
		return errInvalidRole()
	}
	e.Default = slug
	return nil
}

func (m *model) setPriorityOrder(env string, order []string) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	if !isPermutation(order, sortedKeys(e.Roles)) {
		return errInvalid("priority_order")
	}
	e.Order = slices.Clone(order)
	return nil
}

func (m *model) setMultipleRoles(env string, on bool) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	if e.Multi && !on {
		// rule 8.7: keep only the highest-priority role.
		for _, mm := range e.Members {
			_, order := e.effective(e.Orgs[mm.Org])
			mm.Roles = []string{best(order, mm.Roles)}
		}
	}
	e.Multi = on
	return nil
}

// deleteEnvironment deletes an environment and everything in it (rule 9.6).
func (m *model) deleteEnvironment(env string) *expErr {
	if _, err := m.env(env); err != nil {
		return err
	}
	delete(m.Envs, env)
	return nil
}

// ---- permissions ----

// createPermission creates a permission; id is the id the Service gave it
// ("" to predict the outcome only).
func (m *model) createPermission(env string, in rbac.PermissionInput, id string) *expErr {
	switch {
	case !validPermSlug(in.Slug):
		return errInvalid("slug")
	case !validName(in.Name):
		return errInvalid("name")
	case !validDescription(in.Description):
		return errInvalid("description")
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	if _, ok := e.Perms[in.Slug]; ok {
		return errConflict(rbac.CodePermissionSlugConflict)
	}
	m.Seq++
	e.Perms[in.Slug] = &mPerm{ID: id, Seq: m.Seq, Name: in.Name, Description: in.Description, System: in.System}
	return nil
}

func checkUpdate(name, desc *string) *expErr {
	if name != nil && !validName(*name) {
		return errInvalid("name")
	}
	if desc != nil && !validDescription(*desc) {
		return errInvalid("description")
	}
	return nil
}

func (m *model) updatePermission(env, slug string, u rbac.PermissionUpdate) *expErr {
	if err := checkUpdate(u.Name, u.Description); err != nil {
		return err
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	p, ok := e.Perms[slug]
	if !ok {
		return errNotFound(rbac.CodePermissionNotFound)
	}
	if u.Name != nil {
		p.Name = *u.Name
	}
	if u.Description != nil {
		p.Description = *u.Description
	}
	return nil
}

func (m *model) deletePermission(env, slug string, opt rbac.DeleteOptions) (rbac.DeletionPlan, *expErr) {
	plan := rbac.DeletionPlan{Permission: slug}
	if err := checkOptions(opt, false, false); err != nil {
		return plan, err
	}
	e, err := m.env(env)
	if err != nil {
		return plan, err
	}
	p, ok := e.Perms[slug]
	if !ok {
		return plan, errNotFound(rbac.CodePermissionNotFound)
	}
	if p.System {
		return plan, errConflict(rbac.CodeSystemPermission)
	}
	delete(e.Perms, slug)
	strip := func(r *mRole) {
		if i := slices.Index(r.Perms, slug); i >= 0 {
			r.Perms = slices.Delete(r.Perms, i, i+1)
			plan.Roles = append(plan.Roles, rbac.RoleRef{OrganizationID: r.Org, Slug: r.Slug})
		}
	}
	for _, s := range sortedKeys(e.Roles) {
		strip(e.Roles[s])
	}
	for _, o := range sortedKeys(e.Orgs) {
		for _, s := range sortedKeys(e.Orgs[o].Roles) {
			strip(e.Orgs[o].Roles[s])
		}
	}
	return plan, nil
}

// ---- environment roles ----

func (m *model) createRole(env string, in rbac.RoleInput) *expErr {
	switch {
	case !validRoleSlug(in.Slug), strings.HasPrefix(in.Slug, "org-"):
		return errInvalid("slug")
	case !validName(in.Name):
		return errInvalid("name")
	case !validDescription(in.Description):
		return errInvalid("description")
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	if _, ok := e.Roles[in.Slug]; ok {
		return errConflict(rbac.CodeRoleSlugConflict)
	}
	perms, err := e.checkPerms(in.Permissions)
	if err != nil {
		return err
	}
	e.Roles[in.Slug] = &mRole{Slug: in.Slug, Name: in.Name, Description: in.Description, Perms: perms}
	// rule 4.3: bottom of the environment order and of every own order.
	e.Order = append(e.Order, in.Slug)
	for _, o := range e.Orgs {
		if o.Own {
			o.Order = append(o.Order, in.Slug)
		}
	}
	return nil
}

func (m *model) updateRole(env, org, slug string, u rbac.RoleUpdate) *expErr {
	if err := checkUpdate(u.Name, u.Description); err != nil {
		return err
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	roles := e.Roles
	if org != "" {
		o, err := e.org(org)
		if err != nil {
			return err
		}
		roles = o.Roles
	}
	r, ok := roles[slug]
	if !ok {
		return errNotFound(rbac.CodeRoleNotFound)
	}
	if u.Permissions != nil {
		perms, err := e.checkPerms(*u.Permissions)
		if err != nil {
			return err
		}
		r.Perms = perms
	}
	if u.Name != nil {
		r.Name = *u.Name
	}
	if u.Description != nil {
		r.Description = *u.Description
	}
	return nil
}

// changeRolePermission adds (add true) or removes one permission of a
// role of the scope org, "" for environment roles (rule 3.4).
func (m *model) changeRolePermission(env, org, slug, perm string, add bool) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	roles := e.Roles
	if org != "" {
		o, err := e.org(org)
		if err != nil {
			return err
		}
		roles = o.Roles
	}
	r, ok := roles[slug]
	if !ok {
		return errNotFound(rbac.CodeRoleNotFound)
	}
	if _, ok := e.Perms[perm]; !ok {
		return errNotFound(rbac.CodePermissionNotFound)
	}
	if add {
		r.Perms = sortedUnique(append(slices.Clone(r.Perms), perm))
	} else {
		r.Perms = without(r.Perms, perm)
	}
	return nil
}

// deleteRole deletes an environment role (rules 9.1, 9.2); repl is
// opt.ReplacementDefault.
func (m *model) deleteRole(env, slug string, opt rbac.DeleteOptions) (rbac.DeletionPlan, *expErr) {
	repl := opt.ReplacementDefault
	plan := rbac.DeletionPlan{Role: slug, ReplacementDefault: repl}
	if err := checkOptions(opt, true, false); err != nil {
		return plan, err
	}
	e, err := m.env(env)
	if err != nil {
		return plan, err
	}
	if _, ok := e.Roles[slug]; !ok {
		return plan, errNotFound(rbac.CodeRoleNotFound)
	}
	var orgs []string
	for _, id := range sortedKeys(e.Orgs) {
		if o := e.Orgs[id]; o.Own && o.Default == slug {
			orgs = append(orgs, id)
		}
	}
	isDefault := e.Default == slug
	if repl == "" && (isDefault || len(orgs) > 0) {
		return plan, &expErr{Kind: rbac.KindReplacementRequired, Code: rbac.CodeReplacementRequired, Orgs: orgs, EnvDefault: isDefault}
	}
	if repl != "" {
		if _, ok := e.Roles[repl]; !ok || repl == slug {
			return plan, errBadReplacement("replacement_default")
		}
	}
	plan.EnvironmentDefaultReplaced = isDefault
	plan.DefaultsReplaced = orgs
	if isDefault {
		e.Default = repl
	}
	e.Order = without(e.Order, slug)
	for _, o := range e.Orgs {
		if o.Own {
			o.Order = without(o.Order, slug)
			if o.Default == slug {
				o.Default = repl
			}
		}
	}
	delete(e.Roles, slug)
	for _, mm := range e.membersIn("") {
		if !slices.Contains(mm.Roles, slug) {
			continue
		}
		mm.Roles = without(mm.Roles, slug)
		if len(mm.Roles) == 0 {
			def, _ := e.effective(e.Orgs[mm.Org])
			mm.Roles = []string{def}
		}
		plan.Memberships = append(plan.Memberships, mm.ID)
	}
	for _, oid := range sortedKeys(e.Orgs) {
		plan.GroupMappings = append(plan.GroupMappings, e.Orgs[oid].repoint(slug, repl)...)
	}
	sortMappings(plan.GroupMappings)
	listed(&plan)
	return plan, nil
}

// listed counts the memberships of a deletion's plan and keeps the
// first rbac.MaxListedMemberships of them, by id, as the Service does
// (rule 9.5).
func listed(plan *rbac.DeletionPlan) {
	plan.MembershipCount = len(plan.Memberships)
	if len(plan.Memberships) > rbac.MaxListedMemberships {
		plan.Memberships = plan.Memberships[:rbac.MaxListedMemberships]
	}
}

// sortMappings puts mappings in id order, the order of every listing.
func sortMappings(ms []rbac.GroupMapping) {
	slices.SortFunc(ms, func(a, b rbac.GroupMapping) int { return strings.Compare(a.ID, b.ID) })
}

// repoint makes the organization's mappings to from target to, or deletes
// them when to is "", and returns them as they were, ordered.
func (o *mOrg) repoint(from, to string) []rbac.GroupMapping {
	var out []rbac.GroupMapping
	for _, k := range o.mappingKeys() {
		mm := o.Mappings[k]
		if mm.Role != from {
			continue
		}
		out = append(out, rbac.GroupMapping{ID: mm.ID, OrganizationID: o.ID, Source: k.Source, GroupID: k.Group, Role: from})
		if to == "" {
			delete(o.Mappings, k)
		} else {
			mm.Role = to
		}
	}
	return out
}

func (o *mOrg) mappingKeys() []mapKey {
	ks := make([]mapKey, 0, len(o.Mappings))
	for k := range o.Mappings {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b mapKey) int {
		if a.Source != b.Source {
			return strings.Compare(string(a.Source), string(b.Source))
		}
		return strings.Compare(a.Group, b.Group)
	})
	return ks
}

func without(s []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(y string) bool { return y == x })
}

// ---- organizations ----

// createOrganization creates an organization; id is the id to use when
// in.ID is empty (the one the Service generated).
func (m *model) createOrganization(env string, in rbac.OrganizationInput, generated string) *expErr {
	switch {
	case in.ID != "" && !validID(in.ID):
		return errInvalid("id")
	case !validText(in.Name, rbac.MaxOrganizationNameLen):
		return errInvalid("name")
	case in.ExternalID != "" && !validID(in.ExternalID):
		return errInvalid("external_id")
	case !validMetadata(in.Metadata):
		return errInvalid("metadata")
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	id := in.ID
	if id == "" {
		id = generated
	}
	if _, ok := e.Orgs[id]; ok {
		return errConflict(rbac.CodeOrganizationExists)
	}
	if e.byExternalID(in.ExternalID) != nil {
		return errExternalIDUsed()
	}
	name := in.Name
	if name == "" {
		name = id
	}
	e.Orgs[id] = &mOrg{ID: id, Name: name, ExternalID: in.ExternalID, Metadata: cloneMetadata(in.Metadata),
		Roles: map[string]*mRole{}, Mappings: map[mapKey]*mMapping{}}
	return nil
}

func errExternalIDUsed() *expErr {
	return &expErr{Kind: rbac.KindConflict, Code: rbac.CodeExternalIDAlreadyUsed, Field: "external_id"}
}

func cloneMetadata(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	return maps.Clone(md)
}

// byExternalID returns the organization with the external id, nil for
// none (or for "").
func (e *mEnv) byExternalID(ext string) *mOrg {
	if ext == "" {
		return nil
	}
	for _, o := range e.Orgs {
		if o.ExternalID == ext {
			return o
		}
	}
	return nil
}

// updateOrganization applies a partial update of an organization (rules
// 1.2, 2.4, 2.6).
func (m *model) updateOrganization(env, id string, u rbac.OrganizationUpdate) *expErr {
	switch {
	case u.Name != nil && (*u.Name == "" || !validText(*u.Name, rbac.MaxOrganizationNameLen)):
		return errInvalid("name")
	case u.ExternalID != nil && *u.ExternalID != "" && !validID(*u.ExternalID):
		return errInvalid("external_id")
	case u.Metadata != nil && !validMetadata(*u.Metadata):
		return errInvalid("metadata")
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	o, err := e.org(id)
	if err != nil {
		return err
	}
	if u.ExternalID != nil {
		if other := e.byExternalID(*u.ExternalID); other != nil && other != o {
			return errExternalIDUsed()
		}
		o.ExternalID = *u.ExternalID
	}
	if u.Name != nil {
		o.Name = *u.Name
	}
	if u.Metadata != nil {
		o.Metadata = cloneMetadata(*u.Metadata)
	}
	return nil
}

func (m *model) deleteOrganization(env, id string, opt rbac.DeleteOptions) (rbac.DeletionPlan, *expErr) {
	plan := rbac.DeletionPlan{OrganizationID: id}
	if err := checkOptions(opt, false, false); err != nil {
		return plan, err
	}
	e, err := m.env(env)
	if err != nil {
		return plan, err
	}
	o, err := e.org(id)
	if err != nil {
		return plan, err
	}
	for _, s := range sortedKeys(o.Roles) {
		plan.Roles = append(plan.Roles, rbac.RoleRef{OrganizationID: id, Slug: s})
	}
	for _, mm := range e.membersIn(id) {
		plan.Memberships = append(plan.Memberships, mm.ID)
		delete(e.Members, mm.ID)
	}
	for _, k := range o.mappingKeys() {
		mm := o.Mappings[k]
		plan.GroupMappings = append(plan.GroupMappings, rbac.GroupMapping{ID: mm.ID, OrganizationID: id, Source: k.Source, GroupID: k.Group, Role: mm.Role})
	}
	delete(e.Orgs, id)
	sortMappings(plan.GroupMappings)
	listed(&plan)
	return plan, nil
}

func (m *model) setOrgDefault(env, org, slug string) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	o, err := e.org(org)
	if err != nil {
		return err
	}
	if _, ok := e.visible(o, slug); !ok {
		return errInvalidRole()
	}
	e.fork(o)
	o.Default = slug
	return nil
}

func (m *model) setOrgOrder(env, org string, order []string) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	o, err := e.org(org)
	if err != nil {
		return err
	}
	if !isPermutation(order, e.visibleSlugs(o)) {
		return errInvalid("priority_order")
	}
	e.fork(o)
	o.Order = slices.Clone(order)
	return nil
}

func (m *model) resolve(env, org string, candidates []string) (string, *expErr) {
	e, err := m.env(env)
	if err != nil {
		return "", err
	}
	o, err := e.org(org)
	if err != nil {
		return "", err
	}
	for _, c := range candidates {
		if _, ok := e.visible(o, c); !ok {
			return "", errInvalidRole()
		}
	}
	def, order := e.effective(o)
	if len(candidates) == 0 {
		return def, nil
	}
	return best(order, candidates), nil
}

// ---- organization roles ----

// createOrgRole creates an organization role. generated is the slug the
// Service returned when in.Slug is empty; the caller has checked its shape.
func (m *model) createOrgRole(env, org string, in rbac.RoleInput, generated string) (string, *expErr) {
	slug := in.Slug
	if slug != "" {
		if !strings.HasPrefix(slug, "org-") {
			slug = "org-" + slug
		}
		if !validRoleSlug(slug) {
			return "", errInvalid("slug")
		}
	}
	switch {
	case !validName(in.Name):
		return "", errInvalid("name")
	case !validDescription(in.Description):
		return "", errInvalid("description")
	}
	e, err := m.env(env)
	if err != nil {
		return "", err
	}
	o, err := e.org(org)
	if err != nil {
		return "", err
	}
	if slug == "" {
		slug = generated
	}
	if _, ok := o.Roles[slug]; ok {
		return "", errConflict(rbac.CodeOrganizationRoleSlugConflict)
	}
	perms, err := e.checkPerms(in.Permissions)
	if err != nil {
		return "", err
	}
	o.Roles[slug] = &mRole{Slug: slug, Name: in.Name, Description: in.Description, Org: org, Perms: perms}
	e.fork(o) // rule 5.5
	o.Order = append(o.Order, slug)
	return slug, nil
}

// deleteOrgRole deletes an organization role (rule 9.3); repl is
// opt.ReassignTo.
func (m *model) deleteOrgRole(env, org, slug string, opt rbac.DeleteOptions) (rbac.DeletionPlan, *expErr) {
	repl := opt.ReassignTo
	plan := rbac.DeletionPlan{Role: slug, OrganizationID: org, ReassignedTo: repl}
	if err := checkOptions(opt, false, true); err != nil {
		return plan, err
	}
	e, err := m.env(env)
	if err != nil {
		return plan, err
	}
	o, err := e.org(org)
	if err != nil {
		return plan, err
	}
	if _, ok := o.Roles[slug]; !ok {
		return plan, errNotFound(rbac.CodeRoleNotFound)
	}
	var holders []*mMember
	for _, mm := range e.membersIn(org) {
		if slices.Contains(mm.Roles, slug) {
			holders = append(holders, mm)
		}
	}
	mapped := false
	for _, mm := range o.Mappings {
		mapped = mapped || mm.Role == slug
	}
	isDefault := o.Default == slug
	if repl == "" {
		switch {
		case len(holders) > 0:
			return plan, errConflict(rbac.CodeRoleHasAssignments)
		case mapped:
			return plan, errConflict(rbac.CodeRoleHasGroupRoleMappings)
		case isDefault:
			return plan, errConflict(rbac.CodeRoleIsDefault)
		}
	} else if _, ok := e.visible(o, repl); !ok || repl == slug {
		return plan, errBadReplacement("reassign_to")
	}
	if isDefault {
		o.Default = repl
		plan.DefaultsReplaced = []string{org}
	}
	o.Order = without(o.Order, slug)
	delete(o.Roles, slug)
	for _, mm := range holders {
		mm.Roles = sortedUnique(append(without(mm.Roles, slug), repl))
		plan.Memberships = append(plan.Memberships, mm.ID)
	}
	plan.GroupMappings = o.repoint(slug, repl)
	sortMappings(plan.GroupMappings)
	listed(&plan)
	return plan, nil
}

// ---- memberships ----

func (m *model) createMembership(env string, in rbac.MembershipInput, newID string) (memberObs, *expErr) {
	switch {
	case !validID(in.UserID):
		return memberObs{}, errInvalid("user_id")
	case !validID(in.OrganizationID):
		return memberObs{}, errInvalid("organization_id")
	case in.Status != "" && in.Status != rbac.StatusActive && in.Status != rbac.StatusPending:
		return memberObs{}, errInvalid("status")
	}
	e, err := m.env(env)
	if err != nil {
		return memberObs{}, err
	}
	o, err := e.org(in.OrganizationID)
	if err != nil {
		return memberObs{}, err
	}
	roles, err := e.checkRoles(o, in.Roles)
	if err != nil {
		return memberObs{}, err
	}
	mm := e.memberOf(o.ID, in.UserID)
	switch {
	case mm != nil && mm.Status == rbac.StatusInactive:
		// Rule 8.4: reuse it with the given roles, active — or pending
		// when it is asked for (a new invitation).
		status := rbac.StatusActive
		if in.Status == rbac.StatusPending {
			status = rbac.StatusPending
		}
		mm.Status, mm.Roles, mm.Source = status, roles, rbac.SourceManual
	case mm != nil:
		return memberObs{}, errConflict(rbac.CodeMembershipAlreadyExists)
	default:
		status := in.Status
		if status == "" {
			status = rbac.StatusActive
		}
		mm = &mMember{ID: newID, Org: o.ID, User: in.UserID, Status: status, Roles: roles, Source: rbac.SourceManual}
		e.Members[newID] = mm
	}
	return e.present(mm), nil
}

func (m *model) member(env, id string) (*mEnv, *mMember, *expErr) {
	e, err := m.env(env)
	if err != nil {
		return nil, nil, err
	}
	mm, ok := e.Members[id]
	if !ok {
		return nil, nil, errNotFound(rbac.CodeMembershipNotFound)
	}
	return e, mm, nil
}

func (m *model) updateMembershipRoles(env, id string, roles []string) (memberObs, *expErr) {
	if len(roles) == 0 {
		return memberObs{}, errInvalid("roles")
	}
	e, mm, err := m.member(env, id)
	if err != nil {
		return memberObs{}, err
	}
	set, err := e.checkRoles(e.Orgs[mm.Org], roles)
	if err != nil {
		return memberObs{}, err
	}
	mm.Roles, mm.Source = set, rbac.SourceManual
	return e.present(mm), nil
}

// setStatus applies rule 8.5 transitions: from maps each current status to
// the new one, or to an error code.
func (m *model) setStatus(env, id string, to map[rbac.MembershipStatus]any) (memberObs, *expErr) {
	e, mm, err := m.member(env, id)
	if err != nil {
		return memberObs{}, err
	}
	switch v := to[mm.Status].(type) {
	case rbac.MembershipStatus:
		mm.Status = v
	case string:
		return memberObs{}, errConflict(v)
	}
	return e.present(mm), nil
}

func (m *model) deactivate(env, id string) (memberObs, *expErr) {
	return m.setStatus(env, id, map[rbac.MembershipStatus]any{
		rbac.StatusActive:   rbac.StatusInactive,
		rbac.StatusInactive: rbac.StatusInactive,
		rbac.StatusPending:  rbac.CodeCannotDeactivatePending,
	})
}

func (m *model) reactivate(env, id string) (memberObs, *expErr) {
	return m.setStatus(env, id, map[rbac.MembershipStatus]any{
		rbac.StatusActive:   rbac.StatusActive,
		rbac.StatusInactive: rbac.StatusActive,
		rbac.StatusPending:  rbac.CodeCannotReactivatePending,
	})
}

func (m *model) accept(env, id string) (memberObs, *expErr) {
	return m.setStatus(env, id, map[rbac.MembershipStatus]any{
		rbac.StatusActive:   rbac.CodeMembershipNotPending,
		rbac.StatusInactive: rbac.CodeMembershipNotPending,
		rbac.StatusPending:  rbac.StatusActive,
	})
}

func (m *model) deleteMembership(env, id string) *expErr {
	e, _, err := m.member(env, id)
	if err != nil {
		return err
	}
	delete(e.Members, id)
	return nil
}

// ---- group mappings (rules §10) ----

func validSource(s rbac.GroupSource) bool {
	return s == rbac.GroupSourceDirectory || s == rbac.GroupSourceSSO
}

func (m *model) createMapping(env, org string, in rbac.GroupMappingInput, id string) *expErr {
	switch {
	case !validSource(in.Source):
		return errInvalid("source")
	case !validID(in.GroupID):
		return errInvalid("group_id")
	}
	e, err := m.env(env)
	if err != nil {
		return err
	}
	o, err := e.org(org)
	if err != nil {
		return err
	}
	if _, ok := e.visible(o, in.Role); !ok {
		return errInvalidRole()
	}
	k := mapKey{in.Source, in.GroupID}
	if _, ok := o.Mappings[k]; ok {
		return errConflict(rbac.CodeGroupMappingConflict)
	}
	o.Mappings[k] = &mMapping{ID: id, Role: in.Role}
	return nil
}

func (m *model) deleteMapping(env, org string, source rbac.GroupSource, group string) *expErr {
	e, err := m.env(env)
	if err != nil {
		return err
	}
	o, err := e.org(org)
	if err != nil {
		return err
	}
	k := mapKey{source, group}
	if _, ok := o.Mappings[k]; !ok {
		return errNotFound(rbac.CodeGroupMappingNotFound)
	}
	delete(o.Mappings, k)
	return nil
}

// rank orders role sources by precedence (rule 10.2): explicit directory
// mapping > explicit SSO mapping > manual > default SSO mapping.
var rank = map[rbac.RoleSource]int{rbac.SourceSSODefault: 0, rbac.SourceManual: 1, rbac.SourceSSO: 2, rbac.SourceDirectory: 3}

// syncGroups applies a directory sync or SSO login (rules 10.2–10.4). A
// channel always overrides its own earlier result; otherwise a result of
// lower precedence than the membership's current source is not applied.
func (m *model) syncGroups(env string, in rbac.SyncInput, newID string) (rbac.SyncResult, memberObs, *expErr) {
	var res rbac.SyncResult
	switch {
	case !validSource(in.Source):
		return res, memberObs{}, errInvalid("source")
	case !validID(in.UserID):
		return res, memberObs{}, errInvalid("user_id")
	case in.OrganizationID == "":
		return res, memberObs{}, errInvalid("organization_id")
	}
	e, err := m.env(env)
	if err != nil {
		return res, memberObs{}, err
	}
	o, err := e.org(in.OrganizationID)
	if err != nil {
		return res, memberObs{}, err
	}
	var mapped []string
	for k, mm := range o.Mappings {
		if k.Source == in.Source && slices.Contains(in.Groups, k.Group) {
			mapped = append(mapped, mm.Role)
		}
	}
	mapped = sortedUnique(mapped)
	def, order := e.effective(o)
	channel := rbac.SourceSSO
	if in.Source == rbac.GroupSourceDirectory {
		channel = rbac.SourceDirectory
	}
	roles, source := mapped, channel
	switch {
	case len(mapped) == 0:
		roles, source = []string{def}, rbac.SourceSSODefault
	case !e.Multi:
		roles = []string{best(order, mapped)}
	}
	mm := e.memberOf(o.ID, in.UserID)
	switch {
	case mm == nil:
		mm = &mMember{ID: newID, Org: o.ID, User: in.UserID, Status: rbac.StatusActive, Roles: roles, Source: source}
		e.Members[newID] = mm
		res.Created, res.Applied = true, true
	case rank[source] < rank[mm.Source] && mm.Source != channel:
	default:
		mm.Roles, mm.Source = roles, source
		res.Applied = true
	}
	return res, e.present(mm), nil
}

// ---- the observable state ----

// state renders the model as the Service must show it.
func (m *model) state() observed {
	st := observed{}
	for id, e := range m.Envs {
		st[id] = e.state()
	}
	return st
}

// envState renders one environment of the model, normalized, and reports
// whether it exists.
func (m *model) envState(id string) (envObs, bool) {
	e, ok := m.Envs[id]
	if !ok {
		return envObs{}, false
	}
	return observed{id: e.state()}.normalized(true)[id], true
}

// state renders the environment as the Service must show it.
func (e *mEnv) state() envObs {
	es := envObs{Name: e.Name, DefaultRole: e.Default, PriorityOrder: slices.Clone(e.Order), MultipleRoles: e.Multi}
	for _, s := range sortedKeys(e.Perms) {
		p := e.Perms[s]
		es.Permissions = append(es.Permissions, permObs{s, p.Name, p.Description, p.System})
	}
	roleSt := func(r *mRole) roleObs {
		rs := roleObs{Slug: r.Slug, Name: r.Name, Description: r.Description, Type: rbac.EnvironmentRole,
			Org: r.Org, Permissions: slices.Clone(r.Perms)}
		if r.Org != "" {
			rs.Type = rbac.OrganizationRole
		}
		return rs
	}
	for _, s := range e.Order {
		es.Roles = append(es.Roles, roleSt(e.Roles[s]))
	}
	for _, oid := range sortedKeys(e.Orgs) {
		o := e.Orgs[oid]
		os := orgObs{ID: oid, Name: o.Name, ExternalID: o.ExternalID, Metadata: o.Metadata}
		if o.Own {
			os.OwnDefault, os.OwnOrder = o.Default, slices.Clone(o.Order)
		}
		def, order := e.effective(o)
		os.Settings = rbac.Settings{DefaultRole: def, PriorityOrder: slices.Clone(order), Inherited: !o.Own}
		for _, s := range order {
			r, _ := e.visible(o, s)
			os.Roles = append(os.Roles, roleSt(r))
		}
		for _, mm := range e.membersIn(oid) {
			os.Memberships = append(os.Memberships, e.present(mm))
		}
		for _, k := range o.mappingKeys() {
			os.Mappings = append(os.Mappings, mappingObs{o.Mappings[k].ID, k.Source, k.Group, o.Mappings[k].Role})
		}
		slices.SortFunc(os.Mappings, func(a, b mappingObs) int { return strings.Compare(a.ID, b.ID) })
		es.Orgs = append(es.Orgs, os)
	}
	return es
}
