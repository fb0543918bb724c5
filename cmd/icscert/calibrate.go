package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/simulators"
)

func init() {
	verbs["calibrate"] = verb{"prove the suite: run it against every simulated product and compare with their known defects", runCalibrate}
}

// runCalibrate is the harness's own proof of quality as a command: exit 0 when the suite
// failed exactly the requirements each simulated product breaks and nothing on the conformant
// ones, 1 otherwise.
func runCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert calibrate [--out DIR] [--containers]")
	out := fs.String("out", "out/calibrate", "directory for the reports: one folder per system and index.html")
	containers := fs.Bool("containers", false, "run every simulated product in its own container (needs Docker)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		return usageError("calibrate: unexpected argument %q", fs.Arg(0))
	}
	systems := fleet.All(sqlite.Memory)
	if *containers {
		systems = systems[:1] // the reference stays in process; each product gets a container
		for _, p := range simulators.Profiles() {
			systems = append(systems, fleet.Containerised(p))
		}
	}
	return certifyFleet(ctx, systems, *out, stdout, true)
}
