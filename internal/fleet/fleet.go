// Package fleet certifies many systems in one go: the reference and the simulated vendor
// products, in process or inside containers. Each system gets its own set of reports, and
// where a system's defects are known in advance (a simulated product's quirks) the result
// says whether the suite caught every one of them (sensitivity) and nothing else
// (specificity). That comparison is the harness's own proof of quality.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// System is one system to certify.
type System struct {
	// Name is the system's id, also the folder of its reports: "reference", "wrenfold@2.0".
	Name string
	// Kind says how it runs: "reference", "in-process" or "container".
	Kind string
	// Target is what the harness certifies.
	Target *harness.Target
	// Expected are the requirement ids the suite must fail for this system; empty for a
	// system that must pass everything.
	Expected []string
}

// Reference returns the reference implementation as a system, started in process for each
// run on an SQLite database at dbPath (":memory:", sqlite.Memory, keeps it in memory).
func Reference(dbPath string) System {
	return Mutant("reference", "reference", nil, dbPath, nil)
}

// Mutant returns the reference behind wrap (nil: the reference itself) as a system of the
// given name and kind that must fail exactly expected: a deliberately broken reference, to show
// that the suite catches a defect and charges it to the right requirement.
func Mutant(name, kind string, expected []string, dbPath string, wrap func(http.Handler) http.Handler) System {
	return System{
		Name:     name,
		Kind:     kind,
		Expected: expected,
		Target: &harness.Target{
			Name: name, Vendor: "icscert", Product: "reference implementation", Version: "dev",
			Councils: []string{"202"}, Capabilities: harness.Capabilities{Supported: []string{"test-clock"}},
			Starter: harness.StartFunc(func(_ context.Context, trust harness.Trust) (string, func(), error) {
				st, err := sqlite.Open(dbPath)
				if err != nil {
					return "", nil, fmt.Errorf("start reference: %w", err)
				}
				srv, err := reference.New(reference.Options{
					Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience, TestClock: true,
					Exchange: trust.Exchange.Options(nil),
				})
				if err != nil {
					_ = st.Close()
					return "", nil, fmt.Errorf("start reference: %w", err)
				}
				h := srv.Handler()
				if wrap != nil {
					h = wrap(h)
				}
				in, err := serve(h, srv)
				if err != nil {
					return "", nil, err
				}
				return in.url, in.close, nil
			}),
		},
	}
}

// Simulated returns simulated product p as a system running in this process.
func Simulated(p simulators.Profile) System {
	return System{
		Name:     p.String(),
		Kind:     "in-process",
		Expected: p.Breaks(),
		Target: &harness.Target{
			Name: p.String(), Vendor: p.Vendor, Product: p.Product, Version: p.Version,
			Councils: []string{"202"},
			Starter: harness.StartFunc(func(ctx context.Context, trust harness.Trust) (string, func(), error) {
				in, err := simulators.Start(ctx, p, simulators.StartOptions{
					Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience,
					Exchange: trust.Exchange.Options(nil),
				})
				if err != nil {
					return "", nil, err
				}
				return in.URL, func() { _ = in.Close() }, nil
			}),
		},
	}
}

// All returns the reference (its SQLite database at dbPath) and every simulated product, in
// process.
func All(dbPath string) []System {
	systems := []System{Reference(dbPath)}
	for _, p := range simulators.Profiles() {
		systems = append(systems, Simulated(p))
	}
	return systems
}

// Options configures Certify.
type Options struct {
	// OutDir receives one folder of reports per system, named after the system.
	OutDir string
	// Tags selects scenarios, as for harness.Config. An expected requirement that no selected
	// scenario checks counts as missed.
	Tags string
	// Concurrency is the number of scenarios run at once per system.
	Concurrency int
	// Parallel is the number of systems certified at once; zero or less means one at a time.
	// Each system is a separate target with its own harness services, so runs at once never
	// share state; they share only the machine.
	Parallel int
	// Progress, if set, receives one line per system as it finishes.
	Progress io.Writer
}

// Result is the outcome of certifying one system.
type Result struct {
	System  System
	Report  *reports.Report
	Failed  []string // requirements whose verdict is FAIL
	Errored []string // requirements whose verdict is ERROR or CONFIG
	// NotTested are the requirements no scenario showed either way (NOT_TESTED).
	NotTested []string
	Missed    []string // expected to fail but did not: the suite is not sensitive enough
	Extra     []string // failed or errored but not expected: the suite is not specific enough
	Duration  time.Duration
}

