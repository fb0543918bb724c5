package harness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/steps"
)

// scenarioResult turns what godog reported of a scenario that ran and its Outcome into the
// report's Scenario.
//
// The verdict, first match wins:
//   - a failure charged to one of the scenario's own requirements: FAIL;
//   - a defect of the harness or suite (undefined step, request breaking the contract…): CONFIG;
//   - the target could not be tested (no response, a timeout): ERROR;
//   - a failure charged only to other requirements (a contract violation the document or the
//     fallback table attributes elsewhere): BLOCKED, and the scenario is linked to that
//     requirement, whose evidence it is; one defect is so one failed requirement, however
//     many scenarios it crosses (a failure that names no requirement counts against the
//     scenario's own, and makes it FAIL);
//   - else PASS, unless a check was not exercised (a Remark): then SKIPPED, saying so, with
//     the attempt as evidence.
//
// Warnings (Remarks) are kept on the scenario whatever its verdict.
//
// The report holds one Failure per scenario: the finding that decided the verdict, with the
// others summarised in its message. Its Requirement is empty when the failure counts against
// all the scenario's requirements, so that the report counts it against each.
//
// Unless peerUnderTest (a pair run, in which both systems are under test), a failure the steps
// charged to the peer (Failure.Party "peer") does not count against the target: it becomes an
// ERROR naming the peer and what it broke, since the target could not be shown either way.
func scenarioResult(sc suiteScenario, run *scenarioRun, o steps.Outcome, hasOutcome, peerUnderTest bool) reports.Scenario {
	out := reports.Scenario{
		ID:           sc.ID,
		Name:         sc.Name,
		Feature:      sc.Feature,
		Tags:         sc.Tags,
		Requirements: append([]string(nil), sc.Requirements...),
		Steps:        append([]reports.Step(nil), run.steps...),
		Duration:     run.last.Sub(run.started),
		FeatureLine:  run.featureLine,
	}
	findings := o.Findings
	if !peerUnderTest {
		findings = peerErrors(findings)
	}
	if !hasOutcome {
		findings = []steps.Finding{{Verdict: reports.Config, Failure: reports.Failure{
			Message: "the scenario produced no outcome: it has no steps, or its hooks did not run",
		}}}
	}
	for _, st := range out.Steps {
		if st.Status == "undefined" || st.Status == "pending" || st.Status == "ambiguous" {
			findings = append(findings, steps.Finding{Verdict: reports.Config, Failure: reports.Failure{
				Message: fmt.Sprintf("suite defect: step %q is %s", st.Text, st.Status),
			}})
		}
	}

	// A step godog saw pass but in which the scenario recorded a failure (a contract
	// violation) is failed in the report.
	for _, f := range findings {
		i, ok := run.index[f.StepID]
		if !ok || f.StepID == "" {
			continue
		}
		if st := &out.Steps[i]; st.Status == "passed" {
			st.Status = "failed"
			st.Error = f.Failure.Message
		}
	}

	evidence := remarks(&out, o.Remarks)

	var primary int
	if out.Verdict, primary = decide(findings, sc.Requirements); out.Verdict == reports.Pass {
		if out.NotExercised != "" {
			// Every check held, but one proved nothing: the scenario showed its requirements
			// neither way.
			out.Verdict = reports.Skipped
			out.Failure = &reports.Failure{Message: "not exercised: " + out.NotExercised, Exchanges: evidence}
		}
		return out
	}

	p := findings[primary]
	failure := p.Failure
	failure.Requirement = ""
	if p.Verdict == reports.Fail {
		// A FAIL counts against every requirement a FAIL finding is charged to, so that a
		// contract violation charged elsewhere is not lost behind the scenario's own failure.
		var charged []string
		held := true
		for i, f := range findings {
			switch {
			case f.Verdict != reports.Fail:
				held = false
			case len(f.Requirements) == 0:
				held = false
				charged = append(charged, sc.Requirements...)
			default:
				for _, r := range f.Requirements {
					if slices.Contains(sc.Requirements, r) {
						held = false
					}
				}
				charged = append(charged, f.Requirements...)
			}
			if f.Verdict == reports.Fail && (f.Failure.Party != "" || f.Failure.Role != "") {
				reqs := f.Requirements
				if len(reqs) == 0 {
					reqs = sc.Requirements
				}
				for _, r := range reqs {
					failure.Blame = append(failure.Blame, reports.Blame{Requirement: r, Party: f.Failure.Party, Role: f.Failure.Role})
				}
			}
			if i != primary && f.Verdict == reports.Fail {
				failure.Exchanges = appendNew(failure.Exchanges, f.Failure.Exchanges)
			}
		}
		slices.Sort(charged)
		charged = slices.Compact(charged)
		for _, r := range charged {
			if !slices.Contains(out.Requirements, r) {
				out.Requirements = append(out.Requirements, r)
			}
		}
		failure.Requirements = charged
		failure.ChecksHeld = held && allPassed(run.steps)
		if blockedBy(findings, sc.Requirements) {
			out.Verdict = reports.Blocked
		}
	}
	var more []string
	for i, f := range findings {
		if i == primary {
			continue
		}
		who := string(f.Verdict)
		if f.Verdict == reports.Fail {
			who = strings.Join(f.Requirements, ", ")
		}
		more = append(more, fmt.Sprintf("%s: %s", who, f.Failure.Message))
	}
	if len(more) > maxMore {
		more = append(more[:maxMore], "…")
	}
	if len(more) > 0 {
		failure.Message += fmt.Sprintf(" (and %d more: %s)", len(findings)-1, strings.Join(more, "; "))
	}
	out.Failure = &failure
	return out
}

