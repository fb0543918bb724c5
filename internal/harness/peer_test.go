package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
)

// xferTags selects every transfer scenario.
const xferTags = "@XFER-001,@XFER-002,@XFER-003,@XFER-004,@XFER-005,@XFER-006"

// TestTransfersAgainstReference runs every XFER scenario against the reference, with the
// in-process reference as the peer: both directions must pass.
func TestTransfersAgainstReference(t *testing.T) {
	start := time.Now()
	rep, err := Run(context.Background(), Config{Target: referenceTarget(t), Tags: xferTags, Redact: true})
	require.NoError(t, err)
	ran := 0
	for _, s := range rep.Scenarios {
		if s.Verdict == reports.Skipped {
			continue
		}
		ran++
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	require.NotZero(t, ran)
	for _, req := range rep.Requirements {
		if strings.HasPrefix(req.ID, "XFER-") {
			assert.Equal(t, reports.Pass, req.Verdict, req.ID)
		}
	}
	t.Logf("%d XFER scenarios in %s", ran, time.Since(start).Round(time.Millisecond))
}

func TestPeerCouncil(t *testing.T) {
	cases := []struct {
		reason string
		target []string
	}{
		{"the suite's council only", []string{"202"}},
		{"a target with more councils", []string{"202", "204", "205"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got, err := peerCouncil(tc.target)
			require.NoError(t, err)
			assert.NotContains(t, tc.target, got)
			assert.NotContains(t, reservedCouncils, got)
			require.NoError(t, ident.Councils().CheckNewResponsibility(got), "the peer's council is live")
		})
	}
	assert.Equal(t, []string{"202", "201"}, targetCouncils(&Target{Councils: []string{"201", "202"}}))
	assert.True(t, slices.Contains(targetCouncils(&Target{}), suiteCouncil))
}

// mutantTarget is the reference with its inbound packages rewritten by onInbound before it
// reads them, and its outbound packages rewritten by onOutbound before they leave: a system
// that loses or changes what a transfer carries.
func mutantTarget(t *testing.T, onInbound, onOutbound func(map[string]any)) *Target {
	t.Helper()
	target := referenceTarget(t)
	target.Starter = StartFunc(func(ctx context.Context, trust Trust) (string, func(), error) {
		st, err := sqlite.Open(sqlite.Memory)
		if err != nil {
			return "", nil, err
		}
		opts := trust.Exchange.Options(nil)
		opts.Client = &http.Client{Transport: rewriting{edit: onOutbound, next: http.DefaultTransport}}
		srv, err := reference.New(reference.Options{Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience, Exchange: opts})
		if err != nil {
			return "", nil, err
		}
		h := srv.Handler()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/v1/inbound/transfers" {
				r.Body = io.NopCloser(bytes.NewReader(rewrite(t, r.Body, onInbound)))
				r.ContentLength = -1
			}
			h.ServeHTTP(w, r)
		}))
		return ts.URL, func() {
			ts.Close()
			assert.NoError(t, srv.Close())
		}, nil
	})
	return target
}

// rewriting is a transport that edits the JSON bodies of transfer packages it sends.
type rewriting struct {
	edit func(map[string]any)
	next http.RoundTripper
}

func (rw rewriting) RoundTrip(req *http.Request) (*http.Response, error) {
	if rw.edit != nil && req.Body != nil && strings.HasSuffix(req.URL.Path, "/v1/inbound/transfers") {
		var doc map[string]any
		if err := json.NewDecoder(req.Body).Decode(&doc); err != nil {
			return nil, err
		}
		rw.edit(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}
	return rw.next.RoundTrip(req)
}

func rewrite(t *testing.T, body io.Reader, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	if edit == nil {
		return b
	}
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil {
		return b
	}
	edit(doc)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// TestTransfersCatchLoss shows that the XFER scenarios fail a system that loses what a
// transfer carries, in the direction where it does so, and charge it to XFER-004 (and a lost
// shield to SENS-005 too: shielding survives transfers).
func TestTransfersCatchLoss(t *testing.T) {
	unshield := func(doc map[string]any) { doc["shielding"] = map[string]any{"shielded": false} }
	dropConsents := func(doc map[string]any) { doc["consents"] = []any{} }
	cases := []struct {
		reason                string
		onInbound, onOutbound func(map[string]any)
		failed                []string
	}{
		{"a receiver that drops the shield on import", unshield, nil, []string{"SENS-005", "XFER-004"}},
		{"a receiver that drops consents on import", dropConsents, nil, []string{"XFER-004"}},
		{"a sender that leaves the shield out of the package", nil, unshield, []string{"SENS-005", "XFER-004"}},
		{"a sender that leaves consents out of the package", nil, dropConsents, []string{"XFER-004"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{Target: mutantTarget(t, tc.onInbound, tc.onOutbound), Tags: "@XFER-004", Redact: true})
			require.NoError(t, err)
			var failed []string
			for _, req := range rep.Requirements {
				if req.Verdict == reports.Fail {
					failed = append(failed, req.ID)
				}
			}
			slices.Sort(failed)
			assert.Equal(t, tc.failed, failed, "exactly the requirements the loss breaks are charged")
		})
	}
}
