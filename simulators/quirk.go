package simulators

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Stable ids of the quirks. A profile names its quirks by these ids, and reports use them.
const (
	// QuirkErrorsTextPlain renders every error as text/plain with a stack trace (§7 item 8).
	QuirkErrorsTextPlain = "errors-text-plain"
	// QuirkShedNoRetryAfter sheds load early with a 503 that has no Retry-After (§7 item 11).
	QuirkShedNoRetryAfter = "shed-no-retry-after"
	// QuirkSlow adds latency to every response but stays conformant (§7 item 11).
	QuirkSlow = "slow"
	// QuirkDatesDDMMYYYY renders calendar dates as dd/mm/yyyy (§7 item 1).
	QuirkDatesDDMMYYYY = "dates-ddmmyyyy"
	// QuirkGenderMFU renders gender as M, F or U (§7 item 2).
	QuirkGenderMFU = "gender-mfu"
	// QuirkNHSWithSpaces returns NHS numbers with spaces (§7 item 3).
	QuirkNHSWithSpaces = "nhs-with-spaces"
	// QuirkNamesASCIIFolded strips apostrophes and diacritics from names on write (§7 item 4).
	QuirkNamesASCIIFolded = "names-ascii-folded"
	// QuirkNamesTruncated35 cuts names to 35 characters on write (§7 item 4).
	QuirkNamesTruncated35 = "names-truncated-35"
	// QuirkNHSNoChecksum accepts NHS numbers that fail modulus 11 (§7 item 3).
	QuirkNHSNoChecksum = "nhs-no-checksum"
	// QuirkSensitiveDetailsLeak shows sensitive-service providers to practitioners (§7 item 7).
	QuirkSensitiveDetailsLeak = "sensitive-details-leak"
	// QuirkEndedInvolvementsDeleted drops ended involvements and accepts DELETE (§7 item 9).
	QuirkEndedInvolvementsDeleted = "ended-involvements-deleted"
	// QuirkIfMatchIgnored lets an update win without a current If-Match (§7 item 5).
	QuirkIfMatchIgnored = "if-match-ignored"

	// QuirkTransferShieldDropped sends transfer packages without the shielding (§7 item 6).
	QuirkTransferShieldDropped = "transfer-shield-dropped"
	// QuirkTransferCaseRefsDropped sends transfer packages without case-summary references.
	QuirkTransferCaseRefsDropped = "transfer-case-refs-dropped"
	// QuirkInboundShieldIgnored takes in delivered packages as unshielded (§7 item 6).
	QuirkInboundShieldIgnored = "inbound-shield-ignored"
	// QuirkInboundConsentsDropped takes in delivered packages without their consents.
	QuirkInboundConsentsDropped = "inbound-consents-dropped"
	// QuirkInboundRedeliveryDuplicates makes a second transfer of a retried delivery.
	QuirkInboundRedeliveryDuplicates = "inbound-redelivery-duplicates"
	// QuirkWebhookNoSeq sends webhooks without a per-child seq (§7 item 10).
	QuirkWebhookNoSeq = "webhook-no-seq"
	// QuirkWebhookDuplicated sends each webhook twice under two eventIds (§7 item 10).
	QuirkWebhookDuplicated = "webhook-duplicated"
	// QuirkWebhookUnsigned sends webhooks without a signature.
	QuirkWebhookUnsigned = "webhook-unsigned"
	// QuirkWebhookSignedBodyOnly signs webhooks over the body only, not the timestamp.
	QuirkWebhookSignedBodyOnly = "webhook-signed-body-only"
)

// DefaultLatency is the latency the slow quirk adds unless Config.Latency says otherwise. It is
// far below any timeout the suite uses: the slow quirk is a specificity check.
const DefaultLatency = 15 * time.Millisecond

// DefaultShedLimit is the number of requests the shed-no-retry-after quirk serves at once
// unless Config.ShedLimit says otherwise.
const DefaultShedLimit = 4

// Config is what the quirks of one simulated product share: its clock and the parameters of
// the quirks that take one. The zero Config is ready to use.
type Config struct {
	// Clock tells the time, for the quirks that need today's date; time.Now if nil. Give it
	// the clock the reference behind the quirks uses.
	Clock func() time.Time
	// Latency is what the slow quirk adds to every response but /healthz; DefaultLatency if
	// zero or less.
	Latency time.Duration
	// ShedLimit is how many requests the shed-no-retry-after quirk serves at once;
	// DefaultShedLimit if zero or less.
	ShedLimit int

	// secrets is the book of webhook secrets the exchange quirks share; set by Bind.
	secrets *secretBook
}

