package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/reference"
)

// maxAnswer bounds every answer the Client and TokenSource read.
const maxAnswer = 64 << 10

// defaultTimeout bounds each request of a Client or TokenSource without an HTTP client.
const defaultTimeout = 10 * time.Second

// Client is a reference.Directory over the HTTP API of a Service (or any directory serving the
// same API). It does not cache: an entry changed on the Service is seen by the next lookup. It
// is safe for concurrent use.
type Client struct {
	// Endpoint is the directory's base URL, e.g. "http://127.0.0.1:4000/directory/v1";
	// lookups are GET <Endpoint>/councils/{dfe}.
	Endpoint string
	// Own lists the councils the system using the Client serves itself: they are reported as
	// not in the directory, which a reference server reads as "served by this system", so a
	// system need not know the URL the directory names it by.
	Own []string
	// HTTP sends the lookups; a client with a 10-second timeout if nil.
	HTTP *http.Client
}

var _ reference.Directory = (*Client)(nil)

// BaseURL returns the base URL the directory names for council dfe, without a trailing slash.
// A council in Own, or one the directory answers 404 for, gives an error wrapping
// reference.ErrNotInDirectory; any other failure is an error of its own.
func (c *Client) BaseURL(ctx context.Context, dfe string) (string, error) {
	if slices.Contains(c.Own, dfe) {
		return "", fmt.Errorf("council %s is this system's own: %w", dfe, reference.ErrNotInDirectory)
	}
	if !dfePattern.MatchString(dfe) {
		return "", fmt.Errorf("look up council %q: not a DfE code", dfe)
	}
	u := strings.TrimRight(c.Endpoint, "/") + "/councils/" + dfe
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, http.NoBody)
	if err != nil {
		return "", fmt.Errorf("look up council %s: %w", dfe, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(c.HTTP).Do(req)
	if err != nil {
		return "", fmt.Errorf("look up council %s: %w", dfe, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return "", fmt.Errorf("look up council %s: %w", dfe, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("council %s: %w", dfe, reference.ErrNotInDirectory)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("look up council %s: the directory answered %d", dfe, resp.StatusCode)
	case len(body) > maxAnswer:
		return "", fmt.Errorf("look up council %s: the answer is larger than %d KiB", dfe, maxAnswer>>10)
	}
	var e CouncilEntry
	if err := json.Unmarshal(body, &e); err != nil {
		return "", fmt.Errorf("look up council %s: decode: %w", dfe, err)
	}
	if e.DfeCode != dfe {
		return "", fmt.Errorf("look up council %s: the directory answered for council %q", dfe, e.DfeCode)
	}
	if err := checkURL(e.BaseURL); err != nil {
		return "", fmt.Errorf("look up council %s: %w", dfe, err)
	}
	return strings.TrimRight(e.BaseURL, "/"), nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https base URL", s)
	}
	return nil
}

func httpClient(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: defaultTimeout}
}

// refreshBefore is how long before its expiry a cached token is replaced.
const refreshBefore = time.Minute

// TokenSource returns a function that obtains a SYSTEM token from the token endpoint at
// tokenURL with the client-credentials grant (client id and secret sent with HTTP Basic
// authentication) and caches it until refreshBefore before it expires (or for half its life,
// if that is shorter). hc sends the requests (a client with a 10-second timeout if nil); now is
// the clock (time.Now if nil). The function is safe for concurrent use; concurrent callers
// share one request.
func TokenSource(tokenURL, clientID, secret string, hc *http.Client, now func() time.Time) func(context.Context) (string, error) {
	if now == nil {
		now = time.Now
	}
	ts := &tokenSource{url: tokenURL, id: clientID, secret: secret, hc: httpClient(hc), now: now}
	return ts.token
}

type tokenSource struct {
	url, id, secret string
	hc              *http.Client
	now             func() time.Time

	mu    sync.Mutex
	tok   string
	until time.Time // when the cached token is replaced
}

func (t *tokenSource) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && t.now().Before(t.until) {
		return t.tok, nil
	}
	asked := t.now()
	tr, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	t.tok, t.until = tr.AccessToken, asked.Add(max(life-refreshBefore, life/2))
	return t.tok, nil
}

func (t *tokenSource) fetch(ctx context.Context) (TokenResponse, error) {
	var tr TokenResponse
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form.Encode()))
	if err != nil {
		return tr, fmt.Errorf("get SYSTEM token: %w", err)
	}
	req.SetBasicAuth(url.QueryEscape(t.id), url.QueryEscape(t.secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.hc.Do(req)
	if err != nil {
		return tr, fmt.Errorf("get SYSTEM token: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return tr, fmt.Errorf("get SYSTEM token: %w", err)
	case resp.StatusCode != http.StatusOK:
		return tr, fmt.Errorf("get SYSTEM token: the token endpoint answered %d", resp.StatusCode)
	case len(body) > maxAnswer:
		return tr, fmt.Errorf("get SYSTEM token: the answer is larger than %d KiB", maxAnswer>>10)
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return tr, fmt.Errorf("get SYSTEM token: decode: %w", err)
	}
	switch {
	case tr.AccessToken == "":
		return tr, errors.New("get SYSTEM token: the answer has no access_token")
	case !strings.EqualFold(tr.TokenType, "Bearer"):
		return tr, fmt.Errorf("get SYSTEM token: token_type %q is not Bearer", tr.TokenType)
	case tr.ExpiresIn <= 0:
		return tr, fmt.Errorf("get SYSTEM token: expires_in %d is not positive", tr.ExpiresIn)
	}
	return tr, nil
}

// Settings are what a system needs to exchange transfers through a directory and identity
// service: where they are, its client credentials, the councils it serves and, for a system
// that is not started by the harness, the base URL the directory names it by.
type Settings struct {
	DirectoryURL string   // the directory's base URL (Client.Endpoint)
	TokenURL     string   // the token endpoint
	ClientID     string   // the system's client id
	ClientSecret string   // the system's client secret
	Councils     []string // the councils the system serves (Client.Own)
	SelfURL      string   // the system's own base URL as the directory names it, if known
}

// Enabled reports whether s names a directory.
func (s Settings) Enabled() bool { return s.DirectoryURL != "" }

// Options returns the reference.ExchangeOptions of a system configured with s: a Client over
// the directory, a TokenSource, the system's id as the actor of its deliveries, and SelfURL.
// hc sends lookups and token requests (nil: a client with a 10-second timeout). The zero
// Settings give the zero options (the system serves every council itself).
func (s Settings) Options(hc *http.Client) reference.ExchangeOptions {
	if !s.Enabled() {
		return reference.ExchangeOptions{}
	}
	return reference.ExchangeOptions{
		Directory:   &Client{Endpoint: s.DirectoryURL, Own: slices.Clone(s.Councils), HTTP: hc},
		SelfURL:     s.SelfURL,
		SystemToken: TokenSource(s.TokenURL, s.ClientID, s.ClientSecret, hc, nil),
		SystemOrg:   s.ClientID,
	}
}
