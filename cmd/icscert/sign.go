package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/reports"
)

// signRun writes the signed certification bundle of a finished run into out (bundle.FileName),
// signed with the key at keyPath, or with a development key generated and written beside the
// bundle (with a warning on stderr) when keyPath is "". It returns the bundle's path.
func signRun(ctx context.Context, rep *reports.Report, targetFile, out, keyPath string, stderr io.Writer) (string, error) {
	var (
		key ed25519.PrivateKey
		dev bool
		err error
	)
	if keyPath != "" {
		if key, err = bundle.LoadPrivateKey(keyPath); err != nil {
			return "", usageError("run: --sign-key: %v", err)
		}
	} else {
		if key, err = bundle.GenerateKey(); err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		dev = true
		if err := bundle.WriteKeyPair(out, strings.TrimSuffix(bundle.DevPrivateKeyFile, ".pem"), key); err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		fmt.Fprintf(stderr, "WARNING: no --sign-key given: the certificate is signed with a development key generated for this run (%s); it is NOT trustworthy.\n",
			filepath.Join(out, bundle.DevPrivateKeyFile))
	}
	var target []byte
	if targetFile != "" {
		if target, err = os.ReadFile(targetFile); err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
	}
	index, err := bundle.IndexEvidence(out)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	data, err := bundle.Issue(ctx, bundle.Input{Report: rep, Target: target, Evidence: index, Key: key, DevelopmentKey: dev})
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	path := filepath.Join(out, bundle.FileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return path, nil
}

// submitRun sends the bundle at path to the registry at url for the report's product.
func submitRun(ctx context.Context, rep *reports.Report, path, url, token string, stdout io.Writer) error {
	if token == "" {
		token = os.Getenv(envRegistryToken)
	}
	if token == "" {
		return usageError("run: --submit needs a token (--submit-token or $%s)", envRegistryToken)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	c := &registry.Client{BaseURL: url, Token: token}
	sub, err := c.Submit(ctx, rep.Target.Product, rep.Target.Version, data)
	var p *registry.Problem
	switch {
	case errors.As(err, &p):
		return &exitError{code: exitFail, err: fmt.Errorf("submit: the registry refused the certificate: %w", err)}
	case err != nil:
		return &exitError{code: exitUntestable, err: err}
	}
	fmt.Fprintf(stdout, "  submitted to %s: submission %d, %s\n", url, sub.ID, sub.Status)
	return nil
}
