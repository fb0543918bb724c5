package spec

// This file holds the wire types that types.go does not: the PATCH bodies, transfers between
// councils and systems, webhook subscriptions and notifications, and the health body. The
// OpenAPI document describes exactly these shapes; drift_test.go checks it.

// ChildPatch is the body of PATCH /v1/children/{id} (JSON merge patch): each field present
// replaces the stored one, an absent field is unchanged. ResponsibleLa is deliberately missing:
// it changes only by transfer (422 READ_ONLY_FIELD).
type ChildPatch struct {
	Name                *Name           `json:"name,omitempty"`
	FormerNames         []Name          `json:"formerNames,omitempty"`
	Gender              string          `json:"gender,omitempty"`
	DateOfBirth         Date            `json:"dateOfBirth,omitempty"`
	ExpectedDateOfBirth Date            `json:"expectedDateOfBirth,omitempty"`
	DateOfDeath         Date            `json:"dateOfDeath,omitempty"`
	Identifiers         []Identifier    `json:"identifiers,omitempty"`
	Address             *Address        `json:"address,omitempty"`
	Whereabouts         string          `json:"whereabouts,omitempty"`
	ParentsCarers       []RelatedPerson `json:"parentsCarers,omitempty"`
}

// InvolvementPatch is the body of PATCH /v1/involvements/{id}. EndDate ends the involvement,
// which stays in the list as history (INV-002).
type InvolvementPatch struct {
	EndDate      Date          `json:"endDate,omitempty"`
	Organisation *Organisation `json:"organisation,omitempty"`
	Practitioner *Practitioner `json:"practitioner,omitempty"`
}

// CaseSummaryRef is an opaque pointer to an ICS document held by the sending system: its kind,
// title, date and the SHA-256 of its content, never the content itself.
type CaseSummaryRef struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Date   Date   `json:"date"`
	Sha256 string `json:"sha256"`
}

// NewTransfer is the body of POST /v1/transfers, sent by the responsible council's management.
type NewTransfer struct {
	ChildID         string            `json:"childId"`
	ToLa            LocalAuthorityRef `json:"toLa"`
	Reason          string            `json:"reason"`
	CaseSummaryRefs []CaseSummaryRef  `json:"caseSummaryRefs,omitempty"`
}

// Transfer directions: a transfer is OUTBOUND in the sending system and INBOUND in the
// receiving one, under the same id.
const (
	DirectionOutbound = "OUTBOUND"
	DirectionInbound  = "INBOUND"
)

// Transfer is a change of responsible council (TransferStates: PROPOSED → ACCEPTED | REJECTED |
// WITHDRAWN; ACCEPTED → COMPLETED). It is the body of every transfer response.
type Transfer struct {
	ID              string            `json:"id"`
	ChildID         string            `json:"childId"`
	FromLa          LocalAuthorityRef `json:"fromLa"`
	ToLa            LocalAuthorityRef `json:"toLa"`
	Reason          string            `json:"reason"`
	State           string            `json:"state"`
	Direction       string            `json:"direction"` // DirectionOutbound or DirectionInbound
	IdempotencyKey  string            `json:"idempotencyKey,omitempty"`
	ProposedAt      string            `json:"proposedAt"`
	DecidedAt       string            `json:"decidedAt,omitempty"`
	CompletedAt     string            `json:"completedAt,omitempty"`
	RejectionReason string            `json:"rejectionReason,omitempty"`
	// Delivery is the state of the system-to-system delivery this side makes: the package
	// (OUTBOUND) or the outcome (INBOUND). Absent within one system.
	Delivery *DeliveryStatus `json:"delivery,omitempty"`
}

// DeliveryStatus is the state of one delivery to another system or to a webhook: PENDING
// (retried with backoff), DELIVERED, or DEAD (the dead letter, after the attempt limit or a
// refusal no retry can change).
type DeliveryStatus struct {
	State         string `json:"state"`
	Attempts      int    `json:"attempts"`
	LastAttemptAt string `json:"lastAttemptAt,omitempty"`
	NextAttemptAt string `json:"nextAttemptAt,omitempty"`
	LastStatus    int    `json:"lastStatus,omitempty"` // the last answer's status; absent when none came
	LastError     string `json:"lastError,omitempty"`
}

