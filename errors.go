package rbac

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind classifies an [Error]. Every error the library returns for a bad
// request has one of these kinds; an HTTP layer can map a kind to a status
// code with [HTTPStatus].
type Kind uint8

// The kinds of [Error].
const (
	KindInternal            Kind = iota // a store failure, not the caller's fault
	KindNotFound                        // a named environment, organization, role, permission, membership or mapping does not exist
	KindInvalid                         // the input breaks a rule; Field and Rule say which
	KindConflict                        // the request contradicts the current state (slug taken, role in use, …)
	KindReplacementRequired             // deleting a role needs a replacement default role
	KindCanceled                        // the caller's context ended before the call finished; nothing was written
	KindOutcomeUnknown                  // the store could not tell whether the write committed
)

func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindReplacementRequired:
		return "replacement required"
	case KindCanceled:
		return "canceled"
	case KindOutcomeUnknown:
		return "outcome unknown"
	default:
		return "internal"
	}
}

// Error codes. Where WorkOS defines a code for the same failure the library
// uses it, so an HTTP layer can pass codes through unchanged.
const (
	CodeInvalid                      = "invalid"                                           // a field breaks a rule (Field, Rule)
	CodeInvalidRole                  = "invalid_role"                                      // [W] a role that is not visible where it is used
	CodeRoleSlugConflict             = "role_slug_conflict"                                // [W]
	CodeOrganizationRoleSlugConflict = "organization_role_slug_conflict"                   // [W]
	CodePermissionSlugConflict       = "permission_slug_conflict"                          // [W]
	CodeRoleHasAssignments           = "role_has_assignments"                              // [W]
	CodeRoleHasGroupRoleMappings     = "role_has_group_role_mappings"                      // [W]
	CodeRoleIsDefault                = "role_is_default"                                   // deleting a default role without a replacement
	CodeMultipleRolesNotEnabled      = "multiple_roles_not_enabled"                        // [W]
	CodeCannotReactivatePending      = "cannot_reactivate_pending_organization_membership" // [W]
	CodeCannotDeactivatePending      = "cannot_deactivate_pending_organization_membership" // [W]
	CodeMembershipAlreadyExists      = "organization_membership_already_exists"            // [W]
	CodeMembershipNotPending         = "organization_membership_not_pending"               // accepting a membership that is not pending
	CodeSystemPermission             = "system_permission"                                 // system permissions cannot be deleted
	CodeEnvironmentExists            = "environment_already_exists"
	CodeOrganizationExists           = "organization_already_exists"
	CodeExternalIDAlreadyUsed        = "external_id_already_used" // [W] another organization has the external id
	CodeGroupMappingConflict         = "group_role_mapping_conflict"
	CodeReplacementRequired          = "replacement_role_required"
	CodeEnvironmentNotFound          = "environment_not_found"
	CodeOrganizationNotFound         = "organization_not_found"
	CodeRoleNotFound                 = "role_not_found"
	CodePermissionNotFound           = "permission_not_found"
	CodeMembershipNotFound           = "organization_membership_not_found"
	CodeGroupMappingNotFound         = "group_role_mapping_not_found"
	CodeCanceled                     = "canceled"               // the context was canceled or its deadline passed
	CodeOutcomeUnknown               = "commit_outcome_unknown" // the connection broke while the store committed
	CodeInternal                     = "internal"
)

// Error is the error type of every failure the library reports. Use
// [errors.Is] with the sentinels below to test the kind or the code, and
// [errors.As] to read the details:
//
//	var e *rbac.Error
//	if errors.As(err, &e) && e.Code == rbac.CodeInvalidRole { … }
type Error struct {
	Kind    Kind
	Code    string // a WorkOS error code where one exists, else one of the Code constants
	Field   string // for KindInvalid: the input field at fault ("slug", "name", "roles", …)
	Rule    string // for KindInvalid: the rule it breaks, in words
	Message string // a sentence for humans

	// Organizations lists the organizations concerned, for
	// KindReplacementRequired (organizations whose default is the role
	// being deleted) and for role conflicts.
	Organizations []string
	// EnvironmentDefault is set with KindReplacementRequired when the role
	// being deleted is the environment default.
	EnvironmentDefault bool

	Err error // the underlying cause, for KindInternal
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rbac: ")
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(e.Kind.String())
	}
	if e.Code != "" && e.Code != CodeInvalid && e.Code != CodeInternal {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel that matches e: a kind sentinel
// ([ErrNotFound], [ErrInvalid], …) matches every error of its kind, a code
// sentinel ([ErrInvalidRole], …) every error with that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Code != "" {
		return e.Code == t.Code
	}
	return e.Kind == t.Kind
}

