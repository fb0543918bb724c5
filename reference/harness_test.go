package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

// Councils of the tests: the responsible council, another live one, and a terminated one.
const (
	ownLa        = "202" // Camden
	otherLa      = "213" // Westminster
	terminatedLa = "909" // Cumbria, replaced by 942 and 943
)

// testStart is the injected clock's starting instant.
var testStart = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

// testClock is a settable clock, safe for concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advance moves the clock on by years, months and days.
func (c *testClock) advance(years, months, days int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.AddDate(years, months, days)
}

// harness runs a reference server in httptest with a fixtures.Issuer JWKS, an injected
// clock and an in-memory store.
type harness struct {
	t        *testing.T
	srv      *Server
	store    store.Store
	http     *httptest.Server
	issuer   *fixtures.Issuer
	clock    *testClock
	gen      *fixtures.Generator
	contract *spec.Contract

	mu       sync.Mutex
	requests int // requests sent to audited paths
}

// harnessOption changes the server options of a harness.
type harnessOption func(*Options)

// newHarness starts a server for one test. At cleanup it checks that the audit log is a
// sound chain with exactly one event per audited request (AUDIT-001, AUDIT-003).
func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	st, err := sqlite.Open(sqlite.Memory)
	require.NoError(t, err)
	return newHarnessOn(t, st, opts...)
}

// newHarnessOn starts a server over st, which the server then owns.
func newHarnessOn(t *testing.T, st store.Store, opts ...harnessOption) *harness {
	t.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	clock := &testClock{now: testStart}
	o := Options{Store: st, Keys: JWKSFromBytes(issuer.JWKS()), Clock: clock.Now}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := New(o)
	require.NoError(t, err)
	gen := fixtures.NewGenerator(42)
	gen.Today = testStart
	h := &harness{
		t: t, srv: srv, store: st, issuer: issuer, clock: clock, gen: gen,
		contract: spec.MustLoad(), http: httptest.NewServer(srv.Handler()),
	}
	t.Cleanup(func() {
		h.http.Close()
		if !t.Failed() {
			h.checkAuditLog()
		}
		require.NoError(t, srv.Close())
	})
	return h
}

// checkAuditLog asserts one sound chain with one event per audited request.
func (h *harness) checkAuditLog() {
	h.t.Helper()
	events := h.auditLog()
	require.NoError(h.t, audit.VerifyChain(events), "the audit log must be a sound hash chain")
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Len(h.t, events, h.requests, "every audited request leaves exactly one audit event")
}

// auditLog reads every audit event from the store.
func (h *harness) auditLog() []spec.AuditEvent {
	h.t.Helper()
	var events []spec.AuditEvent
	require.NoError(h.t, h.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		events, err = tx.AuditEvents(store.AuditQuery{Limit: 1 << 30})
		return err
	}))
	return events
}

// notifications reads a child's notification outbox.
func (h *harness) notifications(childID string) []store.Notification {
	h.t.Helper()
	var out []store.Notification
	require.NoError(h.t, h.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.Notifications(childID)
		return err
	}))
	return out
}

// notificationTypes lists the types of a child's notifications in order.
func (h *harness) notificationTypes(childID string) []string {
	var types []string
	for _, n := range h.notifications(childID) {
		types = append(types, n.Type)
	}
	return types
}

// countChildren counts the stored children.
func (h *harness) countChildren() int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.store.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.CountChildren()
		return err
	}))
	return n
}

// Callers of the tests.
func (h *harness) mgmt() *contractClient { return h.as(roleLAManagement, ownLa, "LA") }

func (h *harness) otherMgmt() *contractClient {
	return h.as(roleLAManagement, otherLa, "LA")
}

func (h *harness) teacher() *contractClient { return h.as(rolePractitioner, ownLa, sectorEducation) }
func (h *harness) gp() *contractClient      { return h.as(rolePractitioner, otherLa, sectorHealth) }
func (h *harness) socialWorker() *contractClient {
	return h.as(roleSocialWorker, ownLa, "SOCIAL_CARE")
}

