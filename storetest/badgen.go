package storetest

import (
	"fmt"
	"math"
	"strings"

	"github.com/orgroles/rbac"
)

// A badField is one input field of one call, for the generated bad
// inputs: call makes the call with v in the field and every other input
// valid; want is the error v must give there, nil when v is acceptable in
// that field (rule 2.6 allows it).
type badField struct {
	name   string
	values []odd
	want   func(v string) *expErr
	call   func(v string) error
}

// textRule is rule 2.3/2.6 for one text field.
type textRule struct {
	field string
	max   int  // characters
	empty bool // "" is accepted
	blank bool // white space alone is accepted
}

func (r textRule) bad(v string) bool {
	switch {
	case v == "":
		return !r.empty
	case strings.TrimSpace(v) == "" && !r.blank:
		return true
	}
	return !validText(v, r.max)
}

func (r textRule) want(v string) *expErr {
	if r.bad(v) {
		return errInvalid(r.field)
	}
	return nil
}

var (
	roleNameRule   = textRule{field: "name", max: rbac.MaxNameLen}
	envNameRule    = textRule{field: "name", max: rbac.MaxNameLen, empty: true}
	descRule       = textRule{field: "description", max: rbac.MaxDescriptionLen, empty: true, blank: true}
	orgNameRule    = textRule{field: "name", max: rbac.MaxOrganizationNameLen, empty: true, blank: true}
	orgRenameRule  = textRule{field: "name", max: rbac.MaxOrganizationNameLen, blank: true}
	metaKeyRule    = textRule{field: "metadata", max: rbac.MaxMetadataKeyLen, blank: true}
	metaValueRule  = textRule{field: "metadata", max: rbac.MaxMetadataValueLen, empty: true, blank: true}
	statusValues   = []string{"inactive", "ACTIVE", "Active", "bogus", " active", "active\x00", "pending ", "\u00a0", "actíve"}
	sourceValues   = []string{"", "ldap", "SSO", "Directory", "sso ", "sso\x00", "\u00a0", "directory\u200b"}
	orderValues    = []rbac.Order{"ASC", "DESC", "Asc", "up", "ascending", " asc", "asc\x00", "\u00a0", "desc\u200b"}
	limitValues    = []int{-1, -100, rbac.MaxLimit + 1, 1000, math.MaxInt, math.MinInt}
	slugOnlyValues = []odd{{"upper case", "Admin"}, {"double separator", "a--b"}, {"leading separator", "-a"},
		{"trailing separator", "a_"}, {"colon", "a:b"}, {"49 characters", strings.Repeat("s", 49)}}
)

// asID is the rule for an id a write takes (rule 2.6): one that breaks it
// is invalid, naming the field. optional ids may be "".
func asID(field string, optional bool) func(string) *expErr {
	return func(v string) *expErr {
		if optional && v == "" || validID(v) {
			return nil
		}
		return errInvalid(field)
	}
}

// always gives the same error for every value: the ids that name the
// record a call acts on are looked up, and an odd one is not found (rule
// 2.7); options that do not apply are invalid whatever they hold (rule
// 9.7).
func always(w *expErr) func(string) *expErr { return func(string) *expErr { return w } }

// asSlug is the rule for a slug a write creates (rules 2.1, 2.2), in the
// field it is given in.
func asSlug(field string, valid func(string) bool) func(string) *expErr {
	return func(v string) *expErr {
		if valid(v) {
			return nil
		}
		return errInvalid(field)
	}
}

func invalidRoleIn(field string) *expErr {
	return &expErr{Kind: rbac.KindInvalid, Code: rbac.CodeInvalidRole, Field: field}
}

func texts(r textRule) []odd { return oddTexts(r.max) }

func withSlugs(vs []odd) []odd { return append(append([]odd{}, vs...), slugOnlyValues...) }

