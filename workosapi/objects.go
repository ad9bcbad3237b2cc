package workosapi

import (
	"time"

	"github.com/orgroles/rbac"
)

// The JSON objects of the API. WorkOS's objects (role, permission,
// organization, organization_membership, list) have WorkOS's fields, names
// and types; the objects of rbac's own routes follow the same conventions
// (an "object" field, RFC 3339 times, snake_case names).

// timeFormat is RFC 3339 with milliseconds in UTC, as WorkOS writes times
// ("2026-01-15T12:00:00.000Z").
const timeFormat = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(timeFormat)
	}
	h, mi, s := t.Clock()
	var b [24]byte
	digits := func(at, n, v int) {
		for i := at + n - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	digits(0, 4, y)
	b[4] = '-'
	digits(5, 2, int(mo))
	b[7] = '-'
	digits(8, 2, d)
	b[10] = 'T'
	digits(11, 2, h)
	b[13] = ':'
	digits(14, 2, mi)
	b[16] = ':'
	digits(17, 2, s)
	b[19] = '.'
	digits(20, 3, t.Nanosecond()/1e6)
	b[23] = 'Z'
	return string(b[:])
}

// nullable returns nil for "", so that an empty description is null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// resourceType is the resource type of every role and permission: rbac's
// roles and permissions all apply to organizations.
const resourceType = "organization"

