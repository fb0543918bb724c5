package fleet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/simulators/container"
	"github.com/icscert/icscert/spec"
)

// TestSuiteIsExactOnEverySimulatedProduct is the harness's proof of quality: the whole suite
// runs against the reference and every simulated product in process. The reference and the
// conformant products fail nothing; every other product fails exactly the requirements its
// quirks break, no more (specificity) and no fewer (sensitivity).
func TestSuiteIsExactOnEverySimulatedProduct(t *testing.T) {
	out := t.TempDir()
	results, err := Certify(context.Background(), All(sqlite.Memory), Options{OutDir: out, Parallel: testParallel})
	require.NoError(t, err)
	assertExact(t, results)
	assertReportsMatchSchema(t, out, results)
}

// TestSuiteIsExactInContainers repeats the proof with every simulated product inside its own
// container, certified exactly as a URL is, and then shows that nothing is left behind. It
// needs a Docker engine: without one it is skipped, unless ICSCERT_REQUIRE_DOCKER=1 (CI). It is
// a long proof (ICSCERT_LONG=1, make test-long).
func TestSuiteIsExactInContainers(t *testing.T) {
	requireLong(t)
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
	out := t.TempDir()
	results, err := Certify(context.Background(), systems, Options{OutDir: out, Parallel: testParallel})
	require.NoError(t, err)
	assertExact(t, results)
	assertReportsMatchSchema(t, out, results)

	assertNoLeftovers(t)
}

// testParallel is how many systems the calibration tests certify at once: much of a run is
// spent waiting (webhook retries with real backoff, transfer polling), which overlaps well.
const testParallel = 4

// requireLong skips a long proof unless ICSCERT_LONG=1 (make test-long, which .ci/run runs
// after make test).
func requireLong(t *testing.T) {
	t.Helper()
	if os.Getenv("ICSCERT_LONG") != "1" {
		t.Skip("a long proof: run with ICSCERT_LONG=1 (make test-long)")
	}
}

// assertNoLeftovers checks that every container session this process opened removed its
// containers and its network. Other processes' sessions (a parallel test package) are not ours
// to judge.
func assertNoLeftovers(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids := Sessions()
	require.NotEmpty(t, ids, "the test opened container sessions")
	for _, id := range ids {
		containers, networks, err := container.Leftovers(ctx, id)
		require.NoError(t, err)
		assert.Empty(t, containers, "session %s left containers behind", id)
		assert.Empty(t, networks, "session %s left its network behind", id)
	}
}

// assertExact checks that the suite judged every system exactly as expected: each fails
// exactly its known defects; on a system that keeps every requirement the requirements
// reported NOT_TESTED are exactly those the suite has no scenario for (a defective one may add
// requirements its defect kept from being proved). While a MUST requirement has no scenario, a system that keeps
// every requirement is INCOMPLETE, never conformant; once every MUST requirement has one, it
// is PASS.
func assertExact(t *testing.T, results []Result) {
	t.Helper()
	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, results))
	t.Logf("\n%s", table.String())
	uncovered, mustUncovered := uncoveredRequirements(t)
	for _, r := range results {
		assert.Empty(t, r.Missed, "%s: the suite did not catch these known defects", r.System.Name)
		if !assert.Empty(t, r.Extra, "%s: the suite failed requirements the system keeps", r.System.Name) {
			logFailures(t, r)
		}
		switch {
		case len(r.System.Expected) > 0:
			// A defect can stop scenarios before they prove other requirements: those are not
			// tested either, on top of the requirements without a scenario.
			assert.Subset(t, r.NotTested, uncovered, "%s: every requirement without a scenario is NOT_TESTED", r.System.Name)
			assert.Equal(t, reports.Fail, r.Report.Verdict, "%s has defects", r.System.Name)
			assert.False(t, r.Report.Conformant, "%s has defects", r.System.Name)
		case mustUncovered > 0:
			assert.Equal(t, uncovered, r.NotTested, "%s: NOT_TESTED must be exactly the requirements without a scenario", r.System.Name)
			assert.Equal(t, reports.Incomplete, r.Report.Verdict, "%s: %d MUST requirements have no scenario", r.System.Name, mustUncovered)
			assert.False(t, r.Report.Conformant, "%s cannot be called conformant while MUST requirements are untested", r.System.Name)
			assert.Contains(t, r.Report.Headline, fmt.Sprintf("incomplete: %d MUST requirements not tested", mustUncovered))
		default:
			assert.Empty(t, r.NotTested, "%s: every requirement has a scenario", r.System.Name)
			assert.Equal(t, reports.Pass, r.Report.Verdict, "%s is conformant", r.System.Name)
			assert.True(t, r.Report.Conformant, "%s is conformant", r.System.Name)
		}
	}
}

