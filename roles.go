package rbac

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Text limits (SPEC 2.1–2.3).
const (
	MaxSlugLen        = 48
	MaxNameLen        = 48
	MaxDescriptionLen = 150
)

// OrganizationRolePrefix begins every organization role slug and no
// environment role slug, so an organization role never shadows an
// environment role (SPEC 5.2, 5.3).
const OrganizationRolePrefix = "org-"

// RoleType tells environment roles from organization roles.
type RoleType string

// The role types, with their WorkOS names.
const (
	EnvironmentRole  RoleType = "EnvironmentRole"
	OrganizationRole RoleType = "OrganizationRole"
)

// A Permission is an environment-level capability that roles grant, such as
// "videos:create" (SPEC 1.3).
type Permission struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	System      bool      `json:"system"` // system permissions cannot be deleted
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// A Role is a named set of permissions (SPEC 1.4). An environment role
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

// PermissionInput describes a permission to create.
type PermissionInput struct {
	Slug        string
	Name        string
	Description string
	System      bool
}

// RoleInput describes a role to create. For an organization role the slug
// may be omitted (one is generated from the name) and is prefixed with
// "org-" when it lacks the prefix (SPEC 5.2).
type RoleInput struct {
	Slug        string
	Name        string
	Description string
	Permissions []string // permission slugs; each must exist in the environment
}

// Update is a partial update of a name and a description: a nil field is
// left as it is (SPEC 2.4). Slugs never change.
type Update struct {
	Name        *string
	Description *string
}

// RoleUpdate is a partial update of a role. Permissions, when not nil,
// replaces the role's whole permission set.
type RoleUpdate struct {
	Name        *string
	Description *string
	Permissions *[]string
}

// Ptr returns a pointer to v; handy for partial updates:
//
//	rbac.Update{Name: rbac.Ptr("Billing admin")}
func Ptr[T any](v T) *T { return &v }

// ValidateRoleSlug reports whether s is a valid role slug: 1–48 characters,
// lowercase letters, digits, '-' and '_', with no leading, trailing or
// consecutive separators (SPEC 2.1). The error is a KindInvalid [*Error]
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

// ValidatePermissionSlug reports whether s is a valid permission slug: 1–48
// characters, lowercase letters, digits and '-', '_', ':', '.', '*'
// (SPEC 2.2).
func ValidatePermissionSlug(s string) error {
	if s == "" {
		return invalidf("slug", "required", "permission slug is required")
	}
	if len(s) > MaxSlugLen {
		return invalidf("slug", "at most 48 characters", "permission slug %q is longer than %d characters", s, MaxSlugLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("-_:.*", c) >= 0:
		default:
			return invalidf("slug", "lowercase letters, digits and '- _ : . *' only", "permission slug %q has the character %q, which is not allowed", s, rune(c))
		}
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
// "org-" + slug (SPEC 5.2). It does not validate the result.
func OrganizationRoleSlug(slug string) string {
	if IsOrganizationRoleSlug(slug) {
		return slug
	}
	return OrganizationRolePrefix + slug
}

// SlugSuffixLen is the length of the random suffix of generated slugs.
const SlugSuffixLen = 6

// GenerateOrganizationRoleSlug builds the slug of an organization role
// created without one (SPEC 5.2): "org-" + the name normalised (lowercased,
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
		case r == '-' || isSpace(r):
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

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0:
		return true
	}
	return r > utf8.RuneSelf && strings.ContainsRune("\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", r)
}

func validateName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalidf("name", "required", "name is required")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		return invalidf("name", "at most 48 characters", "name has %d characters, more than %d", n, MaxNameLen)
	}
	if !utf8.ValidString(name) {
		return invalidf("name", "valid UTF-8", "name is not valid UTF-8")
	}
	return nil
}

func validateDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		return invalidf("description", "at most 150 characters", "description has %d characters, more than %d", n, MaxDescriptionLen)
	}
	if !utf8.ValidString(d) {
		return invalidf("description", "valid UTF-8", "description is not valid UTF-8")
	}
	return nil
}

// validateText checks a required name and an optional description.
func validateText(name, description string) error {
	if err := validateName(name); err != nil {
		return err
	}
	return validateDescription(description)
}

// validateUpdate checks the fields an Update sets.
func validateUpdate(name, description *string) error {
	if name != nil {
		if err := validateName(*name); err != nil {
			return err
		}
	}
	if description != nil {
		if err := validateDescription(*description); err != nil {
			return err
		}
	}
	return nil
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

func roleKindName(orgID string) string {
	if orgID == "" {
		return "environment role"
	}
	return fmt.Sprintf("organization role of %q", orgID)
}
