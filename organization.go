package rbac

import "time"

// An Organization is a customer tenant in an environment (rule 1.2).
//
// An organization starts by inheriting the environment's default role and
// priority order. Once it has its own configuration — from its first
// organization role, or from setting its default role or priority order —
// DefaultRole and PriorityOrder hold it, independent from the environment
// from then on (rules 5.5, 5.7, 7.3). Use [Service.OrganizationSettings] or
// [EffectiveSettings] for the effective values either way.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ExternalID is the application's own id for the organization, unique
	// in the environment when set.
	ExternalID string `json:"external_id,omitempty"`
	// Metadata holds the application's own key-value pairs.
	Metadata      map[string]string `json:"metadata,omitempty"`
	DefaultRole   string            `json:"default_role,omitempty"`   // own default role; empty while inheriting
	PriorityOrder []string          `json:"priority_order,omitempty"` // own priority order; nil while inheriting
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// HasOwnSettings reports whether the organization has its own default role
// and priority order rather than inheriting the environment's.
func (o Organization) HasOwnSettings() bool { return o.DefaultRole != "" }

// OrganizationInput describes an organization to create.
type OrganizationInput struct {
	// ID may be the application's own tenant id; when empty the library
	// generates "org_…".
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"` // defaults to the id
	// ExternalID is the application's own id, unique in the environment.
	ExternalID string            `json:"external_id,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
}

// OrganizationUpdate is a partial update of an organization: a nil field
// is left as it is. An empty ExternalID removes it; Metadata replaces the
// whole map.
type OrganizationUpdate struct {
	Name       *string            `json:"name,omitempty"`
	ExternalID *string            `json:"external_id,omitempty"`
	Metadata   *map[string]string `json:"metadata,omitempty"`
}
