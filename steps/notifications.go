package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// This file holds the notification steps (NOTIF-001..NOTIF-004) and the test-clock steps
// (SENS-006, and the dead letters of NOTIF-003). Each subscription a scenario makes gets its
// own hook on the run's webhook receiver (package sink), with its own path and secret. A
// council's subscription receives the notifications about every child of that council,
// including other scenarios' children, so every check looks only at the notifications about
// the scenario's own children (by childId). Waiting for a notification is by condition with a
// deadline, never by sleeping.

// notifWait bounds each wait for a notification; the scenario's own timeout bounds it too.
const notifWait = 45 * time.Second

// contractBackoff is the contract's wait after failed attempt n (1, 2, ...): one second,
// doubling, at most an hour (CONTRACT.md, Transfers and Notifications).
func contractBackoff(n int) time.Duration {
	if n > 12 {
		return time.Hour
	}
	return min(time.Second<<(n-1), time.Hour)
}

// backoffSlack is how much earlier than the contract's backoff a retry may arrive: the
// granularity of the two clocks, nothing more (a retry is due a backoff after the previous
// attempt was answered, so load only makes it later).
const backoffSlack = 100 * time.Millisecond

// notifState is what the notification steps remember in a scenario.
type notifState struct {
	hooks map[string]*hookState
	last  *hookState
}

// hookState is one subscription of the scenario and the notifications its steps claimed.
type hookState struct {
	name    string
	council string
	hook    *sink.Hook
	subID   string
	// claimed lists, per child id, the eventIds that steps have matched so far, in order.
	claimed map[string][]string
}

func newNotifState() *notifState { return &notifState{hooks: map[string]*hookState{}} }

// closeHooks stops the scenario's hooks from keeping deliveries; the After hook calls it.
func (w *World) closeHooks() {
	for _, h := range w.notif.hooks {
		h.hook.Close()
	}
}

func (w *World) hookNamed(name string) (*hookState, error) {
	h, ok := w.notif.hooks[name]
	if !ok {
		return nil, Configf("no webhook named %q in this scenario: subscribe it first, e.g. \"Given council 202 subscribes a webhook %q to every notification\"", name, name)
	}
	w.notif.last = h
	return h, nil
}

func (w *World) lastHook() (*hookState, error) {
	if w.notif.last == nil {
		return nil, Configf("no webhook yet: subscribe one first")
	}
	return w.notif.last, nil
}

