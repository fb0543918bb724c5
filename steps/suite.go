package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// Default timeouts, used when Options leave them zero.
const (
	DefaultRequestTimeout  = 10 * time.Second
	DefaultScenarioTimeout = 2 * time.Minute
)

// Options configure the steps of one run. They are read-only once NewSuite returns.
type Options struct {
	// BaseURL is the target's base URL; request paths are appended to it.
	BaseURL string
	// Contract checks every exchange and names the requirements.
	Contract *spec.Contract
	// Issuer signs the actors' tokens; the target trusts its JWKS.
	Issuer *fixtures.Issuer
	// Audience is the aud claim of every token; "" means fixtures.DefaultAudience.
	Audience string
	// HTTPClient sends the requests; nil means a client of its own that does not follow
	// redirects. Its Timeout should be zero: RequestTimeout bounds each request.
	HTTPClient *http.Client
	// RequestTimeout bounds each request, ScenarioTimeout each scenario; exceeding either is an
	// ERROR. Zero means DefaultRequestTimeout and DefaultScenarioTimeout.
	RequestTimeout  time.Duration
	ScenarioTimeout time.Duration
	// Redact removes personal data from evidence (see Redactor). Bearer tokens are removed
	// whatever it says.
	Redact bool
	// Clock is the harness's clock (tokens, generated dates); nil means time.Now.
	Clock func() time.Time
	// Identifiers supplies every generated child's NHS number and UPN, unique across the run;
	// nil means a pool started at a random point. A run against a system that keeps its
	// records should pass the pool of a block it claimed (fixtures.NewBlockPool), so that it
	// never reuses an earlier run's identifiers.
	Identifiers *fixtures.Pool
	// Namespace makes the run's generated data its own: it seeds every scenario's generator
	// (names, dates of birth, addresses), the unique family names of search scenarios, and the
	// scenario tag in subject ids, correlation ids and Idempotency-Keys. Zero means a random
	// namespace. Two runs with different namespaces share none of these except by chance: the
	// tag and the unique family names are drawn from 2^64 values (about 1.8·10^19), so among
	// N runs two tags meet with probability about N²/2^65, under 10^-11 for 10,000 runs.
	Namespace uint64
	// Ledger, if set, receives every personal value the scenarios generate or send (see
	// Ledger); the evidence is redacted of them, and a runner scrubs its report with it. Nil
	// means a ledger of the suite's own.
	Ledger *Ledger
	// Peer is the peer system the run put beside the target for the transfer scenarios
	// (tagged @peer); nil when it started none, and a step that needs it is then a CONFIG.
	Peer *Peer
	// OnScenarioEnd receives each scenario's Outcome from its After hook. With godog's
	// Concurrency > 1 it is called from several goroutines at once and must lock.
	OnScenarioEnd func(Outcome)
	// Webhooks is the run's webhook receiver, for the notification scenarios; nil makes them
	// CONFIG (see notifications.go).
	Webhooks *sink.Sink
	// ClockAhead is how far the target's test clock is already ahead of Clock when the run
	// starts (an earlier run moved it); the suite's clock follows it. Zero for most targets.
	ClockAhead time.Duration
}

// Peer is the second system of a run: another council's system that the target exchanges
// transfers with through the national directory.
type Peer struct {
	BaseURL string // its base URL; Request.Peer sends a request there
	Council string // the DfE code of the council it serves
	// Wire is what the capture proxies between the two systems saw; nil when the run put
	// none between them (the steps then judge from the two systems' APIs alone).
	Wire Wire
}

// Suite binds one run's Options to godog. It is immutable and safe for concurrent use by the
// scenarios of one godog run.
type Suite struct {
	opts     Options
	baseURL  string
	client   *http.Client
	redactor Redactor
	attr     *attributor
	breaker  *breaker
	// ahead is how far (in nanoseconds) the target's test clock has been moved forward by the
	// suite's steps (notifications.go); now adds it, so that tokens and generated dates follow
	// the target's time.
	ahead atomic.Int64
}

