package reference

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// requestTimeout bounds the store work of one request, including the wait for the writer.
const requestTimeout = 30 * time.Second

// op is one operation of the API: what a request must carry before it runs, and the function
// that runs it inside the request's transaction.
type op struct {
	action string // the audit action
	public bool   // no token, no audit (meta, reference data, health)
	// refusal marks the answers to unknown paths and methods (404, 405): they are given
	// whatever the headers and the token say, and a valid token only names the audit actor.
	refusal   bool
	roles     []string // the roles that may ever do it; others get 403 before any lookup
	purpose   bool     // needs X-Purpose-Of-Use (reads and searches, AUDIT-002)
	ifMatch   bool     // needs If-Match (every PATCH, VER-001)
	body      node     // the body's schema; nil for no body
	patch     bool     // also accepts application/merge-patch+json
	idem      bool     // honours Idempotency-Key
	pathID    bool     // has an {id} path parameter
	childPath bool     // the {id} is a child's id
	// childOf resolves the child of the {id} resource, to name it in the audit event of a
	// request refused before its operation ran.
	childOf func(tx store.Tx, id string) string
	run     func(c *call) (*result, error)
}

// call is one request in flight: what was asked, by whom, and what its audit event will say.
// It is used by one goroutine only.
type call struct {
	s     *Server
	op    *op
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	now   time.Time // the request's instant
	today time.Time // the request's calendar date, at midnight UTC

	corrID  string
	badCorr bool // the request's X-Correlation-ID was malformed
	actor   spec.Actor
	purpose string
	reason  string // the break-glass reason
	idemKey string
	id      string // the {id} path parameter
	body    any    // the parsed body, when op.body is set
	rawBody []byte
	tx      store.Tx

	childIDs []string
	tiers    map[string]bool
	notes    []store.Notification
	replay   *store.IdempotentResponse
	audited  bool // the request's audit event is committed
	wake     bool // the request queued deliveries for the exchange to send
}

// errRefused makes a transaction roll back because its operation refused the request.
var errRefused = errors.New("request refused")

// serve answers one request to o.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, o *op) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), requestTimeout)
	defer cancel()
	now := s.clock()
	y, m, d := now.Date()
	c := &call{
		s: s, op: o, w: w, r: r, ctx: ctx, now: now,
		today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		tiers: map[string]bool{},
	}
	c.corrID, c.badCorr = correlationID(r.Header.Get("X-Correlation-ID"))
	var res *result
	if o.public {
		res = s.servePublic(c)
	} else {
		res = s.serveProtected(c)
	}
	s.write(c, res)
}

// servePublic answers an operation that needs no token and leaves no audit event.
func (s *Server) servePublic(c *call) *result {
	if res := c.checkCommonHeaders(); res != nil && !c.op.refusal {
		return res
	}
	res, err := c.op.run(c)
	if err != nil {
		s.log.Error("public operation failed", "action", c.op.action, "error", err)
		return internalError()
	}
	return res
}

// serveProtected authenticates, checks and runs an operation, auditing it exactly once.
func (s *Server) serveProtected(c *call) (res *result) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("operation panicked", "action", c.op.action, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res = internalError()
			c.discardEffects()
			s.recordAlone(c, res)
		}
	}()
	c.observe()
	actor, err := s.authenticate(c.r)
	if c.op.refusal {
		if err == nil {
			c.actor = actor
		}
		res, _ = c.op.run(c)
		s.recordAlone(c, res)
		return res
	}
	if err != nil {
		s.log.Debug("request not authenticated", "reason", err.Error())
		c.purpose = "" // an unauthenticated caller's claims are not recorded as fact
		res = unauthenticated()
		var down *KeysUnavailableError
		if errors.As(err, &down) {
			res = keysUnavailable(down.RetryAfter)
		}
		s.recordAlone(c, res)
		return res
	}
	c.actor = actor
	if res := c.precheck(); res != nil {
		s.recordAlone(c, res)
		return res
	}
	return s.transact(c)
}

