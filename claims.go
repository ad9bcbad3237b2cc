package rbac

import "slices"

// Claims are the role-aware claims of a session token for one user in one
// organization (rule 11.1), with the JSON names of WorkOS session tokens.
type Claims struct {
	OrganizationID string   `json:"org_id"`
	Role           string   `json:"role"`        // the primary role
	Roles          []string `json:"roles"`       // every role, highest priority first
	Permissions    []string `json:"permissions"` // union over the roles, sorted, no duplicates
}

// Has reports whether the claims grant the permission.
func (c Claims) Has(permission string) bool {
	_, ok := slices.BinarySearch(c.Permissions, permission)
	return ok
}
