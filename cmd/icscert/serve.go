package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

func init() {
	verbs["serve"] = verb{"run the reference server on its own, as a supplier's sandbox", runServe}
}

// serveConfig is the parsed command line of `icscert serve`.
type serveConfig struct {
	addr     string
	db       string
	jwks     string
	audience string
	seed     int
	tokens   string
	exchange directory.Settings
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert serve [--addr ADDR] [--db FILE] [--jwks URL|FILE] [--audience AUD] [--seed N] [--tokens FILE]\n"+
		"                    [--directory URL --token-url URL --client-id ID --client-secret S [--councils DFE,...] [--self-url URL]]")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.db, "db", "icscert-reference.db", "SQLite database file (created if missing)")
	fs.StringVar(&c.jwks, "jwks", "", "JWKS that verifies tokens: an http(s) URL or a file; empty runs a built-in sandbox issuer")
	fs.StringVar(&c.audience, "audience", reference.DefaultAudience, "token audience the server accepts")
	fs.IntVar(&c.seed, "seed", 0, "number of synthetic children of council 202 to create at start")
	fs.StringVar(&c.tokens, "tokens", "", "with the built-in issuer: write sample bearer tokens for every role to this file")
	var ex exchangeFlags
	ex.add(fs)
	if err := fs.Parse(args); err != nil {
		return c, usageError("serve: %w", err)
	}
	var err error
	if c.exchange, err = ex.settings("serve"); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError("serve: unexpected argument %q", fs.Arg(0))
	}
	if c.seed < 0 || c.seed > 10000 {
		return c, usageError("serve: --seed must be between 0 and 10000, got %d", c.seed)
	}
	if c.jwks != "" && c.tokens != "" {
		return c, usageError("serve: --tokens needs the built-in issuer; omit --jwks")
	}
	return c, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError("serve: listen on %s: %w", c.addr, err)
	}
	base := "http://" + ln.Addr().String()

	var (
		keys   reference.KeySource
		issuer *fixtures.Issuer
	)
	switch {
	case c.jwks == "":
		if issuer, err = fixtures.NewIssuer(base); err != nil {
			_ = ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
		keys = reference.JWKSFromBytes(issuer.JWKS())
	case strings.HasPrefix(c.jwks, "http://") || strings.HasPrefix(c.jwks, "https://"):
		keys = reference.JWKSFromURL(c.jwks)
	default:
		keys = reference.JWKSFromFile(c.jwks)
	}

	if dir := filepath.Dir(c.db); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			_ = ln.Close()
			return usageError("serve: create database folder: %w", err)
		}
	}
	st, err := sqlite.Open(c.db)
	if err != nil {
		_ = ln.Close()
		return usageError("serve: %w", err)
	}
	srv, err := reference.New(reference.Options{Store: st, Keys: keys, Audience: c.audience, Exchange: c.exchange.Options(nil)})
	if err != nil {
		_ = st.Close()
		_ = ln.Close()
		return usageError("serve: %w", err)
	}
	defer func() { _ = srv.Close() }()

	if c.seed > 0 {
		children := fixtures.NewGenerator(2005).Children(c.seed)
		ids, err := srv.Seed(ctx, "202", children)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
		fmt.Fprintf(stdout, "seeded %d synthetic children (council 202)\n", len(ids))
		printSeeded(stdout, base, children)
	}
	// No ServeMux in front of the reference: it would redirect unclean paths before the
	// reference could refuse them with a problem.
	handler := srv.Handler()
	if issuer != nil {
		api, jwks := handler, issuer.Handler()
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == fixtures.JWKSPath {
				jwks.ServeHTTP(w, r)
				return
			}
			api.ServeHTTP(w, r)
		})
		if c.tokens != "" {
			if err := writeSampleTokens(c.tokens, issuer, c.audience); err != nil {
				_ = ln.Close()
				return fmt.Errorf("serve: %w", err)
			}
			fmt.Fprintf(stdout, "sample tokens for every role: %s\n", c.tokens)
		}
		fmt.Fprintf(stdout, "trusting the built-in sandbox issuer: JWKS at %s%s\n", base, fixtures.JWKSPath)
	}

	hs := reference.NewHTTPServer(handler, nil)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(reference.Listener(ln)) }()
	fmt.Fprintf(stdout, "reference server listening on %s (database %s)\n", base, c.db)
	fmt.Fprintln(stdout, describeExchange(c.exchange))
	fmt.Fprintf(stdout, "try: curl -s %s/healthz ; curl -s %s/v1/meta\n", base, base)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("serve: shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// sandboxActor is the council management team whose sample token the sandbox writes.
var sandboxActor = fixtures.Claims{Sub: "sandbox-manager", Role: "LA_MANAGEMENT", Org: "LA-202", La: "202", Sector: "LA"}

// writeSampleTokens writes one bearer token per role, for trying the sandbox by hand.
func writeSampleTokens(path string, issuer *fixtures.Issuer, audience string) error {
	actors := []fixtures.Claims{
		{Sub: "pr-1", Role: "PRACTITIONER", Org: "SYN-SCHOOL-1", La: "202", Sector: "EDUCATION"},
		{Sub: "pr-2", Role: "PRACTITIONER", Org: "SYN-GP-1", La: "202", Sector: "HEALTH"},
		{Sub: "sw-1", Role: "SOCIAL_WORKER", Org: "LA-202-CSC", La: "202", Sector: "SOCIAL_CARE"},
		{Sub: "hu-1", Role: "HEALTH_UNSCHEDULED", Org: "SYN-ED-1", La: "202", Sector: "HEALTH"},
		sandboxActor,
		{Sub: "au-1", Role: "AUDITOR", Org: "SYN-AUDIT", La: "202", Sector: "LA"},
	}
	tokens := map[string]string{}
	for _, a := range actors {
		a.Audience = audience
		a.TTL = 12 * time.Hour
		t, err := issuer.Token(a)
		if err != nil {
			return fmt.Errorf("write sample tokens: %w", err)
		}
		tokens[a.Role+"/"+a.Sector] = t
	}
	b, err := json.MarshalIndent(tokens, "", "  ")
	if err != nil {
		return fmt.Errorf("write sample tokens: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write sample tokens: %w", err)
	}
	return nil
}

// printSeeded tells how to find the seeded children: a few of their NHS numbers (synthetic, from
// the 999 test range) and a search a health practitioner can send for the first.
func printSeeded(w io.Writer, base string, children []spec.NewChild) {
	var nhs []string
	for _, ch := range children {
		for _, id := range ch.Identifiers {
			if id.System == "NHS_NUMBER" && len(nhs) < 3 {
				nhs = append(nhs, id.Value)
			}
		}
	}
	if len(nhs) == 0 {
		return
	}
	fmt.Fprintf(w, "seeded NHS numbers include: %s\n", strings.Join(nhs, ", "))
	fmt.Fprintf(w, "find one (a health practitioner's token from --tokens, key \"PRACTITIONER/HEALTH\"):\n"+
		"  curl -s -X POST %s/v1/children/search -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n"+
		"    -H 'X-Purpose-Of-Use: SERVICE_COORDINATION' -d '{\"nhsNumber\": \"%s\"}'\n", base, nhs[0])
}
