package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current renderers")

// golden compares got with testdata/<name>, or rewrites that file when -update is set.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./reports -update")
	assert.Equal(t, string(want), string(got), "%s differs from the golden file; if the change is intended, run go test ./reports -update", path)
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		for _, wr := range writers {
			t.Run(fx.name+"/"+wr.name, func(t *testing.T) {
				r := fx.build(t)
				var b bytes.Buffer
				require.NoError(t, wr.write(&b, r), fx.reason)
				golden(t, filepath.Join(fx.name, wr.name), b.Bytes())

				again := fx.build(t)
				var b2 bytes.Buffer
				require.NoError(t, wr.write(&b2, again))
				assert.Equal(t, b.String(), b2.String(), "rendering must be deterministic")
			})
		}
	}
}

func TestWritersRejectUnfinalisedReport(t *testing.T) {
	for _, wr := range writers {
		t.Run(wr.name, func(t *testing.T) {
			var b bytes.Buffer
			err := wr.write(&b, &Report{Requirements: catalogue()})
			require.ErrorIs(t, err, errNotFinalised, "a report without a verdict must not be rendered")
			assert.Zero(t, b.Len(), "nothing may be written for a rejected report")
		})
	}
}

func TestRenderersOnlyRead(t *testing.T) {
	r := failuresReport(t)
	want := failuresReport(t)
	var wg sync.WaitGroup
	for range 4 {
		for _, wr := range writers {
			wg.Go(func() {
				var b bytes.Buffer
				assert.NoError(t, wr.write(&b, r))
			})
		}
	}
	wg.Wait()
	assert.Equal(t, want, r, "rendering must not modify the report, so renderers can share it (run with -race)")
}