func (h *harness) otherSocialWorker() *contractClient {
	return h.as(roleSocialWorker, otherLa, "SOCIAL_CARE")
}

func (h *harness) emergency() *contractClient {
	return h.as(roleHealthUnscheduled, otherLa, sectorHealth)
}
func (h *harness) auditor() *contractClient { return h.as(roleAuditor, ownLa, "LA") }
func (h *harness) system() *contractClient  { return h.as(roleSystem, ownLa, "LA") }

// as returns a client with a token for one caller.
func (h *harness) as(role, la, sector string) *contractClient {
	org := strings.ToLower(role) + "-" + la + "-" + strings.ToLower(sector)
	return &contractClient{h: h, claims: fixtures.Claims{Sub: "user-" + org, Role: role, Org: org, La: la, Sector: sector}}
}

// contractClient sends requests as one caller. Every exchange goes through roundTrip, which
// checks it with spec.Contract.Check: any response violation fails the test, and so does any
// request violation unless the request is marked as deliberately breaking the contract (it
// must then be refused with a 4xx). It also checks what every response owes: a correlation
// id, and problem+json carrying it for every error.
type contractClient struct {
	h      *harness
	claims fixtures.Claims
	token  string // when set, sent instead of a fresh token
}

// withOrg returns a copy of the client with another org claim.
func (cl *contractClient) withOrg(org string) *contractClient {
	c := *cl
	c.claims.Org = org
	return &c
}

// withToken returns a copy of the client that sends token as is ("" sends none).
func (cl *contractClient) withToken(token string) *contractClient {
	c := *cl
	c.token = token
	if token == "" {
		c.token = "-"
	}
	return &c
}

// request is one request of a test.
type request struct {
	method, path string
	body         any    // encoded as JSON
	raw          []byte // sent as is when set (with contentType)
	contentType  string // default application/json when there is a body
	purpose      string // X-Purpose-Of-Use; reads default to SAFEGUARDING_CONCERN
	noPurpose    bool
	ifMatch      string
	header       map[string]string
	// breaksContract marks a request that deliberately breaks the contract; it must be
	// refused with a 4xx.
	breaksContract bool
}