// hookAndChild is the prologue of the notification steps: the scenario's subscription named
// name ("" for the latest one) and the child the scenario knows as alias. Either missing is a
// CONFIG error naming what the scenario lacks.
func (w *World) hookAndChild(name, alias string) (*hookState, *Child, error) {
	var h *hookState
	var err error
	if name == "" {
		h, err = w.lastHook()
	} else {
		h, err = w.hookNamed(name)
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := w.Child(alias)
	if err != nil {
		return nil, nil, err
	}
	return h, c, nil
}

// Whether refusedAbout waits for the refused notification to be acknowledged first.
const (
	asReceived = false
	untilAcked = true
)

// refusedAbout returns the first delivery about child c that h refused and every delivery of
// its eventId, in order of arrival. With untilAcked it first waits (firstRefusedOnceAcked)
// until one of them was acknowledged. A scenario whose webhook refused no delivery about the
// child cannot judge retries: that is a CONFIG error, not a failure of the target.
func (w *World) refusedAbout(h *hookState, c *Child, wait bool) (sink.Delivery, []sink.Delivery, error) {
	var (
		refused sink.Delivery
		same    []sink.Delivery
		ok      bool
	)
	if wait {
		refused, same, ok = w.firstRefusedOnceAcked(h, c.ID)
	} else {
		refused, same, ok = w.firstRefused(h, c.ID)
	}
	if !ok {
		return sink.Delivery{}, nil, Configf("the webhook %q refused no delivery about %q", h.name, c.Alias)
	}
	return refused, same, nil
}

// event is one notification as its deliveries carried it, grouped by the body's eventId.
type event struct {
	id         string
	n          sink.Notification
	deliveries []sink.Delivery
	acked      bool // at least one delivery was acknowledged
}

// eventsAbout groups the deliveries whose body names childID by eventId, in order of first
// arrival.
func eventsAbout(ds []sink.Delivery, childID string) []*event {
	var out []*event
	byID := map[string]*event{}
	for _, d := range ds {
		if d.ParseError != "" || d.Notification.ChildID != childID {
			continue
		}
		e := byID[d.Notification.EventID]
		if e == nil {
			e = &event{id: d.Notification.EventID, n: d.Notification}
			byID[e.id] = e
			out = append(out, e)
		}
		e.deliveries = append(e.deliveries, d)
		if d.Status >= 200 && d.Status < 300 {
			e.acked = true
		}
	}
	return out
}

// deliveriesAbout returns the deliveries whose body names childID, in order of arrival.
func deliveriesAbout(ds []sink.Delivery, childID string) []sink.Delivery {
	var out []sink.Delivery
	for _, d := range ds {
		if d.ParseError == "" && d.Notification.ChildID == childID {
			out = append(out, d)
		}
	}
	return out
}

// describe summarises events for a failure message: type and seq of each.
func describe(events []*event) string {
	if len(events) == 0 {
		return "none"
	}
	parts := make([]string, len(events))
	for i, e := range events {
		seq := "no seq"
		if e.n.HasSeq {
			seq = "seq " + strconv.FormatInt(e.n.Seq, 10)
		}
		parts[i] = fmt.Sprintf("%s (%s, %d deliveries)", orAbsent(e.n.Type), seq, len(e.deliveries))
	}
	return strings.Join(parts, ", ")
}

// deliveryEvidence turns deliveries into redacted evidence, at most five, within the
// scenario's evidence budget.
func (w *World) deliveryEvidence(h *hookState, ds []sink.Delivery) []*Response {
	if len(ds) > 5 {
		ds = ds[len(ds)-5:]
	}
	out := make([]*Response, 0, len(ds))
	for _, d := range ds {
		hdr := make(map[string][]string, len(d.Header))
		for k, v := range d.Header {
			hdr[k] = []string{v}
		}
		x := reports.Exchange{
			Operation: "deliverNotification", Method: "POST", URL: "webhook:" + h.name + " (delivery " + strconv.Itoa(d.N) + ")",
			RequestHeaders: w.suite.redactor.Headers(hdr), RequestBody: w.suite.redactor.Body("application/json", d.Body),
			Status: d.Status,
		}
		out = append(out, &Response{Status: d.Status, Body: d.Body, Exchange: w.budget(x)})
	}
	return out
}

// wait waits for cond on h's deliveries, bounded by notifWait and the scenario's context.
func (w *World) wait(h *hookState, cond func([]sink.Delivery) bool) ([]sink.Delivery, bool) {
	return h.hook.Wait(w.Context(), notifWait, cond)
}

// subscribe creates a hook and subscribes it, as council's management, to every notification
// type the contract lists.
func (w *World) subscribe(council, name string) error {
	if w.suite.opts.Webhooks == nil {
		return Configf("this run has no webhook receiver")
	}
	if _, dup := w.notif.hooks[name]; dup {
		return Configf("webhook %q is subscribed twice", name)
	}
	types, err := w.notificationTypes()
	if err != nil {
		return err
	}
	hook, err := w.suite.opts.Webhooks.NewHook(w.ScenarioID + " " + name)
	if err != nil {
		return Configf("%v", err)
	}
	h := &hookState{name: name, council: council, hook: hook, claimed: map[string][]string{}}
	w.notif.hooks[name] = h
	w.notif.last = h
	r, err := w.Send(Request{
		Method: "POST", Path: "/v1/subscriptions", As: w.systemActor(council),
		Body: map[string]any{"url": hook.URL, "eventTypes": types, "secret": hook.Secret},
	})
	if err != nil {
		return err
	}
	id, _ := r.At("/id")
	h.subID, _ = id.(string)
	if r.Status != 201 || h.subID == "" {
		return givenFailure(r, "subscribe a webhook for council "+council)
	}
	if strings.Contains(string(r.Body), hook.Secret) {
		return &AssertionError{
			Requirements: []string{"NOTIF-003"}, Pointer: "/secret",
			Message:  "the subscription's signing secret came back in the response",
			Expected: "no secret in any response", Actual: "the secret",
		}
	}
	w.Remember("subscription", name, h.subID)
	return nil
}

// notificationTypes returns the contract's NotificationType codes.
func (w *World) notificationTypes() ([]string, error) {
	ref := w.Contract().Doc.Components.Schemas["NotificationType"]
	if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
		return nil, Configf("the contract has no NotificationType codes")
	}
	out := make([]string, 0, len(ref.Value.Enum))
	for _, v := range ref.Value.Enum {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out, nil
}

// receive waits until h has acknowledged count notifications of type typ ("" for any) about
// child c that no earlier step claimed, claims them and returns them.
func (w *World) receive(h *hookState, c *Child, typ string, count int) ([]*event, error) {
	alias := c.Alias
	fresh := func(ds []sink.Delivery) []*event {
		var out []*event
		for _, e := range eventsAbout(ds, c.ID) {
			if e.acked && (typ == "" || e.n.Type == typ) && !slices.Contains(h.claimed[c.ID], e.id) {
				out = append(out, e)
			}
		}
		return out
	}
	ds, ok := w.wait(h, func(ds []sink.Delivery) bool { return len(fresh(ds)) >= count })
	got := fresh(ds)
	if !ok {
		what := "notification"
		if typ != "" {
			what = typ + " notification"
		}
		return nil, &AssertionError{
			Message: fmt.Sprintf("the webhook %q did not receive %d new %s(s) about %q within %s", h.name, count, what, alias, notifWait),
			Pointer: "webhook:" + h.name, Expected: fmt.Sprintf("%d new %s(s) acknowledged", count, what),
			Actual:   fmt.Sprintf("%d; every notification about the child: %s", len(got), describe(eventsAbout(ds, c.ID))),
			Evidence: w.deliveryEvidence(h, deliveriesAbout(ds, c.ID)),
		}
	}
	got = got[:count]
	for _, e := range got {
		h.claimed[c.ID] = append(h.claimed[c.ID], e.id)
	}
	return got, nil
}

// registerNotifications adds the notification and test-clock steps:
//
//	Given council 202 subscribes a webhook "inbox" to every notification
//	Given the webhook "inbox" refuses the next 3 deliveries about "Amara"
//	Then the webhook "inbox" receives a "RECORD_ACCESSED" notification about "Amara" for council 202
//	Then the webhook "inbox" receives another "RECORD_ACCESSED" notification about "Amara"
//	Then the webhook "inbox" receives 3 notifications about "Amara"
//	Then the notifications about "Amara" have unique event ids and seq numbers from 1 without gaps
//	Then no other notification about "Amara" was raised between the last two
//	Then the notification about "Bea" is the only one raised about "Bea"
//	Then the refused notification about "Amara" was delivered again with the same event id and seq
//	Then every delivery about "Amara" is signed with the subscription's secret
//	Then the retries of the refused notification about "Amara" came after growing intervals
//	Then the notifications about "Amara" carry only the members of the contract's Notification
//	Then no personal value of "Amara" appears in any notification about "Amara"
//	When the test clock is moved forward 2 days
//	When the test clock is moved past each retry until the notification about "Amara" has been refused 8 times
//	Then the subscription "inbox" lists the notification about "Amara" as a dead letter after 8 attempts
//	Then the dead-lettered notification about "Amara" was not delivered again
func registerNotifications(sc glossary) {
	define(sc, `^council (\d{3}) subscribes a webhook "([^"]+)" to every notification$`, func(ctx context.Context, council, name string) error {
		return WorldFrom(ctx).subscribe(council, name)
	})
	define(sc, `^the webhook "([^"]+)" refuses the next (\d+) deliver(?:y|ies) about "([^"]+)"$`, func(ctx context.Context, name string, n int, alias string) error {
		w := WorldFrom(ctx)
		h, c, err := w.hookAndChild(name, alias)
		if err != nil {
			return err
		}
		h.hook.FailNext(c.ID, n, sink.DefaultFailStatus)
		return nil
	})
	define(sc, `^the webhook "([^"]+)" receives (?:an?|another) "([A-Z_]+)" notification about "([^"]+)"(?: for council (\d{3}))?$`,
		func(ctx context.Context, name, typ, alias, council string) error {
			w := WorldFrom(ctx)
			h, c, err := w.hookAndChild(name, alias)
			if err != nil {
				return err
			}
			got, err := w.receive(h, c, typ, 1)
			if err != nil {
				return err
			}
			if council != "" && got[0].n.La != council {
				return &AssertionError{
					Message: "the notification is not addressed to the responsible council", Pointer: "/la",
					Expected: council, Actual: orAbsent(got[0].n.La), Evidence: w.deliveryEvidence(h, got[0].deliveries),
				}
			}
			return nil
		})
	define(sc, `^the webhook "([^"]+)" receives (\d+) notifications about "([^"]+)"$`, func(ctx context.Context, name string, n int, alias string) error {
		w := WorldFrom(ctx)
		h, c, err := w.hookAndChild(name, alias)
		if err != nil {
			return err
		}
		_, err = w.receive(h, c, "", n)
		return err
	})
	define(sc, `^the notifications about "([^"]+)" have unique event ids and seq numbers from 1 without gaps$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectSeqFromOne(alias)
	})
	define(sc, `^no other notification about "([^"]+)" was raised between the last two$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectNothingBetween(alias)
	})
	define(sc, `^the notification about "([^"]+)" is the only one raised about "([^"]+)"$`, func(ctx context.Context, alias, again string) error {
		if alias != again {
			return Configf("the step names two children (%q and %q)", alias, again)
		}
		return WorldFrom(ctx).expectOnlyOne(alias)
	})
	define(sc, `^the refused notification about "([^"]+)" was delivered again with the same event id and seq$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectSameOnRetry(alias)
	})
	define(sc, `^every delivery about "([^"]+)" is signed with the subscription's secret$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectSigned(alias)
	})
	define(sc, `^the retries of the refused notification about "([^"]+)" came after growing intervals$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectBackoff(alias)
	})
	define(sc, `^the notifications about "([^"]+)" carry only the members of the contract's Notification$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectThin(alias)
	})
	define(sc, `^no personal value of "([^"]+)" appears in any notification about "([^"]+)"$`, func(ctx context.Context, alias, again string) error {
		if alias != again {
			return Configf("the step names two children (%q and %q)", alias, again)
		}
		return WorldFrom(ctx).expectNoPersonalValues(alias)
	})
	registerTestClock(sc)
}

