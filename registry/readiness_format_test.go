package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/forecast"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedReadiness is a small readiness with one council of each kind, written by hand so that
// the golden files do not move with the suite's digest.
func fixedReadiness() *registry.Readiness {
	at := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
	dep := func(code, product, version string) *store.Deployment {
		return &store.Deployment{
			ID: 1, DeclaredAt: at.Add(-30 * 24 * time.Hour), Council: code, Product: product, Version: version,
			BaseURL: "https://cre.council-" + code + ".example.invalid", DeclaredBy: "council-" + code,
		}
	}
	return &registry.Readiness{
		AsOf: at, Suite: "sha256:0000", Total: 3, Ready: 1, NotReady: 2,
		Councils: []registry.CouncilReadiness{
			{
				Code: "201", Name: "City of London", Region: "E12000007", RegionName: "London", Ready: true, Deployment: dep("201", "Wrenfold", "2.0"),
				Check:       &store.DeploymentCheck{ID: 1, RecordedAt: at.Add(-20 * 24 * time.Hour), Council: "201", Product: "Wrenfold", Version: "2.0", Verdict: "PASS", Failed: []store.FailedCheck{}, RecordedBy: "dfe"},
				Certificate: 1, Reasons: []registry.Reason{}, FailedRequirements: []string{}, BlockingPeers: []string{},
			},
			{
				Code: "801", Name: "Bristol, City of", Region: "E12000009", RegionName: "South West", Deployment: dep("801", "Hearthstone", "1.0"), Certificate: 2,
				Reasons: []registry.Reason{
					{Code: "NO_DEPLOYMENT_CHECK", Message: "no deployment check of Hearthstone@1.0 at https://cre.council-801.example.invalid has been recorded"},
					{Code: "NOT_CONFORMANT", Message: "certificate 2 of Hearthstone 1.0 is FAIL: failed XFER-002", Requirements: []string{"XFER-002"}},
					{Code: "PAIR_FAILED", Message: "Wrenfold@2.0 -> Hearthstone@1.0 fails XFER-002 (at fault: receiver); Wrenfold@2.0 is deployed at councils 201", Requirements: []string{"XFER-002"}, Councils: []string{"201"}},
				},
				FailedRequirements: []string{"XFER-002"}, BlockingPeers: []string{"201"},
			},
			{
				Code: "202", Name: "Camden | <b>test</b>", Region: "E12000007", RegionName: "London",
				Reasons: []registry.Reason{{Code: "NO_DEPLOYMENT", Message: "council 202 Camden declares no deployment"}}, FailedRequirements: []string{}, BlockingPeers: []string{},
			},
		},
		Versions: []registry.VersionStatus{
			{
				Product: "Hearthstone", Version: "1.0", Supplier: "pellow", Certificate: 2, Status: "not-conformant", Verdict: "FAIL", Expires: at.Add(300 * 24 * time.Hour),
				Reasons: []registry.Reason{{Code: "NOT_CONFORMANT", Message: "certificate 2 of Hearthstone 1.0 is FAIL: failed XFER-002", Requirements: []string{"XFER-002"}}}, Councils: []string{"801"},
			},
			{
				Product: "Wrenfold", Version: "2.0", Supplier: "larkspur", Certificate: 1, Status: "certified", Verdict: "PASS", Expires: at.Add(300 * 24 * time.Hour),
				Valid: true, Reasons: []registry.Reason{}, Councils: []string{"201"},
			},
		},
		Matrix: []registry.MatrixCell{
			{Sender: "Hearthstone@1.0", Receiver: "Wrenfold@2.0", Verdict: "PASS", FailedRequirements: []string{}},
			{Sender: "Wrenfold@2.0", Receiver: "Hearthstone@1.0", Verdict: "FAIL", FailedRequirements: []string{"XFER-002"}, AtFault: "receiver"},
		},
		Series: []forecast.Point{{At: at.Add(-7 * 24 * time.Hour), Value: 0}, {At: at, Value: 1}},
		Forecast: &forecast.Forecast{
			Deadline: time.Date(2027, 3, 31, 23, 59, 59, 0, time.UTC), Window: 2, PerWeek: 1, Projected: 3, Total: 3, Miss: 0,
			Method: "least-squares line over the last 2 weekly points (+1.00 councils a week), evaluated at the deadline, rounded down and clipped to [0, 3]",
		},
	}
}

func TestReadinessFormatsGolden(t *testing.T) {
	for _, format := range registry.ReadinessFormats {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, registry.WriteReadiness(&b, fixedReadiness(), format))
			path := filepath.Join("testdata", "readiness."+format)
			if *update {
				require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./registry -run TestReadinessFormatsGolden -update to create it")
			assert.Equal(t, string(want), b.String(), "the %s output changed; if on purpose, refresh with -update and read the diff", format)
		})
	}
	assert.ErrorContains(t, registry.WriteReadiness(&bytes.Buffer{}, fixedReadiness(), "xml"), `"xml"`)
}

// TestReadinessSchema checks the JSON the registry answers, for the golden readiness and for a
// whole campaign, against readiness.schema.json, and that the schema rejects what breaks it.
func TestReadinessSchema(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "readiness.json"))
	require.NoError(t, err)
	require.NoError(t, registry.ValidateReadinessJSON(golden))

	c := runCampaign(t, 10)
	r, err := c.Client("tok-council-202").Readiness(context.Background(), c.Week(9).Add(time.Hour))
	require.NoError(t, err, "any principal may read readiness")
	var b bytes.Buffer
	require.NoError(t, registry.WriteReadiness(&b, r, "json"))
	require.NoError(t, registry.ValidateReadinessJSON(b.Bytes()))

	var doc map[string]any
	require.NoError(t, json.Unmarshal(golden, &doc))
	doc["councils"].([]any)[0].(map[string]any)["code"] = "20"
	bad, err := json.Marshal(doc)
	require.NoError(t, err)
	require.ErrorContains(t, registry.ValidateReadinessJSON(bad), "code", "a council code is 3 digits")
	delete(doc, "councils")
	bad, err = json.Marshal(doc)
	require.NoError(t, err)
	assert.Error(t, registry.ValidateReadinessJSON(bad), "councils is required")
}
