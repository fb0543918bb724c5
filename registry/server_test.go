package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

var now = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// Tokens of the test principals.
const (
	tokLarkspur = "tok-larkspur" // supplier of Wrenfold
	tokMossbank = "tok-mossbank" // supplier of KinLedger
	tokCamden   = "tok-camden"   // council 202
	tokDfE      = "tok-dfe"      // the department
)

// rig is a registry over one store back end, with the suppliers' keys.
type rig struct {
	srv  *httptest.Server
	keys map[string]ed25519.PrivateKey
	api  *spec.Contract
}

func pemOf(tb testing.TB, k ed25519.PrivateKey) string {
	tb.Helper()
	t := tb
	b, err := bundle.EncodePublicKey(k.Public().(ed25519.PublicKey))
	require.NoError(t, err)
	return string(b)
}

func newRig(tb testing.TB, st *store.Store) *rig {
	tb.Helper()
	t := tb
	r := &rig{keys: map[string]ed25519.PrivateKey{}}
	for _, name := range []string{"Wrenfold", "KinLedger", "other"} {
		k, err := bundle.GenerateKey()
		require.NoError(t, err)
		r.keys[name] = k
	}
	cfg := fmt.Sprintf(`principals:
  - {name: larkspur, kind: supplier, token: %s, products: [Wrenfold], keys: [%q]}
  - {name: mossbank, kind: supplier, token: %s, products: [KinLedger], keys: [%q]}
  - {name: camden, kind: council, council: "202", token: %s}
  - {name: dfe, kind: department, token: %s}
`, tokLarkspur, pemOf(t, r.keys["Wrenfold"]), tokMossbank, pemOf(t, r.keys["KinLedger"]), tokCamden, tokDfE)
	c, err := ParseConfig([]byte(cfg), t.TempDir())
	require.NoError(t, err)
	s, err := New(Options{Config: c, Store: st, Now: func() time.Time { return now }})
	require.NoError(t, err)
	r.srv = httptest.NewServer(s.Handler())
	t.Cleanup(r.srv.Close)
	r.api, err = spec.LoadDocument(OpenAPIYAML())
	require.NoError(t, err)
	return r
}

// call sends a request, checks the exchange against the registry's OpenAPI document and
// returns the status and body.
func (r *rig) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var data []byte
	if body != nil {
		var err error
		data, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, r.srv.URL+path, bytes.NewReader(data))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	res := r.api.Check(req, data, resp.StatusCode, resp.Header, out)
	assert.Empty(t, res.ResponseViolations(), "%s %s: the answer breaks the registry's OpenAPI document\n%s", method, path, out)
	if resp.StatusCode != http.StatusBadRequest { // a 400 answers a request that breaks it on purpose
		assert.Empty(t, res.RequestViolations(), "%s %s: the request breaks the registry's OpenAPI document", method, path)
	}
	return resp.StatusCode, out
}

// issue signs a bundle for product@version with key; failed lists failed requirements.
func issue(tb testing.TB, key ed25519.PrivateKey, vendor, product, version string, suite bundle.Manifest, failed ...string) json.RawMessage {
	tb.Helper()
	t := tb
	rep := &reports.Report{
		Target: reports.Target{Name: product, Vendor: vendor, Product: product, Version: version},
		Suite:  reports.Suite{SpecVersion: "1.0.0", SuiteVersion: "0.1.0", SpecDigest: "x"}, StartedAt: now.Add(-time.Minute), FinishedAt: now,
	}
	for _, id := range []string{"VER-003", "ID-001", "XFER-002"} {
		v := reports.Pass
		for _, f := range failed {
			if f == id {
				v = reports.Fail
			}
		}
		rep.Requirements = append(rep.Requirements, reports.Requirement{ID: id, Level: reports.LevelMust, Group: strings.Split(id, "-")[0], Text: id})
		sc := reports.Scenario{
			ID: "features/x.feature:" + id, Name: id, Feature: "x", Tags: []string{"@" + id}, Requirements: []string{id}, Verdict: v,
			Steps: []reports.Step{{Keyword: "Then", Text: "ok", Status: "passed"}},
		}
		if v == reports.Fail {
			sc.Steps[0].Status = "failed"
			sc.Failure = &reports.Failure{Requirement: id, Message: "broken"}
		}
		rep.Scenarios = append(rep.Scenarios, sc)
	}
	require.NoError(t, rep.Finalise())
	data, err := bundle.Issue(context.Background(), bundle.Input{
		Report: rep, Key: key, Now: now.Add(-time.Hour), Suite: suite,
		Evidence: []bundle.FileDigest{{Path: reports.JSONFile, SHA256: strings.Repeat("0", 64)}},
	})
	require.NoError(t, err)
	return data
}

// backendStores opens an empty store on SQLite and, when configured, on PostgreSQL.
func backendStores(t *testing.T) map[string]func(t *testing.T) *store.Store {
	t.Helper()
	return map[string]func(t *testing.T) *store.Store{
		"sqlite": func(t *testing.T) *store.Store {
			t.Helper()
			s, err := store.OpenSQLite(context.Background(), t.TempDir()+"/registry.db")
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *store.Store {
			t.Helper()
			dsn := os.Getenv("ICSCERT_POSTGRES_DSN")
			if dsn == "" {
				if os.Getenv("ICSCERT_REQUIRE_POSTGRES") == "1" {
					t.Fatal("ICSCERT_REQUIRE_POSTGRES=1 but ICSCERT_POSTGRES_DSN is not set")
				}
				t.Skip("ICSCERT_POSTGRES_DSN is not set")
			}
			schema := fmt.Sprintf("r%d", time.Now().UnixNano())
			s, err := store.OpenPostgresSchema(context.Background(), dsn, schema)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close(); _ = store.DropSchema(context.Background(), dsn, schema) })
			return s
		},
	}
}

