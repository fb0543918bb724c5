package harness

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
)

// referenceTarget starts the reference in process for each run, trusting the keys the run
// hands it: the pattern `icscert demo` and the simulators follow.
func referenceTarget(t *testing.T) *Target {
	t.Helper()
	return &Target{
		Name: "reference", Vendor: "icscert", Product: "reference", Version: "dev", Councils: []string{"202"},
		Starter: StartFunc(func(_ context.Context, trust Trust) (string, func(), error) {
			st, err := sqlite.Open(sqlite.Memory)
			if err != nil {
				return "", nil, err
			}
			srv, err := reference.New(reference.Options{Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience})
			if err != nil {
				return "", nil, err
			}
			ts := httptest.NewServer(srv.Handler())
			return ts.URL, func() {
				ts.Close()
				assert.NoError(t, srv.Close())
			}, nil
		}),
	}
}

func TestRunSmokeAgainstReference(t *testing.T) {
	out := t.TempDir()
	rep, err := Run(context.Background(), Config{Target: referenceTarget(t), OutDir: out, Redact: true})
	require.NoError(t, err)
	for _, s := range rep.Scenarios {
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	assert.Equal(t, reports.Pass, rep.Verdict, "%s", rep.Message)
	assert.True(t, rep.Conformant)
	assert.Equal(t, reports.Pass, requirement(t, rep, "VER-003").Verdict)
}
