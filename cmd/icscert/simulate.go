package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/simulators"
)

func init() {
	verbs["simulate"] = verb{"run a simulated vendor product (a profile of quirks over the reference)", runSimulate}
}

// simulateConfig is the parsed command line of `icscert simulate`.
type simulateConfig struct {
	profile    simulators.Profile
	addr       string
	jwks       string
	jwksInline string
	db         string
	audience   string
	latency    time.Duration
	shedLimit  int
	list       bool
	exchange   directory.Settings
}

func parseSimulate(args []string, stderr io.Writer) (simulateConfig, error) {
	var (
		c       simulateConfig
		profile string
	)
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert simulate --profile NAME[@VERSION] (--jwks URL|FILE | --jwks-inline JSON) [--addr ADDR] [--db FILE]\n                       [--audience AUD] [--latency D] [--shed-limit N]\n"+
		"                       [--directory URL --token-url URL --client-id ID --client-secret S [--councils DFE,...] [--self-url URL]]\n       icscert simulate --list")
	fs.StringVar(&profile, "profile", "", "product to simulate, NAME or NAME@VERSION (latest version if none); see --list")
	fs.StringVar(&c.addr, "addr", ":8080", "address to listen on")
	fs.StringVar(&c.jwks, "jwks", "", "JWKS that verifies tokens: an http(s) URL or a file")
	fs.StringVar(&c.jwksInline, "jwks-inline", "", "JWKS that verifies tokens, as a JSON document (for containers that cannot reach the host)")
	fs.StringVar(&c.db, "db", "", "SQLite database file (created if missing); empty keeps records in memory")
	fs.StringVar(&c.audience, "audience", reference.DefaultAudience, "token audience the product accepts")
	fs.DurationVar(&c.latency, "latency", simulators.DefaultLatency, "latency the slow quirk adds")
	fs.IntVar(&c.shedLimit, "shed-limit", simulators.DefaultShedLimit, "requests in flight before the shed-no-retry-after quirk sheds")
	fs.BoolVar(&c.list, "list", false, "list the profiles and exit")
	var ex exchangeFlags
	ex.add(fs)
	if err := fs.Parse(args); err != nil {
		return c, usageError("simulate: %w", err)
	}
	var err error
	if c.exchange, err = ex.settings("simulate"); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError("simulate: unexpected argument %q", fs.Arg(0))
	}
	if c.list {
		return c, nil
	}
	if profile == "" {
		return c, usageError("simulate: --profile is required (see --list)")
	}
	p, ok := simulators.Lookup(profile, "")
	if !ok {
		return c, usageError("simulate: unknown profile %q (see --list)", profile)
	}
	c.profile = p
	if (c.jwks == "") == (c.jwksInline == "") {
		return c, usageError("simulate: give exactly one of --jwks and --jwks-inline")
	}
	if c.latency <= 0 || c.shedLimit <= 0 {
		return c, usageError("simulate: --latency and --shed-limit must be positive")
	}
	return c, nil
}

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseSimulate(args, stderr)
	if err != nil {
		return err
	}
	if c.list {
		return listProfiles(stdout)
	}
	var keys reference.KeySource
	switch {
	case c.jwksInline != "":
		keys = reference.JWKSFromBytes([]byte(c.jwksInline))
	case strings.HasPrefix(c.jwks, "http://") || strings.HasPrefix(c.jwks, "https://"):
		keys = reference.JWKSFromURL(c.jwks)
	default:
		keys = reference.JWKSFromFile(c.jwks)
	}
	if c.db != "" {
		if dir := filepath.Dir(c.db); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageError("simulate: create database folder: %w", err)
			}
		}
	}
	in, err := simulators.Start(ctx, c.profile, simulators.StartOptions{
		Keys: keys, Audience: c.audience, DBPath: c.db, Addr: c.addr,
		Latency: c.latency, ShedLimit: c.shedLimit, Exchange: c.exchange.Options(nil),
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return usageError("simulate: %w", err)
	}
	p := c.profile
	fmt.Fprintf(stdout, "simulating %s %s by %s (%s) on %s\n", p.Product, p.Version, p.Vendor, p, in.URL)
	fmt.Fprintln(stdout, describeExchange(c.exchange))
	if quirks := p.Quirks; len(quirks) > 0 {
		fmt.Fprintf(stdout, "quirks: %s; expected to break: %s\n", strings.Join(quirks, ", "), orNone(p.Breaks()))
	} else {
		fmt.Fprintln(stdout, "quirks: none (conformant)")
	}
	<-ctx.Done()
	if err := in.Close(); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	return nil
}

// listProfiles prints the profile table.
func listProfiles(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tVENDOR\tPRODUCT\tQUIRKS\tBREAKS")
	for _, p := range simulators.Profiles() {
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\n", p, p.Vendor, p.Product, p.Version,
			orNone(p.Quirks), orNone(p.Breaks()))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("simulate: list profiles: %w", err)
	}
	return nil
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	return strings.Join(xs, ",")
}
