package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Where a Violation was found.
const (
	WhereRequest  = "request"
	WhereResponse = "response"
	// WhereBody marks violations from ValidateSchema, which knows no direction.
	WhereBody = "body"
)

// maxActual is how many characters of an actual value a Violation keeps.
const maxActual = 200

// absent is the Actual of a Violation about something missing.
const absent = "(absent)"

// Violation is one way an exchange breaks the contract.
type Violation struct {
	// Where is WhereRequest or WhereResponse (WhereBody from ValidateSchema).
	Where string `json:"where"`
	// Pointer locates the fault: an RFC 6901 JSON Pointer into the body ("" for the whole body
	// or the exchange as a whole), "header:Name", or "query:name" / "path:name" for a
	// parameter.
	Pointer string `json:"pointer"`
	// Field is the schema keyword that failed, e.g. enum, format, required, type, pattern,
	// additionalProperties, or content (media type), status, x-error-codes.
	Field string `json:"field,omitempty"`
	// Expected is a short human form of the constraint, e.g. `format date (YYYY-MM-DD)` or
	// `one of MALE, FEMALE, ...`.
	Expected string `json:"expected,omitempty"`
	// Actual is the actual value, JSON-encoded and cut to 200 characters, or "(absent)".
	Actual string `json:"actual,omitempty"`
	// Message says what is wrong without repeating the value.
	Message string `json:"message"`
}

// String renders v on one line: where, pointer, field, expected versus actual, and message.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Where)
	if v.Pointer != "" {
		b.WriteByte(' ')
		b.WriteString(v.Pointer)
	}
	if v.Field != "" {
		b.WriteString(" [")
		b.WriteString(v.Field)
		b.WriteByte(']')
	}
	b.WriteString(": ")
	b.WriteString(v.Message)
	if v.Expected != "" || v.Actual != "" {
		b.WriteString(" (expected ")
		b.WriteString(orDash(v.Expected))
		b.WriteString(", got ")
		b.WriteString(orDash(v.Actual))
		b.WriteByte(')')
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Result is the outcome of checking one exchange: the operationId it matched ("" when none)
// and every violation found, requests first.
type Result struct {
	Operation  string      `json:"operation"`
	Violations []Violation `json:"violations,omitempty"`
}

// OK reports whether the exchange conforms.
func (r Result) OK() bool { return len(r.Violations) == 0 }

// RequestViolations returns the violations found in the request.
func (r Result) RequestViolations() []Violation { return r.where(WhereRequest) }

// ResponseViolations returns the violations found in the response.
func (r Result) ResponseViolations() []Violation { return r.where(WhereResponse) }

func (r Result) where(w string) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Where == w {
			out = append(out, v)
		}
	}
	return out
}

// Check validates one recorded exchange against the contract: the request (method, path,
// parameters, body reqBody) and the response (status, headers respHeader, body respBody).
//
// Headers that are server behaviours under test (If-Match, X-Purpose-Of-Use) are optional in
// the document, so their absence is never a violation. A status the operation does not declare
// explicitly is a violation even though a default problem response exists. A problem body
// whose status differs from the HTTP status, or whose code the registry gives another status,
// is a violation. A method the contract does not define on an existing path conforms only when
// answered 405 with a problem.
//
// Check does not modify req or read req.Body (reqBody is the body); it is safe for concurrent
// use.
func (c *Contract) Check(req *http.Request, reqBody []byte, status int, respHeader http.Header, respBody []byte) Result {
	if req == nil || req.URL == nil {
		return Result{Violations: []Violation{{Where: WhereRequest, Message: "no request to check"}}}
	}
	if respHeader == nil {
		respHeader = http.Header{}
	}
	ctx := context.Background()
	r := cloneRequest(ctx, req, reqBody)

	route, pathParams, err := c.Router.FindRoute(r)
	if err != nil {
		noOp := fmt.Sprintf("no operation in the contract for %s %s", req.Method, req.URL.EscapedPath())
		if !errors.Is(err, routers.ErrMethodNotAllowed) {
			return Result{Violations: []Violation{{Where: WhereRequest, Message: noOp}}}
		}
		if status != http.StatusMethodNotAllowed {
			return Result{Violations: []Violation{{
				Where: WhereResponse, Field: "status", Expected: "405", Actual: strconv.Itoa(status),
				Message: noOp + ": the method is not allowed, so the answer must be 405 METHOD_NOT_ALLOWED",
			}}}
		}
		route = &routers.Route{Spec: c.Doc, Path: req.URL.Path, Method: req.Method, Operation: c.methodNotAllowed}
		var res Result
		c.checkResponse(ctx, &res, route, r, nil, status, respHeader, respBody)
		return res
	}

	res := Result{Operation: route.Operation.OperationID}
	opts := &openapi3filter.Options{
		MultiError:          true,
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults: true,
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		res.Violations = append(res.Violations, violationsOf(WhereRequest, err)...)
	}
	c.checkResponse(ctx, &res, route, r, pathParams, status, respHeader, respBody)
	return res
}

