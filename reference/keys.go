package reference

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// KeySource supplies the public keys that verify bearer tokens (a JWKS). Implementations are
// safe for concurrent use.
type KeySource interface {
	// Key returns the public key whose key id is kid. When kid is "" and the set holds
	// exactly one key, it returns that key. Only ECDSA and RSA public keys are returned.
	Key(ctx context.Context, kid string) (crypto.PublicKey, error)
}

// errUnknownKey is returned when no key matches a token's kid.
var errUnknownKey = errors.New("no matching key in the JWKS")

// KeysUnavailableError is returned by the key sources of this package when the key set could
// not be fetched (or read) and no cached key matches: the token may be good, but the server
// cannot tell, so it answers 503 SERVICE_UNAVAILABLE with Retry-After rather than 401.
type KeysUnavailableError struct {
	Cause      error         // why the last fetch failed
	RetryAfter time.Duration // no fetch is tried before this time has passed
}

func (e *KeysUnavailableError) Error() string {
	return "the JWKS is unavailable: " + e.Cause.Error()
}

func (e *KeysUnavailableError) Unwrap() error { return e.Cause }

const (
	// jwksTimeout bounds one fetch of a JWKS URL.
	jwksTimeout = 5 * time.Second
	// jwksMinRefresh is the least time between two reloads prompted by unknown key ids, so
	// that tokens with made-up kids cannot make the server hammer the key source.
	jwksMinRefresh = time.Second
	// jwksMaxBackoff bounds the wait after consecutive failed fetches; the wait doubles from
	// jwksMinRefresh with each failure up to it.
	jwksMaxBackoff = time.Minute
	// jwksMaxBytes bounds the size of a JWKS document.
	jwksMaxBytes = 1 << 20
)

// JWKSFromURL returns a KeySource that fetches the JWKS at url on first use, and fetches it
// again when a token names a key id it does not know (at most once a second), so that keys
// can rotate. One fetch serves every request waiting for it, and no lock is held while it
// runs; it takes at most 5 s and reads at most 1 MiB. After a failed fetch no other is tried
// for a backoff that doubles from 1 s to 1 min with consecutive failures; meanwhile a token
// whose key is not cached gets a *KeysUnavailableError.
func JWKSFromURL(url string) KeySource {
	client := &http.Client{Timeout: jwksTimeout}
	return &cachedKeys{load: func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS: %w", err)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS: %w", err)
		}
		if len(b) > jwksMaxBytes {
			return nil, fmt.Errorf("fetch JWKS: the document exceeds %d bytes", jwksMaxBytes)
		}
		return b, nil
	}}
}

// JWKSFromFile returns a KeySource that reads the JWKS file at path. New reads it once and
// fails if it is unreadable; it is read again when a token names an unknown key id (at most
// once a second, with the backoff of JWKSFromURL after a failure), so the file can be
// replaced to rotate keys.
func JWKSFromFile(path string) KeySource {
	return &cachedKeys{eager: true, load: func(context.Context) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read JWKS: %w", err)
		}
		return b, nil
	}}
}

// JWKSFromBytes returns a KeySource holding the JWKS document b. New fails if b holds no
// usable key.
func JWKSFromBytes(b []byte) KeySource {
	doc := append([]byte(nil), b...)
	return &cachedKeys{eager: true, static: true, load: func(context.Context) ([]byte, error) { return doc, nil }}
}

// cachedKeys is a KeySource over a loader, caching the parsed set. Loads are single-flight:
// the requests that need one while it runs wait for it, without holding mu.
type cachedKeys struct {
	load   func(ctx context.Context) ([]byte, error)
	eager  bool             // New loads the set and fails if it cannot
	static bool             // the set never changes, so it is never reloaded
	now    func() time.Time // the clock of refresh and backoff; time.Now if nil
	// timeout bounds one load; jwksTimeout if zero.
	timeout time.Duration
	// joined, when set, is called each time a caller starts waiting for a load: a test seam
	// that lets tests count the waiters of one load without sleeping.
	joined func()

	mu       sync.Mutex
	log      *slog.Logger // failed loads; nil for none
	keys     map[string]crypto.PublicKey
	loaded   bool
	retryAt  time.Time // no load starts before this instant
	failures int       // consecutive failed loads
	lastErr  error     // the last load's error; nil after a success
	inflight *keyLoad  // the load running now; nil for none
}

