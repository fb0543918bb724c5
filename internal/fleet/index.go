package fleet

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/icscert/icscert/reports"
)

// Files that WriteIndex writes.
const (
	IndexFile       = "index.html"       // for officials: each system's verdict in words
	CalibrationFile = "calibration.html" // for engineers: what the suite caught and missed
)

//go:embed index.html.tmpl
var indexSource string

//go:embed calibration.html.tmpl
var calibrationSource string

var (
	indexTemplate       = template.Must(template.New("index").Parse(indexSource))
	calibrationTemplate = template.Must(template.New("calibration").Parse(calibrationSource))
)

// indexRow is one system's line on the index and calibration pages.
type indexRow struct {
	Name, Kind, Vendor, Product, Version string
	Verdict                              reports.Verdict
	Conformant                           bool
	Headline                             string
	Partial                              bool
	FailedRequirements                   []indexRequirement // in catalogue order
	NotTested                            int
	Expected, Failed, Missed, Extra      []string
	Exact                                bool
	Report                               string // relative link to the system's report.html
	Seconds                              string
}

// indexRequirement names a requirement with its title, for people.
type indexRequirement struct {
	ID, Title string
}

// indexTally counts the systems by outcome, for the page's opening sentence.
type indexTally struct {
	Systems, Conformant, NotConformant, Incomplete, NotTested int
}

// indexPage is what both templates read.
type indexPage struct {
	Generated string
	Rows      []indexRow
	Tally     indexTally
	Summary   string
}

// WriteIndex writes two self-contained pages into dir. index.html is for the department's
// officials: an opening sentence that counts the systems by outcome (never "certified" for a
// system that was not), then one row per system, in the order given, with its verdict in words
// (the report's headline), the requirements it failed by id and title in catalogue order, and a
// link to its own report (dir/<name>/report.html, as Certify writes them). calibration.html is
// for engineers: what each system was built to break, what the suite failed, missed and charged
// wrongly, and whether the suite judged it exactly; index.html links to it.
func WriteIndex(dir string, results []Result, generated time.Time) error {
	page := indexPage{Generated: generated.UTC().Format(time.RFC3339)}
	for _, r := range results {
		row := indexRow{
			Name: r.System.Name, Kind: r.System.Kind,
			Expected: r.System.Expected, Failed: r.Failed, Missed: r.Missed, Extra: r.Extra,
			NotTested: len(r.NotTested),
			Exact:     r.Calibrated(),
			Report:    filepath.ToSlash(filepath.Join(r.System.Name, reports.HTMLFile)),
			Seconds:   fmt.Sprintf("%.2f", r.Duration.Seconds()),
		}
		if t := r.System.Target; t != nil {
			row.Vendor, row.Product, row.Version = t.Vendor, t.Product, t.Version
		}
		page.Tally.Systems++
		if rep := r.Report; rep != nil {
			row.Verdict, row.Conformant, row.Headline, row.Partial = rep.Verdict, rep.Conformant, rep.Headline, rep.Partial
			for _, req := range rep.Requirements {
				if req.Verdict == reports.Fail {
					row.FailedRequirements = append(row.FailedRequirements, indexRequirement{ID: req.ID, Title: req.Title})
				}
			}
		}
		switch {
		case row.Conformant:
			page.Tally.Conformant++
		case row.Verdict == reports.Incomplete:
			page.Tally.Incomplete++
		case row.Verdict == reports.Fail:
			page.Tally.NotConformant++
		default:
			page.Tally.NotTested++
		}
		page.Rows = append(page.Rows, row)
	}
	page.Summary = page.Tally.sentence()
	for _, f := range []struct {
		name string
		tmpl *template.Template
	}{{IndexFile, indexTemplate}, {CalibrationFile, calibrationTemplate}} {
		var b bytes.Buffer
		if err := f.tmpl.Execute(&b, page); err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write index: %w", err)
		}
	}
	return nil
}

// sentence says how many systems reached which outcome, e.g. "14 systems tested: 0
// conformant, 9 not conformant, 5 incomplete (not every MUST requirement was tested)".
func (t indexTally) sentence() string {
	parts := []string{
		fmt.Sprintf("%d conformant", t.Conformant),
		fmt.Sprintf("%d not conformant", t.NotConformant),
	}
	if t.Incomplete > 0 {
		parts = append(parts, fmt.Sprintf("%d incomplete (not every MUST requirement was tested)", t.Incomplete))
	}
	if t.NotTested > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be tested", t.NotTested))
	}
	systems := "systems"
	if t.Systems == 1 {
		systems = "system"
	}
	return fmt.Sprintf("%d %s tested: %s.", t.Systems, systems, strings.Join(parts, ", "))
}
