package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/spec"
)

func init() {
	verbs["requirements"] = verb{summary: "list the requirement catalogue and the scenarios that check it", run: requirementsVerb}
}

// requirementsVerb is `icscert requirements [--group G] [--missing] [--scenarios]`.
func requirementsVerb(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("requirements", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert requirements [--group G] [--missing] [--scenarios]")
	group := fs.String("group", "", "only this group, e.g. SEARCH ("+strings.Join(spec.Groups(), ", ")+")")
	missing := fs.Bool("missing", false, "only requirements that lack a positive or a negative scenario")
	detail := fs.Bool("scenarios", false, "list the scenarios under each requirement")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if fs.NArg() > 0 {
		return usageError("requirements: unexpected argument %q", fs.Arg(0))
	}
	g := strings.ToUpper(*group)
	if g != "" && !slices.Contains(spec.Groups(), g) {
		return usageError("requirements: unknown group %q (groups: %s)", *group, strings.Join(spec.Groups(), ", "))
	}
	contract, err := spec.Load()
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	cov, err := harness.Coverage(contract)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	fmt.Fprintf(stdout, "%-12s %-6s %4s %4s  %s\n", "ID", "LEVEL", "POS", "NEG", "TITLE")
	shown, incomplete := 0, 0
	for _, c := range cov {
		if !c.Complete() {
			incomplete++
		}
		if (g != "" && c.Requirement.Group != g) || (*missing && c.Complete()) {
			continue
		}
		shown++
		mark := ""
		if !c.Complete() {
			mark = "  (missing " + strings.Join(lacks(c), " and ") + ")"
		}
		fmt.Fprintf(stdout, "%-12s %-6s %4d %4d  %s%s\n", c.Requirement.ID, c.Requirement.Level, len(c.Positive), len(c.Negative), c.Requirement.Title, mark)
		if *detail {
			for _, s := range c.Positive {
				fmt.Fprintf(stdout, "    + %s  %s%s\n", s.ID, s.Name, capabilityNote(s))
			}
			for _, s := range c.Negative {
				fmt.Fprintf(stdout, "    - %s  %s%s\n", s.ID, s.Name, capabilityNote(s))
			}
		}
	}
	fmt.Fprintf(stdout, "%d shown; %d of %d requirements lack a positive or a negative scenario\n", shown, incomplete, len(cov))
	return nil
}

func lacks(c harness.RequirementCoverage) []string {
	var out []string
	if len(c.Positive) == 0 {
		out = append(out, "positive")
	}
	if len(c.Negative) == 0 {
		out = append(out, "negative")
	}
	return out
}

func capabilityNote(s harness.ScenarioRef) string {
	if len(s.Capabilities) == 0 {
		return ""
	}
	return "  [needs " + strings.Join(s.Capabilities, ", ") + "]"
}
