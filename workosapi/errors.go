package workosapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/orgroles/rbac"
)

// Error codes of the handler's own, for failures that happen before the
// library is called. Where WorkOS documents a code for the same failure the
// handler uses it.
const (
	codeBadRequest       = "bad_request"                        // malformed JSON or path (WorkOS)
	codeInvalidParams    = "invalid_request_parameters"         // a field or query parameter breaks a rule (WorkOS)
	codeMissingFilter    = "missing_user_id_or_organization_id" // WorkOS
	codeUnauthorized     = "unauthorized"                       // no valid API key
	codeNotFound         = "not_found"                          // no such route
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "request_entity_too_large"
	codeInternal         = "internal_error"
	codeResourceNotFound = "resource_not_found"
)

// errorBody is the JSON body of every error response: WorkOS's
// {"code", "message"}, with "errors" listing the fields at fault for
// validation failures (WorkOS's {"code", "field"} items). Organizations and
// EnvironmentDefault come with replacement_role_required, as the library
// reports them.
type errorBody struct {
	Code               string       `json:"code,omitempty"`
	Message            string       `json:"message"`
	Errors             []fieldError `json:"errors,omitempty"`
	Organizations      []string     `json:"organizations,omitempty"`
	EnvironmentDefault bool         `json:"environment_default,omitempty"`
}

// fieldError names a field at fault and the rule it breaks, in words.
type fieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
}

// apiError is an error the handler answers with as it is.
type apiError struct {
	status int
	body   errorBody
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.body.Code, e.body.Message)
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, body: errorBody{Code: codeBadRequest, Message: fmt.Sprintf(format, args...)}}
}

// invalidBody reports fields of a request body that break a rule (422).
func invalidBody(errs ...fieldError) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, body: errorBody{Code: codeInvalidParams,
		Message: validationMessage(errs), Errors: errs}}
}

// invalidQuery reports query parameters that break a rule (400, as WorkOS
// answers for its list parameters).
func invalidQuery(errs ...fieldError) *apiError {
	return &apiError{status: http.StatusBadRequest, body: errorBody{Code: codeInvalidParams,
		Message: validationMessage(errs), Errors: errs}}
}

func validationMessage(errs []fieldError) string {
	if len(errs) == 1 {
		return fmt.Sprintf("Validation failed: %s: %s.", errs[0].Field, errs[0].Code)
	}
	return fmt.Sprintf("Validation failed: %d fields are invalid.", len(errs))
}

// fieldNames renames the library's field names to the names of the request
// a route reads ("roles" is "role_slugs" in a membership request, …).
type fieldNames map[string]string

// errorResponse maps an error to its status and body. It is the one place
// where the library's error kinds and codes meet WorkOS's statuses:
//
//	not found                        404 with the library's code
//	invalid (a field breaks a rule)  422 invalid_request_parameters, errors [{field, code}]
//	invalid_role, multiple_roles_…   422 with the code (WorkOS)
//	conflict                         409 with the code, except:
//	  cannot_(de|re)activate_pending 400 (WorkOS)
//	  system_permission              403 (WorkOS refuses deleting a system permission with 403)
//	  external_id_already_used       400 (WorkOS)
//	replacement required             409 replacement_role_required, with the organizations
//	canceled                         499
//	outcome unknown                  503 commit_outcome_unknown
//	anything else                    500, with no detail in the body
//
// The statuses are those of [rbac.HTTPStatus] except where WorkOS answers
// otherwise.
func errorResponse(err error, names fieldNames) (int, errorBody) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.body
	}
	var e *rbac.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, errorBody{Code: codeInternal, Message: "The server failed to process the request."}
	}
	status := rbac.HTTPStatus(e)
	body := errorBody{Code: e.Code, Message: e.Message}
	switch e.Kind {
	case rbac.KindNotFound:
	case rbac.KindInvalid:
		if e.Code == rbac.CodeInvalid || e.Code == "" {
			field := e.Field
			if n, ok := names[field]; ok {
				field = n
			}
			rule := e.Rule
			if rule == "" {
				rule = "invalid"
			}
			body.Code = codeInvalidParams
			body.Errors = []fieldError{{Field: field, Code: rule}}
		}
	case rbac.KindConflict:
		switch e.Code {
		case rbac.CodeCannotDeactivatePending, rbac.CodeCannotReactivatePending:
			status = http.StatusBadRequest
		case rbac.CodeSystemPermission:
			status = http.StatusForbidden
		case rbac.CodeExternalIDAlreadyUsed:
			status = http.StatusBadRequest
		}
	case rbac.KindReplacementRequired:
		body.Organizations = e.Organizations
		body.EnvironmentDefault = e.EnvironmentDefault
	case rbac.KindCanceled:
		if body.Message == "" {
			body.Message = "The request was canceled before it finished; nothing was written."
		}
	case rbac.KindOutcomeUnknown:
		if body.Message == "" {
			body.Message = "The store could not tell whether the write was committed; read the state again before retrying."
		}
	default:
		return http.StatusInternalServerError, errorBody{Code: codeInternal, Message: "The server failed to process the request."}
	}
	if body.Message == "" {
		body.Message = e.Kind.String()
	}
	if body.Code == "" {
		body.Code = kindCodes[e.Kind]
	}
	return status, body
}

// kindCodes are the codes of errors that carry none (the library's kind
// sentinels).
var kindCodes = map[rbac.Kind]string{
	rbac.KindNotFound:            codeNotFound,
	rbac.KindInvalid:             codeInvalidParams,
	rbac.KindConflict:            "conflict",
	rbac.KindReplacementRequired: rbac.CodeReplacementRequired,
	rbac.KindCanceled:            rbac.CodeCanceled,
	rbac.KindOutcomeUnknown:      rbac.CodeOutcomeUnknown,
}
