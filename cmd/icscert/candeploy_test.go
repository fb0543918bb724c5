package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// fleetRun certifies the simulated product versions of deployProfiles once per test binary:
// the suite against them is the costly part of these tests.
var fleetRun = struct {
	once    sync.Once
	dir     string
	results []fleet.Result
	err     error
	took    time.Duration
}{}

func certifiedFleet(t *testing.T) ([]fleet.Result, string) {
	t.Helper()
	fleetRun.once.Do(func() {
		fleetRun.dir, fleetRun.err = os.MkdirTemp("", "icscert-fleet-")
		if fleetRun.err != nil {
			return
		}
		var systems []fleet.System
		for _, p := range deployProfiles() {
			systems = append(systems, fleet.Simulated(p))
		}
		start := time.Now()
		fleetRun.results, fleetRun.err = fleet.Certify(context.Background(), systems, fleet.Options{OutDir: fleetRun.dir, Parallel: 2})
		fleetRun.took = time.Since(start)
	})
	require.NoError(t, fleetRun.err)
	t.Logf("certified %d simulated product versions in %s", len(fleetRun.results), fleetRun.took.Round(time.Millisecond))
	return fleetRun.results, fleetRun.dir
}

// long reports whether the long proofs run (ICSCERT_LONG=1, make test-long, which .ci/run runs
// after make test).
func long() bool { return os.Getenv("ICSCERT_LONG") == "1" }

// deployVersions are the simulated versions certified for can-i-deploy by default: the two
// conformant versions the councils declare (Wrenfold 2.0, KinLedger 3.4) and versions that
// break one, two and four requirements. The long proof (long) certifies every version; the
// in-process calibration of internal/fleet certifies every version in every run.
var deployVersions = []string{"wrenfold@2.0", "kinledger@3.4", "kinledger@3.2", "thistlegate@2.1", "quillmere@4.0"}

// deployProfiles returns the simulated versions TestCanIDeployEverySimulatedVersion certifies.
func deployProfiles() []simulators.Profile {
	if long() {
		return simulators.Profiles()
	}
	var out []simulators.Profile
	for _, p := range simulators.Profiles() {
		if slices.Contains(deployVersions, p.String()) {
			out = append(out, p)
		}
	}
	return out
}

// TestMain lets the rerun test start this test binary as `icscert` (ICSCERT_TEST_AS_MAIN=1),
// so that runs happen in separate processes, as a supplier's CI would start them. It removes the certified fleet's
// folder at the end.
func TestMain(m *testing.M) {
	if os.Getenv("ICSCERT_TEST_AS_MAIN") == "1" {
		os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
	}
	code := m.Run()
	if fleetRun.dir != "" {
		_ = os.RemoveAll(fleetRun.dir)
	}
	os.Exit(code)
}