// cloneRequest returns a copy of req that kin-openapi may consume and modify, with a fresh
// reader over body.
func cloneRequest(ctx context.Context, req *http.Request, body []byte) *http.Request {
	r := req.Clone(ctx)
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
	} else {
		r.Body, _ = r.GetBody()
	}
	return r
}

// checkResponse validates the status, headers and body of a response to route's operation.
func (c *Contract) checkResponse(ctx context.Context, res *Result, route *routers.Route, r *http.Request,
	pathParams map[string]string, status int, header http.Header, body []byte,
) {
	op := route.Operation
	name := op.OperationID
	if name == "" {
		name = r.Method + " " + route.Path
	}
	if !declared(op.Responses, status) {
		res.Violations = append(res.Violations, Violation{
			Where: WhereResponse, Field: "status", Expected: "one of " + strings.Join(declaredStatuses(op.Responses), ", "),
			Actual:  strconv.Itoa(status),
			Message: fmt.Sprintf("status %d is not declared for operation %s", status, name),
		})
	}
	resp := op.Responses.Status(status)
	if resp == nil {
		resp = op.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return
	}
	res.Violations = append(res.Violations, checkHeaders(resp.Value, header)...)

	bodyRoute := *route
	bodyRoute.Operation = c.bodyOnly[op]
	opts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: &bodyRoute, Options: opts},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		vs := violationsOf(WhereResponse, err)
		for i := range vs {
			if vs[i].Field == "content" {
				vs[i].Expected = strings.Join(mediaTypes(resp.Value.Content), " or ")
				vs[i].Actual = header.Get("Content-Type")
				if vs[i].Actual == "" {
					vs[i].Actual = absent
				}
			}
		}
		res.Violations = append(res.Violations, vs...)
	}
	res.Violations = append(res.Violations, checkProblem(status, header, body)...)
}

// declared reports whether responses names status explicitly, by code or by range (4XX);
// default does not count.
func declared(responses *openapi3.Responses, status int) bool {
	if responses.Value(strconv.Itoa(status)) != nil {
		return true
	}
	if status >= 100 && status < 600 {
		return responses.Value(strconv.Itoa(status/100)+"XX") != nil
	}
	return false
}

