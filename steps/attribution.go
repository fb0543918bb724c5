package steps

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Attribution of contract violations to requirements.
//
// A violation found in a response is charged to the requirement it breaks, not to every
// requirement whose scenario happened to receive that response: a system that sends dates as
// dd/mm/yyyy fails READ-004, not each requirement whose scenarios read a child. The rules, first
// match wins:
//
//  1. x-requirement in the OpenAPI document (an id or a list of ids):
//     - a header violation: on the response's header object;
//     - a body violation: on the schemas along the violated JSON Pointer, $ref siblings
//     included (the deepest wins), else on the response object;
//     - a media-type or undeclared-status violation: on the response object.
//  2. The fallback table, FallbackRules, for what the document does not annotate.
//  3. The scenario's own requirement tags.
//
// Request-side violations are never attributed: they are harness defects (CONFIG), or ignored
// for requests the scenario marked deliberately invalid.

// ExtRequirement is the OpenAPI extension that names the requirement a schema, response or
// header enforces.
const ExtRequirement = "x-requirement"

// FallbackRule is one row of the fallback attribution table.
type FallbackRule struct {
	Name        string // shown as the attribution source, "fallback:<name>"
	Requirement string
	Doc         string
}

// FallbackRules is the documented fallback table, in the order it is applied. It holds only
// what cannot live in the contract: a rule for a class of statuses (every error response,
// including statuses an operation does not declare) and rules keyed by a schema's format or
// enum wherever it appears. Headers carry their x-requirement in components/headers.
var FallbackRules = []FallbackRule{
	{"problem", "ERR-001", "the status, media type or body of an error response (status >= 400): errors are problem+json with a registered code, the right status and the correlation id"},
	{"date-format", "READ-004", "a value of the wrong format or type where the schema has format date or date-time: dates round-trip as calendar dates"},
	{"code-value", "READ-004", "a value outside the enum of a code field: codes round-trip exactly"},
}

// site says where a response violation is, in terms the attribution rules understand.
type site struct {
	Operation   string // OpenAPI operationId; "" when the route is not in the document
	Status      int    // HTTP status of the response
	Header      string // header name, for a header violation
	Pointer     string // JSON Pointer into the body, for a body violation
	Keyword     string // the schema keyword that failed (format, enum, required, type…)
	ContentType bool   // the violation is about the response's media type
	// UndeclaredStatus says the operation does not declare the response's status.
	UndeclaredStatus bool
}

// attributor applies the attribution rules against one OpenAPI document. It is immutable and
// safe for concurrent use once built.
type attributor struct {
	ops map[string]*openapi3.Operation
}

func newAttributor(doc *openapi3.T) *attributor {
	a := &attributor{ops: map[string]*openapi3.Operation{}}
	if doc == nil || doc.Paths == nil {
		return a
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != "" {
				a.ops[op.OperationID] = op
			}
		}
	}
	return a
}

// attribute returns the requirements a response violation at s is charged to and the rule
// that chose them ("x-requirement", "fallback:<name>" or "scenario").
func (a *attributor) attribute(s site, scenarioReqs []string) ([]string, string) {
	var resp *openapi3.Response
	var respExt map[string]any
	if op := a.ops[s.Operation]; op != nil && op.Responses != nil {
		ref := op.Responses.Status(s.Status)
		if ref == nil {
			ref = op.Responses.Default()
		}
		if ref != nil && ref.Value != nil {
			resp = ref.Value
			respExt = mergeExt(ref.Extensions, ref.Value.Extensions)
		}
	}

	// Rule 1: x-requirement in the document.
	if resp != nil {
		var ids []string
		switch {
		case s.Header != "":
			if h := lookupHeader(resp.Headers, s.Header); h != nil {
				ids = extIDs(h.Extensions)
				if len(ids) == 0 && h.Value != nil {
					ids = extIDs(h.Value.Extensions)
				}
			}
		case s.ContentType, s.UndeclaredStatus:
			ids = extIDs(respExt)
		default:
			if ids, _ = a.schemaAlong(resp, s.Pointer); len(ids) == 0 {
				ids = extIDs(respExt)
			}
		}
		if len(ids) > 0 {
			return ids, "x-requirement"
		}
	}

	// Rule 2: the fallback table.
	if rule, ok := a.fallback(s, resp); ok {
		return []string{rule.Requirement}, "fallback:" + rule.Name
	}

	// Rule 3: the scenario's tags.
	return scenarioReqs, "scenario"
}

