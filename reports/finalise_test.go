package reports

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scenario builds a scenario with verdict v that checks reqs.
func scenario(id string, v Verdict, reqs ...string) Scenario {
	return Scenario{ID: id, Name: id, Feature: "F", Verdict: v, Requirements: reqs}
}

func TestFinaliseRequirementVerdict(t *testing.T) {
	failing := func(id, blames string, also ...string) Scenario {
		s := scenario(id, Fail, "R-1", "R-2", "R-3")
		s.Failure = &Failure{Requirement: blames, Requirements: also, Message: "boom"}
		return s
	}
	held := func(s Scenario) Scenario {
		s.Failure.ChecksHeld = true
		return s
	}
	blocked := func(s Scenario) Scenario {
		s.Verdict = Blocked
		return s
	}
	tests := []struct {
		name      string
		reason    string
		scenarios []Scenario
		want      Verdict
	}{
		{"no scenarios", "a requirement nothing checked was not tested", nil, NotTested},
		{"one pass", "a passing check passes the requirement", []Scenario{scenario("f:1", Pass, "R-1")}, Pass},
		{
			"fail beats all", "one failing check fails the requirement whatever else happened",
			[]Scenario{scenario("f:1", Pass, "R-1"), scenario("f:2", Error, "R-1"), scenario("f:3", Fail, "R-1")},
			Fail,
		},
		{
			"error beats pass", "a check that could not finish leaves the requirement unproven",
			[]Scenario{scenario("f:1", Pass, "R-1"), scenario("f:2", Error, "R-1")},
			Error,
		},
		{
			"config beats pass", "a harness fault leaves the requirement unproven",
			[]Scenario{scenario("f:1", Pass, "R-1"), scenario("f:2", Config, "R-1")},
			Config,
		},
		{
			"config beats error", "a harness fault is reported before a target error, as for the run",
			[]Scenario{scenario("f:1", Error, "R-1"), scenario("f:2", Config, "R-1")},
			Config,
		},
		{
			"all not applicable", "a capability the system does not declare is NOT_APPLICABLE, not skipped",
			[]Scenario{scenario("f:1", NotApplicable, "R-1"), scenario("f:2", NotApplicable, "R-1")},
			NotApplicable,
		},
		{
			"pass with not applicable", "one applicable passing check is enough",
			[]Scenario{scenario("f:1", NotApplicable, "R-1"), scenario("f:2", Pass, "R-1")},
			Pass,
		},
		{
			"pass with skipped", "skipped checks do not undo a pass",
			[]Scenario{scenario("f:1", Skipped, "R-1"), scenario("f:2", Pass, "R-1")},
			Pass,
		},
		{"only skipped", "nothing ran, so the requirement was not tested", []Scenario{scenario("f:1", Skipped, "R-1")}, NotTested},
		{
			"skipped and not applicable", "not every check was NOT_APPLICABLE (earned by a declared capability) and none passed",
			[]Scenario{scenario("f:1", Skipped, "R-1"), scenario("f:2", NotApplicable, "R-1")},
			NotTested,
		},
		{"failure names this requirement", "a failure blamed on R-1 fails R-1", []Scenario{failing("f:1", "R-1")}, Fail},
		{
			"failure names no requirement", "an unattributed failure fails every requirement the scenario checks",
			[]Scenario{failing("f:1", "")},
			Fail,
		},
		{
			"failure names another requirement", "a failure blamed on R-2 is not evidence against R-1",
			[]Scenario{failing("f:1", "R-2"), scenario("f:2", Pass, "R-1")},
			Pass,
		},
		{
			"failure names another requirement only", "the scenario stopped before proving R-1",
			[]Scenario{failing("f:1", "R-2")},
			NotTested,
		},
		{
			"failure names several including this one", "a failure can count against several requirements",
			[]Scenario{failing("f:1", "", "R-2", "R-1")},
			Fail,
		},
		{
			"failure names several others", "a list of other requirements is not evidence against R-1",
			[]Scenario{failing("f:1", "", "R-2", "R-3")},
			NotTested,
		},
		{
			"failure names one and a list", "Requirement and Requirements together are what the failure names",
			[]Scenario{failing("f:1", "R-1", "R-2")},
			Fail,
		},
		{
			"checks held, failure elsewhere", "a scenario whose own checks all held shows R-1 passes despite a finding against R-2",
			[]Scenario{held(failing("f:1", "R-2"))},
			Pass,
		},
		{
			"checks held, failure here", "ChecksHeld never hides a failure charged to R-1",
			[]Scenario{held(failing("f:1", "", "R-1", "R-2"))},
			Fail,
		},
		{
			"blocked by this requirement", "a scenario blocked by R-1 is evidence that R-1 fails",
			[]Scenario{blocked(failing("f:1", "R-1")), scenario("f:2", Pass, "R-1")},
			Fail,
		},
		{
			"blocked by another, checks held", "a blocked scenario whose own checks held shows R-1 passes",
			[]Scenario{held(blocked(failing("f:1", "R-2")))},
			Pass,
		},
		{
			"blocked by another, stopped", "a blocked scenario that stopped shows R-1 neither way",
			[]Scenario{blocked(failing("f:1", "", "R-2", "R-3"))},
			NotTested,
		},
		{
			"blocked by another beside a pass", "a blocked scenario does not undo R-1's own pass",
			[]Scenario{blocked(failing("f:1", "R-2")), scenario("f:2", Pass, "R-1")},
			Pass,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{
				Requirements: []Requirement{{ID: "R-1", Level: LevelMust}, {ID: "R-2", Level: LevelMust}, {ID: "R-3", Level: LevelMust}},
				Scenarios:    tt.scenarios,
			}
			require.NoError(t, r.Finalise())
			assert.Equal(t, tt.want, r.Requirements[0].Verdict, tt.reason)
		})
	}
}

