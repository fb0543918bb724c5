package directory

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference"
)

// newService serves a Service with one entry (202) and one system ("target").
func newService(t *testing.T) (*Service, *fixtures.Issuer, *httptest.Server) {
	t.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	s := New(issuer, "", nil)
	s.SetEntries(map[string]string{"202": "http://target.example/api/"})
	s.Register(System{ID: "target", Secret: "s3cret&=", Council: "202"})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, issuer, srv
}

func TestCouncilLookup(t *testing.T) {
	_, _, srv := newService(t)
	cases := []struct {
		reason, method, path string
		status               int
		body                 string // a substring of the answer
		contentType          string
	}{
		{"a listed council answers its base URL without a trailing slash", "GET", "/directory/v1/councils/202", 200, `{"dfeCode":"202","baseUrl":"http://target.example/api"}`, "application/json"},
		{"an unlisted council is a 404 problem", "GET", "/directory/v1/councils/201", 404, `"code":"NOT_FOUND"`, "application/problem+json"},
		{"a path that is not a DfE code is a 404 problem", "GET", "/directory/v1/councils/20x", 404, `"status":404`, "application/problem+json"},
		{"the directory is read-only", "POST", "/directory/v1/councils/202", 405, `METHOD_NOT_ALLOWED`, "application/problem+json"},
		{"other paths are not served", "GET", "/directory/v1/other", 404, ``, ""},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, http.NoBody)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Contains(t, string(body), tc.body)
			if tc.contentType != "" {
				assert.Equal(t, tc.contentType, resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestTokenEndpoint(t *testing.T) {
	_, issuer, srv := newService(t)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	cases := []struct {
		reason     string
		body       string
		user, pass string // HTTP Basic when user is not empty
		status     int
		errorCode  string
	}{
		{"client credentials in the form get a token", form("grant_type", "client_credentials", "client_id", "target", "client_secret", "s3cret&="), "", "", 200, ""},
		{"client credentials with Basic authentication (form-encoded) get a token", form("grant_type", "client_credentials"), "target", url.QueryEscape("s3cret&="), 200, ""},
		{"a wrong secret is an invalid client", form("grant_type", "client_credentials", "client_id", "target", "client_secret", "guess"), "", "", 401, "invalid_client"},
		{"an unknown client is an invalid client", form("grant_type", "client_credentials", "client_id", "other", "client_secret", "s3cret&="), "", "", 401, "invalid_client"},
		{"no client at all is an invalid client", form("grant_type", "client_credentials"), "", "", 401, "invalid_client"},
		{"another grant type is refused", form("grant_type", "password", "client_id", "target", "client_secret", "s3cret&="), "", "", 400, "unsupported_grant_type"},
		{"an oversized form is refused", "grant_type=client_credentials&pad=" + strings.Repeat("a", maxForm), "", "", 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+TokenPath, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			var out map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			if tc.errorCode != "" {
				assert.Equal(t, tc.errorCode, out["error"])
				return
			}
			assert.Equal(t, "Bearer", out["token_type"])
			assert.InDelta(t, DefaultTokenTTL.Seconds(), out["expires_in"], 0)
			claims := jwt.MapClaims{}
			_, err = jwt.ParseWithClaims(out["access_token"].(string), claims, func(*jwt.Token) (any, error) {
				return issuerKey(t, issuer), nil
			}, jwt.WithAudience(fixtures.DefaultAudience), jwt.WithIssuer(issuer.URL()))
			require.NoError(t, err, "the token is signed by the run's issuer")
			assert.Equal(t, "SYSTEM", claims["role"])
			assert.Equal(t, "target", claims["org"])
			assert.Equal(t, "202", claims["la"])
			assert.Equal(t, "LA", claims["sector"])
			assert.Equal(t, "system:target", claims["sub"])
		})
	}
}

// issuerKey returns the public key of the issuer's JWKS.
func issuerKey(t *testing.T, issuer *fixtures.Issuer) any {
	t.Helper()
	keys, err := reference.JWKSFromBytes(issuer.JWKS()).Key(context.Background(), issuer.KeyID())
	require.NoError(t, err)
	return keys
}

func TestClientBaseURL(t *testing.T) {
	s, _, srv := newService(t)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big/councils/202":
			_, _ = w.Write([]byte(`{"dfeCode":"202","baseUrl":"http://x","pad":"` + strings.Repeat("a", maxAnswer) + `"}`))
		case "/wrong/councils/202":
			_, _ = w.Write([]byte(`{"dfeCode":"201","baseUrl":"http://x"}`))
		case "/nourl/councils/202":
			_, _ = w.Write([]byte(`{"dfeCode":"202","baseUrl":"ftp://x"}`))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(garbage.Close)
	cases := []struct {
		reason      string
		endpoint    string
		own         []string
		dfe         string
		want        string
		notListed   bool // the error wraps reference.ErrNotInDirectory
		errContains string
	}{
		{"a listed council gives its base URL", srv.URL + "/directory/v1", nil, "202", "http://target.example/api", false, ""},
		{"an unlisted council is not in the directory", srv.URL + "/directory/v1/", nil, "201", "", true, ""},
		{"the system's own council is not in the directory for it", srv.URL + "/directory/v1", []string{"202"}, "202", "", true, ""},
		{"a code that is not a DfE code is refused before any request", srv.URL + "/directory/v1", nil, "../x", "", false, "not a DfE code"},
		{"an oversized answer is refused", garbage.URL + "/big", nil, "202", "", false, "larger than"},
		{"an answer for another council is refused", garbage.URL + "/wrong", nil, "202", "", false, "answered for council"},
		{"an answer without an http base URL is refused", garbage.URL + "/nourl", nil, "202", "", false, "not an http"},
		{"a failing directory is an error, not 'not listed'", garbage.URL + "/down", nil, "202", "", false, "answered 503"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			c := &Client{Endpoint: tc.endpoint, Own: tc.own}
			got, err := c.BaseURL(context.Background(), tc.dfe)
			switch {
			case tc.notListed:
				require.ErrorIs(t, err, reference.ErrNotInDirectory)
			case tc.errContains != "":
				require.Error(t, err)
				require.NotErrorIs(t, err, reference.ErrNotInDirectory)
				assert.Contains(t, err.Error(), tc.errContains)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
	t.Run("a changed entry is seen by the next lookup", func(t *testing.T) {
		c := &Client{Endpoint: srv.URL + "/directory/v1"}
		s.SetEntries(map[string]string{"202": "http://proxy.example"})
		got, err := c.BaseURL(context.Background(), "202")
		require.NoError(t, err)
		assert.Equal(t, "http://proxy.example", got)
	})
}

func TestTokenSourceCaches(t *testing.T) {
	s, _, srv := newService(t)
	var calls atomic.Int32
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	src := TokenSource(counting.URL+TokenPath, "target", "s3cret&=", nil, clock)
	first, err := src(context.Background())
	require.NoError(t, err)
	cases := []struct {
		reason string
		after  time.Duration
		calls  int32
	}{
		{"a fresh token is reused", time.Minute, 1},
		{"a token is reused until a minute before it expires", DefaultTokenTTL - refreshBefore - time.Second, 1},
		{"a token about to expire is replaced", DefaultTokenTTL - refreshBefore + time.Second, 2},
	}
	start := now
	for _, tc := range cases {
		now = start.Add(tc.after)
		tok, err := src(context.Background())
		require.NoError(t, err, tc.reason)
		assert.NotEmpty(t, tok, tc.reason)
		assert.Equal(t, tc.calls, calls.Load(), tc.reason)
	}
	assert.NotEmpty(t, first)

	bad := TokenSource(srv.URL+TokenPath, "target", "wrong", nil, clock)
	_, err = bad(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "answered 401")
}

func TestSettingsOptions(t *testing.T) {
	assert.Nil(t, Settings{}.Options(nil).Directory, "no directory: the system serves every council")
	_, _, srv := newService(t)
	o := Settings{
		DirectoryURL: srv.URL + "/directory/v1", TokenURL: srv.URL + TokenPath,
		ClientID: "target", ClientSecret: "s3cret&=", Councils: []string{"202"},
	}.Options(nil)
	require.NotNil(t, o.Directory)
	_, err := o.Directory.BaseURL(context.Background(), "202")
	require.ErrorIs(t, err, reference.ErrNotInDirectory)
	tok, err := o.SystemToken(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
	assert.Equal(t, "target", o.SystemOrg)
}
