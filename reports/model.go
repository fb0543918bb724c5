// Package reports holds the one result model of a certification run and renders every report
// file from it: report.json (canonical), junit.xml, cucumber.json, cucumber.ndjson (Cucumber
// Messages), summary.md and report.html.
//
// The runner fills a Report with the requirement catalogue (in catalogue order) and the
// scenarios that ran, calls Finalise to check it and derive every verdict and count, and then
// calls WriteAll, or one of the Write functions, to render it. The renderers only read the
// report, so a finalised Report may be rendered from several goroutines at once. ReadJSON
// reads report.json back.
package reports

import "time"

// SchemaVersion is the version of the report.json format, described by the JSON Schema that
// Schema returns. Bump the major version on any incompatible change; a minor version only adds
// fields or verdict values, so a reader must treat a verdict it does not know as not passing.
// 1.1 added the verdicts NOT_TESTED and INCOMPLETE and the fields headline and partial; 1.2
// added a failure's party and role (which of two exchanging systems is at fault); 1.3 added the
// scenario verdict BLOCKED and a scenario's notExercised.
const SchemaVersion = "1.3"

// Verdict is the outcome of a run, a requirement or a scenario.
type Verdict string

// Verdicts, from best to worst for a requirement. CONFIG means the fault is in the harness
// set-up or the target file, not in the system under test.
//
// NOT_APPLICABLE is earned: every scenario of the requirement needs a capability the system
// declares unsupported. NOT_TESTED is a requirement no scenario showed either way: it has no
// scenario in the suite, or all its scenarios were left out of the run (--tags) or stopped
// before they proved it. SKIPPED is a scenario that did not run. INCOMPLETE is a run verdict
// only: nothing failed, but a requirement whose failure would block conformance was not tested,
// so the run cannot call the system conformant.
//
// BLOCKED is a scenario verdict only: on the scenario's way the system broke another
// requirement (a set-up step it failed, or a response the contract charges elsewhere), which the
// scenario's Failure names. The scenario counts as FAIL against the requirements its Failure
// names and only against them; for its own requirements it is PASS when Failure.ChecksHeld (its
// own checks all held) and otherwise shows nothing either way. One defect is so one failure,
// however many scenarios it crosses.
const (
	Pass          Verdict = "PASS"
	Fail          Verdict = "FAIL"
	Blocked       Verdict = "BLOCKED"
	NotApplicable Verdict = "NOT_APPLICABLE"
	NotTested     Verdict = "NOT_TESTED"
	Skipped       Verdict = "SKIPPED"
	Error         Verdict = "ERROR"
	Config        Verdict = "CONFIG"
	Incomplete    Verdict = "INCOMPLETE"
)

// FailOn values name the requirement levels whose failure makes a run non-conformant. An empty
// Report.FailOn means FailOnMust.
const (
	FailOnMust   = "must"   // only a failed MUST requirement makes the run non-conformant
	FailOnShould = "should" // a failed MUST or SHOULD requirement makes the run non-conformant
)

// Levels of a requirement in the catalogue.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
)

// Report is the whole result of one run against one system. Every renderer reads only this.
// Verdict, Conformant, Headline, Partial, Summary and each Requirement's Verdict are derived by
// Finalise, except
// that a runner may set Verdict to CONFIG or ERROR, with a Message, for a run that could not
// be set up or could not reach the target.
type Report struct {
	SchemaVersion string  `json:"schemaVersion"`
	Verdict       Verdict `json:"verdict"`
	Conformant    bool    `json:"conformant"`
	// Headline says in one line what a reader may conclude, the same in every format, e.g.
	// "incomplete: 10 MUST requirements not tested".
	Headline string `json:"headline"`
	// Partial is true for a run narrowed to some scenarios (Suite.Tags): it is labelled a
	// partial run in every format.
	Partial      bool          `json:"partial"`
	FailOn       string        `json:"failOn"` // "must" or "should"
	Target       Target        `json:"target"`
	Suite        Suite         `json:"suite"`
	StartedAt    time.Time     `json:"startedAt"`
	FinishedAt   time.Time     `json:"finishedAt"`
	Summary      Summary       `json:"summary"`
	Requirements []Requirement `json:"requirements"`
	Scenarios    []Scenario    `json:"scenarios"`
	Message      string        `json:"message,omitempty"` // why a run is CONFIG or ERROR
}

