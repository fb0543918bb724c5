package steps

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/spec"
)

// This file holds the steps that move the target's test clock (capability test-clock):
// SENS-006's shield reviews and NOTIF-003's dead letters. Scenarios that use them are tagged
// @cap-test-clock and @exclusive: moving the target's time must not disturb a scenario running
// beside them. After each move the suite's clock follows the target's (Suite.ahead), so that
// later tokens and dates agree with it.

// clockCouncil is the council whose management moves the clock: the latest webhook's, else
// 202.
func (w *World) clockCouncil() string {
	if w.notif.last != nil {
		return w.notif.last.council
	}
	return "202"
}

// moveClock asks the target to move its time forward by d and makes the suite's clock follow.
func (w *World) moveClock(d time.Duration) error {
	body := map[string]any{}
	if days := int64(d / (24 * time.Hour)); days > 0 && d%(24*time.Hour) == 0 {
		body["days"] = days
	} else {
		body["seconds"] = int64((d + time.Second - 1) / time.Second)
	}
	r, err := w.Send(Request{Method: "POST", Path: "/v1/test-clock", As: w.systemActor(w.clockCouncil()), Body: body})
	if err != nil {
		return err
	}
	var tc spec.TestClock
	if r.Status != 200 || r.Decode(&tc) != nil {
		return &AssertionError{
			Message: "the target, which declares the test-clock capability, did not move its clock", Pointer: "status",
			Expected: "200 with the test clock", Actual: strconv.Itoa(r.Status) + problemHint(r),
		}
	}
	w.suite.follow(time.Duration(tc.OffsetSeconds) * time.Second)
	return nil
}

// follow makes the suite's clock at least offset ahead of the harness's, as the target's test
// clock now is. The clock never moves back.
func (s *Suite) follow(offset time.Duration) {
	for {
		cur := s.ahead.Load()
		if int64(offset) <= cur || s.ahead.CompareAndSwap(cur, int64(offset)) {
			return
		}
	}
}

