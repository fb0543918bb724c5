package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequirementsVerb(t *testing.T) {
	cases := []struct {
		reason   string
		args     []string
		code     int
		contains []string
		excludes []string
	}{
		{
			"one group, with the scenarios that check it",
			[]string{"requirements", "--group", "ver", "--scenarios"},
			exitOK,
			[]string{"VER-003      MUST      1    1  Versions published in meta\n", "+ features/meta.feature:7", "- features/meta.feature:14", "VER-001"},
			[]string{"ID-001"},
		},
		{
			"only the requirements that lack a scenario",
			[]string{"requirements", "--missing"},
			exitOK,
			[]string{"0 of 60 requirements lack a positive or a negative scenario"},
			[]string{"VER-003", "ID-001", "XFER-", "NOTIF-", "SENS-006", "(missing"},
		},
		{"an unknown group", []string{"requirements", "--group", "NOPE"}, exitUsage, nil, nil},
		{"no arguments", []string{"requirements", "extra"}, exitUsage, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			assert.Equal(t, c.code, exitCode(err, &stderr), stderr.String())
			for _, s := range c.contains {
				assert.Contains(t, stdout.String(), s)
			}
			for _, s := range c.excludes {
				assert.NotContains(t, stdout.String(), s)
			}
		})
	}
}