type roleObject struct {
	Object           string   `json:"object"`
	ID               string   `json:"id"`
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Description      *string  `json:"description"`
	Type             string   `json:"type"`
	ResourceTypeSlug string   `json:"resource_type_slug"`
	Permissions      []string `json:"permissions"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

func role(r rbac.Role) roleObject {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleObject{Object: "role", ID: r.ID, Slug: r.Slug, Name: r.Name, Description: nullable(r.Description),
		Type: string(r.Type), ResourceTypeSlug: resourceType, Permissions: perms,
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt)}
}

func roles(rs []rbac.Role) []roleObject {
	out := make([]roleObject, len(rs))
	for i, r := range rs {
		out[i] = role(r)
	}
	return out
}

type permissionObject struct {
	Object           string  `json:"object"`
	ID               string  `json:"id"`
	Slug             string  `json:"slug"`
	Name             string  `json:"name"`
	Description      *string `json:"description"`
	System           bool    `json:"system"`
	ResourceTypeSlug string  `json:"resource_type_slug"`
	CreatedAt        string  `json:"created_at"`
	UpdatedAt        string  `json:"updated_at"`
}

func permission(p rbac.Permission) permissionObject {
	return permissionObject{Object: "permission", ID: p.ID, Slug: p.Slug, Name: p.Name, Description: nullable(p.Description),
		System: p.System, ResourceTypeSlug: resourceType, CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt)}
}

// organizationObject is WorkOS's organization. rbac has no domains: the
// list is always empty. ExternalID and Metadata are what the library
// stores once it has them (see organization in library.go).
type organizationObject struct {
	Object     string            `json:"object"`
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Domains    []struct{}        `json:"domains"`
	Metadata   map[string]string `json:"metadata"`
	ExternalID *string           `json:"external_id"`
	CreatedAt  string            `json:"created_at"`
	UpdatedAt  string            `json:"updated_at"`
}

type slimRole struct {
	Slug string `json:"slug"`
}

// membershipObject is WorkOS's organization_membership. WorkOS also embeds
// the user; rbac has no users (user ids are the application's), so the
// field is absent.
type membershipObject struct {
	Object           string         `json:"object"`
	ID               string         `json:"id"`
	UserID           string         `json:"user_id"`
	OrganizationID   string         `json:"organization_id"`
	OrganizationName string         `json:"organization_name"`
	Status           string         `json:"status"`
	DirectoryManaged bool           `json:"directory_managed"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	Role             slimRole       `json:"role"`
	Roles            []slimRole     `json:"roles"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
}

// membership presents m; orgName is the name of its organization. A
// membership is directory-managed when its roles come from a directory
// group mapping.
func membership(m rbac.Membership, orgName string) membershipObject {
	rs := make([]slimRole, len(m.Roles))
	for i, r := range m.Roles {
		rs[i] = slimRole{r}
	}
	return membershipObject{Object: "organization_membership", ID: m.ID, UserID: m.UserID, OrganizationID: m.OrganizationID,
		OrganizationName: orgName, Status: string(m.Status), DirectoryManaged: m.RoleSource == rbac.SourceDirectory,
		CustomAttributes: map[string]any{}, Role: slimRole{m.Role}, Roles: rs,
		CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt)}
}

// listObject is WorkOS's paginated list envelope.
type listObject[T any] struct {
	Object       string       `json:"object"`
	Data         []T          `json:"data"`
	ListMetadata listMetadata `json:"list_metadata"`
}

type listMetadata struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
}

func list[T, U any](p page[T], f func(T) U) listObject[U] {
	out := make([]U, len(p.data))
	for i, v := range p.data {
		out[i] = f(v)
	}
	return listObject[U]{Object: "list", Data: out, ListMetadata: listMetadata{Before: nullable(p.before), After: nullable(p.after)}}
}

// roleList is WorkOS's role list: not paginated, in priority order, with
// no list_metadata.
type roleList struct {
	Object string       `json:"object"`
	Data   []roleObject `json:"data"`
}

type checkObject struct {
	Authorized bool `json:"authorized"`
}

// ---- rbac's own objects ----

type environmentObject struct {
	Object        string   `json:"object"`
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	DefaultRole   string   `json:"default_role"`
	PriorityOrder []string `json:"priority_order"`
	MultipleRoles bool     `json:"multiple_roles"`
	Revision      int64    `json:"revision"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

func environment(e rbac.Environment) environmentObject {
	return environmentObject{Object: "environment", ID: e.ID, Name: e.Name, DefaultRole: e.DefaultRole,
		PriorityOrder: nonNil(e.PriorityOrder), MultipleRoles: e.MultipleRoles, Revision: e.Revision,
		CreatedAt: ts(e.CreatedAt), UpdatedAt: ts(e.UpdatedAt)}
}

type settingsObject struct {
	Object         string   `json:"object"`
	OrganizationID string   `json:"organization_id"`
	DefaultRole    string   `json:"default_role"`
	PriorityOrder  []string `json:"priority_order"`
	Inherited      bool     `json:"inherited"`
}

func settings(org string, s rbac.Settings) settingsObject {
	return settingsObject{Object: "organization_settings", OrganizationID: org, DefaultRole: s.DefaultRole,
		PriorityOrder: nonNil(s.PriorityOrder), Inherited: s.Inherited}
}

type groupMappingObject struct {
	Object         string `json:"object"`
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Source         string `json:"source"`
	GroupID        string `json:"group_id"`
	RoleSlug       string `json:"role_slug"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

func groupMapping(m rbac.GroupMapping) groupMappingObject {
	return groupMappingObject{Object: "group_role_mapping", ID: m.ID, OrganizationID: m.OrganizationID,
		Source: string(m.Source), GroupID: m.GroupID, RoleSlug: m.Role, CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt)}
}

type roleRef struct {
	OrganizationID string `json:"organization_id,omitempty"`
	Slug           string `json:"slug"`
}

// planObject reports what a deletion changed or, in a dry run, would
// change.
type planObject struct {
	Object                     string               `json:"object"`
	DryRun                     bool                 `json:"dry_run"`
	RoleSlug                   string               `json:"role_slug,omitempty"`
	OrganizationID             string               `json:"organization_id,omitempty"`
	PermissionSlug             string               `json:"permission_slug,omitempty"`
	ReplacementDefault         string               `json:"replacement_default,omitempty"`
	ReassignedTo               string               `json:"reassigned_to,omitempty"`
	EnvironmentDefaultReplaced bool                 `json:"environment_default_replaced"`
	DefaultsReplaced           []string             `json:"defaults_replaced"`
	MembershipCount            int                  `json:"membership_count"`
	Memberships                []string             `json:"memberships"`
	GroupRoleMappings          []groupMappingObject `json:"group_role_mappings"`
	Roles                      []roleRef            `json:"roles"`
}

type syncObject struct {
	Object     string           `json:"object"`
	Membership membershipObject `json:"membership"`
	RoleSource string           `json:"role_source"`
	Applied    bool             `json:"applied"`
	Created    bool             `json:"created"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
