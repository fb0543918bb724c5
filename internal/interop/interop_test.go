package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// pairSet is the matrix the default test runs: the reference, a conforming product, and every
// product version with a quirk of the exchange (sender or receiver), so that every kind of
// exchange defect meets a conforming peer and the other kinds.
var pairSet = []string{"wrenfold@2.0", "tarnline@1.2", "tarnline@1.3", "quillmere@4.2", "thistlegate@2.2", "kinledger@3.2"}

// systems returns the reference and the named simulated versions (all of them with
// ICSCERT_LONG=1), in process.
func systems(tb testing.TB, all bool) []System {
	tb.Helper()
	fl := []fleet.System{fleet.Reference(sqlite.Memory)}
	for _, p := range simulators.Profiles() {
		if all || contains(pairSet, p.String()) {
			fl = append(fl, fleet.Simulated(p))
		}
	}
	if !all {
		require.Len(tb, fl, len(pairSet)+1, "every system of the pair set is a simulated version")
	}
	return FromFleet(fl)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestMatrixIsExact runs the matrix in process and checks every cell against the quirks'
// sides: conforming pairs pass, each defective pair fails exactly the requirements its
// sender's and receiver's quirks break, each charged to the side at fault. By default it runs
// the pair set (kinledger@3.2 brings own-API defects that a pair meets but must not fail for);
// with ICSCERT_LONG=1 the reference and every simulated version, 676 pairs.
func TestMatrixIsExact(t *testing.T) {
	all := os.Getenv("ICSCERT_LONG") == "1"
	sys := systems(t, all)
	out := t.TempDir()
	m, err := Run(context.Background(), sys, Options{OutDir: out})
	require.NoError(t, err)
	require.Len(t, m.Cells, len(sys)*len(sys))
	for _, c := range Calibrate(m, sys) {
		assert.True(t, c.Calibrated(), "%s", c)
	}
	// What the user relies on, spelled out for one cell of each kind.
	cell := func(s, r string) *Cell { c := m.At(s, r); require.NotNil(t, c); return c }
	assert.Equal(t, reports.Pass, cell("reference", "wrenfold@2.0").Verdict)
	assert.Equal(t, []Fault{
		{Requirement: "SENS-005", Side: reports.RoleSender, System: "tarnline@1.2"},
		{Requirement: "XFER-004", Side: reports.RoleSender, System: "tarnline@1.2"},
	}, strip(cell("tarnline@1.2", "reference").Failed), "a package without the shield is the sender's")
	assert.Equal(t, []Fault{{Requirement: "XFER-003", Side: reports.RoleReceiver, System: "thistlegate@2.2"}},
		strip(cell("wrenfold@2.0", "thistlegate@2.2").Failed), "a retried delivery filed twice is the receiver's")
	assert.Equal(t, []Fault{
		{Requirement: "XFER-004", Side: reports.RoleReceiver, System: "quillmere@4.2"},
		{Requirement: "XFER-004", Side: reports.RoleSender, System: "quillmere@4.2"},
	}, strip(cell("quillmere@4.2", "quillmere@4.2").Failed), "references dropped sending, consents dropped receiving")
	own := cell("kinledger@3.2", "reference")
	assert.Equal(t, reports.Pass, own.Verdict, "own-API defects met on the way do not fail the pair: %+v", own)
	assert.NotEmpty(t, own.Own, "but they are listed")

	require.NoError(t, WriteAll(out, m))
	for _, f := range []string{"matrix.json", "matrix.md", "matrix.html", filepath.FromSlash(cell("tarnline@1.2", "reference").Evidence)} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	html, err := os.ReadFile(filepath.Join(out, "matrix.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), `href="cells/tarnline@1.2__reference/report.html"`, "each cell links to its evidence")
	md, err := os.ReadFile(filepath.Join(out, "matrix.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| **tarnline@1.2** | FAIL SENS-005 S, XFER-004 S |")
	assert.True(t, strings.HasPrefix(string(md), "# Interoperability matrix"))
}

// strip keeps what a fault says about the requirement and the side.
func strip(fs []Fault) []Fault {
	out := make([]Fault, 0, len(fs))
	for _, f := range fs {
		out = append(out, Fault{Requirement: f.Requirement, Side: f.Side, System: f.System})
	}
	return out
}
