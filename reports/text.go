package reports

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// humanTime is how the reports show a time to people; times are in UTC.
const humanTime = "2006-01-02 15:04:05 UTC"

// errNotFinalised is returned by every writer given a report that Finalise has not filled in.
var errNotFinalised = errors.New("report has no verdict or schema version: call Finalise first")

func checkFinalised(r *Report) error {
	if r == nil || r.Verdict == "" || r.SchemaVersion == "" {
		return errNotFinalised
	}
	return nil
}

// printable returns s with every character that is invisible, can corrupt a terminal or a
// page, or is not allowed in XML 1.0 replaced by a visible escape. Invalid UTF-8 bytes, DEL and
// the C0 controls other than tab, newline and carriage return become \xNN; the C1 controls, the
// bidirectional formatting characters, U+FFFE and U+FFFF become \uNNNN.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r <= 0x7f && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0xFFFE, r == 0xFFFF:
		return true
	default:
		return unicode.Is(unicode.Bidi_Control, r)
	}
}

// oneLine returns printable(s) with each run of white space collapsed to one space, cut to at
// most limit runes; a cut ends in "…".
func oneLine(s string, limit int) string {
	return truncate(strings.Join(strings.Fields(printable(s)), " "), limit)
}

// truncate cuts s to at most limit runes; a cut ends in "…".
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit-1]) + "…"
}

// hasEvidence reports whether a scenario or requirement with verdict v did not pass for a
// reason that the reports show evidence for: FAIL, BLOCKED, ERROR or CONFIG.
func hasEvidence(v Verdict) bool {
	return v == Fail || v == Blocked || v == Error || v == Config
}

// failedStepIndex returns the index of the first step of s that failed, or -1.
func failedStepIndex(s *Scenario) int {
	return slices.IndexFunc(s.Steps, func(st Step) bool { return st.Status == "failed" })
}

// failedStep returns the first step of s that failed, or nil.
func failedStep(s *Scenario) *Step {
	if i := failedStepIndex(s); i >= 0 {
		return &s.Steps[i]
	}
	return nil
}

// reason explains in one message why scenario s did not pass: the failure's message, else the
// error of its failed step, else "".
func reason(s *Scenario) string {
	if s.Failure != nil && s.Failure.Message != "" {
		return s.Failure.Message
	}
	if st := failedStep(s); st != nil {
		return st.Error
	}
	return ""
}

// blamed returns the requirements that a failure of scenario s counts against: Requirement and
// Requirements of its Failure, else, when the Failure names none, every requirement the
// scenario checks.
func blamed(s *Scenario) []string {
	f := s.Failure
	if f == nil || (f.Requirement == "" && len(f.Requirements) == 0) {
		return s.Requirements
	}
	if f.Requirement == "" || slices.Contains(f.Requirements, f.Requirement) {
		return f.Requirements
	}
	return append([]string{f.Requirement}, f.Requirements...)
}

// requirementReason returns the scenario whose outcome decided req's FAIL or ERROR verdict and
// the one-message reason, from the first such scenario in scenario order.
func requirementReason(req *Requirement, scenarios map[string]*Scenario) (*Scenario, string) {
	for _, id := range req.Scenarios {
		s := scenarios[id]
		if s != nil && verdictFor(s, req.ID) == req.Verdict {
			return s, reason(s)
		}
	}
	return nil, ""
}

// scenarioIndex maps each scenario id of r to its scenario.
func scenarioIndex(r *Report) map[string]*Scenario {
	m := make(map[string]*Scenario, len(r.Scenarios))
	for i := range r.Scenarios {
		m[r.Scenarios[i].ID] = &r.Scenarios[i]
	}
	return m
}

// requirementIndex maps each requirement id of r to its requirement.
func requirementIndex(r *Report) map[string]*Requirement {
	m := make(map[string]*Requirement, len(r.Requirements))
	for i := range r.Requirements {
		m[r.Requirements[i].ID] = &r.Requirements[i]
	}
	return m
}

// featureGroup is the scenarios of one feature, in scenario order.
type featureGroup struct {
	Name      string
	URI       string
	Scenarios []*Scenario
}

// byFeature groups the scenarios of r by feature, in order of each feature's first scenario.
// A scenario with no feature name is grouped under its feature file.
func byFeature(r *Report) []featureGroup {
	var groups []featureGroup
	at := map[string]int{}
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		uri, _ := splitScenarioID(s.ID)
		name := s.Feature
		if name == "" {
			name = uri
		}
		j, ok := at[name]
		if !ok {
			j = len(groups)
			at[name] = j
			groups = append(groups, featureGroup{Name: name, URI: uri})
		}
		groups[j].Scenarios = append(groups[j].Scenarios, s)
	}
	return groups
}

// requestLine is "METHOD URL" of x.
func requestLine(x Exchange) string {
	return x.Method + " " + x.URL
}

// statusLine is the response status of x with its reason phrase, or the transport error.
func statusLine(x Exchange) string {
	if x.Error != "" {
		return "no response: " + x.Error
	}
	return strings.TrimSpace(strconv.Itoa(x.Status) + " " + http.StatusText(x.Status))
}

// headerLines returns "Name: value" for each header, sorted by name.
func headerLines(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	lines := make([]string, len(names))
	for i, name := range names {
		lines[i] = name + ": " + h[name]
	}
	return lines
}

// seconds formats d as seconds with millisecond precision.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// systemName names the system under test: product and version, else the target's name.
func systemName(r *Report) string {
	if name := strings.TrimSpace(r.Target.Product + " " + r.Target.Version); name != "" {
		return name
	}
	return r.Target.Name
}

// blockingLevels names the requirement levels whose failure makes r non-conformant.
func blockingLevels(r *Report) string {
	if r.FailOn == FailOnShould {
		return LevelMust + " or " + LevelShould
	}
	return LevelMust
}
