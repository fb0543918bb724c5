package steps

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	messages "github.com/cucumber/messages/go/v34"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// testWorld returns the World of a scenario tagged @READ-001 against a target served by h.
func testWorld(t *testing.T, h http.Handler, opts func(*Options)) *World {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	issuer, err := fixtures.NewIssuer("http://issuer.test")
	require.NoError(t, err)
	o := Options{BaseURL: srv.URL, Contract: spec.MustLoad(), Issuer: issuer, Redact: true, RequestTimeout: 2 * time.Second}
	if opts != nil {
		opts(&o)
	}
	s, err := NewSuite(o)
	require.NoError(t, err)
	w := s.newWorld(&messages.Pickle{
		Id: "p1", Uri: "features/test.feature", Location: &messages.Location{Line: 3},
		Tags: []*messages.PickleTag{{Name: "@READ-001"}, {Name: "@positive"}},
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w.ctx, w.cancel = context.WithValue(ctx, worldKey{}, w), cancel
	return w
}

// childRecord is a conforming ChildRecord body with dateOfBirth dob and gender.
func childRecord(dob, gender string) string {
	return fmt.Sprintf(`{"id":"child-0001","version":1,"status":"ACTIVE","name":{"given":["Amara"],"family":"Okafor"},"gender":%q,"dateOfBirth":%q}`, gender, dob)
}

func serveChild(dob, gender string, etag bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Correlation-ID", r.Header.Get("X-Correlation-ID"))
		if etag {
			w.Header().Set("ETag", `"1"`)
		}
		fmt.Fprint(w, childRecord(dob, gender))
	}
}

func TestSendAttributesResponseViolations(t *testing.T) {
	cases := []struct {
		reason  string
		handler http.Handler
		want    map[string]string // requirement → pointer of the finding
	}{
		{"a conforming record raises nothing", serveChild("2015-12-31", "FEMALE", true), map[string]string{}},
		{"a dd/mm/yyyy date fails READ-004 only", serveChild("31/12/2015", "FEMALE", true), map[string]string{"READ-004": "/dateOfBirth"}},
		{"an M/F gender fails READ-004 only", serveChild("2015-12-31", "F", true), map[string]string{"READ-004": "/gender"}},
		{"a missing ETag fails READ-001", serveChild("2015-12-31", "FEMALE", false), map[string]string{"READ-001": "header:ETag"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			w := testWorld(t, c.handler, nil)
			r, err := w.Send(Request{Method: "GET", Path: "/v1/children/child-0001", Purpose: "SAFEGUARDING_CONCERN"})
			require.NoError(t, err, "a response violation does not fail the step")
			assert.Equal(t, "getChild", r.Operation)
			got := map[string]string{}
			for _, f := range w.Findings() {
				assert.Equal(t, reports.Fail, f.Verdict)
				require.Len(t, f.Requirements, 1)
				got[f.Requirements[0]] = f.Failure.Pointer
				require.Len(t, f.Failure.Exchanges, 1, "a violation carries its exchange")
				assert.NotContains(t, f.Failure.Exchanges[0].ResponseBody, "Okafor", "evidence is redacted")
				assert.NotContains(t, f.Failure.Actual, "31/12/2015", "actual values are redacted")
			}
			assert.Equal(t, c.want, got, c.reason)
		})
	}
}

func TestSendRequestViolations(t *testing.T) {
	w := testWorld(t, serveChild("2015-12-31", "FEMALE", true), nil)
	bad := map[string]any{"name": map[string]any{"family": "X"}, "gender": "UNICORN"}

	_, err := w.Send(Request{Method: "POST", Path: "/v1/children", Body: bad})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce, "a request breaking the contract without Invalid is a harness defect")
	assert.Contains(t, err.Error(), "/gender")

	_, err = w.Send(Request{Method: "POST", Path: "/v1/children", Body: bad, Invalid: true})
	assert.NoError(t, err, "a deliberately invalid request raises nothing about the request")
}

func TestSendHeadersAndEvidence(t *testing.T) {
	var got http.Header
	w := testWorld(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		serveChild("2015-12-31", "FEMALE", true)(rw, r)
	}), nil)
	a, err := w.AddActor("Priya", "PRACTITIONER", "HEALTH", "202", "")
	require.NoError(t, err)
	r, err := w.Send(Request{Method: "GET", Path: "/v1/children/child-0001", As: a, Purpose: "SERVICE_COORDINATION"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(got.Get("Authorization"), "Bearer ey"), "the actor's token is sent")
	assert.Equal(t, "SERVICE_COORDINATION", got.Get("X-Purpose-Of-Use"))
	assert.Equal(t, r.CorrelationID, got.Get("X-Correlation-ID"))
	assert.True(t, validCorrelationID(r.CorrelationID))
	assert.Equal(t, "Bearer [redacted:token]", r.Exchange.RequestHeaders["Authorization"], "tokens never reach evidence")
	assert.Same(t, r, w.Last)
}

func TestSendTargetErrors(t *testing.T) {
	cases := []struct {
		reason  string
		handler http.Handler
		opts    func(*Options)
		cut     bool // close the server before sending
		want    string
	}{
		{
			"a target that does not answer in time is ERROR", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // hangs until the client gives up
			}),
			func(o *Options) { o.RequestTimeout = 50 * time.Millisecond }, false, "per-request timeout",
		},
		{"a target that is not listening is ERROR", http.NotFoundHandler(), nil, true, "refused"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			w := testWorld(t, http.NotFoundHandler(), func(o *Options) {
				o.BaseURL = srv.URL
				if c.opts != nil {
					c.opts(o)
				}
			})
			if c.cut {
				srv.Close()
			} else {
				t.Cleanup(func() {
					srv.CloseClientConnections()
					srv.Close()
				})
			}
			start := time.Now()
			_, err := w.Send(Request{Method: "GET", Path: "/v1/meta"})
			var te *TargetError
			require.ErrorAs(t, err, &te, c.reason)
			assert.Contains(t, err.Error(), c.want)
			assert.Less(t, time.Since(start), time.Second)
			require.Len(t, w.exchanges, 1, "a failed exchange is still evidence")
			assert.NotEmpty(t, w.exchanges[0].Error)
		})
	}
}

func TestSendScenarioTimeout(t *testing.T) {
	w := testWorld(t, serveChild("2015-12-31", "FEMALE", true), func(o *Options) { o.ScenarioTimeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	w.ctx = ctx
	_, err := w.Send(Request{Method: "GET", Path: "/v1/meta"})
	var te *TargetError
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "ran out of its 1m0s")
}

func TestExpand(t *testing.T) {
	w := testWorld(t, http.NotFoundHandler(), nil)
	w.Remember("child", "Amara", "c-1")
	w.Remember("involvement", "school place", "i-9")
	cases := []struct {
		reason, in, want string
		config           bool
	}{
		{"a path reference", "/v1/children/{child:Amara}/involvements", "/v1/children/c-1/involvements", false},
		{"names may have spaces", "/v1/involvements/{involvement:school place}", "/v1/involvements/i-9", false},
		{"JSON bodies are left alone", `{"mergedId": "{child:Amara}", "x": {"y": 1}}`, `{"mergedId": "c-1", "x": {"y": 1}}`, false},
		{"an unknown name is a suite defect", "/v1/children/{child:Bea}", "", true},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got, err := w.Expand(c.in)
			if c.config {
				var ce *ConfigError
				assert.ErrorAs(t, err, &ce)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
