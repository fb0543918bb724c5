package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// TestReferencePassesTheNotificationScenarios runs every NOTIF and SENS-006 scenario against
// the reference with its test clock: the harness's webhook receiver gets the reference's
// deliveries, and each scenario passes.
func TestReferencePassesTheNotificationScenarios(t *testing.T) {
	start := time.Now()
	rep, err := Run(context.Background(), Config{
		Target: referenceTarget(t), Redact: true,
		Tags: "@NOTIF-001,@NOTIF-002,@NOTIF-003,@NOTIF-004,@SENS-006",
	})
	require.NoError(t, err)
	t.Logf("notification scenarios: %s", time.Since(start).Round(time.Millisecond))
	ran := 0
	for _, s := range rep.Scenarios {
		if s.Verdict == reports.Skipped {
			continue
		}
		ran++
		t.Logf("%-6s %6s  %s", s.Verdict, s.Duration.Round(10*time.Millisecond), s.Name)
		assert.Equal(t, reports.Pass, s.Verdict, "%s %s: %+v", s.ID, s.Name, s.Failure)
	}
	assert.Equal(t, 11, ran, "every notification scenario ran")
	for _, id := range []string{"NOTIF-001", "NOTIF-002", "NOTIF-003", "NOTIF-004", "SENS-006"} {
		assert.Equal(t, reports.Pass, requirement(t, rep, id).Verdict, id)
	}
}

// notifMutant is the reference with one notification defect: options changed, the API handler
// wrapped, or each webhook delivery rewritten on its way out.
type notifMutant struct {
	reason  string
	tags    string
	fails   string
	options func(*reference.Options)
	wrap    func(http.Handler) http.Handler
	deliver func(body map[string]any, header http.Header) bool // false drops the delivery (answered 200)
}

// TestNotificationScenariosCatchEachDefect shows that each notification rule is checked: a
// reference broken in one way fails the requirement it breaks.
func TestNotificationScenariosCatchEachDefect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the reference once per defect")
	}
	mutants := []notifMutant{
		{
			reason: "silent scheduled-care reads notify", tags: "@NOTIF-001", fails: "NOTIF-001",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("X-Purpose-Of-Use") == "SCHEDULED_CARE_SILENT" {
						r.Header.Set("X-Purpose-Of-Use", "SERVICE_COORDINATION")
					}
					next.ServeHTTP(w, r)
				})
			},
		},
		{
			reason: "seq counts from 0", tags: "@NOTIF-002 && @positive", fails: "NOTIF-002",
			deliver: func(b map[string]any, _ http.Header) bool {
				n, _ := b["seq"].(json.Number).Int64()
				b["seq"] = n - 1
				return true
			},
		},
		{
			reason: "a retry gets a new eventId", tags: "@NOTIF-002 && @negative", fails: "NOTIF-002",
			deliver: func(b map[string]any, h http.Header) bool {
				b["eventId"] = fmt.Sprintf("ev-%d", time.Now().UnixNano())
				h.Set(spec.HeaderWebhookID, b["eventId"].(string))
				return true
			},
		},
		{
			reason: "deliveries signed with another key", tags: "@NOTIF-003 && @positive", fails: "NOTIF-003",
			deliver: func(_ map[string]any, h http.Header) bool {
				h.Set(spec.HeaderWebhookSignature, spec.SignWebhook("another-key-0123456789", h.Get(spec.HeaderWebhookTimestamp), nil))
				return true
			},
		},
		{
			reason: "retries every second", tags: "@NOTIF-003 && @negative && ~@cap-test-clock", fails: "NOTIF-003",
			options: func(o *reference.Options) { o.Exchange.Backoff = func(int) time.Duration { return time.Second } },
		},
		{
			reason: "dead-lettered after 10 attempts", tags: "@NOTIF-003 && @cap-test-clock", fails: "NOTIF-003",
			options: func(o *reference.Options) { o.Exchange.MaxAttempts = 10 },
		},
		{
			reason: "a member the contract does not have", tags: "@NOTIF-004 && @positive", fails: "NOTIF-004",
			deliver: func(b map[string]any, _ http.Header) bool { b["reader"] = "a practitioner"; return true },
		},
		{
			// (A review never raised fails the same way, after the step's whole wait.)
			reason: "the shield review goes to another council", tags: "@SENS-006 && @positive", fails: "SENS-006",
			deliver: func(b map[string]any, _ http.Header) bool {
				if b["type"] == "SHIELD_REVIEW_DUE" {
					b["la"] = "201"
				}
				return true
			},
		},
	}
	mutants = append(mutants, leakFamilyName())
	for _, m := range mutants {
		t.Run(m.reason, func(t *testing.T) {
			t.Parallel() // runs may overlap; a defect that shows only as a missing retry costs a whole wait
			rep, err := Run(context.Background(), Config{Target: notifMutantTarget(t, m), Redact: true, Tags: m.tags})
			require.NoError(t, err)
			assert.Equal(t, reports.Fail, requirement(t, rep, m.fails).Verdict, "%s", m.reason)
			for _, s := range rep.Scenarios {
				if s.Verdict != reports.Skipped {
					t.Logf("%s %s %s", s.Verdict, s.Name, failureMessage(s.Failure))
				}
			}
		})
	}
}

// notifMutantTarget is referenceTarget with m's defect.
func notifMutantTarget(t *testing.T, m notifMutant) *Target {
	t.Helper()
	return &Target{
		Name: "mutant", Councils: []string{"202"}, Capabilities: Capabilities{Supported: []string{"test-clock"}},
		Starter: StartFunc(func(_ context.Context, trust Trust) (string, func(), error) {
			st, err := sqlite.Open(sqlite.Memory)
			if err != nil {
				return "", nil, err
			}
			opts := reference.Options{Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience, TestClock: true}
			if m.options != nil {
				m.options(&opts)
			}
			if m.deliver != nil {
				opts.Exchange.Client = &http.Client{Timeout: 10 * time.Second, Transport: rewriter{m.deliver}}
			}
			srv, err := reference.New(opts)
			if err != nil {
				return "", nil, err
			}
			h := srv.Handler()
			if m.wrap != nil {
				h = m.wrap(h)
			}
			ts := httptest.NewServer(h)
			return ts.URL, func() {
				ts.Close()
				assert.NoError(t, srv.Close())
			}, nil
		}),
	}
}

// rewriter rewrites each delivery's JSON body and headers with edit before sending it; a
// delivery edit refuses is not sent and is answered 200.
type rewriter struct {
	edit func(map[string]any, http.Header) bool
}

func (rw rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	if !rw.edit(body, r.Header) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	return http.DefaultTransport.RoundTrip(r)
}

func failureMessage(f *reports.Failure) string {
	if f == nil {
		return ""
	}
	return f.Message
}

// leakFamilyName is the mutant whose notifications carry the family name of the child created
// last (the NOTIF-004 negative scenario creates one).
func leakFamilyName() notifMutant {
	var mu sync.Mutex
	family := ""
	return notifMutant{
		reason: "the child's family name in the payload", tags: "@NOTIF-004 && @negative", fails: "NOTIF-004",
		wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/v1/children" {
					data, _ := io.ReadAll(r.Body)
					var c spec.NewChild
					if json.Unmarshal(data, &c) == nil {
						mu.Lock()
						family = c.Name.Family
						mu.Unlock()
					}
					r.Body = io.NopCloser(bytes.NewReader(data))
				}
				next.ServeHTTP(w, r)
			})
		},
		deliver: func(b map[string]any, _ http.Header) bool {
			mu.Lock()
			defer mu.Unlock()
			b["note"] = "about " + family
			return true
		},
	}
}