// TestCanIDeployEverySimulatedVersion certifies every simulated product version, signs each
// run with its supplier's key and submits it to a registry, has two councils declare what they
// run, then asks can-i-deploy for every version: the conformant ones may go, every other one
// is refused naming exactly the requirements its quirks break. Pair results submitted through
// the API then block a version in the direction that fails, naming the council concerned.
func TestCanIDeployEverySimulatedVersion(t *testing.T) {
	results, dir := certifiedFleet(t)
	want := len(deployVersions) // every one of them names a simulated version
	if long() {
		want = len(simulators.Profiles())
	}
	require.Len(t, results, want)
	ctx := context.Background()

	keys := map[string]ed25519.PrivateKey{}
	var cfg strings.Builder
	cfg.WriteString("principals:\n")
	for _, p := range deployProfiles() {
		if _, ok := keys[p.Product]; ok {
			continue
		}
		k, err := bundle.GenerateKey()
		require.NoError(t, err)
		keys[p.Product] = k
		pub, err := bundle.EncodePublicKey(k.Public().(ed25519.PublicKey))
		require.NoError(t, err)
		fmt.Fprintf(&cfg, "  - {name: %q, kind: supplier, token: %q, products: [%q], keys: [%q]}\n", p.Name, "tok-"+p.Name, p.Product, pub)
	}
	cfg.WriteString("  - {name: camden, kind: council, council: \"202\", token: tok-camden}\n")
	cfg.WriteString("  - {name: london, kind: council, council: \"201\", token: tok-london}\n")
	cfg.WriteString("  - {name: dfe, kind: department, token: tok-dfe}\n")
	conf, err := registry.ParseConfig([]byte(cfg.String()), t.TempDir())
	require.NoError(t, err)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "registry.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	srv, err := registry.New(registry.Options{Config: conf, Store: st})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	// Each supplier's CI: sign the run with its key and submit (run --sign-key --submit).
	for _, res := range results {
		p := mustProfile(t, res.System.Name)
		out := filepath.Join(dir, res.System.Name)
		keyDir := t.TempDir()
		require.NoError(t, bundle.WriteKeyPair(keyDir, "supplier", keys[p.Product]))
		var stdout, stderr bytes.Buffer
		path, err := signRun(ctx, res.Report, "", out, filepath.Join(keyDir, "supplier.pem"), &stderr)
		require.NoError(t, err)
		require.NoError(t, submitRun(ctx, res.Report, path, hs.URL, "tok-"+p.Name, &stdout), stderr.String())
		assert.Contains(t, stdout.String(), "submission")
	}

	dfe := &registry.Client{BaseURL: hs.URL, Token: "tok-dfe"}
	declare := func(token, council, product, version string) {
		t.Helper()
		c := &registry.Client{BaseURL: hs.URL, Token: token}
		var d store.Deployment
		require.NoError(t, c.Post(ctx, "/v1/deployments", map[string]any{"council": council, "product": product, "version": version, "baseUrl": "https://cre." + council + ".example"}, &d))
	}
	declare("tok-camden", "202", "Wrenfold", "2.0")
	declare("tok-london", "201", "KinLedger", "3.4")

	ask := func(product, version, council string) (int, string) {
		t.Helper()
		args := []string{"can-i-deploy", "--product", product, "--version", version, "--registry", hs.URL, "--token", "tok-dfe"}
		if council != "" {
			args = append(args, "--council", council)
		}
		var stdout, stderr bytes.Buffer
		err := run(ctx, args, &stdout, &stderr)
		return exitCode(err, &stderr), stdout.String()
	}

	verdicts := map[string]reports.Verdict{}
	for _, res := range results {
		verdicts[res.System.Name] = res.Report.Verdict
	}
	for _, p := range deployProfiles() {
		t.Run(p.String(), func(t *testing.T) {
			code, out := ask(p.Product, p.Version, "")
			ans, err := dfe.CanIDeploy(ctx, p.Product, p.Version, "")
			require.NoError(t, err)
			if p.Conformant() {
				// A system that keeps every rule is INCOMPLETE while the suite has MUST
				// requirements with no scenario, and may not be deployed.
				if verdicts[p.String()] == reports.Pass {
					assert.Equal(t, exitOK, code, out)
					assert.True(t, strings.HasPrefix(out, "yes:"), out)
					return
				}
				assert.Equal(t, exitFail, code, out)
				require.Len(t, ans.Reasons, 1, out)
				assert.Equal(t, "INCOMPLETE", ans.Reasons[0].Code, out)
				return
			}
			assert.Equal(t, exitFail, code, out)
			assert.True(t, strings.HasPrefix(out, "no:"), out)
			require.Len(t, ans.Reasons, 1, out)
			assert.Equal(t, "NOT_CONFORMANT", ans.Reasons[0].Code)
			got := slices.Clone(ans.Reasons[0].Requirements)
			want := p.Breaks()
			slices.Sort(got)
			slices.Sort(want)
			assert.Equal(t, want, got, "the reasons name exactly the requirements the quirks break")
			for _, id := range want {
				assert.Contains(t, out, id)
			}
		})
	}

	// Pair results, as the interoperability suite would submit them: Wrenfold 2.0 sends to
	// KinLedger 3.4 fine, but KinLedger 3.4 sends what Wrenfold 2.0 cannot take.
	pair := func(sp, sv, rp, rv, verdict string, failed ...string) {
		t.Helper()
		var out store.Pair
		require.NoError(t, dfe.Post(ctx, "/v1/pairs", map[string]any{
			"senderProduct": sp, "senderVersion": sv, "receiverProduct": rp, "receiverVersion": rv,
			"verdict": verdict, "failedRequirements": append([]string{}, failed...), "atFault": map[bool]string{true: "", false: "sender"}[verdict == "PASS"],
		}, &out))
	}
	pair("Wrenfold", "2.0", "KinLedger", "3.4", "PASS")
	pair("KinLedger", "3.4", "Wrenfold", "2.0", "FAIL", "XFER-002")

	code, out := ask("Wrenfold", "2.0", "")
	assert.Equal(t, exitFail, code, out)
	assert.Contains(t, out, "PAIR_FAILED: KinLedger@3.4 -> Wrenfold@2.0 fails XFER-002 (at fault: sender)")
	assert.Contains(t, out, "[councils 201]", "the council running the peer is named")

	code, out = ask("KinLedger", "3.4", "201")
	assert.Equal(t, exitFail, code, out)
	assert.Contains(t, out, "[councils 202]", "in the other direction too")

	code, out = ask("Wrenfold", "2.0", "202")
	assert.Equal(t, exitFail, code, "Camden replacing its own Wrenfold still exchanges with London's KinLedger: %s", out)

	pair("KinLedger", "3.4", "Wrenfold", "2.0", "PASS")
	code, out = ask("Wrenfold", "2.0", "")
	assert.NotContains(t, out, "PAIR_FAILED", "the latest pair result stands")
	if verdicts["wrenfold@2.0"] == reports.Pass {
		assert.Equal(t, exitOK, code, out)
		assert.Contains(t, out, "yes:")
	} else {
		assert.Equal(t, exitFail, code, out)
		assert.Contains(t, out, "INCOMPLETE", "only the certificate's own gap is left: %s", out)
	}

	code, _ = ask("Wrenfold", "", "")
	assert.Equal(t, exitUsage, code)
	var stderr bytes.Buffer
	err = run(ctx, []string{"can-i-deploy", "--product", "Wrenfold", "--version", "2.0", "--registry", "http://127.0.0.1:1", "--token", "x"}, &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitUntestable, exitCode(err, &stderr), "an unreachable registry")
}