// TransferAcceptance is the body of POST /v1/transfers/{id}/acceptance: the receiving
// council's Decision, ACCEPTED or REJECTED.
type TransferAcceptance struct {
	Decision        string `json:"decision"`
	RejectionReason string `json:"rejectionReason,omitempty"`
}

// TransferPackage is the body of POST /v1/inbound/transfers: everything a transfer carries
// from the sending system to the receiving one (XFER-004). Record is the full, unfiltered
// record; the receiver keeps every part unchanged, under the same ids.
type TransferPackage struct {
	TransferID      string            `json:"transferId"`
	ChildID         string            `json:"childId"`
	FromLa          LocalAuthorityRef `json:"fromLa"`
	ToLa            LocalAuthorityRef `json:"toLa"`
	Reason          string            `json:"reason"`
	ProposedAt      string            `json:"proposedAt"`
	Record          ChildRecord       `json:"record"`
	Involvements    []Involvement     `json:"involvements"`
	Indicators      []Indicator       `json:"indicators"`
	Shielding       Shielding         `json:"shielding"`
	Consents        []Consent         `json:"consents"`
	CaseSummaryRefs []CaseSummaryRef  `json:"caseSummaryRefs"`
}

// TransferOutcome is the body of POST /v1/inbound/transfers/{id}/outcome: the receiver's
// decision (State ACCEPTED or REJECTED) reported back to the sending system.
type TransferOutcome struct {
	TransferID      string `json:"transferId"`
	State           string `json:"state"`
	DecidedAt       string `json:"decidedAt"`
	RejectionReason string `json:"rejectionReason,omitempty"`
}

// NewSubscription is the body of POST /v1/subscriptions. Secret keys the HMAC-SHA256 webhook
// signature (see SignWebhook) and is never returned.
type NewSubscription struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"eventTypes"`
	Secret     string   `json:"secret"`
}

// Subscription is a created webhook subscription, without its secret.
type Subscription struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	EventTypes []string `json:"eventTypes"`
	La         string   `json:"la,omitempty"`
	CreatedAt  string   `json:"createdAt"`
	// Deliveries counts the subscription's deliveries by state (GET /v1/subscriptions/{id}).
	Deliveries *DeliveryCounts `json:"deliveries,omitempty"`
	// DeadLetters lists the newest dead-lettered notifications, at most 100
	// (GET /v1/subscriptions/{id}).
	DeadLetters []DeadLetter `json:"deadLetters,omitempty"`
}

// DeliveryCounts counts a subscription's deliveries by state.
type DeliveryCounts struct {
	Pending   int `json:"pending"`
	Delivered int `json:"delivered"`
	Dead      int `json:"dead"`
}

// DeadLetter is a notification whose delivery to a webhook gave up (NOTIF-003).
type DeadLetter struct {
	EventID       string `json:"eventId"`
	Seq           int64  `json:"seq"`
	Type          string `json:"type"`
	ChildID       string `json:"childId"`
	Attempts      int    `json:"attempts"`
	LastAttemptAt string `json:"lastAttemptAt"`
	LastStatus    int    `json:"lastStatus,omitempty"`
	LastError     string `json:"lastError,omitempty"`
}

// TestClockAdvance is the body of POST /v1/test-clock (capability test-clock): how far to move
// the server's time forward, in days and seconds (at least one of them).
type TestClockAdvance struct {
	Days    int   `json:"days,omitempty"`
	Seconds int64 `json:"seconds,omitempty"`
}

// TestClock is the server's time under the test-clock capability.
type TestClock struct {
	Now           string `json:"now"`
	OffsetSeconds int64  `json:"offsetSeconds"`
}

// Notification is the body of one webhook delivery. It carries identifiers and the event type
// only, never personal data (NOTIF-004); Seq counts up from 1 per child (NOTIF-002).
type Notification struct {
	EventID    string `json:"eventId"`
	Seq        int64  `json:"seq"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurredAt"`
	ChildID    string `json:"childId"`
	La         string `json:"la"`
}

// Health is the body of GET /healthz.
type Health struct {
	Status string `json:"status"`
}
