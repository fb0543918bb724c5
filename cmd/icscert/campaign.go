package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/icscert/icscert/internal/campaign"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
)

func init() {
	verbs["campaign"] = verb{"play the national readiness campaign on real runs into an embedded registry; evidence, readiness and the dashboard in --out", runCampaign}
}

// runCampaign is `icscert campaign`: make demo's main job. It plays the programme week by week
// (internal/campaign) against an embedded registry on SQLite (a temporary database, or --db),
// writes the evidence under OUT/campaign, the readiness as OUT/readiness.json and the
// dashboard's static pages under OUT/dashboard, and prints the national summary. It exits 0
// whatever the readiness: the summary says it.
func runCampaign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("campaign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out        = fs.String("out", "out", "directory for the evidence (campaign/), readiness.json and the dashboard (dashboard/)")
		dbPath     = fs.String("db", "", "keep the registry's SQLite database at this path (default: a temporary file, removed); it must not exist")
		weeks      = fs.Int("weeks", campaign.DefaultWeeks, "programme length, start to deadline, in weeks")
		councils   = fs.Int("councils", 0, "how many live councils take part, the first by DfE code (0: all)")
		parallel   = fs.Int("parallel", 0, "runs at once (0: the default)")
		containers = fs.Bool("containers", false, "run every simulated product in its own container (needs Docker and make sims)")
	)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert campaign [--out DIR] [--db PATH] [--weeks N] [--councils N] [--parallel N] [--containers]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	switch {
	case fs.NArg() > 0:
		return usageError("campaign: unexpected argument %q", fs.Arg(0))
	case *weeks < 1 || *weeks > registry.SeriesWeeks:
		return usageError("campaign: --weeks %d: want 1 to %d", *weeks, registry.SeriesWeeks)
	case *councils < 0:
		return usageError("campaign: --councils %d: want 0 (all) or more", *councils)
	}
	db := *dbPath
	if db == "" {
		path, cleanup, err := tempDB("campaign", "registry.db")
		if err != nil {
			return err
		}
		defer cleanup()
		db = path
	} else if _, err := os.Stat(db); err == nil {
		return usageError("campaign: --db %s exists: the campaign writes a fresh registry", db)
	}
	evidence := filepath.Join(*out, "campaign")
	if err := os.RemoveAll(evidence); err != nil {
		return fmt.Errorf("campaign: start afresh: %w", err)
	}
	if err := os.MkdirAll(evidence, 0o755); err != nil {
		return usageError("campaign: %v", err)
	}
	st, err := store.OpenSQLite(ctx, db)
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	defer st.Close()
	opts := campaign.Options{Store: st, OutDir: evidence, Weeks: *weeks, Councils: *councils, Parallel: *parallel, Progress: stdout}
	if *containers {
		opts.System = fleet.Containerised
	}
	start := time.Now()
	fmt.Fprintf(stdout, "national campaign: %d weeks from %s, every release certified and every pair of versions deployed together run for real\n",
		*weeks, campaign.DefaultStart.Format(time.DateOnly))
	res, err := campaign.Run(ctx, opts)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(*out, "readiness.json"))
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	if err := registry.WriteReadiness(f, res.Readiness, "json"); err != nil {
		_ = f.Close()
		return fmt.Errorf("campaign: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	dash := filepath.Join(*out, "dashboard")
	if err := registry.WriteDashboard(ctx, res.Server, dash, res.Readiness.AsOf); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	fmt.Fprintln(stdout)
	if err := campaign.WriteSummary(stdout, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ncampaign played in %s; dashboard at %s, readiness at %s, evidence under %s\n",
		time.Since(start).Round(time.Second), filepath.Join(dash, "index.html"), filepath.Join(*out, "readiness.json"), evidence)
	return nil
}