// transact runs the operation in one write transaction with its notifications, idempotent
// response and audit event. A refusal rolls the operation's writes back and records only its
// audit event.
func (s *Server) transact(c *call) *result {
	var res *result
	err := s.store.Update(c.ctx, func(tx store.Tx) error {
		c.tx = tx
		r, err := c.execute()
		if err != nil {
			return err
		}
		res = r
		if res.failed() {
			return errRefused
		}
		return c.commitEffects(res)
	})
	switch {
	case err == nil:
		c.audited = true
		if c.wake {
			s.exchange.kick()
		}
		return res
	case errors.Is(err, errRefused):
		c.discardEffects()
		s.recordAlone(c, res)
		return res
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("request timed out waiting for the store", "action", c.op.action)
		res = unavailable()
	default:
		s.log.Error("operation failed", "action", c.op.action, "error", err)
		res = internalError()
	}
	c.discardEffects()
	s.recordAlone(c, res)
	return res
}

// execute replays an idempotent response or runs the operation.
func (c *call) execute() (*result, error) {
	if c.op.idem && c.idemKey != "" {
		saved, err := c.tx.IdempotentResponse(c.actor.Org, c.idemKey)
		switch {
		case err == nil:
			if saved.Fingerprint != c.fingerprint() {
				return problem(codeKeyReused, "The Idempotency-Key was used with a different request."), nil
			}
			c.replay = &saved
			c.childIDs = append(c.childIDs, saved.ChildIDs...)
			for _, t := range saved.Tiers {
				c.tiers[t] = true
			}
			res := &result{status: saved.Status, raw: saved.Body, etag: saved.ETag, location: saved.Location}
			return res, nil
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return c.op.run(c)
}

// commitEffects encodes the response and writes, in the request's transaction, its
// idempotent copy, its notifications and its audit event.
func (c *call) commitEffects(res *result) error {
	if res.raw == nil && res.body != nil {
		b, err := encodeJSON(res.body)
		if err != nil {
			return err
		}
		res.raw = b
	}
	if c.op.idem && c.idemKey != "" && c.replay == nil {
		err := c.tx.SaveIdempotentResponse(store.IdempotentResponse{
			Org: c.actor.Org, Key: c.idemKey, Fingerprint: c.fingerprint(),
			Status: res.status, ETag: res.etag, Location: res.location, Body: res.raw,
			ChildIDs: c.childIDs, Tiers: c.tierList(), CreatedAt: c.instant(),
		})
		if err != nil {
			return err
		}
	}
	for i := range c.notes {
		if err := c.raise(&c.notes[i]); err != nil {
			return err
		}
	}
	return c.appendAudit(res)
}

// discardEffects forgets what a rolled-back operation disclosed and raised.
func (c *call) discardEffects() {
	c.tiers = map[string]bool{}
	c.notes = nil
}

// recordAlone appends the audit event of a request whose operation did not commit, in a
// transaction of its own. A failure is logged; the answer stays what it was.
func (s *Server) recordAlone(c *call, res *result) {
	if c.audited {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), requestTimeout)
	defer cancel()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		c.tx = tx
		if len(c.childIDs) == 0 && c.op.childOf != nil && c.id != "" && idRE.MatchString(c.id) {
			if child := c.op.childOf(tx, c.id); child != "" {
				c.childIDs = []string{child}
			}
		}
		return c.appendAudit(res)
	})
	if err != nil {
		s.log.Error("record audit event", "action", c.op.action, "error", err)
		return
	}
	c.audited = true
}

