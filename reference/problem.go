package reference

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/icscert/icscert/spec"
)

// Problem codes the server answers with (spec.ErrorCodes).
const (
	codeMalformedJSON     = "MALFORMED_JSON"
	codeInvalidHeader     = "INVALID_HEADER"
	codeInvalidParameter  = "INVALID_PARAMETER"
	codePurposeRequired   = "PURPOSE_REQUIRED"
	codeBreakGlassReason  = "BREAK_GLASS_REASON_REQUIRED"
	codeInsufficient      = "INSUFFICIENT_SEARCH_CRITERIA"
	codeUnauthenticated   = "UNAUTHENTICATED"
	codeForbidden         = "FORBIDDEN"
	codeArchiveRestricted = "ARCHIVE_ACCESS_RESTRICTED"
	codeNotFound          = "NOT_FOUND"
	codeMethodNotAllowed  = "METHOD_NOT_ALLOWED"
	codeNotAcceptable     = "NOT_ACCEPTABLE"
	codeDuplicate         = "DUPLICATE_CANDIDATE"
	codeAlreadyWithdrawn  = "CONSENT_ALREADY_WITHDRAWN"
	codeInvalidState      = "INVALID_STATE"
	codeGone              = "GONE"
	codePreconditionFail  = "PRECONDITION_FAILED"
	codeTooLarge          = "PAYLOAD_TOO_LARGE"
	codeUnsupportedMedia  = "UNSUPPORTED_MEDIA_TYPE"
	codeValidationFailed  = "VALIDATION_FAILED"
	codeUnknownCode       = "UNKNOWN_CODE"
	codeTooManyMatches    = "TOO_MANY_MATCHES"
	codeKeyReused         = "IDEMPOTENCY_KEY_REUSED"
	codePreconditionReq   = "PRECONDITION_REQUIRED"
	codeInternal          = "INTERNAL_ERROR"
	codeUnavailable       = "SERVICE_UNAVAILABLE"
)

// problemTypeBase prefixes the kebab-case code in a problem's type URI.
const problemTypeBase = "https://icscert.example/problems/"

// result is what an operation answers: a status with a JSON body or a problem, and the
// headers that go with it. Build one with ok, created or problem.
type result struct {
	status   int
	body     any    // encoded as JSON, unless raw is set
	raw      []byte // the encoded body (an idempotent replay carries it ready-made)
	etag     int64  // version for a strong ETag; 0 for none
	location string
	header   http.Header // further headers (Allow, Retry-After, WWW-Authenticate)
	problem  *spec.Problem
}

// ok returns a 200 result with body.
func ok(body any) *result { return &result{status: http.StatusOK, body: body} }

// created returns a 201 result with body.
func created(body any) *result { return &result{status: http.StatusCreated, body: body} }

// withETag sets the result's ETag to version.
func (r *result) withETag(version int64) *result {
	r.etag = version
	return r
}

// failed reports whether the result is a refusal or a fault.
func (r *result) failed() bool { return r.status >= 400 }

// problem returns a problem result for a registered code. detail must not contain personal
// data. An unregistered code is a programming error.
func problem(code, detail string) *result {
	e, found := spec.LookupError(code)
	if !found {
		panic(fmt.Sprintf("reference: unregistered problem code %q", code))
	}
	return &result{status: e.Status, problem: &spec.Problem{
		Type:   problemTypeBase + strings.ToLower(strings.ReplaceAll(code, "_", "-")),
		Title:  e.Title,
		Status: e.Status,
		Code:   code,
		Detail: detail,
	}}
}

// invalid returns the 422 problem for a body's field errors (ERR-002): every error at once,
// with the shared field code as the top-level code when there is one registered as a problem
// code, else VALIDATION_FAILED.
func invalid(e *fieldErrors) *result {
	errs := e.sorted()
	code := codeValidationFailed
	shared := errs[0].Code
	for _, fe := range errs[1:] {
		if fe.Code != shared {
			shared = ""
			break
		}
	}
	if reg, found := spec.LookupError(shared); found && reg.Status == http.StatusUnprocessableEntity {
		code = shared
	}
	noun := "errors"
	if len(errs) == 1 {
		noun = "error"
	}
	res := problem(code, fmt.Sprintf("The request body has %d field %s; see errors.", len(errs), noun))
	res.problem.Errors = errs
	if len(e.successors) > 0 {
		res.problem.Successors = e.successors
	}
	return res
}

// fieldProblem returns a 422 problem with one field error.
func fieldProblem(ptr, fieldCode, detail string) *result {
	e := &fieldErrors{}
	e.add(ptr, fieldCode, detail)
	return invalid(e)
}

// unauthenticated is the 401 answer to a missing or unacceptable token (AUTH-001).
func unauthenticated() *result {
	res := problem(codeUnauthenticated, "A valid bearer token is required.")
	res.header = http.Header{"Www-Authenticate": {`Bearer realm="child-record-exchange"`}}
	return res
}

// forbidden is the 403 answer to an operation the caller may not do (AUTH-002).
func forbidden() *result {
	return problem(codeForbidden, "The caller's role or council may not do this.")
}

// notFound is the 404 answer to an unknown resource, or one the caller may not see.
func notFound() *result {
	return problem(codeNotFound, "No such resource.")
}

// invalidState is the 409 answer to an operation the resource's state does not allow.
func invalidState(detail string) *result {
	return problem(codeInvalidState, detail)
}

// internalError is the 500 answer to a fault; it never carries the fault itself.
func internalError() *result {
	return problem(codeInternal, "The server failed; the request changed nothing.")
}
