package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/spec"
)

// This file reads and verifies the target's audit log (AUDIT-001, AUDIT-003). The harness
// verifies the hash chain itself, with the contract's hash rule (spec.AuditEventHash): it
// must not trust the code of the system it tests, so it never imports reference/.

// auditPageLimit is the page size the harness asks for when it reads the audit log.
const auditPageLimit = 1000

// maxAuditPages bounds how many pages one look at the audit log reads.
const maxAuditPages = 200

// AuditEvent is one served audit event: the raw JSON it was served as (what its hash covers)
// and its decoded fields.
type AuditEvent struct {
	Raw json.RawMessage
	spec.AuditEvent
}

// auditPage is one page of GET /v1/audit-events.
type auditPage struct {
	Events       []json.RawMessage `json:"events"`
	NextAfterSeq *json.Number      `json:"nextAfterSeq"`
}

// auditor returns the auditor the harness reads the audit log as, without changing the
// scenario's current actor.
func (w *World) auditor() *Actor {
	const key = "\x00auditor"
	if a, ok := w.actors[key]; ok {
		return a
	}
	a := &Actor{
		Role: "AUDITOR", Sector: "LA", Council: "202", Org: "SYN-AUDIT",
		Sub: fmt.Sprintf("icscert-%s-auditor", w.tag),
	}
	w.actors[key] = a
	return a
}

// ListAuditEvents reads the audit log as the harness's auditor: the events after afterSeq,
// only those about childID when it is not "", page by page to the end of the log. It returns
// the events in the order served and the responses they came in.
func (w *World) ListAuditEvents(afterSeq int64, childID string) ([]AuditEvent, []*Response, error) {
	var out []AuditEvent
	var pages []*Response
	for range maxAuditPages {
		path := fmt.Sprintf("/v1/audit-events?afterSeq=%d&limit=%d", afterSeq, auditPageLimit)
		if childID != "" {
			path += "&childId=" + childID
		}
		r, err := w.Send(Request{Method: "GET", Path: path, As: w.auditor()})
		if err != nil {
			return nil, nil, err
		}
		pages = append(pages, r)
		events, next, err := decodeAuditPage(r)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, events...)
		if len(events) == 0 {
			return out, pages, nil
		}
		last := events[len(events)-1].Seq
		if next <= afterSeq {
			next = last
		}
		if next <= afterSeq {
			return out, pages, nil
		}
		afterSeq = next
	}
	return out, pages, nil
}

// decodeAuditPage reads one page of audit events; anything but 200 with a page is a failure.
func decodeAuditPage(r *Response) ([]AuditEvent, int64, error) {
	if r.Status != 200 {
		return nil, 0, &AssertionError{
			Message: "the auditor could not read the audit log", Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: []*Response{r},
		}
	}
	var page auditPage
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil {
		return nil, 0, &AssertionError{
			Message: "the audit log page cannot be read", Pointer: "",
			Expected: `{"events": [...], "nextAfterSeq": n}`, Actual: err.Error(), Evidence: []*Response{r},
		}
	}
	var next int64
	if page.NextAfterSeq != nil {
		next, _ = page.NextAfterSeq.Int64()
	}
	out := make([]AuditEvent, 0, len(page.Events))
	for i, raw := range page.Events {
		ev := AuditEvent{Raw: raw}
		if err := json.Unmarshal(raw, &ev.AuditEvent); err != nil {
			return nil, 0, &AssertionError{
				Message: "an audit event cannot be read", Pointer: fmt.Sprintf("/events/%d", i),
				Expected: "an AuditEvent", Actual: err.Error(), Evidence: []*Response{r},
			}
		}
		out = append(out, ev)
	}
	return out, next, nil
}

