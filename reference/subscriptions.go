package reference

import (
	"context"
	"errors"
	"slices"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// This file holds webhook subscriptions and the fan-out of notifications to them
// (NOTIF-001..NOTIF-004). A subscription by a council's management receives every
// notification for that council; one by anyone else receives those addressed to its
// organisation (an involvement or indicator it holds was ended by someone else).

// maxDeadLetters is how many dead letters GET /v1/subscriptions/{id} lists.
const maxDeadLetters = 100

// createSubscription answers POST /v1/subscriptions.
func (c *call) createSubscription() (*result, error) {
	var ns spec.NewSubscription
	if res, err := c.decode(&ns); res != nil || err != nil {
		return res, err
	}
	sub := store.Subscription{
		Subscription: spec.Subscription{
			ID: newID(), URL: ns.URL, EventTypes: ns.EventTypes, La: c.actor.La, CreatedAt: c.instant(),
		},
		Secret: ns.Secret, Org: c.actor.Org, Council: c.actor.Role == roleLAManagement,
	}
	if err := c.tx.InsertSubscription(sub); err != nil {
		return nil, err
	}
	out := created(sub.Subscription)
	out.location = "/v1/subscriptions/" + sub.ID
	return out, nil
}

// getSubscription answers GET /v1/subscriptions/{id}: the creating organisation sees its
// delivery counts and dead letters (NOTIF-003); anyone else gets 404.
func (c *call) getSubscription() (*result, error) {
	sub, err := c.tx.Subscription(c.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (sub.Org != c.actor.Org || sub.La != c.actor.La)) {
		return notFound(), nil
	}
	if err != nil {
		return nil, err
	}
	counts, err := c.tx.CountDeliveries(sub.ID)
	if err != nil {
		return nil, err
	}
	dead, err := c.tx.DeliveriesOf(sub.ID, store.DeliveryDead, maxDeadLetters)
	if err != nil {
		return nil, err
	}
	out := sub.Subscription
	out.Deliveries = &spec.DeliveryCounts{
		Pending: counts[store.DeliveryPending], Delivered: counts[store.DeliveryDelivered], Dead: counts[store.DeliveryDead],
	}
	for _, d := range dead {
		out.DeadLetters = append(out.DeadLetters, spec.DeadLetter{
			EventID: d.EventID, Seq: d.Seq, Type: d.Type, ChildID: d.ChildID, Attempts: d.Attempts,
			LastAttemptAt: d.LastAttemptAt, LastStatus: d.LastStatus, LastError: d.LastError,
		})
	}
	return ok(out), nil
}

// raise writes one of the request's notifications and its webhook deliveries, and has the
// exchange woken once the request commits.
func (c *call) raise(n *store.Notification) error {
	queued, err := c.s.raise(c.ctx, c.tx, n)
	if queued {
		c.wake = true
	}
	return err
}

// raise appends n to the outbox (NOTIF-002: it gets the child's next seq) and queues one
// webhook delivery per subscription that wants it, due at once. The delivery's body is the
// thin Notification (NOTIF-004). It reports whether it queued any delivery.
func (s *Server) raise(_ context.Context, tx store.Tx, n *store.Notification) (bool, error) {
	added, err := tx.AddNotification(n)
	if err != nil || !added {
		return false, err
	}
	subs, err := tx.SubscriptionsFor(n.La, n.Org)
	if err != nil {
		return false, err
	}
	queued := false
	for _, sub := range subs {
		if !slices.Contains(sub.EventTypes, n.Type) {
			continue
		}
		body, err := encodeJSON(spec.Notification{
			EventID: n.EventID, Seq: n.Seq, Type: n.Type, OccurredAt: n.OccurredAt, ChildID: n.ChildID, La: n.La,
		})
		if err != nil {
			return false, err
		}
		now := s.clock().UTC()
		if err := tx.InsertDelivery(store.Delivery{
			ID: newID(), Kind: store.DeliverWebhook, Ref: sub.ID, ChildID: n.ChildID, EventID: n.EventID,
			Seq: n.Seq, Type: n.Type, Body: body, State: store.DeliveryPending,
			DueAt: now.Format(store.DueFormat), CreatedAt: now.Format(instantFormat),
		}); err != nil {
			return false, err
		}
		queued = true
	}
	return queued, nil
}

// sweepShieldReviews raises SHIELD_REVIEW_DUE, once per review date, for every shielded
// record whose review date has passed (SENS-006). It runs once per calendar day of the
// server's clock, and whenever the test clock moves.
func (x *exchange) sweepShieldReviews() error {
	today := x.s.clock().Format("2006-01-02")
	if today == x.lastSweep {
		return nil
	}
	var due []store.Child
	err := x.s.store.View(x.ctx, func(tx store.Tx) error {
		var err error
		due, err = tx.ShieldReviewsDue(today)
		return err
	})
	if err == nil && len(due) > 0 { // write only when there may be something to raise
		err = x.s.store.Update(x.ctx, func(tx store.Tx) error {
			_, err := x.s.sweepShields(tx, today)
			return err
		})
	}
	if err == nil {
		x.lastSweep = today
	}
	return err
}

// sweepShields raises the shield reviews due on today in tx and returns how many it raised.
func (s *Server) sweepShields(tx store.Tx, today string) (int, error) {
	due, err := tx.ShieldReviewsDue(today)
	if err != nil {
		return 0, err
	}
	at := s.clock().UTC().Format(instantFormat)
	raised := 0
	for _, child := range due {
		n := &store.Notification{
			EventID: newID(), ChildID: child.ID, Type: noteShieldReview, OccurredAt: at,
			La: child.ResponsibleLa.DfeCode, DedupeKey: noteShieldReview + "/" + child.ID + "/" + child.Shielding.ReviewDue,
		}
		before := n.Seq
		if _, err := s.raise(context.Background(), tx, n); err != nil {
			return raised, err
		}
		if n.Seq != before {
			raised++
		}
	}
	return raised, nil
}