// declaredStatuses lists the explicit statuses of responses in order.
func declaredStatuses(responses *openapi3.Responses) []string {
	var out []string
	for code := range responses.Map() {
		if code != "default" {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// mediaTypes lists the media types of content in order.
func mediaTypes(content openapi3.Content) []string {
	out := make([]string, 0, len(content))
	for mt := range content {
		out = append(out, mt)
	}
	slices.Sort(out)
	return out
}

// checkHeaders validates the headers resp declares: presence of the required ones and the
// schema of each present one.
func checkHeaders(resp *openapi3.Response, header http.Header) []Violation {
	names := make([]string, 0, len(resp.Headers))
	for name := range resp.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []Violation
	for _, name := range names {
		ref := resp.Headers[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		h := ref.Value
		ptr := "header:" + name
		values := headerValues(header, name)
		if len(values) == 0 {
			if h.Required {
				out = append(out, Violation{
					Where: WhereResponse, Pointer: ptr, Field: "required", Expected: "header " + name + " present",
					Actual: absent, Message: fmt.Sprintf("response header %s is missing", name),
				})
			}
			continue
		}
		if h.Schema == nil || h.Schema.Value == nil {
			continue
		}
		schema := h.Schema.Value
		var value any = values[0]
		if schema.Type.Is(openapi3.TypeInteger) || schema.Type.Is(openapi3.TypeNumber) {
			n, err := strconv.ParseFloat(strings.TrimSpace(values[0]), 64)
			if err != nil {
				out = append(out, Violation{
					Where: WhereResponse, Pointer: ptr, Field: "type", Expected: expectedType(schema),
					Actual: actual(values[0]), Message: fmt.Sprintf("response header %s is not a number", name),
				})
				continue
			}
			value = n
		}
		if err := schema.VisitJSON(value, openapi3.MultiErrors()); err != nil {
			for _, v := range violationsOf(WhereResponse, err) {
				v.Pointer = ptr
				out = append(out, v)
			}
		}
	}
	return out
}

// headerValues returns the values of header name, matching the name case-insensitively even
// when header was built without canonical keys.
func headerValues(header http.Header, name string) []string {
	if v := header.Values(name); len(v) > 0 {
		return v
	}
	for k, v := range header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v
		}
	}
	return nil
}

// checkProblem checks a problem body against the registry (ERR-001): its status equals the
// HTTP status, and its code is registered with that status.
func checkProblem(status int, header http.Header, body []byte) []Violation {
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		return nil
	}
	var p struct {
		Status json.Number `json:"status"`
		Code   string      `json:"code"`
	}
	if json.Unmarshal(body, &p) != nil {
		return nil // the schema check already reported it
	}
	var out []Violation
	if p.Status != "" && p.Status.String() != strconv.Itoa(status) {
		out = append(out, Violation{
			Where: WhereResponse, Pointer: "/status", Field: "status", Expected: strconv.Itoa(status) + " (the HTTP status)",
			Actual: p.Status.String(), Message: "the problem's status differs from the HTTP status",
		})
	}
	if e, ok := LookupError(p.Code); ok && e.Status != status {
		out = append(out, Violation{
			Where: WhereResponse, Pointer: "/code", Field: "x-error-codes",
			Expected: fmt.Sprintf("a code registered with status %d", status), Actual: actual(p.Code),
			Message: fmt.Sprintf("problem code %s has status %d in the registry, but the response status is %d", p.Code, e.Status, status),
		})
	}
	return out
}

// ValidateSchema validates a JSON document against the named component schema (for example
// "Notification" for a webhook delivery) and returns its violations, with Where set to
// WhereBody. It is safe for concurrent use.
func (c *Contract) ValidateSchema(name string, body []byte) []Violation {
	ref := c.Doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return []Violation{{Where: WhereBody, Message: fmt.Sprintf("no schema %q in the contract", name)}}
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return []Violation{{Where: WhereBody, Field: "type", Expected: "JSON", Actual: actual(string(body)), Message: "the body is not JSON"}}
	}
	if err := ref.Value.VisitJSON(value, openapi3.MultiErrors()); err != nil {
		return violationsOf(WhereBody, err)
	}
	return nil
}

// violationsOf turns a kin-openapi validation error into violations, one per schema error.
func violationsOf(where string, err error) []Violation {
	var out []Violation
	collect(where, err, &out)
	// kin-openapi can report one fault twice through different wrappers.
	seen := make(map[Violation]bool, len(out))
	uniq := out[:0]
	for _, v := range out {
		if !seen[v] {
			seen[v] = true
			uniq = append(uniq, v)
		}
	}
	return uniq
}

