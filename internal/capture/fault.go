package capture

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"time"
)

// FaultKind names a fault the proxy can inject.
type FaultKind string

// The faults. Network disconnection of a container is not the proxy's: it is done to the
// container's network.
const (
	// DropRequest never forwards the request; the client's connection is closed without an
	// answer (a 502 when the connection cannot be taken over).
	DropRequest FaultKind = "drop-request"
	// DropResponse forwards the request, so the upstream processes it, then closes the
	// client's connection without an answer: the sender must retry.
	DropResponse FaultKind = "drop-response"
	// Duplicate forwards the request twice, one after the other, and answers the client with
	// the first answer.
	Duplicate FaultKind = "duplicate"
	// Delay waits Fault.Delay before forwarding.
	Delay FaultKind = "delay"
	// Reorder holds the request until the next matching request has been forwarded and
	// answered, then forwards it; if none comes within Fault.Delay (DefaultHold if zero) it is
	// forwarded in order, and the exchange's Error says so.
	Reorder FaultKind = "reorder"
)

// Fault is a fault armed for the next Times exchanges that match Method and Path.
type Fault struct {
	Kind FaultKind
	// Method matches the request method exactly; "" matches any.
	Method string
	// Path matches the request path with path.Match, e.g. "/v1/inbound/transfers/*/outcome";
	// "" matches any.
	Path string
	// Contains, if not empty, matches only requests whose body contains it: the id of one
	// child, say, so that a fault armed by one scenario never hits another's delivery.
	Contains string
	// Overtakers, for Reorder only, names what may overtake the held request: it is released
	// by the next request that matches Method and Path and whose body contains one of these
	// (the ids of two children, say: the first child's delivery is held until the next
	// delivery of either has passed it). Empty: by the next request the fault matches.
	Overtakers []string
	// Times is how many matching exchanges the fault applies to; at least 1.
	Times int
	// Delay is the wait of Delay and the longest hold of Reorder.
	Delay time.Duration
	// Detach, for Reorder only, closes the client's connection without an answer as soon as
	// the request is held, as if the request were lost, while the proxy keeps it and forwards
	// it once the next matching request has been forwarded and answered (or at the hold's
	// end). A sender that sends one delivery at a time then goes on with its next one, which
	// the held request follows: a late, stale copy, as a network that reorders makes. Without
	// Detach the client waits for the held request's answer.
	Detach bool
}

// armed is a fault with its remaining uses. holding is the channel a held (reordered)
// exchange waits on, nil when none is held.
type armed struct {
	Fault
	left    int
	holding chan struct{}
}

// action is what ServeHTTP does to one exchange.
type action struct {
	kind    FaultKind
	delay   time.Duration
	hold    chan struct{} // Reorder: wait for this to close
	detach  bool          // Reorder: hang up on the client while holding
	release chan struct{} // close this once forwarded: it releases a held exchange
}

// Inject arms f. Faults apply in the order they were armed: an exchange gets the first armed
// fault it matches. It returns an error for an unknown kind, a bad pattern or Times < 1.
func (p *Proxy) Inject(f Fault) error {
	switch f.Kind {
	case DropRequest, DropResponse, Duplicate, Delay, Reorder:
	default:
		return fmt.Errorf("inject fault: unknown kind %q", f.Kind)
	}
	if f.Times < 1 {
		return errors.New("inject fault: Times must be at least 1")
	}
	if _, err := path.Match(f.Path, "/"); err != nil {
		return fmt.Errorf("inject fault: path pattern %q: %w", f.Path, err)
	}
	if f.Kind == Delay && f.Delay <= 0 {
		return errors.New("inject fault: a delay needs a positive Delay")
	}
	if (f.Detach || len(f.Overtakers) > 0) && f.Kind != Reorder {
		return errors.New("inject fault: Detach and Overtakers apply only to a reorder")
	}
	if f.Kind == Reorder && f.Delay <= 0 {
		f.Delay = DefaultHold
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &armed{Fault: f, left: f.Times})
	return nil
}

// Armed returns how many fault uses are left, held reorders included.
func (p *Proxy) Armed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, a := range p.faults {
		n += a.left
		if a.holding != nil {
			n++
		}
	}
	return n
}

func (a *armed) matches(r *http.Request, body []byte) bool {
	if !a.route(r) {
		return false
	}
	return a.Contains == "" || bytes.Contains(body, []byte(a.Contains))
}

// releases reports whether the request releases the request a reorder holds.
func (a *armed) releases(r *http.Request, body []byte) bool {
	if len(a.Overtakers) == 0 {
		return a.matches(r, body)
	}
	return a.route(r) && slices.ContainsFunc(a.Overtakers, func(s string) bool { return s != "" && bytes.Contains(body, []byte(s)) })
}

// route reports whether the request's method and path match.
func (a *armed) route(r *http.Request) bool {
	if a.Method != "" && a.Method != r.Method {
		return false
	}
	if a.Path == "" {
		return true
	}
	ok, _ := path.Match(a.Path, r.URL.Path)
	return ok
}

// arm counts the exchange's attempt under its Idempotency-Key and picks the fault that
// applies to it.
func (p *Proxy) arm(c *call) action {
	p.mu.Lock()
	defer p.mu.Unlock()
	if key := c.ex.IdempotencyKey; key != "" {
		k := p.keys[key]
		if k == nil && len(p.keys) < p.opts.MaxRecords {
			k = &keyState{}
			p.keys[key] = k
		}
		if k != nil {
			k.attempts++
			c.ex.Attempt = k.attempts
		}
	}
	for _, a := range p.faults {
		if a.Kind == Reorder && a.holding != nil && a.releases(c.req, c.body) {
			release := a.holding
			a.holding = nil
			return action{release: release}
		}
		if !a.matches(c.req, c.body) {
			continue
		}
		if a.left == 0 {
			continue
		}
		a.left--
		c.ex.Fault = a.Kind
		act := action{kind: a.Kind, delay: a.Delay, detach: a.Detach}
		if a.Kind == Reorder {
			a.holding = make(chan struct{})
			act.hold = a.holding
		}
		return act
	}
	return action{}
}

// unhold forgets a held exchange that stopped waiting, so that no later exchange waits to
// release it.
func (p *Proxy) unhold(ch chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.faults {
		if a.holding == ch {
			a.holding = nil
		}
	}
}
