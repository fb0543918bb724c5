package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// Request is one request a step sends through the instrumented client (World.Send).
type Request struct {
	Method string
	// Path is relative to the target's base URL and may carry a query. "{kind:name}" is
	// replaced by a remembered id, e.g. "/v1/children/{child:Amara}".
	Path string
	// Body is nil for no body; []byte, json.RawMessage and string are sent as they are;
	// anything else is encoded as JSON.
	Body any
	// ContentType defaults to application/json when there is a body.
	ContentType string
	// Header holds extra headers. An X-Correlation-ID here replaces the generated one.
	Header http.Header
	// As is who sends the request: their bearer token is attached. Nil sends none.
	As *Actor
	// Token, if set, is sent as the bearer token instead of As's (authentication scenarios).
	Token string
	// Purpose is sent as X-Purpose-Of-Use; "" sends no such header.
	Purpose string
	// Peer sends the request to the peer system (Options.Peer) instead of the target. Its
	// exchange is recorded and checked against the contract like the target's.
	Peer bool
	// Invalid marks a request the scenario breaks on purpose (a negative test): the contract's
	// complaints about the request are expected and not raised. Without it, a request that
	// breaks the contract is a harness defect (CONFIG).
	Invalid bool
}

// Response is what the target answered. Its body is kept whole; the evidence in Exchange is
// redacted as the run asks.
type Response struct {
	Status        int
	Header        http.Header
	Body          []byte
	Operation     string // OpenAPI operationId, "" when the route is not in the contract
	CorrelationID string // the X-Correlation-ID the request carried
	Exchange      reports.Exchange
	// sent is the request body as sent, unredacted; nil for none.
	sent []byte

	doc     any
	docErr  error
	decoded bool
	// violated are the JSON Pointers of the body at which the response breaks the contract;
	// each is already charged to its requirement.
	violated []string
}

// maxBody bounds the response body the client reads.
const maxBody = 16 << 20

// maxEvidence bounds each body kept as evidence.
const maxEvidence = 64 << 10

// JSON returns the body decoded as JSON, numbers as json.Number. It is decoded once.
func (r *Response) JSON() (any, error) {
	if !r.decoded {
		r.doc, r.docErr = decodeJSON(r.Body)
		r.decoded = true
	}
	return r.doc, r.docErr
}

// At returns the value at JSON Pointer ptr of the body and whether it is there; a body that
// is not JSON has nothing at any pointer.
func (r *Response) At(ptr string) (any, bool) {
	doc, err := r.JSON()
	if err != nil {
		return nil, false
	}
	v, ok, err := Lookup(doc, ptr)
	return v, ok && err == nil
}

// Decode decodes the body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode %s response: %w", r.Operation, err)
	}
	return nil
}

// MediaType returns the response's media type without parameters, lower case.
func (r *Response) MediaType() string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type")))
	}
	return mt
}

// Send sends r to the target through the one instrumented client and returns the response,
// which also becomes w.Last. It attaches the actor's token and an X-Correlation-ID, applies the
// run's per-request timeout, records the exchange as evidence and checks request and response
// against the contract.
//
// Contract violations in the response do not make Send fail: each is attributed to a
// requirement and recorded on the scenario (see attribution.go), which then fails at its end
// while the scenario's own checks still run. Send returns an error only when
//   - the target could not be tested (no response, a timeout): *TargetError, an ERROR verdict;
//   - the harness built a request that breaks the contract without r.Invalid, or r names an
//     unknown child or actor: *ConfigError, a CONFIG verdict.
//
// A system may shed load at any time with 429 or 503 (ERR-004): Send then sends the request
// again, after the Retry-After it was given (at most MaxShedWait) or, without one, after a
// short backoff, up to MaxShedRetries times, so that a busy but conforming system is never
// failed for shedding. Every attempt is recorded and checked like any other exchange (a shed
// answer without Retry-After is charged to ERR-004 there); the last answer is the step's.
// SendConcurrently never retries: its bursts are how the overload scenario makes a system shed.
func (w *World) Send(r Request) (*Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := w.sendOnce(r)
		if err != nil || attempt > MaxShedRetries || !shed(resp) {
			return resp, err
		}
		t := time.NewTimer(shedWait(resp, attempt))
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return resp, nil
		}
	}
}

