package capture_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/capture"
	"github.com/icscert/icscert/internal/fidelity"
)

// stub is an upstream that answers with scripted statuses and bodies, in order (the last one
// repeats), and counts what it received.
type stub struct {
	mu      sync.Mutex
	answers []stubAnswer
	got     int
}

type stubAnswer struct {
	status int
	body   string
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	a := s.answers[min(s.got, len(s.answers)-1)]
	s.got++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if a.status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
	}
	w.Header().Set("X-Correlation-ID", "corr-1")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// through starts upstream behind a proxy with opts and returns the proxy and its URL.
func through(tb testing.TB, upstream http.Handler, opts capture.Options) (*capture.Proxy, string) {
	tb.Helper()
	up := httptest.NewServer(upstream)
	tb.Cleanup(up.Close)
	if opts.Name == "" {
		opts.Name = "system-b"
	}
	proxy, err := capture.New(up.URL, opts)
	require.NoError(tb, err)
	front := httptest.NewServer(proxy)
	tb.Cleanup(front.Close)
	return proxy, front.URL
}

// post sends body to url+path as system-a's SYSTEM token, with an Idempotency-Key if key is
// set; status 0 when no answer came.
func post(tb testing.TB, url, path, key, body string) int {
	tb.Helper()
	issuer, err := sharedIssuer()
	require.NoError(tb, err)
	tok, err := issuer.Token(fixtures.Claims{Sub: "system-a", Role: "SYSTEM", Org: "system-a", La: ownLa, Sector: "LA"})
	require.NoError(tb, err)
	req, err := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	require.NoError(tb, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation-ID", "corr-1")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := (&http.Client{Transport: noKeepAlive()}).Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// sharedIssuer is one token issuer for the tests at the wire.
var sharedIssuer = sync.OnceValues(func() (*fixtures.Issuer, error) {
	return fixtures.NewIssuer("https://issuer.icscert.test")
})

// validTransfer is a Transfer body as a receiver answers a delivery.
const validTransfer = `{"id":"t00000001","childId":"c00000001","fromLa":{"dfeCode":"202"},"toLa":{"dfeCode":"213"},"reason":"CHANGE_OF_ADDRESS","state":"PROPOSED","direction":"INBOUND","proposedAt":"2026-06-15T10:00:00.000Z"}`

// personalPackage is a delivery whose record carries personal data, and which breaks the
// contract: it lacks every required member but the record.
const personalPackage = `{"transferId":"t00000001","record":{"id":"c00000001","version":1,"status":"ACTIVE","name":{"given":["Zofia"],"family":"Kowalczyk-Example"},"gender":"FEMALE","dateOfBirth":"2015-02-03","identifiers":[{"system":"NHS_NUMBER","value":"9434765919","verified":true}]}}`

func TestFindingsNameTheSideAtFault(t *testing.T) {
	cases := []struct {
		name     string
		reason   string
		body     string
		answer   stubAnswer
		want     map[fidelity.Side]string // side → requirement of its findings
		wantNone fidelity.Side
	}{
		{
			"bad request", "a package that breaks its schema is the sender's: XFER-004", personalPackage,
			stubAnswer{http.StatusCreated, validTransfer},
			map[fidelity.Side]string{fidelity.Sender: "XFER-004"},
			fidelity.Receiver,
		},
		{
			"bad response", "an answer to a delivery that breaks the Transfer schema is the receiver's: XFER-003", validPackage(),
			stubAnswer{http.StatusCreated, `{"id":"t00000001","state":"ACCEPTED-ISH"}`},
			map[fidelity.Side]string{fidelity.Receiver: "XFER-003"},
			fidelity.Sender,
		},
		{
			"bad error", "an error answer that is not a problem is the receiver's: ERR-001", validPackage(),
			stubAnswer{http.StatusInternalServerError, `oops`},
			map[fidelity.Side]string{fidelity.Receiver: "ERR-001"},
			fidelity.Sender,
		},
		{
			"conforming", "a conforming exchange has no finding", validPackage(),
			stubAnswer{http.StatusCreated, validTransfer},
			map[fidelity.Side]string{},
			"",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proxy, url := through(t, &stub{answers: []stubAnswer{tc.answer}}, capture.Options{})
			require.Equal(t, tc.answer.status, post(t, url, packagePath, "t00000001", tc.body), "the client gets the upstream's answer")
			findings, cut := proxy.Findings()
			assert.Zero(t, cut)
			got := map[fidelity.Side]string{}
			for _, f := range findings {
				got[f.Side] = f.Requirement
				assert.Equal(t, 1, f.Exchange)
				assert.Equal(t, "deliverInboundTransfer", f.Operation)
				switch f.Side {
				case fidelity.Sender:
					assert.Equal(t, "system-a", f.System, "the sender is named by its token's org")
				case fidelity.Receiver:
					assert.Equal(t, "system-b", f.System)
				}
			}
			assert.Equal(t, tc.want, got, tc.reason)
			ex, _ := proxy.Exchanges()
			require.Len(t, ex, 1)
			assert.Equal(t, tc.answer.status, ex[0].Status)
			assert.Equal(t, 1, ex[0].Forwarded)
		})
	}
}

// validPackage is a conforming TransferPackage from the contract's own shapes.
func validPackage() string {
	return `{"transferId":"t00000001","childId":"c00000001","fromLa":{"dfeCode":"202"},"toLa":{"dfeCode":"213"},"reason":"CHANGE_OF_ADDRESS","proposedAt":"2026-06-15T10:00:00.000Z",` +
		`"record":{"id":"c00000001","version":1,"status":"ACTIVE","name":{"family":"Example"},"gender":"FEMALE"},` +
		`"involvements":[],"indicators":[],"shielding":{"shielded":false},"consents":[],"caseSummaryRefs":[]}`
}

func TestEvidenceIsRedactedAndBounded(t *testing.T) {
	proxy, url := through(t, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}, capture.Options{MaxRecords: 2, MaxBody: 300})
	for i := range 3 {
		post(t, url, packagePath, fmt.Sprintf("k-%d", i), personalPackage)
	}
	ex, notKept := proxy.Exchanges()
	require.Len(t, ex, 2, "MaxRecords bounds the exchanges kept")
	assert.Equal(t, 1, notKept)
	e := ex[0]
	for _, pd := range []string{"Zofia", "Kowalczyk", "2015-02-03", "9434765919"} {
		assert.NotContains(t, e.RequestBody, pd, "personal data is redacted")
	}
	assert.Contains(t, e.RequestBody, "[redacted:")
	assert.Equal(t, "Bearer [redacted:token]", e.RequestHeaders["Authorization"])
	assert.LessOrEqual(t, len(e.RequestBody), 300+40, "MaxBody bounds each body kept")
	assert.Equal(t, "system-a", e.From)
	assert.Equal(t, 1, e.Attempt)
	assert.Equal(t, "deliverInboundTransfer", e.Operation)
	findings, _ := proxy.Findings()
	for _, f := range findings {
		for _, pd := range []string{"Zofia", "Kowalczyk", "9434765919"} {
			assert.NotContains(t, f.Actual+f.Message, pd, "findings are redacted")
		}
	}
}