// firstRefused returns the first refused delivery about the child and the deliveries of its
// eventId so far, in order of arrival.
func (w *World) firstRefused(h *hookState, childID string) (sink.Delivery, []sink.Delivery, bool) {
	return w.firstRefusedIn(h.hook.Deliveries(), childID)
}

// firstRefusedOnceAcked is firstRefused once one delivery of that notification has been
// acknowledged (or notifWait has passed): retries are judged when they are over, not while
// other notifications about the child are still arriving.
func (w *World) firstRefusedOnceAcked(h *hookState, childID string) (sink.Delivery, []sink.Delivery, bool) {
	ds, _ := w.wait(h, func(ds []sink.Delivery) bool {
		_, same, ok := w.firstRefusedIn(ds, childID)
		return ok && slices.ContainsFunc(same, func(d sink.Delivery) bool { return d.Status >= 200 && d.Status < 300 })
	})
	return w.firstRefusedIn(ds, childID)
}

// expectSeqFromOne checks NOTIF-002 on every notification about the child so far: each
// eventId is one notification whose deliveries agree, and the seqs are 1, 2, ... n.
func (w *World) expectSeqFromOne(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	events := eventsAbout(h.hook.Deliveries(), c.ID)
	var seqs []int64
	for _, e := range events {
		if err := w.consistent(h, e); err != nil {
			return err
		}
		if !e.n.HasSeq {
			return &AssertionError{
				Message: "a notification has no integer seq", Pointer: "/seq", Expected: "an integer from 1", Actual: "absent or not an integer",
				Evidence: w.deliveryEvidence(h, e.deliveries),
			}
		}
		seqs = append(seqs, e.n.Seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	want := make([]int64, len(seqs))
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(seqs, want) {
		return &AssertionError{
			Message: fmt.Sprintf("the seqs of the %d notifications about %q do not count from 1 without gaps or repeats", len(events), alias),
			Pointer: "/seq", Expected: fmt.Sprint(want), Actual: fmt.Sprint(seqs),
			Evidence: w.deliveryEvidence(h, deliveriesAbout(h.hook.Deliveries(), c.ID)),
		}
	}
	return nil
}

// consistent checks that every delivery of one eventId carries the same notification.
func (w *World) consistent(h *hookState, e *event) error {
	for _, d := range e.deliveries[1:] {
		if d.Notification != e.n {
			return &AssertionError{
				Message: "two deliveries with the same eventId carry different notifications", Pointer: "/eventId",
				Expected: "the same seq, type, occurredAt, childId and la", Actual: "different members",
				Evidence: w.deliveryEvidence(h, e.deliveries),
			}
		}
	}
	if e.id == "" {
		return &AssertionError{
			Message: "a notification has no eventId", Pointer: "/eventId", Expected: "a unique eventId", Actual: "absent",
			Evidence: w.deliveryEvidence(h, e.deliveries),
		}
	}
	return nil
}

// expectNothingBetween checks that the last two notifications claimed about the child have
// consecutive seqs: no notification about the child was raised between them, whether or not
// it was delivered.
func (w *World) expectNothingBetween(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	claimed := h.claimed[c.ID]
	if len(claimed) < 2 {
		return Configf("the scenario has received fewer than two notifications about %q", alias)
	}
	events := eventsAbout(h.hook.Deliveries(), c.ID)
	byID := map[string]*event{}
	for _, e := range events {
		byID[e.id] = e
	}
	a, b := byID[claimed[len(claimed)-2]], byID[claimed[len(claimed)-1]]
	if !a.n.HasSeq || !b.n.HasSeq {
		// Without seqs nothing can show what was raised in between: that is NOTIF-002's defect,
		// charged there, not a failure of the requirement this scenario is about.
		return &AssertionError{
			Requirements: []string{notifSeqRequirement},
			Message:      fmt.Sprintf("the notifications about %q carry no seq, so whether another was raised between the last two cannot be judged", alias),
			Pointer:      "/seq", Expected: "an integer seq on every notification", Actual: "absent or not an integer",
			Evidence: w.deliveryEvidence(h, append(append([]sink.Delivery(nil), a.deliveries...), b.deliveries...)),
		}
	}
	if b.n.Seq != a.n.Seq+1 {
		return &AssertionError{
			Message: fmt.Sprintf("another notification about %q was raised between the last two received (their seqs are not consecutive)", alias),
			Pointer: "/seq", Expected: fmt.Sprintf("%d then %d", a.n.Seq, a.n.Seq+1), Actual: fmt.Sprintf("%d then %d; every notification about the child: %s", a.n.Seq, b.n.Seq, describe(events)),
			Evidence: w.deliveryEvidence(h, append(append([]sink.Delivery(nil), a.deliveries...), b.deliveries...)),
		}
	}
	return w.expectNoUnclaimed(h, alias, c.ID, events)
}

// expectNoUnclaimed checks that every notification about the child that arrived was claimed
// by a step.
func (w *World) expectNoUnclaimed(h *hookState, alias, childID string, events []*event) error {
	for _, e := range events {
		if !slices.Contains(h.claimed[childID], e.id) {
			return &AssertionError{
				Message: fmt.Sprintf("a notification about %q arrived that nothing in the scenario should have raised", alias),
				Pointer: "/type", Expected: "no such notification", Actual: describe([]*event{e}),
				Evidence: w.deliveryEvidence(h, e.deliveries),
			}
		}
	}
	return nil
}

// expectOnlyOne checks that the notification claimed about the child is the first raised
// about it (seq 1) and the only one that arrived.
func (w *World) expectOnlyOne(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	events := eventsAbout(h.hook.Deliveries(), c.ID)
	if len(h.claimed[c.ID]) != 1 {
		return Configf("the scenario has received %d notifications about %q, not one", len(h.claimed[c.ID]), alias)
	}
	for _, e := range events {
		if e.id == h.claimed[c.ID][0] && (!e.n.HasSeq || e.n.Seq != 1) {
			return &AssertionError{
				Message: fmt.Sprintf("another notification about %q was raised before this one (its seq is not 1)", alias),
				Pointer: "/seq", Expected: "1", Actual: describe([]*event{e}), Evidence: w.deliveryEvidence(h, e.deliveries),
			}
		}
	}
	return w.expectNoUnclaimed(h, alias, c.ID, events)
}

// expectSameOnRetry checks NOTIF-002's duplicate removal: the first delivery about the child
// that the webhook refused came again, acknowledged, as the same notification.
func (w *World) expectSameOnRetry(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	refused, _, err := w.refusedAbout(h, c, untilAcked)
	if err != nil {
		return err
	}
	for _, d := range deliveriesAbout(h.hook.Deliveries(), c.ID) {
		if d.N <= refused.N || d.Status >= 300 {
			continue
		}
		if d.Notification != refused.Notification || d.EventID != refused.EventID {
			return &AssertionError{
				Message: "the redelivery of a refused notification is not recognisable as the same notification",
				Pointer: "/eventId", Expected: "the same eventId, seq, type and X-Webhook-Id",
				Actual:   fmt.Sprintf("eventId changed: %t, seq %d then %d", d.Notification.EventID != refused.Notification.EventID, refused.Notification.Seq, d.Notification.Seq),
				Evidence: w.deliveryEvidence(h, []sink.Delivery{refused, d}),
			}
		}
		return nil
	}
	return &AssertionError{
		Message: "a refused notification was not delivered again", Pointer: "webhook:" + h.name,
		Expected: "a retry that the webhook acknowledged", Actual: "none", Evidence: w.deliveryEvidence(h, []sink.Delivery{refused}),
	}
}

var (
	timestampRe = regexp.MustCompile(`^[0-9]{1,12}$`)
	signatureRe = regexp.MustCompile(`^v1=[0-9a-f]{64}$`)
)

// expectSigned checks NOTIF-003's signature on every delivery about the child: the headers
// are present and well formed, X-Webhook-Id is the body's eventId, and the signature verifies
// with the subscription's secret over the timestamp and the exact body.
func (w *World) expectSigned(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	ds := deliveriesAbout(h.hook.Deliveries(), c.ID)
	if len(ds) == 0 {
		return Configf("no delivery about %q to check", alias)
	}
	for _, d := range ds {
		var fail *AssertionError
		switch {
		case !timestampRe.MatchString(d.Timestamp):
			fail = &AssertionError{Pointer: "header:" + spec.HeaderWebhookTimestamp, Expected: "Unix seconds", Actual: quoteOr(d.Timestamp)}
		case !signatureRe.MatchString(d.Signature):
			fail = &AssertionError{Pointer: "header:" + spec.HeaderWebhookSignature, Expected: "v1= and 64 lower-case hex digits", Actual: quoteOr(Clip(d.Signature, 80))}
		case d.EventID != d.Notification.EventID:
			fail = &AssertionError{Pointer: "header:" + spec.HeaderWebhookID, Expected: "the body's eventId", Actual: quoteOr(d.EventID)}
		case !d.SignatureValid:
			fail = &AssertionError{
				Pointer: "header:" + spec.HeaderWebhookSignature, Expected: "HMAC-SHA256 with the subscription's secret of <timestamp>.<body>",
				Actual: "a signature that does not verify",
			}
		}
		if fail != nil {
			fail.Message = "a webhook delivery is not signed as the contract says"
			fail.Evidence = w.deliveryEvidence(h, []sink.Delivery{d})
			return fail
		}
		// The receiver's own check must refuse another secret, or it proves nothing.
		if spec.VerifyWebhook(h.hook.Secret+"x", d.Timestamp, d.Body, d.Signature) {
			return Configf("the webhook receiver's signature check accepts another secret")
		}
	}
	return nil
}

// expectBackoff checks NOTIF-003's backoff: the refused notification was retried at least
// twice, each retry no sooner than the contract's backoff after the attempt before it (1 s,
// doubling), so the waits the target kept grow. Only these lower bounds are judged: a busy
// machine delays any delivery, so how the measured intervals compare with each other (a first
// retry that came late) says nothing about the target.
func (w *World) expectBackoff(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	_, same, err := w.refusedAbout(h, c, untilAcked)
	if err != nil {
		return err
	}
	if len(same) < 3 {
		return &AssertionError{
			Message: "the refused notification was not retried at least twice", Pointer: "webhook:" + h.name,
			Expected: "at least 3 attempts", Actual: strconv.Itoa(len(same)), Evidence: w.deliveryEvidence(h, same),
		}
	}
	gaps := make([]time.Duration, len(same)-1)
	for i := range gaps {
		gaps[i] = same[i+1].At.Sub(same[i].At)
	}
	for i, g := range gaps {
		if floor := contractBackoff(i+1) - backoffSlack; g < floor {
			return &AssertionError{
				Message: fmt.Sprintf("retry %d came sooner than the backoff after the attempt before it", i+1),
				Pointer: "webhook:" + h.name, Expected: "at least " + contractBackoff(i+1).String(), Actual: g.Round(time.Millisecond).String(),
				Evidence: w.deliveryEvidence(h, same),
			}
		}
	}
	return nil
}

// expectThin checks NOTIF-004's shape on every delivery about the child: only the members of
// the contract's Notification, all of them, valid against its schema, naming the child.
func (w *World) expectThin(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	ref := w.Contract().Doc.Components.Schemas["Notification"]
	if ref == nil || ref.Value == nil {
		return Configf("the contract has no Notification schema")
	}
	schema := ref.Value
	ds := deliveriesAbout(h.hook.Deliveries(), c.ID)
	if len(ds) == 0 {
		return Configf("no delivery about %q to check", alias)
	}
	for _, d := range ds {
		var extra []string
		for _, m := range d.Members {
			if _, ok := schema.Properties[m]; !ok {
				extra = append(extra, m)
			}
		}
		if len(extra) > 0 {
			return &AssertionError{
				Message: "a notification carries members the contract does not allow", Pointer: "/" + extra[0],
				Expected: "only " + strings.Join(slices.Sorted(mapKeys(schema.Properties)), ", "), Actual: strings.Join(extra, ", "),
				Evidence: w.deliveryEvidence(h, []sink.Delivery{d}),
			}
		}
		if err := schema.VisitJSON(withSeq(plainJSON(d.Value))); err != nil {
			return &AssertionError{
				Message: "a notification does not match the contract's Notification schema", Pointer: "webhook:" + h.name,
				Expected: "a valid Notification", Actual: ClipError(err.Error()), Evidence: w.deliveryEvidence(h, []sink.Delivery{d}),
			}
		}
	}
	return nil
}

// notifSeqRequirement is the requirement a notification without a per-child seq breaks.
const notifSeqRequirement = "NOTIF-002"

// withSeq returns v with a seq member when it is an object that lacks one: a missing seq is
// NOTIF-002's defect, checked and charged there, and must not fail the NOTIF-004 shape check
// too. v itself is not changed.
func withSeq(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if _, has := obj["seq"]; has {
		return v
	}
	out := make(map[string]any, len(obj)+1)
	for k, x := range obj {
		out[k] = x
	}
	out["seq"] = float64(1)
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// plainJSON turns json.Number values into float64, as kin-openapi's VisitJSON expects.
func plainJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = plainJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plainJSON(x)
		}
		return out
	case json.Number:
		f, _ := t.Float64()
		return f
	}
	return v
}

