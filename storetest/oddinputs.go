package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgroles/rbac"
)

// testKeptAsGiven writes every odd value that rule 2.6 allows — names and
// descriptions with spaces of every script, format characters, emoji, the
// longest texts; ids of any script, the longest ids — and checks that the
// store gives each back byte for byte, and that organizations supplied by
// id are listed in byte order (rule 19.2).
func testKeptAsGiven(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	f := newFixture(t, newStore)
	f.standard("prod")
	ctx, s := f.ctx, f.s
	n := 0
	fresh := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	// kept checks one text field: write sets it to v and returns what the
	// write returned, read what a later read gives.
	kept := func(name string, r textRule, write func(v string) (string, error), read func() (string, error)) {
		t.Run(name, func(t *testing.T) {
			tried := 0
			for _, v := range oddTexts(r.max) {
				if r.bad(v.v) || v.v == "" {
					continue // "" may stand for a default: see the scenarios
				}
				tried++
				got, err := write(v.v)
				if err != nil {
					t.Errorf("%s: %v; rule 2.6 allows it", v.name, err)
					continue
				}
				back, err := read()
				if err != nil || got != v.v || back != v.v {
					t.Errorf("%s: wrote %q, the write returned %q, a read %q, %v", v.name, v.v, got, back, err)
				}
			}
			if tried < 20 {
				t.Fatalf("only %d values tried", tried)
			}
		})
	}
	var slug, org string
	kept("permission name", roleNameRule, func(v string) (string, error) {
		slug = fresh("p")
		p, err := s.CreatePermission(ctx, "prod", rbac.PermissionInput{Slug: slug, Name: v})
		return p.Name, err
	}, func() (string, error) { p, err := s.GetPermission(ctx, "prod", slug); return p.Name, err })
	kept("permission description", descRule, func(v string) (string, error) {
		p, err := s.UpdatePermission(ctx, "prod", "read", rbac.PermissionUpdate{Description: &v})
		return p.Description, err
	}, func() (string, error) { p, err := s.GetPermission(ctx, "prod", "read"); return p.Description, err })
	kept("role name", roleNameRule, func(v string) (string, error) {
		slug = fresh("r")
		r, err := s.CreateRole(ctx, "prod", rbac.RoleInput{Slug: slug, Name: v})
		return r.Name, err
	}, func() (string, error) { r, err := s.GetRole(ctx, "prod", slug); return r.Name, err })
	kept("role description", descRule, func(v string) (string, error) {
		r, err := s.UpdateRole(ctx, "prod", "viewer", rbac.RoleUpdate{Description: &v})
		return r.Description, err
	}, func() (string, error) { r, err := s.GetRole(ctx, "prod", "viewer"); return r.Description, err })
	kept("organization role name", roleNameRule, func(v string) (string, error) {
		r, err := s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Name: v})
		slug = r.Slug
		return r.Name, err
	}, func() (string, error) { r, err := s.GetOrganizationRole(ctx, "prod", "acme", slug); return r.Name, err })
	kept("organization role description", descRule, func(v string) (string, error) {
		slug = fresh("org-r")
		r, err := s.CreateOrganizationRole(ctx, "prod", "globex", rbac.RoleInput{Slug: slug, Name: "N", Description: v})
		return r.Description, err
	}, func() (string, error) {
		r, err := s.GetOrganizationRole(ctx, "prod", "globex", slug)
		return r.Description, err
	})
	kept("environment name", envNameRule, func(v string) (string, error) {
		slug = fresh("e")
		e, err := s.CreateEnvironment(ctx, rbac.EnvironmentInput{ID: slug, Name: v})
		return e.Name, err
	}, func() (string, error) { e, err := s.GetEnvironment(ctx, slug); return e.Name, err })
	kept("organization name", orgNameRule, func(v string) (string, error) {
		org = fresh("o")
		o, err := s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: org, Name: v})
		return o.Name, err
	}, func() (string, error) { o, err := s.GetOrganization(ctx, "prod", org); return o.Name, err })
	kept("organization rename", orgRenameRule, func(v string) (string, error) {
		o, err := s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Name: &v})
		return o.Name, err
	}, func() (string, error) { o, err := s.GetOrganization(ctx, "prod", "acme"); return o.Name, err })
	kept("metadata key", metaKeyRule, func(v string) (string, error) {
		o, err := s.UpdateOrganization(ctx, "prod", "acme", rbac.OrganizationUpdate{Metadata: &map[string]string{v: "v"}})
		return onlyKey(o.Metadata), err
	}, func() (string, error) {
		o, err := s.GetOrganization(ctx, "prod", "acme")
		return onlyKey(o.Metadata), err
	})
	kept("metadata value", metaValueRule, func(v string) (string, error) {
		org = fresh("o")
		o, err := s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: org, Metadata: map[string]string{"k": v}})
		return o.Metadata["k"], err
	}, func() (string, error) { o, err := s.GetOrganization(ctx, "prod", org); return o.Metadata["k"], err })

	t.Run("ids", func(t *testing.T) {
		ok(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "admin"}))(f)
		for _, v := range goodIDs {
			id := v.v
			o, err := s.CreateOrganization(ctx, "prod", rbac.OrganizationInput{ID: id, ExternalID: id})
			if err != nil || o.ID != id || o.ExternalID != id {
				t.Errorf("%s: CreateOrganization(%q) = %q, %q, %v", v.name, id, o.ID, o.ExternalID, err)
				continue
			}
			if o, err := s.GetOrganization(ctx, "prod", id); err != nil || o.ID != id {
				t.Errorf("%s: GetOrganization(%q) = %q, %v", v.name, id, o.ID, err)
			}
			if o, err := s.GetOrganizationByExternalID(ctx, "prod", id); err != nil || o.ID != id {
				t.Errorf("%s: GetOrganizationByExternalID(%q) = %q, %v", v.name, id, o.ID, err)
			}
			m, err := s.CreateMembership(ctx, "prod", rbac.MembershipInput{OrganizationID: id, UserID: id, Roles: []string{"admin"}})
			if err != nil || m.UserID != id || m.OrganizationID != id {
				t.Errorf("%s: CreateMembership(%q, %q) = %+v, %v", v.name, id, id, m, err)
				continue
			}
			if got, err := s.FindMembership(ctx, "prod", id, id); err != nil || got.ID != m.ID {
				t.Errorf("%s: FindMembership(%q, %q) = %q, %v; want %q", v.name, id, id, got.ID, err, m.ID)
			}
			if can, err := s.Can(ctx, "prod", id, id, "write"); err != nil || !can {
				t.Errorf("%s: Can(%q, %q, write) = %v, %v; want true", v.name, id, id, can, err)
			}
			ms, err := listMemberships(ctx, s, "prod", rbac.MembershipFilter{UserID: id})
			if err != nil || len(ms) != 1 || ms[0].ID != m.ID {
				t.Errorf("%s: ListMemberships(user %q) = %v, %v", v.name, id, ms, err)
			}
			g, err := s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceDirectory, GroupID: id, Role: "viewer"})
			if err != nil || g.GroupID != id {
				t.Errorf("%s: CreateGroupMapping(%q) = %+v, %v", v.name, id, g, err)
				continue
			}
			res, err := s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: id, Source: rbac.GroupSourceDirectory,
				Groups: []string{"x y", "nul\x00", id}})
			if err != nil || !slices.Equal(res.Membership.Roles, []string{"viewer"}) {
				t.Errorf("%s: SyncGroups(group %q) = %+v, %v; want role viewer from the mapping", v.name, id, res, err)
			}
		}
		gms, err := listGroupMappings(ctx, s, "prod", "acme")
		if err != nil || len(gms) != len(goodIDs)+1 {
			t.Errorf("ListGroupMappings = %d mappings, %v; want %d", len(gms), err, len(goodIDs)+1)
		}
		orgs, err := listOrganizations(ctx, s, "prod")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range orgs {
			ids = append(ids, o.ID)
		}
		if !slices.IsSorted(ids) {
			t.Errorf("ListOrganizations: %q not in byte order (rule 19.2)", ids)
		}
	})
	// Groups a sync is given are what the identity provider reports, not
	// ids the application names: those no mapping could have match none,
	// and the sync goes on with the others.
	t.Run("sync with odd groups", func(t *testing.T) {
		var groups []string
		for _, v := range oddIDs() {
			groups = append(groups, v.v)
		}
		res, err := s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: "u-sync", Source: rbac.GroupSourceSSO,
			Groups: append(groups, "g1")})
		if err != nil || !res.Applied || !slices.Equal(res.Membership.Roles, []string{"admin"}) {
			t.Errorf("SyncGroups = %+v, %v; want role admin from g1", res, err)
		}
		res, err = s.SyncGroups(ctx, "prod", rbac.SyncInput{OrganizationID: "acme", UserID: "u-sync2", Source: rbac.GroupSourceSSO, Groups: groups})
		if err != nil || !slices.Equal(res.Membership.Roles, []string{"member"}) || res.Membership.RoleSource != rbac.SourceSSODefault {
			t.Errorf("SyncGroups(odd groups only) = %+v, %v; want the default role (rule 10.3)", res, err)
		}
	})
	f.dump() // the invariants hold
}

