package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Environment variables of the PostgreSQL tests.
const (
	envPostgresDSN     = "ICSCERT_POSTGRES_DSN"
	envRequirePostgres = "ICSCERT_REQUIRE_POSTGRES"
)

// backends opens a fresh, empty store of each kind: SQLite always, PostgreSQL when
// ICSCERT_POSTGRES_DSN is set (each test in its own schema); without it the PostgreSQL case
// skips, or fails when ICSCERT_REQUIRE_POSTGRES=1.
func backends(t *testing.T) map[string]func(t *testing.T) *Store {
	t.Helper()
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			t.Helper()
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "registry.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": openPostgres,
	}
}

func openPostgres(t *testing.T) *Store {
	t.Helper()
	dsn := os.Getenv(envPostgresDSN)
	if dsn == "" {
		if os.Getenv(envRequirePostgres) == "1" {
			t.Fatalf("%s=1 but %s is not set", envRequirePostgres, envPostgresDSN)
		}
		t.Skipf("%s is not set", envPostgresDSN)
	}
	schema := fmt.Sprintf("t%d", time.Now().UnixNano())
	s, err := OpenPostgresSchema(context.Background(), dsn, schema)
	require.NoError(t, err, "connect to PostgreSQL")
	t.Cleanup(func() {
		_ = s.Close()
		_ = DropSchema(context.Background(), dsn, schema)
	})
	return s
}

// TestStore runs the same suite on every back end.
func TestStore(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("round trip", func(t *testing.T) { testRoundTrip(t, open(t)) })
			t.Run("append only", func(t *testing.T) { testAppendOnly(t, open(t)) })
		})
	}
}

func testRoundTrip(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	sub := Submission{
		ReceivedAt: at, Supplier: "larkspur", Product: "Wrenfold", Version: "2.0", Status: "certified",
		Checks: []Check{{Name: "signature", Passed: true, Detail: "key k1"}}, FailedRequirements: []string{},
		Bundle: []byte(`{"payloadType":"x"}`),
	}
	id1, err := s.AddSubmission(ctx, sub)
	require.NoError(t, err)
	sub.Version = "1.4"
	id2, err := s.AddSubmission(ctx, sub)
	require.NoError(t, err)
	assert.Greater(t, id2, id1, "ids grow")

	got, err := s.Submissions(ctx, "Wrenfold", "2.0")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, id1, got[0].ID)
	assert.Equal(t, at, got[0].ReceivedAt.UTC())
	assert.JSONEq(t, `{"payloadType":"x"}`, string(got[0].Bundle))
	all, err := s.Submissions(ctx, "Wrenfold", "")
	require.NoError(t, err)
	assert.Len(t, all, 2)
	one, err := s.Submission(ctx, id2)
	require.NoError(t, err)
	assert.Equal(t, "1.4", one.Version)
	_, err = s.Submission(ctx, id2+100)
	require.ErrorIs(t, err, ErrNotFound)

	_, err = s.AddDeployment(ctx, Deployment{Council: "202", Product: "Wrenfold", Version: "2.0", BaseURL: "https://cre.camden.example"})
	require.NoError(t, err)
	_, err = s.AddDeployment(ctx, Deployment{Council: "202", Product: "Wrenfold", Withdrawn: true})
	require.NoError(t, err)
	deps, err := s.Deployments(ctx)
	require.NoError(t, err)
	require.Len(t, deps, 2)
	assert.True(t, deps[1].Withdrawn, "order is history order")

	_, err = s.AddPair(ctx, Pair{SenderProduct: "Wrenfold", SenderVersion: "2.0", ReceiverProduct: "KinLedger", ReceiverVersion: "3.3", Verdict: "FAIL", FailedRequirements: []string{"XFER-002"}, AtFault: "receiver"})
	require.NoError(t, err)
	pairs, err := s.Pairs(ctx)
	require.NoError(t, err)
	require.Len(t, pairs, 1)
	assert.Equal(t, []string{"XFER-002"}, pairs[0].FailedRequirements)

	at = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	failed := []FailedCheck{{Check: "national-keys", Reason: "the endpoint does not trust the national signing key"}}
	_, err = s.AddDeploymentCheck(ctx, DeploymentCheck{RecordedAt: at, Council: "202", Product: "Wrenfold", Version: "2.0", Verdict: "FAIL", Failed: failed, RecordedBy: "dfe"})
	require.NoError(t, err)
	_, err = s.AddDeploymentCheck(ctx, DeploymentCheck{RecordedAt: at.Add(time.Hour), Council: "202", Product: "Wrenfold", Version: "2.0", Verdict: "PASS", Failed: []FailedCheck{}, RecordedBy: "dfe"})
	require.NoError(t, err)
	checks, err := s.DeploymentChecks(ctx)
	require.NoError(t, err)
	require.Len(t, checks, 2)
	assert.Equal(t, failed, checks[0].Failed)
	assert.True(t, at.Equal(checks[0].RecordedAt))
	assert.Equal(t, "PASS", checks[1].Verdict, "order is history order")
	assert.Equal(t, int64(2), checks[1].ID)
}

// testAppendOnly shows the database itself refuses to change or remove history, whatever
// client writes to it.
func testAppendOnly(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	_, err := s.AddSubmission(ctx, Submission{Product: "Wrenfold", Version: "2.0", Status: "rejected"})
	require.NoError(t, err)
	_, err = s.AddPair(ctx, Pair{SenderProduct: "a", SenderVersion: "1", ReceiverProduct: "b", ReceiverVersion: "1"})
	require.NoError(t, err)
	_, err = s.AddDeployment(ctx, Deployment{Council: "202", Product: "Wrenfold", Version: "2.0"})
	require.NoError(t, err)
	_, err = s.AddDeploymentCheck(ctx, DeploymentCheck{Council: "202", Product: "Wrenfold", Version: "2.0", Verdict: "PASS"})
	require.NoError(t, err)
	for _, stmt := range []string{
		`UPDATE submissions SET doc = '{}'`,
		`DELETE FROM submissions`,
		`UPDATE deployments SET council = '201'`,
		`DELETE FROM deployments`,
		`UPDATE pairs SET doc = '{}'`,
		`DELETE FROM pairs`,
		`UPDATE deployment_checks SET doc = '{}'`,
		`DELETE FROM deployment_checks`,
	} {
		_, err := s.db.ExecContext(ctx, stmt)
		require.Error(t, err, stmt)
		assert.Contains(t, err.Error(), "append-only", stmt)
	}
	got, err := s.Submissions(ctx, "Wrenfold", "2.0")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "rejected", got[0].Status, "the row is unchanged")
}
