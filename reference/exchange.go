package reference

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// This file holds the exchange: the server's outbox of deliveries to other systems (transfer
// packages and outcomes, XFER-*) and to webhooks (NOTIF-002, NOTIF-003), and the one
// goroutine that sends them. Deliveries are written in the transaction of the request that
// caused them, so nothing is sent for a request that rolled back, and they survive a restart.

// Directory is the national directory: it names the base URL of the system that serves a
// council (DOMAIN.md §5). Implementations are safe for concurrent use.
type Directory interface {
	// BaseURL returns the base URL (scheme, host and any path prefix, without a trailing
	// slash) of the system serving council dfe, or an error wrapping ErrNotInDirectory.
	BaseURL(ctx context.Context, dfe string) (string, error)
}

// ErrNotInDirectory says a council has no entry in the directory.
var ErrNotInDirectory = errors.New("council not in the directory")

// MapDirectory is a Directory over a fixed map from council DfE code to base URL.
type MapDirectory map[string]string

// BaseURL returns the map's entry for dfe without a trailing slash.
func (m MapDirectory) BaseURL(_ context.Context, dfe string) (string, error) {
	u, found := m[dfe]
	if !found {
		return "", fmt.Errorf("council %s: %w", dfe, ErrNotInDirectory)
	}
	return strings.TrimSuffix(u, "/"), nil
}

// Defaults of ExchangeOptions.
const (
	// DefaultMaxAttempts is how many times a delivery is attempted before it is
	// dead-lettered.
	DefaultMaxAttempts = 8
	// DefaultParallel is how many deliveries are sent at once.
	DefaultParallel = 4
	// deliveryTimeout bounds one delivery attempt.
	deliveryTimeout = 10 * time.Second
	// maxIdleWait is the longest the exchange sleeps without looking at the outbox, so that
	// a moved clock or another writer's deliveries are noticed.
	maxIdleWait = time.Minute
	// maxAnswerBytes bounds how much of an answer to a delivery is read.
	maxAnswerBytes = 1 << 20
)

// ExchangeOptions configures the deliveries of a Server. The zero value serves every council
// in this system and delivers webhooks with the defaults.
type ExchangeOptions struct {
	// Directory finds the system serving a council. A council with no entry, or whose entry
	// is SelfURL, is served by this system. Nil means this system serves every council.
	Directory Directory
	// SelfURL is this system's own base URL as the directory names it.
	SelfURL string
	// SystemToken returns a bearer token with role SYSTEM for deliveries to other systems.
	// Required with a Directory.
	SystemToken func(ctx context.Context) (string, error)
	// SystemOrg is the organisation named as the actor of this system's own audit events
	// about deliveries; "reference-system" if empty.
	SystemOrg string
	// Client sends the deliveries; a client with a 10-second timeout if nil.
	Client *http.Client
	// Backoff is the wait after the given failed attempt (1, 2, ...) before the next one;
	// DefaultBackoff if nil. It must be positive.
	Backoff func(attempt int) time.Duration
	// MaxAttempts is the attempt limit before a dead letter; DefaultMaxAttempts if zero or
	// less.
	MaxAttempts int
	// Parallel bounds the deliveries sent at once; DefaultParallel if zero or less.
	Parallel int
}

// DefaultBackoff doubles from one second after the first failed attempt, up to one hour.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 13 {
		return time.Hour
	}
	return min(time.Second<<(attempt-1), time.Hour)
}

// exchange sends the outbox. One goroutine (run) owns the sending; kick and Settle talk to
// it through channels.
type exchange struct {
	s      *Server
	opts   ExchangeOptions
	kickCh chan struct{}
	settle chan chan error
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	lastSweep string // the date of the last shield-review sweep; used by run only
}

// newExchange checks opts and fills in the defaults.
func newExchange(s *Server, opts ExchangeOptions) (*exchange, error) {
	if opts.Directory != nil && opts.SystemToken == nil {
		return nil, errors.New("exchange: a directory needs a SystemToken source")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: deliveryTimeout}
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.SystemOrg == "" {
		opts.SystemOrg = "reference-system"
	}
	opts.SelfURL = strings.TrimSuffix(opts.SelfURL, "/")
	ctx, cancel := context.WithCancel(context.Background())
	return &exchange{
		s: s, opts: opts, kickCh: make(chan struct{}, 1), settle: make(chan chan error),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}, nil
}

// start starts the sending goroutine.
func (x *exchange) start() { go x.run() }

// stop cancels the deliveries in flight and waits for the goroutine to end. It is safe to
// call more than once.
func (x *exchange) stop() {
	x.once.Do(func() {
		x.cancel()
		<-x.done
	})
}

// kick wakes the goroutine up after a commit that queued deliveries.
func (x *exchange) kick() {
	select {
	case x.kickCh <- struct{}{}:
	default:
	}
}