// unexpectedContentType is how kin-openapi starts the reason of a media-type mismatch.
const unexpectedContentType = "header Content-Type has unexpected value"

func collect(where string, err error, out *[]Violation) {
	switch e := err.(type) { //nolint:errorlint // each wrapper is unpacked here, in order
	case nil:
	case openapi3.MultiError:
		for _, x := range e {
			collect(where, x, out)
		}
	case *openapi3filter.RequestError:
		var ptr string
		switch {
		case e.Parameter != nil:
			ptr = e.Parameter.In + ":" + e.Parameter.Name
		case strings.Contains(e.Reason, unexpectedContentType):
			ptr = "header:Content-Type"
		}
		wrapped(where, ptr, e.Error(), e.Err, e.Reason, out)
	case *openapi3filter.ResponseError:
		var ptr string
		if strings.Contains(e.Reason, unexpectedContentType) {
			ptr = "header:Content-Type"
		}
		wrapped(where, ptr, e.Error(), e.Err, e.Reason, out)
	case *openapi3.SchemaError:
		for _, se := range schemaLeaves(e) {
			*out = append(*out, fromSchemaError(where, se))
		}
	default:
		*out = append(*out, Violation{Where: where, Message: firstLine(err.Error())})
	}
}

// wrapped adds the violations of a RequestError or ResponseError: one per schema error inside
// it, or one for the error as a whole. A parameter's schema errors point at the parameter.
func wrapped(where, ptr, msg string, inner error, reason string, out *[]Violation) {
	leaves := schemaLeaves(inner)
	if len(leaves) == 0 {
		v := Violation{Where: where, Pointer: ptr, Message: firstLine(msg)}
		switch {
		case errors.Is(inner, openapi3filter.ErrInvalidRequired):
			v.Field, v.Actual = "required", absent
			if ptr == "" {
				v.Expected = "a body"
			} else {
				v.Expected = strings.Replace(ptr, ":", " ", 1) + " present"
			}
		case strings.Contains(reason, unexpectedContentType):
			v.Field = "content"
		}
		*out = append(*out, v)
		return
	}
	for _, se := range leaves {
		v := fromSchemaError(where, se)
		if ptr != "" {
			v.Pointer = ptr
		}
		*out = append(*out, v)
	}
}

// schemaLeaves returns the innermost schema errors within err. An allOf failure is replaced by
// the failures of its parts; any other schema error is a leaf.
func schemaLeaves(err error) []*openapi3.SchemaError {
	switch e := err.(type) { //nolint:errorlint // walks the tree itself
	case nil:
		return nil
	case openapi3.MultiError:
		var out []*openapi3.SchemaError
		for _, x := range e {
			out = append(out, schemaLeaves(x)...)
		}
		return out
	case *openapi3.SchemaError:
		if e.SchemaField == "allOf" && e.Origin != nil {
			if inner := schemaLeaves(e.Origin); len(inner) > 0 {
				return inner
			}
		}
		return []*openapi3.SchemaError{e}
	case interface{ Unwrap() []error }:
		var out []*openapi3.SchemaError
		for _, x := range e.Unwrap() {
			out = append(out, schemaLeaves(x)...)
		}
		return out
	case interface{ Unwrap() error }:
		return schemaLeaves(e.Unwrap())
	}
	return nil
}