// response is one response of a test.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r and checks the exchange. It only asserts, never stops the test, so that it
// may run on other goroutines; a transport failure returns a response with status 0.
func (cl *contractClient) do(t *testing.T, r request) *response {
	t.Helper()
	var body []byte
	switch {
	case r.raw != nil:
		body = r.raw
	case r.body != nil:
		var err error
		body, err = json.Marshal(r.body)
		if !assert.NoError(t, err) { //nolint:testifylint // do runs on other goroutines too, so it never stops the test
			return &response{}
		}
	}
	req, err := http.NewRequest(r.method, cl.h.http.URL+r.path, bytes.NewReader(body))
	if !assert.NoError(t, err) { //nolint:testifylint // see above
		return &response{}
	}
	if body != nil {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case cl.token == "-":
	case cl.token != "":
		req.Header.Set("Authorization", "Bearer "+cl.token)
	default:
		req.Header.Set("Authorization", "Bearer "+cl.freshToken(t))
	}
	purpose := r.purpose
	if purpose == "" && !r.noPurpose && (r.method == http.MethodGet || strings.HasSuffix(r.path, "/search")) {
		purpose = "SAFEGUARDING_CONCERN"
	}
	if purpose != "" {
		req.Header.Set("X-Purpose-Of-Use", purpose)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return cl.roundTrip(t, req, body, r.breaksContract)
}

// freshToken issues a token for the client's claims at the injected clock's time.
func (cl *contractClient) freshToken(t *testing.T) string {
	t.Helper()
	c := cl.claims
	c.IssuedAt = cl.h.clock.Now()
	tok, err := cl.h.issuer.Token(c)
	assert.NoError(t, err) //nolint:testifylint // runs on other goroutines too
	return tok
}

// roundTrip sends req and checks the exchange against the contract. Nothing bypasses it.
func (cl *contractClient) roundTrip(t *testing.T, req *http.Request, body []byte, breaksContract bool) *response {
	t.Helper()
	if audited(req.URL.Path) {
		cl.h.mu.Lock()
		cl.h.requests++
		cl.h.mu.Unlock()
	}
	resp, err := http.DefaultClient.Do(req)
	if !assert.NoError(t, err) { //nolint:testifylint // runs on other goroutines too
		return &response{}
	}
	defer func() { _ = resp.Body.Close() }()
	respBody, err := io.ReadAll(resp.Body)
	assert.NoError(t, err) //nolint:testifylint // runs on other goroutines too
	out := &response{status: resp.StatusCode, header: resp.Header, body: respBody}

	res := cl.h.contract.Check(req, body, resp.StatusCode, resp.Header, respBody)
	for _, v := range res.ResponseViolations() {
		t.Errorf("%s %s → %d: contract violation: %s\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, v, respBody)
	}
	if breaksContract {
		assert.GreaterOrEqual(t, resp.StatusCode, 400, "a request that breaks the contract must be refused")
		assert.Less(t, resp.StatusCode, 500, "bad input never gets a 5xx")
	} else {
		for _, v := range res.RequestViolations() {
			t.Errorf("%s %s: the test's request breaks the contract: %s", req.Method, req.URL.Path, v)
		}
	}
	corr := resp.Header.Get("X-Correlation-ID")
	assert.NotEmpty(t, corr, "every response carries X-Correlation-ID")
	if id := req.Header.Get("X-Correlation-ID"); id != "" && resp.StatusCode != http.StatusBadRequest {
		assert.Equal(t, id, corr, "X-Correlation-ID is echoed")
	}
	if resp.StatusCode >= 400 && req.Method != http.MethodHead {
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), "errors are problem+json")
		var p spec.Problem
		if assert.NoError(t, json.Unmarshal(respBody, &p), "errors are problem+json: %s", respBody) {
			assert.Equal(t, corr, p.CorrelationID, "a problem carries the correlation id")
		}
		assert.NotContains(t, string(respBody), "goroutine", "no stack traces in problems")
	}
	return out
}

// audited reports whether requests to path leave an audit event.
func audited(path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return (path == "/v1" || strings.HasPrefix(path, "/v1/")) && path != "/v1/meta" && path != "/v1/reference/local-authorities"
}

// Convenience requests.

func (cl *contractClient) get(t *testing.T, path string) *response {
	t.Helper()
	return cl.do(t, request{method: http.MethodGet, path: path})
}

func (cl *contractClient) post(t *testing.T, path string, body any) *response {
	t.Helper()
	return cl.do(t, request{method: http.MethodPost, path: path, body: body})
}

func (cl *contractClient) patch(t *testing.T, path string, version int64, body any) *response {
	t.Helper()
	return cl.do(t, request{method: http.MethodPatch, path: path, body: body, ifMatch: etag(version)})
}

// etag renders a version as a strong ETag.
func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// createChild creates a child and returns its record as the caller sees it.
func (cl *contractClient) createChild(t *testing.T, nc spec.NewChild) spec.ChildRecord {
	t.Helper()
	resp := cl.post(t, "/v1/children", nc)
	require.Equal(t, http.StatusCreated, resp.status, "create child: %s", resp.body)
	var rec spec.ChildRecord
	resp.decode(t, &rec)
	return rec
}

// readChild reads a child's record as the caller, expecting 200.
func (cl *contractClient) readChild(t *testing.T, id string) spec.ChildRecord {
	t.Helper()
	resp := cl.get(t, "/v1/children/"+id)
	require.Equal(t, http.StatusOK, resp.status, "read child: %s", resp.body)
	var rec spec.ChildRecord
	resp.decode(t, &rec)
	return rec
}

// addInvolvement adds an involvement, expecting 201.
func (cl *contractClient) addInvolvement(t *testing.T, childID string, ni spec.NewInvolvement) spec.Involvement {
	t.Helper()
	resp := cl.post(t, "/v1/children/"+childID+"/involvements", ni)
	require.Equal(t, http.StatusCreated, resp.status, "add involvement: %s", resp.body)
	var inv spec.Involvement
	resp.decode(t, &inv)
	return inv
}

