package ident

import "errors"

// Problem codes carried by Error.Code. They are the API's published codes (spec.ErrorCodes).
const (
	CodeInvalidNHS   = "INVALID_NHS_NUMBER"
	CodeInvalidUPN   = "INVALID_UPN"
	CodeInvalidLA    = "INVALID_LA_CODE"
	CodeLATerminated = "LA_TERMINATED"
)

// Sentinels for errors.Is: errors.Is(err, ErrInvalidNHS) reports whether err is an *Error with
// Code INVALID_NHS_NUMBER, whatever its Reason. They must not be modified.
var (
	ErrInvalidNHS   = &Error{Code: CodeInvalidNHS}
	ErrInvalidUPN   = &Error{Code: CodeInvalidUPN}
	ErrInvalidLA    = &Error{Code: CodeInvalidLA}
	ErrLATerminated = &Error{Code: CodeLATerminated}
)

// Error is a failed identifier check. Code is one of INVALID_NHS_NUMBER, INVALID_UPN,
// INVALID_LA_CODE or LA_TERMINATED; Reason says in plain English which rule failed and never
// repeats the checked value; Successors lists the DfE codes of the live successor councils when
// Code is LA_TERMINATED (it may be empty when a council has no recorded successor).
type Error struct {
	Code       string
	Reason     string
	Successors []string
}

// Error returns "CODE: reason".
func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Code
	}
	return e.Code + ": " + e.Reason
}

// Is reports whether target is an *Error with the same Code, so that errors.Is works with the
// Err* sentinels.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the Code of the first *Error in err's chain, or "" when there is none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