func TestFinaliseRunVerdict(t *testing.T) {
	must := func(v Verdict) Scenario { return scenario("f:1", v, "M-1") }
	should := func(v Verdict) Scenario { return scenario("f:2", v, "S-1") }
	tests := []struct {
		name       string
		reason     string
		failOn     string
		preset     Verdict
		message    string
		scenarios  []Scenario
		want       Verdict
		conformant bool
	}{
		{"all pass", "every requirement passed", "", "", "", []Scenario{must(Pass), should(Pass)}, Pass, true},
		{"must fails", "a failed MUST is never conformant", FailOnMust, "", "", []Scenario{must(Fail), should(Pass)}, Fail, false},
		{
			"should fails under must", "a SHOULD failure is reported but does not block by default",
			FailOnMust, "", "",
			[]Scenario{must(Pass), should(Fail)},
			Pass, true,
		},
		{
			"should fails under should", "fail-on should makes SHOULD failures block",
			FailOnShould, "", "",
			[]Scenario{must(Pass), should(Fail)},
			Fail, false,
		},
		{"must error", "a MUST that could not be tested leaves the run untested", "", "", "", []Scenario{must(Error), should(Pass)}, Error, false},
		{"should error under must", "a non-blocking error does not stop conformance", "", "", "", []Scenario{must(Pass), should(Error)}, Pass, true},
		{"fail beats error", "a proven failure outranks an untested requirement", "", "", "", []Scenario{must(Fail), should(Error)}, Fail, false},
		{"must config", "a harness fault on a MUST makes the run CONFIG", "", "", "", []Scenario{must(Config), should(Pass)}, Config, false},
		{
			"config beats error", "a harness fault is reported before a target error", FailOnShould, "", "",
			[]Scenario{must(Error), should(Config)},
			Config, false,
		},
		{"nothing passed", "a run where nothing passed is not conformant", "", "", "", []Scenario{must(NotApplicable), should(Skipped)}, Skipped, false},
		{"must not tested", "a MUST requirement no scenario showed makes the run incomplete, never conformant", "", "", "", []Scenario{must(Skipped), should(Pass)}, Incomplete, false},
		{"should not tested under must", "an untested SHOULD does not block by default", FailOnMust, "", "", []Scenario{must(Pass), should(Skipped)}, Pass, true},
		{"should not tested under should", "fail-on should makes an untested SHOULD block", FailOnShould, "", "", []Scenario{must(Pass), should(Skipped)}, Incomplete, false},
		{"fail beats not tested", "a proven failure outranks an untested requirement", FailOnShould, "", "", []Scenario{must(Fail), should(Skipped)}, Fail, false},
		{"error beats not tested", "a target that could not be tested is reported as such", FailOnShould, "", "", []Scenario{must(Error), should(Skipped)}, Error, false},
		{"runner config, no scenarios", "the runner's CONFIG stands for a run that never started", "", Config, "bad target.yaml", nil, Config, false},
		{"runner error, no scenarios", "the runner's ERROR stands for an unreachable target", "", Error, "connection refused", nil, Error, false},
		{
			"runner error over passes", "a run the runner aborted is ERROR even if what ran passed", "", Error, "target went away",
			[]Scenario{must(Pass), should(Pass)},
			Error, false,
		},
		{"runner config over failure", "CONFIG and ERROR from the runner take precedence", "", Config, "clock skew", []Scenario{must(Fail)}, Config, false},
		{
			"preset without message", "a CONFIG or ERROR verdict counts only with a reason; otherwise it is recomputed",
			"", Error, "",
			[]Scenario{must(Pass), should(Pass)},
			Pass, true,
		},
		{"message on a normal run", "a message alone does not change a run that ran", "", "", "note", []Scenario{must(Pass), should(Pass)}, Pass, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{
				FailOn: tt.failOn, Verdict: tt.preset, Message: tt.message,
				Requirements: []Requirement{{ID: "M-1", Level: LevelMust}, {ID: "S-1", Level: LevelShould}},
				Scenarios:    tt.scenarios,
			}
			require.NoError(t, r.Finalise())
			assert.Equal(t, tt.want, r.Verdict, tt.reason)
			assert.Equal(t, tt.conformant, r.Conformant, tt.reason)

			first := *r
			require.NoError(t, r.Finalise(), "Finalise is idempotent")
			assert.Equal(t, first.Verdict, r.Verdict, "Finalise is idempotent")
		})
	}
}

