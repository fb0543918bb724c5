package capture_test

import (
	"errors"
	"net/http"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/capture"
	"github.com/icscert/icscert/internal/fidelity"
)

const (
	packagePath = "/v1/inbound/transfers"
	outcomePath = "/v1/inbound/transfers/*/outcome"
)

// TestExactlyOnceUnderFaults proves, for each fault the proxy injects into a transfer A → B,
// that the transfer completes exactly once: the deliveries the proxy saw, one transfer and
// one record on the receiver, and responsibility with one council at every observation.
func TestExactlyOnceUnderFaults(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		// on is the proxy the fault goes into: "b" for the package A → B, "a" for the outcome
		// B → A.
		on    string
		fault capture.Fault
		// attempts and forwarded: requests from the sender the proxy saw, and how many
		// reached the receiver, for the faulted delivery.
		attempts, forwarded int
	}{
		{
			"drop-request/package", "the package never reaches B; A retries", "b",
			capture.Fault{Kind: capture.DropRequest, Method: http.MethodPost, Path: packagePath, Times: 1},
			2, 1,
		},
		{
			"drop-request/outcome", "the outcome never reaches A; B retries", "a",
			capture.Fault{Kind: capture.DropRequest, Method: http.MethodPost, Path: outcomePath, Times: 1},
			2, 1,
		},
		{
			"delay/outcome", "the outcome arrives late; A stays responsible meanwhile", "a",
			capture.Fault{Kind: capture.Delay, Method: http.MethodPost, Path: outcomePath, Times: 1, Delay: 300 * time.Millisecond},
			1, 1,
		},
		{
			"drop-response/package", "B stores the package but A hears nothing; A retries and B answers the same transfer", "b",
			capture.Fault{Kind: capture.DropResponse, Method: http.MethodPost, Path: packagePath, Times: 1},
			2, 2,
		},
		{
			"drop-response/outcome", "A completes on the outcome but B hears nothing; B retries and A answers again", "a",
			capture.Fault{Kind: capture.DropResponse, Method: http.MethodPost, Path: outcomePath, Times: 1},
			2, 2,
		},
		{
			"duplicate/package", "B receives the package twice from one attempt", "b",
			capture.Fault{Kind: capture.Duplicate, Method: http.MethodPost, Path: packagePath, Times: 1},
			1, 2,
		},
		{
			"duplicate/outcome", "A receives the outcome twice from one attempt", "a",
			capture.Fault{Kind: capture.Duplicate, Method: http.MethodPost, Path: outcomePath, Times: 1},
			1, 2,
		},
		{
			"delay/package", "the package arrives late", "b",
			capture.Fault{Kind: capture.Delay, Method: http.MethodPost, Path: packagePath, Times: 1, Delay: 300 * time.Millisecond},
			1, 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t)
			target := map[string]*system{"a": p.a, "b": p.b}[tc.on]
			require.NoError(t, target.proxy.Inject(tc.fault))
			rec := p.child(t)
			tr := p.propose(t, rec.ID, "xfer-"+tc.name)
			p.watch = func(tb testing.TB) {
				tb.Helper()
				p.observe(tb, rec.ID, tr.ID)
			}
			p.delivered(t, tr.ID)
			p.complete(t, tr.ID)
			p.observe(t, rec.ID, tr.ID)
			assert.GreaterOrEqual(t, p.observations, 2, "responsibility was observed at every step")

			assert.Zero(t, target.proxy.Armed(), "the fault was used")
			key := keyOf(t, target.proxy, tc.fault.Path)
			attempts, forwarded := target.proxy.Attempts(key)
			assert.Equal(t, tc.attempts, attempts, "%s: attempts the proxy saw", tc.reason)
			assert.Equal(t, tc.forwarded, forwarded, "%s: deliveries that reached the receiver", tc.reason)
			assertOnce(t, p, tr.ID)
			assertClean(t, p)
			t.Logf("%s: %d attempts seen, %d forwarded, 1 transfer, %d observations", tc.name, attempts, forwarded, p.observations)
		})
	}
}

// TestExactlyOnceUnderReorder holds the package of one transfer until the package of a second
// has been forwarded: each completes once.
//
// The sender sends due deliveries in parallel, but only those due together: a gate fails A's
// first attempt at the first package while the second is proposed, and a backoff of 1 ns
// makes the retry due at once, so that both packages are in flight together.
func TestExactlyOnceUnderReorder(t *testing.T) {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{}), next: &http.Transport{DisableKeepAlives: true}}
	p := newPair(t, func(p *pair) { p.a.out = g; p.backoff = time.Nanosecond })
	require.NoError(t, p.b.proxy.Inject(capture.Fault{Kind: capture.Reorder, Method: http.MethodPost, Path: packagePath, Times: 1, Delay: deadline}))
	first, second := p.child(t), p.child(t)
	tr1 := p.propose(t, first.ID, "xfer-reorder-1")
	select {
	case <-g.entered:
	case <-time.After(deadline):
		t.Fatal("the first package was never sent")
	}
	tr2 := p.propose(t, second.ID, "xfer-reorder-2")
	close(g.release)
	p.delivered(t, tr1.ID)
	p.delivered(t, tr2.ID)
	ex, _ := p.b.proxy.Exchanges()
	var held, overtook capture.Exchange
	for _, e := range ex {
		if e.Fault == capture.Reorder {
			held = e
		} else if e.Path == packagePath {
			overtook = e
		}
	}
	require.NotZero(t, held.Seq, "one delivery was held")
	require.NotZero(t, overtook.Seq, "another delivery went past it")
	assert.Empty(t, held.Error, "the held delivery was released by the later one, not by the hold's end")
	assert.Less(t, overtook.Seq, held.Seq, "the later delivery finished first: the two were reordered")
	for _, tr := range []string{tr1.ID, tr2.ID} {
		p.complete(t, tr)
		attempts, forwarded := p.b.proxy.Attempts(tr)
		assert.Equal(t, 1, attempts, "the gate's failed attempt never reached the proxy")
		assert.Equal(t, 1, forwarded)
	}
	p.observe(t, first.ID, tr1.ID)
	p.observe(t, second.ID, tr2.ID)
	assert.Equal(t, 2, count(t, p.b, "transfers"), "two transfers, one each")
	assert.Equal(t, 2, count(t, p.b, "children"))
	assertClean(t, p)
}

