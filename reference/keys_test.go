package reference

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyServer is an httptest JWKS server whose answers a test controls: it counts fetches,
// can hold each one until released, and can fail.
type keyServer struct {
	*httptest.Server
	fetches atomic.Int32
	arrived chan struct{} // receives a value as each fetch starts, when holding
	mu      sync.Mutex
	doc     []byte
	status  int
	release chan struct{} // when set, each fetch waits until it is closed
}

func newKeyServer(t *testing.T, doc []byte) *keyServer {
	t.Helper()
	ks := &keyServer{doc: doc, status: http.StatusOK, arrived: make(chan struct{}, 64)}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.fetches.Add(1)
		ks.mu.Lock()
		release, doc, status := ks.release, ks.doc, ks.status
		ks.mu.Unlock()
		if release != nil {
			ks.arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(doc)
	}))
	t.Cleanup(ks.Close)
	return ks
}

// serve sets what the next fetches get; hold makes them wait for the returned release.
func (ks *keyServer) serve(doc []byte, status int, hold bool) (release func()) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.doc, ks.status, ks.release = doc, status, nil
	if !hold {
		return func() {}
	}
	ch := make(chan struct{})
	ks.release = ch
	return func() { close(ch) }
}

// jwksOf returns a JWKS document of fresh ECDSA keys with the given ids.
func jwksOf(t *testing.T, kids ...string) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, kid := range kids {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	return b
}

// fakeClock is the key source's clock in these tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// urlKeys returns JWKSFromURL over ks with a fake clock and a channel that receives a value
// each time a caller starts waiting for a fetch.
func urlKeys(ks *keyServer) (*cachedKeys, *fakeClock, chan struct{}) {
	k := JWKSFromURL(ks.URL).(*cachedKeys)
	clock := &fakeClock{now: testStart}
	joined := make(chan struct{}, 64)
	k.now = clock.Now
	k.joined = func() { joined <- struct{}{} }
	return k, clock, joined
}

// keyConcurrently asks for kid from n goroutines, waits until each of them has joined the
// fetch in flight, held at the key server, runs whileHeld, then lets the fetch go and returns
// the callers' errors.
func keyConcurrently(t *testing.T, k *cachedKeys, ks *keyServer, joined chan struct{}, release func(), n int, kid string, whileHeld func()) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = k.Key(context.Background(), kid)
		})
	}
	<-ks.arrived // the first caller's fetch reached the key server and is held there
	for range n {
		<-joined // every caller waits for a fetch
	}
	whileHeld()
	release()
	wg.Wait()
	return errs
}

func TestJWKSFetchIsSingleFlight(t *testing.T) {
	ks := newKeyServer(t, jwksOf(t, "a"))
	k, clock, joined := urlKeys(ks)
	_, err := k.Key(context.Background(), "a")
	require.NoError(t, err)
	<-joined
	require.EqualValues(t, 1, ks.fetches.Load())

	// The key rotates; a token names the new key while the key server is slow.
	clock.add(jwksMinRefresh)
	release := ks.serve(jwksOf(t, "a", "b"), http.StatusOK, true)
	var cachedWhileHeld error
	errs := keyConcurrently(t, k, ks, joined, release, 16, "b", func() {
		// A key already cached is served while the fetch is held: no lock is held during it.
		_, cachedWhileHeld = k.Key(context.Background(), "a")
	})
	for i, err := range errs {
		require.NoError(t, err, "caller %d", i)
	}
	require.NoError(t, cachedWhileHeld)
	assert.EqualValues(t, 2, ks.fetches.Load(), "16 concurrent callers of an unknown key cause one fetch")

	// Within jwksMinRefresh a made-up kid causes no fetch.
	_, err = k.Key(context.Background(), "made-up")
	require.ErrorIs(t, err, errUnknownKey)
	assert.EqualValues(t, 2, ks.fetches.Load())
}

