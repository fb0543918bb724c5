package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

func TestCLIConventions(t *testing.T) {
	cases := []struct {
		reason string
		args   []string
		code   int
		want   []string
	}{
		{"--version names the build and the report schema", []string{"--version"}, exitOK, []string{"icscert ", "report schema " + reports.SchemaVersion}},
		{
			"help VERB prints the verb's usage, flags and exit codes",
			[]string{"help", "run"},
			exitOK,
			[]string{"usage: icscert run --target FILE", "--scenario-timeout", "--listen", "4    incomplete"},
		},
		{"help of an unknown verb is a usage error", []string{"help", "fly"}, exitUsage, nil},
		{"the overview lists the exit codes", []string{"--help"}, exitOK, []string{"exit codes:", "3    the target could not be tested"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), c.args, &stdout, &stderr), &stderr)
			assert.Equal(t, c.code, code, "%s\n%s", stdout.String(), stderr.String())
			for _, w := range c.want {
				assert.Contains(t, stdout.String(), w, c.reason)
			}
		})
	}
}

// TestEveryVerbDocumentsEveryFlag checks the one usage style: each verb's help writes its
// flags as --name, names every flag in its usage line, and lists the exit codes.
func TestEveryVerbDocumentsEveryFlag(t *testing.T) {
	flagName := regexp.MustCompile(`(?m)^  --([a-z-]+)`)
	for name := range verbs {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), []string{"help", name}, &out, &out))
			help := out.String()
			usage, _, _ := strings.Cut(help, "\n  --")
			assert.True(t, strings.HasPrefix(help, "usage: icscert "+name), "starts with its usage line: %q", help)
			flags := flagName.FindAllStringSubmatch(help, -1)
			assert.NotEmpty(t, flags, "lists its flags as --name")
			for _, f := range flags {
				assert.Contains(t, usage, "--"+f[1], "the usage line names --%s", f[1])
			}
			assert.NotRegexp(t, `(?m)^  -[a-z]`, help, "no flag is written with one dash")
			assert.Contains(t, help, "exit codes:")
		})
	}
}
