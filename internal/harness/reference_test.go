package harness

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
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
		Capabilities: Capabilities{Supported: []string{"test-clock"}},
		Starter: StartFunc(func(_ context.Context, trust Trust) (string, func(), error) {
			st, err := sqlite.Open(sqlite.Memory)
			if err != nil {
				return "", nil, err
			}
			srv, err := reference.New(reference.Options{
				Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience, TestClock: true,
				Exchange: trust.Exchange.Options(nil),
			})
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
		if s.NotExercised != "" {
			// The reference sheds only above 256 requests in flight, which the overload
			// check's ramp may not reach: it must then say the check proved nothing.
			assert.Equal(t, reports.Skipped, s.Verdict, "%s %s: a check not exercised never passes", s.ID, s.Name)
			continue
		}
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	assertNothingFailed(t, rep)
	assert.Equal(t, reports.Pass, requirement(t, rep, "VER-003").Verdict)
}

// assertNothingFailed checks that a full run of a conforming system failed nothing and is
// judged truthfully: the requirements it reports NOT_TESTED are exactly those without a
// scenario in the suite, and while any of them is MUST the run is INCOMPLETE, not conformant.
func assertNothingFailed(t *testing.T, rep *reports.Report) {
	t.Helper()
	mustUntested := 0
	for _, req := range rep.Requirements {
		assert.Contains(t, []reports.Verdict{reports.Pass, reports.NotApplicable, reports.NotTested}, req.Verdict, req.ID)
		assert.Equal(t, len(req.Scenarios) == 0, req.Verdict == reports.NotTested,
			"%s: NOT_TESTED exactly when no scenario checks it (%d scenarios)", req.ID, len(req.Scenarios))
		if req.Verdict == reports.NotTested && req.Level == reports.LevelMust {
			mustUntested++
		}
	}
	if mustUntested > 0 {
		assert.Equal(t, reports.Incomplete, rep.Verdict, "%s", rep.Message)
		assert.False(t, rep.Conformant, "a run with untested MUST requirements is never conformant")
		assert.Equal(t, fmt.Sprintf("incomplete: %d MUST requirements not tested", mustUntested), rep.Headline)
		return
	}
	assert.Equal(t, reports.Pass, rep.Verdict, "%s", rep.Message)
	assert.True(t, rep.Conformant)
}

// TestRunsMayOverlap runs the suite twice at once in this process, each run against its own
// reference with its own tag selection: each report holds exactly the scenarios its own
// selection ran, all passed, so godog's outcomes never cross from one run to the other. Under
// the race detector (.ci/run) it also shows that the runs share no unsynchronised state.
func TestRunsMayOverlap(t *testing.T) {
	selections := []string{"@ID-001,@READ-001", "@NOTIF-001,@AUTH-001"}
	reps := make([]*reports.Report, len(selections))
	errs := make([]error, len(selections))
	var wg sync.WaitGroup
	for i, tags := range selections {
		wg.Go(func() {
			reps[i], errs[i] = Run(context.Background(), Config{Target: referenceTarget(t), Tags: tags, Redact: true})
		})
	}
	wg.Wait()
	for i, tags := range selections {
		require.NoError(t, errs[i], tags)
		expr, err := ParseTags(tags)
		require.NoError(t, err)
		ran := 0
		for _, s := range reps[i].Scenarios {
			if !expr.Match(s.Tags) {
				assert.Equal(t, reports.Skipped, s.Verdict, "%s: %s is outside the selection", tags, s.ID)
				continue
			}
			ran++
			assert.Equal(t, reports.Pass, s.Verdict, "%s: %s %s: %+v", tags, s.ID, s.Name, s.Failure)
		}
		assert.Positive(t, ran, "%s selects scenarios", tags)
	}
}
