package steps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// Assertions on the latest response (World.Last). Each returns nil or an error to return from
// the step: an *AssertionError (FAIL, attributed to the scenario's requirement tags unless
// wrapped with Attribute) or a *ConfigError when there is no response to check.

// Response returns the latest response, or a *ConfigError if the scenario has sent nothing.
func (w *World) Response() (*Response, error) {
	if w.Last == nil {
		return nil, Configf("no response to check: the scenario has not sent a request yet")
	}
	return w.Last, nil
}

// ExpectStatus checks the latest response's HTTP status.
func (w *World) ExpectStatus(want int) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	if r.Status != want {
		return &AssertionError{
			Message:  fmt.Sprintf("%s answered with the wrong status", opName(r.Operation, r.Exchange.Method+" "+r.Exchange.URL)),
			Pointer:  "status",
			Expected: strconv.Itoa(want),
			Actual:   strconv.Itoa(r.Status) + problemHint(r),
		}
	}
	return nil
}

// problemHint names the problem code of an error response, to make a wrong status readable.
func problemHint(r *Response) string {
	if code, ok := r.At("/code"); ok {
		if s, ok := code.(string); ok {
			return " " + s
		}
	}
	return ""
}

// ExpectField checks that the value at JSON Pointer ptr of the latest response body equals
// want (a decoded JSON value: string, json.Number, bool, nil, []any or map[string]any; plain Go
// numbers and other values are compared through their JSON encoding).
func (w *World) ExpectField(ptr string, want any) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	want = normaliseJSON(want)
	got, ok := r.At(ptr)
	if !ok {
		return &AssertionError{Message: "the response has no such field", Pointer: ptr, Expected: Render(want), Actual: absent}
	}
	if !JSONEqual(got, want) {
		return &AssertionError{Message: "the response field has the wrong value", Pointer: ptr, Expected: Render(want), Actual: Render(got)}
	}
	return nil
}

// normaliseJSON turns a Go value into the decoded-JSON form JSONEqual compares.
func normaliseJSON(v any) any {
	switch v.(type) {
	case nil, string, bool, json.Number, map[string]any, []any:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	out, err := decodeJSON(b)
	if err != nil {
		return v
	}
	return out
}

// ExpectFieldPresent checks that the latest response body has a value at ptr.
func (w *World) ExpectFieldPresent(ptr string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	if _, ok := r.At(ptr); !ok {
		return &AssertionError{Message: "the response lacks a field", Pointer: ptr, Expected: "present", Actual: absent}
	}
	return nil
}

// ExpectNoField checks that the latest response body has nothing at ptr (absent, not null).
func (w *World) ExpectNoField(ptr string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	if got, ok := r.At(ptr); ok {
		return &AssertionError{Message: "the response has a field it must not have", Pointer: ptr, Expected: absent, Actual: Render(got)}
	}
	return nil
}

// ExpectNoMemberAnywhere checks that no object anywhere in the latest response body has a
// member called name, and reports the first one found.
func (w *World) ExpectNoMemberAnywhere(name string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	doc, err := r.JSON()
	if err != nil {
		return nil
	}
	if ptr, v, ok := findMember(doc, "", name); ok {
		return &AssertionError{Message: fmt.Sprintf("the response has a %q field it must not have", name), Pointer: ptr, Expected: absent, Actual: Render(v)}
	}
	return nil
}

func findMember(node any, at, name string) (string, any, bool) {
	switch n := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ptr := spec.AppendPointer(at, k)
			if k == name {
				return ptr, n[k], true
			}
			if p, v, ok := findMember(n[k], ptr, name); ok {
				return p, v, true
			}
		}
	case []any:
		for i, x := range n {
			if p, v, ok := findMember(x, at+"/"+strconv.Itoa(i), name); ok {
				return p, v, true
			}
		}
	}
	return "", nil, false
}

// ExpectHeader checks a response header's value.
func (w *World) ExpectHeader(name, want string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	got, ok := r.Header[http.CanonicalHeaderKey(name)]
	if !ok {
		return &AssertionError{Message: "the response lacks a header", Pointer: "header:" + name, Expected: strconv.Quote(want), Actual: absent}
	}
	if v := strings.Join(got, ", "); v != want {
		return &AssertionError{Message: "the response header has the wrong value", Pointer: "header:" + name, Expected: strconv.Quote(want), Actual: strconv.Quote(v)}
	}
	return nil
}