// keyLoad is one load of the set; done is closed when it has finished and err is set.
type keyLoad struct {
	done chan struct{}
	err  error
}

// setLogger makes failed loads go to log; New calls it.
func (k *cachedKeys) setLogger(log *slog.Logger) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log = log
}

func (k *cachedKeys) clock() time.Time {
	if k.now != nil {
		return k.now()
	}
	return time.Now()
}

// preload loads the set if the source is eager; New calls it.
func (k *cachedKeys) preload(ctx context.Context) error {
	if !k.eager {
		return nil
	}
	k.mu.Lock()
	l := &keyLoad{done: make(chan struct{})}
	k.inflight = l
	k.mu.Unlock()
	k.run(ctx, l)
	return l.err
}

// run performs load l and publishes its outcome. Its context is detached from the request
// that started it, since other requests wait for it too; jwksTimeout bounds it.
func (k *cachedKeys) run(ctx context.Context, l *keyLoad) {
	timeout := k.timeout
	if timeout == 0 {
		timeout = jwksTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var keys map[string]crypto.PublicKey
	b, err := k.load(ctx)
	if err == nil {
		keys, err = parseJWKS(b)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.clock()
	if err == nil {
		k.keys, k.loaded, k.failures, k.lastErr = keys, true, 0, nil
		k.retryAt = now.Add(jwksMinRefresh)
	} else {
		k.failures++
		k.lastErr = err
		k.retryAt = now.Add(backoff(k.failures))
		if k.log != nil {
			k.log.Warn("JWKS load failed; tokens whose key is not cached get 503 until the retry",
				"error", err.Error(), "failures", k.failures, "retryAt", k.retryAt.UTC().Format(time.RFC3339))
		}
	}
	l.err = err
	k.inflight = nil
	close(l.done)
}

// backoff is the wait after the n-th consecutive failed load.
func backoff(n int) time.Duration {
	d := jwksMinRefresh
	for i := 1; i < n && d < jwksMaxBackoff; i++ {
		d *= 2
	}
	return min(d, jwksMaxBackoff)
}

func (k *cachedKeys) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	k.mu.Lock()
	if key, ok := pick(k.keys, kid); ok {
		k.mu.Unlock()
		return key, nil
	}
	if k.static && k.loaded {
		k.mu.Unlock()
		return nil, errUnknownKey
	}
	l := k.inflight
	if l == nil {
		if k.clock().Before(k.retryAt) {
			err := k.missErr()
			k.mu.Unlock()
			return nil, err
		}
		l = &keyLoad{done: make(chan struct{})}
		k.inflight = l
		go k.run(ctx, l)
	}
	k.mu.Unlock()
	if k.joined != nil {
		k.joined()
	}

	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the JWKS: %w", ctx.Err())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := pick(k.keys, kid); ok {
		return key, nil
	}
	return nil, k.missErr()
}

// missErr is the error for a key not in the cache while no load may start; k.mu is held.
func (k *cachedKeys) missErr() error {
	if k.lastErr != nil {
		return &KeysUnavailableError{Cause: k.lastErr, RetryAfter: k.retryAt.Sub(k.clock())}
	}
	return errUnknownKey
}

// pick returns the key for kid, or the only key when kid is "".
func pick(keys map[string]crypto.PublicKey, kid string) (crypto.PublicKey, bool) {
	if kid == "" {
		if len(keys) != 1 {
			return nil, false
		}
		for _, key := range keys {
			return key, true
		}
	}
	key, ok := keys[kid]
	return key, ok
}

// parseJWKS parses a JWKS document, keeping the ECDSA and RSA signing keys and skipping any
// key it cannot use (symmetric keys, encryption keys, unknown types).
func parseJWKS(b []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil || !jwk.Valid() {
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		pub := jwk.Public()
		switch pub.Key.(type) {
		case *ecdsa.PublicKey, *rsa.PublicKey:
			keys[jwk.KeyID] = pub.Key
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("parse JWKS: no usable ECDSA or RSA signing key")
	}
	return keys, nil
}