// FindAuditEvent returns the audit event whose correlationId is corrID, the event of a
// request the scenario sent about the child childID. It looks first among the events about
// the child, then through the whole log from the child's first event on (an event need not
// name the child, e.g. for a caller who was not authenticated). A log written a moment after
// the response is allowed for: it looks three times within about two seconds. Not finding the
// event is a failure.
func (w *World) FindAuditEvent(corrID, childID string) (*AuditEvent, error) {
	var evidence []*Response
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-w.ctx.Done():
				return nil, &TargetError{Op: "read the audit log", Err: w.stopCause()}
			case <-time.After(time.Duration(attempt) * 600 * time.Millisecond):
			}
		}
		about, pages, err := w.ListAuditEvents(0, childID)
		if err != nil {
			return nil, err
		}
		evidence = pages
		from := int64(0)
		for i := range about {
			if about[i].CorrelationID == corrID {
				return &about[i], nil
			}
		}
		if len(about) > 0 {
			from = max(about[0].Seq-1, 0)
		}
		all, pages, err := w.ListAuditEvents(from, "")
		if err != nil {
			return nil, err
		}
		evidence = append(evidence, pages...)
		for i := range all {
			if all[i].CorrelationID == corrID {
				return &all[i], nil
			}
		}
	}
	if len(evidence) > 2 {
		evidence = evidence[len(evidence)-2:]
	}
	return nil, &AssertionError{
		Message:  "the request left no audit event",
		Pointer:  "/events",
		Expected: fmt.Sprintf("an event with correlationId %q", corrID),
		Actual:   "none in the audit log",
		Evidence: evidence,
	}
}

// ChainError names the first audit event at which a hash chain is broken.
type ChainError struct {
	Seq    int64  // the seq of the first event that does not verify
	Index  int    // its position in the events checked
	Reason string // what is wrong with it
}

// Error implements error.
func (e *ChainError) Error() string {
	return fmt.Sprintf("the audit chain is broken at seq %d: %s", e.Seq, e.Reason)
}

// VerifyAuditChain checks a run of consecutive audit events in the order served (CONTRACT.md,
// Audit): each hash is the lowercase hex SHA-256 of the RFC 8785 canonical JSON of the event as
// served without its hash member; each prevHash is the hash of the event before; seqs go up by
// one; an event with seq 1 carries 64 zeros as prevHash. The run may start anywhere in the
// log. It returns nil or a *ChainError naming the first broken event.
func VerifyAuditChain(events []AuditEvent) error {
	for i, ev := range events {
		h, err := spec.AuditEventHash(ev.Raw)
		if err != nil {
			return &ChainError{Seq: ev.Seq, Index: i, Reason: err.Error()}
		}
		if h != ev.Hash {
			return &ChainError{Seq: ev.Seq, Index: i, Reason: fmt.Sprintf("its hash is %q but the event hashes to %q", ev.Hash, h)}
		}
		if i == 0 {
			if ev.Seq == 1 && ev.PrevHash != spec.AuditGenesisHash {
				return &ChainError{Seq: ev.Seq, Index: i, Reason: "the first event's prevHash is not 64 zeros"}
			}
			continue
		}
		prev := events[i-1]
		if ev.Seq != prev.Seq+1 {
			return &ChainError{Seq: ev.Seq, Index: i, Reason: fmt.Sprintf("it follows seq %d: the log has a gap or is out of order", prev.Seq)}
		}
		if ev.PrevHash != prev.Hash {
			return &ChainError{Seq: ev.Seq, Index: i, Reason: "its prevHash is not the hash of the event before it"}
		}
	}
	return nil
}

// accountabilityNotes is what the audit, access-control, error and versioning steps of one
// scenario remember between steps.
type accountabilityNotes struct {
	readers       []*Actor             // actors of a run of reads, oldest first (AUDIT-004)
	attempts      []recordAttempt      // a role's attempts on several records (AUTH-002)
	snapshots     map[string]*Response // a child's record just before an update, by alias (VER-001)
	snapshot      []AuditEvent         // audit events read before tampering attempts (AUDIT-003)
	idem          *idemCreate          // the idempotent create being retried (ERR-004)
	burst         []*Response          // answers to a burst of requests (ERR-004, VER-002)
	burstSizes    []int                // the sizes of the bursts sent, in order (ERR-004 ramps them)
	event         *AuditEvent          // the audit event the latest audit step found
	update        *Response            // the answer to the latest update (VER-001)
	patched       []string             // the members the latest update sent
	errorChild    string               // the child the latest provoked error was about
	errorCase     string               // the kind of error the latest request provoked (ERR-001)
	eventResponse *Response            // the response to the request behind event
}

// recordAttempt is one request of a role on one of several records.
type recordAttempt struct {
	record string
	resp   *Response
}

// registerAudit adds the steps of the audit trail (AUDIT-001..AUDIT-004) and gives every
// scenario the notes that the audit, access-control, error and versioning steps share:
//
//	When "Priya" looks up the child "Amara" by NHS number
//	Then the audit log records that request as made by "Priya" about the child "Amara"
//	Then the audit log records that unauthenticated request about the child "Amara"
//	And that audit event lists the tier "T5" as disclosed
//	When they read the child "Amara" for the unknown purpose "CURIOSITY"
//	Then the response discloses nothing of the child "Amara"
//	Then every audit event since the child "Amara" was recorded is linked to the one before it by its hash
//	When 27 practitioners from the health sector of council 201 each read the child "Amara" in turn
//	Then the access history lists the last 25 of those reads first, newest first
func registerAudit(sc glossary) {
	registerAuditRequests(sc)
	registerAuditEvents(sc)
	registerAuditChain(sc)
	registerAccessHistory(sc)
}