func (a *attributor) fallback(s site, resp *openapi3.Response) (FallbackRule, bool) {
	rule := func(name string) (FallbackRule, bool) {
		for _, r := range FallbackRules {
			if r.Name == name {
				return r, true
			}
		}
		return FallbackRule{}, false
	}
	header := http.CanonicalHeaderKey(s.Header)
	switch {
	case s.Status >= 400 && header == "":
		return rule("problem")
	case header != "" || s.ContentType || s.UndeclaredStatus:
		return FallbackRule{}, false
	}
	if resp == nil {
		return FallbackRule{}, false
	}
	_, leaf := a.schemaAlong(resp, s.Pointer)
	if leaf == nil {
		return FallbackRule{}, false
	}
	switch {
	case (leaf.Format == "date" || leaf.Format == "date-time") && (s.Keyword == "format" || s.Keyword == "type" || s.Keyword == "pattern"):
		return rule("date-format")
	case len(leaf.Enum) > 0 && s.Keyword == "enum":
		return rule("code-value")
	}
	return FallbackRule{}, false
}

// schemaAlong walks the JSON response schema of resp along ptr. It returns the ids of the
// deepest x-requirement on the way and the schema at the end of the pointer (nil if the
// pointer leaves the schema).
func (a *attributor) schemaAlong(resp *openapi3.Response, ptr string) ([]string, *openapi3.Schema) {
	var root *openapi3.SchemaRef
	for mt, c := range resp.Content {
		if c != nil && c.Schema != nil && (root == nil || strings.Contains(mt, "json")) {
			root = c.Schema
		}
	}
	tokens, err := splitPointer(ptr)
	if root == nil || err != nil {
		return nil, nil
	}
	var ids []string
	cur := root
	note := func(ref *openapi3.SchemaRef) {
		if x := extIDs(ref.Extensions); len(x) > 0 {
			ids = x
		}
		if ref.Value != nil {
			if x := extIDs(ref.Value.Extensions); len(x) > 0 {
				ids = x
			}
		}
	}
	note(cur)
	for _, tok := range tokens {
		next := childSchema(cur, tok, 0)
		if next == nil {
			return ids, nil
		}
		cur = next
		note(cur)
	}
	return ids, cur.Value
}

// childSchema returns the schema of member or element tok of ref, looking through allOf,
// oneOf and anyOf.
func childSchema(ref *openapi3.SchemaRef, tok string, depth int) *openapi3.SchemaRef {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	if _, err := strconv.Atoi(tok); err == nil && s.Items != nil {
		return s.Items
	}
	if p, ok := s.Properties[tok]; ok {
		return p
	}
	for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range refs {
			if c := childSchema(sub, tok, depth+1); c != nil {
				return c
			}
		}
	}
	if s.AdditionalProperties.Schema != nil {
		return s.AdditionalProperties.Schema
	}
	return nil
}

func lookupHeader(h openapi3.Headers, name string) *openapi3.HeaderRef {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func mergeExt(maps ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// extIDs reads x-requirement: a string id or a list of ids.
func extIDs(ext map[string]any) []string {
	switch v := ext[ExtRequirement].(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var ids []string
		for _, x := range v {
			if s, ok := x.(string); ok && s != "" {
				ids = append(ids, s)
			}
		}
		sort.Strings(ids)
		return ids
	case []string:
		return append([]string(nil), v...)
	}
	return nil
}