// Target identifies the system under test.
type Target struct {
	Name         string   `json:"name"`
	BaseURL      string   `json:"baseUrl"`
	Vendor       string   `json:"vendor"`
	Product      string   `json:"product"`
	Version      string   `json:"version"`
	Councils     []string `json:"councils,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
}

// Suite identifies what the system was tested against.
type Suite struct {
	SpecVersion  string `json:"specVersion"`  // API version of the OpenAPI document
	SuiteVersion string `json:"suiteVersion"` // version of the scenarios and steps
	SpecDigest   string `json:"specDigest"`   // sha256 of the OpenAPI document
	Tags         string `json:"tags,omitempty"`
}

// Summary counts requirements and scenarios by verdict.
type Summary struct {
	Requirements map[Verdict]int `json:"requirements"`
	Scenarios    map[Verdict]int `json:"scenarios"`
}

// Requirement is the verdict on one requirement of the catalogue.
type Requirement struct {
	ID        string   `json:"id"`
	Level     string   `json:"level"` // MUST or SHOULD
	Group     string   `json:"group"`
	Title     string   `json:"title,omitempty"` // a few words naming the requirement, for people
	Text      string   `json:"text"`
	Verdict   Verdict  `json:"verdict"`
	Scenarios []string `json:"scenarios"` // ids of the scenarios that check it
}

// Scenario is the outcome of one Gherkin scenario.
type Scenario struct {
	ID           string        `json:"id"` // feature file path and line, e.g. features/id.feature:12
	Name         string        `json:"name"`
	Feature      string        `json:"feature"`
	FeatureLine  int           `json:"featureLine,omitempty"` // line of the Feature keyword in its file
	Tags         []string      `json:"tags"`
	Requirements []string      `json:"requirements"`
	Verdict      Verdict       `json:"verdict"`
	Duration     time.Duration `json:"durationNs"`
	Steps        []Step        `json:"steps"`
	Failure      *Failure      `json:"failure,omitempty"`
	// NotExercised says why a check of the scenario proved nothing: the system never did the
	// thing checked (a burst it shed none of). Such a scenario never passes: with nothing else
	// found it is SKIPPED, with the attempt as its Failure's evidence.
	NotExercised string `json:"notExercised,omitempty"`
	// Warnings are what the scenario noticed without failing it, e.g. a member the contract
	// does not define on a shielded record that holds none of the child's locating values.
	Warnings []string `json:"warnings,omitempty"`
}

// Step is the outcome of one Gherkin step.
type Step struct {
	Keyword  string        `json:"keyword"`
	Text     string        `json:"text"`
	Line     int           `json:"line,omitempty"` // line in the feature file
	Status   string        `json:"status"`         // passed, failed, skipped, undefined, pending, ambiguous
	Duration time.Duration `json:"durationNs"`
	Error    string        `json:"error,omitempty"`
}

// Failure explains why a scenario did not pass: what was expected, what came back, where, and
// the exchanges behind it (personal data redacted unless the run disabled redaction).
//
// A failure counts against the requirements it names, Requirement and Requirements together,
// or against every requirement its scenario checks when it names none. Each requirement it
// names must be one the scenario checks.
//
// ChecksHeld says that every step of the scenario ran and held, and the failure is only a
// finding charged to other requirements (a contract violation the contract attributes
// elsewhere): the scenario then shows that the requirements the failure does not name pass.
type Failure struct {
	Requirement  string   `json:"requirement,omitempty"`
	Requirements []string `json:"requirements,omitempty"` // when it counts against more than one
	ChecksHeld   bool     `json:"checksHeld,omitempty"`
	// Party and Role say who is at fault when two systems exchanged a transfer: Party is
	// PartyTarget or PartyPeer (empty: the target, as in every single-system check), Role is
	// RoleSender or RoleReceiver when the fault lies in the exchange itself (the package sent,
	// or how it was taken in) and empty when it lies in the party's own API.
	Party string `json:"party,omitempty"`
	Role  string `json:"role,omitempty"`
	// Blame lists, for a scenario with several findings, each requirement charged with the
	// party and role of the finding that charged it (Party and Role above are the primary
	// finding's).
	Blame     []Blame    `json:"blame,omitempty"`
	Message   string     `json:"message"`
	Pointer   string     `json:"pointer,omitempty"` // JSON Pointer or "header:Name"
	Expected  string     `json:"expected,omitempty"`
	Actual    string     `json:"actual,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
}

// Blame is one requirement a finding charged, and who it charged.
type Blame struct {
	Requirement string `json:"requirement"`
	Party       string `json:"party,omitempty"`
	Role        string `json:"role,omitempty"`
}

// Parties and roles of a Failure.
const (
	PartyTarget  = "target"
	PartyPeer    = "peer"
	RoleSender   = "SENDER"
	RoleReceiver = "RECEIVER"
)

// Exchange is one recorded HTTP request and response.
type Exchange struct {
	Operation       string            `json:"operation,omitempty"` // OpenAPI operationId
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	RequestHeaders  map[string]string `json:"requestHeaders,omitempty"`
	RequestBody     string            `json:"requestBody,omitempty"`
	Status          int               `json:"status"`
	ResponseHeaders map[string]string `json:"responseHeaders,omitempty"`
	ResponseBody    string            `json:"responseBody,omitempty"`
	DurationMs      int64             `json:"durationMs"`
	Error           string            `json:"error,omitempty"` // transport error, if any
	Violations      []string          `json:"violations,omitempty"`
}