// NewSuite checks o and returns the Suite for a run.
func NewSuite(o Options) (*Suite, error) {
	switch {
	case o.BaseURL == "":
		return nil, errors.New("new suite: no base URL")
	case o.Contract == nil:
		return nil, errors.New("new suite: no contract")
	case o.Issuer == nil:
		return nil, errors.New("new suite: no token issuer")
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ScenarioTimeout <= 0 {
		o.ScenarioTimeout = DefaultScenarioTimeout
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{
			Transport:     NewTransport(o.RequestTimeout),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Identifiers == nil {
		o.Identifiers = fixtures.NewPool(rand.Uint32())
	}
	for o.Namespace == 0 {
		o.Namespace = rand.Uint64()
	}
	if o.Ledger == nil {
		o.Ledger = &Ledger{}
	}
	s := &Suite{
		opts:     o,
		baseURL:  strings.TrimRight(o.BaseURL, "/"),
		client:   client,
		redactor: Redactor{Personal: o.Redact, Known: o.Ledger},
		attr:     newAttributor(o.Contract.Doc),
		breaker:  &breaker{threshold: BreakerThreshold},
	}
	s.follow(o.ClockAhead)
	return s, nil
}

func (s *Suite) now() time.Time {
	ahead := time.Duration(s.ahead.Load())
	if s.opts.Clock != nil {
		return s.opts.Clock().Add(ahead)
	}
	return time.Now().Add(ahead)
}

func (s *Suite) audience() string {
	if s.opts.Audience != "" {
		return s.opts.Audience
	}
	return fixtures.DefaultAudience
}

// Finding is one thing a scenario found: a failure of the target (FAIL), a target that could
// not be tested (ERROR), or a defect of the harness or suite (CONFIG).
type Finding struct {
	Verdict reports.Verdict // reports.Fail, reports.Error or reports.Config
	// Requirements are the ids a FAIL counts against.
	Requirements []string
	// Source says how they were chosen: "x-requirement", "fallback:<rule>" (FallbackRules),
	// "step" (the step attributed it) or "scenario" (the scenario's tags).
	Source   string
	StepID   string // the godog pickle step it arose in
	StepText string
	// Failure is the report's account of it, exchanges included, values redacted.
	Failure reports.Failure
}

// Outcome is everything one scenario found, handed to Options.OnScenarioEnd when it ends.
type Outcome struct {
	ScenarioID   string
	PickleID     string
	Requirements []string
	Findings     []Finding
	Remarks      []Remark
}

// Remark is something a scenario noticed that is neither a pass nor a failure.
type Remark struct {
	Kind    string // RemarkWarning or RemarkNotExercised
	Message string // redacted
	// Exchanges are the evidence behind it (a not-exercised check's last attempt).
	Exchanges []reports.Exchange
}

// Kinds of Remark. A warning leaves the verdict alone (a vendor extension on a shielded record
// that holds none of the child's locating values). A check not exercised means the system never
// did the thing checked (a burst it shed none of), so the check proved nothing: a scenario whose
// checks all held but one was not exercised is SKIPPED, saying so, never a silent PASS.
const (
	RemarkWarning      = "warning"
	RemarkNotExercised = "not-exercised"
)

// Remark records a remark of the current scenario; its message is redacted here.
func (w *World) Remark(kind, message string, exchanges ...reports.Exchange) {
	w.remarks = append(w.remarks, Remark{Kind: kind, Message: w.suite.redactor.Text(message), Exchanges: exchanges})
}

// InitializeScenario installs the framework's hooks and every step. Pass it as godog's
// ScenarioInitializer. The hooks, in order:
//
//   - Before: builds the scenario's World (seeded generator, no actors) and bounds the
//     scenario's context by ScenarioTimeout;
//   - before each step: notes the step, and fails it as an ERROR if the scenario has run out
//     of time;
//   - after each step: turns the step's error into a Finding (classify);
//   - After: hands the Outcome to OnScenarioEnd and releases the context. godog runs it at
//     the first failing step or at the last step; the steps it skips after that are ignored.
//     It does not fail the scenario in godog's eyes: the verdict is the Outcome's, so a
//     violation recorded earlier does not mark the last step failed.
func (s *Suite) InitializeScenario(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		ctx, cancel := context.WithTimeout(ctx, s.opts.ScenarioTimeout)
		w := s.newWorld(p)
		ctx = context.WithValue(ctx, worldKey{}, w)
		w.ctx, w.cancel = ctx, cancel
		return ctx, nil
	})
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		w := WorldFrom(ctx)
		if w.ended {
			return ctx, nil // a step godog skips after the scenario failed
		}
		w.stepID, w.stepText = st.Id, st.Text
		w.stepExchanges = len(w.exchanges)
		if ctx.Err() != nil {
			return ctx, &TargetError{Op: "step " + st.Text, Err: w.stopCause()}
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		if w := WorldFrom(ctx); err != nil && !w.ended {
			w.classify(st, err)
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, _ error) (context.Context, error) {
		w := WorldFrom(ctx)
		if s.opts.OnScenarioEnd != nil {
			s.opts.OnScenarioEnd(Outcome{
				ScenarioID:   w.ScenarioID,
				PickleID:     p.Id,
				Requirements: w.Requirements,
				Findings:     w.Findings(),
				Remarks:      append([]Remark(nil), w.remarks...),
			})
		}
		w.ended = true
		w.closeHooks()
		w.cancel()
		return ctx, nil
	})
	Register(sc)
}

// classify turns the error a step ended with into a Finding, and records it. A failure that
// the system's refusal of a valid request explains is charged to the rule the refusal names
// (chargeRefusal), not to the scenario's own requirements: the scenario was blocked by it.
func (w *World) classify(st *godog.Step, err error) {
	f := w.finding(err)
	f.StepID, f.StepText = st.Id, st.Text
	w.chargeRefusal(&f, string(st.Type) == "Context")
	w.Record(f)
}

// SetUpRules name, for each problem code a system may refuse a request with, the requirement
// whose rule that code enforces. A set-up step (Given) the system refused with one of them
// (every field error sharing it, for VALIDATION_FAILED) sent a valid request the harness built
// to the contract, so the system broke that rule: the step's failure is charged to that
// requirement.
var SetUpRules = map[string]string{
	"INVALID_NHS_NUMBER":  "ID-001",
	"INVALID_UPN":         "ID-002",
	"INVALID_LA_CODE":     "ID-003",
	"LA_TERMINATED":       "ID-003",
	"DUPLICATE_CANDIDATE": "ID-005",
	"UNKNOWN_CODE":        "ERR-003",
	"UNKNOWN_PROPERTY":    "ERR-003",
}

// identifierChecks are the refusals the harness can check itself, in any step: a refusal of an
// identifier that every field error points at, in the request as sent, and that passes the
// harness's own validator, is the system breaking that identifier's rule.
var identifierChecks = map[string]struct {
	requirement string
	valid       func(string) bool
}{
	"INVALID_NHS_NUMBER": {"ID-001", func(v string) bool { return ident.CheckNHS(v) == nil }},
	"INVALID_UPN":        {"ID-002", func(v string) bool { return ident.CheckUPN(v, nil) == nil }},
}

// chargeRefusal charges f, a failure the step charged to the scenario's own requirements, to
// the rule named by the system's refusal of the step's request (the latest response) when that
// refusal was wrong: an identifier the harness's own validator finds valid (any step), or any
// rule of SetUpRules in a set-up step.
func (w *World) chargeRefusal(f *Finding, setUp bool) {
	if f.Verdict != reports.Fail || f.Source != "scenario" || w.Last == nil {
		return
	}
	r := w.Last
	if r.Status < 400 || r.Status > 499 {
		return
	}
	code, pointers := refusalCode(r)
	req := ""
	if chk, ok := identifierChecks[code]; ok && len(pointers) > 0 && validAt(r.sent, pointers, chk.valid) {
		req = chk.requirement
	} else if setUp && len(w.exchanges) > w.stepExchanges {
		req = SetUpRules[code]
	}
	if req == "" {
		return
	}
	f.Requirements, f.Source = []string{req}, "refusal:"+code
	f.Failure.Message = fmt.Sprintf("the system refused a valid request with %s, breaking %s: %s", code, req, f.Failure.Message)
}

// refusalCode returns the code refusal r names, its problem code or, for VALIDATION_FAILED, the
// code every field error shares, and the pointers of its field errors. It returns "" when the
// field errors disagree.
func refusalCode(r *Response) (string, []string) {
	c, _ := r.At("/code")
	code, _ := c.(string)
	errs, _ := r.At("/errors")
	list, _ := errs.([]any)
	var pointers []string
	shared := ""
	for _, e := range list {
		m, _ := e.(map[string]any)
		fc, _ := m["code"].(string)
		p, _ := m["pointer"].(string)
		if fc == "" || (shared != "" && fc != shared) {
			return "", nil
		}
		shared = fc
		pointers = append(pointers, p)
	}
	if code == "VALIDATION_FAILED" || (code != "" && shared != "" && shared != code) {
		code = shared
	}
	return code, pointers
}

// validAt reports whether the JSON body holds, at every pointer, a string that valid accepts.
func validAt(body []byte, pointers []string, valid func(string) bool) bool {
	var doc any
	if len(body) == 0 || json.Unmarshal(body, &doc) != nil {
		return false
	}
	for _, p := range pointers {
		v, ok, err := Lookup(doc, p)
		s, isString := v.(string)
		if err != nil || !ok || !isString || !valid(s) {
			return false
		}
	}
	return true
}

// finding turns an error of the current step into a Finding.
func (w *World) finding(err error) Finding {
	f := Finding{StepID: w.stepID, StepText: w.stepText}
	f.Failure.Message = w.suite.redactor.Text(err.Error())
	f.Failure.Exchanges = w.stepEvidence()
	var te *TargetError
	var ce *ConfigError
	var ae *AssertionError
	switch {
	case errors.As(err, &te):
		f.Verdict = reports.Error
	case errors.As(err, &ce):
		f.Verdict = reports.Config
	case errors.Is(err, godog.ErrUndefined), errors.Is(err, godog.ErrPending), errors.Is(err, godog.ErrAmbiguous):
		f.Verdict = reports.Config
		f.Failure.Message = "suite defect: " + f.Failure.Message
	case errors.As(err, &ae):
		f.Verdict = reports.Fail
		f.Requirements, f.Source = ae.Requirements, "step"
		f.Failure.Message = ae.Message
		f.Failure.Pointer = ae.Pointer
		f.Failure.Expected = w.suite.redactor.Value(ae.Pointer, ae.Expected)
		f.Failure.Actual = w.suite.redactor.Value(ae.Pointer, ae.Actual)
		f.Failure.Party, f.Failure.Role = ae.Party, ae.Role
		if len(ae.Evidence) > 0 {
			f.Failure.Exchanges = nil
			for _, r := range ae.Evidence {
				f.Failure.Exchanges = append(f.Failure.Exchanges, r.Exchange)
			}
		}
	default:
		f.Verdict = reports.Fail
	}
	if ae != nil {
		f.Failure.Exchanges = append(f.Failure.Exchanges, ae.Seen...)
	}
	if f.Verdict == reports.Fail && len(f.Requirements) == 0 {
		f.Requirements, f.Source = w.Requirements, "scenario"
	}
	if len(f.Failure.Exchanges) == 0 {
		f.Failure.Exchanges = nil
	}
	return f
}

// stepEvidence returns the exchanges behind the current step: those it sent, else the latest
// one (the response a Then step checks).
func (w *World) stepEvidence() []reports.Exchange {
	if len(w.exchanges) > w.stepExchanges {
		return append([]reports.Exchange(nil), w.exchanges[w.stepExchanges:]...)
	}
	if n := len(w.exchanges); n > 0 {
		return []reports.Exchange{w.exchanges[n-1]}
	}
	return nil
}
