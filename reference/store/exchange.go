package store

import (
	"encoding/json"

	"github.com/icscert/icscert/spec"
)

// ExchangeTx is the part of a transaction that keeps what the server exchanges with other
// systems: transfers between councils (XFER-*), webhook subscriptions and the outbox of
// deliveries to other systems and to webhooks (NOTIF-*).
type ExchangeTx interface {
	// Transfer returns the transfer with id.
	Transfer(id string) (Transfer, error)
	// InsertTransfer adds a new transfer; its id must be new.
	InsertTransfer(t Transfer) error
	// UpdateTransfer replaces the stored transfer with the same id.
	UpdateTransfer(t Transfer) error
	// OpenTransfers returns the transfers of a child that are PROPOSED or ACCEPTED, by id.
	OpenTransfers(childID string) ([]Transfer, error)

	// Subscription returns the subscription with id.
	Subscription(id string) (Subscription, error)
	// InsertSubscription adds a new subscription.
	InsertSubscription(s Subscription) error
	// SubscriptionsFor returns, by id, the subscriptions of council la and those of
	// organisation org (when org is not empty).
	SubscriptionsFor(la, org string) ([]Subscription, error)

	// Delivery returns the delivery with id.
	Delivery(id string) (Delivery, error)
	// InsertDelivery adds a new delivery to the outbox.
	InsertDelivery(d Delivery) error
	// UpdateDelivery replaces the stored delivery with the same id.
	UpdateDelivery(d Delivery) error
	// DueDeliveries returns up to limit PENDING deliveries due at or before at (an Instant
	// with nanoseconds, see DueFormat), oldest due first.
	DueDeliveries(at string, limit int) ([]Delivery, error)
	// NextDue returns the due time of the earliest PENDING delivery, or "" when none is.
	NextDue() (string, error)
	// DeliveriesOf returns the deliveries for ref (a transfer or subscription id) in the
	// given state ("" for any), newest first, at most limit.
	DeliveriesOf(ref, state string, limit int) ([]Delivery, error)
	// CountDeliveries counts the deliveries for ref by state.
	CountDeliveries(ref string) (map[string]int, error)

	// ShieldReviewsDue returns the ACTIVE shielded children whose shield review date is
	// before date (YYYY-MM-DD), by id (SENS-006).
	ShieldReviewsDue(date string) ([]Child, error)
}

// DueFormat is the layout of Delivery.DueAt: UTC with nanoseconds and a fixed width, so that
// due times order as strings.
const DueFormat = "2006-01-02T15:04:05.000000000Z"

// Transfer is the stored form of a transfer: the wire form and what the system keeps about
// it. An OUTBOUND transfer whose receiving council another system serves has a
// DeliveryID; an INBOUND transfer keeps the Package it was delivered with, and once decided
// an OutcomeID.
type Transfer struct {
	spec.Transfer
	// Package is the TransferPackage sent (OUTBOUND) or received (INBOUND), as JSON.
	Package json.RawMessage `json:"package,omitempty"`
	// CaseSummaryRefs are the references named when the transfer was proposed.
	CaseSummaryRefs []spec.CaseSummaryRef `json:"caseSummaryRefs,omitempty"`
	// DeliveryID names the delivery of the package to the receiving system.
	DeliveryID string `json:"deliveryId,omitempty"`
	// OutcomeID names the delivery of the receiver's decision back to the sending system.
	OutcomeID string `json:"outcomeId,omitempty"`
	// Local marks a transfer between two councils this system serves.
	Local bool `json:"local,omitempty"`
}

// Subscription is a stored webhook subscription with its secret and owner.
type Subscription struct {
	spec.Subscription
	Secret string `json:"secret"`
	Org    string `json:"org"`
	// Council marks a subscription to every notification for council La; otherwise it gets
	// the notifications addressed to organisation Org.
	Council bool `json:"council"`
}

// Kinds of delivery.
const (
	DeliverTransferPackage = "TRANSFER_PACKAGE" // POST /v1/inbound/transfers to the receiver
	DeliverTransferOutcome = "TRANSFER_OUTCOME" // POST /v1/inbound/transfers/{id}/outcome to the sender
	DeliverWebhook         = "WEBHOOK"          // POST of a Notification to a subscriber's URL
)

// Delivery states. A PENDING delivery is retried with backoff until it is DELIVERED or, after
// the attempt limit or a refusal that no retry can change, DEAD (the dead letter).
const (
	DeliveryPending   = "PENDING"
	DeliveryDelivered = "DELIVERED"
	DeliveryDead      = "DEAD"
)

// Delivery is one entry of the outbox of deliveries to other systems.
type Delivery struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Ref is the transfer (for transfer kinds) or the subscription (for webhooks).
	Ref     string `json:"ref"`
	ChildID string `json:"childId"`
	// La is the council whose system receives a transfer delivery, looked up in the
	// directory at each attempt.
	La string `json:"la,omitempty"`
	// Path is the request path of a transfer delivery, below the receiver's base URL.
	Path string `json:"path,omitempty"`
	// EventID, Seq and Type describe a webhook's notification.
	EventID string `json:"eventId,omitempty"`
	Seq     int64  `json:"seq,omitempty"`
	Type    string `json:"type,omitempty"`
	// Body is the exact request body, the same on every attempt.
	Body           json.RawMessage `json:"body"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	DueAt          string          `json:"dueAt"` // DueFormat
	LastAttemptAt  string          `json:"lastAttemptAt,omitempty"`
	LastStatus     int             `json:"lastStatus,omitempty"` // 0 when no answer came
	LastError      string          `json:"lastError,omitempty"`  // no personal data
	CreatedAt      string          `json:"createdAt"`
}