// onlyKey returns the one key of md, or "" with a mark if it has others.
func onlyKey(md map[string]string) string {
	if len(md) != 1 {
		return fmt.Sprintf("<%d keys>", len(md))
	}
	for k := range md {
		return k
	}
	return ""
}

// testOddReads reads with every odd id of oddIDs, in every place a read
// takes an id, and checks that each answers as it does for an id that is
// well formed but missing: not found, false or an empty page, never an
// internal error (rule 2.7).
func testOddReads(t *testing.T, newStore func(t *testing.T) rbac.Store) {
	f := newFixture(t, newStore)
	f.standard("prod")
	ctx, s := f.ctx, f.s
	ok(s.CreateOrganizationRole(ctx, "prod", "acme", rbac.RoleInput{Slug: "billing", Name: "Billing", Permissions: []string{"read"}}))(f)
	ok(s.UpdateOrganization(ctx, "prod", "globex", rbac.OrganizationUpdate{ExternalID: rbac.Ptr("ext-globex")}))(f)
	m := f.member("prod", "acme", "u1", "admin")
	f.member("prod", "globex", "u2")
	ok(s.CreateGroupMapping(ctx, "prod", "acme", rbac.GroupMappingInput{Source: rbac.GroupSourceSSO, GroupID: "g1", Role: "viewer"}))(f)
	type read struct {
		name string
		call func(x string) (any, error)
		// missing is what the read gives for a well-formed id that names
		// nothing ("ghost"): a not-found code, or a value.
		code  string
		value any
	}
	emptyPage := rbac.Page[rbac.Membership]{Data: []rbac.Membership{}}
	members := func(fl rbac.MembershipFilter) (any, error) {
		return s.ListMemberships(ctx, "prod", fl, rbac.ListOptions{})
	}
	reads := []read{
		{"Can/organization", func(x string) (any, error) { return s.Can(ctx, "prod", x, "u1", "read") }, "", false},
		{"Can/user", func(x string) (any, error) { return s.Can(ctx, "prod", "acme", x, "read") }, "", false},
		{"Can/permission", func(x string) (any, error) { return s.Can(ctx, "prod", "acme", "u1", x) }, "", false},
		{"Can/environment", func(x string) (any, error) { return s.Can(ctx, x, "acme", "u1", "read") }, rbac.CodeEnvironmentNotFound, nil},
		{"Claims/organization", func(x string) (any, error) { return s.Claims(ctx, "prod", x, "u1") }, rbac.CodeMembershipNotFound, nil},
		{"Claims/user", func(x string) (any, error) { return s.Claims(ctx, "prod", "acme", x) }, rbac.CodeMembershipNotFound, nil},
		{"FindMembership/organization", func(x string) (any, error) { return s.FindMembership(ctx, "prod", x, "u1") }, rbac.CodeOrganizationNotFound, nil},
		{"FindMembership/user", func(x string) (any, error) { return s.FindMembership(ctx, "prod", "acme", x) }, rbac.CodeMembershipNotFound, nil},
		{"GetMembership", func(x string) (any, error) { return s.GetMembership(ctx, "prod", x) }, rbac.CodeMembershipNotFound, nil},
		{"GetMembership/environment", func(x string) (any, error) { return s.GetMembership(ctx, x, m.ID) }, rbac.CodeEnvironmentNotFound, nil},
		{"GetOrganization", func(x string) (any, error) { return s.GetOrganization(ctx, "prod", x) }, rbac.CodeOrganizationNotFound, nil},
		{"GetOrganizationByExternalID", func(x string) (any, error) { return s.GetOrganizationByExternalID(ctx, "prod", x) }, rbac.CodeOrganizationNotFound, nil},
		{"OrganizationSettings", func(x string) (any, error) { return s.OrganizationSettings(ctx, "prod", x) }, rbac.CodeOrganizationNotFound, nil},
		{"ListMemberships/organization", func(x string) (any, error) { return members(rbac.MembershipFilter{OrganizationID: x}) }, "", emptyPage},
		{"ListMemberships/user", func(x string) (any, error) { return members(rbac.MembershipFilter{UserID: x}) }, "", emptyPage},
		{"ListMemberships/role", func(x string) (any, error) { return members(rbac.MembershipFilter{Role: x}) }, "", emptyPage},
		{"ListMemberships/organization and user", func(x string) (any, error) {
			return members(rbac.MembershipFilter{OrganizationID: x, UserID: x, Statuses: allStatuses})
		}, "", emptyPage},
		{"GetRole", func(x string) (any, error) { return s.GetRole(ctx, "prod", x) }, rbac.CodeRoleNotFound, nil},
		{"GetOrganizationRole/organization", func(x string) (any, error) { return s.GetOrganizationRole(ctx, "prod", x, "admin") }, rbac.CodeOrganizationNotFound, nil},
		{"GetOrganizationRole/slug", func(x string) (any, error) { return s.GetOrganizationRole(ctx, "prod", "acme", x) }, rbac.CodeRoleNotFound, nil},
		{"GetPermission", func(x string) (any, error) { return s.GetPermission(ctx, "prod", x) }, rbac.CodePermissionNotFound, nil},
		{"ResolveRole/organization", func(x string) (any, error) { return s.ResolveRole(ctx, "prod", x, []string{"admin"}) }, rbac.CodeOrganizationNotFound, nil},
		{"ResolveRole/candidate", func(x string) (any, error) { return s.ResolveRole(ctx, "prod", "acme", []string{"admin", x}) }, rbac.CodeInvalidRole, nil},
		{"ListOrganizationRoles", func(x string) (any, error) { return s.ListOrganizationRoles(ctx, "prod", x, rbac.ListOptions{}) }, rbac.CodeOrganizationNotFound, nil},
		{"ListGroupMappings", func(x string) (any, error) { return s.ListGroupMappings(ctx, "prod", x, rbac.ListOptions{}) }, rbac.CodeOrganizationNotFound, nil},
		{"GetEnvironment", func(x string) (any, error) { return s.GetEnvironment(ctx, x) }, rbac.CodeEnvironmentNotFound, nil},
		{"ListOrganizations/environment", func(x string) (any, error) { return s.ListOrganizations(ctx, x, rbac.ListOptions{}) }, rbac.CodeEnvironmentNotFound, nil},
	}
	// outcome renders what a read gave, to compare two reads.
	outcome := func(v any, err error) string {
		var e *rbac.Error
		switch {
		case err == nil:
			return fmt.Sprintf("%#v", v)
		case errors.As(err, &e):
			return fmt.Sprintf("%v error %s on field %q", e.Kind, e.Code, e.Field)
		}
		return fmt.Sprintf("untyped error %v", err)
	}
	before := f.dump()
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			v, err := r.call("ghost")
			if r.code != "" {
				var e *rbac.Error
				if !errors.As(err, &e) || e.Code != r.code {
					t.Fatalf("for a missing id: %v; want code %s", err, r.code)
				}
			} else if diff := cmp.Diff(r.value, v); err != nil || diff != "" {
				t.Fatalf("for a missing id: %v (-want +got):\n%s", err, diff)
			}
			want := outcome(v, err)
			for _, x := range oddIDs() {
				if x.v == "" && strings.HasPrefix(r.name, "ListMemberships/") {
					continue // an empty filter does not filter
				}
				v, err := r.call(x.v)
				if got := outcome(v, err); got != want {
					t.Errorf("%s (%q): %s; want %s, as for a missing id (rule 2.7)", x.name, x.v, got, want)
				}
				if err != nil && (errors.Is(err, rbac.ErrInternal) || rbac.HTTPStatus(err) >= 500) {
					t.Errorf("%s: %v is an internal error", x.name, err)
				}
			}
		})
	}
	f.unchanged(before, "reads")
}
