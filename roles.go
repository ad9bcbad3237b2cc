package rbac

import (
	"strings"
	"time"
	"unicode"
)

// OrganizationRolePrefix begins every organization role slug and no
// environment role slug, so an organization role never shadows an
// environment role (rules 5.2, 5.3).
const OrganizationRolePrefix = "org-"

// RoleType tells environment roles from organization roles.
type RoleType string

// The role types, with their WorkOS names.
const (
	EnvironmentRole  RoleType = "EnvironmentRole"
	OrganizationRole RoleType = "OrganizationRole"
)

// A Role is a named set of permissions (rule 1.4). An environment role
// (Type EnvironmentRole, OrganizationID empty) is visible in every
// organization of its environment; an organization role only in its own.
type Role struct {
	ID             string    `json:"id"`
	Slug           string    `json:"slug"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Type           RoleType  `json:"type"`
	OrganizationID string    `json:"organization_id,omitempty"`
	Permissions    []string  `json:"permissions"` // permission slugs, sorted
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Ref returns the reference of the role.
func (r Role) Ref() RoleRef { return RoleRef{OrganizationID: r.OrganizationID, Slug: r.Slug} }

// RoleRef names a role: an environment role when OrganizationID is empty.
type RoleRef struct {
	OrganizationID string `json:"organization_id,omitempty"`
	Slug           string `json:"slug"`
}

// RoleInput describes a role to create. For an organization role the slug
// may be omitted (one is generated from the name) and is prefixed with
// "org-" when it lacks the prefix (rule 5.2).
type RoleInput struct {
	Slug        string   `json:"slug,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions,omitempty"` // permission slugs; each must exist in the environment
}

// RoleUpdate is a partial update of a role: a nil field is left as it is
// (rule 2.4). Permissions, when not nil, replaces the role's whole
// permission set. Slugs never change.
type RoleUpdate struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// Ptr returns a pointer to v; handy for partial updates:
//
//	rbac.RoleUpdate{Name: rbac.Ptr("Billing admin")}
func Ptr[T any](v T) *T { return &v }

// ValidateRoleSlug reports whether s is a valid role slug: 1–48 characters,
// lowercase letters, digits, '-' and '_', with no leading, trailing or
// consecutive separators (rule 2.1). The error is a KindInvalid [*Error]
// with Field "slug".
func ValidateRoleSlug(s string) error {
	if s == "" {
		return invalidf("slug", "required", "role slug is required")
	}
	if len(s) > MaxSlugLen {
		return invalidf("slug", "at most 48 characters", "role slug %q is longer than %d characters", s, MaxSlugLen)
	}
	prevSep := true // a leading separator counts as following one
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevSep = false
		case c == '-' || c == '_':
			if prevSep {
				return invalidf("slug", "no leading or consecutive separators", "role slug %q has a leading or doubled separator", s)
			}
			prevSep = true
		default:
			return invalidf("slug", "lowercase letters, digits, '-' and '_' only", "role slug %q has the character %q, which is not allowed", s, rune(c))
		}
	}
	if prevSep {
		return invalidf("slug", "no trailing separator", "role slug %q ends with a separator", s)
	}
	return nil
}

// IsOrganizationRoleSlug reports whether slug names an organization role,
// that is, begins with "org-".
func IsOrganizationRoleSlug(slug string) bool {
	return strings.HasPrefix(slug, OrganizationRolePrefix)
}

// OrganizationRoleSlug returns the slug an organization role gets for the
// supplied slug: the slug itself if it already begins with "org-", else
// "org-" + slug (rule 5.2). It does not validate the result.
func OrganizationRoleSlug(slug string) string {
	if IsOrganizationRoleSlug(slug) {
		return slug
	}
	return OrganizationRolePrefix + slug
}

// SlugSuffixLen is the length of the random suffix of generated slugs.
const SlugSuffixLen = 6

// GenerateOrganizationRoleSlug builds the slug of an organization role
// created without one (rule 5.2): "org-" + the name normalised (lowercased,
// whitespace to '-', characters outside [a-z0-9_-] dropped, separators
// collapsed and trimmed) + "-" + suffix, with the name part truncated so the
// whole fits in 48 characters. suffix must be SlugSuffixLen characters of
// [a-z0-9]. A name with nothing left after normalisation gives
// "org-" + suffix. The result is always a valid role slug.
func GenerateOrganizationRoleSlug(name, suffix string) string {
	var b strings.Builder
	var sep byte // the separator a run of separators collapses to, 0 if none pending
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if sep != 0 && b.Len() > 0 {
				b.WriteByte(sep)
			}
			sep = 0
			b.WriteRune(r)
		case r == '_':
			if sep == 0 {
				sep = '_'
			}
		case r == '-' || unicode.IsSpace(r):
			if sep == 0 {
				sep = '-'
			}
		}
	}
	base := b.String()
	room := MaxSlugLen - len(OrganizationRolePrefix) - 1 - len(suffix)
	if len(base) > room {
		base = strings.TrimRight(base[:room], "-_")
	}
	if base == "" {
		return OrganizationRolePrefix + suffix
	}
	return OrganizationRolePrefix + base + "-" + suffix
}

// normalizeSlugs returns the permission slugs sorted and without
// duplicates, after checking each one's syntax.
func normalizeSlugs(perms []string) ([]string, error) {
	out := make([]string, 0, len(perms))
	for _, p := range perms {
		if err := ValidatePermissionSlug(p); err != nil {
			e := err.(*Error)
			e.Field = "permissions"
			return nil, e
		}
		out = append(out, p)
	}
	return sortedUnique(out), nil
}