func (c Config) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock()
}

func (c Config) latency() time.Duration {
	if c.Latency <= 0 {
		return DefaultLatency
	}
	return c.Latency
}

func (c Config) shedLimit() int {
	if c.ShedLimit <= 0 {
		return DefaultShedLimit
	}
	return c.ShedLimit
}

// Quirk is one defect a real product had (DOMAIN.md §7), as a middleware in front of the
// reference. Breaks is an expectation kept as data and checked against the suite's verdicts
// (internal/fleet): exactly the requirements a product with the quirk breaks, so the suite must
// fail those and nothing else. A Quirk value is immutable.
type Quirk struct {
	// ID is the quirk's stable id (one of the Quirk* constants).
	ID string
	// Item is the number of the DOMAIN.md §7 item the quirk simulates; 0 for a further
	// exchange defect that issue 7 asks for (a quirk of a transfer or a webhook that §7 does
	// not list).
	Item int
	// Summary says in one sentence what a product with the quirk does.
	Summary string
	// Breaks are the requirement ids the suite must fail for a product with this quirk.
	Breaks []string
	// Side is where the defect shows: in the product's own API, or only when it takes a part
	// in an exchange with another system (see Side).
	Side Side
	// Notes explains the expectations.
	Notes string
	// MaskedBy lists the sender quirks that leave a receiver quirk nothing to act on in a
	// pair, so that it shows no failure there (PairBreaks).
	MaskedBy []string

	// middleware rewrites the product's inbound traffic; nil for a quirk of outgoing traffic only.
	middleware func(Config) func(http.Handler) http.Handler
	// transport rewrites the product's outgoing deliveries (transfer packages, outcomes and
	// webhooks); nil for a quirk of inbound traffic only.
	transport func(Config) func(http.RoundTripper) http.RoundTripper
	// secrets says that the quirk re-signs webhooks, so the product must remember the secrets
	// of the subscriptions made through its handler (see Bound).
	secrets bool
}

// Side names where a quirk's defect shows, so that a pairwise run (sender × receiver) can
// charge a failure to the system at fault.
type Side string

const (
	// SideOwn is a defect of the product's own API, shown to any client: a single-system
	// run shows it, and in a pair it is the product's whatever part it plays.
	SideOwn Side = "own"
	// SideSender is a defect of the transfer packages (or outcomes) the product sends: it
	// shows when the product sends a transfer to another system, and is the sender's fault.
	SideSender Side = "sender"
	// SideReceiver is a defect of how the product takes in a delivery from another system:
	// it shows when the product receives a transfer, and is the receiver's fault.
	SideReceiver Side = "receiver"
	// SideNotifier is a defect of the webhooks the product sends to its subscribers: it
	// shows wherever the product raises notifications (alone, or as either party of a
	// transfer, both of which notify), and is the product's fault.
	SideNotifier Side = "notifier"
)

// Middleware returns the quirk as a middleware with fresh state (the maps some quirks keep),
// configured by cfg. Handlers it returns are safe for concurrent use; every handler made by one
// returned middleware shares that state, so wrap one reference with it.
// A quirk of outgoing deliveries only returns a middleware that changes nothing.
func (q Quirk) Middleware(cfg Config) func(http.Handler) http.Handler {
	if q.middleware == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	return q.middleware(cfg)
}

// Transport returns the quirk as a wrapper of the transport of the product's outgoing
// deliveries, with fresh state, configured by cfg. A quirk of inbound traffic only returns a
// wrapper that changes nothing. Round trippers it returns are safe for concurrent use if the
// wrapped one is.
func (q Quirk) Transport(cfg Config) func(http.RoundTripper) http.RoundTripper {
	if q.transport == nil {
		return func(next http.RoundTripper) http.RoundTripper { return next }
	}
	return q.transport(cfg)
}

func (q Quirk) clone() Quirk {
	q.Breaks = slices.Clone(q.Breaks)
	return q
}

