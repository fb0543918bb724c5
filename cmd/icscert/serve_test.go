package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// startServe runs `icscert serve` with args until the test ends and returns its base URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "serve stops cleanly when interrupted")
	})
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return m[1]
		}
	}
	t.Fatalf("serve never said where it listens: %v", <-done)
	return ""
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	base := startServe(t, "--db", filepath.Join(dir, "ref.db"), "--seed", "3", "--tokens", filepath.Join(dir, "tokens.json"))
	client := &http.Client{Timeout: 5 * time.Second}
	contract := spec.MustLoad()

	cases := []struct {
		reason      string
		method      string
		path        string
		body        string
		status      int
		contentType string
	}{
		{"health answers without a token", http.MethodGet, "/healthz", "", http.StatusOK, "application/json"},
		{"metadata answers without a token", http.MethodGet, "/v1/meta", "", http.StatusOK, "application/json"},
		{
			"a search without a token is refused as problem+json", http.MethodPost, "/v1/children/search", `{"nhsNumber":"9990000018"}`,
			http.StatusUnauthorized, "application/problem+json",
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			require.NoError(t, err)
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, c.status, resp.StatusCode, c.reason)
			assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType), "%s: content type %q", c.reason, resp.Header.Get("Content-Type"))
			res := contract.Check(req, []byte(c.body), resp.StatusCode, resp.Header, body)
			assert.Empty(t, res.Violations, "%s: the answer keeps the contract", c.reason)
		})
	}

	t.Run("the sample tokens open the seeded sandbox", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(dir, "tokens.json"))
		require.NoError(t, err)
		var tokens map[string]string
		require.NoError(t, json.Unmarshal(raw, &tokens))
		token := tokens["LA_MANAGEMENT/LA"]
		require.NotEmpty(t, token)
		req, err := http.NewRequest(http.MethodGet, base+"/v1/audit-events?limit=10", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var page spec.AuditEventPage
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotEmpty(t, page.Events)
		assert.Equal(t, "SEED", page.Events[0].Action, "the seeding is audited")
		assert.Len(t, page.Events[0].ChildIDs, 3, "three children were seeded")
	})
}

func TestServeUsage(t *testing.T) {
	cases := []struct {
		reason string
		args   []string
	}{
		{"a negative seed", []string{"serve", "--seed", "-1"}},
		{"sample tokens need the built-in issuer", []string{"serve", "--jwks", "keys.json", "--tokens", "t.json"}},
		{"a stray argument", []string{"serve", "extra"}},
		{"a JWKS file that does not exist", []string{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--jwks", "/nonexistent/jwks.json"}},
		{"a directory without credentials", []string{"serve", "--directory", "http://127.0.0.1:1/directory/v1"}},
		{"credentials without a directory", []string{"serve", "--client-id", "x", "--client-secret", "y"}},
		{"a directory that is not an http URL", []string{"serve", "--directory", "ftp://x", "--token-url", "http://x/oauth2/token", "--client-id", "x", "--client-secret", "y"}},
		{"an unknown council", []string{"serve", "--directory", "http://x", "--token-url", "http://x/t", "--client-id", "x", "--client-secret", "y", "--councils", "999"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stderr strings.Builder
			err := run(context.Background(), c.args, io.Discard, &stderr)
			assert.Equal(t, exitUsage, exitCode(err, &stderr), c.reason)
		})
	}
}