// appendAudit seals the request's audit event onto the chain (AUDIT-001, AUDIT-003).
func (c *call) appendAudit(res *result) error {
	seq, prev, err := c.tx.LastAuditEvent()
	if err != nil {
		return err
	}
	if prev == "" {
		prev = audit.GenesisHash
	}
	path := c.r.URL.EscapedPath()
	if len(path) > 512 {
		path = path[:512]
	}
	ev := spec.AuditEvent{
		Seq:              seq + 1,
		At:               c.instant(),
		Actor:            c.actor,
		Action:           c.op.action,
		Method:           c.r.Method,
		Path:             path,
		ChildIDs:         slices.Clone(c.childIDs),
		Purpose:          c.purpose,
		BreakGlass:       c.purpose == purposeBreakGlass,
		BreakGlassReason: c.reason,
		DisclosedTiers:   c.tierList(),
		Outcome:          outcome(res.status),
		Status:           res.status,
		CorrelationID:    c.corrID,
	}
	if res.failed() {
		ev.DisclosedTiers = []string{}
	}
	sealed, err := audit.Seal(ev, prev)
	if err != nil {
		return err
	}
	return c.tx.AppendAuditEvent(sealed)
}

// outcome names the audit outcome of a status.
func outcome(status int) string {
	switch {
	case status < 400:
		return "SUCCESS"
	case status == http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case status == http.StatusForbidden:
		return "DENIED"
	case status == http.StatusNotFound || status == http.StatusGone:
		return "NOT_FOUND"
	case status >= 500:
		return "ERROR"
	default:
		return "INVALID"
	}
}

// fingerprint identifies a create for Idempotency-Key: method, path and canonical body.
func (c *call) fingerprint() string {
	body, err := audit.Canonicalize(c.rawBody)
	if err != nil {
		body = c.rawBody
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", c.r.Method, c.r.URL.EscapedPath())
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// instant is the request's time as served: RFC 3339 in UTC with milliseconds.
func (c *call) instant() string { return c.now.UTC().Format("2006-01-02T15:04:05.000Z") }

// todayDate is the request's calendar date, YYYY-MM-DD.
func (c *call) todayDate() string { return c.today.Format(time.DateOnly) }

// touch names children in the request's audit event.
func (c *call) touch(ids ...string) {
	for _, id := range ids {
		if id != "" && !slices.Contains(c.childIDs, id) {
			c.childIDs = append(c.childIDs, id)
		}
	}
}

// tierList returns the disclosed tiers in order.
func (c *call) tierList() []string {
	out := []string{}
	for _, t := range []string{tier1, tier2, tier3, tier4, tier5, tier6} {
		if c.tiers[t] {
			out = append(out, t)
		}
	}
	return out
}

// decode validates the body against the operation's schema and converts it into dst. A body
// with field errors gets the 422 problem listing all of them.
func (c *call) decode(dst any) (*result, error) {
	e := &fieldErrors{today: c.todayDate()}
	c.op.body.check(e, "", c.body)
	if !e.empty() {
		return invalid(e), nil
	}
	return nil, convert(c.body, dst)
}

// write sends the result with the headers every response carries.
func (s *Server) write(c *call, res *result) {
	h := c.w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	h.Set("X-Correlation-ID", c.corrID)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if res.etag > 0 {
		h.Set("ETag", `"`+strconv.FormatInt(res.etag, 10)+`"`)
	}
	if res.location != "" {
		h.Set("Location", res.location)
	}
	if res.problem == nil && res.raw == nil && res.body != nil {
		b, err := encodeJSON(res.body)
		if err != nil {
			s.log.Error("encode response", "error", err)
			res = internalError()
		}
		res.raw = b
	}
	body, contentType := res.raw, "application/json"
	if res.problem != nil {
		res.problem.CorrelationID = c.corrID
		contentType = "application/problem+json"
		var err error
		if body, err = encodeJSON(res.problem); err != nil {
			s.log.Error("encode problem", "error", err)
		}
	}
	if body != nil {
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	c.w.WriteHeader(res.status)
	if body != nil && c.r.Method != http.MethodHead {
		_, _ = c.w.Write(body)
	}
}

// encodeJSON encodes v without HTML escaping, so names read as they were sent.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
