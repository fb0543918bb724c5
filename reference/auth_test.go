package reference

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	base := h.gp().claims
	now := h.clock.Now()
	sign := func(c fixtures.Claims) string {
		if c.IssuedAt.IsZero() {
			c.IssuedAt = now
		}
		tok, err := h.issuer.Token(c)
		require.NoError(t, err)
		return tok
	}
	with := func(f func(c *fixtures.Claims)) string {
		c := base
		f(&c)
		return sign(c)
	}
	stranger, err := h.issuer.TokenSignedByStranger(fixtures.Claims{Sub: base.Sub, Role: base.Role, Org: base.Org, La: base.La, Sector: base.Sector, IssuedAt: now})
	require.NoError(t, err)
	hmac := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": h.issuer.URL(), "sub": base.Sub, "aud": fixtures.DefaultAudience, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"role": base.Role, "org": base.Org, "la": base.La, "sector": base.Sector,
	})
	hmac.Header["kid"] = h.issuer.KeyID()
	hmacToken, err := hmac.SignedString([]byte(h.issuer.KeyID()))
	require.NoError(t, err)

	cases := []struct {
		name   string
		token  string
		ok     bool
		reason string
	}{
		{"AUTH-001/valid token", sign(base), true, "a token from the trusted issuer"},
		{"AUTH-001/missing token", "", false, "every request is authenticated"},
		{"AUTH-001/expired", with(func(c *fixtures.Claims) { c.TTL = fixtures.ExpiredTTL }), false, "exp in the past beyond the skew"},
		{"AUTH-001/expired within the skew", with(func(c *fixtures.Claims) {
			c.IssuedAt = now.Add(-11 * time.Minute)
			c.TTL = 10*time.Minute + 30*time.Second
		}), true, "60 seconds of skew on exp"},
		{"AUTH-001/issued in the future", with(func(c *fixtures.Claims) { c.IssuedAt = now.Add(5 * time.Minute) }), false, "iat beyond the skew"},
		{"AUTH-001/not yet valid", with(func(c *fixtures.Claims) { c.Extra = map[string]any{"nbf": now.Add(5 * time.Minute).Unix()} }), false, "nbf beyond the skew"},
		{"AUTH-001/no expiry", with(func(c *fixtures.Claims) { c.Extra = map[string]any{"exp": nil} }), false, "exp is required"},
		{"AUTH-001/wrongly signed", stranger, false, "a key the JWKS does not hold"},
		{"AUTH-001/wrong audience", with(func(c *fixtures.Claims) { c.Audience = "another-api" }), false, "the server's audience only"},
		{"AUTH-001/no audience", with(func(c *fixtures.Claims) { c.Extra = map[string]any{"aud": nil} }), false, "aud is required"},
		{"AUTH-001/alg none", h.issuer.UnsignedToken(base), false, "unsigned tokens are refused"},
		{"AUTH-001/HMAC", hmacToken, false, "HMAC algorithms are refused"},
		{"AUTH-001/unknown role", with(func(c *fixtures.Claims) { c.Role = "SUPERUSER" }), false, "the role must be known"},
		{"AUTH-001/unknown sector", with(func(c *fixtures.Claims) { c.Sector = "RETAIL" }), false, "the sector must be known"},
		{"AUTH-001/unknown council", with(func(c *fixtures.Claims) { c.La = "999" }), false, "la must be a council code"},
		{"AUTH-001/no org", with(func(c *fixtures.Claims) { c.Org = "" }), false, "org is required"},
		{"AUTH-001/no sub", with(func(c *fixtures.Claims) { c.Sub = "" }), false, "sub is required"},
		{"AUTH-001/no issuer", with(func(c *fixtures.Claims) { c.Extra = map[string]any{"iss": nil} }), false, "iss is required"},
		{"AUTH-001/not a JWT", "not.a.jwt", false, "garbage is refused"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.gp().withToken(tc.token).get(t, "/v1/children/"+rec.ID)
			if tc.ok {
				assert.Equal(t, http.StatusOK, resp.status, "%s: %s", tc.reason, resp.body)
				return
			}
			resp.expectProblem(t, "UNAUTHENTICATED")
			assert.Regexp(t, `^Bearer`, resp.header.Get("WWW-Authenticate"), tc.reason)
		})
	}
	t.Run(covers("AUTH-001/the public endpoints need no token"), func(t *testing.T) {
		for _, p := range []string{"/v1/meta", "/v1/reference/local-authorities", "/healthz"} {
			assert.Equal(t, http.StatusOK, h.gp().withToken("").get(t, p).status, p)
		}
	})
	t.Run(covers("AUTH-001/unknown paths and methods are refused alike with or without a token"), func(t *testing.T) {
		for _, c := range []*contractClient{h.gp(), h.gp().withToken("")} {
			c.do(t, request{method: http.MethodGet, path: "/v1/secret", breaksContract: true}).expectProblem(t, "NOT_FOUND")
			c.do(t, request{method: http.MethodDelete, path: "/v1/children/" + rec.ID}).expectProblem(t, "METHOD_NOT_ALLOWED")
		}
		ev := h.lastEvent(t)
		assert.Equal(t, spec.Actor{}, ev.Actor, "audited, without an actor when there is no token")
		assert.Equal(t, http.StatusMethodNotAllowed, ev.Status)
	})
}

