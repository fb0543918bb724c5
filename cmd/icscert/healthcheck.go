package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

func init() {
	verbs["healthcheck"] = verb{"probe a server's /healthz; exit 0 if healthy, 1 if not (for container images without a shell)", runHealthcheck}
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert healthcheck [--url URL] [--timeout D]")
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "health endpoint to probe")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usageError("healthcheck: %w", err)
	}
	if fs.NArg() > 0 {
		return usageError("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageError("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("healthcheck: %w", err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &exitError{code: exitFail, err: fmt.Errorf("healthcheck: %s answered %s", *url, resp.Status)}
	}
	fmt.Fprintf(stdout, "healthy: %s\n", *url)
	return nil
}
