package harness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
			got := scenarioResult(sc, c.run, steps.Outcome{Findings: c.findings}, !c.noOutcome, true)
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

// TestScenarioResultPeerFault: a failure charged to the peer counts against the target only when
// the peer is under test too (a pair run); otherwise it is an ERROR naming the peer.
func TestScenarioResultPeerFault(t *testing.T) {
	sc := suiteScenario{ID: "features/transfers.feature:9", Name: "x", Requirements: []string{"XFER-004"}, Tags: []string{"@XFER-004"}}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	run := &scenarioRun{
		started: start, last: start, index: map[string]int{"a": 0},
		steps: []reports.Step{{Keyword: "Then", Text: "the record arrives whole", Status: "failed"}},
	}
	peer := steps.Finding{Verdict: reports.Fail, Requirements: []string{"XFER-004"}, StepID: "a", Failure: reports.Failure{
		Message: "the consents were dropped on import", Party: reports.PartyPeer, Role: reports.RoleReceiver,
	}}
	target := steps.Finding{Verdict: reports.Fail, Requirements: []string{"XFER-004"}, StepID: "a", Failure: reports.Failure{
		Message: "the package lacks the shield", Party: reports.PartyTarget, Role: reports.RoleSender,
	}}
	cases := []struct {
		reason        string
		findings      []steps.Finding
		peerUnderTest bool
		verdict       reports.Verdict
		message       string
		blame         []reports.Blame
	}{
		{
			"in a single-system run the reference peer's fault is an ERROR naming the peer, not a FAIL of the target",
			[]steps.Finding{peer},
			false, reports.Error,
			"the peer system broke XFER-004 as receiver: the consents were dropped on import", nil,
		},
		{
			"in a pair run the peer is under test, and its fault counts with its party and role",
			[]steps.Finding{peer},
			true, reports.Fail,
			"the consents were dropped on import",
			[]reports.Blame{{Requirement: "XFER-004", Party: reports.PartyPeer, Role: reports.RoleReceiver}},
		},
		{
			"the target's own fault still fails it beside the peer's",
			[]steps.Finding{target, peer},
			false, reports.Fail,
			"the package lacks the shield (and 1 more: ERROR: the peer system broke XFER-004 as receiver: the consents were dropped on import)",
			[]reports.Blame{{Requirement: "XFER-004", Party: reports.PartyTarget, Role: reports.RoleSender}},
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got := scenarioResult(sc, run, steps.Outcome{Findings: c.findings}, true, c.peerUnderTest)
			assert.Equal(t, c.verdict, got.Verdict, c.reason)
			require.NotNil(t, got.Failure)
			assert.Equal(t, c.message, got.Failure.Message, c.reason)
			assert.Equal(t, c.blame, got.Failure.Blame, c.reason)
		})
	}
}
