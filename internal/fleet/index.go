package fleet

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"

	"github.com/icscert/icscert/reports"
)

//go:embed index.html.tmpl
var indexSource string

var indexTemplate = template.Must(template.New("index").Parse(indexSource))

// indexRow is one system's line on the index page.
type indexRow struct {
	Name, Kind, Vendor, Product, Version string
	Verdict                              reports.Verdict
	Conformant                           bool
	Expected, Failed, Missed, Extra      []string
	Exact                                bool
	Report                               string // relative link to the system's report.html
	Seconds                              string
}

// WriteIndex writes dir/index.html: one self-contained page that lists every certified
// system with its verdict, what it was expected to fail and what it failed, and links to each
// system's own report (dir/<name>/report.html, as Certify writes them).
func WriteIndex(dir string, results []Result, generated time.Time) error {
	rows := make([]indexRow, 0, len(results))
	for _, r := range results {
		row := indexRow{
			Name: r.System.Name, Kind: r.System.Kind,
			Expected: r.System.Expected, Failed: r.Failed, Missed: r.Missed, Extra: r.Extra,
			Exact:   r.Calibrated(),
			Report:  filepath.ToSlash(filepath.Join(r.System.Name, reports.HTMLFile)),
			Seconds: fmt.Sprintf("%.2f", r.Duration.Seconds()),
		}
		if t := r.System.Target; t != nil {
			row.Vendor, row.Product, row.Version = t.Vendor, t.Product, t.Version
		}
		if r.Report != nil {
			row.Verdict, row.Conformant = r.Report.Verdict, r.Report.Conformant
		}
		rows = append(rows, row)
	}
	var b bytes.Buffer
	if err := indexTemplate.Execute(&b, struct {
		Generated string
		Rows      []indexRow
	}{generated.UTC().Format(time.RFC3339), rows}); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}
