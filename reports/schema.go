package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL is the $id of the embedded JSON Schema of report.json.
const schemaURL = "https://icscert.example/schemas/report-1.1.json"

//go:embed report.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of report.json at SchemaVersion, for the
// department's tooling (reports/report.schema.json in the source). The caller may keep the slice but must not
// modify it.
func Schema() []byte { return schemaJSON }

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
})

// ValidateJSON checks that data is a report.json that the embedded schema accepts, and returns
// an error naming every place where it does not. It is safe for concurrent use.
func ValidateJSON(data []byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("validate report: compile schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("validate report: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("validate report: %w", err)
	}
	return nil
}
