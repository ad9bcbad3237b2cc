package rbac

import (
	"strings"
	"time"
)

// A Permission is an environment-level capability that roles grant, such as
// "videos:create" (rule 1.3).
type Permission struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	System      bool      `json:"system"` // system permissions cannot be deleted
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PermissionInput describes a permission to create.
type PermissionInput struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	System      bool   `json:"system,omitempty"`
}

// PermissionUpdate is a partial update of a permission's name and
// description: a nil field is left as it is (rule 2.4). Slugs never change.
type PermissionUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// ValidatePermissionSlug reports whether s is a valid permission slug: 1–48
// characters, lowercase letters, digits and '-', '_', ':', '.', '*'
// (rule 2.2).
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
