package steps

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// annotatedDoc is a small contract whose schemas, headers and responses carry x-requirement.
const annotatedDoc = `
openapi: 3.0.3
info: {title: t, version: 1.0.0}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: a thing
          x-requirement: THING-009
          headers:
            ETag:
              x-requirement: THING-002
              schema: {type: string}
            X-Other:
              schema: {type: string}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      properties:
        when: {$ref: '#/components/schemas/When'}
        plain: {type: string, format: date}
        parts:
          type: array
          items:
            type: object
            x-requirement: THING-005
            properties:
              code: {type: string, enum: [A, B], x-requirement: [THING-007, THING-006]}
              note: {type: string}
    When:
      type: string
      format: date
      x-requirement: THING-001
`

func TestAttribution(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(annotatedDoc))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	annotated := newAttributor(doc)
	contract := newAttributor(spec.MustLoad().Doc)
	scenario := []string{"SCEN-001"}

	cases := []struct {
		reason     string
		attributor *attributor
		site       site
		want       []string
		source     string
	}{
		{
			"x-requirement on a $ref'd schema wins over the date fallback", annotated,
			site{Operation: "getThing", Status: 200, Pointer: "/when", Keyword: "format"},
			[]string{"THING-001"},
			"x-requirement",
		},
		{
			"the deepest x-requirement along the pointer wins, a list is sorted", annotated,
			site{Operation: "getThing", Status: 200, Pointer: "/parts/3/code"},
			[]string{"THING-006", "THING-007"},
			"x-requirement",
		},
		{
			"an unannotated member inherits its annotated parent's requirement", annotated,
			site{Operation: "getThing", Status: 200, Pointer: "/parts/0/note"},
			[]string{"THING-005"},
			"x-requirement",
		},
		{
			"a body violation outside annotated schemas falls back to the response's requirement", annotated,
			site{Operation: "getThing", Status: 200, Pointer: "/plain"},
			[]string{"THING-009"},
			"x-requirement",
		},
		{
			"a header's own x-requirement", annotated,
			site{Operation: "getThing", Status: 200, Header: "etag"},
			[]string{"THING-002"},
			"x-requirement",
		},
		{
			"a header without one does not take the response's; the table has no rule for it", annotated,
			site{Operation: "getThing", Status: 200, Header: "X-Other"},
			scenario, "scenario",
		},

		{
			"a date in the wrong format in a record is READ-004", contract,
			site{Operation: "getChild", Status: 200, Pointer: "/dateOfBirth", Keyword: "format"},
			[]string{"READ-004"},
			"fallback:date-format",
		},
		{
			"a date nested in a list is READ-004", contract,
			site{Operation: "listInvolvements", Status: 200, Pointer: "/involvements/0/startDate", Keyword: "type"},
			[]string{"READ-004"},
			"fallback:date-format",
		},
		{
			"a gender outside its code list is READ-004", contract,
			site{Operation: "getChild", Status: 200, Pointer: "/gender", Keyword: "enum"},
			[]string{"READ-004"},
			"fallback:code-value",
		},
		{
			"a missing ETag is READ-001", contract,
			site{Operation: "getChild", Status: 200, Header: "ETag"},
			[]string{"READ-001"},
			"x-requirement",
		},
		{
			"a missing correlation id is ERR-001", contract,
			site{Operation: "getChild", Status: 200, Header: "X-Correlation-ID"},
			[]string{"ERR-001"},
			"x-requirement",
		},
		{
			"an error that is not problem+json is ERR-001", contract,
			site{Operation: "getChild", Status: 404, ContentType: true},
			[]string{"ERR-001"},
			"fallback:problem",
		},
		{
			"a problem body missing its code is ERR-001", contract,
			site{Operation: "getChild", Status: 403, Pointer: "/code"},
			[]string{"ERR-001"},
			"fallback:problem",
		},
		{
			"an undeclared error status is ERR-001", contract,
			site{Operation: "getChild", Status: 418, UndeclaredStatus: true},
			[]string{"ERR-001"},
			"fallback:problem",
		},
		{
			"a 503 without Retry-After is ERR-004", contract,
			site{Operation: "getChild", Status: 503, Header: "Retry-After"},
			[]string{"ERR-004"},
			"x-requirement",
		},
		{
			"a 401 without WWW-Authenticate is AUTH-001", contract,
			site{Operation: "getChild", Status: 401, Header: "WWW-Authenticate"},
			[]string{"AUTH-001"},
			"x-requirement",
		},
		{
			"an undeclared success status is the scenario's", contract,
			site{Operation: "createChild", Status: 200, UndeclaredStatus: true},
			scenario, "scenario",
		},
		{
			"a missing required member of a record is the scenario's", contract,
			site{Operation: "getChild", Status: 200, Pointer: "/status", Keyword: "required"},
			scenario, "scenario",
		},
		{
			"a missing date of birth is not a date format fault", contract,
			site{Operation: "getChild", Status: 200, Pointer: "/dateOfBirth", Keyword: "required"},
			scenario, "scenario",
		},
		{
			"a response to a route outside the contract is the scenario's", contract,
			site{Status: 200, Pointer: "/x"},
			scenario, "scenario",
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got, source := c.attributor.attribute(c.site, scenario)
			assert.Equal(t, c.want, got, c.reason)
			assert.Equal(t, c.source, source, c.reason)
		})
	}
}

func TestSiteOf(t *testing.T) {
	cases := []struct {
		reason string
		v      spec.Violation
		want   site
	}{
		{
			"a body pointer",
			spec.Violation{Where: spec.WhereResponse, Pointer: "/dateOfBirth", Field: "format"},
			site{Operation: "op", Status: 200, Pointer: "/dateOfBirth", Keyword: "format"},
		},
		{
			"a header",
			spec.Violation{Where: spec.WhereResponse, Pointer: "header:ETag", Field: "required"},
			site{Operation: "op", Status: 200, Header: "ETag"},
		},
		{
			"the media type",
			spec.Violation{Where: spec.WhereResponse, Pointer: "header:Content-Type", Field: "content"},
			site{Operation: "op", Status: 200, ContentType: true},
		},
		{
			"an undeclared status",
			spec.Violation{Where: spec.WhereResponse, Field: "status"},
			site{Operation: "op", Status: 200, UndeclaredStatus: true},
		},
		{
			"the problem's status member is a body pointer",
			spec.Violation{Where: spec.WhereResponse, Pointer: "/status", Field: "status"},
			site{Operation: "op", Status: 200, Pointer: "/status", Keyword: "status"},
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			assert.Equal(t, c.want, siteOf("op", 200, c.v), c.reason)
		})
	}
}
