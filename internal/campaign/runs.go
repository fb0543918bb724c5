package campaign

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/deploycheck"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/internal/interop"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// certify certifies each released version with a full harness run (in parallel), then, in
// release order, has its supplier sign the certificate and submit it to the registry.
func (r *runner) certify(ctx context.Context, released []simulators.Profile) error {
	reps := make([]*reports.Report, len(released))
	errs := make([]error, len(released))
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(r.opts.Parallel/4, 1)) // each run has its own scenario concurrency
	for i, p := range released {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			rep, err := harness.Run(ctx, harness.Config{Target: r.systems[p.String()].Target, OutDir: r.certDir(p), Redact: true})
			if err != nil {
				errs[i] = fmt.Errorf("certify %s: %w", p, err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	for i, p := range released {
		r.clock.Advance(time.Minute)
		dir := r.certDir(p)
		index, err := bundle.IndexEvidence(dir)
		if err != nil {
			return fmt.Errorf("campaign: certify %s: %w", p, err)
		}
		supplier := r.supplier[p.Product]
		env, err := bundle.Issue(ctx, bundle.Input{Report: reps[i], Evidence: index, Key: r.keys[supplier], Now: r.clock.Now(), Suite: r.suite})
		if err != nil {
			return fmt.Errorf("campaign: certify %s: %w", p, err)
		}
		if err := os.WriteFile(filepath.Join(dir, bundle.FileName), env, 0o644); err != nil {
			return fmt.Errorf("campaign: certify %s: %w", p, err)
		}
		if _, err := r.client("tok-"+supplier).Submit(ctx, p.Product, p.Version, env); err != nil {
			return fmt.Errorf("campaign: %s submits the certificate of %s: %w", supplier, p, err)
		}
		r.certified[p.String()] = true
		r.res.Certified++
	}
	return nil
}

func (r *runner) certDir(p simulators.Profile) string {
	return filepath.Join(r.opts.OutDir, "certificates", p.String())
}

// pairSystem returns the product version named NAME@VERSION as a system of the matrix.
func (r *runner) pairSystem(pv string) interop.System {
	return interop.FromFleet([]fleet.System{r.systems[pv]})[0]
}

// recordPair records a pair's verdict with the registry and marks the pair as run. A cell that
// is neither PASS nor FAIL (the run could not show the exchange) is not recorded: the pair
// runs again the next week.
func (r *runner) recordPair(ctx context.Context, dept *registry.Client, c interop.Cell) error {
	if c.Verdict != reports.Pass && c.Verdict != reports.Fail {
		return nil
	}
	s, rv := r.profiles[c.Sender], r.profiles[c.Receiver]
	failed := []string{}
	sides := map[string]bool{}
	for _, f := range c.Failed {
		if !slices.Contains(failed, f.Requirement) {
			failed = append(failed, f.Requirement)
		}
		sides[f.Side] = true
	}
	slices.Sort(failed)
	atFault := ""
	switch {
	case sides[reports.RoleSender] && sides[reports.RoleReceiver]:
		atFault = "both"
	case sides[reports.RoleSender]:
		atFault = "sender"
	case sides[reports.RoleReceiver]:
		atFault = "receiver"
	}
	r.clock.Advance(time.Minute)
	if err := dept.Post(ctx, "/v1/pairs", map[string]any{
		"senderProduct": s.Product, "senderVersion": s.Version, "receiverProduct": rv.Product, "receiverVersion": rv.Version,
		"verdict": string(c.Verdict), "failedRequirements": failed, "atFault": atFault,
	}, &store.Pair{}); err != nil {
		return fmt.Errorf("record the pair %s -> %s: %w", c.Sender, c.Receiver, err)
	}
	r.paired[c.Sender+">"+c.Receiver] = true
	r.res.Pairs++
	return nil
}

// check runs council cp's deployment check in week w: its endpoint runs the version it runs,
// with its fault, and the national directory lists it at its base URL (or, with a stale
// entry, at an old one).
func (r *runner) check(ctx context.Context, cp CouncilPlan, d deployment, w int) (*deploycheck.Result, error) {
	listed := BaseURL(cp.Code)
	if d.fault == FaultDirectory {
		listed = staleURL(cp.Code)
	}
	res, err := deploycheck.Run(ctx, deploycheck.Input{
		Deployment: deploycheck.Deployment{Council: cp.Code, Product: d.declared.Product, Version: d.declared.Version, BaseURL: BaseURL(cp.Code)},
		Endpoint:   endpoint(r.systems[d.runs.String()].Target, d.fault),
		Directory: func(context.Context, string) (string, bool, error) {
			return listed, true, nil
		},
		OutDir: filepath.Join(r.opts.OutDir, "checks", fmt.Sprintf("%s-w%02d", cp.Code, w)),
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.res.Checks++
	r.mu.Unlock()
	return res, nil
}

// lastCheckFailed reports whether council code's latest deployment check failed.
func (r *runner) lastCheckFailed(code string) bool {
	return r.lastCheck[code] == deploycheck.Fail
}