// registerAuditRequests adds the requests the audit scenarios make.
func registerAuditRequests(sc glossary) {
	define(sc, `^`+Subject+` looks? up the child "([^"]+)" by NHS number$`, func(ctx context.Context, who, alias string) error {
		return lookUpByNHS(ctx, who, alias, true)
	})
	define(sc, `^`+Subject+` looks? up the child "([^"]+)" by NHS number without a purpose of use$`, func(ctx context.Context, who, alias string) error {
		return lookUpByNHS(ctx, who, alias, false)
	})
	define(sc, `^`+Subject+` lists? the involvements of the child "([^"]+)" without a purpose of use$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/children/{child:" + alias + "}/involvements", As: actor})
		return err
	})
	define(sc, `^`+Subject+` reads? the child "([^"]+)" for the unknown purpose "([^"]+)"$`, func(ctx context.Context, who, alias, purpose string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/children/{child:" + alias + "}", As: actor, Purpose: purpose, Invalid: true})
		return err
	})
	define(sc, `^`+Subject+` reads? the child "([^"]+)" with an empty purpose of use$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{
			Method: "GET", Path: "/v1/children/{child:" + alias + "}", As: actor,
			Header: http.Header{"X-Purpose-Of-Use": {""}}, Invalid: true,
		})
		return err
	})
	define(sc, `^the response discloses nothing of the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, r, err := w.childAndResponse(alias)
		if err != nil {
			return err
		}
		for _, member := range []string{"name", "dateOfBirth", "identifiers", "address", "results", "parentsCarers"} {
			if err := w.ExpectNoMemberAnywhere(member); err != nil {
				return err
			}
		}
		for what, value := range personalDataSent(c.Sent) {
			if value != "" && bytes.Contains(r.Body, []byte(value)) {
				return Failf("", "no data of the child's record", "the child's "+what, "the refused request's answer discloses the child's %s", what)
			}
		}
		return nil
	})
}

// lookUpByNHS searches for a child by its NHS number as the step's subject.
func lookUpByNHS(ctx context.Context, who, alias string, withPurpose bool) error {
	w := WorldFrom(ctx)
	actor, c, err := w.subjectAndChild(who, alias)
	if err != nil {
		return err
	}
	nhs := identifierValue(c.Sent, "NHS_NUMBER")
	if nhs == "" {
		return Configf("the child %q was created without an NHS number", alias)
	}
	req := Request{Method: "POST", Path: "/v1/children/search", Body: map[string]any{"nhsNumber": nhs}, As: actor}
	if withPurpose && actor != nil {
		req.Purpose = defaultPurposes[actor.Role]
	}
	_, err = w.Send(req)
	return err
}

// personalDataSent returns the personal data of a create body that must never be echoed where
// it does not belong: names, date of birth and NHS number, by what they are.
func personalDataSent(body any) map[string]string {
	out := map[string]string{"NHS number": identifierValue(body, "NHS_NUMBER")}
	if v, ok, _ := Lookup(body, "/name/family"); ok {
		out["family name"], _ = v.(string)
	}
	if v, ok, _ := Lookup(body, "/name/given/0"); ok {
		out["given name"], _ = v.(string)
	}
	if v, ok, _ := Lookup(body, "/dateOfBirth"); ok {
		out["date of birth"], _ = v.(string)
	}
	return out
}

// registerAuditEvents adds the checks of single audit events (AUDIT-001, AUTH-004).
func registerAuditEvents(sc glossary) {
	define(sc, `^the audit log records that request as made by "([^"]+)" about the child "([^"]+)"$`,
		func(ctx context.Context, name, alias string) error {
			w := WorldFrom(ctx)
			actor, err := w.Actor(name)
			if err != nil {
				return err
			}
			ev, r, err := findLastRequestEvent(ctx, alias)
			if err != nil {
				return err
			}
			return w.checkAuditEvent(ev, r, actor, alias)
		})
	define(sc, `^the audit log records that unauthenticated request about the child "([^"]+)"$`,
		func(ctx context.Context, alias string) error {
			w := WorldFrom(ctx)
			ev, r, err := findLastRequestEvent(ctx, alias)
			if err != nil {
				return err
			}
			return w.checkAuditEvent(ev, r, nil, alias)
		})
	define(sc, `^that audit event (lists|does not list) the tier "(T[1-6])" as disclosed$`,
		func(ctx context.Context, how, tier string) error {
			n := WorldFrom(ctx).notes
			ev, r := n.event, n.eventResponse
			if ev == nil || r == nil {
				return Configf("no audit event found yet: use \"the audit log records that request …\" first")
			}
			listed := slices.Contains(ev.DisclosedTiers, tier)
			shown := slices.Contains(tiersInResponse(r), tier)
			switch {
			case how == "lists" && !shown:
				// Whether the caller may see the tier is the tier table's rule, not the audit's.
				return Attribute(&AssertionError{
					Message: fmt.Sprintf("the caller was not shown the %s fields the scenario expects, so their audit cannot be checked", tier),
					Pointer: "", Expected: tier + " fields in the response", Actual: "none", Evidence: []*Response{r},
				}, "READ-002")
			case how == "lists" && !listed:
				return auditFail(ev, "/disclosedTiers", "a list with "+tier, Render(stringsAsJSON(ev.DisclosedTiers)),
					"the audit event does not record that the request disclosed %s", tier)
			case how != "lists" && shown:
				return Attribute(&AssertionError{
					Message: fmt.Sprintf("the caller was shown %s fields it may not see", tier),
					Pointer: "", Expected: "no " + tier + " fields in the response", Actual: tier + " fields", Evidence: []*Response{r},
				}, "READ-002")
			case how != "lists" && listed:
				return auditFail(ev, "/disclosedTiers", "a list without "+tier, Render(stringsAsJSON(ev.DisclosedTiers)),
					"the audit event records %s as disclosed although the caller was not shown it", tier)
			}
			return nil
		})
	define(sc, `^the audit log records that request about the child "([^"]+)" as break-glass access with the reason "([^"]+)"$`,
		func(ctx context.Context, alias, reason string) error {
			ev, _, err := findLastRequestEvent(ctx, alias)
			if err != nil {
				return err
			}
			if !ev.BreakGlass {
				return auditFail(ev, "/breakGlass", "true", "false", "the audit event of a break-glass read is not flagged as break-glass")
			}
			if ev.BreakGlassReason != reason {
				return auditFail(ev, "/breakGlassReason", strconv.Quote(reason), orAbsent(ev.BreakGlassReason),
					"the audit event of a break-glass read does not keep the reason given")
			}
			return nil
		})
	define(sc, `^the audit log records that request about the child "([^"]+)" as ordinary access$`,
		func(ctx context.Context, alias string) error {
			ev, _, err := findLastRequestEvent(ctx, alias)
			if err != nil {
				return err
			}
			if ev.BreakGlass {
				return auditFail(ev, "/breakGlass", "false", "true", "an ordinary read is flagged as break-glass access")
			}
			return nil
		})
}

