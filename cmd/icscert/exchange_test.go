package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeExchangeFlags(t *testing.T) {
	cases := []struct {
		reason   string
		args     []string
		enabled  bool
		councils []string
	}{
		{"no directory: every council is served here", nil, false, nil},
		{"a directory with credentials and own councils", []string{
			"--directory", "http://127.0.0.1:4000/directory/v1", "--token-url", "http://127.0.0.1:4000/oauth2/token",
			"--client-id", "sandbox", "--client-secret", "s", "--councils", "202, 201", "--self-url", "http://127.0.0.1:8080",
		}, true, []string{"202", "201"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			c, err := parseServe(tc.args, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tc.enabled, c.exchange.Enabled())
			assert.Equal(t, tc.councils, c.exchange.Councils)
			opts := c.exchange.Options(nil)
			assert.Equal(t, tc.enabled, opts.Directory != nil)
			if tc.enabled {
				assert.Equal(t, "http://127.0.0.1:8080", opts.SelfURL)
				assert.Equal(t, "sandbox", opts.SystemOrg)
			}
		})
	}
}
