// Package harness runs the conformance suite against one system: it loads the target file,
// serves the harness's token issuer, checks that the target can be tested (preflight), runs the
// embedded Gherkin scenarios with godog, maps their outcomes to requirement verdicts and writes
// every report file.
package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/features"
	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// SuiteVersion is the version of the scenarios and steps; reports add a digest of the
// embedded feature files to it.
const SuiteVersion = "0.1.0"

// Defaults of Config.
const (
	DefaultConcurrency = 4
	DefaultListen      = "127.0.0.1:0"
)

// Config configures one run. The zero value of each optional field takes its default.
type Config struct {
	// TargetFile is read with LoadTarget unless Target is set.
	TargetFile string
	Target     *Target
	// OutDir receives report.json, junit.xml, cucumber.json, cucumber.ndjson, summary.md and
	// report.html; "" writes no files.
	OutDir string
	// Features is the suite: .feature files at any depth, reported under "features/". Nil
	// means the suite compiled into the binary (features.FS).
	Features fs.FS
	// Tags selects scenarios in godog's tag syntax ("@ID-001 && ~@slow"); "" selects all.
	Tags string
	// FailOn is "must" (default) or "should": which failed requirements make the run
	// non-conformant.
	FailOn string
	// Concurrency is how many scenarios run at once; 0 means DefaultConcurrency.
	Concurrency int
	// RequestTimeout bounds each request (and preflight), ScenarioTimeout each scenario; zero
	// means steps.DefaultRequestTimeout and steps.DefaultScenarioTimeout.
	RequestTimeout  time.Duration
	ScenarioTimeout time.Duration
	// Redact removes personal data from the evidence in the reports. `icscert run` sets it
	// unless --no-redact is given. Bearer tokens are always removed.
	Redact bool
	// Listen is the address of the loopback listener that serves the issuer's JWKS; ""
	// means DefaultListen (a free port on 127.0.0.1).
	Listen string
	// Progress, if set, receives a line per scenario that did not pass, or with LiveProgress
	// one line rewritten in place ("\r") with the counts so far. Writes are serialised.
	Progress     io.Writer
	LiveProgress bool
	// Clock is the harness's clock; nil means time.Now.
	Clock func() time.Time
	// Resolve, if set, is called with the loaded target before it starts, to give a target
	// that names a profile or an image its Starter. An error is a CONFIG verdict.
	Resolve func(*Target) error
	// Peer is the system put beside the target for the transfer scenarios (tagged @peer): nil
	// means DefaultPeer, the in-process reference. Its first council, if it lists any, is the
	// peer's council; otherwise the run chooses one. It is started only when a @peer scenario
	// runs, with the same Trust as the target but its own client credentials; failing to start
	// it is a CONFIG verdict.
	Peer *Target
	// PeerUnderTest says the peer is a system under test too (a pair run of the interoperability
	// matrix): failures charged to it count, with their party and role. Otherwise the peer is
	// the harness's reference, and a failure charged to it is an ERROR naming the peer, never a
	// FAIL of the target's requirement.
	PeerUnderTest bool
	// Ledger, if set, receives every personal or locating value the run generates or sends (the
	// run redacts its reports of them), so that a caller can check the files written hold none;
	// nil means a ledger of the run's own. Give each run its own.
	Ledger *steps.Ledger
}

// ErrNotWritten is wrapped by Run's error when the report files could not be written.
var ErrNotWritten = errors.New("the reports were not written")

