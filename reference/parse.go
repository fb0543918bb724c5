package reference

import (
	"encoding/json"
	"fmt"

	"github.com/icscert/icscert/spec"
)

// maxJSONDepth bounds the nesting of a request body.
const maxJSONDepth = 32

// parseJSON parses a request body into string, json.Number, bool, nil, []any and
// map[string]any values. Unlike encoding/json it rejects duplicate member names, trailing
// data and nesting deeper than maxJSONDepth, so that what is validated is exactly what was
// sent.
func parseJSON(b []byte) (any, error) {
	return spec.DecodeStrictJSON(b, maxJSONDepth, spec.MembersAsMap)
}

// convert turns a validated JSON value into the typed value dst points to.
func convert(v any, dst any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("convert request body: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("convert request body: %w", err)
	}
	return nil
}