// generatedBadInputs builds the field × value table over the fixture of
// testBadInputs: environment prod with organizations acme (organization
// role org-billing, the active membership active and the pending one
// pending, an SSO mapping of g1) and globex (org-ops, external id
// ext-globex).
func generatedBadInputs(f *fixture, active, pending string) []badCase {
	ctx, s := f.ctx, f.s
	n := 0
	fresh := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	ids, some := oddIDs(), someOddIDs()
	roleNotFound, permNotFound := errNotFound(rbac.CodeRoleNotFound), errNotFound(rbac.CodePermissionNotFound)
	orgNotFound, memberNotFound := errNotFound(rbac.CodeOrganizationNotFound), errNotFound(rbac.CodeMembershipNotFound)
	err2 := func(_ any, err error) error { return err }
	role := func(name, desc string) rbac.RoleInput {
		return rbac.RoleInput{Slug: fresh("r"), Name: name, Description: desc}
	}
	md := func(k, v string) *map[string]string { return &map[string]string{k: v} }

	fields := []badField{
		// Environments.
		{"CreateEnvironment/id", withSlugs(ids), asSlug("id", validRoleSlug), func(v string) error {
			return err2(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: v}))
		}},
		{"CreateEnvironment/name", texts(envNameRule), envNameRule.want, func(v string) error {
			return err2(s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: fresh("e"), Name: v}))
		}},
		{"SetDefaultRole/role", withSlugs(some), always(invalidRoleIn("role")), func(v string) error {
			return err2(s.SetDefaultRole(ctx, "prod", v))
		}},
		{"SetPriorityOrder/role", some, always(errInvalid("priority_order")), func(v string) error {
			return err2(s.SetPriorityOrder(ctx, "prod", []string{"admin", v, "viewer"}))
		}},

		// Permissions.
		{"CreatePermission/slug", withSlugs(ids), asSlug("slug", validPermSlug), func(v string) error {
			return err2(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: v, Name: "N"}))
		}},
		{"CreatePermission/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: fresh("p"), Name: v}))
		}},
		{"CreatePermission/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: fresh("p"), Name: "N", Description: v}))
		}},
		{"UpdatePermission/slug", some, always(permNotFound), func(v string) error {
			return err2(s.UpdatePermission(ctx, "prod", v, rbac.PermissionUpdate{Name: rbac.Ptr("N")}))
		}},
		{"UpdatePermission/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.UpdatePermission(ctx, "prod", "read", rbac.PermissionUpdate{Name: &v}))
		}},
		{"UpdatePermission/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.UpdatePermission(ctx, "prod", "read", rbac.PermissionUpdate{Description: &v}))
		}},
		{"DeletePermission/slug", some, always(permNotFound), func(v string) error {
			return err2(s.DeletePermission(ctx, "prod", v, rbac.DeleteOptions{}))
		}},
		{"DeletePermission/replacement_default", nonEmpty(some), always(errInvalid("replacement_default")), func(v string) error {
			return err2(s.DeletePermission(ctx, "prod", "write", rbac.DeleteOptions{ReplacementDefault: v}))
		}},
		{"DeletePermission/reassign_to", nonEmpty(some), always(errInvalid("reassign_to")), func(v string) error {
			return err2(s.DeletePermission(ctx, "prod", "write", rbac.DeleteOptions{ReassignTo: v}))
		}},

		// Environment roles.
		{"CreateRole/slug", withSlugs(ids), asSlug("slug", func(v string) bool { return validRoleSlug(v) && !strings.HasPrefix(v, "org-") }), func(v string) error {
			return err2(s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: v, Name: "N"}))
		}},
		{"CreateRole/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.CreateRole(ctx, "prod", role(v, "")))
		}},
		{"CreateRole/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.CreateRole(ctx, "prod", role("N", v)))
		}},
		{"CreateRole/permission", withSlugs(some), always(errInvalid("permissions")), func(v string) error {
			in := role("N", "")
			in.Permissions = []string{"read", v}
			return err2(s.CreateRole(ctx, "prod", in))
		}},
		{"UpdateRole/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.UpdateRole(ctx, "prod", v, rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}},
		{"UpdateRole/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Name: &v}))
		}},
		{"UpdateRole/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Description: &v}))
		}},
		{"UpdateRole/permission", withSlugs(some), always(errInvalid("permissions")), func(v string) error {
			return err2(s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Permissions: &[]string{v}}))
		}},
		{"AddRolePermission/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.AddRolePermission(ctx, "prod", v, "read"))
		}},
		{"AddRolePermission/permission", withSlugs(some), always(permNotFound), func(v string) error {
			return err2(s.AddRolePermission(ctx, "prod", "viewer", v))
		}},
		{"RemoveRolePermission/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.RemoveRolePermission(ctx, "prod", v, "read"))
		}},
		{"RemoveRolePermission/permission", withSlugs(some), always(permNotFound), func(v string) error {
			return err2(s.RemoveRolePermission(ctx, "prod", "admin", v))
		}},
		{"DeleteRole/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.DeleteRole(ctx, "prod", v, rbac.DeleteOptions{}))
		}},
		{"DeleteRole/replacement_default", nonEmpty(withSlugs(some)), always(invalidRoleIn("replacement_default")), func(v string) error {
			return err2(s.DeleteRole(ctx, "prod", "member", rbac.DeleteOptions{ReplacementDefault: v}))
		}},
		{"DeleteRole/reassign_to", nonEmpty(some), always(errInvalid("reassign_to")), func(v string) error {
			return err2(s.DeleteRole(ctx, "prod", "viewer", rbac.DeleteOptions{ReassignTo: v}))
		}},

		// Organizations.
		{"CreateOrganization/id", ids, asID("id", true), func(v string) error {
			return err2(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: v}))
		}},
		{"CreateOrganization/name", texts(orgNameRule), orgNameRule.want, func(v string) error {
			return err2(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: fresh("o"), Name: v}))
		}},
		{"CreateOrganization/external_id", ids, asID("external_id", true), func(v string) error {
			return err2(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: fresh("o"), ExternalID: v}))
		}},
		{"CreateOrganization/metadata key", texts(metaKeyRule), metaKeyRule.want, func(v string) error {
			return err2(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: fresh("o"), Metadata: *md(v, "v")}))
		}},
		{"CreateOrganization/metadata value", texts(metaValueRule), metaValueRule.want, func(v string) error {
			return err2(s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: fresh("o"), Metadata: *md("k", v)}))
		}},
		{"UpdateOrganization/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.UpdateOrganization(ctx, "prod", v, rbac.OrganizationUpdate{Name: rbac.Ptr("N")}))
		}},
		{"UpdateOrganization/name", texts(orgRenameRule), orgRenameRule.want, func(v string) error {
			return err2(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Name: &v}))
		}},
		{"UpdateOrganization/external_id", ids, asID("external_id", true), func(v string) error {
			return err2(s.UpdateOrganization(ctx, "prod", "globex", rbac.OrganizationUpdate{ExternalID: &v}))
		}},
		{"UpdateOrganization/metadata key", texts(metaKeyRule), metaKeyRule.want, func(v string) error {
			return err2(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Metadata: md(v, "v")}))
		}},
		{"UpdateOrganization/metadata value", texts(metaValueRule), metaValueRule.want, func(v string) error {
			return err2(s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Metadata: md("k", v)}))
		}},
		{"DeleteOrganization/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.DeleteOrganization(ctx, "prod", v, rbac.DeleteOptions{}))
		}},
		{"DeleteOrganization/replacement_default", nonEmpty(some), always(errInvalid("replacement_default")), func(v string) error {
			return err2(s.DeleteOrganization(ctx, "prod", "globex", rbac.DeleteOptions{ReplacementDefault: v}))
		}},
		{"DeleteOrganization/reassign_to", nonEmpty(some), always(errInvalid("reassign_to")), func(v string) error {
			return err2(s.DeleteOrganization(ctx, "prod", "globex", rbac.DeleteOptions{ReassignTo: v}))
		}},
		{"SetOrganizationDefaultRole/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.SetOrganizationDefaultRole(ctx, "prod", v, "admin"))
		}},
		{"SetOrganizationDefaultRole/role", withSlugs(some), always(invalidRoleIn("role")), func(v string) error {
			return err2(s.SetOrganizationDefaultRole(ctx, "prod", "acme", v))
		}},
		{"SetOrganizationPriorityOrder/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.SetOrganizationPriorityOrder(ctx, "prod", v, []string{"admin", "member", "viewer"}))
		}},
		{"SetOrganizationPriorityOrder/role", some, always(errInvalid("priority_order")), func(v string) error {
			return err2(s.SetOrganizationPriorityOrder(ctx, "prod", "acme", []string{"admin", "member", "viewer", v}))
		}},

		// Organization roles.
		{"CreateOrganizationRole/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.CreateOrganizationRole(ctx, "prod", v, role("N", "")))
		}},
		{"CreateOrganizationRole/slug", withSlugs(ids), func(v string) *expErr {
			if v == "" || validRoleSlug(rbac.OrganizationRoleSlug(v)) {
				return nil // "" asks for a generated slug
			}
			return errInvalid("slug")
		}, func(v string) error {
			return err2(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: v, Name: "N"}))
		}},
		{"CreateOrganizationRole/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.CreateOrganizationRole(ctx, "prod", "acme", role(v, "")))
		}},
		{"CreateOrganizationRole/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.CreateOrganizationRole(ctx, "prod", "acme", role("N", v)))
		}},
		{"CreateOrganizationRole/permission", withSlugs(some), always(errInvalid("permissions")), func(v string) error {
			in := role("N", "")
			in.Permissions = []string{v}
			return err2(s.CreateOrganizationRole(ctx, "prod", "acme", in))
		}},
		{"UpdateOrganizationRole/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.UpdateOrganizationRole(ctx, "prod", v, "org-billing", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}},
		{"UpdateOrganizationRole/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.UpdateOrganizationRole(ctx, "prod", "acme", v, rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}},
		{"UpdateOrganizationRole/name", texts(roleNameRule), roleNameRule.want, func(v string) error {
			return err2(s.UpdateOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.RoleUpdate{Name: &v}))
		}},
		{"UpdateOrganizationRole/description", texts(descRule), descRule.want, func(v string) error {
			return err2(s.UpdateOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.RoleUpdate{Description: &v}))
		}},
		{"UpdateOrganizationRole/permission", withSlugs(some), always(errInvalid("permissions")), func(v string) error {
			return err2(s.UpdateOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.RoleUpdate{Permissions: &[]string{"read", v}}))
		}},
		{"AddOrganizationRolePermission/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.AddOrganizationRolePermission(ctx, "prod", v, "org-billing", "read"))
		}},
		{"AddOrganizationRolePermission/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.AddOrganizationRolePermission(ctx, "prod", "acme", v, "read"))
		}},
		{"AddOrganizationRolePermission/permission", withSlugs(some), always(permNotFound), func(v string) error {
			return err2(s.AddOrganizationRolePermission(ctx, "prod", "acme", "org-billing", v))
		}},
		{"RemoveOrganizationRolePermission/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.RemoveOrganizationRolePermission(ctx, "prod", v, "org-billing", "read"))
		}},
		{"RemoveOrganizationRolePermission/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.RemoveOrganizationRolePermission(ctx, "prod", "acme", v, "read"))
		}},
		{"RemoveOrganizationRolePermission/permission", withSlugs(some), always(permNotFound), func(v string) error {
			return err2(s.RemoveOrganizationRolePermission(ctx, "prod", "acme", "org-billing", v))
		}},
		{"DeleteOrganizationRole/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.DeleteOrganizationRole(ctx, "prod", v, "org-billing", rbac.DeleteOptions{ReassignTo: "admin"}))
		}},
		{"DeleteOrganizationRole/slug", some, always(roleNotFound), func(v string) error {
			return err2(s.DeleteOrganizationRole(ctx, "prod", "acme", v, rbac.DeleteOptions{ReassignTo: "admin"}))
		}},
		{"DeleteOrganizationRole/reassign_to", nonEmpty(withSlugs(some)), always(invalidRoleIn("reassign_to")), func(v string) error {
			return err2(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReassignTo: v}))
		}},
		{"DeleteOrganizationRole/replacement_default", nonEmpty(some), always(errInvalid("replacement_default")), func(v string) error {
			return err2(s.DeleteOrganizationRole(ctx, "prod", "acme", "org-billing", rbac.DeleteOptions{ReplacementDefault: v}))
		}},

		// Memberships.
		{"CreateMembership/user_id", ids, asID("user_id", false), func(v string) error {
			return err2(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: v}))
		}},
		{"CreateMembership/organization_id", ids, asID("organization_id", false), func(v string) error {
			return err2(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: v, UserID: fresh("u")}))
		}},
		{"CreateMembership/role", nonEmpty(withSlugs(some)), always(invalidRoleIn("role")), func(v string) error {
			return err2(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: fresh("u"), Roles: []string{v}}))
		}},
		{"CreateMembership/status", oddsOf(statusValues), always(errInvalid("status")), func(v string) error {
			return err2(s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: "acme", UserID: fresh("u"),
				Status: rbac.MembershipStatus(v)}))
		}},
		{"UpdateMembershipRoles/membership", some, always(memberNotFound), func(v string) error {
			return err2(s.UpdateMembershipRoles(ctx, "prod", v, []string{"admin"}))
		}},
		{"UpdateMembershipRoles/role", nonEmpty(withSlugs(some)), always(invalidRoleIn("role")), func(v string) error {
			return err2(s.UpdateMembershipRoles(ctx, "prod", active, []string{v}))
		}},
		{"DeactivateMembership/membership", some, always(memberNotFound), func(v string) error {
			return err2(s.DeactivateMembership(ctx, "prod", v))
		}},
		{"ReactivateMembership/membership", some, always(memberNotFound), func(v string) error {
			return err2(s.ReactivateMembership(ctx, "prod", v))
		}},
		{"AcceptMembership/membership", some, always(memberNotFound), func(v string) error {
			return err2(s.AcceptMembership(ctx, "prod", v))
		}},
		{"DeleteMembership/membership", some, always(memberNotFound), func(v string) error {
			return s.DeleteMembership(ctx, "prod", v)
		}},

		// Group mappings and sync.
		{"CreateGroupMapping/organization", some, always(orgNotFound), func(v string) error {
			return err2(s.CreateGroupMapping(ctx, "prod", v, rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: fresh("g"), Role: "admin"}))
		}},
		{"CreateGroupMapping/source", oddsOf(sourceValues), always(errInvalid("source")), func(v string) error {
			return err2(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSource(v), GroupID: fresh("g"), Role: "admin"}))
		}},
		{"CreateGroupMapping/group_id", ids, asID("group_id", false), func(v string) error {
			return err2(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: v, Role: "admin"}))
		}},
		{"CreateGroupMapping/role", withSlugs(some), always(invalidRoleIn("role")), func(v string) error {
			return err2(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: fresh("g"), Role: v}))
		}},
		{"DeleteGroupMapping/organization", some, always(orgNotFound), func(v string) error {
			return s.DeleteGroupMapping(ctx, "prod", v, rbac.GroupSourceSSO, "g1")
		}},
		{"DeleteGroupMapping/source", oddsOf(sourceValues), always(errNotFound(rbac.CodeGroupMappingNotFound)), func(v string) error {
			return s.DeleteGroupMapping(ctx, "prod", "acme", rbac.GroupSource(v), "g1")
		}},
		{"DeleteGroupMapping/group", some, always(errNotFound(rbac.CodeGroupMappingNotFound)), func(v string) error {
			return s.DeleteGroupMapping(ctx, "prod", "acme", rbac.GroupSourceSSO, v)
		}},
		{"SyncGroups/user_id", ids, asID("user_id", false), func(v string) error {
			return err2(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: v, Source: rbac.GroupSourceSSO}))
		}},
		{"SyncGroups/organization_id", ids, asID("organization_id", false), func(v string) error {
			return err2(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: v, UserID: fresh("u"), Source: rbac.GroupSourceSSO}))
		}},
		{"SyncGroups/source", oddsOf(sourceValues), always(errInvalid("source")), func(v string) error {
			return err2(s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: fresh("u"), Source: rbac.GroupSource(v)}))
		}},
	}

	// The environment every write names (rule 2.7: not found).
	envNotFound := always(errNotFound(rbac.CodeEnvironmentNotFound))
	envValues := []odd{{"empty", ""}, {"upper case", "Prod"}, {"NUL inside", "pr\x00od"}, {"NBSP inside", "pr\u00a0od"},
		{"byte FF inside", "pr\xffod"}, {"49 characters", strings.Repeat("p", 49)}}
	for _, w := range []struct {
		name string
		call func(env string) error
	}{
		{"DeleteEnvironment", func(e string) error { return s.DeleteEnvironment(ctx, e) }},
		{"SetDefaultRole", func(e string) error { return err2(s.SetDefaultRole(ctx, e, "admin")) }},
		{"SetPriorityOrder", func(e string) error { return err2(s.SetPriorityOrder(ctx, e, []string{"admin", "member", "viewer"})) }},
		{"SetMultipleRoles", func(e string) error { return err2(s.SetMultipleRoles(ctx, e, true)) }},
		{"CreatePermission", func(e string) error {
			return err2(s.CreatePermission(ctx, e, rbac.PermissionInput{Slug: fresh("p"), Name: "N"}))
		}},
		{"UpdatePermission", func(e string) error {
			return err2(s.UpdatePermission(ctx, e, "read", rbac.PermissionUpdate{Name: rbac.Ptr("N")}))
		}},
		{"DeletePermission", func(e string) error { return err2(s.DeletePermission(ctx, e, "write", rbac.DeleteOptions{})) }},
		{"CreateRole", func(e string) error { return err2(s.CreateRole(ctx, e, role("N", ""))) }},
		{"UpdateRole", func(e string) error {
			return err2(s.UpdateRole(ctx, e, "viewer", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}},
		{"AddRolePermission", func(e string) error { return err2(s.AddRolePermission(ctx, e, "viewer", "read")) }},
		{"RemoveRolePermission", func(e string) error { return err2(s.RemoveRolePermission(ctx, e, "admin", "read")) }},
		{"DeleteRole", func(e string) error { return err2(s.DeleteRole(ctx, e, "viewer", rbac.DeleteOptions{})) }},
		{"CreateOrganization", func(e string) error {
			return err2(s.CreateOrganization(ctx, e, rbac.OrganizationInput{ID: fresh("o")}))
		}},
		{"UpdateOrganization", func(e string) error {
			return err2(s.UpdateOrganization(ctx, e, "acme", rbac.OrganizationUpdate{Name: rbac.Ptr("N")}))
		}},
		{"DeleteOrganization", func(e string) error { return err2(s.DeleteOrganization(ctx, e, "globex", rbac.DeleteOptions{})) }},
		{"SetOrganizationDefaultRole", func(e string) error { return err2(s.SetOrganizationDefaultRole(ctx, e, "acme", "admin")) }},
		{"SetOrganizationPriorityOrder", func(e string) error {
			return err2(s.SetOrganizationPriorityOrder(ctx, e, "globex", []string{"viewer", "admin", "member", "org-ops"}))
		}},
		{"CreateOrganizationRole", func(e string) error { return err2(s.CreateOrganizationRole(ctx, e, "acme", role("N", ""))) }},
		{"UpdateOrganizationRole", func(e string) error {
			return err2(s.UpdateOrganizationRole(ctx, e, "acme", "org-billing", rbac.RoleUpdate{Name: rbac.Ptr("N")}))
		}},
		{"AddOrganizationRolePermission", func(e string) error {
			return err2(s.AddOrganizationRolePermission(ctx, e, "acme", "org-billing", "read"))
		}},
		{"RemoveOrganizationRolePermission", func(e string) error {
			return err2(s.RemoveOrganizationRolePermission(ctx, e, "acme", "org-billing", "read"))
		}},
		{"DeleteOrganizationRole", func(e string) error {
			return err2(s.DeleteOrganizationRole(ctx, e, "acme", "org-billing", rbac.DeleteOptions{ReassignTo: "admin"}))
		}},
		{"CreateMembership", func(e string) error {
			return err2(s.CreateMembership(ctx, e, rbac.MembershipInput{OrganizationID: "acme", UserID: fresh("u")}))
		}},
		{"UpdateMembershipRoles", func(e string) error { return err2(s.UpdateMembershipRoles(ctx, e, active, []string{"admin"})) }},
		{"DeactivateMembership", func(e string) error { return err2(s.DeactivateMembership(ctx, e, active)) }},
		{"ReactivateMembership", func(e string) error { return err2(s.ReactivateMembership(ctx, e, active)) }},
		{"AcceptMembership", func(e string) error { return err2(s.AcceptMembership(ctx, e, pending)) }},
		{"DeleteMembership", func(e string) error { return s.DeleteMembership(ctx, e, active) }},
		{"CreateGroupMapping", func(e string) error {
			return err2(s.CreateGroupMapping(ctx, e, "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: fresh("g"), Role: "admin"}))
		}},
		{"DeleteGroupMapping", func(e string) error { return s.DeleteGroupMapping(ctx, e, "acme", rbac.GroupSourceSSO, "g1") }},
		{"SyncGroups", func(e string) error {
			return err2(s.SyncGroups(ctx, e, rbac.SyncInput{OrganizationID: "acme", UserID: fresh("u"), Source: rbac.GroupSourceSSO}))
		}},
	} {
		fields = append(fields, badField{w.name + "/environment", envValues, envNotFound, w.call})
	}

	// Listings: cursors, limits and orders (rule 19.1).
	type lister func(rbac.ListOptions) error
	for _, l := range []struct {
		name string
		list lister
	}{
		{"ListPermissions", func(o rbac.ListOptions) error { return err2(s.ListPermissions(ctx, "prod", o)) }},
		{"ListRoles", func(o rbac.ListOptions) error { return err2(s.ListRoles(ctx, "prod", o)) }},
		{"ListOrganizations", func(o rbac.ListOptions) error { return err2(s.ListOrganizations(ctx, "prod", o)) }},
		{"ListOrganizationRoles", func(o rbac.ListOptions) error { return err2(s.ListOrganizationRoles(ctx, "prod", "acme", o)) }},
		{"ListMemberships", func(o rbac.ListOptions) error {
			return err2(s.ListMemberships(ctx, "prod", rbac.MembershipFilter{OrganizationID: "acme"}, o))
		}},
		{"ListGroupMappings", func(o rbac.ListOptions) error { return err2(s.ListGroupMappings(ctx, "prod", "acme", o)) }},
	} {
		cursors := nonEmpty(some) // "" is no cursor
		fields = append(fields,
			badField{l.name + "/after", cursors, always(errInvalid("after")), func(v string) error { return l.list(rbac.ListOptions{After: v}) }},
			badField{l.name + "/before", cursors, always(errInvalid("before")), func(v string) error { return l.list(rbac.ListOptions{Before: v}) }},
			badField{l.name + "/order", oddsOf(orderValues), always(errInvalid("order")), func(v string) error {
				return l.list(rbac.ListOptions{Order: rbac.Order(v)})
			}},
			badField{l.name + "/before and after", []odd{{"two ids", "x"}}, always(errInvalid("before")), func(v string) error {
				return l.list(rbac.ListOptions{Before: v, After: v + "y"})
			}})
		for _, n := range limitValues {
			fields = append(fields, badField{l.name + "/limit", []odd{{fmt.Sprint(n), ""}}, always(errInvalid("limit")), func(string) error {
				return l.list(rbac.ListOptions{Limit: n})
			}})
		}
	}
	fields = append(fields, badField{"ListMemberships/statuses", oddsOf(append([]string{""}, statusValues[1:]...)), always(errInvalid("statuses")),
		func(v string) error {
			return err2(s.ListMemberships(ctx, "prod", rbac.MembershipFilter{Statuses: []rbac.MembershipStatus{rbac.StatusActive, rbac.MembershipStatus(v)}},
				rbac.ListOptions{}))
		}})

	var out []badCase
	for _, fd := range fields {
		for _, v := range fd.values {
			w := fd.want(v.v)
			if w == nil {
				continue // acceptable there: see testTextKeptAsGiven
			}
			out = append(out, badCase{name: fd.name + "/" + v.name, want: w, call: func() error { return fd.call(v.v) }})
		}
	}
	return out
}

// nonEmpty leaves "" out: an option or cursor that is "" is not given.
func nonEmpty(vs []odd) []odd {
	var out []odd
	for _, v := range vs {
		if v.v != "" {
			out = append(out, v)
		}
	}
	return out
}

func oddsOf[S ~string](vs []S) []odd {
	out := make([]odd, len(vs))
	for i, v := range vs {
		out[i] = odd{fmt.Sprintf("%q", v), string(v)}
	}
	return out
}