func TestIdempotencyAcrossAttempts(t *testing.T) {
	t.Run("receiver refuses a repeat it once accepted", func(t *testing.T) {
		proxy, url := through(t, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}, {http.StatusConflict, `{"type":"https://icscert.example/problems/invalid-state","title":"Conflict","status":409,"code":"INVALID_STATE","correlationId":"corr-1"}`}}}, capture.Options{})
		post(t, url, packagePath, "t00000001", validPackage())
		post(t, url, packagePath, "t00000001", validPackage())
		attempts, forwarded := proxy.Attempts("t00000001")
		assert.Equal(t, 2, attempts)
		assert.Equal(t, 2, forwarded)
		findings, _ := proxy.Findings()
		var xfer []capture.Finding
		for _, f := range findings {
			if f.Requirement == "XFER-003" {
				xfer = append(xfer, f)
			}
		}
		require.Len(t, xfer, 1, "%v", findings)
		assert.Equal(t, fidelity.Receiver, xfer[0].Side)
		assert.Equal(t, 2, xfer[0].Exchange)
	})
	t.Run("sender reuses a key for another body", func(t *testing.T) {
		proxy, url := through(t, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}, capture.Options{})
		post(t, url, packagePath, "t00000001", validPackage())
		post(t, url, packagePath, "t00000001", strings.Replace(validPackage(), "CHANGE_OF_ADDRESS", "DATA_CORRECTION", 1))
		findings, _ := proxy.Findings()
		require.Len(t, findings, 1, "%v", findings)
		assert.Equal(t, fidelity.Sender, findings[0].Side)
		assert.Equal(t, "XFER-003", findings[0].Requirement)
	})
}

