package harness

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reports"
)

// xferTags selects every transfer scenario.
const xferTags = "@XFER-001,@XFER-002,@XFER-003,@XFER-004,@XFER-005,@XFER-006"

// TestTransfersAgainstReference runs every XFER scenario against the reference, with the
// in-process reference as the peer: both directions must pass.
func TestTransfersAgainstReference(t *testing.T) {
	start := time.Now()
	rep, err := Run(context.Background(), Config{Target: referenceTarget(t), Tags: xferTags, Redact: true})
	require.NoError(t, err)
	ran := 0
	for _, s := range rep.Scenarios {
		if s.Verdict == reports.Skipped {
			continue
		}
		ran++
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	require.NotZero(t, ran)
	for _, req := range rep.Requirements {
		if strings.HasPrefix(req.ID, "XFER-") {
			assert.Equal(t, reports.Pass, req.Verdict, req.ID)
		}
	}
	t.Logf("%d XFER scenarios in %s", ran, time.Since(start).Round(time.Millisecond))
}

func TestPeerCouncil(t *testing.T) {
	cases := []struct {
		reason string
		target []string
	}{
		{"the suite's council only", []string{"202"}},
		{"a target with more councils", []string{"202", "204", "205"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got, err := peerCouncil(tc.target)
			require.NoError(t, err)
			assert.NotContains(t, tc.target, got)
			assert.NotContains(t, reservedCouncils, got)
			require.NoError(t, ident.Councils().CheckNewResponsibility(got), "the peer's council is live")
		})
	}
	assert.Equal(t, []string{"202", "201"}, targetCouncils(&Target{Councils: []string{"201", "202"}}))
	assert.True(t, slices.Contains(targetCouncils(&Target{}), suiteCouncil))
}
