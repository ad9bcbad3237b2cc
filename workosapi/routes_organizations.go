package workosapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/orgroles/rbac"
)

// ---- organizations ----

type createOrganizationRequest struct {
	// ID is rbac's own: the application's tenant id, when it has one.
	ID                               optString         `json:"id"`
	Name                             optString         `json:"name"`
	ExternalID                       optString         `json:"external_id"`
	Metadata                         optMetadata       `json:"metadata"`
	Domains                          []string          `json:"domains"`
	DomainData                       []json.RawMessage `json:"domain_data"`
	AllowProfilesOutsideOrganization *bool             `json:"allow_profiles_outside_organization"`
}

// noDomains refuses domains: rbac's organizations have none.
func (cs *checks) noDomains(domains []string, data []json.RawMessage) {
	if len(domains) > 0 {
		cs.add("domains", "not supported: organizations have no domains here")
	}
	if len(data) > 0 {
		cs.add("domain_data", "not supported: organizations have no domains here")
	}
}

func createOrganization(c *call) (int, any, error) {
	var req createOrganizationRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.need("name", req.Name.Set && !req.Name.Null && req.Name.V != "")
	cs.notNull("id", req.ID)
	cs.noDomains(req.Domains, req.DomainData)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	in := rbac.OrganizationInput{ID: req.ID.V, Name: req.Name.V, ExternalID: req.ExternalID.V, Metadata: req.Metadata.V}
	o, err := c.h.lib.createOrganization(c.r.Context(), c.env, in)
	if err != nil {
		return 0, nil, err
	}
	return created, organization(o), nil
}

func listOrganizations(c *call) (int, any, error) {
	q, err := c.query()
	if err != nil {
		return 0, nil, err
	}
	o, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	for _, name := range []string{"search", "domains"} {
		if len(q.list(name)) > 0 {
			return 0, nil, invalidQuery(fieldError{Field: name, Code: "not supported by this server"})
		}
	}
	p, err := c.h.lib.listOrganizations(c.r.Context(), c.env, o)
	if err != nil {
		return 0, nil, err
	}
	return ok, list(p, organization), nil
}

