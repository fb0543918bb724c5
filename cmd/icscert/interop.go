package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/internal/interop"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/simulators"
)

func init() {
	verbs["interop"] = verb{"run every ordered pair of systems (sender × receiver) through the transfer scenarios: the interoperability matrix", runInterop}
}

// runInterop runs the pairwise matrix of the systems named by target files, or of the
// reference and every simulated product version, and writes matrix.json, matrix.md and
// matrix.html with every cell's reports. Exit 0 when every pair passes (with --calibrate: when
// every cell is exactly as the simulated products' quirks say), 1 otherwise.
func runInterop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("interop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert interop [--out DIR] [--parallel N] [--containers] [--calibrate] [--targets A.yaml B.yaml ...]")
	out := fs.String("out", "out/interop", "directory for matrix.json, matrix.md, matrix.html and each pair's reports")
	parallel := fs.Int("parallel", interop.DefaultParallel, "pairs run at once")
	containers := fs.Bool("containers", false, "run every simulated product in its own container (needs Docker)")
	calibrate := fs.Bool("calibrate", false, "check every cell against the simulated products' quirks exactly")
	targets := fs.Bool("targets", false, "the arguments are target files (default: the reference and every simulated product version)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	var systems []interop.System
	switch {
	case *targets:
		if fs.NArg() == 0 {
			return usageError("interop: --targets needs at least one target file")
		}
		for _, path := range fs.Args() {
			t, err := harness.LoadTarget(path)
			if err != nil {
				return usageError("interop: %v", err)
			}
			if err := fleet.Resolve(t); err != nil {
				return usageError("interop: %s: %v", path, err)
			}
			name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			if t.Product != "" && t.Version != "" {
				name = strings.ToLower(strings.ReplaceAll(t.Product, " ", "-")) + "@" + t.Version
			}
			t.Councils = nil
			systems = append(systems, interop.System{Name: name, Target: t})
		}
	case fs.NArg() > 0:
		return usageError("interop: unexpected argument %q (name target files with --targets)", fs.Arg(0))
	default:
		fl := []fleet.System{fleet.Reference(sqlite.Memory)}
		for _, p := range simulators.Profiles() {
			if *containers {
				fl = append(fl, fleet.Containerised(p))
			} else {
				fl = append(fl, fleet.Simulated(p))
			}
		}
		systems = interop.FromFleet(fl)
	}
	if err := checkWritable(*out); err != nil {
		return usageError("interop: --out: %v", err)
	}
	fmt.Fprintf(stdout, "interoperability matrix: %d systems, %d ordered pairs, %d at once\n", len(systems), len(systems)*len(systems), *parallel)
	m, err := interop.Run(ctx, systems, interop.Options{OutDir: *out, Parallel: *parallel, Progress: stdout})
	if m != nil {
		if werr := interop.WriteAll(*out, m); werr != nil {
			return werr
		}
		fmt.Fprint(stdout, "\n"+interop.Markdown(m))
		fmt.Fprintf(stdout, "\nmatrix in %s (matrix.html, matrix.md, matrix.json), took %s\n", *out, m.FinishedAt.Sub(m.StartedAt).Round(1e8))
	}
	if err != nil {
		return err
	}
	if *calibrate {
		bad := 0
		for _, c := range interop.Calibrate(m, systems) {
			if !c.Calibrated() {
				bad++
				fmt.Fprintf(stdout, "NOT CALIBRATED: %s\n", c)
			}
		}
		if bad > 0 {
			return &exitError{code: exitFail, err: fmt.Errorf("interop: %d cells are not exactly as the quirks say", bad)}
		}
		fmt.Fprintf(stdout, "calibrated: every cell is exactly as the quirks say\n")
		return nil
	}
	for _, c := range m.Cells {
		if c.Verdict != "PASS" {
			return &exitError{code: exitFail, err: errors.New("interop: not every pair passes")}
		}
	}
	return nil
}
