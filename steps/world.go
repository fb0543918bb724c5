package steps

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// World is the state of one scenario. The steps of a scenario run one after another, so a
// World is used by one goroutine at a time and needs no lock; it must never be shared between
// scenarios or kept after its scenario ends. Get it in a step with WorldFrom(ctx).
type World struct {
	suite  *Suite
	ctx    context.Context // the scenario's context, cancelled at its timeout
	cancel context.CancelFunc

	// ScenarioID is the scenario's "features/<file>.feature:<line>" (the example row's line
	// for an outline).
	ScenarioID string
	// Requirements are the catalogue ids the scenario is tagged with.
	Requirements []string
	// Tags are all of the scenario's tags, with "@".
	Tags []string
	// Gen generates the scenario's synthetic data. It is seeded from the run's namespace and
	// ScenarioID, so a scenario sends the same data whenever the namespace is the same, and
	// other data in another run.
	Gen *fixtures.Generator
	// Last is the latest response the scenario received, nil before the first.
	Last *Response

	actors   map[string]*Actor
	current  *Actor
	nactors  int // actors introduced so far, for their subject ids
	names    map[string]map[string]string
	children map[string]*Child

	// What the step files remember between steps, each built empty by newWorld. A step reaches
	// them through WorldFrom(ctx); none lives in the context or in a hook of its own.
	lookup    *lookupState         // creates expected to be refused, involvements set up (identity, search, read)
	records   *scenarioRecords     // involvements, indicators and consents sent; shielded strings
	notes     *accountabilityNotes // audit, access-control, error and versioning steps
	transfers *transferState       // transfers between the target and the peer
	notif     *notifState          // webhook subscriptions and the notifications claimed (notifications.go)

	exchanges []reports.Exchange
	findings  []Finding
	remarks   []Remark // warnings and checks not exercised (Remark)
	stepID    string
	stepText  string
	// stepExchanges is how many exchanges there were when the current step began.
	stepExchanges int
	evidenceBytes int    // evidence kept so far, within MaxScenarioEvidence
	ended         bool   // the After hook has run
	seq           int    // requests sent so far
	tag           string // letters only, so that no redaction pattern matches a correlation id
}

type worldKey struct{}

// WorldFrom returns the scenario's World. It panics if ctx is not a scenario context of this
// package's suite: that is a programming error in a step.
func WorldFrom(ctx context.Context) *World {
	w, ok := ctx.Value(worldKey{}).(*World)
	if !ok {
		panic("steps: no World in context: register steps through Suite.InitializeScenario")
	}
	return w
}

// ScenarioID returns the id of a scenario: its feature file and the line of the scenario, or
// of the example row for an outline, e.g. "features/meta.feature:7".
func ScenarioID(sc *godog.Scenario) string {
	line := int64(0)
	if sc.Location != nil {
		line = sc.Location.Line
	}
	return sc.Uri + ":" + strconv.FormatInt(line, 10)
}

// newWorld builds the state of scenario sc.
func (s *Suite) newWorld(sc *godog.Scenario) *World {
	id := ScenarioID(sc)
	h := fnv.New64a()
	_, _ = h.Write([]byte(scope(s.opts.Namespace, id)))
	sum := h.Sum64()
	w := &World{
		suite:      s,
		ScenarioID: id,
		Gen:        fixtures.NewGenerator(int64(sum >> 1)),
		actors:     map[string]*Actor{},
		names:      map[string]map[string]string{},
		children:   map[string]*Child{},
		lookup:     &lookupState{attempts: map[string]createAttempt{}, involvements: map[string]spec.NewInvolvement{}},
		records: &scenarioRecords{
			byKind: map[string]map[string]*scenarioRecord{}, extra: map[string][]string{}, addresses: map[string]map[string]any{},
		},
		notes:     &accountabilityNotes{snapshots: map[string]*Response{}},
		transfers: newTransferState(),
		tag:       letters(sum),
		notif:     newNotifState(),
	}
	w.Gen.Today = s.now().UTC()
	w.Gen.Pool = s.opts.Identifiers
	w.Gen.Sink = s.opts.Ledger.Add
	for _, t := range sc.Tags {
		w.Tags = append(w.Tags, t.Name)
		if m := spec.RequirementTag(t.Name); m != "" {
			w.Requirements = append(w.Requirements, m)
		}
	}
	return w
}

