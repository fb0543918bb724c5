// Package interop runs the pairwise interoperability matrix (issue 7): every ordered pair of
// systems, the first as the sender of a transfer and the second as its receiver, through the
// transfer scenarios tagged @pair (features/transfers.feature), with the national directory,
// the identity service and the neutral capture proxies of a harness run between them.
//
// A cell is one harness run with the sender as the target and the receiver as the peer. Its
// failures come from the run's report: a failure whose Role is set is the exchange's, charged
// to the sender or the receiver (reports.Failure); one without a Role is a defect of a system's
// own API that the pair met on the way (a date rendered dd/mm/yyyy), which single-system
// certification charges already, so the cell lists it apart and does not fail for it. Every
// cell keeps its run's reports as evidence.
//
// Cells run several at once (harness runs may overlap in one process), each with fresh
// systems, so no cell sees another's data.
package interop

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// PairTags selects the scenarios of a cell: those in which the target sends a transfer to
// the peer.
const PairTags = "@pair"

// DefaultParallel is how many cells run at once unless Options.Parallel says otherwise. Cells
// spend most of their time waiting (for deliveries, retries after an injected fault), so more
// cells than cores keep the machine busy.
const DefaultParallel = 12

// System is one system of the matrix. Start must give a fresh instance each time: every cell
// starts its own.
type System struct {
	// Name labels the system's row and column, e.g. "wrenfold@2.0"; unique in a matrix.
	Name string
	// Target starts it (a profile, an image, a start function) or names it (a URL).
	Target *harness.Target
	// Expect, when set, is what the system is built to break as a sender and as a receiver
	// (a simulated product's quirks); Calibrate compares each cell with it.
	Expect *Expectation
}

// Expectation is what a system is built to break: in an exchange with a conforming system,
// as its sender and as its receiver, and anywhere (Breaks, its own API's defects included).
type Expectation struct {
	AsSender, AsReceiver, Breaks []string
	// Profile is the simulated product's profile, nil for another system; between two
	// simulated products the pair's expectation is simulators.PairBreaks.
	Profile *simulators.Profile
}

// Options configures Run.
type Options struct {
	// OutDir, if set, receives each cell's reports in cells/<sender>__<receiver>/.
	OutDir string
	// Parallel is how many cells run at once; DefaultParallel if zero or less.
	Parallel int
	// Progress, if set, receives one line per finished cell.
	Progress io.Writer
}

// Fault is one requirement a cell failed, and who failed it.
type Fault struct {
	Requirement string `json:"requirement"`
	// Side is the failing system's part: SENDER or RECEIVER.
	Side string `json:"side"`
	// System names the failing system.
	System string `json:"system"`
	// Scenario is the scenario that showed it, e.g. features/transfers.feature:165.
	Scenario string `json:"scenario,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Cell is the result of one ordered pair.
type Cell struct {
	Sender   string          `json:"sender"`
	Receiver string          `json:"receiver"`
	Verdict  reports.Verdict `json:"verdict"`
	// Failed are the exchange's failures, one per requirement and side.
	Failed []Fault `json:"failed"`
	// Own are defects of a system's own API met in the pair; they do not fail the cell.
	Own []Fault `json:"own,omitempty"`
	// NotShown are the pair scenarios that neither passed nor failed (blocked, errored).
	NotShown []string `json:"notShown,omitempty"`
	// Evidence is the cell's report.html, relative to the matrix's folder; "" when no
	// reports were written.
	Evidence string        `json:"evidence,omitempty"`
	Message  string        `json:"message,omitempty"`
	Duration time.Duration `json:"durationNs"`
}

// Matrix is the result of Run: Cells in row-major order (sender i, receiver j at
// i*len(Systems)+j).
type Matrix struct {
	Systems    []string  `json:"systems"`
	Cells      []Cell    `json:"cells"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Parallel   int       `json:"parallel"`
}

// At returns the cell of sender s and receiver r, nil if there is none.
func (m *Matrix) At(s, r string) *Cell {
	i, j := slices.Index(m.Systems, s), slices.Index(m.Systems, r)
	if i < 0 || j < 0 {
		return nil
	}
	return &m.Cells[i*len(m.Systems)+j]
}

