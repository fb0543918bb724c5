package fleet

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/simulators/container"
)

// TestSuiteIsExactOnEverySimulatedProduct is the harness's proof of quality: the whole suite
// runs against the reference and every simulated product in process. The reference and the
// conformant products fail nothing; every other product fails exactly the requirements its
// quirks break, no more (specificity) and no fewer (sensitivity).
func TestSuiteIsExactOnEverySimulatedProduct(t *testing.T) {
	results, err := Certify(context.Background(), All(), Options{OutDir: t.TempDir()})
	require.NoError(t, err)
	assertExact(t, results)
}

// TestSuiteIsExactInContainers repeats the proof with every simulated product inside its own
// container, certified exactly as a URL is, and then shows that nothing is left behind. It
// needs a Docker engine: without one it is skipped, unless ICSCERT_REQUIRE_DOCKER=1 (CI).
func TestSuiteIsExactInContainers(t *testing.T) {
	if err := container.Available(); err != nil {
		if os.Getenv("ICSCERT_REQUIRE_DOCKER") == "1" {
			t.Fatalf("ICSCERT_REQUIRE_DOCKER=1 but %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	var systems []System
	for _, p := range simulators.Profiles() {
		systems = append(systems, Containerised(p))
	}
	results, err := Certify(context.Background(), systems, Options{OutDir: t.TempDir()})
	require.NoError(t, err)
	assertExact(t, results)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	containers, networks, err := container.Leftovers(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, containers, "no simulator container is left behind")
	assert.Empty(t, networks, "no simulator network is left behind")
}

// assertExact checks that the suite judged every system exactly as expected.
func assertExact(t *testing.T, results []Result) {
	t.Helper()
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
