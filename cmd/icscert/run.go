package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/steps"
)

func init() {
	verbs["run"] = verb{summary: "certify one system against the suite", run: runVerb}
}

// runVerb is `icscert run`: exit 0 conformant, 1 non-conformant, 2 a configuration or usage
// error (CONFIG), 3 the target could not be tested (ERROR).
func runVerb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		target          = fs.String("target", "", "target file (YAML) describing the system under test (required)")
		out             = fs.String("out", "", "directory for report.json, junit.xml, cucumber.json, cucumber.ndjson, summary.md and report.html (required)")
		tags            = fs.String("tags", "", `scenarios to run, in godog's tag syntax: "@ID-001,@ID-002" (or), "@SEARCH && ~@slow" (and not)`)
		failOn          = fs.String("fail-on", reports.FailOnMust, "which failed requirements make the system non-conformant: must or should")
		concurrency     = fs.Int("concurrency", harness.DefaultConcurrency, "scenarios run at once")
		noRedact        = fs.Bool("no-redact", false, "keep personal data in the evidence (local debugging only; tokens are always removed)")
		timeout         = fs.Duration("timeout", steps.DefaultRequestTimeout, "per-request timeout; a target slower than this is ERROR")
		scenarioTimeout = fs.Duration("scenario-timeout", steps.DefaultScenarioTimeout, "per-scenario timeout")
		listen          = fs.String("listen", harness.DefaultListen, "address serving the harness's token keys (JWKS) to the target")
		signKey         = fs.String("sign-key", "", "Ed25519 private key (PEM, PKCS #8) signing the certificate; default: a development key, NOT trustworthy")
		submit          = fs.String("submit", "", "registry URL: submit the signed certificate at the end of the run")
		submitToken     = fs.String("submit-token", "", "registry token for --submit (default: $"+envRegistryToken+")")
	)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert run --target FILE --out DIR [--tags EXPR] [--fail-on must|should] [--concurrency N]\n"+
		"                  [--no-redact] [--timeout D] [--scenario-timeout D] [--listen ADDR]\n"+
		"                  [--sign-key KEY] [--submit URL] [--submit-token TOKEN]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	switch {
	case fs.NArg() > 0:
		return usageError("run: unexpected argument %q", fs.Arg(0))
	case *target == "":
		return usageError("run: --target is required")
	case *out == "":
		return usageError("run: --out is required")
	case *failOn != reports.FailOnMust && *failOn != reports.FailOnShould:
		return usageError("run: --fail-on must be %q or %q", reports.FailOnMust, reports.FailOnShould)
	case *concurrency < 1:
		return usageError("run: --concurrency must be at least 1")
	case *timeout <= 0 || *scenarioTimeout <= 0:
		return usageError("run: timeouts must be positive")
	}
	if _, err := harness.ParseTags(*tags); err != nil {
		return usageError("run: --tags: %v", err)
	}
	if err := checkWritable(*out); err != nil {
		return usageError("run: --out: %v", err)
	}

	rep, err := harness.Run(ctx, harness.Config{
		TargetFile:      *target,
		OutDir:          *out,
		Tags:            *tags,
		FailOn:          *failOn,
		Concurrency:     *concurrency,
		RequestTimeout:  *timeout,
		ScenarioTimeout: *scenarioTimeout,
		Redact:          !*noRedact,
		Listen:          *listen,
		Progress:        stdout,
		LiveProgress:    isTerminal(stdout),
		Resolve:         fleet.Resolve,
	})
	written := !errors.Is(err, harness.ErrNotWritten)
	if rep != nil {
		printSummary(stdout, rep, *out, written)
	}
	if !written {
		return &exitError{code: exitUsage, err: err}
	}
	if err != nil {
		return err
	}
	if rep.Target.Product != "" && rep.Target.Version != "" {
		path, err := signRun(ctx, rep, *target, *out, *signKey, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  certificate %s\n", path)
		if *submit != "" {
			if err := submitRun(ctx, rep, path, *submit, *submitToken, stdout); err != nil {
				return err
			}
		}
	}
	return verdictExit(rep)
}

// verdictExit maps a finalised report's verdict to the exit code. A run in which nothing ran
// (SKIPPED) is a usage error: it certifies nothing. A run in which nothing failed but a
// blocking requirement was not tested (INCOMPLETE) has its own code, so that CI never reads it
// as conformant.
func verdictExit(rep *reports.Report) error {
	switch {
	case rep.Conformant:
		return nil
	case rep.Verdict == reports.Incomplete:
		return &exitError{code: exitIncomplete}
	case rep.Verdict == reports.Config:
		return &exitError{code: exitUsage}
	case rep.Verdict == reports.Skipped:
		return &exitError{code: exitUsage, err: errors.New("run: no scenario ran: check --tags and the capabilities the target declares")}
	case rep.Verdict == reports.Error:
		return &exitError{code: exitUntestable}
	default:
		return &exitError{code: exitFail}
	}
}

// printSummary prints the run's verdict, counts and where the reports are, or that they were
// not written.
func printSummary(w io.Writer, rep *reports.Report, out string, written bool) {
	verdict := string(rep.Verdict) + ": " + rep.Headline
	name := rep.Target.Name
	if name == "" {
		name = "target"
	}
	if product := strings.TrimSpace(strings.Join([]string{rep.Target.Vendor, rep.Target.Product, rep.Target.Version}, " ")); product != "" {
		name += " (" + product + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", name, verdict)
	fmt.Fprintf(w, "  %s\n", reports.RunKind(rep))
	if rep.Message != "" {
		fmt.Fprintf(w, "  %s\n", rep.Message)
	}
	fmt.Fprintf(w, "  requirements: %s\n", counts(rep.Summary.Requirements))
	fmt.Fprintf(w, "  scenarios:    %s\n", counts(rep.Summary.Scenarios))
	var untested []string
	for _, req := range rep.Requirements {
		switch req.Verdict {
		case reports.Fail, reports.Error, reports.Config:
			fmt.Fprintf(w, "  %-6s %-10s %s\n", req.Verdict, req.ID, req.Title)
		case reports.NotTested:
			untested = append(untested, req.ID)
		}
	}
	if len(untested) > 0 {
		fmt.Fprintf(w, "  not tested: %s\n", strings.Join(untested, " "))
	}
	took := rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond)
	if !written {
		fmt.Fprintf(w, "  no reports written: %s could not be written (took %s)\n", out, took)
		return
	}
	fmt.Fprintf(w, "  reports in %s (took %s)\n", out, took)
}

func counts(m map[reports.Verdict]int) string {
	order := []reports.Verdict{reports.Pass, reports.Fail, reports.Blocked, reports.Error, reports.Config, reports.NotApplicable, reports.NotTested, reports.Skipped}
	s := ""
	for _, v := range order {
		if m[v] == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", m[v], v)
	}
	if s == "" {
		return "none"
	}
	return s
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// checkWritable makes sure the reports can be written to dir: it creates dir if needed and a
// file in it, then removes the file.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create the reports folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".icscert-write-check-*")
	if err != nil {
		return fmt.Errorf("the reports folder is not writable: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