// ExpectHeaderPresent checks that the response carries header name.
func (w *World) ExpectHeaderPresent(name string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	if r.Header.Get(name) == "" {
		return &AssertionError{Message: "the response lacks a header", Pointer: "header:" + name, Expected: "present", Actual: absent}
	}
	return nil
}

// ExpectETagMatchesVersion checks that the ETag header is the body's version as a strong
// entity tag: version 3 goes with ETag "3".
func (w *World) ExpectETagMatchesVersion(header string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	v, ok := r.At("/version")
	if !ok {
		return &AssertionError{Message: "the record has no version", Pointer: "/version", Expected: "a version", Actual: absent}
	}
	want := strconv.Quote(strings.Trim(Render(v), `"`))
	got := r.Header.Get(header)
	if got != want {
		actual := strconv.Quote(got)
		if got == "" {
			actual = absent
		}
		return &AssertionError{Message: fmt.Sprintf("the %s header does not match the record's version", header), Pointer: "header:" + header, Expected: want, Actual: actual}
	}
	return nil
}

// ErrorFormatRequirement is the requirement an error response that is not a proper problem
// document counts against.
const ErrorFormatRequirement = "ERR-001"

// ExpectProblem checks that the latest response is a problem document with code, and records
// (without failing the step) any ERR-001 defect of its form: a correlationId that differs from
// the X-Correlation-ID the request sent or the response carries.
//
// If the response is not a problem document at all, the failure counts against ERR-001 only:
// whether the system refused for the right reason cannot be told, and the scenario's
// requirement must not fail for an error format it does not govern.
func (w *World) ExpectProblem(code string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	var p spec.Problem
	if mt := r.MediaType(); mt != "application/problem+json" {
		return Attribute(&AssertionError{
			Message:  "the error response is not a problem document",
			Pointer:  "header:Content-Type",
			Expected: "application/problem+json with code " + code,
			Actual:   orAbsent(r.Header.Get("Content-Type")),
		}, ErrorFormatRequirement)
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Code == "" {
		return Attribute(&AssertionError{
			Message:  "the problem document has no code",
			Pointer:  "/code",
			Expected: strconv.Quote(code),
			Actual:   absent,
		}, ErrorFormatRequirement)
	}
	sent := r.CorrelationID
	echoed := r.Header.Get("X-Correlation-ID")
	switch {
	case p.CorrelationID == "":
		w.recordErrorFormat(r, "/correlationId", "the problem has no correlationId", quoteOr(echoed), absent)
	case validCorrelationID(sent) && p.CorrelationID != sent:
		w.recordErrorFormat(r, "/correlationId", "the problem's correlationId is not the request's X-Correlation-ID", strconv.Quote(sent), strconv.Quote(p.CorrelationID))
	case echoed != "" && p.CorrelationID != echoed:
		w.recordErrorFormat(r, "/correlationId", "the problem's correlationId differs from the response's X-Correlation-ID", strconv.Quote(echoed), strconv.Quote(p.CorrelationID))
	}
	if p.Code != code {
		return &AssertionError{Message: "the problem has the wrong code", Pointer: "/code", Expected: strconv.Quote(code), Actual: strconv.Quote(p.Code)}
	}
	return nil
}

func (w *World) recordErrorFormat(r *Response, ptr, msg, expected, actual string) {
	w.Record(Finding{
		Verdict:      reports.Fail,
		Requirements: []string{ErrorFormatRequirement},
		Source:       "step",
		Failure: reports.Failure{
			Message:   msg,
			Pointer:   ptr,
			Expected:  expected,
			Actual:    actual,
			Exchanges: []reports.Exchange{r.Exchange},
		},
	})
}

// validCorrelationID reports whether id is a well-formed X-Correlation-ID (CONTRACT.md), one
// the server must echo.
func validCorrelationID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._:-", c)
		if !ok {
			return false
		}
	}
	return true
}

func orAbsent(s string) string {
	if s == "" {
		return absent
	}
	return strconv.Quote(s)
}

func quoteOr(s string) string {
	if s == "" {
		return "a correlation id"
	}
	return strconv.Quote(s)
}
