package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/steps"
)

func TestScenarioResult(t *testing.T) {
	sc := suiteScenario{ID: "features/x.feature:3", Name: "x", Requirements: []string{"READ-001"}, Tags: []string{"@READ-001", "@positive"}}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	run := func(statuses ...string) *scenarioRun {
		r := &scenarioRun{started: start, last: start.Add(time.Second), index: map[string]int{}}
		for i, s := range statuses {
			r.steps = append(r.steps, reports.Step{Keyword: "When", Text: "step", Status: s})
			r.index[string(rune('a'+i))] = i
		}
		return r
	}
	fail := func(step string, reqs ...string) steps.Finding {
		return steps.Finding{Verdict: reports.Fail, Requirements: reqs, StepID: step, Failure: reports.Failure{Message: "fail " + step}}
	}
	other := func(v reports.Verdict, step string) steps.Finding {
		return steps.Finding{Verdict: v, StepID: step, Failure: reports.Failure{Message: string(v) + " " + step}}
	}

	cases := []struct {
		reason     string
		run        *scenarioRun
		findings   []steps.Finding
		noOutcome  bool
		verdict    reports.Verdict
		charged    []string // the Failure's Requirements
		held       bool     // the Failure's ChecksHeld
		links      []string // the scenario's requirements in the report
		stepStatus []string
	}{
		{"nothing found passes", run("passed", "passed"), nil, false, reports.Pass, nil, false, []string{"READ-001"}, []string{"passed", "passed"}},
		{
			"a failure of the scenario's own requirement fails it", run("passed", "failed"),
			[]steps.Finding{fail("b", "READ-001")},
			false,
			reports.Fail,
			[]string{"READ-001"},
			false,
			[]string{"READ-001"},
			[]string{"passed", "failed"},
		},
		{
			"a violation charged elsewhere blocks the scenario, names and links that requirement, fails its step, and says the scenario's own checks held",
			run("passed", "passed"),
			[]steps.Finding{fail("a", "READ-004")},
			false,
			reports.Blocked,
			[]string{"READ-004"},
			true,
			[]string{"READ-001", "READ-004"},
			[]string{"failed", "passed"},
		},
		{
			"a set-up step that failed on a rule charged elsewhere blocks the scenario, whose own checks did not run",
			run("failed", "skipped"),
			[]steps.Finding{fail("a", "ID-002")},
			false,
			reports.Blocked,
			[]string{"ID-002"},
			false,
			[]string{"READ-001", "ID-002"},
			[]string{"failed", "skipped"},
		},
		{
			"a failure that names no requirement counts against the scenario's own, and fails it",
			run("passed", "failed"),
			[]steps.Finding{fail("a", "READ-004"), fail("b")},
			false,
			reports.Fail,
			[]string{"READ-001", "READ-004"},
			false,
			[]string{"READ-001", "READ-004"},
			[]string{"failed", "failed"},
		},
		{
			"an own failure and one charged elsewhere both count", run("passed", "failed"),
			[]steps.Finding{fail("a", "READ-004"), fail("b", "READ-001")},
			false, reports.Fail,
			[]string{"READ-001", "READ-004"},
			false,
			[]string{"READ-001", "READ-004"},
			[]string{"failed", "failed"},
		},
		{
			"an own failure outranks a later error", run("passed", "failed", "skipped"),
			[]steps.Finding{fail("a", "READ-001"), other(reports.Error, "b")},
			false, reports.Fail,
			[]string{"READ-001"},
			false,
			[]string{"READ-001"},
			nil,
		},
		{
			"an error outranks a failure charged elsewhere", run("passed", "failed"),
			[]steps.Finding{fail("a", "READ-004"), other(reports.Error, "b")},
			false, reports.Error, nil, false,
			[]string{"READ-001"},
			nil,
		},
		{
			"a suite defect outranks an error", run("failed", "failed"),
			[]steps.Finding{other(reports.Error, "a"), other(reports.Config, "b")},
			false, reports.Config, nil, false,
			[]string{"READ-001"},
			nil,
		},
		{"an undefined step godog reports is a suite defect", run("passed", "undefined"), nil, false, reports.Config, nil, false, []string{"READ-001"}, nil},
		{"a scenario without an outcome is a harness defect", run(), nil, true, reports.Config, nil, false, []string{"READ-001"}, nil},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got := scenarioResult(sc, c.run, steps.Outcome{Findings: c.findings}, !c.noOutcome)
			assert.Equal(t, c.verdict, got.Verdict, c.reason)
			assert.Equal(t, c.links, got.Requirements, c.reason)
			assert.Equal(t, time.Second, got.Duration)
			if c.verdict == reports.Pass {
				assert.Nil(t, got.Failure)
			} else if assert.NotNil(t, got.Failure) {
				assert.Empty(t, got.Failure.Requirement, c.reason)
				assert.Equal(t, c.charged, got.Failure.Requirements, c.reason)
				assert.Equal(t, c.held, got.Failure.ChecksHeld, c.reason)
			}
			if c.stepStatus != nil {
				var statuses []string
				for _, st := range got.Steps {
					statuses = append(statuses, st.Status)
				}
				assert.Equal(t, c.stepStatus, statuses, c.reason)
			}
		})
	}
}