// involvements lists a child's involvements as the caller, expecting 200.
func (cl *contractClient) involvements(t *testing.T, childID string) []spec.Involvement {
	t.Helper()
	resp := cl.get(t, "/v1/children/"+childID+"/involvements")
	require.Equal(t, http.StatusOK, resp.status, "list involvements: %s", resp.body)
	var list spec.InvolvementList
	resp.decode(t, &list)
	return list.Involvements
}

// addIndicator sets an indicator, expecting 201.
func (cl *contractClient) addIndicator(t *testing.T, childID string, ni spec.NewIndicator) spec.Indicator {
	t.Helper()
	resp := cl.post(t, "/v1/children/"+childID+"/indicators", ni)
	require.Equal(t, http.StatusCreated, resp.status, "add indicator: %s", resp.body)
	var ind spec.Indicator
	resp.decode(t, &ind)
	return ind
}

// recordConsent records a consent, expecting 201.
func (cl *contractClient) recordConsent(t *testing.T, childID string, nc spec.NewConsent) spec.Consent {
	t.Helper()
	resp := cl.post(t, "/v1/children/"+childID+"/consents", nc)
	require.Equal(t, http.StatusCreated, resp.status, "record consent: %s", resp.body)
	var con spec.Consent
	resp.decode(t, &con)
	return con
}

// search searches, expecting 200.
func (cl *contractClient) search(t *testing.T, sr spec.SearchRequest) spec.SearchResult {
	t.Helper()
	resp := cl.post(t, "/v1/children/search", sr)
	require.Equal(t, http.StatusOK, resp.status, "search: %s", resp.body)
	var out spec.SearchResult
	resp.decode(t, &out)
	return out
}

// decode decodes the response body.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "decode %s", r.body)
}

// problem decodes a problem body.
func (r *response) problem(t *testing.T) spec.Problem {
	t.Helper()
	var p spec.Problem
	r.decode(t, &p)
	return p
}

// fields decodes the body into a generic map, to check which properties are present.
func (r *response) fields(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// expectProblem asserts the response is the problem code with its registered status.
func (r *response) expectProblem(t *testing.T, code string) spec.Problem {
	t.Helper()
	e, found := spec.LookupError(code)
	require.True(t, found, "unregistered code %s", code)
	require.Equal(t, e.Status, r.status, "want %s: %s", code, r.body)
	p := r.problem(t)
	assert.Equal(t, code, p.Code)
	return p
}

// ids returns the ids of search results.
func ids(res spec.SearchResult) []string {
	var out []string
	for _, r := range res.Results {
		out = append(out, r.ID)
	}
	return out
}

// Requirement coverage: every requirement of the reference's groups must be named by at
// least one test or table row, checked when the whole package runs.

var (
	coveredMu sync.Mutex
	covered   = map[string]bool{}
	reqIDRE   = regexp.MustCompile(`\b(?:ID|SEARCH|READ|INV|FLAG|SENS|CONSENT|AUDIT|AUTH|ERR|VER|XFER|NOTIF)-[0-9]{3}\b`)
)

// covers records the requirement ids a subtest's name starts with, and returns the name:
// t.Run(covers("ID-001/spaces are ignored"), ...).
func covers(name string) string {
	coveredMu.Lock()
	defer coveredMu.Unlock()
	for _, id := range reqIDRE.FindAllString(name, -1) {
		covered[id] = true
	}
	return name
}

// referenceGroups are the requirement groups the reference serves so far.
var referenceGroups = []string{"ID", "SEARCH", "READ", "INV", "FLAG", "SENS", "CONSENT", "AUDIT", "AUTH", "ERR", "VER", "XFER", "NOTIF"}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		var missing []string
		for _, r := range spec.MustLoad().Requirements {
			if slices.Contains(referenceGroups, r.Group) && !covered[r.ID] {
				missing = append(missing, r.ID)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "requirements without a test: %s\n", strings.Join(missing, ", "))
			code = 1
		}
	}
	os.Exit(code)
}