// expectNoPersonalValues checks NOTIF-004 by value: no personal or locating value the
// scenario sent for the child (names, date of birth, identifiers, address, contacts, and the
// providers of its involvements) appears, as a whole word, in any member name, string, number
// or header of a delivery about the child, nor in a delivery whose body could not be read.
func (w *World) expectNoPersonalValues(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	values, err := w.personalValues(c)
	if err != nil {
		return err
	}
	var checked []sink.Delivery
	for _, d := range h.hook.Deliveries() {
		if d.ParseError != "" || d.Notification.ChildID == c.ID {
			checked = append(checked, d)
		}
	}
	if len(checked) == 0 {
		return Configf("no delivery about %q to check", alias)
	}
	for _, d := range checked {
		texts := []string{}
		if d.ParseError != "" {
			texts = append(texts, string(d.Body))
		} else {
			texts = leaves(d.Value, texts)
		}
		for k, v := range d.Header {
			texts = append(texts, k, v)
		}
		for _, t := range texts {
			for _, v := range values {
				if containsWord(t, v) {
					return &AssertionError{
						Message: fmt.Sprintf("a notification about %q carries one of the child's personal values", alias),
						Pointer: "webhook:" + h.name, Expected: "identifiers and the event type only", Actual: "a personal value of the child",
						Evidence: w.deliveryEvidence(h, []sink.Delivery{d}),
					}
				}
			}
		}
	}
	return nil
}

