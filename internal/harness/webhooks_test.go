package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
)

func TestTargetWebhooksKey(t *testing.T) {
	cases := []struct {
		yaml    string
		wantErr string
		reason  string
	}{
		{"name: x\nbaseUrl: http://127.0.0.1:1\n", "", "the key is optional"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  listen: 0.0.0.0:8099\n  advertise: http://host.docker.internal:8099\n", "", "a container target names how it reaches the harness"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertize: http://x\n", `unknown key "advertize"`, "unknown keys are still rejected"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertise: ftp://x\n", "webhooks.advertise", "an http or https URL only"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertise: http://user:pw@x\n", "webhooks.advertise", "no credentials"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  listen: nowhere\n", "webhooks.listen", "host:port"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			tg, err := ParseTarget([]byte(tc.yaml))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, tg)
		})
	}
}

func TestClockAheadFollowsATargetsTestClock(t *testing.T) {
	issuer, err := fixtures.NewIssuer("http://issuer.test")
	require.NoError(t, err)
	cases := []struct {
		reason string
		caps   []string
		status int
		body   string
		want   time.Duration
	}{
		{"a target moved three days ahead by an earlier run", []string{"test-clock"}, 200, `{"now":"2026-01-04T00:00:00Z","offsetSeconds":259200}`, 72 * time.Hour},
		{"a target without the capability is not asked", nil, 200, `{"now":"2026-01-04T00:00:00Z","offsetSeconds":259200}`, 0},
		{"a refusal gives no offset", []string{"test-clock"}, 404, `{}`, 0},
		{"a negative offset is ignored", []string{"test-clock"}, 200, `{"now":"2026-01-04T00:00:00Z","offsetSeconds":-5}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "/v1/test-clock", r.URL.Path)
				assert.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "))
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer ts.Close()
			r := &runner{}
			in := &loaded{target: &Target{Name: "x", Capabilities: Capabilities{Supported: tc.caps}}}
			sys := &system{issuer: issuer, audience: fixtures.DefaultAudience, baseURL: ts.URL, client: ts.Client(), requestTimeout: 10 * time.Second}
			assert.Equal(t, tc.want, r.clockAhead(context.Background(), in, sys))
		})
	}
}