// Run certifies one target and returns the finalised report, also written to cfg.OutDir.
//
// Every verdict is in the report, never in the error: a bad target file or tag expression, an
// unsupported API version or a suite defect gives a CONFIG report with a Message, an
// unreachable or hanging target an ERROR report. Run returns an error only if the report
// cannot be finalised or written, or if ctx is cancelled (the report then holds what ran).
// Run may be called from several goroutines, and runs may overlap: each has its own godog
// formatter (see collectors), target, national services and webhook receiver.
func Run(ctx context.Context, cfg Config) (*reports.Report, error) {
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	r := &runner{cfg: cfg, now: now, rep: &reports.Report{StartedAt: now(), FailOn: cfg.FailOn}}
	r.rep.Suite.Tags = cfg.Tags
	r.ledger = cfg.Ledger
	if r.ledger == nil {
		r.ledger = &steps.Ledger{}
	}
	r.run(ctx)
	r.rep.Target = clipTarget(r.rep.Target)
	scrub(r.rep, steps.Redactor{Personal: cfg.Redact, Known: r.ledger})
	r.rep.FinishedAt = now()
	if ctx.Err() != nil && r.rep.Message == "" {
		r.rep.Verdict, r.rep.Message = reports.Error, "the run was interrupted before it finished"
	}
	if err := r.rep.Finalise(); err != nil {
		return r.rep, fmt.Errorf("run: %w", err)
	}
	if cfg.OutDir != "" {
		if err := reports.WriteAll(cfg.OutDir, r.rep); err != nil {
			return r.rep, fmt.Errorf("run: %w: %w", ErrNotWritten, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return r.rep, fmt.Errorf("run: %w", err)
	}
	return r.rep, nil
}

// runner holds one run's state.
type runner struct {
	cfg Config
	now func() time.Time
	rep *reports.Report
	// ledger holds the personal values the scenarios generated and sent; scrub redacts them.
	ledger *steps.Ledger

	progressMu                   sync.Mutex
	total, done, passed, notPass int
}

// stop ends the run early with verdict v and a message.
func (r *runner) stop(v reports.Verdict, format string, args ...any) {
	r.rep.Verdict = v
	r.rep.Message = fmt.Sprintf(format, args...)
}

// run is the main data flow of a run, one named phase after another: load, select, start
// target, preflight, run, collect. A phase that cannot go on returns a *stopped, which ends the
// run with its verdict and message; the report keeps what the phases before it filled in.
func (r *runner) run(ctx context.Context) {
	if err := r.phases(ctx); err != nil {
		var s *stopped
		if !errors.As(err, &s) {
			s = &stopped{verdict: reports.Config, msg: err.Error()}
		}
		r.stop(s.verdict, "%s", s.msg)
	}
}

func (r *runner) phases(ctx context.Context) error {
	in, err := r.load()
	if err != nil {
		return err
	}
	sel := r.selectScenarios(in)
	sys, err := r.startTarget(ctx, in, sel)
	if sys != nil {
		defer sys.close()
	}
	if err != nil {
		return err
	}
	if err := r.startSink(in, sys); err != nil {
		return err
	}
	if err := r.preflight(ctx, in, sys); err != nil {
		return err
	}
	col, err := r.runScenarios(ctx, in, sel, sys)
	if err != nil {
		return err
	}
	r.collect(in, sel, col)
	return nil
}

// stopped ends a run early with a verdict and a message.
type stopped struct {
	verdict reports.Verdict
	msg     string
}

func (s *stopped) Error() string { return s.msg }

func stopf(v reports.Verdict, format string, args ...any) error {
	return &stopped{verdict: v, msg: fmt.Sprintf(format, args...)}
}

// loaded is what the load phase reads: the contract, the target, the tag selection and the
// suite.
type loaded struct {
	contract *spec.Contract
	target   *Target
	tags     TagExpr
	suite    *suite
}

// load checks the options and reads the contract, the target and the suite, filling in the
// report's suite, requirements and target.
func (r *runner) load() (*loaded, error) {
	cfg := r.cfg
	switch cfg.FailOn {
	case "", reports.FailOnMust, reports.FailOnShould:
	default:
		r.rep.FailOn = ""
		return nil, stopf(reports.Config, "fail-on %q: want %q or %q", cfg.FailOn, reports.FailOnMust, reports.FailOnShould)
	}
	contract, err := spec.Load()
	if err != nil {
		return nil, stopf(reports.Config, "%v", err)
	}
	r.rep.Suite.SpecVersion = contract.Version
	r.rep.Suite.SpecDigest = contract.Digest
	for _, req := range contract.Requirements {
		r.rep.Requirements = append(r.rep.Requirements, reports.Requirement{
			ID: req.ID, Level: req.Level, Group: req.Group, Title: req.Title, Text: req.Text,
		})
	}

	target := cfg.Target
	if target == nil {
		if target, err = LoadTarget(cfg.TargetFile); err != nil {
			return nil, stopf(reports.Config, "%v", err)
		}
	} else if err := target.Validate(); err != nil {
		return nil, stopf(reports.Config, "target: %v", err)
	}
	if cfg.Resolve != nil {
		if err := cfg.Resolve(target); err != nil {
			return nil, stopf(reports.Config, "target: %v", err)
		}
	}
	r.rep.Target = target.report(target.BaseURL)

	tags, err := ParseTags(cfg.Tags)
	if err != nil {
		return nil, stopf(reports.Config, "%v", err)
	}
	fsys := cfg.Features
	if fsys == nil {
		fsys = features.FS
	}
	suite, err := loadSuite(fsys, features.Root, contract)
	if err != nil {
		return nil, stopf(reports.Config, "%v", err)
	}
	r.rep.Suite.SuiteVersion = SuiteVersion + "+features." + suite.digest()
	return &loaded{contract: contract, target: target, tags: tags, suite: suite}, nil
}

// selection is what the select phase decides: the verdict of each scenario that will not run
// (SKIPPED outside the tag selection, NOT_APPLICABLE for a capability the target does not
// support; "" for one that runs) and the tag expression of the runnable ones.
type selection struct {
	verdicts map[string]reports.Verdict
	runnable TagExpr
}

// selectScenarios decides which scenarios run and counts them for the progress line.
func (r *runner) selectScenarios(in *loaded) selection {
	var unsupported []string
	for _, c := range in.suite.capabilities() {
		if !in.target.Supports(c) {
			unsupported = append(unsupported, capabilityPrefix+c)
		}
	}
	sel := selection{verdicts: map[string]reports.Verdict{}, runnable: in.tags.Without(unsupported...)}
	for _, sc := range in.suite.scenarios {
		switch {
		case !in.tags.Match(sc.Tags):
			sel.verdicts[sc.ID] = reports.Skipped
		case needsUnsupported(sc, in.target):
			sel.verdicts[sc.ID] = reports.NotApplicable
		default:
			sel.verdicts[sc.ID] = ""
			r.total++
		}
	}
	return sel
}

// system is the started target and what the run talks to it with. close releases it all.
type system struct {
	issuer *fixtures.Issuer
	// national serves the issuer's JWKS, the directory and the token endpoint.
	national *national
	// peer is the peer system, nil when no selected scenario needs it.
	peer *peer
	// wire is the capture proxies between the target and the peer, nil without a peer.
	wire *wire
	// entries are the directory's entries (council → base URL), built by the runner in this
	// one place: a proxy is put between the two systems by changing them.
	entries        map[string]string
	audience       string
	baseURL        string
	client         *http.Client
	requestTimeout time.Duration
	sink           *sink.Sink // the webhook receiver (webhooks.go)
	closers        []func()
}

func (s *system) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// startTarget serves the harness's national services (token issuer, directory) and starts the
// target trusting them, and the peer system beside it when a selected scenario needs one. The
// returned system, even with an error, must be closed.
func (r *runner) startTarget(ctx context.Context, in *loaded, sel selection) (*system, error) {
	audience := in.target.Auth.Audience
	if audience == "" {
		audience = fixtures.DefaultAudience
	}
	nat, err := r.serveNational(audience, in.target.Exchange.Advertise)
	if err != nil {
		return nil, stopf(reports.Config, "%v", err)
	}
	issuer := nat.issuer
	sys := &system{issuer: issuer, national: nat, audience: audience}
	sys.closers = append(sys.closers, func() { _ = nat.listener.Close() })
	r.progressf("harness token issuer %s, keys at %s\n", issuer.URL(), issuer.JWKSURL())

	trust := Trust{JWKS: issuer.JWKS(), JWKSURL: issuer.JWKSURL(), Issuer: issuer.URL(), Audience: audience}
	councils := targetCouncils(in.target)
	clientID := in.target.Exchange.ClientID
	if clientID == "" {
		clientID = targetClientID
	}
	targetTrust := trust
	if targetTrust.Exchange, err = nat.settings(clientID, in.target.Exchange.ClientSecret, councils); err != nil {
		return sys, stopf(reports.Config, "%v", err)
	}
	r.progressf("harness directory %s, tokens at %s (client id %s)\n",
		targetTrust.Exchange.DirectoryURL, targetTrust.Exchange.TokenURL, clientID)
	baseURL, stopTarget, err := in.target.Start(ctx, targetTrust)
	if err != nil {
		return sys, stopf(reports.Error, "%v", err)
	}
	sys.closers = append(sys.closers, stopTarget)
	sys.baseURL = baseURL
	r.rep.Target = in.target.report(baseURL)
	sys.entries = map[string]string{}
	for _, c := range councils {
		sys.entries[c] = baseURL
	}
	if needsPeer(in, sel) {
		p, stopPeer, err := r.startPeer(ctx, nat, trust, councils)
		if err != nil {
			return sys, stopf(reports.Config, "%v", err)
		}
		sys.closers = append(sys.closers, stopPeer)
		sys.peer = p
		sys.entries[p.council] = p.baseURL
		r.progressf("peer system %s serving council %s\n", p.baseURL, p.council)
		wire, fronts, err := startWire(nat, in.contract, &steps.Redactor{Personal: r.cfg.Redact, Known: r.ledger}, baseURL, p.baseURL)
		if err != nil {
			return sys, stopf(reports.Config, "%v", err)
		}
		sys.closers = append(sys.closers, wire.close)
		sys.wire = wire
		for c := range sys.entries {
			if c == p.council {
				sys.entries[c] = fronts["peer"]
			} else {
				sys.entries[c] = fronts["target"]
			}
		}
		r.progressf("capture proxies: %s in front of the target, %s in front of the peer\n", fronts["target"], fronts["peer"])
	}
	nat.directory.SetEntries(sys.entries)

	sys.requestTimeout = r.cfg.RequestTimeout
	if sys.requestTimeout <= 0 {
		sys.requestTimeout = steps.DefaultRequestTimeout
	}
	sys.client = &http.Client{
		Transport:     steps.NewTransport(sys.requestTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	sys.closers = append(sys.closers, sys.client.CloseIdleConnections)
	return sys, nil
}

// preflight checks that the started target can be tested at all.
func (r *runner) preflight(ctx context.Context, in *loaded, sys *system) error {
	if _, err := Preflight(ctx, sys.client, sys.baseURL, in.contract, sys.requestTimeout); err != nil {
		var pe *PreflightError
		if errors.As(err, &pe) {
			return stopf(pe.Verdict, "%v", pe.Err)
		}
		return stopf(reports.Error, "%v", err)
	}
	return nil
}

// runScenarios runs the selected scenarios with godog and collects their outcomes.
// Scenarios tagged @exclusive (load and overload checks) run alone, after the others, so that
// the load they make never disturbs another scenario and a system that sheds load correctly is
// never failed for it. Before them, the run claims its own identifier block and namespace on
// the target, so that it is independent of every earlier or concurrent run against it.
func (r *runner) runScenarios(ctx context.Context, in *loaded, sel selection, sys *system) (*collector, error) {
	claimTimeout := sys.requestTimeout
	if r.cfg.ScenarioTimeout > 0 && r.cfg.ScenarioTimeout < claimTimeout {
		claimTimeout = r.cfg.ScenarioTimeout // the claim costs at most one scenario's time
	}
	ns := claimNamespace(ctx, sys.client, sys.baseURL, sys.issuer, sys.audience, claimTimeout)
	if !ns.Claimed {
		r.progressf("warning: %s; identifiers may repeat an earlier run's\n", ns.Note)
	}
	col := newCollector(r.onOutcome)
	stepSuite, err := steps.NewSuite(steps.Options{
		Namespace:       ns.Seed,
		Identifiers:     fixtures.NewBlockPool(ns.Block),
		BaseURL:         sys.baseURL,
		Contract:        in.contract,
		Issuer:          sys.issuer,
		Audience:        sys.audience,
		HTTPClient:      sys.client,
		RequestTimeout:  sys.requestTimeout,
		ScenarioTimeout: r.cfg.ScenarioTimeout,
		Redact:          r.cfg.Redact,
		Ledger:          r.ledger,
		Clock:           r.now,
		Peer:            sys.stepsPeer(),
		OnScenarioEnd:   col.outcome,
		Webhooks:        sys.sink,
		ClockAhead:      r.clockAhead(ctx, in, sys),
	})
	if err != nil {
		return nil, stopf(reports.Config, "%v", err)
	}
	concurrency := r.cfg.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	passes := []struct {
		tags        TagExpr
		concurrency int
	}{
		{sel.runnable.Without(tagExclusive), concurrency},
		{sel.runnable.With(tagExclusive), 1},
	}
	suiteName, unregister := register(col)
	defer unregister()
	for _, pass := range passes {
		if !in.suite.any(pass.tags) {
			continue
		}
		status := godog.TestSuite{
			Name:                suiteName,
			ScenarioInitializer: stepSuite.InitializeScenario,
			Options: &godog.Options{
				Format:          formatName,
				Output:          io.Discard,
				FeatureContents: in.suite.files,
				Tags:            pass.tags.String(),
				Concurrency:     pass.concurrency,
				Strict:          true,
				NoColors:        true,
				DefaultContext:  ctx,
			},
		}.Run()
		if status == 2 {
			return nil, stopf(reports.Config, "godog could not run the suite (option error)")
		}
	}
	r.endProgress()
	if tripped, why := stepSuite.Tripped(); tripped {
		r.stop(reports.Error, "%s", why)
	}
	return col, nil
}

// collect turns every scenario of the suite into the report's result: not run (with the
// selection's verdict), or run (with its outcome).
func (r *runner) collect(in *loaded, sel selection, col *collector) {
	for _, sc := range in.suite.scenarios {
		if v := sel.verdicts[sc.ID]; v != "" {
			r.rep.Scenarios = append(r.rep.Scenarios, notRun(sc, v))
			continue
		}
		run, outcome, ran, hasOutcome := col.result(sc.ID)
		if !ran {
			s := notRun(sc, reports.Config)
			s.Failure = &reports.Failure{Message: "the scenario was selected but godog did not run it (harness defect)"}
			r.rep.Scenarios = append(r.rep.Scenarios, s)
			continue
		}
		r.rep.Scenarios = append(r.rep.Scenarios, scenarioResult(sc, run, outcome, hasOutcome, r.cfg.PeerUnderTest))
	}
}

func needsUnsupported(sc suiteScenario, t *Target) bool {
	for _, c := range sc.Capabilities {
		if !t.Supports(c) {
			return true
		}
	}
	return false
}

// onOutcome reports progress as each scenario ends. It is called from godog's goroutines.
func (r *runner) onOutcome(o steps.Outcome) {
	if r.cfg.Progress == nil {
		return
	}
	verdict, why := quickVerdict(o)
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.done++
	if verdict == reports.Pass {
		r.passed++
	} else {
		r.notPass++
	}
	if r.cfg.LiveProgress {
		fmt.Fprintf(r.cfg.Progress, "\r%d/%d scenarios: %d passed, %d not passed", r.done, r.total, r.passed, r.notPass)
		return
	}
	if verdict != reports.Pass {
		fmt.Fprintf(r.cfg.Progress, "%-6s %s  %s\n", verdict, o.ScenarioID, why)
	}
}

// quickVerdict is the verdict progress shows for an Outcome, before godog's step statuses are
// merged in, and the message of the finding that decided it.
func quickVerdict(o steps.Outcome) (reports.Verdict, string) {
	v, i := decide(o.Findings, o.Requirements)
	if i < 0 {
		return v, ""
	}
	if v == reports.Fail && blockedBy(o.Findings, o.Requirements) {
		v = reports.Blocked
	}
	f := o.Findings[i]
	if f.Verdict == reports.Fail && len(f.Requirements) > 0 {
		return v, strings.Join(f.Requirements, ", ") + ": " + f.Failure.Message
	}
	return v, f.Failure.Message
}

func (r *runner) progressf(format string, args ...any) {
	if r.cfg.Progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	fmt.Fprintf(r.cfg.Progress, format, args...)
}

// endProgress ends the live progress line.
func (r *runner) endProgress() {
	if r.cfg.LiveProgress && r.done > 0 {
		r.progressf("\n")
	}
}

// digest is a short digest of the embedded feature files, in file order.
func (s *suite) digest() string {
	h := sha256.New()
	names := make([]string, len(s.files))
	contents := map[string][]byte{}
	for i, f := range s.files {
		names[i] = f.Name
		contents[f.Name] = f.Contents
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(contents[n]))
		h.Write(contents[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
