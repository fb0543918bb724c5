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
	// Item is the number of the DOMAIN.md §7 item the quirk simulates.
	Item int
	// Summary says in one sentence what a product with the quirk does.
	Summary string
	// Breaks are the requirement ids the suite must fail for a product with this quirk.
	Breaks []string
	// Notes explains the expectations.
	Notes string

	middleware func(Config) func(http.Handler) http.Handler
}

// Middleware returns the quirk as a middleware with fresh state (the maps some quirks keep),
// configured by cfg. Handlers it returns are safe for concurrent use; every handler made by one
// returned middleware shares that state, so wrap one reference with it.
func (q Quirk) Middleware(cfg Config) func(http.Handler) http.Handler {
	return q.middleware(cfg)
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
//   - if-match-ignored is innermost, so that its retries carry requests that every other quirk
//     has already rewritten.
var registry = []Quirk{
	{
		ID: QuirkErrorsTextPlain, Item: 8,
		Summary: "Every error response is text/plain with a Go stack trace instead of problem+json; the status is kept.",
		Breaks:  []string{"ERR-001"},
		Notes: "The media type and the stack trace break ERR-001 directly. A scenario of another requirement " +
			"that reads a problem code from an error also cannot pass, unless the suite charges that to ERR-001.",
		middleware: errorsTextPlain,
	},
	{
		ID: QuirkShedNoRetryAfter, Item: 11,
		Summary: "More than a few requests in flight get 503 problem+json with no Retry-After (and Retry-After is " +
			"stripped from every 503).",
		Breaks: []string{"ERR-004"},
		Notes: "Only a scenario that puts more than ShedLimit requests in flight sees it; a suite running " +
			"scenarios concurrently could also see 503s elsewhere.",
		middleware: shedNoRetryAfter,
	},
	{
		ID: QuirkSlow, Item: 11,
		Summary:    "Every response but /healthz is delayed by Config.Latency (15 ms by default); nothing else changes.",
		Notes:      "A conforming but slow product: a specificity check, it must fail nothing at normal timeouts.",
		middleware: slow,
	},
	{
		ID: QuirkDatesDDMMYYYY, Item: 1,
		Summary: "Calendar dates in JSON responses are rendered dd/mm/yyyy; requests may use either form.",
		Breaks:  []string{"READ-004"},
		Notes: "Every response that carries a date violates format: date; the suite charges that to READ-004. " +
			"Instants (date-time) are untouched.",
		middleware: datesDDMMYYYY,
	},
	{
		ID: QuirkGenderMFU, Item: 2,
		Summary: "Gender is rendered M, F or U in responses (NOT_KNOWN and NOT_SPECIFIED both become U); requests " +
			"are accepted in the standard codes only.",
		Breaks: []string{"READ-004"},
		Notes: "A value outside the gender enum in a response; the suite charges code values to READ-004. " +
			"Requests are untouched, so a scenario that sends M to test UNKNOWN_CODE still gets 422.",
		middleware: genderMFU,
	},
	{
		ID: QuirkNHSWithSpaces, Item: 3,
		Summary:    "NHS numbers are returned with spaces, 999 000 0018, instead of the stored normalised form.",
		Breaks:     []string{"ID-001"},
		Notes:      "Visible to any caller who sees NHS numbers (health roles, the responsible council's management).",
		middleware: nhsWithSpaces,
	},
	{
		ID: QuirkNamesASCIIFolded, Item: 4,
		Summary: "Names (given, family, former names, parents' and carers' names) lose apostrophes and " +
			"diacritics on write: Zoë → Zoe, O'Neill → ONeill.",
		Breaks: []string{"READ-004"},
		Notes: "Search is unaffected: it folds accents and ignores apostrophes anyway, so SEARCH-003 still " +
			"finds the folded record.",
		middleware: namesASCIIFolded,
	},
	{
		ID: QuirkNamesTruncated35, Item: 4,
		Summary: "Names (given, family, former names, parents' and carers' names) are cut to 35 characters on write.",
		Breaks:  []string{"READ-004", "SEARCH-003"},
		Notes: "Search criteria are not cut (the product compares what the user typed against what it stored), " +
			"so a search by a child's full name longer than 35 characters misses the record: SEARCH-003.",
		middleware: namesTruncated35,
	},
	{
		ID: QuirkNHSNoChecksum, Item: 3,
		Summary: "NHS numbers of 10 digits that fail modulus 11 are accepted, stored and returned as sent.",
		Breaks:  []string{"ID-001"},
		Notes: "Simulated without touching the reference: an invalid number is swapped for a valid shadow in the " +
			"999 range on the way in and swapped back in every response.",
		middleware: nhsNoChecksum,
	},
	{
		ID: QuirkSensitiveDetailsLeak, Item: 7,
		Summary: "Callers other than the responsible council's management see the organisation and practitioner " +
			"of SENSITIVE_* involvements instead of the brokered form.",
		Breaks: []string{"SENS-002", "READ-002"},
		Notes: "T4 filtering is part of both the sensitive-service rule and the tier table. Details are " +
			"remembered from the requests that added or changed each involvement, so they are not re-inserted " +
			"for involvements added before the simulator started.",
		middleware: sensitiveDetailsLeak,
	},
	{
		ID: QuirkEndedInvolvementsDeleted, Item: 9,
		Summary: "An involvement with an end date disappears from the involvement list, and DELETE " +
			"/v1/involvements/{id} is accepted (it ends the involvement today, answering 204).",
		Breaks: []string{"INV-002", "INV-004"},
		Notes: "A new main school or GP makes the previous one vanish instead of ending on the new start " +
			"date, which breaks INV-004 as well as INV-002.",
		middleware: endedInvolvementsDeleted,
	},
	{
		ID: QuirkIfMatchIgnored, Item: 5,
		Summary: "PATCH succeeds without If-Match or with a stale one: the last write wins.",
		Breaks:  []string{"VER-001", "VER-002"},
		Notes: "Two concurrent updates with the same If-Match both succeed, so updates are not serialised " +
			"(VER-002). When the reference answers 412 the quirk retries with the ETag that answer names, so a stale " +
			"or missing If-Match costs one extra (audited, refused) request.",
		middleware: ifMatchIgnored,
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