// Settle sends every delivery due at the server's current time (including those that fall
// due again within the call because a retry's backoff has passed), raises the shield reviews
// due today, and returns once nothing is due and nothing is in flight. Tests and the harness
// use it with an injected clock to observe deliveries deterministically.
func (s *Server) Settle(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case s.exchange.settle <- reply:
	case <-s.exchange.done:
		return errors.New("settle deliveries: the server is closed")
	case <-ctx.Done():
		return fmt.Errorf("settle deliveries: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("settle deliveries: %w", ctx.Err())
	}
}

// run is the sending goroutine: it drains what is due, then sleeps until the next delivery
// falls due, a commit kicks it, Settle asks, or the server closes.
func (x *exchange) run() {
	defer close(x.done)
	for {
		if err := x.drain(); err != nil && x.ctx.Err() == nil {
			x.s.log.Error("send deliveries", "error", err)
		}
		timer := time.NewTimer(x.idleWait())
		select {
		case <-x.ctx.Done():
			timer.Stop()
			return
		case <-x.kickCh:
		case <-timer.C:
		case reply := <-x.settle:
			reply <- x.drain()
		}
		timer.Stop()
	}
}

// idleWait is how long to sleep: until the next due delivery by the server's clock, at most
// maxIdleWait.
func (x *exchange) idleWait() time.Duration {
	var next string
	err := x.s.store.View(x.ctx, func(tx store.Tx) error {
		var err error
		next, err = tx.NextDue()
		return err
	})
	if err != nil || next == "" {
		return maxIdleWait
	}
	due, err := time.Parse(store.DueFormat, next)
	if err != nil {
		return maxIdleWait
	}
	return min(max(due.Sub(x.s.clock()), 0), maxIdleWait)
}