// findLastRequestEvent finds the audit event of the scenario's latest request, about child
// alias, and notes it for the steps that look at "that audit event".
func findLastRequestEvent(ctx context.Context, alias string) (*AuditEvent, *Response, error) {
	w := WorldFrom(ctx)
	r, err := w.Response()
	if err != nil {
		return nil, nil, err
	}
	c, err := w.Child(alias)
	if err != nil {
		return nil, nil, err
	}
	last := w.Last
	ev, err := w.FindAuditEvent(r.CorrelationID, c.ID)
	w.Last = last // the audit look-up is not the response later steps check
	if err != nil {
		return nil, nil, err
	}
	n := WorldFrom(ctx).notes
	n.event, n.eventResponse = ev, r
	return ev, r, nil
}

// auditFail is a failure about one audit event: the pointer is into the event.
func auditFail(ev *AuditEvent, ptr, expected, actual, format string, args ...any) error {
	return Failf(fmt.Sprintf("/events[seq=%d]%s", ev.Seq, ptr), expected, actual, format, args...)
}

func stringsAsJSON(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// maxAuditClockSkew is how far an audit event's time may be from the harness's clock. Tokens
// already bind the target's clock to within a minute of it.
const maxAuditClockSkew = 5 * time.Minute

// checkAuditEvent checks that ev describes the request that got r (AUDIT-001): who made it
// (actor nil: nobody authenticated), about which child, the action, the purpose sent, the
// outcome, the tiers the response disclosed, the time in UTC and the correlation id.
func (w *World) checkAuditEvent(ev *AuditEvent, r *Response, actor *Actor, alias string) error {
	if actor != nil {
		want := spec.Actor{Sub: actor.Sub, Role: actor.Role, Org: actor.Org, La: actor.Council, Sector: actor.Sector}
		if ev.Actor != want {
			return auditFail(ev, "/actor", Render(normaliseJSON(want)), Render(normaliseJSON(ev.Actor)),
				"the audit event does not name who made the request (sub, role, org, council and sector of the token)")
		}
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		if !slices.Contains(ev.ChildIDs, c.ID) {
			return auditFail(ev, "/childIds", fmt.Sprintf("a list with %q", c.ID), Render(stringsAsJSON(ev.ChildIDs)),
				"the audit event does not name the child the request was about")
		}
	}
	if strings.TrimSpace(ev.Action) == "" {
		return auditFail(ev, "/action", "the action taken", absent, "the audit event does not say what was done")
	}
	if ev.Method != r.Exchange.Method {
		return auditFail(ev, "/method", strconv.Quote(r.Exchange.Method), strconv.Quote(ev.Method), "the audit event names another method than the request's")
	}
	if purpose := r.Exchange.RequestHeaders["X-Purpose-Of-Use"]; actor != nil && spec.Purposes.Has(purpose) && ev.Purpose != purpose {
		return auditFail(ev, "/purpose", orAbsent(purpose), orAbsent(ev.Purpose), "the audit event does not record the purpose of use the request stated")
	}
	success := r.Status < 400
	switch {
	case success && ev.Outcome != "SUCCESS":
		return auditFail(ev, "/outcome", `"SUCCESS"`, strconv.Quote(ev.Outcome), "the audit event of a request that succeeded (%d) does not record success", r.Status)
	case !success && (ev.Outcome == "SUCCESS" || ev.Outcome == ""):
		return auditFail(ev, "/outcome", "an outcome other than SUCCESS", orAbsent(ev.Outcome), "the audit event of a refused request (%d) records it as a success", r.Status)
	}
	if success {
		for _, tier := range tiersInResponse(r) {
			if !slices.Contains(ev.DisclosedTiers, tier) {
				return auditFail(ev, "/disclosedTiers", "a list with "+tier, Render(stringsAsJSON(ev.DisclosedTiers)),
					"the response disclosed %s fields but the audit event does not record it", tier)
			}
		}
	}
	at, err := time.Parse(time.RFC3339Nano, ev.At)
	if err != nil || !strings.HasSuffix(ev.At, "Z") {
		return auditFail(ev, "/at", "an RFC 3339 instant in UTC, ending in Z", strconv.Quote(ev.At), "the audit event's time is not given in UTC")
	}
	if d := at.Sub(w.Now()); d > maxAuditClockSkew || d < -maxAuditClockSkew {
		return auditFail(ev, "/at", "within 5 minutes of "+w.Now().UTC().Format(time.RFC3339), strconv.Quote(ev.At),
			"the audit event's time is not the time of the request in UTC")
	}
	if ev.CorrelationID != r.CorrelationID {
		return auditFail(ev, "/correlationId", strconv.Quote(r.CorrelationID), strconv.Quote(ev.CorrelationID), "the audit event does not carry the request's correlation id")
	}
	return nil
}

// t5IndicatorTypes are the indicator types of tier T5 (CONTRACT.md).
var t5IndicatorTypes = []string{"CHILD_PROTECTION_PLAN", "LOOKED_AFTER", "UNBORN_CHILD_PROTECTION_PLAN"}

// tiersInResponse returns the tiers whose fields a child record, or the records of a search
// result, in r's body disclose (CONTRACT.md, Roles and tiers).
func tiersInResponse(r *Response) []string {
	doc, err := r.JSON()
	if err != nil {
		return nil
	}
	var records []any
	if results, ok, _ := Lookup(doc, "/results"); ok {
		records, _ = results.([]any)
	} else if _, ok, _ := Lookup(doc, "/id"); ok {
		records = []any{doc}
	}
	shown := map[string]bool{}
	for _, rec := range records {
		m, ok := rec.(map[string]any)
		if !ok {
			continue
		}
		shown["T1"] = true
		for _, k := range []string{"address", "whereabouts", "responsibleLa"} {
			if _, has := m[k]; has {
				shown["T2"] = true
			}
		}
		if _, has := m["expectedDateOfBirth"]; has {
			shown["T5"] = true
		}
		if _, has := m["archive"]; has || m["status"] == "ARCHIVED" {
			shown["T6"] = true
		}
		parents, _ := m["parentsCarers"].([]any)
		for _, p := range parents {
			pm, _ := p.(map[string]any)
			if _, has := pm["contact"]; has {
				shown["T2"] = true
			}
			if _, has := pm["hasParentalResponsibility"]; has {
				shown["T2"] = true
			}
		}
		ids, _ := m["identifiers"].([]any)
		for _, x := range ids {
			im, _ := x.(map[string]any)
			switch im["system"] {
			case "NHS_NUMBER", "UPN", "FORMER_UPN":
				shown["T3"] = true
			case "LA_CHILD_ID":
				shown["T2"] = true
			}
		}
		inds, _ := m["indicators"].([]any)
		for _, x := range inds {
			im, _ := x.(map[string]any)
			if t, _ := im["type"].(string); slices.Contains(t5IndicatorTypes, t) {
				shown["T5"] = true
			} else {
				shown["T2"] = true
			}
		}
	}
	var out []string
	for _, t := range []string{"T1", "T2", "T3", "T4", "T5", "T6"} {
		if shown[t] {
			out = append(out, t)
		}
	}
	return out
}

// registerAuditChain adds the steps of the append-only, hash-chained log (AUDIT-003).
func registerAuditChain(sc glossary) {
	define(sc, `^the audit log begins with an event whose prevHash is 64 zeros$`, step(func(w *World) error {
		r, err := w.Send(Request{Method: "GET", Path: "/v1/audit-events?afterSeq=0&limit=20", As: w.auditor()})
		if err != nil {
			return err
		}
		events, _, err := decodeAuditPage(r)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return Failf("/events", "the first events of the log", "an empty list", "the audit log reads as empty although the scenario has made requests")
		}
		if events[0].PrevHash != spec.AuditGenesisHash {
			return Failf("/events/0/prevHash", strconv.Quote(spec.AuditGenesisHash), strconv.Quote(events[0].PrevHash),
				"the first event of the audit log (seq %d) does not start the chain", events[0].Seq)
		}
		return chainFailure(VerifyAuditChain(events), r)
	}))
	define(sc, `^every audit event since the child "([^"]+)" was recorded is linked to the one before it by its hash$`,
		func(ctx context.Context, alias string) error {
			w := WorldFrom(ctx)
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			about, _, err := w.ListAuditEvents(0, c.ID)
			if err != nil {
				return err
			}
			if len(about) == 0 {
				return Failf("/events", "the events about the child", "none", "the audit log holds no event about a child the scenario created and read")
			}
			events, pages, err := w.ListAuditEvents(about[0].Seq-1, "")
			if err != nil {
				return err
			}
			if len(events) == 0 || events[0].Seq != about[0].Seq {
				return Failf("/events/0/seq", strconv.FormatInt(about[0].Seq, 10), "another start", "the full listing of the audit log does not start where asked")
			}
			return chainFailure(VerifyAuditChain(events), pages...)
		})
	define(sc, `^the auditor has read the audit events about the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		events, _, err := w.ListAuditEvents(0, c.ID)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return Failf("/events", "the events about the child", "none", "the audit log holds no event about a child the scenario created")
		}
		WorldFrom(ctx).notes.snapshot = events
		return nil
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to change, delete and add audit events$`, func(ctx context.Context, who string) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		if len(n.snapshot) == 0 {
			return Configf("no audit events read yet: use \"the auditor has read the audit events about the child …\" first")
		}
		first := n.snapshot[0]
		forged, err := forgeEvent(first.Raw)
		if err != nil {
			return Configf("forge an audit event: %v", err)
		}
		one := fmt.Sprintf("/v1/audit-events/%d", first.Seq)
		tries := []Request{
			{Method: "PUT", Path: one, Body: forged},
			{Method: "PATCH", Path: one, Body: `{"outcome": "SUCCESS", "purpose": "SERVICE_COORDINATION"}`},
			{Method: "DELETE", Path: one},
			{Method: "PUT", Path: "/v1/audit-events", Body: "[" + string(forged) + "]"},
			{Method: "PATCH", Path: "/v1/audit-events", Body: `{"events": []}`},
			{Method: "DELETE", Path: "/v1/audit-events"},
			{Method: "DELETE", Path: fmt.Sprintf("/v1/audit-events?afterSeq=%d", first.Seq-1)},
			{Method: "POST", Path: "/v1/audit-events", Body: forged},
		}
		for _, t := range tries {
			t.As, t.Invalid = actor, true
			r, err := w.Send(t)
			if err != nil {
				return err
			}
			n.attempts = append(n.attempts, recordAttempt{record: t.Method + " " + t.Path, resp: r})
		}
		return nil
	})
	define(sc, `^every attempt to change the audit log was refused$`, func(ctx context.Context) error {
		n := WorldFrom(ctx).notes
		if len(n.attempts) == 0 {
			return Configf("no attempts to check")
		}
		for _, a := range n.attempts {
			if a.resp.Status < 300 {
				return &AssertionError{
					Message: fmt.Sprintf("%s was accepted: an API changes the audit log", a.record), Pointer: "status",
					Expected: "a refusal (4xx)", Actual: strconv.Itoa(a.resp.Status), Evidence: []*Response{a.resp},
				}
			}
		}
		return nil
	})
	define(sc, `^the audit events about the child "([^"]+)" are unchanged and still linked by their hashes$`,
		func(ctx context.Context, alias string) error {
			w := WorldFrom(ctx)
			n := WorldFrom(ctx).notes
			before := n.snapshot
			if len(before) == 0 {
				return Configf("no audit events read yet: use \"the auditor has read the audit events about the child …\" first")
			}
			events, pages, err := w.ListAuditEvents(before[0].Seq-1, "")
			if err != nil {
				return err
			}
			bySeq := map[int64]AuditEvent{}
			for _, ev := range events {
				bySeq[ev.Seq] = ev
			}
			for _, old := range before {
				now, ok := bySeq[old.Seq]
				if !ok {
					return &AssertionError{
						Message: fmt.Sprintf("the audit event %d is gone from the log", old.Seq), Pointer: "/events",
						Expected: fmt.Sprintf("the event with seq %d", old.Seq), Actual: absent, Evidence: pages,
					}
				}
				a, errA := spec.CanonicalJSON(old.Raw)
				b, errB := spec.CanonicalJSON(now.Raw)
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					return &AssertionError{
						Message: fmt.Sprintf("the audit event %d changed after it was written", old.Seq), Pointer: fmt.Sprintf("/events[seq=%d]", old.Seq),
						Expected: string(old.Raw), Actual: string(now.Raw), Evidence: pages,
					}
				}
			}
			return chainFailure(VerifyAuditChain(events), pages...)
		})
}

