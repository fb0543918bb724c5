package campaign_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/campaign"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/simulators"
)

func profile(t *testing.T, pv string) simulators.Profile {
	t.Helper()
	p, ok := simulators.Lookup(pv, "")
	require.True(t, ok, pv)
	return p
}

func councilOf(t *testing.T, r *registry.Readiness, code string) registry.CouncilReadiness {
	t.Helper()
	for _, c := range r.Councils {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("council %s is not in the readiness", code)
	return registry.CouncilReadiness{}
}

func reasonCodes(c registry.CouncilReadiness) []string {
	var out []string
	for _, r := range c.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// TestCampaignReadinessFollowsTheRuns plays three weeks: council 202 runs Wrenfold 2.0 and
// council 201 Tarnline 1.2, whose transfers drop the shield, until 201 upgrades to a fixed
// Tarnline in week 2. The registry's readiness must follow what the runs found.
func TestCampaignReadinessFollowsTheRuns(t *testing.T) {
	ctx := context.Background()
	wren, tarn, fixed := profile(t, "wrenfold@2.0"), profile(t, "tarnline@1.2"), profile(t, "tarnline@1.4")
	plan := &campaign.Plan{
		Weeks: 3,
		// tarnline@1.4 is the release that fixes 1.2's transfer defect.
		Releases: []campaign.Release{{Profile: wren, Week: 0}, {Profile: tarn, Week: 0}, {Profile: fixed, Week: 1}},
		Councils: []campaign.CouncilPlan{
			{Code: "202", Product: "wrenfold", DeployWeek: 0, Lag: 1},
			{Code: "201", Product: "tarnline", DeployWeek: 0, Lag: 1},
		},
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "registry.db"))
	require.NoError(t, err)
	defer st.Close()
	res, err := campaign.Run(ctx, campaign.Options{
		Store: st, OutDir: t.TempDir(), Plan: plan,
		Profiles: []simulators.Profile{wren, tarn, fixed},
	})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Certified, "each version certified once")
	assert.Equal(t, 4, res.Pairs, "each ordered pair of versions deployed together run once")

	// The certificates are the real runs' verdicts.
	subs, err := st.Submissions(ctx, "Tarnline", "1.2")
	require.NoError(t, err)
	require.Len(t, subs, 1)
	assert.Equal(t, "not-conformant", subs[0].Status)
	assert.Equal(t, []string{"SENS-005", "XFER-004"}, subs[0].FailedRequirements)
	subs, err = st.Submissions(ctx, "Wrenfold", "2.0")
	require.NoError(t, err)
	require.Len(t, subs, 1)
	assert.Equal(t, "certified", subs[0].Status)

	// Week 1: 201 on Tarnline 1.2 is not ready and names 202 as the peer it cannot send to;
	// 202, whose own certificate stands, is blocked by 201.
	week1, err := res.Server.Readiness(ctx, plan1End(res))
	require.NoError(t, err)
	c201, c202 := councilOf(t, week1, "201"), councilOf(t, week1, "202")
	assert.False(t, c201.Ready)
	assert.Contains(t, reasonCodes(c201), "NOT_CONFORMANT")
	assert.Contains(t, reasonCodes(c201), registry.ReasonPairFailed)
	assert.Equal(t, []string{"202"}, c201.BlockingPeers)
	assert.Equal(t, []string{"SENS-005", "XFER-004"}, c201.FailedRequirements)
	assert.False(t, c202.Ready)
	assert.Equal(t, []string{registry.ReasonPairFailed}, reasonCodes(c202))
	assert.Equal(t, []string{"201"}, c202.BlockingPeers)
	require.NotNil(t, c201.Check)
	assert.Equal(t, "PASS", c201.Check.Verdict, "the deployment itself is sound")

	// Week 2: 201 has upgraded; both are ready.
	end := res.Readiness
	c201, c202 = councilOf(t, end, "201"), councilOf(t, end, "202")
	require.NotNil(t, c201.Deployment)
	assert.Equal(t, "1.4", c201.Deployment.Version)
	assert.True(t, c201.Ready, "%v", c201.Reasons)
	assert.True(t, c202.Ready, "%v", c202.Reasons)
	assert.Equal(t, 2, end.Ready)
}

// plan1End is the last moment of week 1.
func plan1End(res *campaign.Result) time.Time {
	return res.Weeks[2].At.Add(-time.Second)
}
