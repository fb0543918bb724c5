package sink

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Hook is one subscription's endpoint on a sink: its URL (to give the target in
// POST /v1/subscriptions), its secret, and the deliveries it received. Its methods are safe
// for concurrent use.
type Hook struct {
	// Label is the scenario's name for the hook; it never reaches the target.
	Label string
	// URL is the advertised URL of the hook.
	URL string
	// Secret is the subscription's signing secret (64 hex digits).
	Secret string

	max int

	mu         sync.Mutex
	deliveries []Delivery
	dropped    int // deliveries answered but not kept (over max, or after Close)
	closed     bool
	rules      []failRule
	changed    chan struct{} // closed and replaced whenever deliveries changes
}

// failRule refuses the next left deliveries of one notification about childID ("" for any)
// with status: the first delivery it refuses pins eventID, and later ones must carry it.
type failRule struct {
	childID string
	eventID string
	left    int
	status  int
}

// DefaultFailStatus is the status FailNext answers with when given none.
const DefaultFailStatus = http.StatusServiceUnavailable

// FailNext makes the hook answer the next n deliveries of one notification whose body names
// childID ("" for any child) with status (DefaultFailStatus if it is not a 4xx or 5xx): the
// first delivery refused fixes the notification (its eventId), and only its redeliveries use
// up the rest, so another notification about the child arriving meanwhile (a duplicate under
// a new eventId, say) is answered 200 and cannot shorten the retries being observed. Rules are
// consulted in the order they were added; a delivery uses up at most one.
func (h *Hook) FailNext(childID string, n, status int) {
	if status < 400 || status > 599 {
		status = DefaultFailStatus
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules = append(h.rules, failRule{childID: childID, left: n, status: status})
}

// accept records d (unless the hook is closed or full) and returns the status to answer.
func (h *Hook) accept(d *Delivery) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	status := http.StatusOK
	for i := range h.rules {
		r := &h.rules[i]
		if r.left > 0 && (r.childID == "" || r.childID == d.Notification.ChildID) && (r.eventID == "" || r.eventID == d.Notification.EventID) {
			r.eventID = d.Notification.EventID
			r.left--
			status = r.status
			break
		}
	}
	d.Status = status
	if h.closed || len(h.deliveries) >= h.max {
		h.dropped++
		return status
	}
	d.N = len(h.deliveries) + 1
	h.deliveries = append(h.deliveries, *d)
	close(h.changed)
	h.changed = make(chan struct{})
	return status
}

// Deliveries returns a copy of the deliveries kept so far, in order of arrival.
func (h *Hook) Deliveries() []Delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Delivery(nil), h.deliveries...)
}

// Dropped returns how many deliveries were answered but not kept.
func (h *Hook) Dropped() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// Close stops keeping deliveries: later ones are still answered (2xx unless a rule refuses
// them, so that the target does not retry at length) but only counted. The hook's path stays
// served until the sink closes.
func (h *Hook) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	h.rules = nil
}

// Wait returns once cond holds for the deliveries kept so far, or when timeout has passed or
// ctx is done, with the last deliveries seen and whether cond held. cond is called with the
// hook's lock released, on a copy, each time a delivery arrives; it must not block.
func (h *Hook) Wait(ctx context.Context, timeout time.Duration, cond func([]Delivery) bool) ([]Delivery, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		h.mu.Lock()
		snapshot := append([]Delivery(nil), h.deliveries...)
		changed := h.changed
		h.mu.Unlock()
		if cond(snapshot) {
			return snapshot, true
		}
		select {
		case <-changed:
		case <-timer.C:
			return snapshot, false
		case <-ctx.Done():
			return snapshot, false
		}
	}
}
