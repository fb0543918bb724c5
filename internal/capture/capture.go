// Package capture is the neutral capture proxy between two systems that exchange transfer
// packages and outcomes peer to peer (spec/CONTRACT.md "Transfers"). Neither side owns it.
//
// One Proxy stands in front of one upstream system, for every exchange sent to it: its URL
// goes into the national directory in place of the upstream's, so a pair A, B needs two
// proxies (A's deliveries to B go through B's proxy, B's outcomes to A through A's). A proxy
// per upstream keeps each proxy's evidence and faults about one direction, and lets a pair be
// wired, or a third system added, without re-routing anything.
//
// A Proxy:
//   - forwards each request and records it as an Exchange: method, path, status, headers and
//     bodies (personal data redacted by steps.Redactor, bounded), timing, and the attempt
//     number per Idempotency-Key;
//   - checks each exchange against the contract with spec.Check and charges each violation to
//     the side at fault as a Finding: a bad request to the SENDER (the system that sent it), a
//     bad response to the RECEIVER (the upstream);
//   - injects faults armed with Inject for the next N matching exchanges: drop the request,
//     drop the response, duplicate the delivery, delay it, or reorder it.
//
// Everything it keeps is bounded (Options), and a Proxy is safe for concurrent use.
package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/internal/fidelity"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// deliverPath is the route of a package delivery (operation deliverInboundTransfer).
const deliverPath = "/v1/inbound/transfers"

// Defaults of Options.
const (
	// DefaultMaxBody bounds each body kept as evidence.
	DefaultMaxBody = 256 << 10
	// DefaultMaxForward bounds each body the proxy forwards; a larger one is not forwarded.
	DefaultMaxForward = 16 << 20
	// DefaultMaxRecords bounds the exchanges kept (the first ones), and the Idempotency-Keys
	// and packages tracked.
	DefaultMaxRecords = 1000
	// DefaultMaxFindings bounds the findings kept (the first ones).
	DefaultMaxFindings = 1000
	// DefaultHold is the longest a reordered delivery is held waiting for the next one.
	DefaultHold = 30 * time.Second
	// upstreamTimeout bounds one forwarded exchange.
	upstreamTimeout = 30 * time.Second
	// maxTokenBytes bounds the bearer token read for the sender's name.
	maxTokenBytes = 8 << 10
)

// Options configures a Proxy. The zero value redacts personal data and uses the defaults.
type Options struct {
	// Name names the upstream system in evidence and findings, e.g. "system-b"; "upstream"
	// if empty.
	Name string
	// Contract checks every exchange; spec.MustLoad() if nil.
	Contract *spec.Contract
	// Redactor redacts evidence; steps.Redactor{Personal: true} if nil. Give it the run's
	// ledger (Known) so that every generated value is removed wherever it appears.
	Redactor *steps.Redactor
	// Transport sends to the upstream; a clone of http.DefaultTransport if nil.
	Transport http.RoundTripper
	// MaxBody, MaxForward, MaxRecords and MaxFindings bound what is kept and forwarded; the
	// defaults above if zero or less.
	MaxBody     int
	MaxForward  int64
	MaxRecords  int
	MaxFindings int
	// Clock tells the time of records; time.Now if nil. Durations use the monotonic clock.
	Clock func() time.Time
}