// assertOnce checks that the receiver holds exactly one transfer and one record.
func assertOnce(t *testing.T, p *pair, id string) {
	t.Helper()
	assert.Equal(t, 1, count(t, p.b, "transfers"), "exactly one transfer on the receiver")
	assert.Equal(t, 1, count(t, p.a, "transfers"), "exactly one transfer on the sender")
	assert.Equal(t, 1, count(t, p.b, "children"), "exactly one record on the receiver")
	a, _ := p.transfer(t, p.a, id)
	b, _ := p.transfer(t, p.b, id)
	assert.Equal(t, "COMPLETED", a.State)
	assert.Equal(t, "COMPLETED", b.State)
}

// assertClean checks that neither proxy found a contract violation: the reference conforms
// under every fault.
func assertClean(t *testing.T, p *pair) {
	t.Helper()
	for _, s := range []*system{p.a, p.b} {
		f, cut := s.proxy.Findings()
		assert.Empty(t, f, "%s: the reference breaks nothing", s.name)
		assert.Zero(t, cut)
	}
	_ = fidelity.Sender
}

// gate is A's delivery transport in the reorder test: it holds the first attempt until
// release is closed, then fails it without sending; later attempts go through next.
type gate struct {
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	next    http.RoundTripper
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	g.once.Do(func() { first = true })
	if !first {
		return g.next.RoundTrip(r)
	}
	close(g.entered)
	<-g.release
	return nil, errors.New("gate: the first attempt fails")
}

// keyOf returns the Idempotency-Key of the deliveries that reached proxy at paths matching
// pattern; every such delivery must carry the same key.
func keyOf(t *testing.T, proxy *capture.Proxy, pattern string) string {
	t.Helper()
	ex, _ := proxy.Exchanges()
	key := ""
	for _, e := range ex {
		if ok, _ := path.Match(pattern, e.Path); ok {
			require.NotEmpty(t, e.IdempotencyKey, "a delivery carries an Idempotency-Key")
			if key == "" {
				key = e.IdempotencyKey
			}
			require.Equal(t, key, e.IdempotencyKey, "one delivery, one key")
		}
	}
	require.NotEmpty(t, key, "a delivery at %s reached the proxy", pattern)
	return key
}

// TestExactlyOnceUnderDetachedReorder holds the first child's package with Detach: the sender
// is hung up on at once and goes on with its next delivery (the second child's package, or
// its own retry), which the held package then follows, late. The receiver must take the late,
// stale copy without a second transfer. Whichever delivery overtakes it, the held one is
// forwarded after another and never at the hold's end.
func TestExactlyOnceUnderDetachedReorder(t *testing.T) {
	p := newPair(t, func(p *pair) { p.backoff = 50 * time.Millisecond })
	first, second := p.child(t), p.child(t)
	require.NoError(t, p.b.proxy.Inject(capture.Fault{
		Kind: capture.Reorder, Method: http.MethodPost, Path: packagePath,
		Contains: first.ID, Overtakers: []string{first.ID, second.ID}, Times: 1, Delay: deadline, Detach: true,
	}))
	tr1 := p.propose(t, first.ID, "xfer-detached-1")
	tr2 := p.propose(t, second.ID, "xfer-detached-2")
	p.delivered(t, tr1.ID)
	p.delivered(t, tr2.ID)
	p.settleUntil(t, "the held package is forwarded", func() bool { return p.b.proxy.Armed() == 0 && held(p.b.proxy).Forwarded == 1 })
	h := held(p.b.proxy)
	assert.Zero(t, h.Status, "the sender was answered nothing for the held delivery")
	assert.NotContains(t, h.Error, "forwarded in order", "a later delivery released it, not the hold's end")
	ex, _ := p.b.proxy.Exchanges()
	overtaken := false
	for _, e := range ex {
		if e.Path == packagePath && e.Seq < h.Seq && e.Forwarded > 0 {
			overtaken = true
		}
	}
	assert.True(t, overtaken, "another delivery reached the receiver before the held one")
	for _, tr := range []string{tr1.ID, tr2.ID} {
		p.complete(t, tr)
	}
	p.observe(t, first.ID, tr1.ID)
	p.observe(t, second.ID, tr2.ID)
	assert.Equal(t, 2, count(t, p.b, "transfers"), "two transfers, one each, whatever the order")
	assert.Equal(t, 2, count(t, p.b, "children"))
	assertClean(t, p)
}

// held returns the exchange the reorder fault held, the zero Exchange while none finished.
func held(proxy *capture.Proxy) capture.Exchange {
	ex, _ := proxy.Exchanges()
	for _, e := range ex {
		if e.Fault == capture.Reorder {
			return e
		}
	}
	return capture.Exchange{}
}
