package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// waitLong is the deadline of every wait in these tests: generous, since the condition is
// what ends a wait, never the deadline.
const waitLong = 30 * time.Second

func startSink(t *testing.T, opts Options) *Sink {
	t.Helper()
	s, err := Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// post delivers body to url signed by secret (as a target would), with edit applied to the
// headers, and returns the status.
func post(t *testing.T, url, secret string, body []byte, edit func(http.Header)) int {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(spec.HeaderWebhookID, "ev-1")
	req.Header.Set(spec.HeaderWebhookTimestamp, ts)
	req.Header.Set(spec.HeaderWebhookSignature, spec.SignWebhook(secret, ts, body))
	if edit != nil {
		edit(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

const note = `{"eventId":"ev-1","seq":1,"type":"RECORD_ACCESSED","occurredAt":"2026-01-31T09:30:00Z","childId":"c-12345678","la":"202"}`

func TestSignatureIsCheckedWithTheHooksSecret(t *testing.T) {
	s := startSink(t, Options{})
	cases := []struct {
		reason string
		secret string
		body   string
		edit   func(http.Header)
		valid  bool
	}{
		{"NOTIF-003: signed with the subscription's secret over timestamp and body", "", note, nil, true},
		{"another secret", "not-the-subscription-secret", note, nil, false},
		{"the timestamp changed after signing", "", note, func(h http.Header) { h.Set(spec.HeaderWebhookTimestamp, "1") }, false},
		{"the body changed after signing", "", note, func(h http.Header) {
			h.Set(spec.HeaderWebhookSignature, spec.SignWebhook("x", "1", []byte(note)))
		}, false},
		{"no signature", "", note, func(h http.Header) { h.Del(spec.HeaderWebhookSignature) }, false},
		{"upper-case hex is not the contract's form", "", note, func(h http.Header) {
			h.Set(spec.HeaderWebhookSignature, strings.ToUpper(h.Get(spec.HeaderWebhookSignature)))
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			h, err := s.NewHook(tc.reason)
			require.NoError(t, err)
			secret := tc.secret
			if secret == "" {
				secret = h.Secret
			}
			assert.Equal(t, http.StatusOK, post(t, h.URL, secret, []byte(tc.body), tc.edit))
			got := h.Deliveries()
			require.Len(t, got, 1)
			assert.Equal(t, tc.valid, got[0].SignatureValid)
		})
	}
}

func TestDeliveriesAreParsedAndBounded(t *testing.T) {
	s := startSink(t, Options{MaxBody: 512})
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	cases := []struct {
		reason    string
		body      string
		members   []string
		childID   string
		parseErr  string
		truncated bool
	}{
		{"a contract notification", note, []string{"eventId", "seq", "type", "occurredAt", "childId", "la"}, "c-12345678", "", false},
		{"an extra member is kept in document order", `{"childId":"c-1","name":"x","seq":2}`, []string{"childId", "name", "seq"}, "c-1", "", false},
		{"duplicate members are refused", `{"childId":"c-1","childId":"c-2"}`, nil, "", "not strict JSON", false},
		{"nesting beyond the bound is refused", deep, nil, "", "not strict JSON", false},
		{"not an object", `[1,2]`, nil, "", "not a JSON object", false},
		{"a body over the bound is clipped", `{"x":"` + strings.Repeat("a", 600) + `"}`, nil, "", "larger than the sink keeps", true},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			h, err := s.NewHook(tc.reason)
			require.NoError(t, err)
			post(t, h.URL, h.Secret, []byte(tc.body), nil)
			got := h.Deliveries()
			require.Len(t, got, 1)
			d := got[0]
			assert.Equal(t, tc.members, d.Members)
			assert.Equal(t, tc.childID, d.Notification.ChildID)
			assert.Equal(t, tc.truncated, d.Truncated)
			assert.LessOrEqual(t, len(d.Body), 512)
			if tc.parseErr == "" {
				assert.Empty(t, d.ParseError)
			} else {
				assert.Contains(t, d.ParseError, tc.parseErr)
			}
		})
	}
}

func TestNotificationMembersAreRead(t *testing.T) {
	s := startSink(t, Options{})
	h, err := s.NewHook("read")
	require.NoError(t, err)
	post(t, h.URL, h.Secret, []byte(note), nil)
	d := h.Deliveries()[0]
	assert.Equal(t, Notification{
		EventID: "ev-1", Type: "RECORD_ACCESSED", OccurredAt: "2026-01-31T09:30:00Z", ChildID: "c-12345678",
		La: "202", Seq: 1, HasSeq: true,
	}, d.Notification)
	assert.Equal(t, "ev-1", d.EventID)
	assert.Equal(t, 1, d.N)
	assert.Equal(t, "application/json", d.Header["Content-Type"])
}

func TestHeadersAreClipped(t *testing.T) {
	s := startSink(t, Options{})
	h, err := s.NewHook("headers")
	require.NoError(t, err)
	post(t, h.URL, h.Secret, []byte(note), func(hd http.Header) {
		for i := range MaxHeaders + 8 {
			hd.Set(fmt.Sprintf("X-Extra-%03d", i), "v")
		}
		hd.Set("A-Long", strings.Repeat("v", MaxHeaderValue*2))
	})
	d := h.Deliveries()[0]
	assert.Len(t, d.Header, MaxHeaders)
	assert.Len(t, d.Header["A-Long"], MaxHeaderValue)
	for _, v := range d.Header {
		assert.LessOrEqual(t, len(v), MaxHeaderValue)
	}
}

func TestFailNextRefusesOnlyTheNamedChildAsOftenAsTold(t *testing.T) {
	s := startSink(t, Options{})
	h, err := s.NewHook("fail")
	require.NoError(t, err)
	h.FailNext("c-12345678", 2, http.StatusInternalServerError)
	other := strings.Replace(note, "c-12345678", "c-other-00", 1)
	statuses := []int{
		post(t, h.URL, h.Secret, []byte(other), nil),
		post(t, h.URL, h.Secret, []byte(note), nil),
		post(t, h.URL, h.Secret, []byte(note), nil),
		post(t, h.URL, h.Secret, []byte(note), nil),
	}
	assert.Equal(t, []int{200, 500, 500, 200}, statuses, "another child's delivery does not use up the rule")
	got := h.Deliveries()
	require.Len(t, got, 4)
	assert.Equal(t, 500, got[1].Status)
	assert.Equal(t, 200, got[3].Status)
}

func TestWaitEndsOnTheConditionOrTheDeadline(t *testing.T) {
	s := startSink(t, Options{})
	h, err := s.NewHook("wait")
	require.NoError(t, err)
	done := make(chan []Delivery)
	go func() {
		got, ok := h.Wait(context.Background(), waitLong, func(ds []Delivery) bool { return len(ds) >= 2 })
		assert.True(t, ok)
		done <- got
	}()
	post(t, h.URL, h.Secret, []byte(note), nil)
	post(t, h.URL, h.Secret, []byte(note), nil)
	assert.Len(t, <-done, 2)

	got, ok := h.Wait(context.Background(), 50*time.Millisecond, func(ds []Delivery) bool { return len(ds) >= 3 })
	assert.False(t, ok, "the deadline ends a wait whose condition never holds")
	assert.Len(t, got, 2)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ok = h.Wait(ctx, waitLong, func(ds []Delivery) bool { return false })
	assert.False(t, ok, "a cancelled context ends the wait")
}

func TestClosedOrFullHooksAnswerButKeepNothingMore(t *testing.T) {
	s := startSink(t, Options{MaxDeliveries: 2})
	h, err := s.NewHook("bounded")
	require.NoError(t, err)
	for range 3 {
		assert.Equal(t, http.StatusOK, post(t, h.URL, h.Secret, []byte(note), nil))
	}
	assert.Len(t, h.Deliveries(), 2)
	assert.Equal(t, 1, h.Dropped())

	c, err := s.NewHook("closed")
	require.NoError(t, err)
	c.FailNext("", 5, 500)
	c.Close()
	assert.Equal(t, http.StatusOK, post(t, c.URL, c.Secret, []byte(note), nil), "a closed hook acknowledges, so the target stops retrying")
	assert.Empty(t, c.Deliveries())
	assert.Equal(t, 1, c.Dropped())
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s := startSink(t, Options{})
	h, err := s.NewHook("methods")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, post(t, s.URL()+"/hooks/unknown", "x", []byte(note), nil))
	assert.Equal(t, http.StatusNotFound, post(t, s.URL()+"/elsewhere", "x", []byte(note), nil))
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, h.URL, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Empty(t, h.Deliveries())
}

func TestAdvertisedURL(t *testing.T) {
	s := startSink(t, Options{Advertise: "http://host.docker.internal:9999/"})
	h, err := s.NewHook("adv")
	require.NoError(t, err)
	assert.Equal(t, "http://host.docker.internal:9999", s.URL())
	assert.True(t, strings.HasPrefix(h.URL, "http://host.docker.internal:9999/hooks/"))
	assert.Len(t, h.Secret, 64)

	for _, bad := range []string{"ftp://x", "http://", "http://x/?q=1", "http://u:p@x/", "::"} {
		_, err := Start(Options{Advertise: bad})
		assert.Error(t, err, bad)
	}
}

func TestHooksGetDistinctPathsAndSecrets(t *testing.T) {
	s := startSink(t, Options{})
	a, err := s.NewHook("a")
	require.NoError(t, err)
	b, err := s.NewHook("b")
	require.NoError(t, err)
	assert.NotEqual(t, a.URL, b.URL)
	assert.NotEqual(t, a.Secret, b.Secret)
	post(t, a.URL, a.Secret, []byte(note), nil)
	assert.Len(t, a.Deliveries(), 1)
	assert.Empty(t, b.Deliveries())
}
