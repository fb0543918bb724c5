package registry

import (
	"bytes"
	_ "embed" // the readiness JSON Schema
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed readiness.schema.json
var readinessSchemaJSON []byte

const readinessSchemaURL = "https://icscert.example/schemas/readiness-1.json"

// ReadinessSchema returns a copy of the JSON Schema of the readiness JSON.
func ReadinessSchema() []byte { return bytes.Clone(readinessSchemaJSON) }

var readinessSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readinessSchemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(readinessSchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(readinessSchemaURL)
})

// ValidateReadinessJSON checks data against readiness.schema.json.
func ValidateReadinessJSON(data []byte) error {
	sch, err := readinessSchema()
	if err != nil {
		return fmt.Errorf("validate readiness: compile schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("validate readiness: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("validate readiness: %w", err)
	}
	return nil
}

// ReadinessFormats lists the formats WriteReadiness writes.
var ReadinessFormats = []string{"json", "csv", "md"}

// WriteReadiness writes r as json (the documented shape, indented), csv (a header and one row
// per council) or md (a summary and a table of every council).
func WriteReadiness(w io.Writer, r *Readiness, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"council", "name", "region", "product", "version", "ready", "reasons", "failed_requirements", "blocking_peers"})
		for _, c := range r.Councils {
			product, version := councilVersion(c)
			_ = cw.Write([]string{
				c.Code, c.Name, c.RegionName, product, version, strconv.FormatBool(c.Ready),
				strings.Join(reasonCodes(c.Reasons), ";"), strings.Join(c.FailedRequirements, ";"), strings.Join(c.BlockingPeers, ";"),
			})
		}
		cw.Flush()
		return cw.Error()
	case "md":
		var b strings.Builder
		fmt.Fprintf(&b, "# National readiness as of %s\n\n", r.AsOf.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "- Ready: %d of %d councils\n- Not ready: %d\n", r.Ready, r.Total, r.NotReady)
		if f := r.Forecast; f != nil {
			fmt.Fprintf(&b, "- Deadline: %s; projected ready then: %d; projected to miss it: %d (%s)\n",
				f.Deadline.UTC().Format(time.DateOnly), f.Projected, f.Miss, f.Method)
		} else {
			b.WriteString("- Forecast: none (no deadline configured, or no history)\n")
		}
		b.WriteString("\n| Council | Name | Region | Product | Version | Ready | Reasons | Blocking peers |\n|---|---|---|---|---|---|---|---|\n")
		for _, c := range r.Councils {
			product, version := councilVersion(c)
			ready := "no"
			if c.Ready {
				ready = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Code, mdCell(c.Name), mdCell(c.RegionName), mdCell(product), mdCell(version),
				ready, mdCell(strings.Join(reasonCodes(c.Reasons), ", ")), strings.Join(c.BlockingPeers, ", "))
		}
		_, err := io.WriteString(w, b.String())
		return err
	default:
		return fmt.Errorf("readiness format %q: want json, csv or md", format)
	}
}

func councilVersion(c CouncilReadiness) (string, string) {
	if c.Deployment == nil {
		return "", ""
	}
	return c.Deployment.Product, c.Deployment.Version
}

func reasonCodes(rs []Reason) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

// mdCell escapes a value for a Markdown table cell: pipes, HTML's < and &, and line breaks as
// spaces.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "&", "&amp;", "<", "&lt;", "\r", " ", "\n", " ").Replace(s)
}
