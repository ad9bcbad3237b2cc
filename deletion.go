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

// MaxListedMemberships is the most membership ids a [DeletionPlan] lists,
// and the most memberships a bulk change reports one event each for
// (rules 9.5, 13.1).
const MaxListedMemberships = 1000

// A DeletionPlan reports what a deletion changed or, with
// DeleteOptions.DryRun, what it would change.
//
// MembershipCount is always exact; Memberships lists the ids of at most
// [MaxListedMemberships] of them, the first by id, so that a dry run of a
// large deletion still shows a sample. A caller that needs every
// membership lists them with [Service.ListMemberships] (by role, before
// the deletion).
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
	// MembershipCount is how many memberships had their roles changed
	// (or, for an organization deletion, were deleted).
	MembershipCount int `json:"membership_count"`
	// Memberships lists the ids of those memberships, sorted, up to
	// MaxListedMemberships of them: all of them when MembershipCount is
	// at most MaxListedMemberships, else the first MaxListedMemberships
	// by id.
	Memberships []string `json:"memberships,omitempty"`
	// GroupMappings lists the mappings re-pointed or deleted, as they were
	// before.
	GroupMappings []GroupMapping `json:"group_mappings,omitempty"`
	// Roles lists the roles that lost the permission, or, for an
	// organization deletion, the organization roles deleted.
	Roles []RoleRef `json:"roles,omitempty"`
}
