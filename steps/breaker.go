package steps

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// BreakerThreshold is how many consecutive exchanges may fail in transport (no response: a
// timeout, a refused or reset connection, an oversize header) before the run stops talking to
// the target: every later request fails at once as an ERROR naming the breaker, so that a
// target that stops answering costs seconds, not a timeout per scenario.
const BreakerThreshold = 10

// breaker counts consecutive transport failures across the scenarios of a run. It is safe for
// concurrent use.
type breaker struct {
	mu          sync.Mutex
	threshold   int
	consecutive int
	open        bool
	last        string // the last failure seen
	total       int    // transport failures in the run
}

// result records one exchange's outcome: err nil for a response.
func (b *breaker) result(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		if !b.open {
			b.consecutive = 0
		}
		return
	}
	b.total++
	b.consecutive++
	b.last = ClipError(err.Error())
	if b.consecutive >= b.threshold {
		b.open = true
	}
}

// check returns an error when the breaker is open.
func (b *breaker) check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return nil
	}
	return fmt.Errorf("not sent: the target stopped answering (%d consecutive exchanges failed; the last: %s)", b.threshold, b.last)
}

// Tripped reports whether the run stopped talking to the target after BreakerThreshold
// consecutive transport failures, and if so what was seen.
func (s *Suite) Tripped() (bool, string) {
	b := s.breaker
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return false, ""
	}
	return true, fmt.Sprintf("the run stopped after %d consecutive exchanges failed in transport (%d in all); the last: %s",
		b.threshold, b.total, b.last)
}

// NewTransport returns the HTTP transport every request to a target goes through: the default
// transport with the response headers bounded by MaxResponseHeaderBytes and the TLS handshake
// by timeout, so that a target cannot hold the harness's memory. Each request's own deadline
// bounds the rest.
func NewTransport(timeout time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	t.TLSHandshakeTimeout = timeout
	return t
}
