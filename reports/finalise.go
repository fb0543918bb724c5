package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error that Finalise returns: the report breaks the model's
// rules (a duplicate id, an unknown verdict, level or step status, a dangling link, or a
// scenario that checks no requirement).
var ErrInvalid = errors.New("invalid report")

// verdictOrder is the order in which the reports list verdicts and their counts.
var verdictOrder = []Verdict{Pass, Fail, Blocked, Error, Config, NotApplicable, NotTested, Skipped}

// stepStatuses are the Cucumber step statuses that a Step may carry.
var stepStatuses = []string{"passed", "failed", "skipped", "undefined", "pending", "ambiguous"}

// Finalise checks the report and fills in everything derived from its scenarios, so that every
// renderer reads the same answers. It modifies r in place, is idempotent, and must be called
// once the runner has set Requirements (in catalogue order) and Scenarios and before any Write
// function. It is not safe for concurrent use with anything else that reads or writes r.
//
// Links. A scenario checks a requirement if the requirement lists the scenario's id or the
// scenario lists the requirement's id; Finalise makes both lists agree. Every scenario must
// check at least one requirement, and the requirements a Failure names must be ones the
// scenario checks, or a failure could vanish from the verdict. Requirements keep the order they
// were given in (the catalogue order). Scenarios, and each requirement's scenario ids, are
// sorted by feature file and then by line number, so features/a.feature:9 comes before
// features/a.feature:12. Each scenario's requirement ids follow catalogue order.
//
// Requirement verdicts are computed from the verdicts of the scenarios that check them; any
// Verdict the runner set on a requirement is overwritten. The rules, first match wins:
//   - no scenarios: NOT_TESTED;
//   - any scenario FAIL: FAIL, except that a failing scenario whose Failure names only other
//     requirements counts as PASS for this one when its Failure says ChecksHeld, and as
//     SKIPPED otherwise (it stopped before proving it); a BLOCKED scenario counts as FAIL for
//     the requirements its Failure names and like such a scenario for the others;
//   - else any scenario CONFIG: CONFIG (a fault of the harness makes every other result suspect);
//   - else any scenario ERROR: ERROR;
//   - else all scenarios NOT_APPLICABLE: NOT_APPLICABLE;
//   - else any scenario PASS: PASS;
//   - else (only SKIPPED, or SKIPPED mixed with NOT_APPLICABLE): NOT_TESTED.
//
// A scenario's verdict is never NOT_TESTED or INCOMPLETE: those judge requirements and runs; a
// requirement's is never BLOCKED, which judges scenarios. A BLOCKED scenario must have a
// Failure that names the requirements that blocked it.
//
// The run verdict. A requirement blocks if its level is MUST, or SHOULD when FailOn is
// "should"; an empty FailOn becomes "must". If the runner set Verdict to CONFIG or ERROR and
// gave a Message, that verdict stands: the run could not be set up or could not reach the
// target, whatever the scenarios say. A Message on a run with no scenarios and no such verdict
// is an error. Otherwise, first match wins:
//   - any blocking requirement FAIL: FAIL;
//   - else any blocking requirement CONFIG: CONFIG;
//   - else any blocking requirement ERROR: ERROR;
//   - else no requirement PASS: SKIPPED (nothing was shown to pass);
//   - else any blocking requirement NOT_TESTED: INCOMPLETE (a MUST requirement, or a SHOULD
//     one under FailOn "should", was never shown either way);
//   - else PASS.
//
// Conformant is true exactly when the run verdict is PASS, so a failed SHOULD requirement
// under FailOn "must" is reported as failed but leaves the run conformant, and a run that did
// not test every blocking requirement is never conformant. Partial is set when Suite.Tags
// narrowed the run. Headline is the one-line account of the verdict that every format shows
// (see headline).
//
// Finalise also sets an empty SchemaVersion to SchemaVersion, converts StartedAt and FinishedAt
// to UTC, fills Summary with a count for every verdict, and normalises collections so that
// report.json round-trips through ReadJSON to an equal Report: the lists that are always
// written become empty rather than nil, and the ones that are omitted when empty become nil.
func (r *Report) Finalise() error {
	if err := r.finalise(); err != nil {
		return fmt.Errorf("finalise report: %w", err)
	}
	return nil
}

