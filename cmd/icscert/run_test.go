package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

func TestRunVerbExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		return path
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := ln.Addr().String()
	require.NoError(t, ln.Close())
	unreachable := write("gone.yaml", "name: gone\nbaseUrl: http://"+gone+"\n")
	unknownKey := write("bad.yaml", "name: x\nbaseUrl: http://"+gone+"\ncolour: red\n")
	out := filepath.Join(dir, "out")

	cases := []struct {
		reason string
		args   []string
		code   int
	}{
		{"--target is required", []string{"run", "--out", out}, exitUsage},
		{"--out is required", []string{"run", "--target", unreachable}, exitUsage},
		{"--fail-on takes must or should", []string{"run", "--target", unreachable, "--out", out, "--fail-on", "may"}, exitUsage},
		{"a tag expression godog would misread", []string{"run", "--target", unreachable, "--out", out, "--tags", "not @wip"}, exitUsage},
		{"an unknown flag", []string{"run", "--colour"}, exitUsage},
		{"an unknown key in the target file is a configuration error", []string{"run", "--target", unknownKey, "--out", out}, exitUsage},
		{"a target that is not listening cannot be tested", []string{"run", "--target", unreachable, "--out", out}, exitUntestable},
		{"help is not an error", []string{"run", "-h"}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			assert.Equal(t, c.code, exitCode(err, &stderr), "%s\nstdout: %s\nstderr: %s", c.reason, stdout.String(), stderr.String())
		})
	}
	assert.FileExists(t, filepath.Join(out, reports.JSONFile), "a run that could not test still writes its report")
}

func TestVerdictExit(t *testing.T) {
	cases := []struct {
		reason string
		rep    reports.Report
		code   int
	}{
		{"conformant", reports.Report{Verdict: reports.Pass, Conformant: true}, exitOK},
		{"a failed requirement", reports.Report{Verdict: reports.Fail}, exitFail},
		{"a set-up fault", reports.Report{Verdict: reports.Config}, exitUsage},
		{"an untestable target", reports.Report{Verdict: reports.Error}, exitUntestable},
		{"nothing ran", reports.Report{Verdict: reports.Skipped}, exitUsage},
		{"nothing failed but MUST requirements were not tested", reports.Report{Verdict: reports.Incomplete}, exitIncomplete},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stderr bytes.Buffer
			assert.Equal(t, c.code, exitCode(verdictExit(&c.rep), &stderr), c.reason)
		})
	}
}
