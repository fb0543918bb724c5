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

	"github.com/icscert/icscert/internal/fleet"
)

func init() {
	verbs["demo"] = verb{"certify the reference and every simulated product in process; reports and an index in --out", runDemo}
}

// runDemo is the main job on the embedded default: no Docker, no network beyond loopback. The
// reference keeps its records in SQLite outside the reports folder, because reports travel and
// the database holds every (synthetic) child the suite created: in a temporary folder removed
// at the end, or at --db when given.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "out", "directory for the reports: one folder per system and index.html")
	dbPath := fs.String("db", "", "keep the reference's SQLite database at this path (default: a temporary file, removed)")
	fs.Usage = verbUsage(fs, stderr, "usage: icscert demo [--out DIR] [--db PATH]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		return usageError("demo: unexpected argument %q", fs.Arg(0))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return usageError("demo: %w", err)
	}
	db := *dbPath
	if db == "" {
		path, cleanup, err := tempDB("demo", "reference.db")
		if err != nil {
			return err
		}
		defer cleanup()
		db = path
	}
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("demo: start afresh: %w", err)
		}
	}
	systems := fleet.All(db)
	fmt.Fprintf(stdout, "certifying the reference (embedded SQLite) and %d simulated product versions\n", len(systems)-1)
	return certifyFleet(ctx, systems, *out, stdout, false)
}

// tempDB returns the path of a database file named name in a new temporary folder, and a
// function that removes the folder; verb names the command in the error.
func tempDB(verb, name string) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "icscert-"+verb+"-")
	if err != nil {
		return "", nil, fmt.Errorf("%s: create a temporary folder for the database: %w", verb, err)
	}
	return filepath.Join(tmp, name), func() { _ = os.RemoveAll(tmp) }, nil
}

// certifyFleet certifies systems into out, writes the index page and prints the table. With
// exact, a system the suite did not judge exactly as expected makes it return exit code 1.
func certifyFleet(ctx context.Context, systems []fleet.System, out string, stdout io.Writer, exact bool) error {
	start := time.Now()
	results, err := fleet.Certify(ctx, systems, fleet.Options{OutDir: out, Progress: stdout})
	if err != nil {
		return err
	}
	if err := fleet.WriteIndex(out, results, time.Now()); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := fleet.WriteTable(stdout, results); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d systems in %s; reports in %s, start at %s\n",
		len(results), time.Since(start).Round(10*time.Millisecond), out, filepath.Join(out, "index.html"))
	if !exact {
		return nil
	}
	for _, r := range results {
		if !r.Calibrated() {
			return &exitError{code: exitFail, err: fmt.Errorf("the suite did not judge %s exactly as expected (missed %v, extra %v)", r.System.Name, r.Missed, r.Extra)}
		}
	}
	return nil
}