func TestJWKSFetchBacksOffAfterFailures(t *testing.T) {
	ks := newKeyServer(t, nil)
	k, clock, joined := urlKeys(ks)
	release := ks.serve([]byte(`{"error":"down"}`), http.StatusInternalServerError, true)
	errs := keyConcurrently(t, k, ks, joined, release, 8, "a", func() {})
	for i, err := range errs {
		var down *KeysUnavailableError
		require.ErrorAs(t, err, &down, "caller %d", i)
		assert.Contains(t, down.Error(), "status 500", "the cause is kept for the log")
	}
	require.EqualValues(t, 1, ks.fetches.Load(), "8 concurrent callers during a failing fetch cause one fetch")
	ks.serve([]byte(`{"error":"down"}`), http.StatusInternalServerError, false)

	steps := []struct {
		advance    time.Duration
		fetches    int32
		retryAfter time.Duration
	}{
		{0, 1, time.Second},                   // backing off: no fetch
		{time.Second / 2, 1, time.Second / 2}, // still backing off
		{time.Second / 2, 2, 2 * time.Second}, // the backoff is over: one fetch, which fails
		{time.Second, 2, time.Second},
		{time.Second, 3, 4 * time.Second},
		{4 * time.Second, 4, 8 * time.Second},
	}
	for i, st := range steps {
		clock.add(st.advance)
		for range 3 { // repeated requests meanwhile do not fetch again
			_, err := k.Key(context.Background(), "a")
			var down *KeysUnavailableError
			require.ErrorAs(t, err, &down, "step %d", i)
			assert.Equal(t, st.retryAfter, down.RetryAfter, "step %d", i)
		}
		assert.Equal(t, st.fetches, ks.fetches.Load(), "step %d", i)
	}

	// The key server recovers: the next fetch after the backoff serves the key.
	ks.serve(jwksOf(t, "a"), http.StatusOK, false)
	clock.add(8 * time.Second)
	_, err := k.Key(context.Background(), "a")
	require.NoError(t, err)
	assert.EqualValues(t, 5, ks.fetches.Load())
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		assert.Equal(t, w, backoff(i+1), "after %d failures", i+1)
	}
	assert.Equal(t, time.Minute, backoff(1000))
}

func TestJWKSFetchIsBounded(t *testing.T) {
	// Only the key server that never answers needs a short fetch timeout; the others get a
	// generous one, so that a busy machine sending 1 MiB never turns "too large" into "too slow".
	cases := []struct {
		name    string
		serve   func(w http.ResponseWriter, r *http.Request)
		timeout time.Duration
		cause   string
	}{
		{"a document over 1 MiB", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(append([]byte(`{"keys":[],"pad":"`), bytes.Repeat([]byte("x"), jwksMaxBytes)...))
		}, time.Minute, "exceeds"},
		{"a key server that never answers", func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, 50 * time.Millisecond, "deadline exceeded"},
		{"a document with no usable key", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
		}, time.Minute, "no usable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(tc.serve))
			defer srv.Close()
			k := JWKSFromURL(srv.URL).(*cachedKeys)
			k.timeout = tc.timeout
			_, err := k.Key(context.Background(), "a")
			var down *KeysUnavailableError
			require.ErrorAs(t, err, &down)
			assert.Contains(t, err.Error(), tc.cause)
		})
	}
}

func TestKeyServerOutageIs503(t *testing.T) {
	ks := newKeyServer(t, []byte("not json"))
	var logged bytes.Buffer
	var logMu sync.Mutex
	keys, _, _ := urlKeys(ks)
	keys.joined = nil
	h := newHarness(t, func(o *Options) {
		o.Keys = keys
		o.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logged}, nil))
	})
	for range 3 {
		resp := h.mgmt().get(t, "/v1/audit-events")
		p := resp.expectProblem(t, codeUnavailable)
		assert.Contains(t, p.Detail, "keys")
		assert.NotEmpty(t, resp.header.Get("Retry-After"))
	}
	assert.EqualValues(t, 1, ks.fetches.Load(), "requests during the backoff do not fetch again")
	logMu.Lock()
	defer logMu.Unlock()
	assert.Contains(t, logged.String(), "JWKS load failed")
	assert.Contains(t, logged.String(), "parse JWKS", "the log names the cause")
	assert.Equal(t, 1, strings.Count(logged.String(), "JWKS load failed"), "one log line per failed fetch")
	// A token whose key the set lacks is still 401 once the key server answers.
	keys.mu.Lock()
	keys.retryAt = time.Time{}
	keys.mu.Unlock()
	ks.serve(jwksOf(t, "other"), http.StatusOK, false)
	h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/audit-events", breaksContract: true}).expectProblem(t, codeUnauthenticated)
}

// lockedWriter serialises writes to a buffer shared with the test.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