// Calibrated reports whether the suite judged the system exactly as expected: every expected
// requirement failed, nothing else failed or errored.
func (r Result) Calibrated() bool {
	return r.Report != nil && len(r.Missed) == 0 && len(r.Extra) == 0
}

// Certify runs the suite against each system, opts.Parallel of them at once, and returns one
// Result per system, in the order of systems. It stops starting systems only when ctx ends or
// a report cannot be written; it then returns the results of the systems that finished, in
// order, and the first error.
func Certify(ctx context.Context, systems []System, opts Options) ([]Result, error) {
	parallel := max(opts.Parallel, 1)
	results := make([]Result, len(systems))
	finished := make([]bool, len(systems))
	errs := make([]error, len(systems))
	var (
		mu     sync.Mutex // guards failed and Progress
		failed bool
		wg     sync.WaitGroup
	)
	slots := make(chan struct{}, parallel)
	for i, s := range systems {
		slots <- struct{}{}
		mu.Lock()
		stop := failed || ctx.Err() != nil
		mu.Unlock()
		if stop {
			<-slots
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			res, err := certifyOne(ctx, s, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[i], failed = err, true
				return
			}
			results[i], finished[i] = res, true
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "%-22s %-6s %d requirements failed (%s)\n",
					s.Name, res.Report.Verdict, len(res.Failed), res.Duration.Round(time.Millisecond))
			}
		}()
	}
	wg.Wait()
	out := make([]Result, 0, len(systems))
	for i := range systems {
		if finished[i] {
			out = append(out, results[i])
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, err
	}
	if err := ctx.Err(); err != nil && len(out) < len(systems) {
		return out, fmt.Errorf("certify: %w", err)
	}
	return out, nil
}

// certifyOne runs the suite against one system and compares the report with its expectations.
func certifyOne(ctx context.Context, s System, opts Options) (Result, error) {
	start := time.Now()
	rep, err := harness.Run(ctx, harness.Config{
		Target:      s.Target,
		OutDir:      filepath.Join(opts.OutDir, s.Name),
		Tags:        opts.Tags,
		Concurrency: opts.Concurrency,
		Redact:      true,
	})
	if err != nil {
		return Result{}, fmt.Errorf("certify %s: %w", s.Name, err)
	}
	res := compare(s, rep)
	res.Duration = time.Since(start)
	return res, nil
}

// compare sets the Result's verdict lists from the report and the system's expectations.
func compare(s System, rep *reports.Report) Result {
	res := Result{System: s, Report: rep}
	for _, req := range rep.Requirements {
		switch req.Verdict {
		case reports.Fail:
			res.Failed = append(res.Failed, req.ID)
		case reports.Error, reports.Config:
			res.Errored = append(res.Errored, req.ID)
		case reports.NotTested:
			res.NotTested = append(res.NotTested, req.ID)
		}
	}
	for _, id := range s.Expected {
		if !slices.Contains(res.Failed, id) {
			res.Missed = append(res.Missed, id)
		}
	}
	for _, id := range append(slices.Clone(res.Failed), res.Errored...) {
		if !slices.Contains(s.Expected, id) {
			res.Extra = append(res.Extra, id)
		}
	}
	if rep.Message != "" && len(rep.Scenarios) == 0 {
		// The run never reached the suite: nothing the system was expected to break was shown.
		res.Extra = append(res.Extra, string(rep.Verdict)+": "+rep.Message)
	}
	return res
}

// Resolve gives a target file's target that names a simulated product (profile) its Starter,
// so that `icscert run` certifies it exactly as it certifies a URL. A target with a base URL
// is left alone; an unknown profile is an error naming the known ones.
func Resolve(t *harness.Target) error {
	switch {
	case t.Profile != "":
		p, ok := simulators.Lookup(t.Profile, "")
		if !ok {
			return fmt.Errorf("profile: %q is not a simulated product (known: %s)", t.Profile, knownProfiles())
		}
		s := Simulated(p)
		t.Starter = s.Target.Starter
		if t.Vendor == "" && t.Product == "" && t.Version == "" {
			t.Vendor, t.Product, t.Version = p.Vendor, p.Product, p.Version
		}
	case t.Image != "":
		return resolveImage(t)
	}
	return nil
}

func knownProfiles() string {
	var names []string
	for _, p := range simulators.Profiles() {
		names = append(names, p.String())
	}
	return fmt.Sprint(names)
}