// logFailures logs why each scenario of r that did not pass failed, to tell a suite defect
// from a timing assumption.
func logFailures(t *testing.T, r Result) {
	t.Helper()
	for _, sc := range r.Report.Scenarios {
		if sc.Failure != nil && (sc.Verdict == reports.Fail || sc.Verdict == reports.Error || sc.Verdict == reports.Config) {
			t.Logf("%s: %s %s %q: %s (at %s: expected %s, got %s)", r.System.Name, sc.Verdict, sc.ID, sc.Name,
				sc.Failure.Message, sc.Failure.Pointer, sc.Failure.Expected, sc.Failure.Actual)
		}
	}
}

// assertReportsMatchSchema checks that the report.json each system's run wrote under out is
// accepted by the published schema of report.json (reports.Schema), as the department's
// tooling will read it.
func assertReportsMatchSchema(t *testing.T, out string, results []Result) {
	t.Helper()
	for _, r := range results {
		data, err := os.ReadFile(filepath.Join(out, r.System.Name, "report.json"))
		if assert.NoError(t, err, "%s wrote report.json", r.System.Name) {
			assert.NoError(t, reports.ValidateJSON(data), "%s: report.json against reports/report.schema.json", r.System.Name)
		}
	}
}

// uncoveredRequirements returns the requirements of the catalogue that no scenario of the
// embedded suite checks, in catalogue order, and how many of them are MUST.
func uncoveredRequirements(t *testing.T) (ids []string, must int) {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	cov, err := harness.Coverage(contract)
	require.NoError(t, err)
	for _, c := range cov {
		if len(c.Positive)+len(c.Negative) == 0 {
			ids = append(ids, c.Requirement.ID)
			if c.Requirement.Level == reports.LevelMust {
				must++
			}
		}
	}
	return ids, must
}

// TestTargetFileNamingAnImage certifies a supplier's own image named in a target file, exactly
// as a URL is certified: here an image that ships simulated product kinledger@3.3, which must
// fail READ-004 and nothing else. It is a long proof (ICSCERT_LONG=1, make test-long).
func TestTargetFileNamingAnImage(t *testing.T) {
	requireLong(t)
	if err := container.Available(); err != nil {
		if os.Getenv("ICSCERT_REQUIRE_DOCKER") == "1" {
			t.Fatalf("ICSCERT_REQUIRE_DOCKER=1 but %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := container.BuildImage(ctx)
	require.NoError(t, err)
	const image = "icscert-supplier-test:kinledger-3.3"
	build := exec.CommandContext(ctx, "docker", "build", "--pull=false", "-t", image, "-")
	build.Stdin = strings.NewReader("FROM " + container.Image + "\n" +
		`ENTRYPOINT ["/icscert", "simulate", "--addr", ":8080", "--profile", "kinledger@3.3"]` + "\nCMD []\n")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build the supplier image: %s", out)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })

	target, err := harness.ParseTarget([]byte("name: supplier\nvendor: Mossbank Informatics\nimage: " + image + "\n"))
	require.NoError(t, err)
	rep, err := harness.Run(ctx, harness.Config{Target: target, Resolve: Resolve, Redact: true})
	require.NoError(t, err)
	res := compare(System{Name: "supplier", Expected: []string{"READ-004"}}, rep)
	assert.True(t, res.Calibrated(), "failed %v, missed %v, extra %v (%s)", res.Failed, res.Missed, res.Extra, rep.Message)

	assertNoLeftovers(t)
}