// drain sweeps the shield reviews once per day and sends due deliveries, Parallel at a
// time, until none is due.
func (x *exchange) drain() error {
	if err := x.sweepShieldReviews(); err != nil {
		return err
	}
	for x.ctx.Err() == nil {
		var due []store.Delivery
		at := x.s.clock().UTC().Format(store.DueFormat)
		err := x.s.store.View(x.ctx, func(tx store.Tx) error {
			var err error
			due, err = tx.DueDeliveries(at, x.opts.Parallel)
			return err
		})
		if err != nil {
			return fmt.Errorf("read due deliveries: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		errs := make([]error, len(due))
		var wg sync.WaitGroup
		for i, d := range due {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = x.deliver(d)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return x.ctx.Err()
}

// answer is what one delivery attempt got back.
type answer struct {
	status int    // 0 when no answer came
	body   []byte // the answer's body, when one came
	err    string // why no answer came or why the request was not sent; no personal data
}

// deliver makes one attempt at d and records its result.
func (x *exchange) deliver(d store.Delivery) error {
	ans := x.send(d)
	return x.s.store.Update(context.WithoutCancel(x.ctx), func(tx store.Tx) error {
		cur, err := tx.Delivery(d.ID)
		if err != nil {
			return err
		}
		if cur.State != store.DeliveryPending {
			return nil
		}
		return x.record(tx, cur, ans)
	})
}

// send makes the HTTP request of one attempt.
func (x *exchange) send(d store.Delivery) answer {
	ctx, cancel := context.WithTimeout(x.ctx, deliveryTimeout)
	defer cancel()
	var url string
	header := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	switch d.Kind {
	case store.DeliverWebhook:
		var sub store.Subscription
		err := x.s.store.View(ctx, func(tx store.Tx) error {
			var err error
			sub, err = tx.Subscription(d.Ref)
			return err
		})
		if err != nil {
			return answer{err: "subscription unreadable"}
		}
		url = sub.URL
		ts := strconv.FormatInt(x.s.clock().Unix(), 10)
		header.Set(spec.HeaderWebhookID, d.EventID)
		header.Set(spec.HeaderWebhookTimestamp, ts)
		header.Set(spec.HeaderWebhookSignature, spec.SignWebhook(sub.Secret, ts, d.Body))
	default:
		if x.opts.Directory == nil {
			// A system without a directory serves every council itself; a delivery to another
			// system (an outcome owed for a package the harness delivered, say) has nowhere to go.
			return answer{err: "no national directory to find council " + d.La}
		}
		base, err := x.opts.Directory.BaseURL(ctx, d.La)
		if err != nil {
			return answer{err: "directory lookup failed for council " + d.La}
		}
		token, err := x.opts.SystemToken(ctx)
		if err != nil {
			return answer{err: "no SYSTEM token"}
		}
		url = base + d.Path
		header.Set("Authorization", "Bearer "+token)
		header.Set("Idempotency-Key", d.IdempotencyKey)
		header.Set("X-Correlation-ID", d.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return answer{err: "invalid delivery URL"}
	}
	req.Header = header
	resp, err := x.opts.Client.Do(req)
	if err != nil {
		return answer{err: "no answer: " + transportReason(err)}
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	return answer{status: resp.StatusCode, body: body}
}

// transportReason names a transport failure without echoing URLs or bodies.
func transportReason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	default:
		return "connection failed"
	}
}

// record notes an attempt's answer on d: delivered on a 2xx, dead after the attempt limit or
// a refusal no retry can change, else due again after the backoff. A transfer delivery is
// also recorded in this system's audit log, and a delivered outcome completes an inbound
// transfer.
func (x *exchange) record(tx store.Tx, d store.Delivery, ans answer) error {
	now := x.s.clock().UTC()
	d.Attempts++
	d.LastAttemptAt = now.Format(instantFormat)
	d.LastStatus, d.LastError = ans.status, ans.err
	switch {
	case ans.status >= 200 && ans.status < 300:
		d.State = store.DeliveryDelivered
	case d.Attempts >= x.opts.MaxAttempts || x.permanent(d, ans.status):
		d.State = store.DeliveryDead
	default:
		d.DueAt = now.Add(x.opts.Backoff(d.Attempts)).Format(store.DueFormat)
	}
	if err := tx.UpdateDelivery(d); err != nil {
		return err
	}
	if d.Kind == store.DeliverWebhook {
		return nil
	}
	if err := x.auditDelivery(tx, d, ans.status); err != nil {
		return err
	}
	if d.Kind == store.DeliverTransferOutcome && d.State == store.DeliveryDelivered {
		return x.s.completeInbound(tx, d.Ref, now)
	}
	return nil
}

// permanent reports whether a refusal of a transfer delivery will not change on a retry:
// a 4xx other than 401, 408, 425 and 429. Webhook receivers are retried on any answer but a
// 2xx, as createSubscription says.
func (x *exchange) permanent(d store.Delivery, status int) bool {
	if d.Kind == store.DeliverWebhook || status < 400 || status >= 500 {
		return false
	}
	switch status {
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return true
}

// Audit actions of this system's own transfer deliveries.
const (
	actionSendPackage = "SEND_TRANSFER_PACKAGE"
	actionSendOutcome = "SEND_TRANSFER_OUTCOME"
)

// auditDelivery appends the audit event of one transfer delivery attempt: the system, acting
// for the council on whose behalf it sends, disclosed a package (every tier) or an outcome
// to another system (AUDIT-001).
func (x *exchange) auditDelivery(tx store.Tx, d store.Delivery, status int) error {
	tr, err := tx.Transfer(d.Ref)
	if err != nil {
		return err
	}
	action, la, tiers := actionSendOutcome, tr.ToLa.DfeCode, []string{}
	if d.Kind == store.DeliverTransferPackage {
		action, la = actionSendPackage, tr.FromLa.DfeCode
		tiers = []string{tier1, tier2, tier3, tier4, tier5}
	}
	if status < 200 || status >= 300 {
		tiers = []string{}
	}
	seq, prev, err := tx.LastAuditEvent()
	if err != nil {
		return err
	}
	if prev == "" {
		prev = audit.GenesisHash
	}
	ev := spec.AuditEvent{
		Seq: seq + 1, At: d.LastAttemptAt,
		Actor:  spec.Actor{Sub: "system:" + x.opts.SystemOrg, Role: roleSystem, Org: x.opts.SystemOrg, La: la, Sector: "LA"},
		Action: action, Method: http.MethodPost, Path: d.Path, ChildIDs: []string{d.ChildID},
		DisclosedTiers: tiers, Outcome: deliveryOutcome(status), Status: status, CorrelationID: d.ID,
	}
	sealed, err := audit.Seal(ev, prev)
	if err != nil {
		return err
	}
	return tx.AppendAuditEvent(sealed)
}

// deliveryOutcome is the audit outcome of a delivery attempt; ERROR when no answer came.
func deliveryOutcome(status int) string {
	if status == 0 {
		return "ERROR"
	}
	return outcome(status)
}

// local reports whether this system serves council dfe.
func (x *exchange) local(ctx context.Context, dfe string) (bool, error) {
	if x.opts.Directory == nil {
		return true, nil
	}
	base, err := x.opts.Directory.BaseURL(ctx, dfe)
	if errors.Is(err, ErrNotInDirectory) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up council %s: %w", dfe, err)
	}
	return base == x.opts.SelfURL, nil
}

// queue adds a delivery, due now, to the request's transaction and has the exchange woken
// once it commits.
func (c *call) queue(d store.Delivery) error {
	if d.ID == "" {
		d.ID = newID()
	}
	d.State = store.DeliveryPending
	d.DueAt = c.now.UTC().Format(store.DueFormat)
	d.CreatedAt = c.instant()
	c.wake = true
	return c.tx.InsertDelivery(d)
}

// instantFormat renders an Instant as the server serves it.
const instantFormat = "2006-01-02T15:04:05.000Z"

// deliveryStatus renders a delivery for a response.
func deliveryStatus(d store.Delivery) *spec.DeliveryStatus {
	out := &spec.DeliveryStatus{
		State: d.State, Attempts: d.Attempts, LastAttemptAt: d.LastAttemptAt,
		LastStatus: d.LastStatus, LastError: d.LastError,
	}
	if d.State == store.DeliveryPending {
		if due, err := time.Parse(store.DueFormat, d.DueAt); err == nil {
			out.NextAttemptAt = due.Format(instantFormat)
		}
	}
	return out
}