func TestKeySources(t *testing.T) {
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	// A second key, RSA, published alongside the issuer's: RS256 is accepted too.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(issuer.JWKS(), &set))
	set.Keys = append(set.Keys, jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		jose.JSONWebKey{Key: []byte("a shared secret never used"), KeyID: "oct-1", Algorithm: "HS256"})
	both, err := json.Marshal(set)
	require.NoError(t, err)

	var serveBoth atomic.Bool
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if serveBoth.Load() {
			_, _ = w.Write(both)
			return
		}
		issuer.Handler().ServeHTTP(w, r)
	}))
	defer jwks.Close()
	file := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(file, both, 0o600))

	rsaToken := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": "https://issuer.icscert.test", "sub": "user-1", "aud": fixtures.DefaultAudience,
			"iat": testStart.Unix(), "exp": testStart.Add(time.Minute).Unix(),
			"role": rolePractitioner, "org": "synthetic-practice", "la": ownLa, "sector": sectorHealth,
		})
		tok.Header["kid"] = "rsa-1"
		s, err := tok.SignedString(rsaKey)
		require.NoError(t, err)
		return s
	}()

	cases := []struct {
		name   string
		keys   KeySource
		before func()
		reason string
	}{
		{"AUTH-001/JWKS from a URL, refreshed for an unknown kid", JWKSFromURL(jwks.URL + fixtures.JWKSPath), func() { serveBoth.Store(true) }, "a rotated key is fetched when a token names it"},
		{"AUTH-001/JWKS from a file", JWKSFromFile(file), func() {}, "a JWKS file"},
		{"AUTH-001/JWKS from bytes", JWKSFromBytes(both), func() {}, "a JWKS in memory"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			serveBoth.Store(false)
			h := newHarness(t, func(o *Options) { o.Keys = tc.keys })
			h.issuer = issuer
			assert.Equal(t, http.StatusOK, h.mgmt().get(t, "/v1/audit-events").status, "the issuer's ES256 key works")
			tc.before()
			time.Sleep(jwksMinRefresh)
			resp := h.gp().withToken(rsaToken).do(t, request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{NhsNumber: "9990000018"}})
			assert.Equal(t, http.StatusOK, resp.status, "%s: %s", tc.reason, resp.body)
		})
	}
	t.Run(covers("AUTH-001/unusable key sources are refused at start"), func(t *testing.T) {
		for _, keys := range []KeySource{JWKSFromBytes([]byte(`{"keys":[]}`)), JWKSFromBytes([]byte("not json")), JWKSFromFile(filepath.Join(t.TempDir(), "missing.json"))} {
			st, err := sqlite.Open(sqlite.Memory)
			require.NoError(t, err)
			_, err = New(Options{Store: st, Keys: keys})
			require.Error(t, err)
			require.NoError(t, st.Close())
		}
	})
}