func TestFaultsAtTheWire(t *testing.T) {
	cases := []struct {
		name      string
		fault     capture.Fault
		status    int // what the client sees; 0 for a connection error
		forwarded int
	}{
		{"drop request", capture.Fault{Kind: capture.DropRequest, Times: 1}, 0, 0},
		{"drop response", capture.Fault{Kind: capture.DropResponse, Times: 1}, 0, 1},
		{"duplicate", capture.Fault{Kind: capture.Duplicate, Times: 1}, http.StatusCreated, 2},
		{"no match", capture.Fault{Kind: capture.DropRequest, Method: http.MethodGet, Times: 1}, http.StatusCreated, 1},
		{"path mismatch", capture.Fault{Kind: capture.DropRequest, Path: outcomePath, Times: 1}, http.StatusCreated, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}
			proxy, url := through(t, up, capture.Options{})
			require.NoError(t, proxy.Inject(tc.fault))
			assert.Equal(t, tc.status, post(t, url, packagePath, "t00000001", validPackage()))
			assert.Equal(t, http.StatusCreated, post(t, url, packagePath, "t00000001", validPackage()), "a fault armed once applies once")
			_, forwarded := proxy.Attempts("t00000001")
			assert.Equal(t, tc.forwarded+1, forwarded)
			assert.Equal(t, tc.forwarded+1, up.got, "the upstream saw what the proxy says it forwarded")
		})
	}
	t.Run("refused faults", func(t *testing.T) {
		proxy, _ := through(t, &stub{answers: []stubAnswer{{200, "{}"}}}, capture.Options{})
		require.Error(t, proxy.Inject(capture.Fault{Kind: "explode", Times: 1}))
		require.Error(t, proxy.Inject(capture.Fault{Kind: capture.DropRequest}))
		require.Error(t, proxy.Inject(capture.Fault{Kind: capture.Delay, Delay: 1e6, Times: 1, Detach: true}), "Detach is a reorder's only")
		require.Error(t, proxy.Inject(capture.Fault{Kind: capture.DropRequest, Times: 1, Path: "["}))
		require.Error(t, proxy.Inject(capture.Fault{Kind: capture.Delay, Times: 1}))
		assert.Zero(t, proxy.Armed())
	})
	t.Run("reorder without a later delivery goes in order", func(t *testing.T) {
		proxy, url := through(t, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}, capture.Options{})
		require.NoError(t, proxy.Inject(capture.Fault{Kind: capture.Reorder, Times: 1, Delay: 50 * 1e6}))
		assert.Equal(t, http.StatusCreated, post(t, url, packagePath, "t00000001", validPackage()))
		ex, _ := proxy.Exchanges()
		require.Len(t, ex, 1)
		assert.Contains(t, ex[0].Error, "forwarded in order")
	})
}

func TestConcurrentUse(t *testing.T) {
	proxy, url := through(t, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}, capture.Options{MaxRecords: 10})
	require.NoError(t, proxy.Inject(capture.Fault{Kind: capture.Duplicate, Times: 5}))
	issuer, err := sharedIssuer()
	require.NoError(t, err)
	tok, err := issuer.Token(fixtures.Claims{Sub: "system-a", Role: "SYSTEM", Org: "system-a", La: ownLa, Sector: "LA"})
	require.NoError(t, err)
	send := func(key string) {
		req, err := http.NewRequest(http.MethodPost, url+packagePath, strings.NewReader(validPackage()))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		if resp, err := (&http.Client{Transport: noKeepAlive()}).Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(fmt.Sprintf("k-%d", i%4))
			_, _ = proxy.Exchanges()
			_, _ = proxy.Findings()
		}()
	}
	wg.Wait()
	ex, notKept := proxy.Exchanges()
	assert.Len(t, ex, 10)
	assert.Equal(t, 10, notKept)
	total := 0
	for i := range 4 {
		a, _ := proxy.Attempts(fmt.Sprintf("k-%d", i))
		total += a
	}
	assert.Equal(t, 20, total)
	assert.Zero(t, proxy.Armed())
	b, err := json.Marshal(ex)
	require.NoError(t, err)
	assert.NotEmpty(t, b)
}
