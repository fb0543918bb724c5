package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/features"
	"github.com/icscert/icscert/spec"
)

func TestEmbeddedSuiteCoverage(t *testing.T) {
	cov, err := Coverage(spec.MustLoad())
	require.NoError(t, err, "the embedded suite keeps its conventions")
	require.Len(t, cov, len(spec.MustLoad().Requirements))
	for _, c := range cov {
		if c.Requirement.ID == "VER-003" {
			assert.True(t, c.Complete())
			assert.Equal(t, "features/meta.feature:7", c.Positive[0].ID)
			assert.Equal(t, "features/meta.feature:14", c.Negative[0].ID)
		}
	}
}

func TestSuiteConventions(t *testing.T) {
	c := spec.MustLoad()
	s, err := loadSuite(suiteFS(map[string]string{
		"a.feature": `Feature: a
  @READ-001 @SENS-004 @positive
  Scenario: both
    When an anonymous caller reads the API metadata

  @READ-001 @negative @cap-test-clock @slow
  Scenario Outline: rows <n>
    When an anonymous caller reads the API metadata
    Examples:
      | n |
      | 1 |
      | 2 |
`,
		"sub/b.feature": "Feature: b\n  @READ-002 @positive\n  Scenario: b\n    When an anonymous caller reads the API metadata\n",
	}), features.Root, c)
	require.NoError(t, err)
	var ids []string
	for _, sc := range s.scenarios {
		ids = append(ids, sc.ID)
	}
	assert.Equal(t, []string{"features/a.feature:3", "features/a.feature:11", "features/a.feature:12", "features/sub/b.feature:3"}, ids,
		"one scenario per example row, ids by file and line")
	assert.Equal(t, []string{"READ-001", "SENS-004"}, s.scenarios[0].Requirements)
	assert.Equal(t, []string{"test-clock"}, s.scenarios[1].Capabilities)
	assert.Equal(t, []string{"test-clock"}, s.capabilities())

	cov := coverage(c, s)
	byID := map[string]RequirementCoverage{}
	for _, rc := range cov {
		byID[rc.Requirement.ID] = rc
	}
	assert.Len(t, byID["READ-001"].Positive, 1)
	assert.Len(t, byID["READ-001"].Negative, 2)
	assert.True(t, byID["READ-001"].Complete())
	assert.False(t, byID["SENS-004"].Complete())

	bad := []struct {
		reason  string
		feature string
		want    string
	}{
		{"a tag naming an id outside the catalogue", "@READ-999 @positive", "READ-999 is not in the requirement catalogue"},
		{"no requirement tag", "@positive", "no requirement tag"},
		{"neither positive nor negative", "@READ-001", "exactly one of @positive and @negative"},
		{"both positive and negative", "@READ-001 @positive @negative", "exactly one of @positive and @negative"},
		{"a malformed capability", "@READ-001 @positive @cap-Test_Clock", "not a capability name"},
	}
	for _, b := range bad {
		t.Run(b.reason, func(t *testing.T) {
			_, err := loadSuite(suiteFS(map[string]string{
				"x.feature": "Feature: x\n  " + b.feature + "\n  Scenario: s\n    When an anonymous caller reads the API metadata\n",
			}), features.Root, c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), b.want)
			assert.Contains(t, err.Error(), "features/x.feature:3")
		})
	}
}
