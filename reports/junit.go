package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// junitTimestamp is the ISO 8601 form, without a zone, that the JUnit XML schema expects; the
// time is in UTC.
const junitTimestamp = "2006-01-02T15:04:05"

// junitSuites is the root element. It has no skipped attribute: the Jenkins xUnit schema
// (junit-10.xsd) refuses one there, and the reporters of GitLab and GitHub sum the suites'.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// junitMessageLimit caps the message attribute; the element text holds the whole story.
const junitMessageLimit = 300

// WriteJUnit writes r to w as junit.xml, built from the model rather than by godog, so that a
// CI server counts exactly what the report says. There is one <testsuite> per feature, in
// scenario order, and one <testcase classname="feature" name="scenario"> per scenario; a
// scenario name that repeats within a feature gets its id appended. A FAIL scenario has a
// <failure> whose type is the requirement it breaks and whose text gives the message, JSON
// Pointer, expected and actual values, the first recorded exchange and the failed step. ERROR
// and CONFIG scenarios have an <error> of that type, and SKIPPED and NOT_APPLICABLE ones a
// <skipped> whose message starts with the verdict.
//
// One defect is one failure. A BLOCKED scenario is not a failure of its own: one whose own
// checks all held passes, with the finding that charged another requirement in <system-out>;
// one that stopped on the way is <skipped> with a message "BLOCKED by REQ-ID: …". Every failed
// requirement is still a failing testcase: when no FAIL scenario shows it (only blocked
// scenarios do), the suite "icscert" holds a failing testcase of that requirement's type
// naming the scenarios that showed it. A scenario's warnings are in its <system-out>, and a
// check not exercised makes its scenario <skipped> with a message that says so.
//
// A first suite "icscert" speaks for the run: its <properties> carry the verdict, the
// headline, whether the system is conformant and whether the run was partial (with its tags).
// When the runner gave the run a CONFIG or ERROR verdict with a Message, it holds one erroring
// testcase "run", so that a run which tested nothing never looks green; when blocking
// requirements were not tested, one failing testcase "requirements not tested" of type
// NOT_TESTED whose message is the headline and whose text lists them, so that an incomplete
// run never looks green either. The file validates against the Jenkins xUnit plugin's
// junit-10.xsd. Every string is escaped and stripped of characters XML cannot carry. It returns
// an error if r has not been finalised.
func WriteJUnit(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(buildJUnit(r)); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func buildJUnit(r *Report) junitSuites {
	reqs := requirementIndex(r)
	top := junitSuites{Name: printable("icscert: " + systemName(r))}
	var timestamp string
	if !r.StartedAt.IsZero() {
		timestamp = r.StartedAt.UTC().Format(junitTimestamp)
	}
	top.Suites = append(top.Suites, junitRunSuite(r, timestamp))
	for _, g := range byFeature(r) {
		suite := junitSuite{Name: printable(g.Name), Timestamp: timestamp}
		names := map[string]int{}
		for _, s := range g.Scenarios {
			names[s.Name]++
		}
		var total time.Duration
		for _, s := range g.Scenarios {
			name := s.Name
			if names[name] > 1 {
				name += " (" + s.ID + ")"
			}
			c := junitCase{Classname: printable(g.Name), Name: printable(name), Time: seconds(s.Duration)}
			switch s.Verdict {
			case Fail:
				c.Failure = junitFailure(s, reqs)
				suite.Failures++
			case Error, Config:
				c.Error = junitFailure(s, reqs)
				c.Error.Type = string(s.Verdict)
				suite.Errors++
			case Blocked:
				if s.Failure != nil && s.Failure.ChecksHeld {
					c.SystemOut = printable(blockedNote(s, ": its own checks held, but on the way the system broke"))
					break
				}
				c.Skipped = &junitSkipped{Message: oneLine(blockedNote(s, " by"), junitMessageLimit)}
				suite.Skipped++
			case Skipped, NotApplicable:
				msg := string(s.Verdict)
				if why := reason(s); why != "" {
					msg += ": " + why
				}
				c.Skipped = &junitSkipped{Message: oneLine(msg, junitMessageLimit)}
				suite.Skipped++
			}
			for _, w := range s.Warnings {
				c.SystemOut = printable(strings.TrimPrefix(c.SystemOut+"\nWARNING: "+w, "\n"))
			}
			suite.Cases = append(suite.Cases, c)
			total += s.Duration
		}
		suite.Tests = len(suite.Cases)
		suite.Time = seconds(total)
		top.Suites = append(top.Suites, suite)
	}
	var total time.Duration
	for _, s := range r.Scenarios {
		total += s.Duration
	}
	for _, suite := range top.Suites {
		top.Tests += suite.Tests
		top.Failures += suite.Failures
		top.Errors += suite.Errors
	}
	top.Time = seconds(total)
	return top
}

// junitRunSuite is the suite "icscert" that speaks for the whole run (see WriteJUnit).
func junitRunSuite(r *Report, timestamp string) junitSuite {
	run := junitSuite{Name: "icscert", Time: seconds(0), Timestamp: timestamp, Properties: &junitProperties{}}
	for _, p := range [][2]string{
		{"verdict", string(r.Verdict)},
		{"headline", r.Headline},
		{"conformant", strconv.FormatBool(r.Conformant)},
		{"run", RunKind(r)},
		{"tags", r.Suite.Tags},
		{"reportSchemaVersion", r.SchemaVersion},
	} {
		if p[1] != "" {
			run.Properties.Property = append(run.Properties.Property, junitProperty{Name: p[0], Value: printable(p[1])})
		}
	}
	if r.Message != "" && (r.Verdict == Config || r.Verdict == Error) {
		run.Errors++
		run.Cases = append(run.Cases, junitCase{
			Classname: "icscert", Name: "run", Time: seconds(0),
			Error: &junitProblem{
				Message: oneLine(r.Message, junitMessageLimit),
				Type:    string(r.Verdict),
				Text:    printable(fmt.Sprintf("The run could not test %s at %s: %s", systemName(r), r.Target.BaseURL, r.Message)),
			},
		})
	}
	for _, req := range r.Requirements {
		if req.Verdict != Fail || shownFailing(r, req.ID) {
			continue
		}
		var by strings.Builder
		for _, id := range req.Scenarios {
			if s := scenarioByID(r, id); s != nil && verdictFor(s, req.ID) == Fail {
				fmt.Fprintf(&by, "- %s (%s): %s\n", s.Name, s.ID, reason(s))
			}
		}
		run.Failures++
		run.Cases = append(run.Cases, junitCase{
			Classname: "icscert", Name: printable(req.ID + " " + req.Title), Time: seconds(0),
			Failure: &junitProblem{
				Message: oneLine(req.ID+" failed: "+firstLine(by.String()), junitMessageLimit),
				Type:    printable(req.ID),
				Text: printable(fmt.Sprintf("Requirement: %s (%s) %s\nThe system broke it on the way through "+
					"these scenarios, which it blocked:\n%s", req.ID, req.Level, req.Text, by.String())),
			},
		})
	}
	var untested strings.Builder
	for _, req := range r.Requirements {
		if req.Verdict == NotTested && r.blocks(req) {
			fmt.Fprintf(&untested, "%s (%s) %s\n", req.ID, req.Level, req.Text)
		}
	}
	if untested.Len() > 0 {
		run.Failures++
		run.Cases = append(run.Cases, junitCase{
			Classname: "icscert", Name: "requirements not tested", Time: seconds(0),
			Failure: &junitProblem{
				Message: oneLine(r.Headline, junitMessageLimit),
				Type:    string(NotTested),
				Text: printable("No scenario of this run showed these requirements either way, so the run " +
					"cannot call the system conformant:\n" + untested.String()),
			},
		})
	}
	run.Tests = len(run.Cases)
	return run
}

// blockedNote says which requirements blocked scenario s and why, after the words how.
func blockedNote(s *Scenario, how string) string {
	return fmt.Sprintf("%s%s %s: %s", Blocked, how, strings.Join(blamed(s), ", "), reason(s))
}

// shownFailing reports whether a FAIL scenario of r counts against requirement id.
func shownFailing(r *Report, id string) bool {
	for i := range r.Scenarios {
		if s := &r.Scenarios[i]; s.Verdict == Fail && slices.Contains(blamed(s), id) {
			return true
		}
	}
	return false
}

// scenarioByID returns the scenario of r with id, or nil.
func scenarioByID(r *Report, id string) *Scenario {
	for i := range r.Scenarios {
		if r.Scenarios[i].ID == id {
			return &r.Scenarios[i]
		}
	}
	return nil
}

// firstLine returns s up to its first newline, without the list marker.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimPrefix(line, "- ")
}