// registerTestClock adds the test-clock steps (see registerNotifications).
func registerTestClock(sc glossary) {
	define(sc, `^the test clock is moved forward (\d+) (days?|hours?|seconds?)$`, func(ctx context.Context, n int, unit string) error {
		d := time.Duration(n)
		switch unit[0] {
		case 'd':
			d *= 24 * time.Hour
		case 'h':
			d *= time.Hour
		default:
			d *= time.Second
		}
		return WorldFrom(ctx).moveClock(d)
	})
	define(sc, `^the test clock is moved past each retry until the notification about "([^"]+)" has been refused (\d+) times$`,
		func(ctx context.Context, alias string, n int) error {
			return WorldFrom(ctx).refuseUntil(alias, n)
		})
	define(sc, `^the subscription "([^"]+)" lists the notification about "([^"]+)" as a dead letter after (\d+) attempts$`,
		func(ctx context.Context, name, alias string, n int) error {
			return WorldFrom(ctx).expectDeadLetter(name, alias, n)
		})
	define(sc, `^the dead-lettered notification about "([^"]+)" was not delivered again$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectNotAgain(alias)
	})
}

// refuseUntil waits for the first delivery about the child (which the webhook refuses), then
// moves the target's clock by the contract's backoff after each refused attempt and waits for
// the next, until the notification has been attempted n times.
func (w *World) refuseUntil(alias string, n int) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	attempts := func(ds []sink.Delivery) int {
		_, same, _ := w.firstRefusedIn(ds, c.ID)
		return len(same)
	}
	for {
		ds, ok := w.wait(h, func(ds []sink.Delivery) bool { return attempts(ds) >= 1 })
		if !ok {
			return &AssertionError{
				Message: fmt.Sprintf("no notification about %q reached the webhook within %s", alias, notifWait), Pointer: "webhook:" + h.name,
				Expected: "a delivery", Actual: "none", Evidence: w.deliveryEvidence(h, deliveriesAbout(ds, c.ID)),
			}
		}
		done := attempts(ds)
		if done >= n {
			return nil
		}
		// The target schedules the retry once it has recorded the refusal, which may be just
		// after the webhook answered: a move made before that does not make the retry due, so
		// move again (a bounded number of times) until it comes.
		arrived := false
		for move := 0; move < clockMoves && !arrived; move++ {
			if err := w.moveClock(contractBackoff(done) + time.Second); err != nil {
				return err
			}
			ds, arrived = h.hook.Wait(w.Context(), retryWait, func(ds []sink.Delivery) bool { return attempts(ds) > done })
		}
		if !arrived {
			_, same, _ := w.firstRefusedIn(ds, c.ID)
			return &AssertionError{
				Message: fmt.Sprintf("the refused notification about %q was not attempted again after the clock passed the contract's backoff %d times", alias, clockMoves),
				Pointer: "webhook:" + h.name, Expected: fmt.Sprintf("attempt %d of %d", done+1, n), Actual: fmt.Sprintf("%d attempts", done),
				Evidence: w.deliveryEvidence(h, same),
			}
		}
	}
}

// clockMoves bounds how often refuseUntil moves the clock for one retry, and retryWait how
// long it waits for the retry after each move. A move too many is harmless (the retry is due
// either way; the target's time only runs further ahead), so retryWait can be short.
const (
	clockMoves = 8
	retryWait  = 1500 * time.Millisecond
)

// firstRefusedIn is firstRefused over given deliveries.
func (w *World) firstRefusedIn(all []sink.Delivery, childID string) (sink.Delivery, []sink.Delivery, bool) {
	ds := deliveriesAbout(all, childID)
	for _, d := range ds {
		if d.Status >= 400 {
			var same []sink.Delivery
			for _, e := range ds {
				if e.Notification.EventID == d.Notification.EventID {
					same = append(same, e)
				}
			}
			return d, same, true
		}
	}
	return sink.Delivery{}, nil, false
}

// deadLetterPolls bounds how often expectDeadLetter reads the subscription: the target
// records the last attempt's answer only after the webhook has seen it.
const (
	deadLetterPolls = 12
	maxPollPause    = time.Second
)

// expectDeadLetter reads the subscription until it lists the refused notification about the
// child as a dead letter with n attempts (NOTIF-003: visible as the contract says).
func (w *World) expectDeadLetter(name, alias string, n int) error {
	h, c, err := w.hookAndChild(name, alias)
	if err != nil {
		return err
	}
	refused, _, err := w.refusedAbout(h, c, asReceived)
	if err != nil {
		return err
	}
	pause := 100 * time.Millisecond
	var sub spec.Subscription
	for poll := 0; ; poll++ {
		r, err := w.Send(Request{Method: "GET", Path: "/v1/subscriptions/" + h.subID, As: w.systemActor(h.council)})
		if err != nil {
			return err
		}
		if r.Status != 200 || r.Decode(&sub) != nil {
			return &AssertionError{
				Message: "the subscription could not be read by the organisation that made it", Pointer: "status",
				Expected: "200 with the subscription", Actual: strconv.Itoa(r.Status) + problemHint(r),
			}
		}
		for _, dl := range sub.DeadLetters {
			if dl.EventID == refused.Notification.EventID {
				return w.checkDeadLetter(dl, refused, n, sub)
			}
		}
		if poll == deadLetterPolls {
			break
		}
		select {
		case <-time.After(pause):
		case <-w.Context().Done():
			return &TargetError{Op: "read the subscription's dead letters", Err: w.stopCause()}
		}
		pause = min(2*pause, maxPollPause)
	}
	return &AssertionError{
		Message: fmt.Sprintf("the notification about %q refused %d times is not listed as a dead letter", alias, n), Pointer: "/deadLetters",
		Expected: "a dead letter with its eventId", Actual: fmt.Sprintf("%d dead letters, counts %+v", len(sub.DeadLetters), sub.Deliveries),
	}
}

// checkDeadLetter compares a listed dead letter with the refused notification.
func (w *World) checkDeadLetter(dl spec.DeadLetter, refused sink.Delivery, n int, sub spec.Subscription) error {
	rn := refused.Notification
	switch {
	case dl.Attempts != n:
		return Failf("/deadLetters", strconv.Itoa(n)+" attempts", strconv.Itoa(dl.Attempts), "the dead letter does not count the attempts made")
	case dl.ChildID != rn.ChildID || dl.Type != rn.Type || dl.Seq != rn.Seq:
		return Failf("/deadLetters", "the refused notification's childId, type and seq", fmt.Sprintf("%s, %s, %d", dl.Type, dl.ChildID, dl.Seq),
			"the dead letter does not describe the refused notification")
	case sub.Deliveries == nil || sub.Deliveries.Dead < 1:
		return Failf("/deliveries/dead", "at least 1", fmt.Sprintf("%+v", sub.Deliveries), "the subscription's counts show no dead delivery")
	}
	return nil
}

// expectNotAgain checks that the dead-lettered notification about the child was attempted no
// more after the last refusal: every delivery of its eventId was refused.
func (w *World) expectNotAgain(alias string) error {
	h, c, err := w.hookAndChild("", alias)
	if err != nil {
		return err
	}
	_, same, err := w.refusedAbout(h, c, asReceived)
	if err != nil {
		return err
	}
	for _, d := range same {
		if d.Status < 400 {
			return &AssertionError{
				Message: "a dead-lettered notification was delivered again", Pointer: "webhook:" + h.name,
				Expected: "no attempt after the dead letter", Actual: fmt.Sprintf("%d attempts, the last acknowledged", len(same)),
				Evidence: w.deliveryEvidence(h, same),
			}
		}
	}
	return nil
}