func (r *Report) finalise() error {
	if r.SchemaVersion == "" {
		r.SchemaVersion = SchemaVersion
	}
	switch r.FailOn {
	case "":
		r.FailOn = FailOnMust
	case FailOnMust, FailOnShould:
	default:
		return fmt.Errorf("%w: failOn %q, want %q or %q", ErrInvalid, r.FailOn, FailOnMust, FailOnShould)
	}
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = r.FinishedAt.UTC()
	r.Target.Councils = nilIfEmpty(r.Target.Councils)
	r.Target.Capabilities = nilIfEmpty(r.Target.Capabilities)

	scenarios, err := r.checkScenarios()
	if err != nil {
		return err
	}
	requirements, err := r.checkRequirements()
	if err != nil {
		return err
	}
	if err := r.link(scenarios, requirements); err != nil {
		return err
	}

	r.Summary = Summary{Requirements: zeroCounts(), Scenarios: zeroCounts()}
	for i := range r.Scenarios {
		r.Summary.Scenarios[r.Scenarios[i].Verdict]++
	}
	for i := range r.Requirements {
		req := &r.Requirements[i]
		checks := make([]*Scenario, len(req.Scenarios))
		for j, id := range req.Scenarios {
			checks[j] = &r.Scenarios[scenarios[id]]
		}
		req.Verdict = requirementVerdict(req.ID, checks)
		r.Summary.Requirements[req.Verdict]++
	}

	verdict, err := r.runVerdict()
	if err != nil {
		return err
	}
	r.Verdict = verdict
	r.Conformant = verdict == Pass
	r.Partial = strings.TrimSpace(r.Suite.Tags) != ""
	r.Headline = r.headline()
	return nil
}

// checkScenarios sorts and normalises the scenarios and returns the index of each id.
func (r *Report) checkScenarios() (map[string]int, error) {
	if r.Scenarios == nil {
		r.Scenarios = []Scenario{}
	}
	slices.SortStableFunc(r.Scenarios, func(a, b Scenario) int { return compareScenarioIDs(a.ID, b.ID) })
	index := make(map[string]int, len(r.Scenarios))
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		if s.ID == "" {
			return nil, fmt.Errorf("%w: scenario %q has no id", ErrInvalid, s.Name)
		}
		if _, dup := index[s.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate scenario %q", ErrInvalid, s.ID)
		}
		index[s.ID] = i
		if !slices.Contains(verdictOrder, s.Verdict) || s.Verdict == NotTested {
			return nil, fmt.Errorf("%w: scenario %q: unknown verdict %q", ErrInvalid, s.ID, s.Verdict)
		}
		if s.Verdict == Blocked && (s.Failure == nil || (s.Failure.Requirement == "" && len(s.Failure.Requirements) == 0)) {
			return nil, fmt.Errorf("%w: scenario %q is BLOCKED but its failure names no requirement that blocked it", ErrInvalid, s.ID)
		}
		for _, st := range s.Steps {
			if !slices.Contains(stepStatuses, st.Status) {
				return nil, fmt.Errorf("%w: scenario %q: step %q: unknown status %q", ErrInvalid, s.ID, st.Text, st.Status)
			}
		}
		if s.NotExercised != "" && s.Verdict == Pass {
			return nil, fmt.Errorf("%w: scenario %q: a check not exercised cannot pass", ErrInvalid, s.ID)
		}
		s.Warnings = nilIfEmpty(s.Warnings)
		if s.Tags == nil {
			s.Tags = []string{}
		}
		if s.Steps == nil {
			s.Steps = []Step{}
		}
		if f := s.Failure; f != nil {
			f.Requirements = nilIfEmpty(f.Requirements)
			f.Exchanges = nilIfEmpty(f.Exchanges)
			for j := range f.Exchanges {
				x := &f.Exchanges[j]
				x.RequestHeaders = nilIfEmptyMap(x.RequestHeaders)
				x.ResponseHeaders = nilIfEmptyMap(x.ResponseHeaders)
				x.Violations = nilIfEmpty(x.Violations)
			}
		}
	}
	return index, nil
}

// checkRequirements checks the requirements and returns the index of each id.
func (r *Report) checkRequirements() (map[string]int, error) {
	if r.Requirements == nil {
		r.Requirements = []Requirement{}
	}
	index := make(map[string]int, len(r.Requirements))
	for i := range r.Requirements {
		req := &r.Requirements[i]
		if req.ID == "" {
			return nil, fmt.Errorf("%w: requirement %d has no id", ErrInvalid, i)
		}
		if _, dup := index[req.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate requirement %q", ErrInvalid, req.ID)
		}
		if req.Level != LevelMust && req.Level != LevelShould {
			return nil, fmt.Errorf("%w: requirement %q: level %q, want %q or %q", ErrInvalid, req.ID, req.Level, LevelMust, LevelShould)
		}
		index[req.ID] = i
	}
	return index, nil
}