func TestFinaliseNormalises(t *testing.T) {
	r := &Report{
		StartedAt: time.Date(2026, 3, 14, 10, 0, 0, 0, time.FixedZone("BST", 3600)),
		Requirements: []Requirement{
			{ID: "B-1", Level: LevelMust, Scenarios: []string{"f.feature:12", "f.feature:9"}},
			{ID: "A-1", Level: LevelShould},
		},
		Scenarios: []Scenario{
			scenario("f.feature:12", Pass),
			scenario("f.feature:9", Pass, "A-1", "B-1"),
			scenario("e.feature:100", Pass, "A-1"),
		},
	}
	require.NoError(t, r.Finalise())

	assert.Equal(t, SchemaVersion, r.SchemaVersion, "the schema version is filled in")
	assert.Equal(t, FailOnMust, r.FailOn, "fail-on defaults to must")
	assert.Equal(t, time.UTC, r.StartedAt.Location(), "times are kept in UTC")
	assert.Equal(t, 9, r.StartedAt.Hour(), "converting to UTC keeps the instant")

	var ids []string
	for _, s := range r.Scenarios {
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{"e.feature:100", "f.feature:9", "f.feature:12"}, ids, "scenarios sort by file, then line as a number")
	assert.Equal(t, []string{"f.feature:9", "f.feature:12"}, r.Requirements[0].Scenarios, "a requirement's scenarios are deduplicated and sorted")
	assert.Equal(t, []string{"e.feature:100", "f.feature:9"}, r.Requirements[1].Scenarios, "links from scenarios reach the requirement")
	assert.Equal(t, []string{"B-1"}, r.Scenarios[2].Requirements, "links from requirements reach the scenario")
	assert.Equal(t, []string{"B-1", "A-1"}, r.Scenarios[1].Requirements, "a scenario's requirements follow catalogue order")
	assert.Equal(t, []string{"B-1", "A-1"}, []string{r.Requirements[0].ID, r.Requirements[1].ID}, "requirements keep catalogue order")

	for _, v := range verdictOrder {
		assert.Contains(t, r.Summary.Requirements, v, "every verdict is counted, zero or not")
		assert.Contains(t, r.Summary.Scenarios, v, "every verdict is counted, zero or not")
	}
	assert.Equal(t, 3, r.Summary.Scenarios[Pass])
	assert.Equal(t, 2, r.Summary.Requirements[Pass])
	assert.NotNil(t, r.Scenarios[0].Tags, "lists that are always written are empty, not nil")
	assert.NotNil(t, r.Scenarios[0].Steps, "lists that are always written are empty, not nil")
}

