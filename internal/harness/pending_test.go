package harness

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// pendingMust are the MUST requirements that do not yet have both a positive and a negative
// scenario. The list may only shrink: TestEveryMustRequirementHasBothScenarios fails when an
// entry gains both scenarios and is still listed, and when a requirement not listed here lacks
// one. Every MUST requirement has both today; the list can only shrink.
var pendingMust = []string{}

// TestEveryMustRequirementHasBothScenarios checks the suite's promise (README, steps/doc.go):
// every MUST requirement has a positive scenario (tagged @positive: a conforming system is
// seen doing what the requirement asks) and a negative one (tagged @negative: the scenario
// provokes what the requirement forbids, or would catch a system that skips it). The tags are
// how the two are recognised; loadSuite enforces exactly one of them per scenario.
func TestEveryMustRequirementHasBothScenarios(t *testing.T) {
	c := spec.MustLoad()
	cov, err := Coverage(c)
	require.NoError(t, err)
	pending := map[string]bool{}
	for _, id := range pendingMust {
		_, ok := c.Requirement(id)
		require.True(t, ok, "pending entry %s is not in the catalogue: remove it", id)
		pending[id] = true
	}
	var missing, covered []string
	for _, rc := range cov {
		if rc.Requirement.Level != "MUST" {
			continue
		}
		switch {
		case !rc.Complete() && !pending[rc.Requirement.ID]:
			missing = append(missing, rc.Requirement.ID)
		case rc.Complete() && pending[rc.Requirement.ID]:
			covered = append(covered, rc.Requirement.ID)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "MUST requirements without both a @positive and a @negative scenario (add them; the pending list only shrinks)")
	assert.Empty(t, covered, "pending requirements that now have both scenarios: remove them from pendingMust")
}