// forgeEvent returns raw, an audit event, with its outcome changed to SUCCESS.
func forgeEvent(raw json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	m["outcome"] = "SUCCESS"
	return json.Marshal(m)
}

// chainFailure turns a broken chain into a failure with the pages it was read from.
func chainFailure(err error, pages ...*Response) error {
	if err == nil {
		return nil
	}
	var ce *ChainError
	if !errors.As(err, &ce) {
		return err
	}
	if len(pages) > 2 {
		pages = pages[:2]
	}
	return &AssertionError{
		Message:  "the audit log is not an unbroken hash chain: " + ce.Reason,
		Pointer:  fmt.Sprintf("/events[seq=%d]", ce.Seq),
		Expected: "hash = SHA-256 of the RFC 8785 canonical event without hash, prevHash = the previous hash, seq + 1",
		Actual:   ce.Reason,
		Evidence: pages,
	}
}

// registerAccessHistory adds the steps of a child's access history (AUDIT-004, AUTH-004).
func registerAccessHistory(sc glossary) {
	define(sc, `^(\d+) practitioners from the health sector of council (\d{3}) each read the child "([^"]+)" in turn$`,
		func(ctx context.Context, count int, council, alias string) error {
			w := WorldFrom(ctx)
			n := WorldFrom(ctx).notes
			for i := range count {
				a, err := w.AddActor(fmt.Sprintf("\x00reader-%d", len(n.readers)+1), "PRACTITIONER", "HEALTH", council, "")
				if err != nil {
					return err
				}
				r, err := w.ReadChild(a, alias, "")
				if err != nil {
					return err
				}
				if r.Status != 200 {
					return &AssertionError{
						Message: fmt.Sprintf("read %d of %d of the child %q, needed to set up the scenario, failed", i+1, count, alias),
						Pointer: "status", Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r),
					}
				}
				n.readers = append(n.readers, a)
			}
			return nil
		})
	define(sc, `^`+Subject+` lists? the access history of the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/children/{child:" + alias + "}/access-history", As: actor})
		return err
	})
	define(sc, `^the access history lists the last (\d+) of those reads first, newest first$`, func(ctx context.Context, count int) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		if count > len(n.readers) {
			return Configf("only %d reads were made, not %d", len(n.readers), count)
		}
		var want []*Actor
		for i := len(n.readers) - 1; i >= len(n.readers)-count; i-- {
			want = append(want, n.readers[i])
		}
		return w.expectAccessesFirst(want)
	})
	define(sc, `^the access history begins with the reads by ((?:"[^"]+")(?:(?:, | and )"[^"]+")*), newest first$`, func(ctx context.Context, names string) error {
		w := WorldFrom(ctx)
		var want []*Actor
		for _, name := range namesInQuotes(names) {
			a, ok := w.actors[name]
			if !ok {
				return Configf("no actor named %q in this scenario", name)
			}
			want = append(want, a)
		}
		return w.expectAccessesFirst(want)
	})
	define(sc, `^the access history shows no access by ((?:"[^"]+")(?:(?:, | or )"[^"]+")*)$`, func(ctx context.Context, names string) error {
		w := WorldFrom(ctx)
		accesses, err := w.accessHistoryEntries()
		if err != nil {
			return err
		}
		for _, name := range namesInQuotes(names) {
			a, ok := w.actors[name]
			if !ok {
				return Configf("no actor named %q in this scenario", name)
			}
			for i, acc := range accesses {
				if acc.Actor.Sub == a.Sub {
					return Failf(fmt.Sprintf("/accesses/%d/actor/sub", i), "no access by "+name, strconv.Quote(a.Sub),
						"the access history lists an access by %s that it must leave out (purpose %s)", name, acc.Purpose)
				}
			}
		}
		return nil
	})
	define(sc, `^the access history of the child "([^"]+)" shows the access by "([^"]+)" flagged as break-glass$`,
		func(ctx context.Context, alias, name string) error {
			w := WorldFrom(ctx)
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			a, ok := w.actors[name]
			if !ok {
				return Configf("no actor named %q in this scenario", name)
			}
			if _, err := w.Send(Request{Method: "GET", Path: "/v1/children/" + c.ID + "/access-history", As: w.systemActor(c.Council)}); err != nil {
				return err
			}
			accesses, err := w.accessHistoryEntries()
			if err != nil {
				return err
			}
			for i, acc := range accesses {
				if acc.Actor.Sub == a.Sub {
					if !acc.BreakGlass {
						return Failf(fmt.Sprintf("/accesses/%d/breakGlass", i), "true", "false",
							"the responsible council's access history does not flag the break-glass access by %s", name)
					}
					return nil
				}
			}
			return Failf("/accesses", "an access by "+name, absent, "the responsible council's access history does not list the break-glass access by %s", name)
		})
}

// namesInQuotes splits `"A", "B" and "C"` into its names.
func namesInQuotes(list string) []string {
	var out []string
	for _, part := range strings.Split(list, `"`) {
		part = strings.TrimSpace(part)
		if part != "" && part != "," && part != "and" && part != "or" {
			out = append(out, part)
		}
	}
	return out
}

