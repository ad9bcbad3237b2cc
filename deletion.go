package rbac

// DeleteOptions qualify a deletion. Each option applies to some deletions
// only; giving it to another is an invalid error that names it.
type DeleteOptions struct {
	// ReplacementDefault applies to [Service.DeleteRole]: the environment
	// role that becomes the default wherever the deleted role was the
	// default. It is required when the role is a default (rule 9.1).
	ReplacementDefault string `json:"replacement_default,omitempty"`
	// ReassignTo applies to [Service.DeleteOrganizationRole]: the role,
	// visible in the organization, that the deleted role's members,
	// group mappings and default move to (rule 9.3).
	ReassignTo string `json:"reassign_to,omitempty"`
	// DryRun computes the plan without changing anything (rule 9.5). It
	// applies to every deletion.
	DryRun bool `json:"dry_run,omitempty"`
}

// only checks that no option but those named is set, for a deletion of
// what.
func (opt DeleteOptions) only(what string, replacementDefault, reassignTo bool) error {
	if opt.ReplacementDefault != "" && !replacementDefault {
		return invalidf("replacement_default", "applies only to deleting an environment role",
			"a replacement default does not apply to deleting %s", what)
	}
	if opt.ReassignTo != "" && !reassignTo {
		return invalidf("reassign_to", "applies only to deleting an organization role",
			"a reassignment target does not apply to deleting %s", what)
	}
	return nil
}

// A DeletionPlan reports what a deletion changed or, with
// DeleteOptions.DryRun, what it would change.
type DeletionPlan struct {
	DryRun         bool   `json:"dry_run"`
	Role           string `json:"role,omitempty"`            // the role deleted
	OrganizationID string `json:"organization_id,omitempty"` // its organization, for organization roles and organization deletion
	Permission     string `json:"permission,omitempty"`      // the permission deleted
	// ReplacementDefault is the environment role that replaced the
	// deleted role as a default (DeleteOptions.ReplacementDefault).
	ReplacementDefault string `json:"replacement_default,omitempty"`
	// ReassignedTo is the role the deleted organization role's members,
	// mappings and default moved to (DeleteOptions.ReassignTo).
	ReassignedTo string `json:"reassigned_to,omitempty"`

	// EnvironmentDefaultReplaced is true when the deleted role was the
	// environment default.
	EnvironmentDefaultReplaced bool `json:"environment_default_replaced,omitempty"`
	// DefaultsReplaced lists the organizations whose own default changed.
	DefaultsReplaced []string `json:"defaults_replaced,omitempty"`
	// Memberships lists the ids of the memberships whose roles changed
	// (or, for an organization deletion, that were deleted).
	Memberships []string `json:"memberships,omitempty"`
	// GroupMappings lists the mappings re-pointed or deleted, as they were
	// before.
	GroupMappings []GroupMapping `json:"group_mappings,omitempty"`
	// Roles lists the roles that lost the permission, or, for an
	// organization deletion, the organization roles deleted.
	Roles []RoleRef `json:"roles,omitempty"`
}
