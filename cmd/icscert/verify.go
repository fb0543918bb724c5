package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/icscert/icscert/bundle"
)

func init() {
	verbs["verify"] = verb{summary: "check a signed certification bundle offline", run: runVerify}
}

// runVerify is `icscert verify BUNDLE [--key PUB] [--evidence DIR]`: exit 0 when the bundle
// is genuine, current and unexpired, 1 when it is not (the message names what is wrong), 2 for
// a usage error. Without --key it uses the development key written beside the bundle, and says
// so.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the signer's public key (PEM, PKIX); default: "+bundle.DevPublicKeyFile+" beside the bundle")
	evidence := fs.String("evidence", "", "folder of the run's files: check each against the evidence index")
	fs.Usage = verbUsage(fs, stderr, "usage: icscert verify BUNDLE [--key PUB] [--evidence DIR]")
	// The bundle may come before or after the flags.
	var path string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: exitUsage}
	}
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError("verify: unexpected argument %q", fs.Arg(0))
	}
	if path == "" {
		return usageError("verify: the bundle file is required")
	}
	keyPath, devDefault := *key, false
	if keyPath == "" {
		keyPath, devDefault = filepath.Join(filepath.Dir(path), bundle.DevPublicKeyFile), true
		if _, err := os.Stat(keyPath); err != nil {
			return usageError("verify: --key is required (no %s beside the bundle)", bundle.DevPublicKeyFile)
		}
	}
	pub, err := bundle.LoadPublicKey(keyPath)
	if err != nil {
		return usageError("verify: %v", err)
	}
	data, err := readBundle(path)
	if err != nil {
		return usageError("verify: %v", err)
	}
	v, err := bundle.Verify(ctx, data, bundle.Options{Key: pub, EvidenceDir: *evidence})
	if err != nil {
		var p *bundle.Problem
		if errors.As(err, &p) {
			return &exitError{code: exitFail, err: fmt.Errorf("verify %s: REJECTED: %w", path, err)}
		}
		return usageError("verify: %v", err)
	}
	printVerified(stdout, path, v, pub, devDefault)
	return nil
}

// readBundle reads a bundle file, refusing one larger than bundle.MaxSize.
func readBundle(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env, err := io.ReadAll(io.LimitReader(f, bundle.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return env, nil
}

func printVerified(w io.Writer, path string, v *bundle.Verified, pub ed25519.PublicKey, devDefault bool) {
	c := v.Certificate()
	fmt.Fprintf(w, "%s: VALID certificate for %s\n", path, c.Product)
	fmt.Fprintf(w, "  verdict:  %s (conformant %t)\n", c.Verdict, c.Conformant)
	if len(c.FailedRequirements) > 0 {
		fmt.Fprintf(w, "  failed:   %v\n", c.FailedRequirements)
	}
	fmt.Fprintf(w, "  suite:    %s (current)\n", c.Suite.Digest)
	fmt.Fprintf(w, "  valid:    %s to %s\n", c.IssuedAt.Format("2006-01-02T15:04:05Z"), c.Expires.Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(w, "  signer:   key %s\n", bundle.KeyID(pub))
	fmt.Fprintf(w, "  evidence: %d files indexed\n", len(c.Evidence))
	if c.Signer.DevelopmentKey || devDefault {
		fmt.Fprintln(w, "WARNING: signed with a development key generated for the run: this certificate is NOT trustworthy.")
	}
}
