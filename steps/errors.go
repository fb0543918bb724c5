package steps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/icscert/icscert/reports"
)

// TargetError is returned by the instrumented client when the target could not be tested: no
// response (connection refused, reset, DNS), a per-request timeout, the scenario's timeout, or
// an interrupted run. The runner maps it to an ERROR verdict, never to FAIL.
type TargetError struct {
	Op  string // "GET /v1/children/…"
	Err error
}

func (e *TargetError) Error() string { return fmt.Sprintf("target not testable: %s: %v", e.Op, e.Err) }

// Unwrap returns the underlying transport or context error.
func (e *TargetError) Unwrap() error { return e.Err }

// ConfigError is a defect of the harness or the suite, not of the target: a request the
// harness built that breaks the contract without being marked deliberately invalid, an unknown
// actor or child alias, an undefined or ambiguous step. The runner maps it to CONFIG.
type ConfigError struct {
	Err error
}

func (e *ConfigError) Error() string { return "harness or suite defect: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// Configf returns a *ConfigError with a formatted message.
func Configf(format string, args ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, args...)}
}

// AssertionError is a scenario's own check that the target failed: what was expected, what
// came back and where. Returned from a step, it makes the scenario FAIL. Requirements names the
// requirements it counts against; empty means the scenario's requirement tags. Evidence names
// the responses behind it; empty means those the step received, else the latest one.
type AssertionError struct {
	Requirements []string
	// Party and Role name the system at fault in a transfer between the target and the peer
	// (reports.Failure): empty Party is the target; empty Role is a fault of the party's own
	// API rather than of the exchange.
	Party, Role string
	Pointer     string // JSON Pointer into the response body, or "header:Name"
	Expected    string
	Actual      string
	Message     string
	Evidence    []*Response
	// Seen are further evidence: exchanges between the two systems that a capture proxy saw
	// (Wire), already redacted.
	Seen []reports.Exchange
}

func (e *AssertionError) Error() string {
	var b strings.Builder
	if len(e.Requirements) > 0 {
		b.WriteString(strings.Join(e.Requirements, ", "))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Pointer != "" {
		fmt.Fprintf(&b, " at %s", e.Pointer)
	}
	if e.Expected != "" || e.Actual != "" {
		fmt.Fprintf(&b, ": expected %s, got %s", e.Expected, e.Actual)
	}
	return b.String()
}

// Failf returns an *AssertionError attributed to the scenario's requirement tags.
func Failf(pointer, expected, actual, format string, args ...any) error {
	return &AssertionError{Pointer: pointer, Expected: expected, Actual: actual, Message: fmt.Sprintf(format, args...)}
}

// Attribute returns err attributed to the requirements reqs instead of the scenario's tags.
// A nil err stays nil, and a *TargetError or *ConfigError is returned unchanged (they are not
// failures of a requirement). Any other error becomes an *AssertionError naming reqs.
//
//	return steps.Attribute(w.ExpectNoField("/address"), "SENS-004")
func Attribute(err error, reqs ...string) error {
	if err == nil {
		return nil
	}
	var te *TargetError
	var ce *ConfigError
	if errors.As(err, &te) || errors.As(err, &ce) {
		return err
	}
	var ae *AssertionError
	if errors.As(err, &ae) {
		c := *ae
		c.Requirements = append([]string(nil), reqs...)
		return &c
	}
	return &AssertionError{Requirements: append([]string(nil), reqs...), Message: err.Error()}
}