// Kind sentinels, for errors.Is.
var (
	ErrNotFound            = &Error{Kind: KindNotFound}
	ErrInvalid             = &Error{Kind: KindInvalid}
	ErrConflict            = &Error{Kind: KindConflict}
	ErrReplacementRequired = &Error{Kind: KindReplacementRequired}
	ErrInternal            = &Error{Kind: KindInternal}
	// ErrCanceled matches the errors of calls whose context was canceled
	// or expired before they finished. Such a call changed nothing. The
	// error also matches the context's own error: errors.Is(err,
	// context.Canceled) or errors.Is(err, context.DeadlineExceeded).
	ErrCanceled = &Error{Kind: KindCanceled}
	// ErrOutcomeUnknown matches the error of a write whose commit was
	// sent to the store but whose answer never came back (the connection
	// broke during the commit): the write may or may not be stored. Read
	// the state again before retrying. The Service tells its OnCommit
	// handlers (see [Commit]), so caches in the process catch up either
	// way.
	ErrOutcomeUnknown = &Error{Kind: KindOutcomeUnknown}
)

// Code sentinels, for errors.Is.
var (
	ErrInvalidRole                  = &Error{Kind: KindInvalid, Code: CodeInvalidRole}
	ErrRoleSlugConflict             = &Error{Kind: KindConflict, Code: CodeRoleSlugConflict}
	ErrOrganizationRoleSlugConflict = &Error{Kind: KindConflict, Code: CodeOrganizationRoleSlugConflict}
	ErrPermissionSlugConflict       = &Error{Kind: KindConflict, Code: CodePermissionSlugConflict}
	ErrRoleHasAssignments           = &Error{Kind: KindConflict, Code: CodeRoleHasAssignments}
	ErrRoleHasGroupRoleMappings     = &Error{Kind: KindConflict, Code: CodeRoleHasGroupRoleMappings}
	ErrRoleIsDefault                = &Error{Kind: KindConflict, Code: CodeRoleIsDefault}
	ErrMultipleRolesNotEnabled      = &Error{Kind: KindInvalid, Code: CodeMultipleRolesNotEnabled}
	ErrCannotReactivatePending      = &Error{Kind: KindConflict, Code: CodeCannotReactivatePending}
	ErrCannotDeactivatePending      = &Error{Kind: KindConflict, Code: CodeCannotDeactivatePending}
	ErrMembershipAlreadyExists      = &Error{Kind: KindConflict, Code: CodeMembershipAlreadyExists}
	ErrMembershipNotPending         = &Error{Kind: KindConflict, Code: CodeMembershipNotPending}
	ErrSystemPermission             = &Error{Kind: KindConflict, Code: CodeSystemPermission}
	ErrEnvironmentExists            = &Error{Kind: KindConflict, Code: CodeEnvironmentExists}
	ErrOrganizationExists           = &Error{Kind: KindConflict, Code: CodeOrganizationExists}
	ErrExternalIDAlreadyUsed        = &Error{Kind: KindConflict, Code: CodeExternalIDAlreadyUsed}
	ErrGroupMappingConflict         = &Error{Kind: KindConflict, Code: CodeGroupMappingConflict}
)

// StatusClientClosedRequest is the status [HTTPStatus] gives a canceled
// call: the caller went away or gave up (the code nginx uses for it).
const StatusClientClosedRequest = 499

// HTTPStatus maps an error to the HTTP status a JSON API would answer with:
// 404 not found, 422 invalid input, 409 conflict and replacement required,
// 499 canceled (the request's context ended), 503 outcome unknown (the
// client may read the state and retry), 500 otherwise.
func HTTPStatus(err error) int {
	var e *Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError
	}
	switch e.Kind {
	case KindNotFound:
		return http.StatusNotFound
	case KindInvalid:
		return http.StatusUnprocessableEntity
	case KindConflict, KindReplacementRequired:
		return http.StatusConflict
	case KindCanceled:
		return StatusClientClosedRequest
	case KindOutcomeUnknown:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func invalidf(field, rule, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: CodeInvalid, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

func invalidRole(slug string) *Error {
	return &Error{Kind: KindInvalid, Code: CodeInvalidRole, Field: "role", Rule: "must be a role visible in the organization",
		Message: fmt.Sprintf("Role '%s' is not a valid role.", slug)}
}

func notFound(code, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Code: code, Message: fmt.Sprintf(format, args...)}
}

func conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// internal wraps a store failure. Errors that are already *Error pass
// through unchanged; a context's error becomes a KindCanceled error that
// still matches it.
func internal(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return canceled(err)
	}
	return &Error{Kind: KindInternal, Code: CodeInternal, Message: "store failure", Err: err}
}

// canceled wraps a context's error.
func canceled(err error) *Error {
	msg := "the call was canceled before it finished"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the call's deadline passed before it finished"
	}
	return &Error{Kind: KindCanceled, Code: CodeCanceled, Message: msg + "; nothing was written", Err: err}
}
