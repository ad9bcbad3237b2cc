package workosapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orgroles/rbac"
)

// TestErrorResponse checks the one mapping from the library's errors to
// WorkOS's statuses and bodies.
func TestErrorResponse(t *testing.T) {
	names := fieldNames{"roles": "role_slugs"}
	for _, c := range []struct {
		err    error
		status int
		body   errorBody
	}{
		{&rbac.Error{Kind: rbac.KindNotFound, Code: rbac.CodeRoleNotFound, Message: "no role"}, 404,
			errorBody{Code: "role_not_found", Message: "no role"}},
		{&rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalid, Field: "roles", Rule: "at least one role", Message: "give a role"}, 422,
			errorBody{Code: "invalid_request_parameters", Message: "give a role", Errors: []fieldError{{Field: "role_slugs", Code: "at least one role"}}}},
		{&rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeInvalidRole, Field: "role", Message: "Role 'x' is not a valid role."}, 422,
			errorBody{Code: "invalid_role", Message: "Role 'x' is not a valid role."}},
		{&rbac.Error{Kind: rbac.KindInvalid, Code: rbac.CodeMultipleRolesNotEnabled, Field: "roles", Message: "one role"}, 422,
			errorBody{Code: "multiple_roles_not_enabled", Message: "one role"}},
		{&rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeRoleSlugConflict, Message: "taken"}, 409,
			errorBody{Code: "role_slug_conflict", Message: "taken"}},
		{&rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeCannotDeactivatePending, Message: "pending"}, 400,
			errorBody{Code: "cannot_deactivate_pending_organization_membership", Message: "pending"}},
		{&rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeCannotReactivatePending, Message: "pending"}, 400,
			errorBody{Code: "cannot_reactivate_pending_organization_membership", Message: "pending"}},
		{&rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeSystemPermission, Message: "system"}, 403,
			errorBody{Code: "system_permission", Message: "system"}},
		{&rbac.Error{Kind: rbac.KindConflict, Code: rbac.CodeExternalIDAlreadyUsed, Message: "used"}, 400,
			errorBody{Code: "external_id_already_used", Message: "used"}},
		{&rbac.Error{Kind: rbac.KindReplacementRequired, Code: rbac.CodeReplacementRequired, Message: "name one",
			Organizations: []string{"acme"}, EnvironmentDefault: true}, 409,
			errorBody{Code: "replacement_role_required", Message: "name one", Organizations: []string{"acme"}, EnvironmentDefault: true}},
		{fmt.Errorf("rbac: %w", &rbac.Error{Kind: rbac.KindCanceled, Code: rbac.CodeCanceled, Message: "gone", Err: context.Canceled}), 499,
			errorBody{Code: "canceled", Message: "gone"}},
		{fmt.Errorf("commit: %w", rbac.ErrOutcomeUnknown), 503,
			errorBody{Code: "commit_outcome_unknown", Message: "The store could not tell whether the write was committed; read the state again before retrying."}},
		{&rbac.Error{Kind: rbac.KindInternal, Code: rbac.CodeInternal, Message: "store failure", Err: errors.New("secret detail")}, 500,
			errorBody{Code: "internal_error", Message: "The server failed to process the request."}},
		{errors.New("secret detail"), 500, errorBody{Code: "internal_error", Message: "The server failed to process the request."}},
	} {
		status, body := errorResponse(c.err, names)
		if status != c.status {
			t.Errorf("%v: status %d, want %d", c.err, status, c.status)
		}
		if diff := cmp.Diff(c.body, body, cmp.AllowUnexported(errorBody{}, fieldError{})); diff != "" {
			t.Errorf("%v: body (-want +got):\n%s", c.err, diff)
		}
	}
}
