package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/campaign"
	"github.com/icscert/icscert/registry/store"
)

// TestDeploymentCheckAPI checks who may record a deployment check and what a valid one is.
func TestDeploymentCheckAPI(t *testing.T) {
	c := runCampaign(t, 0)
	ctx := context.Background()
	failed := []store.FailedCheck{{Check: "meta-version", Reason: "/v1/meta answers 0.9"}}
	tests := []struct {
		name, token string
		body        map[string]any
		code        string
	}{
		{"a council", "tok-council-202", map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "PASS"}, "NOT_PERMITTED"},
		{"a supplier", "tok-larkspur", map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "PASS"}, "NOT_PERMITTED"},
		{"unknown council", campaign.DepartmentToken, map[string]any{"council": "999", "product": "Wrenfold", "version": "2.0", "verdict": "PASS"}, "UNKNOWN_COUNCIL"},
		{"terminated council", campaign.DepartmentToken, map[string]any{"council": "909", "product": "Wrenfold", "version": "2.0", "verdict": "PASS"}, "UNKNOWN_COUNCIL"},
		{"PASS with a failed check", campaign.DepartmentToken, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "PASS", "failed": failed}, "MALFORMED_REQUEST"},
		{"FAIL without one", campaign.DepartmentToken, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "FAIL"}, "MALFORMED_REQUEST"},
		{"no version", campaign.DepartmentToken, map[string]any{"council": "202", "product": "Wrenfold", "verdict": "PASS"}, "MALFORMED_REQUEST"},
		{"a failed check without reason", campaign.DepartmentToken, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "FAIL", "failed": []map[string]string{{"check": "x"}}}, "MALFORMED_REQUEST"},
		{"recorded", campaign.DepartmentToken, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "verdict": "FAIL", "failed": failed}, ""},
	}
	for _, tc := range tests {
		var out store.DeploymentCheck
		err := c.Client(tc.token).Post(ctx, "/v1/deployment-checks", tc.body, &out)
		if tc.code == "" {
			require.NoError(t, err, tc.name)
			assert.Equal(t, "dfe", out.RecordedBy)
			assert.Equal(t, failed, out.Failed)
			assert.True(t, c.Clock.Now().Equal(out.RecordedAt), "stamped by the registry's clock")
			continue
		}
		var p *registry.Problem
		require.ErrorAs(t, err, &p, tc.name)
		assert.Equal(t, tc.code, p.Code, tc.name)
	}
}

// TestConfigDeadline checks the configuration's readiness deadline: a date is the end of that
// day (UTC), an RFC 3339 time is taken as is, anything else is refused.
func TestConfigDeadline(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), t.TempDir()+"/registry.db")
	require.NoError(t, err)
	defer st.Close()
	for in, want := range map[string]string{"2027-03-31": "2027-03-31T23:59:59Z", "2027-03-31T17:00:00Z": "2027-03-31T17:00:00Z"} {
		cfg, err := registry.ParseConfig([]byte("principals:\n  - {name: dfe, kind: department, token: t}\ndeadline: "+in+"\n"), ".")
		require.NoError(t, err, in)
		s, err := registry.New(registry.Options{Config: cfg, Store: st})
		require.NoError(t, err)
		assert.Equal(t, want, s.Deadline().Format("2006-01-02T15:04:05Z07:00"), in)
	}
	_, err = registry.ParseConfig([]byte("principals: []\ndeadline: next spring\n"), ".")
	assert.ErrorContains(t, err, `deadline "next spring"`)
}