// decide applies the verdict rules of scenarioResult to a scenario's findings and returns the
// verdict and the index of the finding that decided it (-1 for PASS).
func decide(findings []steps.Finding, scenarioReqs []string) (reports.Verdict, int) {
	own := func(f steps.Finding) bool {
		if f.Verdict != reports.Fail {
			return false
		}
		for _, r := range f.Requirements {
			if slices.Contains(scenarioReqs, r) {
				return true
			}
		}
		return false
	}
	is := func(v reports.Verdict) func(steps.Finding) bool {
		return func(f steps.Finding) bool { return f.Verdict == v }
	}
	for _, rule := range []struct {
		verdict reports.Verdict
		match   func(steps.Finding) bool
	}{
		{reports.Fail, own},
		{reports.Config, is(reports.Config)},
		{reports.Error, is(reports.Error)},
		{reports.Fail, is(reports.Fail)},
	} {
		for i, f := range findings {
			if rule.match(f) {
				return rule.verdict, i
			}
		}
	}
	return reports.Pass, -1
}

// remarks sets the scenario's Warnings and NotExercised from its remarks and returns the
// evidence of the checks not exercised.
func remarks(out *reports.Scenario, rs []steps.Remark) []reports.Exchange {
	var notExercised []string
	var evidence []reports.Exchange
	for _, r := range rs {
		switch r.Kind {
		case steps.RemarkWarning:
			out.Warnings = append(out.Warnings, r.Message)
		case steps.RemarkNotExercised:
			notExercised = append(notExercised, r.Message)
			evidence = append(evidence, r.Exchanges...)
		}
	}
	out.NotExercised = strings.Join(notExercised, "; ")
	return evidence
}

// peerErrors returns findings with every FAIL charged to the peer turned into an ERROR whose
// message names the peer, the requirements it broke and its role: in a single-system run the
// peer is the harness's reference, and its fault is no evidence about the target.
func peerErrors(findings []steps.Finding) []steps.Finding {
	var out []steps.Finding
	for i, f := range findings {
		if f.Verdict != reports.Fail || f.Failure.Party != reports.PartyPeer {
			continue
		}
		if out == nil {
			out = slices.Clone(findings)
		}
		as := "in its own API"
		if f.Failure.Role != "" {
			as = "as " + strings.ToLower(f.Failure.Role)
		}
		reqs := "the scenario's requirements"
		if len(f.Requirements) > 0 {
			reqs = strings.Join(f.Requirements, ", ")
		}
		g := f
		g.Verdict, g.Requirements = reports.Error, nil
		g.Failure.Message = fmt.Sprintf("the peer system broke %s %s: %s", reqs, as, f.Failure.Message)
		out[i] = g
	}
	if out == nil {
		return findings
	}
	return out
}

// blockedBy reports whether every finding is a FAIL charged only to requirements the scenario
// does not check (scenarioReqs): the system broke another requirement on the scenario's way.
func blockedBy(findings []steps.Finding, scenarioReqs []string) bool {
	if len(findings) == 0 {
		return false
	}
	for _, f := range findings {
		if f.Verdict != reports.Fail || len(f.Requirements) == 0 {
			return false
		}
		for _, r := range f.Requirements {
			if slices.Contains(scenarioReqs, r) {
				return false
			}
		}
	}
	return true
}

// maxMore is how many further findings a scenario's failure message summarises.
const maxMore = 5

// notRun returns the report's Scenario for a scenario that did not run.
func notRun(sc suiteScenario, v reports.Verdict) reports.Scenario {
	return reports.Scenario{
		ID:           sc.ID,
		Name:         sc.Name,
		Feature:      sc.Feature,
		Tags:         sc.Tags,
		Requirements: append([]string(nil), sc.Requirements...),
		Verdict:      v,
	}
}

// allPassed reports whether godog saw every step pass: the scenario's own checks all held.
func allPassed(st []reports.Step) bool {
	for _, s := range st {
		if s.Status != "passed" {
			return false
		}
	}
	return true
}

// appendNew appends the exchanges of more that dst does not hold yet, by method, URL and status.
func appendNew(dst, more []reports.Exchange) []reports.Exchange {
	for _, x := range more {
		if !slices.ContainsFunc(dst, func(y reports.Exchange) bool {
			return y.Method == x.Method && y.URL == x.URL && y.Status == x.Status && y.ResponseBody == x.ResponseBody
		}) {
			dst = append(dst, x)
		}
	}
	return dst
}