// personalValues returns the personal and locating values the scenario sent for the child.
func (w *World) personalValues(c *Child) ([]string, error) {
	data, err := json.Marshal(c.Sent)
	if err != nil {
		return nil, Configf("encode the child sent: %v", err)
	}
	var nc spec.NewChild
	if err := json.Unmarshal(data, &nc); err != nil {
		return nil, Configf("decode the child sent: %v", err)
	}
	values := fixtures.ChildValues(nc)
	for _, r := range w.records.byKind["involvement"] {
		if r.Child != c.Alias {
			continue
		}
		data, err := json.Marshal(r.Body)
		if err != nil {
			return nil, Configf("encode the involvement sent: %v", err)
		}
		var ni spec.NewInvolvement
		if err := json.Unmarshal(data, &ni); err == nil {
			values = append(values, fixtures.InvolvementValues(ni)...)
		}
	}
	values = append(values, w.records.extra[c.Alias]...)
	var out []string
	for _, v := range values {
		if len(strings.TrimSpace(v)) >= 2 {
			out = append(out, strings.TrimSpace(v))
		}
	}
	if len(out) == 0 {
		return nil, Configf("the harness stored no personal value for %q, so the check cannot be exercised", c.Alias)
	}
	return out, nil
}

// leaves appends every member name, string and number of a decoded JSON value to out.
func leaves(v any, out []string) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			out = append(out, k)
			out = leaves(x, out)
		}
	case []any:
		for _, x := range t {
			out = leaves(x, out)
		}
	case string:
		out = append(out, t)
	case json.Number:
		out = append(out, t.String())
	}
	return out
}

// containsWord reports whether value appears in s, ignoring case, as a whole word: not
// preceded or followed by a letter or digit.
func containsWord(s, value string) bool {
	s, value = strings.ToUpper(s), strings.ToUpper(value)
	for i := 0; ; {
		j := strings.Index(s[i:], value)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(value)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= 0x80
}