func TestFinaliseRejects(t *testing.T) {
	valid := func() *Report {
		return &Report{
			Requirements: []Requirement{{ID: "R-1", Level: LevelMust}},
			Scenarios:    []Scenario{scenario("f:1", Pass, "R-1")},
		}
	}
	tests := []struct {
		name   string
		reason string
		mutate func(r *Report)
		want   string
	}{
		{"fail-on", "only must and should are known", func(r *Report) { r.FailOn = "may" }, `failOn "may"`},
		{"duplicate scenario", "scenario ids must be unique", func(r *Report) { r.Scenarios = append(r.Scenarios, r.Scenarios[0]) }, `duplicate scenario "f:1"`},
		{"scenario without id", "every scenario needs an id", func(r *Report) { r.Scenarios[0].ID = "" }, "has no id"},
		{"scenario verdict", "a scenario needs a known verdict", func(r *Report) { r.Scenarios[0].Verdict = "OK" }, `unknown verdict "OK"`},
		{"step status", "steps carry Cucumber statuses", func(r *Report) { r.Scenarios[0].Steps = []Step{{Text: "x", Status: "done"}} }, `unknown status "done"`},
		{"duplicate requirement", "requirement ids must be unique", func(r *Report) { r.Requirements = append(r.Requirements, r.Requirements[0]) }, `duplicate requirement "R-1"`},
		{"requirement without id", "every requirement needs an id", func(r *Report) { r.Requirements[0].ID = "" }, "requirement 0 has no id"},
		{"level", "only MUST and SHOULD are known", func(r *Report) { r.Requirements[0].Level = "MAY" }, `level "MAY"`},
		{
			"unknown scenario", "a requirement cannot list a scenario that is not in the report",
			func(r *Report) { r.Requirements[0].Scenarios = []string{"f:2"} }, `unknown scenario "f:2"`,
		},
		{
			"unknown requirement", "a scenario cannot name a requirement that is not in the catalogue",
			func(r *Report) { r.Scenarios[0].Requirements = []string{"R-9"} }, `unknown requirement "R-9"`,
		},
		{
			"orphan scenario", "a scenario that checks nothing cannot carry a verdict",
			func(r *Report) { r.Scenarios = append(r.Scenarios, scenario("f:2", Fail)) }, `scenario "f:2" checks no requirement`,
		},
		{
			"failure blames unchecked requirement", "a mistyped requirement on a failure must not turn the FAIL into SKIPPED",
			func(r *Report) {
				r.Requirements = append(r.Requirements, Requirement{ID: "R-2", Level: LevelMust})
				r.Scenarios[0].Verdict, r.Scenarios[0].Failure = Fail, &Failure{Requirement: "R-2", Message: "x"}
			}, `failure names requirement "R-2", which the scenario does not check`,
		},
		{
			"failure list blames unchecked requirement", "every requirement a failure names must be checked by its scenario",
			func(r *Report) {
				r.Requirements = append(r.Requirements, Requirement{ID: "R-2", Level: LevelMust})
				r.Scenarios[0].Verdict = Fail
				r.Scenarios[0].Failure = &Failure{Requirements: []string{"R-1", "R-2"}, Message: "x"}
			}, `failure names requirement "R-2", which the scenario does not check`,
		},
		{
			"blocked by nothing", "a BLOCKED scenario must name what blocked it, or its failure would count against nothing",
			func(r *Report) { r.Scenarios[0].Verdict, r.Scenarios[0].Failure = Blocked, &Failure{Message: "x"} },
			`scenario "f:1" is BLOCKED but its failure names no requirement`,
		},
		{
			"not exercised but passing", "a check that proved nothing must never read as a PASS",
			func(r *Report) { r.Scenarios[0].NotExercised = "nothing was shed" },
			`scenario "f:1": a check not exercised cannot pass`,
		},
		{
			"message without verdict", "a run that ran nothing must say CONFIG or ERROR",
			func(r *Report) { r.Scenarios, r.Message = nil, "could not start" }, "want CONFIG or ERROR",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.mutate(r)
			err := r.Finalise()
			require.ErrorIs(t, err, ErrInvalid, tt.reason)
			require.ErrorContains(t, err, tt.want, tt.reason)
			assert.ErrorContains(t, err, "finalise report: ", "errors name the operation")
		})
	}
}

