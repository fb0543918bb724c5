// Package campaign plays the national readiness campaign on real runs: suppliers release the
// simulated product versions week by week and certify each one with a harness run, signing the
// certificate with their own Ed25519 key; councils deploy and upgrade with their own lags
// (Plan); the department runs the interoperability pairs of the product versions deployed
// together (internal/interop) and each changed deployment's check (internal/deploycheck).
// Everything is submitted to an embedded registry whose clock is the campaign's simulated
// clock, so its readiness, weekly series, forecast and dashboard are those of the campaign.
//
// A product version is certified once, and an ordered pair of versions run once, for the
// suite in force, however many councils run them: every council running it reuses them.
// No verdict is invented: each comes from a run whose reports are kept under OutDir.
package campaign

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/deploycheck"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/internal/interop"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// Defaults of Options.
var (
	// DefaultStart is the programme's start: a Monday, 09:00 UTC.
	DefaultStart = time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
)

// DefaultWeeks is the programme's length, start to deadline: inside a certificate's validity
// (bundle.DefaultValidity), so that what is certified in week 0 still stands at the deadline.
const DefaultWeeks = 24

// DepartmentToken is the department's bearer token in the campaign's registry.
const DepartmentToken = "tok-dfe"

// Options configures Run.
type Options struct {
	// Store is the registry's store (the caller opens and closes it). Required.
	Store *store.Store
	// OutDir receives the evidence: certificates/<version>/ (each certification run's reports
	// and bundle.json), pairs/ (each pair's reports) and checks/<council>-w<week>/. Required.
	OutDir string
	// Start is the programme's start (DefaultStart if zero); Weeks its length up to the
	// deadline (DefaultWeeks if zero or less). The campaign plays weeks 0 to Weeks-1; the
	// deadline is Start plus Weeks weeks.
	Start time.Time
	Weeks int
	// Councils is how many live councils take part, the first by DfE code (0: all).
	Councils int
	// Profiles are the product versions released (nil: simulators.Profiles()).
	Profiles []simulators.Profile
	// Plan, if set, is the programme played instead of NewPlan's (its Weeks and its councils
	// override Weeks and Councils); its releases must be among Profiles.
	Plan *Plan
	// System gives how a product version runs (nil: in process, fleet.Simulated; the
	// command's --containers gives fleet.Containerised).
	System func(simulators.Profile) fleet.System
	// Parallel is how many runs go at once (0: interop.DefaultParallel).
	Parallel int
	// Progress, if set, receives a line per week.
	Progress io.Writer
}

// Result is what a campaign did and where it ended.
type Result struct {
	Plan *Plan
	// Server is the embedded registry (its store is the caller's).
	Server *registry.Server
	// Readiness is the registry's readiness at the end of the last week played.
	Readiness *registry.Readiness
	// Certified, Pairs and Checks count the runs made.
	Certified, Pairs, Checks int
	// Weeks has one line per week played.
	Weeks []Week
	// Deadline is the programme's deadline.
	Deadline time.Time
}

// Week is what happened in one week.
type Week struct {
	Week       int
	At         time.Time
	Released   []string // product versions released and certified
	Deployed   int      // deployments declared (first deployments and upgrades)
	Pairs      int      // pairs run
	PairsFail  int
	Checks     int // deployment checks run
	ChecksFail int
	Ready      int // ready councils at the week's end
}

// runner holds one campaign's state.
type runner struct {
	opts     Options
	plan     *Plan
	clock    *registry.Clock
	server   *registry.Server
	handler  http.Handler
	suite    bundle.Manifest
	keys     map[string]ed25519.PrivateKey // supplier -> signing key
	supplier map[string]string             // product name (display) -> supplier principal
	systems  map[string]fleet.System       // profile -> system
	profiles map[string]simulators.Profile // NAME@VERSION -> profile

	certified map[string]bool   // NAME@VERSION certified for the suite in force
	paired    map[string]bool   // "S>R" (NAME@VERSION) run and recorded
	lastCheck map[string]string // council -> verdict of its latest deployment check
	res       *Result
	mu        sync.Mutex // guards res's counters while checks run at once
}

