package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
)

func init() {
	verbs["registry"] = verb{summary: "run the certification registry (registry serve)", run: runRegistry}
}

// runRegistry is `icscert registry serve --config FILE [--db PATH | --postgres DSN] [--addr A]`:
// it serves until interrupted; exit 2 for a usage or configuration error.
func runRegistry(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("registry serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		config   = fs.String("config", "", "registry configuration (YAML): principals, tokens, products and trusted keys (required)")
		db       = fs.String("db", "registry.db", "SQLite database file")
		postgres = fs.String("postgres", "", "PostgreSQL connection string (pgx); replaces --db")
		addr     = fs.String("addr", "127.0.0.1:8090", "listen address")
	)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert registry serve --config FILE [--db PATH | --postgres DSN] [--addr 127.0.0.1:8090]")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fs.Usage()
		return nil
	}
	if len(args) == 0 || args[0] != "serve" {
		fs.Usage()
		return usageError("registry: the only sub-command is serve")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		return usageError("registry serve: unexpected argument %q", fs.Arg(0))
	}
	if *config == "" {
		return usageError("registry serve: --config is required")
	}
	cfg, err := registry.LoadConfig(*config)
	if err != nil {
		return usageError("registry serve: %v", err)
	}
	var st *store.Store
	if *postgres != "" {
		st, err = store.OpenPostgres(ctx, *postgres)
	} else {
		st, err = store.OpenSQLite(ctx, *db)
	}
	if err != nil {
		return usageError("registry serve: %v", err)
	}
	defer st.Close()
	srv, err := registry.New(registry.Options{Config: cfg, Store: st})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageError("registry serve: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "registry listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("registry serve: %w", err)
	}
	return nil
}
