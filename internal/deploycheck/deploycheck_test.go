package deploycheck_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/deploycheck"
	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/simulators"
)

func sim(t *testing.T, pv string) *harness.Target {
	t.Helper()
	p, ok := simulators.Lookup(pv, "")
	require.True(t, ok, pv)
	return fleet.Simulated(p).Target
}

// staleKeys is the endpoint of pv trusting a key set that is not the national identity
// service's.
func staleKeys(t *testing.T, pv string) *harness.Target {
	t.Helper()
	tg := *sim(t, pv)
	inner := tg.Starter
	tg.Starter = harness.StartFunc(func(ctx context.Context, trust harness.Trust) (string, func(), error) {
		stale, err := fixtures.NewIssuer("https://stale-idp.example.invalid")
		if err != nil {
			return "", nil, err
		}
		trust.JWKS = stale.JWKS()
		return inner.Start(ctx, trust)
	})
	return &tg
}

// TestDeploymentCheck checks each check of a deployment check on real runs against simulated
// endpoints, set up right and wrong.
func TestDeploymentCheck(t *testing.T) {
	const declared = "https://cre.council-202.example.invalid"
	listed := func(url string) deploycheck.Directory {
		return func(context.Context, string) (string, bool, error) { return url, true, nil }
	}
	tests := []struct {
		name      string
		endpoint  *harness.Target
		product   string
		version   string
		directory deploycheck.Directory
		failed    []string
	}{
		{"a sound deployment", sim(t, "wrenfold@2.0"), "Wrenfold", "2.0", listed(declared), nil},
		{
			"an endpoint trusting stale keys", staleKeys(t, "wrenfold@2.0"), "Wrenfold", "2.0", listed(declared),
			[]string{deploycheck.CheckKeys, deploycheck.CheckTransfer},
		},
		{
			"an endpoint still on the previous version", sim(t, "wrenfold@1.4"), "Wrenfold", "2.0", listed(declared),
			[]string{deploycheck.CheckVersion},
		},
		{
			"a stale directory entry", sim(t, "wrenfold@2.0"), "Wrenfold", "2.0", listed("https://cre-old.council-202.example.invalid"),
			[]string{deploycheck.CheckDirectory},
		},
		{
			"a council not in the directory", sim(t, "wrenfold@2.0"), "Wrenfold", "2.0",
			func(context.Context, string) (string, bool, error) { return "", false, nil },
			[]string{deploycheck.CheckDirectory},
		},
		{
			"a product whose API breaks the contract", sim(t, "tarnline@1.1"), "Tarnline", "1.1", listed(declared),
			[]string{deploycheck.CheckAPI, deploycheck.CheckTransfer},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := deploycheck.Run(context.Background(), deploycheck.Input{
				Deployment: deploycheck.Deployment{Council: "202", Product: tc.product, Version: tc.version, BaseURL: declared},
				Endpoint:   tc.endpoint, Directory: tc.directory,
			})
			require.NoError(t, err)
			var got []string
			for _, f := range res.Failed {
				got = append(got, f.Check)
				assert.NotEmpty(t, f.Reason)
			}
			assert.Equal(t, tc.failed, got, "%+v", res.Failed)
			if tc.failed == nil {
				assert.Equal(t, deploycheck.Pass, res.Verdict)
			} else {
				assert.Equal(t, deploycheck.Fail, res.Verdict)
			}
			ran := 0
			for _, sc := range res.Report.Scenarios {
				if sc.Verdict != "SKIPPED" && sc.Verdict != "NOT_APPLICABLE" {
					ran++
				}
			}
			assert.Equal(t, 3, ran, "the check runs its three scenarios only")
		})
	}
}

// TestDeploymentCheckInput checks that an incomplete input is refused before any run.
func TestDeploymentCheckInput(t *testing.T) {
	_, err := deploycheck.Run(context.Background(), deploycheck.Input{Deployment: deploycheck.Deployment{Council: "202"}})
	assert.ErrorContains(t, err, "required")
}