// Run plays the campaign and returns where it ended. It fails when a run cannot be made at
// all or the registry refuses a record; every verdict is in the registry.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Store == nil || opts.OutDir == "" {
		return nil, errors.New("campaign: a store and an output folder are required")
	}
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
	}
	if opts.Weeks <= 0 {
		opts.Weeks = DefaultWeeks
	}
	if opts.Profiles == nil {
		opts.Profiles = simulators.Profiles()
	}
	if opts.System == nil {
		opts.System = fleet.Simulated
	}
	if opts.Parallel <= 0 {
		opts.Parallel = interop.DefaultParallel
	}
	live := ident.Councils().Live()
	if opts.Councils < 0 || opts.Councils > len(live) {
		return nil, fmt.Errorf("campaign: %d councils: want 0 (all) to %d", opts.Councils, len(live))
	}
	if opts.Councils > 0 {
		live = live[:opts.Councils]
	}
	plan := opts.Plan
	if plan == nil {
		var err error
		if plan, err = NewPlan(opts.Weeks, live, opts.Profiles); err != nil {
			return nil, fmt.Errorf("campaign: %w", err)
		}
	}
	opts.Weeks = plan.Weeks
	r := &runner{
		opts: opts, plan: plan, clock: registry.NewClock(opts.Start),
		keys: map[string]ed25519.PrivateKey{}, supplier: map[string]string{},
		systems: map[string]fleet.System{}, profiles: map[string]simulators.Profile{},
		certified: map[string]bool{}, paired: map[string]bool{}, lastCheck: map[string]string{},
		res: &Result{Plan: plan, Deadline: opts.Start.Add(time.Duration(opts.Weeks) * week)},
	}
	if err := r.openRegistry(); err != nil {
		return nil, err
	}
	for _, rel := range plan.Releases {
		if _, ok := r.systems[rel.Profile.String()]; !ok {
			return nil, fmt.Errorf("campaign: the plan releases %s, which is not among the product versions", rel.Profile)
		}
	}
	for w := range opts.Weeks {
		if err := r.week(ctx, w); err != nil {
			return r.res, err
		}
	}
	var err error
	if r.res.Readiness, err = r.server.Readiness(ctx, r.clock.Now()); err != nil {
		return r.res, fmt.Errorf("campaign: %w", err)
	}
	return r.res, nil
}

const week = 7 * 24 * time.Hour

// openRegistry configures the embedded registry: a supplier per vendor with a freshly
// generated Ed25519 key (not a development key) trusted for its products, a council principal
// per live council and the department.
func (r *runner) openRegistry() error {
	var cfg strings.Builder
	cfg.WriteString("principals:\n")
	var vendors []string
	owned := map[string][]string{}
	for _, p := range r.opts.Profiles {
		r.profiles[p.String()] = p
		r.systems[p.String()] = r.opts.System(p)
		name := slug(p.Vendor)
		if _, ok := r.keys[name]; !ok {
			k, err := bundle.GenerateKey()
			if err != nil {
				return fmt.Errorf("campaign: %w", err)
			}
			r.keys[name] = k
			vendors = append(vendors, name)
		}
		if !slices.Contains(owned[name], p.Product) {
			owned[name] = append(owned[name], p.Product)
		}
		r.supplier[p.Product] = name
	}
	for _, v := range vendors {
		pem, err := bundle.EncodePublicKey(r.keys[v].Public().(ed25519.PublicKey))
		if err != nil {
			return fmt.Errorf("campaign: %w", err)
		}
		var products []string
		for _, p := range owned[v] {
			products = append(products, fmt.Sprintf("%q", p))
		}
		fmt.Fprintf(&cfg, "  - {name: %s, kind: supplier, token: tok-%s, products: [%s], keys: [%q]}\n", v, v, strings.Join(products, ", "), pem)
	}
	for _, lc := range ident.Councils().Live() {
		fmt.Fprintf(&cfg, "  - {name: council-%[1]s, kind: council, council: %[1]q, token: tok-council-%[1]s}\n", lc.DfeCode)
	}
	fmt.Fprintf(&cfg, "  - {name: dfe, kind: department, token: %s}\n", DepartmentToken)
	conf, err := registry.ParseConfig([]byte(cfg.String()), ".")
	if err != nil {
		return fmt.Errorf("campaign: registry config: %w", err)
	}
	if r.suite, err = bundle.CurrentSuite(); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	r.server, err = registry.New(registry.Options{Config: conf, Store: r.opts.Store, Now: r.clock.Now, Suite: r.suite, Deadline: r.res.Deadline})
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	r.res.Server = r.server
	r.handler = r.server.Handler()
	return nil
}

