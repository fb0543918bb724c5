package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrSchemaVersion is wrapped by the error ReadJSON returns for a report.json whose
// schemaVersion is missing or has a major version this build cannot read.
var ErrSchemaVersion = errors.New("unsupported report schema version")

// WriteJSON writes r to w as report.json, the canonical form of the report: indented JSON with
// keys in the order of the model's fields (map keys sorted), HTML characters not escaped, and
// a final newline. The same finalised report always gives the same bytes, so the file can be
// signed. It returns an error if r has not been finalised.
func WriteJSON(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// ReadJSON reads a report.json written by WriteJSON. It accepts any schema version with the
// same major version as SchemaVersion (later minor versions only add fields, which it ignores)
// and returns an error wrapping ErrSchemaVersion for any other, before it decodes the rest.
// Malformed JSON, a field of the wrong type and data after the report are errors. The report is returned as written; ReadJSON does
// not call Finalise.
func ReadJSON(rd io.Reader) (*Report, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var head struct {
		SchemaVersion string `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	want, _, _ := strings.Cut(SchemaVersion, ".")
	got, _, _ := strings.Cut(head.SchemaVersion, ".")
	switch {
	case head.SchemaVersion == "":
		return nil, fmt.Errorf("read report: %w: no schemaVersion; this build reads %s.x", ErrSchemaVersion, want)
	case got != want:
		return nil, fmt.Errorf("read report: %w: schemaVersion %q; this build reads %s.x", ErrSchemaVersion, head.SchemaVersion, want)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	return &r, nil
}
