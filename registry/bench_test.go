package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/registry/store"
)

// BenchmarkSubmit measures one certificate submission end to end over HTTP on SQLite: decode,
// verify the signature, run every check and append the record.
func BenchmarkSubmit(b *testing.B) {
	st, err := store.OpenSQLite(context.Background(), b.TempDir()+"/registry.db")
	require.NoError(b, err)
	defer st.Close()
	r := newRig(b, st)
	defer r.srv.Close()
	current, err := bundle.CurrentSuite()
	require.NoError(b, err)
	body, err := json.Marshal(map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": issue(b, r.keys["Wrenfold"], "Larkspur", "Wrenfold", "2.0", current)})
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, r.srv.URL+"/v1/certificates", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokLarkspur)
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