// registry is every quirk in the order Wrap applies them, outermost first. The order matters
// only where two quirks touch the same thing:
//   - errors-text-plain is outermost, so that it rewrites every error, the quirks' own too;
//   - shed-no-retry-after is outside slow, so that slow requests hold their slot;
//   - the response renderers (dates, gender, spaces) see the values inner quirks restored;
//   - names are folded before they are truncated, as a product with ASCII columns of 35
//     characters would;
//   - the inbound-* quirks touch only POST /v1/inbound/transfers, which no other quirk
//     rewrites;
//   - if-match-ignored is the innermost middleware, so that its retries carry requests that
//     every other quirk has already rewritten.
//
// The quirks of outgoing deliveries (transfer-*, webhook-*) come last; Bound.Client applies
// them in the same order, outermost first. The webhook rewriters (no seq, duplicated) sign
// again what they change, so they come before the quirks that spoil the signature.
var registry = []Quirk{
	{
		ID: QuirkErrorsTextPlain, Item: 8, Side: SideOwn,
		Summary: "Every error response is text/plain with a Go stack trace instead of problem+json; the status is kept.",
		Breaks:  []string{"ERR-001"},
		Notes: "The media type and the stack trace break ERR-001 directly. A scenario of another requirement " +
			"that reads a problem code from an error also cannot pass, unless the suite charges that to ERR-001.",
		middleware: errorsTextPlain,
	},
	{
		ID: QuirkShedNoRetryAfter, Item: 11, Side: SideOwn,
		Summary: "More than a few requests in flight get 503 problem+json with no Retry-After (and Retry-After is " +
			"stripped from every 503).",
		Breaks: []string{"ERR-004"},
		Notes: "Only a scenario that puts more than ShedLimit requests in flight sees it; a suite running " +
			"scenarios concurrently could also see 503s elsewhere.",
		middleware: shedNoRetryAfter,
	},
	{
		ID: QuirkSlow, Item: 11, Side: SideOwn,
		Summary:    "Every response but /healthz is delayed by Config.Latency (15 ms by default); nothing else changes.",
		Notes:      "A conforming but slow product: a specificity check, it must fail nothing at normal timeouts.",
		middleware: slow,
	},
	{
		ID: QuirkDatesDDMMYYYY, Item: 1, Side: SideOwn,
		Summary: "Calendar dates in JSON responses are rendered dd/mm/yyyy; requests may use either form.",
		Breaks:  []string{"READ-004"},
		Notes: "Every response that carries a date violates format: date; the suite charges that to READ-004. " +
			"Instants (date-time) are untouched.",
		middleware: datesDDMMYYYY,
	},
	{
		ID: QuirkGenderMFU, Item: 2, Side: SideOwn,
		Summary: "Gender is rendered M, F or U in responses (NOT_KNOWN and NOT_SPECIFIED both become U); requests " +
			"are accepted in the standard codes only.",
		Breaks: []string{"READ-004"},
		Notes: "A value outside the gender enum in a response; the suite charges code values to READ-004. " +
			"Requests are untouched, so a scenario that sends M to test UNKNOWN_CODE still gets 422.",
		middleware: genderMFU,
	},
	{
		ID: QuirkNHSWithSpaces, Item: 3, Side: SideOwn,
		Summary:    "NHS numbers are returned with spaces, 999 000 0018, instead of the stored normalised form.",
		Breaks:     []string{"ID-001"},
		Notes:      "Visible to any caller who sees NHS numbers (health roles, the responsible council's management).",
		middleware: nhsWithSpaces,
	},
	{
		ID: QuirkNamesASCIIFolded, Item: 4, Side: SideOwn,
		Summary: "Names (given, family, former names, parents' and carers' names) lose apostrophes and " +
			"diacritics on write: Zoë → Zoe, O'Neill → ONeill.",
		Breaks: []string{"READ-004"},
		Notes: "Search is unaffected: it folds accents and ignores apostrophes anyway, so SEARCH-003 still " +
			"finds the folded record.",
		middleware: namesASCIIFolded,
	},
	{
		ID: QuirkNamesTruncated35, Item: 4, Side: SideOwn,
		Summary: "Names (given, family, former names, parents' and carers' names) are cut to 35 characters on write.",
		Breaks:  []string{"READ-004", "SEARCH-003"},
		Notes: "Search criteria are not cut (the product compares what the user typed against what it stored), " +
			"so a search by a child's full name longer than 35 characters misses the record: SEARCH-003.",
		middleware: namesTruncated35,
	},
	{
		ID: QuirkNHSNoChecksum, Item: 3, Side: SideOwn,
		Summary: "NHS numbers of 10 digits that fail modulus 11 are accepted, stored and returned as sent.",
		Breaks:  []string{"ID-001"},
		Notes: "Simulated without touching the reference: an invalid number is swapped for a valid shadow in the " +
			"999 range on the way in and swapped back in every response.",
		middleware: nhsNoChecksum,
	},
	{
		ID: QuirkSensitiveDetailsLeak, Item: 7, Side: SideOwn,
		Summary: "Callers other than the responsible council's management see the organisation and practitioner " +
			"of SENSITIVE_* involvements instead of the brokered form.",
		Breaks: []string{"SENS-002", "READ-002"},
		Notes: "T4 filtering is part of both the sensitive-service rule and the tier table. Details are " +
			"remembered from the requests that added or changed each involvement, so they are not re-inserted " +
			"for involvements added before the simulator started.",
		middleware: sensitiveDetailsLeak,
	},
	{
		ID: QuirkEndedInvolvementsDeleted, Item: 9, Side: SideOwn,
		Summary: "An involvement with an end date disappears from the involvement list, and DELETE " +
			"/v1/involvements/{id} is accepted (it ends the involvement today, answering 204).",
		Breaks: []string{"INV-002", "INV-004"},
		Notes: "A new main school or GP makes the previous one vanish instead of ending on the new start " +
			"date, which breaks INV-004 as well as INV-002.",
		middleware: endedInvolvementsDeleted,
	},
	{
		ID: QuirkInboundShieldIgnored, Item: 6, Side: SideReceiver,
		Summary: "A delivered transfer package is taken in as if the record were not shielded: the receiver's copy " +
			"is unshielded, its T2 fields open to every role.",
		Breaks: []string{"SENS-005", "XFER-004"},
		Notes: "The receiver's side of §7 item 6: the package on the wire is shielded (the sender is not at fault), " +
			"the record the receiver imports is not. Shielding must survive transfers (SENS-005) and arrive " +
			"unchanged (XFER-004). A package of an unshielded record is untouched.",
		middleware: inboundShieldIgnored,
		MaskedBy:   []string{QuirkTransferShieldDropped},
	},
	{
		ID: QuirkInboundConsentsDropped, Side: SideReceiver,
		Summary: "A delivered transfer package is taken in without its consents: the receiver's copy has none.",
		Breaks:  []string{"XFER-004"},
		Notes: "The package on the wire carries every consent (the sender is not at fault); on acceptance the " +
			"receiver imports the record, involvements and indicators but no consent. A package without consents " +
			"is untouched.",
		middleware: inboundConsentsDropped,
	},
	{
		ID: QuirkInboundRedeliveryDuplicates, Side: SideReceiver,
		Summary: "Idempotency-Key is ignored on inbound deliveries: a retried delivery of a package already taken in " +
			"(the sender never got the first answer) is filed as a second PROPOSED transfer under a new id.",
		Breaks: []string{"XFER-003"},
		Notes: "Only a retry shows it, so a scenario must make the sender retry (drop the receiver's answer). The " +
			"first delivery keeps the sender's transferId, so the transfer itself can still complete; the second " +
			"one's answer names the new id. Which packages were taken in is kept in memory, so a retry after the " +
			"receiver restarted is taken in once more.",
		middleware: inboundRedeliveryDuplicates,
	},
	{
		ID: QuirkIfMatchIgnored, Item: 5, Side: SideOwn,
		Summary: "PATCH succeeds without If-Match or with a stale one: the last write wins.",
		Breaks:  []string{"VER-001", "VER-002"},
		Notes: "Two concurrent updates with the same If-Match both succeed, so updates are not serialised " +
			"(VER-002). When the reference answers 412 the quirk retries with the ETag that answer names, so a stale " +
			"or missing If-Match costs one extra (audited, refused) request.",
		middleware: ifMatchIgnored,
	},
	{
		ID: QuirkTransferShieldDropped, Item: 6, Side: SideSender,
		Summary: "Transfer packages are sent without the shielding: a shielded record's package says " +
			"{\"shielded\": false}, in its shielding and in the record's.",
		Breaks: []string{"SENS-005", "XFER-004"},
		Notes: "§7 item 6, the sender's fault: the package on the wire is already unshielded, so a conforming " +
			"receiver imports an unshielded record. Shielding must survive transfers (SENS-005) and arrive " +
			"unchanged (XFER-004). A package of an unshielded record is sent as the reference made it.",
		transport: transferShieldDropped,
	},
	{
		ID: QuirkTransferCaseRefsDropped, Side: SideSender,
		Summary: "Transfer packages are sent with an empty caseSummaryRefs, whatever references the transfer and the " +
			"record's earlier transfers named.",
		Breaks: []string{"XFER-004"},
		Notes: "The sender's fault, visible on the wire: case-summary references must arrive without loss. A " +
			"package without references is untouched.",
		transport: transferCaseRefsDropped,
	},
	{
		ID: QuirkWebhookNoSeq, Item: 10, Side: SideNotifier,
		Summary: "Webhook payloads carry no seq (signed correctly over what is sent), so a receiver cannot restore " +
			"their order.",
		Breaks: []string{"NOTIF-002"},
		Notes: "Every webhook shows it. Deliveries are sent several at a time, so they do arrive out of order; " +
			"without seq that cannot be undone. Webhooks of subscriptions made before the simulator started are " +
			"sent as the reference made them (the product cannot sign what it changed without the secret).",
		transport: webhookNoSeq,
		secrets:   true,
	},
	{
		ID: QuirkWebhookDuplicated, Item: 10, Side: SideNotifier,
		Summary: "Every webhook delivery is followed by a copy of the same event (same seq, type and child) under a " +
			"second eventId, correctly signed.",
		Breaks: []string{"NOTIF-002"},
		Notes: "At-least-once delivery allows duplicates only under one eventId; two eventIds for one event (one " +
			"child and seq) defeat de-duplication. The copy's eventId is the same on every retry. As for " +
			"webhook-no-seq, subscriptions made before the simulator started get no copy.",
		transport: webhookDuplicated,
		secrets:   true,
	},
	{
		ID: QuirkWebhookUnsigned, Side: SideNotifier,
		Summary:   "Webhooks are sent without X-Webhook-Signature; the timestamp and the body are unchanged.",
		Breaks:    []string{"NOTIF-003"},
		Notes:     "Every webhook shows it. Retries and dead letters are unaffected.",
		transport: webhookUnsigned,
	},
	{
		ID: QuirkWebhookSignedBodyOnly, Side: SideNotifier,
		Summary: "Webhooks are signed v1=HMAC-SHA256(secret, body), leaving out the timestamp, so the signature has " +
			"the right form but does not verify.",
		Breaks: []string{"NOTIF-003"},
		Notes: "A plausible misreading of the scheme; a replayed delivery with a fresh timestamp would verify. " +
			"As for webhook-no-seq, subscriptions made before the simulator started get the reference's signature.",
		transport: webhookSignedBodyOnly,
		secrets:   true,
	},
}

// Quirks returns every quirk, in the order Wrap applies them (outermost first). The slice and
// its contents are the caller's.
func Quirks() []Quirk {
	out := make([]Quirk, len(registry))
	for i, q := range registry {
		out[i] = q.clone()
	}
	return out
}

// LookupQuirk returns the quirk with the given id.
func LookupQuirk(id string) (Quirk, bool) {
	for _, q := range registry {
		if q.ID == id {
			return q.clone(), true
		}
	}
	return Quirk{}, false
}

// Wrap returns next behind the quirks named by ids, configured by cfg. The quirks are applied
// in the order of Quirks whatever the order of ids, and a repeated id counts once. It fails on
// an unknown id. The handler is safe for concurrent use if next is; its quirks keep their own
// state, so wrap each reference once.
func Wrap(next http.Handler, cfg Config, ids ...string) (http.Handler, error) {
	for _, id := range ids {
		if _, ok := LookupQuirk(id); !ok {
			return nil, fmt.Errorf("wrap handler: unknown quirk %q", id)
		}
	}
	h := next
	for i := len(registry) - 1; i >= 0; i-- {
		if q := registry[i]; slices.Contains(ids, q.ID) {
			h = q.Middleware(cfg)(h)
		}
	}
	return h, nil
}
