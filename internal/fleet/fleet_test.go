package fleet

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

// TestSuiteIsExactOnEverySimulatedProduct is the harness's proof of quality: the whole suite
// runs against the reference and every simulated product in process. The reference and the
// conformant products fail nothing; every other product fails exactly the requirements its
// quirks break, no more (specificity) and no fewer (sensitivity).
func TestSuiteIsExactOnEverySimulatedProduct(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite against every simulated product")
	}
	results, err := Certify(context.Background(), All(), Options{OutDir: t.TempDir()})
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, results))
	t.Logf("\n%s", table.String())
	for _, r := range results {
		assert.Empty(t, r.Missed, "%s: the suite did not catch these known defects", r.System.Name)
		assert.Empty(t, r.Extra, "%s: the suite failed requirements the system keeps", r.System.Name)
		if len(r.System.Expected) == 0 {
			assert.Equal(t, reports.Pass, r.Report.Verdict, "%s is conformant", r.System.Name)
			assert.True(t, r.Report.Conformant, "%s is conformant", r.System.Name)
		} else {
			assert.False(t, r.Report.Conformant, "%s has defects", r.System.Name)
		}
	}
}
