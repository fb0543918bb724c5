// Command icscert certifies systems that share child-protection records between councils
// against the Child Record Exchange API v1, and runs the reference implementation and the
// simulated vendor products it is tested against.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes of every verb.
const (
	exitOK          = 0 // conformant, or the verb succeeded
	exitFail        = 1 // non-conformant
	exitUsage       = 2 // configuration or usage error
	exitUntestable  = 3 // the target could not be tested
	exitIncomplete  = 4 // nothing failed, but blocking requirements were not tested
	exitInterrupted = 130
)

// exitError carries a verb's exit code up to main; its message, if any, goes to stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError returns an exitError with the usage exit code.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// verb is one sub-command: its one-line summary and the function that runs it.
type verb struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// verbs is filled by each verb's file in its init function.
var verbs = map[string]verb{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run dispatches args to a verb.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return &exitError{code: exitUsage}
		}
		return nil
	}
	v, ok := verbs[args[0]]
	if !ok {
		printUsage(stderr)
		return usageError("unknown verb %q", args[0])
	}
	return v.run(ctx, args[1:], stdout, stderr)
}

// exitCode maps a verb's error to the process exit code, printing its message.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK // -h printed the verb's flags
	}
	code := exitUntestable
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	if errors.Is(err, context.Canceled) {
		code = exitInterrupted
	}
	fmt.Fprintf(stderr, "icscert: %v\n", err)
	return code
}

func printUsage(w io.Writer) {
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: icscert <verb> [flags]\n\nverbs:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-13s %s\n", n, verbs[n].summary)
	}
	b.WriteString("\nRun 'icscert <verb> -h' for a verb's flags.\n")
	fmt.Fprint(w, b.String())
}
