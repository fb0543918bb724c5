package harness

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/steps"
)

// formatName is the name the collector is registered under with godog.
const formatName = "icscert"

// collectors holds the collector of each run in progress under its godog suite name: godog
// hands the formatter function only the suite's name (TestSuite.Name), and runs may overlap.
// godog v0.16.0 keeps no other state that a run of ours reads: the only process-global state
// TestSuite.Run touches is its registry of formatters, written once at init, and two
// environment variables (GODOG_SEED, GODOG_TESTED_PACKAGE) that only godog's own formatters
// read.
var (
	collectors sync.Map // suite name → *collector
	suiteSeq   atomic.Uint64
)

func init() {
	godog.Format(formatName, "icscert result model (internal)", func(suite string, _ io.Writer) godog.Formatter {
		if c, ok := collectors.Load(suite); ok {
			return c.(*collector)
		}
		// Not a suite of Run's: collect into nothing, so that the run reports every selected
		// scenario as not run rather than crash.
		return newCollector(nil)
	})
}

// register makes col the formatter of a new godog suite and returns the suite's name and a
// function that unregisters it.
func register(col *collector) (name string, unregister func()) {
	name = fmt.Sprintf("icscert-%d", suiteSeq.Add(1))
	collectors.Store(name, col)
	return name, func() { collectors.Delete(name) }
}

// collector is the run's godog formatter. It builds each scenario's steps, statuses and
// durations from godog's events, and receives each scenario's Outcome from the steps' After
// hook. godog calls its methods from several goroutines at once (Concurrency > 1, each
// scenario's events replayed at its end), so every method locks mu.
type collector struct {
	*godog.BaseFmt // for SetStorage: step timestamps come from godog's storage

	mu        sync.Mutex
	keywords  map[string]string // uri + "\x00" + AST node id → step keyword ("Given ")
	lines     map[string]int    // uri + "\x00" + AST node id → step line; uri → the Feature line
	runs      map[string]*scenarioRun
	outcomes  map[string]steps.Outcome
	onOutcome func(steps.Outcome) // progress; called without mu held
}

// scenarioRun is what godog reported of one scenario.
type scenarioRun struct {
	started time.Time
	last    time.Time
	steps   []reports.Step
	index   map[string]int // pickle step id → index in steps
	// featureLine is the line of the feature's Feature keyword.
	featureLine int
}

func newCollector(onOutcome func(steps.Outcome)) *collector {
	return &collector{
		BaseFmt:   godog.NewBaseFmt(formatName, io.Discard),
		keywords:  map[string]string{},
		lines:     map[string]int{},
		runs:      map[string]*scenarioRun{},
		outcomes:  map[string]steps.Outcome{},
		onOutcome: onOutcome,
	}
}

// outcome records a scenario's Outcome; it is steps.Options.OnScenarioEnd.
func (c *collector) outcome(o steps.Outcome) {
	c.mu.Lock()
	c.outcomes[o.ScenarioID] = o
	c.mu.Unlock()
	if c.onOutcome != nil {
		c.onOutcome(o)
	}
}

// TestRunStarted implements godog.Formatter.
func (c *collector) TestRunStarted() {}

// Feature notes the keyword of every step of a feature.
func (c *collector) Feature(doc *messages.GherkinDocument, uri string, _ []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if doc == nil || doc.Feature == nil {
		return
	}
	note := func(ss []*messages.Step) {
		for _, s := range ss {
			c.keywords[uri+"\x00"+s.Id] = s.Keyword
			if s.Location != nil {
				c.lines[uri+"\x00"+s.Id] = int(s.Location.Line)
			}
		}
	}
	if doc.Feature.Location != nil {
		c.lines[uri] = int(doc.Feature.Location.Line)
	}
	var visit func(bg *messages.Background, sc *messages.Scenario, rule *messages.Rule)
	visit = func(bg *messages.Background, sc *messages.Scenario, rule *messages.Rule) {
		if bg != nil {
			note(bg.Steps)
		}
		if sc != nil {
			note(sc.Steps)
		}
		if rule != nil {
			for _, ch := range rule.Children {
				visit(ch.Background, ch.Scenario, nil)
			}
		}
	}
	for _, ch := range doc.Feature.Children {
		visit(ch.Background, ch.Scenario, ch.Rule)
	}
}

// Pickle starts a scenario: every step is "skipped" until godog reports it.
func (c *collector) Pickle(p *messages.Pickle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	started := c.startedAt(p.Id)
	run := &scenarioRun{started: started, last: started, index: map[string]int{}, featureLine: c.lines[p.Uri]}
	for i, st := range p.Steps {
		kw := "* "
		if len(st.AstNodeIds) > 0 {
			if k, ok := c.keywords[p.Uri+"\x00"+st.AstNodeIds[0]]; ok {
				kw = k
			}
		}
		line := 0
		if len(st.AstNodeIds) > 0 {
			line = c.lines[p.Uri+"\x00"+st.AstNodeIds[0]]
		}
		run.steps = append(run.steps, reports.Step{Keyword: strings.TrimSpace(kw), Text: st.Text, Line: line, Status: "skipped"})
		run.index[st.Id] = i
	}
	c.runs[steps.ScenarioID(p)] = run
}

// Defined implements godog.Formatter.
func (c *collector) Defined(*messages.Pickle, *messages.PickleStep, *godog.StepDefinition) {}

// Passed records a passed step.
func (c *collector) Passed(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition) {
	c.step(p, st, "passed", nil)
}

// Failed records a failed step.
func (c *collector) Failed(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition, err error) {
	c.step(p, st, "failed", err)
}

// Skipped records a skipped step.
func (c *collector) Skipped(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition) {
	c.step(p, st, "skipped", nil)
}

// Undefined records a step no definition matches.
func (c *collector) Undefined(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition) {
	c.step(p, st, "undefined", nil)
}

// Pending records a step whose definition is pending.
func (c *collector) Pending(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition) {
	c.step(p, st, "pending", nil)
}

// Ambiguous records a step that several definitions match.
func (c *collector) Ambiguous(p *messages.Pickle, st *messages.PickleStep, _ *godog.StepDefinition, err error) {
	c.step(p, st, "ambiguous", err)
}

// Summary implements godog.Formatter; the report is built from the collected results.
func (c *collector) Summary() {}

func (c *collector) step(p *messages.Pickle, st *messages.PickleStep, status string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	run := c.runs[steps.ScenarioID(p)]
	if run == nil {
		return
	}
	i, ok := run.index[st.Id]
	if !ok {
		return
	}
	finished := c.finishedAt(st.Id)
	s := &run.steps[i]
	s.Status = status
	if d := finished.Sub(run.last); d > 0 {
		s.Duration = d
	}
	if finished.After(run.last) {
		run.last = finished
	}
	if err != nil {
		s.Error = err.Error()
	}
}

// startedAt returns when godog started scenario pickleID; godog stores it before it reports
// the scenario.
func (c *collector) startedAt(pickleID string) time.Time {
	return c.Storage.MustGetPickleResult(pickleID).StartedAt
}

// finishedAt returns when godog finished step stepID; godog stores the step's result before it
// reports the step. With Concurrency > 1 the reports come at the scenario's end, so the stored
// time is the only true one.
func (c *collector) finishedAt(stepID string) time.Time {
	return c.Storage.MustGetPickleStepResult(stepID).FinishedAt
}

// result returns what godog reported of scenario id and its Outcome.
func (c *collector) result(id string) (*scenarioRun, steps.Outcome, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	run, ran := c.runs[id]
	o, hasOutcome := c.outcomes[id]
	return run, o, ran, hasOutcome
}
