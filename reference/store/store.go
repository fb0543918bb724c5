// Package store defines the persistence boundary of the reference server: a transactional
// Store and the records it keeps. The default implementation is store/sqlite; a PostgreSQL
// implementation can follow by satisfying the same interfaces.
//
// Every request the server handles runs inside one Update (or View) call, so all the writes
// a request makes, and the audit event that describes it, commit or roll back together.
package store

import (
	"context"
	"errors"

	"github.com/icscert/icscert/spec"
)

// ErrNotFound is returned (wrapped or bare) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is a transactional store. Implementations are safe for concurrent use. Update calls
// are serialised (one writer at a time), so a function passed to Update sees every change
// committed before it began and nothing committed while it runs. The caller closes the Store
// with Close once no call is in progress.
type Store interface {
	// View runs fn in a read-only transaction. fn must not retain tx after it returns.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Update runs fn in a read-write transaction and commits it if fn returns nil; otherwise
	// (or if fn panics) it rolls every change back and returns fn's error (or re-panics).
	// A nil return means the changes are durable.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store. It must not be called while View or Update run.
	Close() error
}

// Tx is one transaction. It is used by one goroutine only, and only inside the function it
// was passed to. Lookups of a missing row return an error wrapping ErrNotFound.
type Tx interface {
	// Child returns the child with id.
	Child(id string) (Child, error)
	// InsertChild adds a new child; its id must be new.
	InsertChild(c Child) error
	// UpdateChild replaces the stored child with the same id.
	UpdateChild(c Child) error
	// ChildrenByIdentifier returns every child (any status) that has, or had, an identifier
	// of system with value, ordered by id.
	ChildrenByIdentifier(system, value string) ([]Child, error)
	// ChildrenBornBetween returns every child whose date of birth lies in from..to
	// (inclusive, YYYY-MM-DD), ordered by id.
	ChildrenBornBetween(from, to string) ([]Child, error)
	// CountChildren returns how many children are stored.
	CountChildren() (int, error)

	// Involvement returns the involvement with id.
	Involvement(id string) (Involvement, error)
	// InsertInvolvement adds a new involvement.
	InsertInvolvement(inv Involvement) error
	// UpdateInvolvement replaces the stored involvement with the same id (its ChildID may
	// change, as on a merge).
	UpdateInvolvement(inv Involvement) error
	// Involvements returns a child's involvements ordered by start date, then id.
	Involvements(childID string) ([]Involvement, error)

	// Indicator returns the indicator with id.
	Indicator(id string) (Indicator, error)
	// InsertIndicator adds a new indicator.
	InsertIndicator(ind Indicator) error
	// UpdateIndicator replaces the stored indicator with the same id.
	UpdateIndicator(ind Indicator) error
	// Indicators returns a child's indicators ordered by start date, then id.
	Indicators(childID string) ([]Indicator, error)

	// Consent returns the consent with id.
	Consent(id string) (Consent, error)
	// InsertConsent adds a new consent.
	InsertConsent(c Consent) error
	// UpdateConsent replaces the stored consent with the same id.
	UpdateConsent(c Consent) error
	// Consents returns a child's consents ordered by recording time, then id.
	Consents(childID string) ([]Consent, error)

	// LastAuditEvent returns the seq and hash of the newest audit event, or 0 and "" when
	// the log is empty.
	LastAuditEvent() (seq int64, hash string, err error)
	// AppendAuditEvent appends a sealed event whose seq is one more than the newest. The log
	// is append-only: no method changes or removes an event.
	AppendAuditEvent(ev spec.AuditEvent) error
	// AuditEvents returns events in seq order that match q.
	AuditEvents(q AuditQuery) ([]spec.AuditEvent, error)
	// Accesses returns, newest first, the successful audit events that q selects.
	Accesses(q AccessQuery) ([]spec.AuditEvent, error)

	// AddNotification appends n to the outbox and gives it (n.Seq) the child's next seq.
	// When n.DedupeKey is set and already used, it adds nothing and returns false.
	AddNotification(n *Notification) (bool, error)
	// Notifications returns the outbox entries of a child in seq order.
	Notifications(childID string) ([]Notification, error)

	// IdempotentResponse returns the response saved for an organisation's key.
	IdempotentResponse(org, key string) (IdempotentResponse, error)
	// SaveIdempotentResponse saves a response for an organisation's key.
	SaveIdempotentResponse(r IdempotentResponse) error

	ExchangeTx
}

