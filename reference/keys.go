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

const (
	// jwksTimeout bounds one fetch of a JWKS URL.
	jwksTimeout = 5 * time.Second
	// jwksMinRefresh is the least time between two reloads prompted by unknown key ids, so
	// that tokens with made-up kids cannot make the server hammer the key source.
	jwksMinRefresh = time.Second
	// jwksMaxBytes bounds the size of a JWKS document.
	jwksMaxBytes = 1 << 20
)

// JWKSFromURL returns a KeySource that fetches the JWKS at url (with a 5 s timeout) on first
// use, and fetches it again when a token names a key id it does not know (at most once a
// second), so that keys can rotate.
func JWKSFromURL(url string) KeySource {
	client := &http.Client{Timeout: jwksTimeout}
	return &cachedKeys{load: func(ctx context.Context) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
		defer cancel()
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
		b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
		if err != nil {
			return nil, fmt.Errorf("fetch JWKS: %w", err)
		}
		return b, nil
	}}
}

// JWKSFromFile returns a KeySource that reads the JWKS file at path. New reads it once and
// fails if it is unreadable; it is read again when a token names an unknown key id (at most
// once a second), so the file can be replaced to rotate keys.
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

// cachedKeys is a KeySource over a loader, caching the parsed set.
type cachedKeys struct {
	load   func(ctx context.Context) ([]byte, error)
	eager  bool // New loads the set and fails if it cannot
	static bool // the set never changes, so it is never reloaded

	mu       sync.Mutex
	keys     map[string]crypto.PublicKey
	loadedAt time.Time
	loaded   bool
}

// preload loads the set if the source is eager; New calls it.
func (k *cachedKeys) preload(ctx context.Context) error {
	if !k.eager {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reload(ctx)
}

// reload fetches and parses the set; k.mu must be held.
func (k *cachedKeys) reload(ctx context.Context) error {
	k.loadedAt = time.Now()
	b, err := k.load(ctx)
	if err != nil {
		return err
	}
	keys, err := parseJWKS(b)
	if err != nil {
		return err
	}
	k.keys, k.loaded = keys, true
	return nil
}

func (k *cachedKeys) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := pick(k.keys, kid); ok {
		return key, nil
	}
	if k.loaded && (k.static || time.Since(k.loadedAt) < jwksMinRefresh) {
		return nil, errUnknownKey
	}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if key, ok := pick(k.keys, kid); ok {
		return key, nil
	}
	return nil, errUnknownKey
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