// Exchange is the evidence of one request that reached the proxy. Bodies and headers are
// redacted and bounded; Status is 0 when the client was given no answer (a dropped request or
// response).
type Exchange struct {
	Seq       int    `json:"seq"`
	Upstream  string `json:"upstream"`
	From      string `json:"from,omitempty"` // the org claim of the sender's token, unverified, a label only
	Method    string `json:"method"`
	Path      string `json:"path"`
	Operation string `json:"operation,omitempty"`
	// TransferID is the transfer the exchange is about: the package's transferId for a
	// delivery, the path's id for an outcome; "" for anything else.
	TransferID string `json:"transferId,omitempty"`
	// IdempotencyKey and Attempt: the request's key, and how many requests with that key
	// (this one included) reached the proxy; Attempt is 0 without a key.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	Attempt        int    `json:"attempt,omitempty"`
	// Fault is the fault applied to this exchange, "" for none.
	Fault FaultKind `json:"fault,omitempty"`
	// Forwarded is how many times the request reached the upstream: 0 when dropped, 2 when
	// duplicated.
	Forwarded int `json:"forwarded"`
	// Status is what the client was answered (0: no answer); UpstreamStatus what the upstream
	// answered (0: it was not reached or did not answer).
	Status          int               `json:"status"`
	UpstreamStatus  int               `json:"upstreamStatus,omitempty"`
	Error           string            `json:"error,omitempty"`
	Started         time.Time         `json:"started"`
	Duration        time.Duration     `json:"durationNs"`
	RequestHeaders  map[string]string `json:"requestHeaders,omitempty"`
	ResponseHeaders map[string]string `json:"responseHeaders,omitempty"`
	RequestBody     string            `json:"requestBody,omitempty"`
	ResponseBody    string            `json:"responseBody,omitempty"`
}

// Finding is one contract violation (or broken promise across attempts) charged to the side
// at fault. Side is fidelity.Sender for a bad request, fidelity.Receiver for a bad response;
// System names that side (the sender's org claim, or Options.Name). Requirement is chosen as
// Requirement documents. Actual is redacted.
type Finding struct {
	Exchange    int           `json:"exchange"`
	Requirement string        `json:"requirement"`
	Side        fidelity.Side `json:"side"`
	System      string        `json:"system,omitempty"`
	Operation   string        `json:"operation,omitempty"`
	Pointer     string        `json:"pointer"`
	Expected    string        `json:"expected,omitempty"`
	Actual      string        `json:"actual,omitempty"`
	Message     string        `json:"message"`
}

// Proxy is the capture proxy in front of one upstream system. It is an http.Handler; serve it
// (httptest.NewServer, or an http.Server) and name its URL in the directory. Safe for
// concurrent use.
type Proxy struct {
	upstream *url.URL
	opts     Options
	red      steps.Redactor
	client   *http.Client

	mu          sync.Mutex
	seq         int
	exchanges   []Exchange
	notKept     int
	findings    []Finding
	findingsCut int
	keys        map[string]*keyState
	faults      []*armed
	packages    map[string][]byte
}

// keyState is what the proxy remembers of one Idempotency-Key.
type keyState struct {
	attempts  int
	forwarded int
	body      [sha256.Size]byte
	okStatus  int    // the first 2xx the upstream gave, 0 if none yet
	okID      string // the transfer id that answer named
}