// Bounds of Send's retries of a shed request.
const (
	MaxShedRetries = 4
	MaxShedWait    = 2 * time.Second
	shedBackoff    = 100 * time.Millisecond
)

// shed reports whether a response sheds load.
func shed(r *Response) bool {
	return r != nil && (r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable)
}

// shedWait is how long Send waits before sending a shed request again: the Retry-After in
// seconds if there is a valid one, else shedBackoff doubled per attempt; at most MaxShedWait.
func shedWait(r *Response, attempt int) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(r.Header.Get("Retry-After"))); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, MaxShedWait)
	}
	return min(shedBackoff<<(attempt-1), MaxShedWait)
}

// sendOnce sends r once.
func (w *World) sendOnce(r Request) (*Response, error) {
	p, err := w.prepare(r)
	if err != nil {
		return nil, err
	}
	defer p.cancel()
	p.roundTrip(w.suite.client)
	return w.complete(p)
}

// SendConcurrently sends reqs at the same moment, each as Send would, and returns their
// responses in the order of reqs (for bursts of load, ERR-004, and races, VER-002). The requests
// are prepared and their exchanges recorded one after another on the scenario's goroutine; only
// the round trips run in parallel. w.Last becomes the response to the last request. The error
// is the first that Send would have returned for one of them; the responses that did arrive are
// returned with it.
func (w *World) SendConcurrently(reqs []Request) ([]*Response, error) {
	pending := make([]*outgoing, 0, len(reqs))
	defer func() {
		for _, p := range pending {
			p.cancel()
		}
	}()
	for _, r := range reqs {
		p, err := w.prepare(r)
		if err != nil {
			return nil, err
		}
		pending = append(pending, p)
	}
	// Every round trip waits for the start signal, so that they hit the target together even
	// on a busy machine: a burst that trickles in would not test overload.
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, p := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p.roundTrip(w.suite.client)
		}()
	}
	close(start)
	wg.Wait()
	out := make([]*Response, len(pending))
	var first error
	for i, p := range pending {
		resp, err := w.complete(p)
		out[i] = resp
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// outgoing is one request between prepare and complete. roundTrip touches only its own
// fields, so the round trips of several may run at once.
type outgoing struct {
	r           Request
	op, full    string
	rel         *url.URL
	body        []byte
	contentType string
	req         *http.Request
	ctx         context.Context
	cancel      context.CancelFunc
	timeout     time.Duration

	resp     *http.Response
	respBody []byte
	err      error
	duration time.Duration
}

// prepare builds the HTTP request of r: its path expanded, its body encoded, its token and
// X-Correlation-ID attached. The caller must call the returned request's cancel.
func (w *World) prepare(r Request) (*outgoing, error) {
	path, err := w.Expand(r.Path)
	if err != nil {
		return nil, err
	}
	op := r.Method + " " + path
	if err := w.ctx.Err(); err != nil {
		return nil, &TargetError{Op: op, Err: w.stopCause()}
	}
	if err := w.suite.breaker.check(); err != nil {
		return nil, &TargetError{Op: op, Err: err}
	}
	body, contentType, err := encodeBody(r)
	if err != nil {
		return nil, Configf("%s: %v", op, err)
	}
	w.suite.opts.Ledger.Add(sentValues(path, body))
	rel, err := url.Parse(path)
	if err != nil || rel.IsAbs() || !strings.HasPrefix(rel.Path, "/") {
		return nil, Configf("request path %q must be absolute and relative to the base URL", path)
	}
	base := w.suite.baseURL
	if r.Peer {
		if w.suite.opts.Peer == nil {
			return nil, Configf("%s: the run has no peer system (tag the scenario @peer)", op)
		}
		base = strings.TrimRight(w.suite.opts.Peer.BaseURL, "/")
	}
	full := base + path

	timeout := w.suite.opts.RequestTimeout
	ctx, cancel := context.WithTimeout(w.ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, r.Method, full, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, Configf("%s: %v", op, err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if contentType != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", contentType)
	}
	if _, set := req.Header["X-Correlation-Id"]; !set {
		req.Header.Set("X-Correlation-ID", w.correlationID())
	}
	if r.Purpose != "" {
		req.Header.Set("X-Purpose-Of-Use", r.Purpose)
	}
	token := r.Token
	if token == "" && r.As != nil {
		if token, err = w.Token(r.As); err != nil {
			cancel()
			return nil, err
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return &outgoing{
		r: r, op: op, full: full, rel: rel, body: body, contentType: contentType,
		req: req, ctx: ctx, cancel: cancel, timeout: timeout,
	}, nil
}

// roundTrip sends the request and reads the response body. It touches nothing but p.
func (p *outgoing) roundTrip(client *http.Client) {
	start := time.Now()
	resp, err := client.Do(p.req)
	if err != nil {
		p.duration, p.err = time.Since(start), err
		return
	}
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	_ = resp.Body.Close()
	p.duration = time.Since(start)
	if err == nil && len(respBody) > maxBody {
		err = fmt.Errorf("response body larger than %d MiB", maxBody>>20)
	}
	p.resp, p.respBody, p.err = resp, respBody, err
}

// complete records the exchange of p as evidence, checks it against the contract and
// attributes its violations, as Send documents.
func (w *World) complete(p *outgoing) (*Response, error) {
	r, req, body, contentType, rel := p.r, p.req, p.body, p.contentType, p.rel
	red := w.suite.redactor
	x := reports.Exchange{
		Method:         r.Method,
		URL:            red.Text(p.full),
		RequestHeaders: red.Headers(req.Header),
		RequestBody:    clip(red.Body(contentType, body)),
		DurationMs:     p.duration.Milliseconds(),
	}
	if w.ctx.Err() == nil {
		// A scenario that ran out of time or an interrupted run says nothing of the target.
		var cause error
		if p.resp == nil || p.err != nil {
			cause = w.transportCause(p.ctx, p.err, p.timeout)
		}
		w.suite.breaker.result(cause)
	}
	if p.resp == nil {
		cause := w.transportCause(p.ctx, p.err, p.timeout)
		x.Error = ClipError(cause.Error())
		w.exchanges = append(w.exchanges, w.budget(x))
		return nil, &TargetError{Op: p.op, Err: cause}
	}
	resp, respBody := p.resp, p.respBody
	x.Status = resp.StatusCode
	x.ResponseHeaders = red.Headers(resp.Header)
	if p.err != nil {
		cause := w.transportCause(p.ctx, p.err, p.timeout)
		x.Error = ClipError(cause.Error())
		w.exchanges = append(w.exchanges, w.budget(x))
		return nil, &TargetError{Op: p.op, Err: cause}
	}
	x.ResponseBody = clip(red.Body(resp.Header.Get("Content-Type"), respBody))

	checkReq := req.Clone(context.Background())
	// The contract's routes are relative to the API root, which may sit under a path prefix
	// of the base URL.
	checkReq.URL = &url.URL{Scheme: "http", Host: req.URL.Host, Path: rel.Path, RawPath: rel.RawPath, RawQuery: rel.RawQuery}
	result := w.Contract().Check(checkReq, body, resp.StatusCode, resp.Header, respBody)
	x.Operation = result.Operation

	out := &Response{
		Status:        resp.StatusCode,
		Header:        resp.Header,
		Body:          respBody,
		Operation:     result.Operation,
		CorrelationID: req.Header.Get("X-Correlation-ID"),
		sent:          body,
	}

	var requestDefects []string
	var found []Finding
	for _, v := range result.Violations {
		if v.Where == spec.WhereRequest {
			if !r.Invalid {
				requestDefects = append(requestDefects, w.describe(v))
			}
			continue
		}
		at := siteOf(result.Operation, resp.StatusCode, v)
		if at.Pointer != "" {
			out.violated = append(out.violated, at.Pointer)
		}
		reqs, source := w.suite.attr.attribute(at, w.Requirements)
		text := w.describe(v)
		x.Violations = append(x.Violations, fmt.Sprintf("%s [%s]", text, strings.Join(reqs, ", ")))
		found = append(found, Finding{
			Verdict:      reports.Fail,
			Requirements: reqs,
			Source:       source,
			Failure: reports.Failure{
				Message: fmt.Sprintf("%s: the response breaks the contract: %s", opName(result.Operation, p.op), text),
				Pointer: sitePointer(at),
				// The expected text is the contract's own words: never redacted by the
				// member's kind (issue 12: "format date (YYYY-MM-DD)" stays readable).
				Expected: red.Text(v.Expected),
				Actual:   red.Value(at.Pointer, v.Actual),
			},
		})
	}
	for _, d := range requestDefects {
		x.Violations = append(x.Violations, "request: "+d)
	}
	x = w.budget(x)
	out.Exchange = x
	w.exchanges = append(w.exchanges, x)
	w.Last = out
	for _, f := range found {
		f.Failure.Exchanges = []reports.Exchange{x}
		if r.Peer {
			f.Failure.Party = reports.PartyPeer // the peer's own API broke the contract
		}
		w.Record(f)
	}
	if len(requestDefects) > 0 {
		return out, Configf("%s: the harness sent a request that breaks the contract (mark it Invalid if deliberate): %s",
			opName(result.Operation, p.op), strings.Join(requestDefects, "; "))
	}
	return out, nil
}

// describe renders a violation for evidence, with its values redacted.
func (w *World) describe(v spec.Violation) string {
	red := w.suite.redactor
	var b strings.Builder
	if v.Pointer != "" {
		b.WriteString(v.Pointer)
		b.WriteString(": ")
	}
	b.WriteString(red.Text(v.Message))
	if v.Field != "required" && (v.Expected != "" || v.Actual != "") {
		fmt.Fprintf(&b, " (expected %s, got %s)", orDash(red.Text(v.Expected)), orDash(red.Value(v.Pointer, v.Actual)))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// siteOf locates a response violation for attribution.
func siteOf(operation string, status int, v spec.Violation) site {
	s := site{Operation: operation, Status: status}
	switch {
	case strings.HasPrefix(v.Pointer, "header:"):
		s.Header = strings.TrimPrefix(v.Pointer, "header:")
		if v.Field == "content" || strings.EqualFold(s.Header, "Content-Type") {
			s.Header, s.ContentType = "", true
		}
	case v.Field == "content":
		s.ContentType = true
	case v.Field == "status" && v.Pointer == "":
		s.UndeclaredStatus = true
	default:
		s.Pointer, s.Keyword = v.Pointer, v.Field
	}
	return s
}

// transportCause explains a failed exchange: the per-request timeout, the scenario's timeout,
// an interrupted run, or the transport error itself.
func (w *World) transportCause(reqCtx context.Context, err error, timeout time.Duration) error {
	if w.ctx.Err() != nil {
		return w.stopCause()
	}
	if errors.Is(reqCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no response within %s (the per-request timeout): %w", timeout, context.DeadlineExceeded)
	}
	return err
}

// stopCause explains why the scenario's context ended.
func (w *World) stopCause() error {
	if errors.Is(w.ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the scenario ran out of its %s: %w", w.suite.opts.ScenarioTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("the run was interrupted: %w", context.Canceled)
}

func opName(operation, fallback string) string {
	if operation != "" {
		return operation
	}
	return fallback
}

func sitePointer(s site) string {
	if s.Header != "" {
		return "header:" + s.Header
	}
	if s.ContentType {
		return "header:Content-Type"
	}
	return s.Pointer
}

func encodeBody(r Request) ([]byte, string, error) {
	if r.Body == nil {
		return nil, r.ContentType, nil
	}
	ct := r.ContentType
	if ct == "" {
		ct = "application/json"
	}
	switch b := r.Body.(type) {
	case []byte:
		return b, ct, nil
	case json.RawMessage:
		return b, ct, nil
	case string:
		return []byte(b), ct, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Body); err != nil {
		return nil, "", fmt.Errorf("encode body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), ct, nil
}

// clip bounds a body kept as evidence.
func clip(s string) string { return Clip(s, maxEvidence) }