// scope names a scenario within a run's namespace, for everything derived from it that must
// differ from run to run.
func scope(namespace uint64, scenarioID string) string {
	return fmt.Sprintf("%016x\x00%s", namespace, scenarioID)
}

// scope is the scenario's name within the run's namespace (see Options.Namespace).
func (w *World) scope() string { return scope(w.suite.opts.Namespace, w.ScenarioID) }

// letters spells n in base 26 with the letters a to z.
func letters(n uint64) string {
	var b []byte
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

// Context returns the scenario's context: it carries the World and is cancelled when the
// scenario times out or the run is interrupted.
func (w *World) Context() context.Context { return w.ctx }

// Contract returns the run's contract.
func (w *World) Contract() *spec.Contract { return w.suite.opts.Contract }

// Issuer returns the run's token issuer, for tokens signed by a stranger or not signed at all
// (Issuer.TokenSignedByStranger, Issuer.UnsignedToken).
func (w *World) Issuer() *fixtures.Issuer { return w.suite.opts.Issuer }

// Now returns the harness clock's time.
func (w *World) Now() time.Time { return w.suite.now() }

// Remember stores the id of a named thing of a kind ("child", "involvement", "consent", …) so
// that later steps and request paths ("{involvement:school}") can refer to it by name.
func (w *World) Remember(kind, name, id string) {
	if w.names[kind] == nil {
		w.names[kind] = map[string]string{}
	}
	w.names[kind][name] = id
}

// Recall returns the id remembered for a named thing; an unknown name is a defect of the
// scenario (a *ConfigError).
func (w *World) Recall(kind, name string) (string, error) {
	id, ok := w.names[kind][name]
	if !ok {
		known := make([]string, 0, len(w.names[kind]))
		for n := range w.names[kind] {
			known = append(known, strconv.Quote(n))
		}
		sort.Strings(known)
		return "", Configf("no %s named %q in this scenario (known: %s)", kind, name, strings.Join(known, ", "))
	}
	return id, nil
}

// refPattern matches "{kind:name}" references. No JSON object can start like this (its
// members' names are quoted), so the same references work in paths and in JSON bodies.
var refPattern = regexp.MustCompile(`\{([a-z][a-z-]*):([^{}"]+)\}`)

// Expand replaces each "{kind:name}" in s by the id remembered for it, e.g.
// "/v1/children/{child:Amara}/involvements" or `{"mergedId": "{child:Bea}"}`.
func (w *World) Expand(s string) (string, error) {
	var err error
	out := refPattern.ReplaceAllStringFunc(s, func(m string) string {
		g := refPattern.FindStringSubmatch(m)
		id, e := w.Recall(g[1], g[2])
		if e != nil && err == nil {
			err = e
		}
		return id
	})
	return out, err
}

// Record adds a finding to the scenario without failing the current step, for checks that
// must not stop the scenario (as contract violations in responses do). The finding's step and
// exchanges default to the current step and the latest exchange.
func (w *World) Record(f Finding) {
	if f.StepID == "" {
		f.StepID, f.StepText = w.stepID, w.stepText
	}
	if len(f.Failure.Exchanges) == 0 && len(w.exchanges) > 0 {
		f.Failure.Exchanges = []reports.Exchange{w.exchanges[len(w.exchanges)-1]}
	}
	if len(f.Requirements) == 0 && f.Verdict == reports.Fail {
		f.Requirements, f.Source = w.Requirements, "scenario"
	}
	if f.Failure.Requirement == "" && len(f.Requirements) == 1 {
		f.Failure.Requirement = f.Requirements[0]
	}
	w.findings = append(w.findings, f)
}

// Findings returns what the scenario has found so far. The slice is the caller's.
func (w *World) Findings() []Finding { return append([]Finding(nil), w.findings...) }

// correlationID returns a new X-Correlation-ID for the scenario's next request: unique in the
// run, deterministic, and traceable to the scenario.
func (w *World) correlationID() string {
	w.seq++
	return fmt.Sprintf("icscert.%s.%d", w.tag, w.seq)
}