func TestCompareScenarioIDs(t *testing.T) {
	tests := []struct {
		a, b   string
		want   int
		reason string
	}{
		{"f.feature:9", "f.feature:12", -1, "lines compare as numbers"},
		{"a.feature:99", "b.feature:1", -1, "files compare first"},
		{"f.feature", "f.feature:1", -1, "an id without a line sorts first"},
		{"f.feature:x", "f.feature:y", -1, "a non-numeric suffix compares as text"},
		{"f.feature:3", "f.feature:3", 0, "equal ids"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s vs %s", tt.a, tt.b), func(t *testing.T) {
			assert.Equal(t, tt.want, compareScenarioIDs(tt.a, tt.b), tt.reason)
			assert.Equal(t, -tt.want, compareScenarioIDs(tt.b, tt.a), "the order is antisymmetric")
		})
	}
}

func TestHeadline(t *testing.T) {
	reqs := func() []Requirement {
		return []Requirement{
			{ID: "M-1", Level: LevelMust},
			{ID: "M-2", Level: LevelMust},
			{ID: "M-3", Level: LevelMust},
			{ID: "S-1", Level: LevelShould},
		}
	}
	tests := []struct {
		name, reason, tags, failOn string
		scenarios                  []Scenario
		verdict                    Verdict
		want                       string
	}{
		{
			"conformant", "every requirement shown", "", "",
			[]Scenario{scenario("f:1", Pass, "M-1", "M-2"), scenario("f:2", NotApplicable, "M-3"), scenario("f:3", Pass, "S-1")},
			Pass, "conformant: 3 requirements passed, 1 not applicable",
		},
		{
			"incomplete", "two MUST requirements have no scenario: counted and named as MUST", "", "",
			[]Scenario{scenario("f:1", Pass, "M-1", "S-1")},
			Incomplete, "incomplete: 2 MUST requirements not tested",
		},
		{
			"incomplete under should", "an untested SHOULD counts once it blocks", "", FailOnShould,
			[]Scenario{scenario("f:1", Pass, "M-1", "M-2")},
			Incomplete, "incomplete: 1 MUST and 1 SHOULD requirements not tested",
		},
		{
			"failed and untested", "a failure does not hide what was not tested", "", "",
			[]Scenario{scenario("f:1", Fail, "M-1"), scenario("f:2", Pass, "M-2")},
			Fail, "not conformant: 1 MUST requirement failed; 1 MUST requirement not tested",
		},
		{
			"partial", "a run narrowed by tags says so first", "@M-1", "",
			[]Scenario{scenario("f:1", Pass, "M-1"), scenario("f:2", Skipped, "M-2", "M-3", "S-1")},
			Incomplete, `partial run (--tags "@M-1"): incomplete: 2 MUST requirements not tested`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Requirements: reqs(), Scenarios: tt.scenarios, FailOn: tt.failOn, Suite: Suite{Tags: tt.tags}}
			require.NoError(t, r.Finalise())
			assert.Equal(t, tt.verdict, r.Verdict, tt.reason)
			assert.Equal(t, tt.want, r.Headline, tt.reason)
			assert.Equal(t, tt.tags != "", r.Partial, tt.reason)
		})
	}
}