// junitFailure describes why scenario s did not pass, typed by the requirement it breaks.
func junitFailure(s *Scenario, reqs map[string]*Requirement) *junitProblem {
	p := &junitProblem{Type: string(s.Verdict), Message: oneLine(reason(s), junitMessageLimit)}
	if ids := blamed(s); len(ids) > 0 {
		p.Type = ids[0]
	}
	if p.Message == "" {
		p.Message = "scenario verdict " + string(s.Verdict)
	}
	var b strings.Builder
	for _, id := range blamed(s) {
		if req := reqs[id]; req != nil {
			fmt.Fprintf(&b, "Requirement: %s (%s) %s\n", req.ID, req.Level, req.Text)
		}
	}
	fmt.Fprintf(&b, "Scenario: %s (%s)\n", s.Name, s.ID)
	if f := s.Failure; f != nil {
		fmt.Fprintf(&b, "Message: %s\n", f.Message)
		if f.Pointer != "" {
			fmt.Fprintf(&b, "Pointer: %s\n", f.Pointer)
		}
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(&b, "Expected: %s\nActual: %s\n", f.Expected, f.Actual)
		}
		if len(f.Exchanges) > 0 {
			x := f.Exchanges[0]
			fmt.Fprintf(&b, "Exchange 1 of %d: %s -> %s\n", len(f.Exchanges), requestLine(x), statusLine(x))
		}
	}
	if st := failedStep(s); st != nil {
		fmt.Fprintf(&b, "Failed step: %s %s: %s\n", strings.TrimSpace(st.Keyword), st.Text, st.Error)
	}
	p.Text = printable(b.String())
	return p
}