func slug(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// client returns an API client holding token that calls the embedded registry in process.
func (r *runner) client(token string) *registry.Client {
	return &registry.Client{BaseURL: "http://registry.invalid", Token: token, HTTP: &http.Client{Transport: handlerTransport{r.handler}}}
}

// handlerTransport answers requests with a handler, without a network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// week plays week w: releases are certified, councils deploy and upgrade, the new pairs run,
// the changed (and the failing) deployments are checked, each step's records submitted in a
// fixed order, a minute apart.
func (r *runner) week(ctx context.Context, w int) error {
	wk := Week{Week: w, At: r.opts.Start.Add(time.Duration(w) * week)}
	r.clock.Set(wk.At)

	var released []simulators.Profile
	for _, rel := range r.plan.Releases {
		if rel.Week == w && !r.certified[rel.Profile.String()] {
			released = append(released, rel.Profile)
		}
	}
	if err := r.certify(ctx, released); err != nil {
		return err
	}
	for _, p := range released {
		wk.Released = append(wk.Released, p.String())
	}

	// Deployments that change this week, and those to (re-)check.
	type change struct {
		cp  CouncilPlan
		now deployment
	}
	var toCheck []change
	deployed := map[string]bool{}
	dept := r.client(DepartmentToken)
	for _, cp := range r.plan.Councils {
		now, ok := r.plan.at(cp, w)
		if !ok {
			continue
		}
		deployed[now.declared.String()] = true
		prev, had := r.plan.at(cp, w-1)
		changed := !had || prev.declared.String() != now.declared.String()
		if changed {
			r.clock.Advance(time.Minute)
			if err := r.client("tok-council-"+cp.Code).Post(ctx, "/v1/deployments", map[string]any{
				"council": cp.Code, "product": now.declared.Product, "version": now.declared.Version, "baseUrl": BaseURL(cp.Code),
			}, &store.Deployment{}); err != nil {
				return fmt.Errorf("campaign week %d: council %s declares %s: %w", w, cp.Code, now.declared, err)
			}
			wk.Deployed++
		}
		// A deployment is checked when it changes, and again when the council has fixed what
		// its failed check found (its endpoint now runs another version or lost its fault).
		fixed := had && (prev.fault != now.fault || prev.runs.String() != now.runs.String())
		if changed || (fixed && r.lastCheckFailed(cp.Code)) {
			toCheck = append(toCheck, change{cp, now})
		}
	}

	// The pairs of the versions deployed together that were never run.
	var versions []string
	for v := range deployed {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, func(a, b string) int { return cmp.Compare(a, b) })
	var pairs []interop.Pair
	for _, s := range versions {
		for _, rv := range versions {
			if s != rv && !r.paired[s+">"+rv] {
				pairs = append(pairs, interop.Pair{Sender: r.pairSystem(s), Receiver: r.pairSystem(rv)})
			}
		}
	}
	if len(pairs) > 0 {
		cells, err := interop.RunPairs(ctx, pairs, interop.Options{OutDir: filepath.Join(r.opts.OutDir, "pairs"), Parallel: r.opts.Parallel})
		if err != nil {
			return fmt.Errorf("campaign week %d: %w", w, err)
		}
		for _, c := range cells {
			if err := r.recordPair(ctx, dept, c); err != nil {
				return fmt.Errorf("campaign week %d: %w", w, err)
			}
			wk.Pairs++
			if c.Verdict != reports.Pass {
				wk.PairsFail++
			}
		}
	}

	// Deployment checks, run at once, recorded in council order.
	results := make([]*deploycheck.Result, len(toCheck))
	errs := make([]error, len(toCheck))
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.opts.Parallel)
	for i, ch := range toCheck {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			results[i], errs[i] = r.check(ctx, ch.cp, ch.now, w)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign week %d: %w", w, err)
	}
	for i, ch := range toCheck {
		r.clock.Advance(time.Minute)
		res := results[i]
		if err := dept.Post(ctx, "/v1/deployment-checks", map[string]any{
			"council": ch.cp.Code, "product": ch.now.declared.Product, "version": ch.now.declared.Version,
			"verdict": res.Verdict, "failed": res.Failed,
		}, &store.DeploymentCheck{}); err != nil {
			return fmt.Errorf("campaign week %d: record the check of council %s: %w", w, ch.cp.Code, err)
		}
		r.lastCheck[ch.cp.Code] = res.Verdict
		wk.Checks++
		if res.Verdict != deploycheck.Pass {
			wk.ChecksFail++
		}
	}

	rd, err := r.server.Readiness(ctx, r.clock.Now())
	if err != nil {
		return fmt.Errorf("campaign week %d: %w", w, err)
	}
	wk.Ready = rd.Ready
	r.res.Weeks = append(r.res.Weeks, wk)
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "week %2d %s  released %-30s deployed %3d  pairs %3d (%d fail)  checks %3d (%d fail)  ready %3d/%d\n",
			w, wk.At.Format(time.DateOnly), strings.Join(wk.Released, " "), wk.Deployed, wk.Pairs, wk.PairsFail, wk.Checks, wk.ChecksFail, rd.Ready, rd.Total)
	}
	return nil
}
