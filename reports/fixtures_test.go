package reports

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostile is evidence that tries to break out of every format the reports are written in.
const hostile = "</pre><script>window.__icscertPwned = true</script>]]><![CDATA[x]]>\x00\x1b[31m\x07 | *bold* & <b>"

var (
	started  = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	finished = started.Add(150 * time.Second)
)

// catalogue is a slice of the requirement catalogue, in catalogue order.
func catalogue() []Requirement {
	return []Requirement{
		{ID: "ID-001", Title: "NHS number format and checksum", Level: LevelMust, Group: "ID", Text: "NHS numbers are 10 digits (spaces ignored) and pass modulus 11. Anything else is rejected with INVALID_NHS_NUMBER."},
		{ID: "ID-002", Title: "UPN format and check letter", Level: LevelMust, Group: "ID", Text: "A UPN is rejected with INVALID_UPN unless it is well formed."},
		{ID: "SEARCH-002", Title: "Demographic search needs enough criteria", Level: LevelMust, Group: "SEARCH", Text: "A demographic search needs family name, date of birth and one more field."},
		{ID: "SEARCH-004", Title: "Too many matches", Level: LevelMust, Group: "SEARCH", Text: "More matches than the maximum returns 422 TOO_MANY_MATCHES and no records."},
		{ID: "SENS-006", Title: "Shield review due", Level: LevelShould, Group: "SENS", Text: "A shield whose review date has passed raises SHIELD_REVIEW_DUE."},
		{ID: "AUTH-004", Title: "Break-glass access", Level: LevelShould, Group: "AUTH", Text: "Break-glass access needs a purpose text, is flagged in audit and notifies the responsible council."},
		{ID: "VER-003", Title: "Meta endpoint", Level: LevelMust, Group: "VER", Text: "/v1/meta publishes the API version and code-system versions."},
	}
}

func target() Target {
	return Target{
		Name:         "acme-staging",
		BaseURL:      "https://cre.acme.example/v1",
		Vendor:       "Acme Care Systems Ltd",
		Product:      "Acme Children",
		Version:      "4.2.0",
		Councils:     []string{"E09000033", "E08000025"},
		Capabilities: []string{"search", "transfer"},
	}
}

