package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/campaign"
	"github.com/icscert/icscert/registry/store"
)

var campaignStart = time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)

// runCampaign plays weeks of the simulated campaign on a fresh SQLite store.
func runCampaign(t *testing.T, weeks int) *campaign.Campaign {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), t.TempDir()+"/registry.db")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	c, err := campaign.New(st, campaignStart, campaignStart.Add(20*7*24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, c.Run(context.Background(), weeks))
	return c
}

func codes(rs []registry.Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func byCode(r *registry.Readiness) map[string]registry.CouncilReadiness {
	out := map[string]registry.CouncilReadiness{}
	for _, c := range r.Councils {
		out[c.Code] = c
	}
	return out
}

// TestReadinessCampaign plays the whole campaign and checks the readiness the department sees
// at its end and on the way, against what the campaign did.
func TestReadinessCampaign(t *testing.T) {
	c := runCampaign(t, 16)
	ctx := context.Background()
	end := c.Week(15).Add(time.Hour)
	r, err := c.Server.Readiness(ctx, end)
	require.NoError(t, err)

	assert.Equal(t, 153, r.Total, "every live council")
	assert.Equal(t, 142, r.Ready, "all but the 11 councils whose deployment check failed and was never passed (index 7 mod 14)")
	assert.Equal(t, r.Total-r.Ready, r.NotReady)
	require.Len(t, r.Series, 16, "one point a week from the first record")
	assert.Equal(t, 142, r.Series[15].Value)
	assert.Equal(t, 0, r.Series[0].Value, "in week 0 nobody has been checked")
	for i := 1; i < len(r.Series); i++ {
		assert.Equal(t, r.Series[i-1].At.Add(7*24*time.Hour), r.Series[i].At)
	}
	require.NotNil(t, r.Forecast)
	assert.Equal(t, 153, r.Forecast.Total)
	assert.Equal(t, r.Forecast.Total-r.Forecast.Projected, r.Forecast.Miss)

	councils := byCode(r)
	// Live council index 7 (checkFails, never recovers) and index 0 (fails, then recovers).
	live := r.Councils
	failing, recovered := live[7], live[0]
	assert.False(t, failing.Ready)
	assert.Equal(t, []string{registry.ReasonCheckFailed}, codes(failing.Reasons))
	require.NotNil(t, failing.Check)
	assert.Equal(t, "national-keys", failing.Check.Failed[0].Check)
	assert.True(t, recovered.Ready, "a passing re-check makes it ready: %v", recovered.Reasons)
	assert.Empty(t, councils[live[1].Code].Reasons, "a KinLedger council is ready")

	// Week 5: Hearthstone 1.0 is not conformant and cannot receive from Wrenfold 2.0.
	mid, err := c.Server.Readiness(ctx, c.Week(5).Add(time.Hour))
	require.NoError(t, err)
	h := byCode(mid)[live[2].Code]
	require.NotNil(t, h.Deployment)
	assert.Equal(t, "Hearthstone", h.Deployment.Product)
	assert.Contains(t, codes(h.Reasons), "NOT_CONFORMANT")
	assert.Contains(t, codes(h.Reasons), registry.ReasonPairFailed)
	assert.Contains(t, h.FailedRequirements, "XFER-002")
	assert.Contains(t, h.BlockingPeers, live[3].Code, "a Wrenfold council it cannot receive from")
	assert.NotContains(t, h.BlockingPeers, live[1].Code, "KinLedger 3.3 pairs with it both ways")
	w := byCode(mid)[live[3].Code]
	assert.Contains(t, w.BlockingPeers, live[2].Code, "the Wrenfold council is blocked by the Hearthstone one too")
	late := byCode(mid)[live[150].Code]
	assert.Equal(t, []string{registry.ReasonNoDeployment}, codes(late.Reasons), "a council deploying in week 11 has nothing yet")
	cell := func(r *registry.Readiness, s, rc string) string {
		for _, m := range r.Matrix {
			if m.Sender == s && m.Receiver == rc {
				return m.Verdict
			}
		}
		return "absent"
	}
	assert.Equal(t, "FAIL", cell(mid, "Wrenfold@2.0", "Hearthstone@1.0"))
	assert.Equal(t, "PASS", cell(mid, "Hearthstone@1.0", "Wrenfold@2.0"))
	assert.Equal(t, "absent", cell(r, "Wrenfold@2.0", "Hearthstone@1.0"), "no council runs 1.0 at the end")
	assert.Equal(t, "PASS", cell(r, "Hearthstone@1.1", "KinLedger@3.3"))
}

// TestReadinessAsOfIsReplay checks that readiness at a past moment is computed only from what
// was recorded by then: the full campaign read as of week 5 equals a campaign stopped there.
func TestReadinessAsOfIsReplay(t *testing.T) {
	ctx := context.Background()
	full, short := runCampaign(t, 16), runCampaign(t, 6)
	at := full.Week(5).Add(time.Hour)
	a, err := full.Server.Readiness(ctx, at)
	require.NoError(t, err)
	b, err := short.Server.Readiness(ctx, at)
	require.NoError(t, err)
	assert.Equal(t, b.Ready, a.Ready)
	assert.Equal(t, b.Series, a.Series)
	for i := range a.Councils {
		assert.Equal(t, codes(b.Councils[i].Reasons), codes(a.Councils[i].Reasons), a.Councils[i].Code)
		assert.Equal(t, b.Councils[i].BlockingPeers, a.Councils[i].BlockingPeers, a.Councils[i].Code)
	}
	assert.Equal(t, b.Matrix, a.Matrix)
}