// AuditQuery selects audit events.
type AuditQuery struct {
	AfterSeq int64  // only events with a greater seq
	Limit    int    // at most this many (1..1000)
	ChildID  string // if set, only events naming this child
	// VisibleToLa, if set, keeps only events by actors of this council or naming a child
	// this council is responsible for.
	VisibleToLa string
}

// AccessQuery selects the accesses of one child from the audit log, for its access history.
type AccessQuery struct {
	ChildID     string
	Actions     []string // the actions that count as an access
	SkipPurpose string   // leave out events with this purpose of use
	SkipRole    string   // with SkipLa: leave out events by this role of this council
	SkipLa      string
	Limit       int
}

// Child is the stored form of a child's record: every field, whoever may see it. Status is
// the stored status (ACTIVE, DECEASED, MERGED or SUPERSEDED_NEW_IDENTITY); ARCHIVED is
// computed from the clock and never stored.
type Child struct {
	ID                  string                 `json:"id"`
	Version             int64                  `json:"version"`
	Status              string                 `json:"status"`
	MergedInto          string                 `json:"mergedInto,omitempty"`
	Name                spec.Name              `json:"name"`
	FormerNames         []spec.Name            `json:"formerNames,omitempty"`
	Gender              string                 `json:"gender"`
	DateOfBirth         string                 `json:"dateOfBirth,omitempty"`
	ExpectedDateOfBirth string                 `json:"expectedDateOfBirth,omitempty"`
	DateOfDeath         string                 `json:"dateOfDeath,omitempty"`
	Identifiers         []spec.Identifier      `json:"identifiers,omitempty"`
	Address             *spec.Address          `json:"address,omitempty"`
	Whereabouts         string                 `json:"whereabouts,omitempty"`
	ResponsibleLa       spec.LocalAuthorityRef `json:"responsibleLa"`
	Shielding           spec.Shielding         `json:"shielding"`
	ParentsCarers       []spec.RelatedPerson   `json:"parentsCarers,omitempty"`
	// ArchiveAtAge is 18, or the retainToAge of the current RETAIN_TO_25 consent with the
	// highest age.
	ArchiveAtAge int    `json:"archiveAtAge"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
	// CaseSummaryRefs are the case-summary references that came with the record on a
	// transfer; they travel on with it (XFER-004) and are never served on the record.
	CaseSummaryRefs []spec.CaseSummaryRef `json:"caseSummaryRefs,omitempty"`
}

// Involvement is the stored form of an involvement. IsLeadProfessional and ContactVia are
// computed when it is served.
type Involvement struct {
	spec.Involvement
	CreatedAt string `json:"createdAt"`
}

// Indicator is the stored form of an indicator with the organisation and council of whoever
// set it.
type Indicator struct {
	spec.Indicator
	SetByOrg  string `json:"setByOrg"`
	SetByLa   string `json:"setByLa"`
	CreatedAt string `json:"createdAt"`
}

// Consent is the stored form of a consent with the organisation of whoever recorded it.
type Consent struct {
	spec.Consent
	RecordedByOrg string `json:"recordedByOrg"`
}

// Notification is one entry of the notification outbox (NOTIF-*). It carries identifiers and
// the event type only, never personal data.
type Notification struct {
	EventID    string `json:"eventId"`
	ChildID    string `json:"childId"`
	Seq        int64  `json:"seq"` // per child, assigned by AddNotification
	Type       string `json:"type"`
	OccurredAt string `json:"occurredAt"`
	La         string `json:"la"`                   // the council to notify
	Org        string `json:"org,omitempty"`        // an organisation to notify as well
	BreakGlass bool   `json:"breakGlass,omitempty"` // the access was a break-glass read
	DedupeKey  string `json:"dedupeKey,omitempty"`  // raises the event at most once
	RefID      string `json:"refId,omitempty"`      // the involvement or indicator, if any
}

// IdempotentResponse is the saved response to a create sent with an Idempotency-Key.
type IdempotentResponse struct {
	Org         string   `json:"org"`
	Key         string   `json:"key"`
	Fingerprint string   `json:"fingerprint"` // method, path and canonical body
	Status      int      `json:"status"`
	ETag        int64    `json:"etag,omitempty"` // the version in the ETag header; 0 for none
	Location    string   `json:"location,omitempty"`
	Body        []byte   `json:"body"`
	ChildIDs    []string `json:"childIds"`
	Tiers       []string `json:"tiers"`
	CreatedAt   string   `json:"createdAt"`
}
