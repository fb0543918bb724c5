package interop

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/icscert/icscert/reports"
)

// Pair is one ordered pair to run: Sender sends a transfer to Receiver.
type Pair struct {
	Sender, Receiver System
}

// RunPairs runs the given ordered pairs, opts.Parallel at once (DefaultParallel if zero or
// less), each exactly as a cell of Run, and returns their cells in the order of pairs. Unlike
// Run it runs only the pairs asked for, so a caller that already holds some results (a
// campaign that reuses every pair result of a product version) runs only the new ones. It
// fails only for unusable input or when ctx ends; every verdict is in the cells.
func RunPairs(ctx context.Context, pairs []Pair, opts Options) ([]Cell, error) {
	for i, p := range pairs {
		for _, s := range []System{p.Sender, p.Receiver} {
			if s.Name == "" || strings.ContainsAny(s.Name, `/\`) || s.Target == nil {
				return nil, fmt.Errorf("interop: pair %d: system %q needs a name without slashes and a target", i, s.Name)
			}
		}
	}
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	cells := make([]Cell, len(pairs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	for range min(par, len(pairs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := runCell(ctx, pairs[i].Sender, pairs[i].Receiver, opts.OutDir)
				cells[i] = c
				if opts.Progress != nil {
					progressMu.Lock()
					fmt.Fprintf(opts.Progress, "%-18s → %-18s %s %s (%.1fs)\n", c.Sender, c.Receiver, c.Verdict, summary(c), c.Duration.Seconds())
					progressMu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range pairs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		for i := range cells {
			if cells[i].Sender == "" {
				cells[i] = Cell{Sender: pairs[i].Sender.Name, Receiver: pairs[i].Receiver.Name, Verdict: reports.Error, Failed: []Fault{}, Message: "not run: interrupted"}
			}
		}
		return cells, fmt.Errorf("interop: %w", err)
	}
	return cells, nil
}
