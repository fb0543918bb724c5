package interop

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/simulators/container"
)

// containerSet is the matrix the container proof runs: a conforming product, a sender's quirk
// (a package without the shield) and a receiver's (a retried delivery filed twice), each in its
// own container, with the in-process reference.
var containerSet = []string{"wrenfold@2.0", "tarnline@1.2", "thistlegate@2.2"}

// containerSystems returns the reference in process and the named simulated versions, each in
// its own container. It skips without a Docker engine, unless ICSCERT_REQUIRE_DOCKER=1.
func containerSystems(tb testing.TB, names []string) []System {
	tb.Helper()
	if err := container.Available(); err != nil {
		if os.Getenv("ICSCERT_REQUIRE_DOCKER") == "1" {
			tb.Fatalf("ICSCERT_REQUIRE_DOCKER=1 but %v", err)
		}
		tb.Skipf("no Docker engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := container.BuildImage(ctx) // once, before the clock of any cell starts
	require.NoError(tb, err)
	fl := []fleet.System{fleet.Reference(sqlite.Memory)}
	for _, p := range simulators.Profiles() {
		if contains(names, p.String()) {
			fl = append(fl, fleet.Containerised(p))
		}
	}
	require.Len(tb, fl, len(names)+1, "every system of the set is a simulated version")
	return FromFleet(fl)
}

// TestContainerMatrixIsExact runs the matrix of the container set with every simulated product
// in its own container (interop --containers) and checks every cell against the quirks' sides,
// exactly as in process; no container or network is left behind. A long proof (ICSCERT_LONG=1);
// it needs a Docker engine (ICSCERT_REQUIRE_DOCKER=1 makes a missing one a failure).
func TestContainerMatrixIsExact(t *testing.T) {
	if os.Getenv("ICSCERT_LONG") != "1" {
		t.Skip("a long proof: run with ICSCERT_LONG=1 (make test-long)")
	}
	sys := containerSystems(t, containerSet)
	m, err := Run(context.Background(), sys, Options{OutDir: t.TempDir(), Parallel: 4})
	require.NoError(t, err)
	require.Len(t, m.Cells, len(sys)*len(sys))
	for _, c := range Calibrate(m, sys) {
		assert.True(t, c.Calibrated(), "%s", c)
	}
	assert.Equal(t, reports.Pass, m.At("reference", "wrenfold@2.0").Verdict)
	assert.Equal(t, []Fault{
		{Requirement: "SENS-005", Side: reports.RoleSender, System: "tarnline@1.2"},
		{Requirement: "XFER-003", Side: reports.RoleReceiver, System: "thistlegate@2.2"},
		{Requirement: "XFER-004", Side: reports.RoleSender, System: "tarnline@1.2"},
	}, strip(m.At("tarnline@1.2", "thistlegate@2.2").Failed), "each container's quirk, charged to its side")
	assert.Equal(t, []Fault{{Requirement: "XFER-003", Side: reports.RoleReceiver, System: "thistlegate@2.2"}},
		strip(m.At("wrenfold@2.0", "thistlegate@2.2").Failed), "the receiver's quirk, charged to the container that receives")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, id := range fleet.Sessions() {
		cs, ns, err := container.Leftovers(ctx, id)
		require.NoError(t, err)
		assert.Empty(t, cs, "session %s left containers", id)
		assert.Empty(t, ns, "session %s left networks", id)
	}
}