// link makes Requirement.Scenarios and Scenario.Requirements agree and sorts both.
func (r *Report) link(scenarios, requirements map[string]int) error {
	checks := make([][]string, len(r.Requirements)) // scenario ids per requirement
	for i := range r.Requirements {
		for _, id := range r.Requirements[i].Scenarios {
			if _, ok := scenarios[id]; !ok {
				return fmt.Errorf("%w: requirement %q lists unknown scenario %q", ErrInvalid, r.Requirements[i].ID, id)
			}
			checks[i] = append(checks[i], id)
		}
	}
	for _, s := range r.Scenarios {
		for _, id := range s.Requirements {
			i, ok := requirements[id]
			if !ok {
				return fmt.Errorf("%w: scenario %q names unknown requirement %q", ErrInvalid, s.ID, id)
			}
			checks[i] = append(checks[i], s.ID)
		}
	}
	for i := range r.Scenarios {
		r.Scenarios[i].Requirements = []string{}
	}
	for i := range r.Requirements {
		ids := checks[i]
		slices.SortFunc(ids, compareScenarioIDs)
		ids = slices.Compact(ids)
		if ids == nil {
			ids = []string{}
		}
		r.Requirements[i].Scenarios = ids
		for _, id := range ids {
			s := &r.Scenarios[scenarios[id]]
			s.Requirements = append(s.Requirements, r.Requirements[i].ID)
		}
	}
	for _, s := range r.Scenarios {
		if len(s.Requirements) == 0 {
			return fmt.Errorf("%w: scenario %q checks no requirement, so its verdict would be lost", ErrInvalid, s.ID)
		}
		if s.Failure == nil {
			continue
		}
		for _, id := range append([]string{s.Failure.Requirement}, s.Failure.Requirements...) {
			if id != "" && !slices.Contains(s.Requirements, id) {
				return fmt.Errorf("%w: scenario %q: failure names requirement %q, which the scenario does not check",
					ErrInvalid, s.ID, id)
			}
		}
	}
	return nil
}

// requirementVerdict applies the requirement rules documented on Finalise.
func requirementVerdict(reqID string, checks []*Scenario) Verdict {
	if len(checks) == 0 {
		return NotTested
	}
	count := zeroCounts()
	for _, s := range checks {
		count[verdictFor(s, reqID)]++
	}
	switch {
	case count[Fail] > 0:
		return Fail
	case count[Config] > 0:
		return Config
	case count[Error] > 0:
		return Error
	case count[NotApplicable] == len(checks):
		return NotApplicable
	case count[Pass] > 0:
		return Pass
	default:
		return NotTested
	}
}

// verdictFor is the verdict of scenario s as evidence for requirement reqID: a failure that
// names other requirements only is not evidence against this one.
func verdictFor(s *Scenario, reqID string) Verdict {
	if s.Verdict == Blocked && slices.Contains(blamed(s), reqID) {
		return Fail
	}
	if (s.Verdict == Fail || s.Verdict == Blocked) && !slices.Contains(blamed(s), reqID) {
		if s.Failure != nil && s.Failure.ChecksHeld {
			return Pass
		}
		return Skipped
	}
	return s.Verdict
}

// runVerdict applies the run rules documented on Finalise.
func (r *Report) runVerdict() (Verdict, error) {
	if r.Message != "" {
		if r.Verdict == Config || r.Verdict == Error {
			return r.Verdict, nil
		}
		if len(r.Scenarios) == 0 {
			return "", fmt.Errorf("%w: run with message %q and no scenarios has verdict %q, want %s or %s",
				ErrInvalid, r.Message, r.Verdict, Config, Error)
		}
	}
	blocking, all := zeroCounts(), zeroCounts()
	for _, req := range r.Requirements {
		all[req.Verdict]++
		if r.blocks(req) {
			blocking[req.Verdict]++
		}
	}
	switch {
	case blocking[Fail] > 0:
		return Fail, nil
	case blocking[Config] > 0:
		return Config, nil
	case blocking[Error] > 0:
		return Error, nil
	case all[Pass] == 0:
		return Skipped, nil
	case blocking[NotTested] > 0:
		return Incomplete, nil
	default:
		return Pass, nil
	}
}

// blocks reports whether req failing makes the run non-conformant under r.FailOn.
func (r *Report) blocks(req Requirement) bool {
	return req.Level == LevelMust || (req.Level == LevelShould && r.FailOn == FailOnShould)
}

func zeroCounts() map[Verdict]int {
	m := make(map[Verdict]int, len(verdictOrder))
	for _, v := range verdictOrder {
		m[v] = 0
	}
	return m
}

// compareScenarioIDs orders scenario ids ("file:line") by file, then by line as a number.
func compareScenarioIDs(a, b string) int {
	fa, la := splitScenarioID(a)
	fb, lb := splitScenarioID(b)
	return cmp.Or(strings.Compare(fa, fb), cmp.Compare(la, lb), strings.Compare(a, b))
}

// splitScenarioID splits "features/id.feature:12" into its file and line; line is 0 when the
// id has no ":line" suffix.
func splitScenarioID(id string) (file string, line int) {
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil && n >= 0 {
			return id[:i], n
		}
	}
	return id, 0
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}
