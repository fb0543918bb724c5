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
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/icscert/icscert/reports"
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

// exitCodesHelp documents the exit codes in every verb's -h and in the usage.
const exitCodesHelp = `
exit codes:
  0    conformant (run), or the verb succeeded
  1    not conformant: a blocking requirement failed
  2    configuration or usage error (CONFIG), or no scenario ran
  3    the target could not be tested (ERROR: unreachable or timed out)
  4    incomplete: nothing failed, but MUST requirements were not tested
  130  interrupted
`

// version is the build's version, set with -ldflags "-X main.version=…"; otherwise the module
// version from the build information, or "devel".
var version = ""

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
	if len(args) == 2 && args[0] == "help" {
		v, ok := verbs[args[1]]
		if !ok {
			printUsage(stderr)
			return usageError("help: unknown verb %q", args[1])
		}
		if err := v.run(ctx, []string{"--help"}, stdout, stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
			return err
		}
		return nil
	}
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintf(stdout, "icscert %s (report schema %s)\n", buildVersion(), reports.SchemaVersion)
		return nil
	}
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
	b.WriteString("\nRun 'icscert help <verb>' (or 'icscert <verb> --help') for a verb's flags; 'icscert --version' for the version.\n")
	b.WriteString(exitCodesHelp)
	fmt.Fprint(w, b.String())
}

// buildVersion is the version printed by --version.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// verbUsage returns a FlagSet.Usage that prints the verb's usage line, every flag written as
// the documentation writes it (--name), and the exit codes.
func verbUsage(fs *flag.FlagSet, w io.Writer, line string) func() {
	return func() {
		fmt.Fprintln(w, line)
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			if name != "" {
				name = " " + name
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "  --%s%s\n    \t%s%s\n", f.Name, name, usage, def)
		})
		fmt.Fprint(w, exitCodesHelp)
	}
}