// unsupported matches kin-openapi's reason for a property additionalProperties: false forbids.
var unsupported = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// fromSchemaError describes one schema error.
func fromSchemaError(where string, se *openapi3.SchemaError) Violation {
	path := se.JSONPointer()
	v := Violation{Where: where, Field: se.SchemaField, Message: firstLine(se.Reason), Actual: actual(se.Value)}
	if v.Message == "" {
		v.Message = fmt.Sprintf("value does not match %q", se.SchemaField)
	}
	s := se.Schema
	if s == nil {
		s = &openapi3.Schema{}
	}
	switch se.SchemaField {
	case "enum":
		v.Expected = "one of " + enumList(s.Enum)
		v.Message = "value is not one of the allowed values"
	case "format":
		v.Expected = expectedFormat(s.Format)
	case "type":
		v.Expected = expectedType(s)
	case "required":
		missing := ""
		if len(path) > 0 {
			missing = path[len(path)-1]
		}
		v.Expected = fmt.Sprintf("property %q present", missing)
		v.Actual = absent
	case "properties":
		if m := unsupported.FindStringSubmatch(se.Reason); m != nil {
			key := m[1]
			path = append(path, key)
			v.Field = "additionalProperties"
			v.Expected = "no property " + strconv.Quote(key)
			if obj, ok := se.Value.(map[string]any); ok {
				v.Actual = actual(obj[key])
			}
		}
	case "pattern":
		v.Expected = "matching " + s.Pattern
	case "minLength":
		v.Expected = fmt.Sprintf("at least %d %s", s.MinLength, plural(s.MinLength, "character"))
	case "maxLength":
		if s.MaxLength != nil {
			v.Expected = fmt.Sprintf("at most %d %s", *s.MaxLength, plural(*s.MaxLength, "character"))
		}
	case "minimum":
		if s.Min != nil {
			v.Expected = fmt.Sprintf("at least %g", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			v.Expected = fmt.Sprintf("at most %g", *s.Max)
		}
	case "minItems":
		v.Expected = fmt.Sprintf("at least %d %s", s.MinItems, plural(s.MinItems, "item"))
	case "maxItems":
		if s.MaxItems != nil {
			v.Expected = fmt.Sprintf("at most %d %s", *s.MaxItems, plural(*s.MaxItems, "item"))
		}
	case "minProperties":
		v.Expected = fmt.Sprintf("at least %d %s", s.MinProps, plural(s.MinProps, "property"))
	case "uniqueItems":
		v.Expected = "unique items"
	case "nullable":
		v.Expected = "a value, or the property absent (never null)"
	}
	v.Pointer = jsonPointer(path)
	return v
}

// jsonPointer renders path as an RFC 6901 pointer; the empty path is "".
func jsonPointer(path []string) string {
	if len(path) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(EscapePointerToken(p))
	}
	return b.String()
}

func plural(n uint64, noun string) string {
	switch {
	case n == 1:
		return noun
	case strings.HasSuffix(noun, "y"):
		return strings.TrimSuffix(noun, "y") + "ies"
	}
	return noun + "s"
}

func enumList(values []any) string {
	parts := make([]string, 0, len(values))
	for _, e := range values {
		parts = append(parts, fmt.Sprint(e))
	}
	return strings.Join(parts, ", ")
}

func expectedFormat(format string) string {
	switch format {
	case "date":
		return "format date (YYYY-MM-DD)"
	case "date-time":
		return "format date-time (RFC 3339, e.g. 2024-01-31T09:30:00Z)"
	}
	return "format " + format
}

func expectedType(s *openapi3.Schema) string {
	if s.Type == nil || len(s.Type.Slice()) == 0 {
		return "a value of the schema's type"
	}
	return "type " + strings.Join(s.Type.Slice(), " or ")
}

// actual renders a value as JSON, cut to maxActual characters.
func actual(value any) string {
	b, err := json.Marshal(value)
	if err != nil {
		b = []byte(fmt.Sprintf("%q", fmt.Sprint(value)))
	}
	s := string(b)
	if utf8.RuneCountInString(s) <= maxActual {
		return s
	}
	r := []rune(s)
	return string(r[:maxActual]) + "…"
}

// firstLine keeps the first line of a message; kin-openapi appends schema dumps after it.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