// New returns a Proxy forwarding to upstream (a base URL: scheme, host, optional path prefix).
func New(upstream string, opts Options) (*Proxy, error) {
	u, err := url.Parse(strings.TrimSuffix(upstream, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("new capture proxy: upstream %q is not an http(s) base URL", upstream)
	}
	if opts.Name == "" {
		opts.Name = "upstream"
	}
	if opts.Contract == nil {
		opts.Contract, err = spec.Load()
		if err != nil {
			return nil, fmt.Errorf("new capture proxy: %w", err)
		}
	}
	red := steps.Redactor{Personal: true}
	if opts.Redactor != nil {
		red = *opts.Redactor
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxForward <= 0 {
		opts.MaxForward = DefaultMaxForward
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = DefaultMaxFindings
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Proxy{
		upstream: u, opts: opts, red: red,
		client: &http.Client{
			Transport: opts.Transport, Timeout: upstreamTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		keys: map[string]*keyState{}, packages: map[string][]byte{},
	}, nil
}

// Exchanges returns a copy of the exchanges kept, in the order they reached the proxy
// (by Seq), and how many more were not kept because of MaxRecords.
func (p *Proxy) Exchanges() ([]Exchange, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Exchange(nil), p.exchanges...)
	sortBySeq(out)
	return out, p.notKept
}

// About returns the exchanges kept about transfer id (Exchange.TransferID), in order, with
// the findings charged on them.
func (p *Proxy) About(id string) ([]Exchange, []Finding) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Exchange
	seqs := map[int]bool{}
	for _, e := range p.exchanges {
		if id != "" && e.TransferID == id {
			out = append(out, e)
			seqs[e.Seq] = true
		}
	}
	sortBySeq(out)
	var fs []Finding
	for _, f := range p.findings {
		if seqs[f.Exchange] {
			fs = append(fs, f)
		}
	}
	return out, fs
}

// Findings returns a copy of the findings kept, in the order they were found, and how many
// more were not kept because of MaxFindings.
func (p *Proxy) Findings() ([]Finding, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Finding(nil), p.findings...), p.findingsCut
}

// Attempts returns how many requests with Idempotency-Key key reached the proxy (attempts by
// the sender), and how many times they reached the upstream (forwarded).
func (p *Proxy) Attempts(key string) (attempts, forwarded int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.keys[key]; k != nil {
		return k.attempts, k.forwarded
	}
	return 0, 0
}

// Package returns the TransferPackage body of transfer id as the proxy last forwarded it,
// unredacted, for a fidelity comparison in process (fidelity.Blame). It holds personal data:
// it is never part of the evidence, and callers must not write it to a report.
func (p *Proxy) Package(id string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.packages[id]
	return bytes.Clone(b), ok
}

// call is one exchange in flight.
type call struct {
	ex      Exchange
	req     *http.Request
	body    []byte
	status  int
	header  http.Header
	resp    []byte
	results []upstreamAnswer
}

// upstreamAnswer is one answer the upstream gave to a forwarded request.
type upstreamAnswer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// ServeHTTP forwards r to the upstream, applying any armed fault, records the exchange and
// checks it against the contract.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{req: r, ex: Exchange{
		Upstream: p.opts.Name, From: senderOf(r), Method: r.Method, Path: r.URL.RequestURI(),
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Started: p.opts.Clock().UTC(),
	}}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxForward+1))
	if err != nil || int64(len(body)) > p.opts.MaxForward {
		c.ex.Error = "request body unreadable or over the proxy's bound; not forwarded"
		p.answerProblem(w, c, http.StatusBadGateway)
		p.finish(c, start)
		return
	}
	c.body = body
	act := p.arm(c)
	switch act.kind {
	case DropRequest:
		c.ex.Error = "request dropped by an injected fault"
		p.hangUp(w, c)
	case DropResponse:
		p.forward(c)
		c.ex.Error = "response dropped by an injected fault"
		p.hangUp(w, c)
	case Reorder:
		if act.detach {
			// The client is told nothing, as for a lost request; the request waits for the
			// next one regardless of the client, then reaches the upstream late.
			p.hangUp(w, c)
			p.prepare(context.Background(), c, act)
			p.forward(c)
			c.ex.Error = joinReason(c.ex.Error, "reorder: the sender's connection was closed and the request held, then forwarded late")
			break
		}
		if !p.prepare(r.Context(), c, act) {
			c.ex.Error = "the client went away before the delivery was forwarded"
			break
		}
		p.forward(c)
		p.answer(w, c)
	default:
		if !p.prepare(r.Context(), c, act) {
			c.ex.Error = "the client went away before the delivery was forwarded"
			break
		}
		p.forward(c)
		if act.kind == Duplicate {
			p.forward(c)
		}
		if act.release != nil {
			close(act.release)
		}
		p.answer(w, c)
	}
	p.finish(c, start)
}

// prepare waits as a delay or reorder fault asks; false when the client went away.
func (p *Proxy) prepare(ctx context.Context, c *call, act action) bool {
	var wait <-chan time.Time
	switch act.kind {
	case Delay:
		t := time.NewTimer(act.delay)
		defer t.Stop()
		wait = t.C
	case Reorder:
		t := time.NewTimer(act.delay)
		defer t.Stop()
		select {
		case <-act.hold:
			return true
		case <-t.C:
			c.ex.Error = "reorder: no later delivery came within the hold; forwarded in order"
			p.unhold(act.hold)
			return true
		case <-ctx.Done():
			p.unhold(act.hold)
			return false
		}
	default:
		return true
	}
	select {
	case <-wait:
		return true
	case <-ctx.Done():
		return false
	}
}

