package spec

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemasWithExamples are the schemas a supplier's code generator and documentation use most:
// the bodies clients send and receive. Each must carry an example.
var schemasWithExamples = []string{
	"NewChild", "ChildRecord", "Problem", "NewInvolvement", "SearchRequest", "NewTransfer",
	"TransferPackage", "Notification",
}

func TestEverySchemaExampleValidatesAgainstItsSchema(t *testing.T) {
	c := MustLoad()
	checked := 0
	for name, ref := range c.Doc.Components.Schemas {
		s := ref.Value
		assert.NotEmpty(t, s.Description, "components/schemas/%s has a description", name)
		if s.Example == nil {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			require.NoError(t, s.VisitJSON(s.Example, openapi3.MultiErrors()), "the example of components/schemas/%s", name)
		})
	}
	for _, name := range schemasWithExamples {
		ref := c.Doc.Components.Schemas[name]
		require.NotNil(t, ref, "schema %s", name)
		assert.NotNil(t, ref.Value.Example, "components/schemas/%s has an example", name)
	}
	assert.GreaterOrEqual(t, checked, len(schemasWithExamples))

	// The check can fail: an example that breaks its schema is refused.
	bad := *c.Doc.Components.Schemas["Notification"].Value
	assert.Error(t, bad.VisitJSON(map[string]any{"eventId": "e", "seq": 1.0}), "a notification without its required fields")
}

var componentRef = regexp.MustCompile(`\$ref: '#/components/([a-zA-Z]+)/([A-Za-z0-9_.-]+)'`)

// TestEveryComponentIsReferenced finds components no $ref uses: an outside linter counts them
// as unused, and a supplier's code generator emits dead types for them.
func TestEveryComponentIsReferenced(t *testing.T) {
	used := map[string]bool{}
	for _, m := range componentRef.FindAllStringSubmatch(string(openapiYAML), -1) {
		used[m[1]+"/"+m[2]] = true
	}
	c := MustLoad()
	comps := c.Doc.Components
	var unused []string
	check := func(kind string, names []string) {
		for _, n := range names {
			if !used[kind+"/"+n] {
				unused = append(unused, kind+"/"+n)
			}
		}
	}
	check("schemas", keys(comps.Schemas))
	check("responses", keys(comps.Responses))
	check("parameters", keys(comps.Parameters))
	check("headers", keys(comps.Headers))
	check("requestBodies", keys(comps.RequestBodies))
	require.NotEmpty(t, used)
	assert.Empty(t, unused, "components no $ref uses")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// locationOperations are the operations whose 201 the reference sends with Location (the
// created resource's path): reference/children.go, transfers.go, inbound.go, subscriptions.go.
var locationOperations = []string{"createChild", "proposeTransfer", "deliverInboundTransfer", "createSubscription"}

// TestEveryResponseDeclaresTheHeadersTheReferenceSends reads the document with libopenapi, the
// second implementation, and checks that every response of every operation declares the
// headers the reference sends on every response (X-Correlation-ID, X-Content-Type-Options),
// and that exactly the 201s the reference sends Location on declare it, so that a strict validator finds nothing undeclared.
func TestEveryResponseDeclaresTheHeadersTheReferenceSends(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapiYAML)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err)
	n := 0
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			for code, resp := range op.Responses.Codes.FromOldest() {
				n++
				at := strings.ToUpper(method) + " " + path + " " + code
				for _, h := range []string{"X-Correlation-ID", "X-Content-Type-Options"} {
					_, ok := resp.Headers.Get(h)
					assert.True(t, ok, "%s declares %s", at, h)
				}
				_, ok := resp.Headers.Get("Location")
				assert.Equal(t, code == "201" && slices.Contains(locationOperations, op.OperationId), ok,
					"%s (%s) declares Location exactly when the reference sends it", at, op.OperationId)
			}
		}
	}
	assert.Greater(t, n, 100, "every response of every operation was seen")
}
