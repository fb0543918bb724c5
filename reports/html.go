package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.js
var htmlScript string

var htmlTemplate = template.Must(template.New("report.html").Parse(htmlSource))

// htmlCSP is the page's Content-Security-Policy: nothing may be fetched, and the only script
// that may run is the page's own filter script, pinned by its hash. It backs up the escaping:
// a <script> that somehow reached the page would still not run.
var htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + hashScript(htmlScript) +
	"'; base-uri 'none'; form-action 'none'"

func hashScript(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type htmlView struct {
	Title         string
	CSP           string
	Script        template.JS
	System        string
	Verdict       Verdict
	Conformant    bool
	Headline      string
	RunKind       string
	Partial       bool
	Failed        []htmlRequirement // failed requirements, in catalogue order, shown first
	NotTested     []htmlRequirement // requirements no scenario showed either way
	Blocking      string            // the levels whose failure makes the run non-conformant
	Message       string
	Facts         []htmlFact
	Counts        []htmlCount
	Groups        []htmlGroup
	Evidence      []htmlEvidence
	Scenarios     []htmlScenario
	SchemaVersion string
}

type htmlFact struct {
	Label    string
	Value    string
	Datetime string // set for a time, for the <time> element
	Code     bool   // shown in monospace
}

type htmlCount struct {
	Verdict      Verdict
	Requirements int
	Scenarios    int
}

type htmlGroup struct {
	Name         string
	Anchor       string
	Requirements []htmlRequirement
}

type htmlRequirement struct {
	ID        string
	Level     string
	Title     string
	Text      string
	Verdict   Verdict
	Blocking  bool
	Scenarios []htmlScenarioRef
	Evidence  []int // numbers of the evidence behind a FAIL, ERROR or CONFIG verdict
	// FailedBy are the first htmlFailedByLimit scenarios that failed the requirement, and
	// FailedByMore how many more did.
	FailedBy     []htmlScenarioRef
	FailedByMore int
}

// htmlFailedByLimit is how many failing scenarios the list of failed requirements names.
const htmlFailedByLimit = 5

// htmlScenarioRef names a scenario by its name, with its id and its evidence, if any.
type htmlScenarioRef struct {
	ID       string
	Name     string
	Verdict  Verdict
	Evidence int
}

type htmlEvidence struct {
	Number       int
	ScenarioID   string
	ScenarioName string
	Feature      string
	Verdict      Verdict
	Requirements []htmlRequirement
	Message      string
	Pointer      string
	Expected     string
	Actual       string
	FailedStep   string
	Exchanges    []htmlExchange
}

type htmlExchange struct {
	Number          int
	Open            bool
	Operation       string
	RequestLine     string
	RequestHeaders  string
	RequestBody     string
	Status          string
	ResponseHeaders string
	ResponseBody    string
	Duration        string
	Violations      []string
}

type htmlScenario struct {
	ID           string
	Name         string
	Feature      string
	Verdict      Verdict
	Requirements string
	Duration     string
	Evidence     int // number of the scenario's evidence, or 0
}

// WriteHTML writes r to w as report.html: one self-contained page with inline CSS, no fetched
// fonts, scripts or images, and a small inline script that only adds filtering and an
// "expand all" button; without the script every part of the page is shown and usable. The
// page has a certificate header (product, vendor, version, base URL, spec and suite versions,
// spec digest, dates, the verdict in large text, the headline, whether the system is conformant
// and whether the run was full or partial), then the failed requirements with their titles and
// the names of the scenarios that failed them, then the requirements not tested, a table of
// requirements for each group in catalogue order (scenarios shown by name), the evidence of
// every FAIL, ERROR or
// CONFIG scenario (requirements and their text, message, JSON Pointer, expected and actual
// side by side, and each recorded exchange in full), and a collapsed table of all scenarios.
//
// Verdicts are shown as text as well as colour. Elements that tests look for have stable
// hooks: id="overall-verdict" and id="conformant" with data-verdict and data-conformant,
// id="headline" with data-partial, id="failed-requirements" with one li data-requirement per
// failed requirement, id="not-tested" likewise, one
// row id="req-<ID>" with data-verdict and data-level per requirement, and one
// id="evidence-<n>" with data-scenario and data-verdict per piece of evidence. All report text
// goes through html/template and is stripped of control characters, and a Content-Security-
// Policy forbids any other script and every network fetch. It returns an error if r has not
// been finalised.
func WriteHTML(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, buildHTML(r)); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

func buildHTML(r *Report) htmlView {
	p := printable
	v := htmlView{
		Title:         p("Conformance report: " + systemName(r)),
		CSP:           htmlCSP,
		Script:        template.JS(htmlScript),
		System:        p(systemName(r)),
		Verdict:       r.Verdict,
		Conformant:    r.Conformant,
		Headline:      p(r.Headline),
		RunKind:       p(RunKind(r)),
		Partial:       r.Partial,
		Blocking:      blockingLevels(r),
		Message:       p(r.Message),
		SchemaVersion: p(r.SchemaVersion),
	}
	v.Facts = []htmlFact{
		{Label: "Product", Value: p(r.Target.Product)},
		{Label: "Vendor", Value: p(r.Target.Vendor)},
		{Label: "Version", Value: p(r.Target.Version)},
		{Label: "Target", Value: p(r.Target.Name)},
		{Label: "Base URL", Value: p(r.Target.BaseURL), Code: true},
		{Label: "Spec version", Value: p(r.Suite.SpecVersion)},
		{Label: "Suite version", Value: p(r.Suite.SuiteVersion)},
		{Label: "Spec digest", Value: p(r.Suite.SpecDigest), Code: true},
		{Label: "Tags", Value: p(r.Suite.Tags), Code: true},
		{Label: "Capabilities", Value: p(strings.Join(r.Target.Capabilities, ", "))},
		{Label: "Councils", Value: p(strings.Join(r.Target.Councils, ", "))},
		timeFact("Started", r.StartedAt),
		timeFact("Finished", r.FinishedAt),
	}
	for _, verdict := range verdictOrder {
		v.Counts = append(v.Counts, htmlCount{
			Verdict:      verdict,
			Requirements: r.Summary.Requirements[verdict],
			Scenarios:    r.Summary.Scenarios[verdict],
		})
	}

	evidenceOf := map[string][]int{}     // requirement id → evidence numbers
	scenarioEvidence := map[string]int{} // scenario id → evidence number
	reqs := requirementIndex(r)
	scenarios := scenarioIndex(r)
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if !hasEvidence(s.Verdict) {
			continue
		}
		n := len(v.Evidence) + 1
		scenarioEvidence[s.ID] = n
		v.Evidence = append(v.Evidence, newHTMLEvidence(s, n, reqs))
		for _, id := range blamed(s) {
			evidenceOf[id] = append(evidenceOf[id], n)
		}
	}

	at := map[string]int{}
	for _, req := range r.Requirements {
		group := req.Group
		if group == "" {
			group = "Other"
		}
		i, ok := at[group]
		if !ok {
			i = len(v.Groups)
			at[group] = i
			v.Groups = append(v.Groups, htmlGroup{Name: p(group), Anchor: "group-" + anchor(group)})
		}
		row := htmlRequirement{
			ID:       p(req.ID),
			Level:    req.Level,
			Title:    p(req.Title),
			Text:     p(req.Text),
			Verdict:  req.Verdict,
			Blocking: r.blocks(req),
		}
		for _, id := range req.Scenarios {
			if s := scenarios[id]; s != nil {
				row.Scenarios = append(row.Scenarios, htmlScenarioRef{
					ID: p(s.ID), Name: p(s.Name), Verdict: verdictFor(s, req.ID), Evidence: scenarioEvidence[s.ID],
				})
			}
		}
		if hasEvidence(req.Verdict) {
			row.Evidence = evidenceOf[req.ID]
		}
		v.Groups[i].Requirements = append(v.Groups[i].Requirements, row)
		switch req.Verdict {
		case Fail:
			for _, ref := range row.Scenarios {
				if ref.Verdict != Fail {
					continue
				}
				if len(row.FailedBy) == htmlFailedByLimit {
					row.FailedByMore++
					continue
				}
				row.FailedBy = append(row.FailedBy, ref)
			}
			v.Failed = append(v.Failed, row)
		case NotTested:
			v.NotTested = append(v.NotTested, row)
		}
	}

	for _, s := range r.Scenarios {
		v.Scenarios = append(v.Scenarios, htmlScenario{
			ID:           p(s.ID),
			Name:         p(s.Name),
			Feature:      p(s.Feature),
			Verdict:      s.Verdict,
			Requirements: p(strings.Join(s.Requirements, ", ")),
			Duration:     seconds(s.Duration) + " s",
			Evidence:     scenarioEvidence[s.ID],
		})
	}
	return v
}

