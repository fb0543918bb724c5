// Package deploycheck runs a council's deployment check: a short run against the council's own
// endpoint, distinct from the certification of its product version, that proves the deployment
// is reachable, serves the product version the council declares (GET /v1/meta), trusts the
// national identity service's keys, is listed in the national directory at the declared base
// URL and completes a transfer with a peer. It is built on the harness: one harness.Run of
// the few scenarios selected by Tags (a read presenting a valid token, and the transfers the
// target sends and completes), with the metadata read by harness.Preflight when the endpoint
// comes up and the directory asked directly.
//
// Its result is what the department records with the registry's POST /v1/deployment-checks:
// a verdict PASS or FAIL and each failed check with its reason.
package deploycheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// Tags selects the scenarios of a deployment check: a read presenting a valid token signed by
// the national identity service (AUTH-001), and the transfers the target sends to the peer and
// completes (XFER-002, the @pair scenarios that end COMPLETED on both sides). Between them
// they show the endpoint trusts the national keys and completes a transfer.
const Tags = "@AUTH-001 && @positive,@XFER-002 && @positive && @pair"

// The checks a deployment check makes, by the name recorded in a failed check.
const (
	CheckReachable = "reachable"
	CheckVersion   = "meta-version"
	CheckKeys      = "national-keys"
	CheckDirectory = "directory"
	CheckTransfer  = "transfer"
	// CheckAPI fails when the endpoint accepts the national token but its API breaks the
	// contract in the check's own requests: a product defect the deployment shows too.
	CheckAPI = "api"
)

// Verdicts of a deployment check, as the registry records them.
const (
	Pass = "PASS"
	Fail = "FAIL"
)

// metaTimeout bounds the metadata read when the endpoint comes up.
const metaTimeout = 10 * time.Second

// Deployment is what a council declares: which product version it runs, and where.
type Deployment struct {
	Council string // DfE code
	Product string // the product's name, as in the certificate (e.g. "Tarnline")
	Version string
	BaseURL string // the declared base URL, as the national directory must list it
}

// Directory answers the national directory's question: at which base URL is a council's
// system listed? ok is false for a council that is not listed.
type Directory func(ctx context.Context, council string) (baseURL string, ok bool, err error)

// Input is one deployment check to run.
type Input struct {
	Deployment
	// Endpoint is the council's system as it is deployed: reached at its BaseURL, or, for a
	// simulated deployment, started by its Starter for the check (as the council configured
	// it: the keys it trusts, the version it actually runs). Its Councils are replaced by the
	// council's own code.
	Endpoint *harness.Target
	// Directory is the national directory.
	Directory Directory
	// Peer is the system the transfer is made with; nil means the harness's default peer,
	// the conforming reference in process, so that a failed transfer is the deployment's.
	Peer *harness.Target
	// OutDir, if set, receives the run's reports.
	OutDir string
}

// Result is the outcome of a deployment check.
type Result struct {
	Verdict string              // Pass or Fail
	Failed  []store.FailedCheck // each failed check, in the order of the checks; empty on Pass
	// Meta is the endpoint's published metadata; nil when it could not be read.
	Meta *spec.Meta
	// Report is the harness run's report (the evidence).
	Report *reports.Report
}

// Run runs one deployment check. Every finding is in the Result; the error is for unusable
// input, a run whose report could not be made, or ctx ending.
func Run(ctx context.Context, in Input) (*Result, error) {
	if in.Council == "" || in.Product == "" || in.Version == "" || in.BaseURL == "" || in.Endpoint == nil || in.Directory == nil {
		return nil, errors.New("deployment check: council, product, version, base URL, endpoint and directory are required")
	}
	contract, err := spec.Load()
	if err != nil {
		return nil, fmt.Errorf("deployment check of council %s: %w", in.Council, err)
	}
	target := *in.Endpoint
	target.Name = "council " + in.Council
	target.Product, target.Version = in.Product, in.Version
	target.Councils = []string{in.Council}
	probe := &metaProbe{contract: contract, inner: in.Endpoint}
	target.Starter, target.BaseURL = probe, ""

	rep, runErr := harness.Run(ctx, harness.Config{Target: &target, Peer: in.Peer, Tags: Tags, Redact: true, OutDir: in.OutDir})
	if rep == nil || ctx.Err() != nil {
		return nil, fmt.Errorf("deployment check of council %s: %w", in.Council, runErr)
	}
	res := &Result{Report: rep}
	fail := func(check, format string, args ...any) {
		res.Failed = append(res.Failed, store.FailedCheck{Check: check, Reason: fmt.Sprintf(format, args...)})
	}
	meta, metaErr := probe.result()
	res.Meta = meta
	switch {
	case metaErr != nil:
		fail(CheckReachable, "%v", metaErr)
	case rep.Verdict == reports.Error || rep.Verdict == reports.Config:
		fail(CheckReachable, "the check could not run: %s", rep.Message)
	default:
		if err := versionMatches(meta.Product, in.Product, in.Version); err != nil {
			fail(CheckVersion, "%v", err)
		}
		judgeScenarios(rep, fail)
	}
	switch url, ok, err := in.Directory(ctx, in.Council); {
	case err != nil:
		fail(CheckDirectory, "the national directory could not be asked: %v", err)
	case !ok:
		fail(CheckDirectory, "the national directory does not list council %s", in.Council)
	case strings.TrimRight(url, "/") != strings.TrimRight(in.BaseURL, "/"):
		fail(CheckDirectory, "the national directory lists council %s at %s, not at the declared %s", in.Council, url, in.BaseURL)
	}
	res.Verdict = Pass
	if len(res.Failed) > 0 {
		res.Verdict = Fail
	} else {
		res.Failed = []store.FailedCheck{}
	}
	return res, nil
}

