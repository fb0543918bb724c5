package simulators

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// seenRequest is a request as the transport under a quirk received it.
type seenRequest struct {
	header http.Header
	body   []byte
}

// recordingTransport answers 204 to everything and keeps what it was sent.
type recordingTransport struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.seen = append(rt.seen, seenRequest{header: r.Header.Clone(), body: b})
	rt.mu.Unlock()
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// Outgoing deliveries of TestExchangeQuirksTouchOnlyTheirDeliveries, as the reference makes them.
const (
	kindShieldedPackage = "package of a shielded record, no references"
	kindPackageWithRefs = "package of an unshielded record, with references"
	kindOutcome         = "transfer outcome"
	kindWebhook         = "webhook"
)

// outgoing builds the delivery of kind.
func outgoing(t *testing.T, kind string) *http.Request {
	t.Helper()
	var url, body string
	header := http.Header{"Content-Type": {"application/json"}}
	switch kind {
	case kindShieldedPackage:
		url = "http://receiver.test/base/v1/inbound/transfers"
		body = `{"transferId":"tr-00000001","record":{"id":"c-00000001","shielding":{"shielded":true,"reasonCode":"DOMESTIC_ABUSE"}},"shielding":{"shielded":true,"reasonCode":"DOMESTIC_ABUSE","reviewDue":"2027-01-01"},"consents":[],"caseSummaryRefs":[]}`
		header.Set("Idempotency-Key", "tr-00000001")
	case kindPackageWithRefs:
		url = "http://receiver.test/v1/inbound/transfers"
		body = `{"transferId":"tr-00000002","record":{"id":"c-00000002","shielding":{"shielded":false}},"shielding":{"shielded":false},"consents":[{"id":"co-1"}],"caseSummaryRefs":[{"type":"CHILD_IN_NEED_PLAN"}]}`
		header.Set("Idempotency-Key", "tr-00000002")
	case kindOutcome:
		url = "http://sender.test/v1/inbound/transfers/tr-00000003/outcome"
		body = `{"transferId":"tr-00000003","state":"ACCEPTED","decidedAt":"2026-06-15T10:00:00Z"}`
	case kindWebhook:
		url = "http://subscriber.test/v1/inbound/transfers" // a subscriber's URL may look like anything
		body = `{"eventId":"ev-1","seq":3,"type":"INVOLVEMENT_ADDED","occurredAt":"2026-06-15T10:00:00.000Z","childId":"c-00000001","la":"202"}`
		header.Set(spec.HeaderWebhookID, "ev-1")
		header.Set(spec.HeaderWebhookTimestamp, "1781517600")
		header.Set(spec.HeaderWebhookSignature, spec.SignWebhook(webhookSecret, "1781517600", []byte(body)))
	}
	r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
	r.RequestURI = ""
	r.Header = header
	return r
}

// TestExchangeQuirksTouchOnlyTheirDeliveries sends each kind of outgoing delivery through each
// quirk of outgoing traffic alone: the deliveries a quirk is about are changed (a duplicated
// webhook is sent twice), every other one reaches the network byte for byte with its headers.
func TestExchangeQuirksTouchOnlyTheirDeliveries(t *testing.T) {
	changes := map[string][]string{
		QuirkTransferShieldDropped:   {kindShieldedPackage},
		QuirkTransferCaseRefsDropped: {kindPackageWithRefs},
		QuirkWebhookNoSeq:            {kindWebhook},
		QuirkWebhookDuplicated:       {kindWebhook},
		QuirkWebhookUnsigned:         {kindWebhook},
		QuirkWebhookSignedBodyOnly:   {kindWebhook},
	}
	for _, q := range Quirks() {
		if q.transport == nil {
			continue
		}
		want, ok := changes[q.ID]
		require.True(t, ok, "quirk %s has a row", q.ID)
		for _, kind := range []string{kindShieldedPackage, kindPackageWithRefs, kindOutcome, kindWebhook} {
			t.Run(q.ID+"/"+kind, func(t *testing.T) {
				cfg := Config{secrets: &secretBook{}}
				cfg.secrets.add(webhookSecret)
				next := &recordingTransport{}
				orig := outgoing(t, kind)
				pristine := outgoing(t, kind)
				origBody, err := io.ReadAll(pristine.Body)
				require.NoError(t, err)
				resp, err := q.Transport(cfg)(next).RoundTrip(orig)
				require.NoError(t, err)
				defer func() { _ = resp.Body.Close() }()
				assert.Equal(t, http.StatusNoContent, resp.StatusCode, "the network's answer is the delivery's answer")
				require.NotEmpty(t, next.seen)
				changed := slices.ContainsFunc(next.seen, func(s seenRequest) bool {
					return !bytes.Equal(s.body, origBody) || !equalHeaders(s.header, pristine.Header)
				})
				assert.True(t, equalHeaders(orig.Header, pristine.Header), "a RoundTripper leaves the caller's request alone")
				assert.Equal(t, slices.Contains(want, kind), changed, "changed: %s", next.seen[len(next.seen)-1].body)
				wantSent := 1
				if q.ID == QuirkWebhookDuplicated && kind == kindWebhook {
					wantSent = 2
				}
				assert.Len(t, next.seen, wantSent)
			})
		}
	}
}

// equalHeaders compares two headers.
func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestReceiverQuirksTouchOnlyPackages sends requests other than a package delivery through each
// receiver quirk: the reference behind gets them byte for byte.
func TestReceiverQuirksTouchOnlyPackages(t *testing.T) {
	requests := []struct{ method, path, body string }{
		{http.MethodPost, "/v1/inbound/transfers/tr-1/outcome", `{"transferId":"tr-1","state":"ACCEPTED","decidedAt":"2026-06-15T10:00:00Z"}`},
		{http.MethodPost, "/v1/children/c-1/consents", `{"scope":"SENSITIVE_SERVICE_DISCLOSURE","consents":[1]}`},
		{http.MethodPost, "/v1/transfers", `{"transferId":"tr-1","shielding":{"shielded":true}}`},
		{http.MethodGet, "/v1/inbound/transfers", ``},
	}
	for _, q := range Quirks() {
		if q.Side != SideReceiver {
			continue
		}
		for _, rq := range requests {
			t.Run(q.ID+"/"+rq.method+" "+rq.path, func(t *testing.T) {
				var got []byte
				var key string
				h := q.Middleware(Config{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					got, _ = io.ReadAll(r.Body)
					key = r.Header.Get("Idempotency-Key")
					w.WriteHeader(http.StatusCreated)
				}))
				for range 2 { // a repeat, as a retry would be
					r := httptest.NewRequest(rq.method, rq.path, strings.NewReader(rq.body))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Idempotency-Key", "k-1")
					h.ServeHTTP(httptest.NewRecorder(), r)
					assert.Equal(t, rq.body, string(got))
					assert.Equal(t, "k-1", key)
				}
			})
		}
	}
}