// newHTMLEvidence shows why scenario s, the n-th piece of evidence, did not pass.
func newHTMLEvidence(s *Scenario, n int, reqs map[string]*Requirement) htmlEvidence {
	p := printable
	e := htmlEvidence{
		Number:       n,
		ScenarioID:   p(s.ID),
		ScenarioName: p(s.Name),
		Feature:      p(s.Feature),
		Verdict:      s.Verdict,
		Message:      p(reason(s)),
	}
	for _, id := range blamed(s) {
		if req := reqs[id]; req != nil {
			e.Requirements = append(e.Requirements, htmlRequirement{ID: p(req.ID), Level: req.Level, Title: p(req.Title), Text: p(req.Text)})
		}
	}
	if st := failedStep(s); st != nil {
		e.FailedStep = p(strings.TrimSpace(st.Keyword) + " " + st.Text)
	}
	f := s.Failure
	if f == nil {
		return e
	}
	e.Pointer, e.Expected, e.Actual = p(f.Pointer), p(pretty(f.Expected)), p(pretty(f.Actual))
	for j, x := range f.Exchanges {
		e.Exchanges = append(e.Exchanges, htmlExchange{
			Number:          j + 1,
			Open:            j == 0,
			Operation:       p(x.Operation),
			RequestLine:     p(requestLine(x)),
			RequestHeaders:  p(strings.Join(headerLines(x.RequestHeaders), "\n")),
			RequestBody:     p(pretty(x.RequestBody)),
			Status:          p(statusLine(x)),
			ResponseHeaders: p(strings.Join(headerLines(x.ResponseHeaders), "\n")),
			ResponseBody:    p(pretty(x.ResponseBody)),
			Duration:        strconv.FormatInt(x.DurationMs, 10) + " ms",
			Violations:      printableAll(x.Violations),
		})
	}
	return e
}

func timeFact(label string, t time.Time) htmlFact {
	if t.IsZero() {
		return htmlFact{Label: label}
	}
	return htmlFact{Label: label, Value: t.UTC().Format(humanTime), Datetime: t.UTC().Format(time.RFC3339)}
}

func printableAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = printable(s)
	}
	return out
}

// pretty indents s if it is a JSON document and returns it unchanged otherwise.
func pretty(s string) string {
	trimmed := strings.TrimSpace(s)
	if !strings.HasPrefix(trimmed, "{") && !strings.HasPrefix(trimmed, "[") {
		return s
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(trimmed), "", "  "); err != nil {
		return s
	}
	return b.String()
}

var notAnchor = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor turns a group name into the tail of an element id.
func anchor(name string) string {
	return notAnchor.ReplaceAllString(name, "-")
}