func TestRegistryAPI(t *testing.T) {
	for name, open := range backendStores(t) {
		t.Run(name, func(t *testing.T) { testRegistryAPI(t, newRig(t, open(t))) })
	}
}

func testRegistryAPI(t *testing.T, r *rig) {
	t.Helper()
	current, err := bundle.CurrentSuite()
	require.NoError(t, err)
	old := bundle.NewManifest(map[string][]byte{"features/meta.feature": []byte("Feature: old\n")})
	good := issue(t, r.keys["Wrenfold"], "Larkspur", "Wrenfold", "2.0", current)
	var env map[string]any
	require.NoError(t, json.Unmarshal(good, &env))
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	require.NoError(t, err)
	payload[len(payload)/3] ^= 1
	env["payload"] = base64.StdEncoding.EncodeToString(payload)
	tampered, err := json.Marshal(env)
	require.NoError(t, err)

	cases := []struct {
		name, reason, token string
		body                any
		status              int
		code                string
	}{
		{"no token", "every call but /healthz needs a token", "", map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": good}, 401, "UNAUTHENTICATED"},
		{"another supplier's product", "mossbank owns KinLedger, not Wrenfold", tokMossbank, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": good}, 403, "PRODUCT_NOT_OWNED"},
		{"tampered bundle", "a changed byte breaks the signature", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": json.RawMessage(tampered)}, 422, "BUNDLE_TAMPERED"},
		{"old suite", "a certificate of another suite is refused", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": issue(t, r.keys["Wrenfold"], "Larkspur", "Wrenfold", "2.0", old)}, 422, "SUITE_NOT_CURRENT"},
		{"untrusted key", "only the supplier's configured keys are trusted", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": issue(t, r.keys["other"], "Larkspur", "Wrenfold", "2.0", current)}, 422, "UNTRUSTED_KEY"},
		{"declared product differs", "the declared version must be the bundle's", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "1.4", "bundle": good}, 422, "PRODUCT_MISMATCH"},
		{"malformed body", "unknown fields are refused", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": good, "x": 1}, 400, "MALFORMED_REQUEST"},
		{"accepted", "a genuine current certificate of its own product", tokLarkspur, map[string]any{"product": "Wrenfold", "version": "2.0", "bundle": good}, 201, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := r.call(t, http.MethodPost, "/v1/certificates", tc.token, tc.body)
			require.Equal(t, tc.status, status, "%s: %s", tc.reason, body)
			if tc.code == "" {
				var sub store.Submission
				require.NoError(t, json.Unmarshal(body, &sub))
				assert.Equal(t, "certified", sub.Status)
				names := []string{}
				for _, c := range sub.Checks {
					assert.True(t, c.Passed, c.Name+": "+c.Detail)
					names = append(names, c.Name)
				}
				assert.Equal(t, []string{"signature", "product", "evidence", "suite", "validity", "verdict"}, names, "every check is shown")
				return
			}
			var p Problem
			require.NoError(t, json.Unmarshal(body, &p))
			assert.Equal(t, tc.code, p.Code, tc.reason)
			assert.NotEmpty(t, p.Detail)
			if status == 422 {
				require.NotNil(t, p.Submission, "a checked submission is stored and shown")
				assert.Equal(t, "rejected", p.Submission.Status)
			}
		})
	}

	status, body := r.call(t, http.MethodGet, "/v1/certificates?product=Wrenfold", tokDfE, nil)
	require.Equal(t, 200, status)
	var subs []store.Submission
	require.NoError(t, json.Unmarshal(body, &subs))
	assert.Len(t, subs, 5, "history keeps every checked submission, rejected ones too")
	status, body = r.call(t, http.MethodGet, "/v1/certificates", tokMossbank, nil)
	require.Equal(t, 200, status)
	assert.JSONEq(t, `[]`, string(body), "a supplier sees only its own products")

	status, body = r.call(t, http.MethodPost, "/v1/deployments", tokCamden, map[string]any{"council": "201", "product": "Wrenfold", "version": "2.0", "baseUrl": "https://x.example"})
	assert.Equal(t, 403, status)
	assert.Contains(t, string(body), "COUNCIL_NOT_OWNED")
	status, _ = r.call(t, http.MethodPost, "/v1/deployments", tokLarkspur, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "baseUrl": "https://x.example"})
	assert.Equal(t, 403, status, "a supplier declares no deployments")
	status, _ = r.call(t, http.MethodPost, "/v1/deployments", tokCamden, map[string]any{"council": "202", "product": "Wrenfold", "version": "2.0", "baseUrl": "https://cre.camden.example"})
	assert.Equal(t, 201, status)
	status, _ = r.call(t, http.MethodPost, "/v1/pairs", tokCamden, map[string]any{"senderProduct": "Wrenfold", "senderVersion": "2.0", "receiverProduct": "KinLedger", "receiverVersion": "3.3", "verdict": "PASS"})
	assert.Equal(t, 403, status, "a council records no pair results")
	status, _ = r.call(t, http.MethodGet, "/v1/can-i-deploy?product=Wrenfold&version=2.0&council=999", tokCamden, nil)
	assert.Equal(t, 400, status, "an unknown council code")
	status, _ = r.call(t, http.MethodGet, "/v1/certificates/999", tokDfE, nil)
	assert.Equal(t, 404, status)
}
