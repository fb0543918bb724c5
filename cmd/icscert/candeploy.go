package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/icscert/icscert/registry"
)

// envRegistryToken names the environment variable holding the registry token.
const envRegistryToken = "ICSCERT_REGISTRY_TOKEN"

func init() {
	verbs["can-i-deploy"] = verb{summary: "ask the registry whether a product version may be deployed", run: runCanIDeploy}
}

// runCanIDeploy is `icscert can-i-deploy --product P --version V [--council C] --registry URL`:
// exit 0 and "yes" when the version may be deployed, 1 and every reason when not, 2 for a
// usage error, 3 when the registry cannot be reached.
func runCanIDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("can-i-deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		product = fs.String("product", "", "product name, as in the target file (required)")
		version = fs.String("version", "", "product version (required)")
		council = fs.String("council", "", "DfE code of the council deploying it")
		url     = fs.String("registry", "", "registry base URL (required)")
		token   = fs.String("token", "", "registry token (default: $"+envRegistryToken+")")
	)
	fs.Usage = verbUsage(fs, stderr, "usage: icscert can-i-deploy --product P --version V [--council C] --registry URL [--token TOKEN]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if *token == "" {
		*token = os.Getenv(envRegistryToken)
	}
	switch {
	case fs.NArg() > 0:
		return usageError("can-i-deploy: unexpected argument %q", fs.Arg(0))
	case *product == "" || *version == "" || *url == "":
		return usageError("can-i-deploy: --product, --version and --registry are required")
	case *token == "":
		return usageError("can-i-deploy: a token is required (--token or $%s)", envRegistryToken)
	}
	c := &registry.Client{BaseURL: *url, Token: *token}
	ans, err := c.CanIDeploy(ctx, *product, *version, *council)
	var p *registry.Problem
	switch {
	case errors.As(err, &p):
		return usageError("can-i-deploy: %v", err)
	case err != nil:
		return &exitError{code: exitUntestable, err: err}
	}
	where := ""
	if ans.Council != "" {
		where = " at council " + ans.Council
	}
	if ans.Deployable {
		fmt.Fprintf(stdout, "yes: %s %s may be deployed%s (certificate %d)\n", ans.Product, ans.Version, where, ans.Certificate)
	} else {
		fmt.Fprintf(stdout, "no: %s %s may not be deployed%s\n", ans.Product, ans.Version, where)
		for _, r := range ans.Reasons {
			line := "  - " + r.Code + ": " + r.Message
			if len(r.Requirements) > 0 {
				line += " [requirements " + strings.Join(r.Requirements, ", ") + "]"
			}
			if len(r.Councils) > 0 {
				line += " [councils " + strings.Join(r.Councils, ", ") + "]"
			}
			fmt.Fprintln(stdout, line)
		}
	}
	if len(ans.Unpaired) > 0 {
		fmt.Fprintf(stdout, "  not yet paired with: %s\n", strings.Join(ans.Unpaired, ", "))
	}
	if !ans.Deployable {
		return &exitError{code: exitFail}
	}
	return nil
}
