package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/simulators"
)

// TestRunSignsAndVerifyChecks certifies a simulated product (a few scenarios), signs the run
// as `icscert run` does, then checks the certificate it wrote with `icscert verify`: genuine with the
// development key (and said to be one), rejected with exit 1 once a byte changed, and refused
// as a usage error without a key.
func TestRunSignsAndVerifyChecks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	require.NoError(t, os.WriteFile(target, []byte("name: sim\nprofile: wrenfold@2.0\nauth:\n  audience: child-record-exchange\n# staging token: hunter2\n"), 0o644))
	out := filepath.Join(dir, "out")
	// `icscert run` signs after harness.Run; a simulated product is started in process here
	// (the run verb's own flags are covered by TestRunVerbExitCodes).
	sys := fleet.Simulated(mustProfile(t, "wrenfold@2.0"))
	rep, err := harness.Run(context.Background(), harness.Config{Target: sys.Target, OutDir: out, Tags: "@VER-003", Redact: true})
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	_, err = signRun(context.Background(), rep, target, out, "", &stderr)
	require.NoError(t, err)
	assert.Contains(t, stderr.String(), "WARNING: no --sign-key given")
	path := filepath.Join(out, bundle.FileName)
	require.FileExists(t, path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "hunter2", "the target file's secret reached the bundle")

	stdout.Reset()
	err = run(context.Background(), []string{"verify", path, "--evidence", out}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Contains(t, stdout.String(), "VALID certificate for Larkspur Civic Software/Wrenfold@2.0")
	assert.Contains(t, stdout.String(), "development key")

	// A clean machine holds only the bundle and the public key.
	clean := t.TempDir()
	pub := filepath.Join(clean, "supplier.pub")
	copyFile(t, filepath.Join(out, bundle.DevPublicKeyFile), pub)
	copyFile(t, path, filepath.Join(clean, "cert.json"))
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"verify", filepath.Join(clean, "cert.json"), "--key", pub}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "development key", "a development-key certificate says so whatever key file is given")

	tampered := filepath.Join(clean, "tampered.json")
	require.NoError(t, os.WriteFile(tampered, bytes.Replace(data, []byte(`"keyid": "`), []byte(`"keyid": "0`), 1), 0o644))
	err = run(context.Background(), []string{"verify", tampered, "--key", pub}, &stdout, &stderr)
	assert.Equal(t, exitFail, exitCode(err, &stderr))
	require.ErrorContains(t, err, "REJECTED: wrong-key")

	err = run(context.Background(), []string{"verify", filepath.Join(clean, "cert.json")}, &stdout, &stderr)
	assert.Equal(t, exitUsage, exitCode(err, &stderr), "no key and no development key beside the bundle")
}

func mustProfile(t *testing.T, name string) simulators.Profile {
	t.Helper()
	p, ok := simulators.Lookup(name, "")
	require.True(t, ok, name)
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}