// judgeScenarios charges the selected scenarios' verdicts to the national-keys and transfer
// checks. A scenario that did not pass fails its check; a check none of whose scenarios ran
// fails too, since it was not shown.
func judgeScenarios(rep *reports.Report, fail func(check, format string, args ...any)) {
	ran := map[string]bool{}
	failedCheck := map[string]bool{}
	for _, sc := range rep.Scenarios {
		if sc.Verdict == reports.Skipped || sc.Verdict == reports.NotApplicable {
			continue
		}
		check := CheckTransfer
		if hasTag(sc.Tags, "@AUTH-001") {
			check = CheckKeys
		}
		ran[check] = true
		if sc.Verdict == reports.Pass {
			continue
		}
		why := string(sc.Verdict)
		if sc.Failure != nil && sc.Failure.Message != "" {
			why = firstLine(sc.Failure.Message)
		}
		if check == CheckKeys && !refused(sc) {
			// The token was accepted, but the endpoint's API broke the contract on the way:
			// a defect of the product, which its certificate charges, shown here too.
			check = CheckAPI
		}
		if failedCheck[check] {
			continue
		}
		failedCheck[check] = true
		switch check {
		case CheckKeys:
			fail(check, "a request presenting a valid token of the national identity service was refused (%s): %s", sc.ID, why)
		case CheckAPI:
			fail(check, "a request presenting a valid token was accepted but not answered as the contract says (%s): %s", sc.ID, why)
		default:
			fail(check, "a transfer to the peer did not complete (%s): %s", sc.ID, why)
		}
	}
	for _, check := range []string{CheckKeys, CheckTransfer} {
		if !ran[check] {
			fail(check, "no scenario of the check ran")
		}
	}
}

// versionMatches checks that the product named by /v1/meta ("Tarnline 1.2 (Tarnwick
// Records; ...)") is the declared product at the declared version.
func versionMatches(published, product, version string) error {
	name, _, _ := strings.Cut(published, "(")
	fields := strings.Fields(name)
	if len(fields) >= 2 {
		v := strings.TrimPrefix(strings.TrimPrefix(fields[len(fields)-1], "v"), "V")
		p := strings.Join(fields[:len(fields)-1], " ")
		if strings.EqualFold(p, product) && v == version {
			return nil
		}
	}
	if published == "" {
		return fmt.Errorf("GET /v1/meta names no product; the council declares %s %s", product, version)
	}
	return fmt.Errorf("GET /v1/meta names %q; the council declares %s %s", clip(published), product, version)
}

// refused reports whether a scenario's failure shows a request refused as unauthenticated.
func refused(sc reports.Scenario) bool {
	texts := []string{}
	if sc.Failure != nil {
		texts = append(texts, sc.Failure.Message)
	}
	for _, st := range sc.Steps {
		texts = append(texts, st.Error)
	}
	for _, t := range texts {
		if strings.Contains(t, "401") || strings.Contains(t, "UNAUTHENTICATED") {
			return true
		}
	}
	return false
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return clip(s)
}

func clip(s string) string {
	const limit = 300
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// metaProbe starts (or names) the endpoint for the harness and reads its metadata as soon as
// it is up, before the harness's own preflight.
type metaProbe struct {
	contract *spec.Contract
	inner    *harness.Target

	mu   sync.Mutex
	meta *spec.Meta
	err  error
	done bool
}

// Start implements harness.Starter.
func (p *metaProbe) Start(ctx context.Context, trust harness.Trust) (string, func(), error) {
	url, stop, err := p.inner.Start(ctx, trust)
	if err != nil {
		p.set(nil, fmt.Errorf("the endpoint did not start: %w", err))
		return "", nil, err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	meta, err := harness.Preflight(ctx, client, url, p.contract, metaTimeout)
	p.set(meta, err)
	return url, stop, nil
}

func (p *metaProbe) set(meta *spec.Meta, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.meta, p.err, p.done = meta, err, true
}

func (p *metaProbe) result() (*spec.Meta, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.done {
		return nil, errors.New("the endpoint was never started: the check stopped before it")
	}
	return p.meta, p.err
}
