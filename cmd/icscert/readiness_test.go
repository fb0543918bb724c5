package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/campaign"
	"github.com/icscert/icscert/registry/store"
)

// TestReadinessVerb runs `icscert readiness` against a registry holding ten weeks of the
// simulated campaign: each format carries the registry's figures, and the exit codes are those
// of can-i-deploy (0, 2 usage, 3 unreachable).
func TestReadinessVerb(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), t.TempDir()+"/registry.db")
	require.NoError(t, err)
	defer st.Close()
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	c, err := campaign.New(st, start, start.Add(20*7*24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, c.Run(context.Background(), 10))
	srv := httptest.NewServer(c.Server.Handler())
	defer srv.Close()
	asOf := c.Week(9).Add(time.Hour)
	want, err := c.Server.Readiness(context.Background(), asOf)
	require.NoError(t, err)
	base := []string{"readiness", "--registry", srv.URL, "--token", campaign.DepartmentToken, "--as-of", asOf.Format(time.RFC3339)}

	run1 := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := exitCode(run(context.Background(), args, &out, &errb), &errb)
		return code, out.String(), errb.String()
	}

	code, out, _ := run1(append(base, "--format", "json")...)
	require.Equal(t, 0, code)
	require.NoError(t, registry.ValidateReadinessJSON([]byte(out)))
	var got registry.Readiness
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, want.Ready, got.Ready)
	assert.Equal(t, 153, got.Total)

	code, out, _ = run1(append(base, "--format", "csv")...)
	require.Equal(t, 0, code)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 154, "a header and one row per live council")
	ready := 0
	for _, r := range rows[1:] {
		if r[5] == "true" {
			ready++
		}
	}
	assert.Equal(t, want.Ready, ready)

	code, out, _ = run1(append(base, "--format", "md")...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "- Ready: "+strconv.Itoa(want.Ready)+" of 153 councils")

	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"readiness", "--token", "x"}, 2, "--registry is required"},
		{append(base, "--format", "xml"), 2, `--format "xml"`},
		{[]string{"readiness", "--registry", srv.URL, "--token", "t", "--as-of", "yesterday"}, 2, "not an RFC 3339 time"},
		{[]string{"readiness", "--registry", srv.URL, "--token", "wrong"}, 2, "UNAUTHENTICATED"},
		{[]string{"readiness", "--registry", "http://127.0.0.1:1", "--token", "t"}, 3, "unreachable"},
	}
	for _, tc := range tests {
		code, _, stderr := run1(tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.stderr, "%v", tc.args)
	}
}
