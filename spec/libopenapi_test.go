package spec

import (
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContractReadsTheSameInASecondImplementation loads spec/openapi.yaml with pb33f's
// libopenapi, which shares no code with kin-openapi, so that the contract never depends on one
// library's reading of it: the document must build a model without errors, pass
// libopenapi-validator's document validation, and declare the same operations and component
// schemas as kin-openapi reads.
func TestContractReadsTheSameInASecondImplementation(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapiYAML)
	require.NoError(t, err)
	model, err := doc.BuildV3Model()
	require.NoError(t, err, "libopenapi builds the model")
	require.NotNil(t, model)

	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs, "libopenapi-validator accepts the document")
	valid, problems := v.ValidateDocument()
	for _, p := range problems {
		t.Errorf("libopenapi-validator: %s: %s", p.Message, p.Reason)
	}
	assert.True(t, valid, "the document is a valid OpenAPI document")

	contract, err := Load()
	require.NoError(t, err)
	var kinOps, libOps []string
	for path, item := range contract.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			kinOps = append(kinOps, strings.ToLower(method)+" "+path+" "+op.OperationID)
		}
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			libOps = append(libOps, strings.ToLower(method)+" "+path+" "+op.OperationId)
		}
	}
	slices.Sort(kinOps)
	slices.Sort(libOps)
	require.NotEmpty(t, kinOps)
	assert.Equal(t, kinOps, libOps, "both libraries see the same operations")

	var kinSchemas, libSchemas []string
	for name := range contract.Doc.Components.Schemas {
		kinSchemas = append(kinSchemas, name)
	}
	for name := range model.Model.Components.Schemas.FromOldest() {
		libSchemas = append(libSchemas, name)
	}
	slices.Sort(kinSchemas)
	slices.Sort(libSchemas)
	assert.Equal(t, kinSchemas, libSchemas, "both libraries see the same component schemas")
}