// accessHistoryEntries decodes the latest response as an access history.
func (w *World) accessHistoryEntries() ([]spec.Access, error) {
	r, err := w.Response()
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the responsible council's management could not list the access history")
	}
	var h spec.AccessHistory
	if err := json.Unmarshal(r.Body, &h); err != nil {
		return nil, Failf("", "an AccessHistory document", err.Error(), "the access history cannot be read")
	}
	return h.Accesses, nil
}

// expectAccessesFirst checks that the latest access history begins with accesses by want,
// in that order.
func (w *World) expectAccessesFirst(want []*Actor) error {
	accesses, err := w.accessHistoryEntries()
	if err != nil {
		return err
	}
	if len(accesses) < len(want) {
		return Failf("/accesses", fmt.Sprintf("at least %d accesses", len(want)), fmt.Sprintf("%d", len(accesses)),
			"the access history lists fewer accesses than were made")
	}
	for i, a := range want {
		if accesses[i].Actor.Sub != a.Sub {
			who := "an access by " + strconv.Quote(accesses[i].Actor.Sub)
			for j, b := range want {
				if accesses[i].Actor.Sub == b.Sub {
					who = fmt.Sprintf("the access that should be number %d", j+1)
				}
			}
			return Failf(fmt.Sprintf("/accesses/%d/actor/sub", i), strconv.Quote(a.Sub), who+fmt.Sprintf(" (purpose %s)", accesses[i].Purpose),
				"the access history does not list the most recent external accesses first, newest first")
		}
	}
	return nil
}
