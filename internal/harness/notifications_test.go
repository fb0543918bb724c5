package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

// TestReferencePassesTheNotificationScenarios runs every NOTIF and SENS-006 scenario against
// the reference with its test clock: the harness's webhook receiver gets the reference's
// deliveries, and each scenario passes.
func TestReferencePassesTheNotificationScenarios(t *testing.T) {
	start := time.Now()
	rep, err := Run(context.Background(), Config{
		Target: referenceTarget(t), Redact: true,
		Tags: "@NOTIF-001,@NOTIF-002,@NOTIF-003,@NOTIF-004,@SENS-006",
	})
	require.NoError(t, err)
	t.Logf("notification scenarios: %s", time.Since(start).Round(time.Millisecond))
	ran := 0
	for _, s := range rep.Scenarios {
		if s.Verdict == reports.Skipped {
			continue
		}
		ran++
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	assert.Equal(t, 11, ran, "every notification scenario ran")
	for _, id := range []string{"NOTIF-001", "NOTIF-002", "NOTIF-003", "NOTIF-004", "SENS-006"} {
		assert.Equal(t, reports.Pass, requirement(t, rep, id).Verdict, id)
	}
}