func getOrganization(c *call) (int, any, error) {
	o, err := c.h.lib.organization(c.r.Context(), c.env, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return ok, organization(o), nil
}

func getOrganizationByExternalID(c *call) (int, any, error) {
	o, err := c.h.lib.organizationByExternalID(c.r.Context(), c.env, c.path("external_id"))
	if err != nil {
		return 0, nil, err
	}
	return ok, organization(o), nil
}

type updateOrganizationRequest struct {
	Name                             optString         `json:"name"`
	ExternalID                       optString         `json:"external_id"`
	Metadata                         optMetadata       `json:"metadata"`
	Domains                          []string          `json:"domains"`
	DomainData                       []json.RawMessage `json:"domain_data"`
	StripeCustomerID                 optString         `json:"stripe_customer_id"`
	AllowProfilesOutsideOrganization *bool             `json:"allow_profiles_outside_organization"`
}

func updateOrganization(c *call) (int, any, error) {
	var req updateOrganizationRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	cs.notNull("name", req.Name)
	cs.noDomains(req.Domains, req.DomainData)
	if req.StripeCustomerID.Set && req.StripeCustomerID.V != "" {
		cs.add("stripe_customer_id", "not supported by this server")
	}
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	u := rbac.OrganizationUpdate{Name: req.Name.ptr(), ExternalID: req.ExternalID.ptr(), Metadata: req.Metadata.ptr()}
	o, err := c.h.lib.updateOrganization(c.r.Context(), c.env, c.path("id"), u)
	if err != nil {
		return 0, nil, err
	}
	return ok, organization(o), nil
}

// deleteOrganization deletes an organization with its roles, settings,
// memberships and group mappings, at once (WorkOS answers 202 and deletes
// later; rbac has finished when it answers 200).
func deleteOrganization(c *call) (int, any, error) {
	if _, err := c.h.lib.deleteOrganization(c.r.Context(), c.env, c.path("id"), rbac.DeleteOptions{}); err != nil {
		return 0, nil, err
	}
	return ok, nil, nil
}

// ---- memberships ----

type membershipRequest struct {
	UserID         optString `json:"user_id"`
	OrganizationID optString `json:"organization_id"`
	RoleSlug       optString `json:"role_slug"`
	RoleSlugs      *[]string `json:"role_slugs"`
}

// roles returns the roles asked for: role_slug or role_slugs, not both;
// nil when neither.
func (in membershipRequest) roles(cs *checks) []string {
	switch {
	case in.RoleSlug.Set && in.RoleSlugs != nil:
		cs.add("role_slugs", "not with role_slug")
	case in.RoleSlug.Set:
		cs.notNull("role_slug", in.RoleSlug)
		return []string{in.RoleSlug.V}
	case in.RoleSlugs != nil:
		if len(*in.RoleSlugs) == 0 {
			cs.add("role_slugs", "at least one role")
		}
		return *in.RoleSlugs
	}
	return nil
}

func (in membershipRequest) input(cs *checks) rbac.MembershipInput {
	cs.need("user_id", in.UserID.Set && !in.UserID.Null && in.UserID.V != "")
	cs.need("organization_id", in.OrganizationID.Set && !in.OrganizationID.Null && in.OrganizationID.V != "")
	return rbac.MembershipInput{OrganizationID: in.OrganizationID.V, UserID: in.UserID.V, Roles: in.roles(cs)}
}

// createMembership creates an active membership, or reactivates an
// inactive one with the roles given (as WorkOS does).
func createMembership(c *call) (int, any, error) {
	var req membershipRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	in := req.input(&cs)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	return c.createMembership(in)
}

func (c *call) createMembership(in rbac.MembershipInput) (int, any, error) {
	ctx := c.r.Context()
	m, err := c.h.lib.createMembership(ctx, c.env, in)
	if err != nil {
		return 0, nil, err
	}
	obj, err := c.membership(ctx, m)
	if err != nil {
		return 0, nil, err
	}
	return created, obj, nil
}

// membership presents m with its organization's name.
func (c *call) membership(ctx context.Context, m rbac.Membership) (membershipObject, error) {
	o, err := c.h.lib.organization(ctx, c.env, m.OrganizationID)
	if err != nil {
		return membershipObject{}, err
	}
	return membership(m, o.Name), nil
}

func (c *call) membershipResult(m rbac.Membership, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	obj, err := c.membership(c.r.Context(), m)
	if err != nil {
		return 0, nil, err
	}
	return ok, obj, nil
}

func getMembership(c *call) (int, any, error) {
	return c.membershipResult(c.h.lib.membership(c.r.Context(), c.env, c.path("id")))
}

type updateMembershipRequest struct {
	RoleSlug  optString `json:"role_slug"`
	RoleSlugs *[]string `json:"role_slugs"`
}

// updateMembership replaces a membership's roles; with neither role_slug
// nor role_slugs it changes nothing and returns the membership.
func updateMembership(c *call) (int, any, error) {
	var req updateMembershipRequest
	if err := c.readBody(&req); err != nil {
		return 0, nil, err
	}
	var cs checks
	rs := membershipRequest{RoleSlug: req.RoleSlug, RoleSlugs: req.RoleSlugs}.roles(&cs)
	if err := cs.err(); err != nil {
		return 0, nil, err
	}
	ctx := c.r.Context()
	if rs == nil {
		return c.membershipResult(c.h.lib.membership(ctx, c.env, c.path("id")))
	}
	return c.membershipResult(c.h.lib.updateMembershipRoles(ctx, c.env, c.path("id"), rs))
}

func deleteMembership(c *call) (int, any, error) {
	if err := c.h.lib.deleteMembership(c.r.Context(), c.env, c.path("id")); err != nil {
		return 0, nil, err
	}
	return ok, nil, nil
}

func deactivateMembership(c *call) (int, any, error) {
	return c.membershipResult(c.h.lib.deactivateMembership(c.r.Context(), c.env, c.path("id")))
}

func reactivateMembership(c *call) (int, any, error) {
	return c.membershipResult(c.h.lib.reactivateMembership(c.r.Context(), c.env, c.path("id")))
}

// listMemberships lists memberships by organization_id and/or user_id (one
// is required), statuses (default: active only) and pages.
func listMemberships(c *call) (int, any, error) {
	q, err := c.query()
	if err != nil {
		return 0, nil, err
	}
	o, err := listParams(q)
	if err != nil {
		return 0, nil, err
	}
	var f rbac.MembershipFilter
	if f.OrganizationID, err = q.one("organization_id"); err != nil {
		return 0, nil, err
	}
	if f.UserID, err = q.one("user_id"); err != nil {
		return 0, nil, err
	}
	if f.OrganizationID == "" && f.UserID == "" {
		return 0, nil, &apiError{status: http.StatusBadRequest, body: errorBody{Code: codeMissingFilter,
			Message: "Either organization_id or user_id is required."}}
	}
	for _, s := range q.list("statuses") {
		st := rbac.MembershipStatus(s)
		if st != rbac.StatusActive && st != rbac.StatusInactive && st != rbac.StatusPending {
			return 0, nil, invalidQuery(fieldError{Field: "statuses", Code: "active, inactive or pending"})
		}
		f.Statuses = append(f.Statuses, st)
	}
	ctx := c.r.Context()
	names := map[string]string{}
	if f.OrganizationID != "" {
		org, err := c.h.lib.organization(ctx, c.env, f.OrganizationID)
		if err != nil {
			return 0, nil, err
		}
		names[org.ID] = org.Name
	}
	p, err := c.h.lib.listMemberships(ctx, c.env, f, o)
	if err != nil {
		return 0, nil, err
	}
	for _, m := range p.data {
		if _, known := names[m.OrganizationID]; !known {
			org, err := c.h.lib.organization(ctx, c.env, m.OrganizationID)
			if err != nil {
				return 0, nil, err
			}
			names[org.ID] = org.Name
		}
	}
	return ok, list(p, func(m rbac.Membership) membershipObject { return membership(m, names[m.OrganizationID]) }), nil
}