func suite() Suite {
	return Suite{
		SpecVersion:  "1.0.0",
		SuiteVersion: "0.3.0",
		SpecDigest:   "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
}

func steps(statuses ...string) []Step {
	texts := []string{"a practitioner of council E09000033", "they create a child with NHS number \"943 476 5919\"", "the response status is 201"}
	keywords := []string{"Given", "When", "Then"}
	out := make([]Step, len(statuses))
	for i, status := range statuses {
		out[i] = Step{Keyword: keywords[i%3], Text: texts[i%3], Line: 13 + i, Status: status, Duration: time.Duration(i+1) * 3 * time.Millisecond}
	}
	return out
}

func passing(id, feature, name string, reqs ...string) Scenario {
	return Scenario{
		ID: id, Name: name, Feature: feature, Verdict: Pass, Duration: 42 * time.Millisecond,
		Tags: tagsOf(reqs), Requirements: reqs, Steps: steps("passed", "passed", "passed"),
	}
}

func tagsOf(reqs []string) []string {
	tags := make([]string, len(reqs))
	for i, id := range reqs {
		tags[i] = "@" + id
	}
	return tags
}

// finalised finalises r, failing the test on error.
func finalised(t *testing.T, r *Report) *Report {
	t.Helper()
	require.NoError(t, r.Finalise())
	return r
}

// allPassReport is a conformant run: every requirement passes or is not applicable.
func allPassReport(t *testing.T) *Report {
	t.Helper()
	na := passing("features/auth.feature:40", "Access control", "Break-glass read is flagged", "AUTH-004")
	na.Verdict, na.Steps = NotApplicable, steps("skipped", "skipped", "skipped")
	na.Tags = append(na.Tags, "@capability:break-glass")
	na.Failure = &Failure{Message: "the target does not declare capability break-glass"}
	return finalised(t, &Report{
		Target: target(), Suite: suite(), StartedAt: started, FinishedAt: finished,
		Requirements: catalogue(),
		Scenarios: []Scenario{
			passing("features/id.feature:12", "Identity and matching", "A valid NHS number is accepted", "ID-001"),
			passing("features/id.feature:9", "Identity and matching", "A bad UPN check letter is rejected", "ID-002"),
			passing("features/search.feature:7", "Search", "A search without a date of birth is refused", "SEARCH-002"),
			passing("features/search.feature:31", "Search", "Too many matches return no records", "SEARCH-004"),
			passing("features/sens.feature:88", "Sensitive services", "An overdue shield review raises SHIELD_REVIEW_DUE", "SENS-006"),
			na,
			passing("features/ver.feature:3", "Versioning", "Meta publishes versions", "VER-003"),
		},
	})
}

// failuresReport is a non-conformant run with failures, an error, a not-applicable
// requirement, a requirement with no scenarios and hostile evidence.
func failuresReport(t *testing.T) *Report {
	t.Helper()
	nhs := passing("features/id.feature:12", "Identity and matching", "An NHS number with a bad check digit is rejected", "ID-001")
	nhs.Verdict, nhs.Steps = Fail, steps("passed", "passed", "failed")
	nhs.Steps[2].Error = "expected status 400, got 201"
	nhs.Failure = &Failure{
		Requirement: "ID-001",
		Message:     "expected status 400 INVALID_NHS_NUMBER, got 201 Created",
		Pointer:     "/nhsNumber",
		Expected:    `{"status":400,"code":"INVALID_NHS_NUMBER"}`,
		Actual:      `{"status":201,"id":"` + hostile + `"}`,
		Exchanges: []Exchange{
			{
				Operation: "createChild", Method: "POST", URL: "https://cre.acme.example/v1/children",
				RequestHeaders: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer [redacted]", "X-Purpose": hostile},
				RequestBody:    `{"nhsNumber":"9434765918","familyName":"` + hostile + `"}`,
				Status:         201,
				ResponseHeaders: map[string]string{
					"Content-Type": "application/json", "ETag": `"1"`,
				},
				ResponseBody: hostile,
				DurationMs:   31,
				Violations:   []string{"response body: property \"id\" " + hostile},
			},
			{
				Operation: "getChild", Method: "GET", URL: "https://cre.acme.example/v1/children/c-0001",
				Status: 200, ResponseBody: `{"id":"c-0001","version":1}`, DurationMs: 12,
			},
		},
	}

	// Fails on ID-001, so it counts as SKIPPED, not FAIL, for ID-002 which it also checks.
	upn := passing("features/id.feature:50", "Identity and matching", "A UPN and an NHS number together", "ID-001", "ID-002")
	upn.Verdict, upn.Steps = Fail, steps("passed", "failed", "skipped")
	upn.Steps[1].Error = "status 201, want 400"
	upn.Failure = &Failure{Requirement: "ID-001", Message: "status 201, want 400", Pointer: "header:Location", Expected: "absent", Actual: "/v1/children/c-0002"}

	search := passing("features/search.feature:20", "Search", "A demographic search needs a date of birth")
	timeout := passing("features/search.feature:31", "Search", "Too many matches return no records", "SEARCH-004")
	timeout.Verdict, timeout.Steps = Error, steps("passed", "failed")
	timeout.Steps[1].Error = "context deadline exceeded"
	timeout.Failure = &Failure{
		Message: "GET /v1/children?familyName=Smith timed out after 10s",
		Exchanges: []Exchange{{
			Operation: "searchChildren", Method: "GET", URL: "https://cre.acme.example/v1/children?familyName=Smith&dateOfBirth=2015-01-01",
			Error: "context deadline exceeded", DurationMs: 10000,
		}},
	}

	shield := passing("features/sens.feature:88", "Sensitive services", "An overdue shield review raises SHIELD_REVIEW_DUE", "SENS-006")
	shield.Verdict, shield.Steps = Fail, steps("passed", "passed", "failed")
	shield.Steps[2].Error = "no SHIELD_REVIEW_DUE warning"
	shield.Failure = &Failure{
		Requirement: "SENS-006",
		Message: "the record shows no SHIELD_REVIEW_DUE warning | although the review date 2026-01-01 passed\n" +
			"and the warnings list was empty; this message is long enough that every one-line form of it must be cut short before it reaches the end",
		Pointer: "/warnings", Expected: `["SHIELD_REVIEW_DUE"]`, Actual: `[]`,
	}

	na := passing("features/auth.feature:40", "Access control", "Break-glass read is flagged", "AUTH-004")
	na.Verdict, na.Steps = NotApplicable, steps("skipped", "skipped", "skipped")
	na.Failure = &Failure{Message: "the target does not declare capability break-glass"}

	reqs := catalogue()
	reqs[2].Scenarios = []string{"features/search.feature:20"} // linked from the requirement side only
	return finalised(t, &Report{
		FailOn: FailOnMust, Target: target(), Suite: suite(), StartedAt: started, FinishedAt: finished,
		Requirements: reqs,
		Scenarios: []Scenario{
			shield, nhs, upn, timeout, search, na,
			passing("features/id.feature:9", "Identity and matching", "A bad UPN check letter is rejected", "ID-002"),
			passing("features/id.feature:30", "Identity and matching", "Spaces in an NHS number are ignored", "ID-001"),
		},
	})
}

// blockedReport is a run in which one defect crosses many scenarios: the system breaks ID-002
// (a scenario of its own fails), and SENS-006 only on the way through scenarios of other
// requirements. Those scenarios are BLOCKED, not failures of their own requirements: one whose
// own checks held passes ID-001, one that stopped shows SEARCH-002 neither way.
func blockedReport(t *testing.T) *Report {
	t.Helper()
	upn := passing("features/id.feature:9", "Identity and matching", "A bad UPN check letter is rejected", "ID-002")
	upn.Verdict, upn.Steps = Fail, steps("passed", "passed", "failed")
	upn.Steps[2].Error = "expected status 400, got 201"
	upn.Failure = &Failure{Requirement: "ID-002", Message: "expected status 400 INVALID_UPN, got 201 Created", Pointer: "status", Expected: "400", Actual: "201"}

	violation := Exchange{
		Operation: "createChild", Method: "POST", URL: "https://cre.acme.example/v1/children", Status: 201,
		ResponseBody: `{"id":"c-0009","upn":"A20212345678B"}`, DurationMs: 9,
		Violations: []string{"response body /upn: string doesn't match the pattern"},
	}
	held := passing("features/id.feature:12", "Identity and matching", "A valid NHS number is accepted", "ID-001", "ID-002")
	held.Verdict, held.Steps = Blocked, steps("failed", "passed", "passed")
	held.Steps[0].Error = "createChild: the response breaks the contract: /upn"
	held.Failure = &Failure{
		Requirements: []string{"ID-002"}, ChecksHeld: true,
		Message: "createChild: the response breaks the contract: /upn", Pointer: "/upn", Exchanges: []Exchange{violation},
	}
	stopped := passing("features/search.feature:7", "Search", "A search without a date of birth is refused", "SEARCH-002", "ID-002")
	stopped.Verdict, stopped.Steps = Blocked, steps("failed", "skipped", "skipped")
	stopped.Steps[0].Error = "could not create the child \"Amara\" to set up the scenario"
	stopped.Failure = &Failure{
		Requirements: []string{"ID-002"},
		Message:      "could not create the child \"Amara\" to set up the scenario: refused a valid UPN",
		Pointer:      "status", Expected: "201 with an id", Actual: "422 INVALID_UPN", Exchanges: []Exchange{violation},
	}
	review := passing("features/search.feature:31", "Search", "Too many matches return no records", "SEARCH-004", "SENS-006")
	review.Verdict, review.Steps = Blocked, steps("passed", "failed", "passed")
	review.Steps[1].Error = "getChild: the response breaks the contract: /warnings"
	review.Failure = &Failure{
		Requirements: []string{"SENS-006"}, ChecksHeld: true,
		Message: "getChild: the response breaks the contract: /warnings/0: value is not one of the allowed values",
	}
	warned := passing("features/sens.feature:88", "Sensitive services", "An overdue shield review raises SHIELD_REVIEW_DUE", "SENS-006")
	warned.Warnings = []string{"the shielded record carries /vendorRef, a member the contract does not define; a client ignores it, " +
		"and none of the child's locating values is in the record"}
	idle := passing("features/ver.feature:3", "Versioning", "Meta publishes versions under load", "VER-003")
	idle.Verdict, idle.NotExercised = Skipped, "the system answered every request of bursts of 64, 128, 256 at once, so how it sheds load was not exercised"
	idle.Failure = &Failure{Message: "not exercised: " + idle.NotExercised}
	return finalised(t, &Report{
		Target: target(), Suite: suite(), StartedAt: started, FinishedAt: finished,
		Requirements: catalogue(),
		Scenarios: []Scenario{
			upn, held, stopped, review, warned, idle,
			passing("features/id.feature:30", "Identity and matching", "Spaces in an NHS number are ignored", "ID-001"),
			passing("features/auth.feature:40", "Access control", "Break-glass read is flagged", "AUTH-004"),
			passing("features/ver.feature:9", "Versioning", "Meta publishes versions", "VER-003"),
		},
	})
}

// configReport is a run that never started: the target file was wrong.
func configReport(t *testing.T) *Report {
	t.Helper()
	tg := target()
	tg.BaseURL = "htp://cre.acme.example"
	return finalised(t, &Report{
		Verdict: Config, Message: `target.yaml: baseUrl "htp://cre.acme.example" is not an absolute http or https URL`,
		Target: tg, Suite: suite(), StartedAt: started, FinishedAt: started,
		Requirements: catalogue(),
	})
}

// fixtures are the reports that the golden and parse-back tests render.
var fixtures = []struct {
	name   string
	reason string
	build  func(t *testing.T) *Report
}{
	{"all-pass", "a conformant run shows PASS and NOT_APPLICABLE apart, with no evidence section", allPassReport},
	{"failures", "failures, an error and hostile evidence must be reported in full and stay inert", failuresReport},
	{"config", "a run that never started must not look green, and must say why", configReport},
	{"blocked", "one defect crossing many scenarios is one failed requirement and one failing testcase per requirement, the rest BLOCKED", blockedReport},
}
