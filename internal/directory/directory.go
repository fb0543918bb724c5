// Package directory is the national directory and identity service the harness serves for
// every run (DOMAIN.md §5): council DfE code → base URL of the system that serves it, and
// SYSTEM tokens for each system, obtained with the OAuth 2.0 client-credentials grant.
//
// Service is the server side (an http.Handler); Client implements reference.Directory over
// its HTTP API and TokenSource fetches and caches a system's token, so that a started system
// (the reference, a simulated product, `icscert serve`) exchanges transfers through the same
// directory a real product would.
package directory

import (
	"crypto/subtle"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/fixtures"
)

// Paths of the directory's HTTP API, relative to the listener's root.
const (
	// CouncilsPath is followed by a DfE code: GET /directory/v1/councils/{dfe}.
	CouncilsPath = "/directory/v1/councils/"
	// TokenPath is the token endpoint: POST /oauth2/token.
	TokenPath = "/oauth2/token"
)

// DefaultTokenTTL is the lifetime of the SYSTEM tokens the Service issues.
const DefaultTokenTTL = 10 * time.Minute

// maxForm bounds the body of a token request.
const maxForm = 8 << 10

// System is one system registered with the identity service: its client credentials and the
// claims of its SYSTEM tokens (org = ID, la = Council, role SYSTEM, sector LA).
type System struct {
	ID      string // the client id, also the token's org and (as "system:<ID>") sub
	Secret  string // the client secret
	Council string // the council the token names in la; a DfE code
}

// Service serves the directory and the token endpoint of one run. Entries and systems may be
// changed while it serves (the capture proxy is put between two systems by changing entries);
// it is safe for concurrent use.
type Service struct {
	issuer   *fixtures.Issuer
	audience string
	ttl      time.Duration
	now      func() time.Time

	mu      sync.RWMutex
	entries map[string]string // DfE code → base URL
	systems map[string]System // client id → system
}

// New returns a Service that signs tokens with issuer for audience (fixtures.DefaultAudience if
// empty). now is the clock of the tokens; nil means time.Now.
func New(issuer *fixtures.Issuer, audience string, now func() time.Time) *Service {
	if audience == "" {
		audience = fixtures.DefaultAudience
	}
	if now == nil {
		now = time.Now
	}
	return &Service{
		issuer: issuer, audience: audience, ttl: DefaultTokenTTL, now: now,
		entries: map[string]string{}, systems: map[string]System{},
	}
}

// SetEntries replaces every entry of the directory with entries (DfE code → base URL, stored
// without a trailing slash). The map is copied.
func (s *Service) SetEntries(entries map[string]string) {
	m := make(map[string]string, len(entries))
	for k, v := range entries {
		m[k] = strings.TrimRight(v, "/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = m
}

// Entries returns a copy of the directory's entries.
func (s *Service) Entries() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.entries)
}

// Register adds or replaces a system's credentials.
func (s *Service) Register(sys System) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.systems[sys.ID] = sys
}

// Handler serves GET CouncilsPath{dfe} and POST TokenPath; other paths get 404, other methods
// 405. Errors are application/problem+json.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(CouncilsPath, s.council)
	mux.HandleFunc(TokenPath, s.token)
	return mux
}

// CouncilEntry is the directory's answer for one council.
type CouncilEntry struct {
	DfeCode string `json:"dfeCode"`
	BaseURL string `json:"baseUrl"`
}

var dfePattern = regexp.MustCompile(`^[0-9]{3}$`)

func (s *Service) council(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "The directory is read with GET.")
		return
	}
	dfe := strings.TrimPrefix(r.URL.Path, CouncilsPath)
	if !dfePattern.MatchString(dfe) {
		problem(w, http.StatusNotFound, "NOT_FOUND", "Councils are named by their 3-digit DfE code.")
		return
	}
	s.mu.RLock()
	base, found := s.entries[dfe]
	s.mu.RUnlock()
	if !found {
		problem(w, http.StatusNotFound, "NOT_FOUND", "No system is listed for council "+dfe+".")
		return
	}
	writeJSON(w, http.StatusOK, CouncilEntry{DfeCode: dfe, BaseURL: base})
}

// TokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (s *Service) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		problem(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Tokens are requested with POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form could not be read")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the id and secret are form-encoded inside the Basic credentials.
		id, secret = unescape(id), unescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.RLock()
	sys, known := s.systems[id]
	s.mu.RUnlock()
	if !known || id == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(sys.Secret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="icscert"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	tok, err := s.issuer.Token(fixtures.Claims{
		Sub: "system:" + sys.ID, Role: "SYSTEM", Org: sys.ID, La: sys.Council, Sector: "LA",
		Audience: s.audience, IssuedAt: s.now(), TTL: s.ttl,
	})
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "the token could not be signed")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(s.ttl / time.Second)})
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":   "https://icscert.example/problems/" + strings.ToLower(strings.ReplaceAll(code, "_", "-")),
		"title":  http.StatusText(status),
		"status": status,
		"code":   code,
		"detail": detail,
	})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // an error means the client went away
}
