package simulators

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/spec"
)

// testStart is the injected clock of every rig: the reference, the quirks and the tokens agree
// on it, so that the tests do not depend on the day they run.
var testStart = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// Actors of the tests, all of council 202 (Camden), which is responsible for every child the
// tests create.
var (
	management = fixtures.Claims{Sub: "mgmt-1", Role: "LA_MANAGEMENT", Org: "LA-202", La: "202", Sector: "LA"}
	teacher    = fixtures.Claims{Sub: "pr-1", Role: "PRACTITIONER", Org: "SYN-SCHOOL-1", La: "202", Sector: "EDUCATION"}
	camhs      = fixtures.Claims{Sub: "pr-2", Role: "PRACTITIONER", Org: "SYN-CAMHS-1", La: "202", Sector: "HEALTH"}
)

// rig is one simulated product started in-process for a test, with an issuer it trusts and a
// fixture generator.
type rig struct {
	t      *testing.T
	in     *Instance
	issuer *fixtures.Issuer
	gen    *fixtures.Generator
	client *http.Client
}

// newRig starts profile p with opts (Keys and Clock are filled in) and closes it at cleanup.
func newRig(t *testing.T, p Profile, opts StartOptions) *rig {
	t.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	opts.Keys = reference.JWKSFromBytes(issuer.JWKS())
	opts.Clock = func() time.Time { return testStart }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, err := Start(ctx, p, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, in.Close()) })
	gen := fixtures.NewGenerator(7)
	gen.Today = testStart
	return &rig{t: t, in: in, issuer: issuer, gen: gen, client: &http.Client{Timeout: 10 * time.Second}}
}

// quirkRig starts a throw-away profile with the given quirks.
func quirkRig(t *testing.T, opts StartOptions, quirks ...string) *rig {
	t.Helper()
	return newRig(t, Profile{Name: "probe", Vendor: "Test", Product: "Probe", Version: "0", Quirks: quirks}, opts)
}

// reply is one response as a test sees it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (rp reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(rp.body, &v), "body: %s", rp.body)
	return v
}

// token returns a bearer token for actor, issued at the rig's time.
func (r *rig) token(actor fixtures.Claims) string {
	r.t.Helper()
	actor.IssuedAt = testStart
	tok, err := r.issuer.Token(actor)
	require.NoError(r.t, err)
	return tok
}

// do sends a request as actor (no Authorization when actor.Role is empty). body is encoded as
// JSON unless it is nil or already an io.Reader. Headers come in name, value pairs.
func (r *rig) do(method, path string, actor fixtures.Claims, body any, headers ...string) reply {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		require.NoError(r.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, r.in.URL+path, rd)
	require.NoError(r.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if actor.Role != "" {
		req.Header.Set("Authorization", "Bearer "+r.token(actor))
	}
	if method == http.MethodGet || strings.HasSuffix(path, "/search") {
		req.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := r.client.Do(req)
	require.NoError(r.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// createChild creates child as the management team and returns its id and ETag.
func (r *rig) createChild(child spec.NewChild) (string, string) {
	r.t.Helper()
	rp := r.do(http.MethodPost, "/v1/children", management, child)
	require.Equal(r.t, http.StatusCreated, rp.status, "create child: %s", rp.body)
	id, _ := rp.json(r.t)["id"].(string)
	require.NotEmpty(r.t, id)
	return id, rp.header.Get("ETag")
}

// readChild reads a child as the management team (every tier).
func (r *rig) readChild(id string) map[string]any {
	r.t.Helper()
	rp := r.do(http.MethodGet, "/v1/children/"+id, management, nil)
	require.Equal(r.t, http.StatusOK, rp.status, "read child: %s", rp.body)
	return rp.json(r.t)
}

// involvements lists a child's involvements as actor.
func (r *rig) involvements(childID string, actor fixtures.Claims) []map[string]any {
	r.t.Helper()
	rp := r.do(http.MethodGet, "/v1/children/"+childID+"/involvements", actor, nil)
	require.Equal(r.t, http.StatusOK, rp.status, "list involvements: %s", rp.body)
	var list struct {
		Involvements []map[string]any `json:"involvements"`
	}
	require.NoError(r.t, json.Unmarshal(rp.body, &list))
	return list.Involvements
}

// nhsValue returns the value of the NHS_NUMBER identifier of a record.
func nhsValue(record map[string]any) string {
	ids, _ := record["identifiers"].([]any)
	for _, x := range ids {
		if m, ok := x.(map[string]any); ok && m["system"] == "NHS_NUMBER" {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

// withNHS returns child with its NHS number replaced by value.
func withNHS(child spec.NewChild, value string) spec.NewChild {
	ids := []spec.Identifier{{System: "NHS_NUMBER", Value: value, Status: "CURRENT", Verified: true}}
	for _, id := range child.Identifiers {
		if id.System != "NHS_NUMBER" {
			ids = append(ids, id)
		}
	}
	child.Identifiers = ids
	return child
}
