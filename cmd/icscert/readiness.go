package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"time"

	"github.com/icscert/icscert/registry"
)

func init() {
	verbs["readiness"] = verb{summary: "print the national readiness of every council (json, csv or md)", run: runReadiness}
}

// runReadiness is `icscert readiness --registry URL [--token T] [--format json|csv|md]
// [--as-of RFC3339]`: it prints the registry's readiness and exits 0; 2 for a usage error or a
// refusal, 3 when the registry cannot be reached. Whether councils are ready does not change
// the exit code: the output says so.
func runReadiness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("readiness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		url    = fs.String("registry", "", "registry base URL (required)")
		token  = fs.String("token", "", "registry token (default: $"+envRegistryToken+")")
		format = fs.String("format", "json", "output format: json (registry/readiness.schema.json), csv or md")
		asOf   = fs.String("as-of", "", "readiness as recorded at this RFC 3339 time (default: now)")
	)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert readiness --registry URL [--token TOKEN] [--format json|csv|md] [--as-of RFC3339]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if *token == "" {
		*token = os.Getenv(envRegistryToken)
	}
	var at time.Time
	switch {
	case fs.NArg() > 0:
		return usageError("readiness: unexpected argument %q", fs.Arg(0))
	case *url == "":
		return usageError("readiness: --registry is required")
	case *token == "":
		return usageError("readiness: a token is required (--token or $%s)", envRegistryToken)
	case !slices.Contains(registry.ReadinessFormats, *format):
		return usageError("readiness: --format %q: want json, csv or md", *format)
	case *asOf != "":
		var err error
		if at, err = time.Parse(time.RFC3339, *asOf); err != nil {
			return usageError("readiness: --as-of %q is not an RFC 3339 time (2027-03-31T17:00:00Z)", *asOf)
		}
	}
	c := &registry.Client{BaseURL: *url, Token: *token}
	r, err := c.Readiness(ctx, at)
	var p *registry.Problem
	switch {
	case errors.As(err, &p):
		return usageError("readiness: %v", err)
	case err != nil:
		return &exitError{code: exitUntestable, err: err}
	}
	w := bufio.NewWriter(stdout)
	if err := registry.WriteReadiness(w, r, *format); err != nil {
		return err
	}
	return w.Flush()
}