// Run runs every ordered pair of systems, a system with itself included (two instances of
// one product must exchange too), and returns the matrix. It fails only for unusable input
// or when ctx ends; every verdict is in the cells.
func Run(ctx context.Context, systems []System, opts Options) (*Matrix, error) {
	names := make([]string, 0, len(systems))
	for _, s := range systems {
		if s.Name == "" || strings.ContainsAny(s.Name, `/\`) || s.Target == nil {
			return nil, fmt.Errorf("interop: system %q needs a name without slashes and a target", s.Name)
		}
		if slices.Contains(names, s.Name) {
			return nil, fmt.Errorf("interop: system %q is listed twice", s.Name)
		}
		names = append(names, s.Name)
	}
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	m := &Matrix{Systems: names, Cells: make([]Cell, len(systems)*len(systems)), StartedAt: time.Now().UTC(), Parallel: par}
	type job struct{ i, j int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				c := runCell(ctx, systems[jb.i], systems[jb.j], opts.OutDir)
				m.Cells[jb.i*len(systems)+jb.j] = c
				if opts.Progress != nil {
					progressMu.Lock()
					fmt.Fprintf(opts.Progress, "%-18s → %-18s %s %s (%.1fs)\n", c.Sender, c.Receiver, c.Verdict, summary(c), c.Duration.Seconds())
					progressMu.Unlock()
				}
			}
		}()
	}
	for i := range systems {
		for j := range systems {
			select {
			case jobs <- job{i, j}:
			case <-ctx.Done():
			}
		}
	}
	close(jobs)
	wg.Wait()
	m.FinishedAt = time.Now().UTC()
	if err := ctx.Err(); err != nil {
		return m, fmt.Errorf("interop: %w", err)
	}
	return m, nil
}

// CellDir is the folder of a cell's reports, relative to the matrix's folder.
func CellDir(sender, receiver string) string {
	return filepath.Join("cells", sender+"__"+receiver)
}

// runCell runs one ordered pair.
func runCell(ctx context.Context, sender, receiver System, outDir string) Cell {
	c := Cell{Sender: sender.Name, Receiver: receiver.Name, Failed: []Fault{}}
	if ctx.Err() != nil {
		c.Verdict, c.Message = reports.Error, "not run: the matrix was interrupted"
		return c
	}
	start := time.Now()
	cfg := harness.Config{Target: sender.Target, Peer: receiver.Target, PeerUnderTest: true, Tags: PairTags, Redact: true}
	if outDir != "" {
		cfg.OutDir = filepath.Join(outDir, CellDir(sender.Name, receiver.Name))
		c.Evidence = filepath.ToSlash(filepath.Join(CellDir(sender.Name, receiver.Name), "report.html"))
	}
	rep, err := harness.Run(ctx, cfg)
	c.Duration = time.Since(start)
	if rep == nil {
		c.Verdict, c.Message = reports.Error, fmt.Sprintf("the pair could not be run: %v", err)
		return c
	}
	judge(&c, rep)
	if err != nil && c.Message == "" {
		c.Message = err.Error()
	}
	return c
}

// judge fills a cell from its run's report.
func judge(c *Cell, rep *reports.Report) {
	switch rep.Verdict {
	case reports.Error, reports.Config:
		c.Verdict, c.Message = rep.Verdict, rep.Message
		return
	}
	seen := map[string]bool{}
	for _, sc := range rep.Scenarios {
		if sc.Verdict == reports.Skipped || sc.Verdict == reports.NotApplicable {
			continue
		}
		if (sc.Verdict != reports.Fail && sc.Verdict != reports.Blocked) || sc.Failure == nil {
			if sc.Verdict != reports.Pass {
				c.NotShown = append(c.NotShown, sc.ID)
			}
			continue
		}
		f := sc.Failure
		charged := f.Requirements
		if len(charged) == 0 && f.Requirement != "" {
			charged = []string{f.Requirement}
		}
		if len(charged) == 0 {
			charged = sc.Requirements
		}
		exchange := false
		add := func(req, party, role string) {
			system, side := c.Sender, reports.RoleSender
			if party == reports.PartyPeer {
				system, side = c.Receiver, reports.RoleReceiver
			}
			fault := Fault{Requirement: req, Side: side, System: system, Scenario: sc.ID, Message: f.Message}
			if role == "" {
				c.Own = append(c.Own, fault)
				return
			}
			exchange = true
			fault.Side = role
			if key := req + "\x00" + role; !seen[key] {
				seen[key] = true
				c.Failed = append(c.Failed, fault)
			}
		}
		blamed := map[string]bool{}
		for _, b := range f.Blame {
			blamed[b.Requirement] = true
			add(b.Requirement, b.Party, b.Role)
		}
		for _, r := range charged {
			if !blamed[r] {
				add(r, "", "")
			}
		}
		// A scenario that a system's own defect stopped before its end did not show the
		// exchange either way.
		if !exchange && stopped(sc) {
			c.NotShown = append(c.NotShown, sc.ID)
		}
	}
	sort.Slice(c.Failed, func(i, j int) bool {
		if c.Failed[i].Requirement != c.Failed[j].Requirement {
			return c.Failed[i].Requirement < c.Failed[j].Requirement
		}
		return c.Failed[i].Side < c.Failed[j].Side
	})
	c.NotShown = compact(c.NotShown)
	switch {
	case len(c.Failed) > 0:
		c.Verdict = reports.Fail
	case len(c.NotShown) > 0:
		c.Verdict = reports.Incomplete
	default:
		c.Verdict = reports.Pass
	}
}

// stopped reports whether a scenario ended before its last step.
func stopped(sc reports.Scenario) bool {
	for _, st := range sc.Steps {
		if st.Status == "skipped" || st.Status == "undefined" || st.Status == "pending" {
			return true
		}
	}
	return false
}

func compact(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// summary renders a cell's failures in one short phrase: "XFER-004 (SENDER), SENS-005 (SENDER)".
func summary(c Cell) string {
	var parts []string
	for _, f := range c.Failed {
		parts = append(parts, fmt.Sprintf("%s (%s)", f.Requirement, f.Side))
	}
	return strings.Join(parts, ", ")
}

// ensureDir creates dir.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	return nil
}
