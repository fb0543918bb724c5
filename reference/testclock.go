package reference

import (
	"sync"
	"time"

	"github.com/icscert/icscert/spec"
)

// capabilityTestClock is the optional capability of POST /v1/test-clock (DOMAIN.md §5).
const capabilityTestClock = "test-clock"

// clockOffset is how far the test clock has moved the server's time. Safe for concurrent use.
type clockOffset struct {
	mu sync.Mutex
	d  time.Duration
}

func (o *clockOffset) get() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.d
}

func (o *clockOffset) add(d time.Duration) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.d += d
	return o.d
}

// getTestClock answers GET /v1/test-clock.
func (c *call) getTestClock() (*result, error) {
	return ok(spec.TestClock{Now: c.instant(), OffsetSeconds: int64(c.s.offset.get() / time.Second)}), nil
}

// advanceTestClock answers POST /v1/test-clock: it moves the server's time forward and, in
// the same transaction, raises the shield reviews that fell due (SENS-006). The webhook
// retries that fell due are sent once the request commits.
func (c *call) advanceTestClock() (*result, error) {
	var adv spec.TestClockAdvance
	if res, err := c.decode(&adv); res != nil || err != nil {
		return res, err
	}
	d := time.Duration(adv.Days)*24*time.Hour + time.Duration(adv.Seconds)*time.Second
	total := c.s.offset.add(d)
	c.now = c.now.Add(d)
	y, m, day := c.now.Date()
	c.today = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	due, err := c.tx.ShieldReviewsDue(c.todayDate())
	if err != nil {
		return nil, err
	}
	for _, child := range due {
		c.touch(child.ID)
		c.raiseShieldReview(child)
	}
	c.wake = true
	return ok(spec.TestClock{Now: c.instant(), OffsetSeconds: int64(total / time.Second)}), nil
}