// joinReason joins two reasons of an exchange's Error.
func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// forward sends the request to the upstream once and keeps its answer.
func (p *Proxy) forward(c *call) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.req.Context()), upstreamTimeout)
	defer cancel()
	target := *p.upstream
	target.Path = p.upstream.Path + c.req.URL.Path
	target.RawPath = ""
	if p.upstream.RawPath != "" || c.req.URL.RawPath != "" {
		target.RawPath = p.upstream.EscapedPath() + c.req.URL.EscapedPath()
	}
	target.RawQuery = c.req.URL.RawQuery
	out, err := http.NewRequestWithContext(ctx, c.req.Method, target.String(), bytes.NewReader(c.body))
	if err != nil {
		c.results = append(c.results, upstreamAnswer{err: err})
		return
	}
	for name, vs := range c.req.Header {
		if !hopByHop[http.CanonicalHeaderKey(name)] {
			out.Header[name] = append([]string(nil), vs...)
		}
	}
	c.ex.Forwarded++
	p.mu.Lock()
	if k := p.keys[c.ex.IdempotencyKey]; k != nil && c.ex.IdempotencyKey != "" {
		k.forwarded++
	}
	if c.req.Method == http.MethodPost && c.req.URL.Path == deliverPath {
		// Kept before the receiver sees it: whoever learns from the receiver that the
		// package arrived finds it here too.
		p.keepPackage(c.body)
	}
	p.mu.Unlock()
	resp, err := p.client.Do(out)
	if err != nil {
		c.results = append(c.results, upstreamAnswer{err: err})
		return
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, p.opts.MaxForward+1))
	if err == nil && int64(len(b)) > p.opts.MaxForward {
		err = errors.New("response body over the proxy's bound")
	}
	c.results = append(c.results, upstreamAnswer{status: resp.StatusCode, header: resp.Header.Clone(), body: b, err: err})
}

// hopByHop are the headers a proxy does not forward (RFC 9110 §7.6.1).
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Proxy-Connection": true,
}

// answer gives the client the first upstream answer, or 502 when none came.
func (p *Proxy) answer(w http.ResponseWriter, c *call) {
	if len(c.results) == 0 {
		p.answerProblem(w, c, http.StatusBadGateway)
		return
	}
	first := c.results[0]
	if first.err != nil {
		c.ex.Error = "upstream: " + reason(first.err)
		p.answerProblem(w, c, http.StatusBadGateway)
		return
	}
	for name, vs := range first.header {
		if !hopByHop[http.CanonicalHeaderKey(name)] && name != "Content-Length" {
			w.Header()[name] = vs
		}
	}
	w.WriteHeader(first.status)
	_, _ = w.Write(first.body)
	c.status, c.header, c.resp = first.status, first.header, first.body
}

// answerProblem answers the client with a problem of the proxy's own: the upstream was not
// reached or gave no usable answer. It is not checked against the contract: the proxy is no
// side.
func (p *Proxy) answerProblem(w http.ResponseWriter, c *call, status int) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"type":"about:blank","title":"Capture proxy: no answer from %s","status":%d}`, jsonSafe(p.opts.Name), status)
	c.ex.Status = status
}

// hangUp closes the client's connection without an answer, so that it sees a connection
// error; when the connection cannot be taken over, it answers 502 instead.
func (p *Proxy) hangUp(w http.ResponseWriter, c *call) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		p.answerProblem(w, c, http.StatusBadGateway)
		return
	}
	_ = conn.Close()
}

// reason names a transport failure without echoing URLs.
func reason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			return "connection failed"
		}
		return steps.ClipError(err.Error())
	}
}

func jsonSafe(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// senderOf returns the org claim of the request's bearer token, unverified: a label for the
// evidence, never a decision. "" when there is none.
func senderOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || len(token) > maxTokenBytes {
		return ""
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Org string `json:"org"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return steps.Clip(claims.Org, 64)
}
