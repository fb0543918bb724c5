package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// errorCase is one request that must fail, about a child the scenario created: the status
// the contract gives it, the requirement that owns that rule, and how to build it.
type errorCase struct {
	status int
	owner  string
	build  func(w *World, c *Child) (Request, error)
}

// errorCases are the requests that provoke each kind of error (ERR-001), by how a scenario
// names them: "a request that <case> is sent about the child".
var errorCases = map[string]errorCase{
	"reads a record that does not exist": {404, "READ-001", func(w *World, c *Child) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + w.unusedChildID(), As: w.systemActor(c.Council), Purpose: "SAFEGUARDING_CONCERN"}, nil
	}},
	"reads it without a token": {401, "AUTH-001", func(_ *World, c *Child) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + c.ID, Purpose: "SAFEGUARDING_CONCERN", Invalid: true}, nil
	}},
	"reads it as an auditor": {403, "AUTH-002", func(w *World, c *Child) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + c.ID, As: w.auditor(), Purpose: "SAFEGUARDING_CONCERN"}, nil
	}},
	"reads it without a purpose of use": {400, "AUDIT-002", func(w *World, c *Child) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + c.ID, As: w.systemActor(c.Council)}, nil
	}},
	"deletes it": {405, "ERR-001", func(w *World, c *Child) (Request, error) {
		return Request{Method: "DELETE", Path: "/v1/children/" + c.ID, As: w.systemActor(c.Council), Invalid: true}, nil
	}},
	"updates it without If-Match": {428, "VER-001", func(w *World, c *Child) (Request, error) {
		return Request{
			Method: "PATCH", Path: "/v1/children/" + c.ID, As: w.systemActor(c.Council),
			Body: map[string]any{"name": c.nameSent()}, Invalid: true,
		}, nil
	}},
	"searches for it by family name alone": {400, "SEARCH-002", func(w *World, c *Child) (Request, error) {
		family, _ := c.nameSent()["family"].(string)
		return Request{
			Method: "POST", Path: "/v1/children/search", As: w.systemActor(c.Council), Purpose: "SAFEGUARDING_CONCERN",
			Body: map[string]any{"familyName": family}, Invalid: true,
		}, nil
	}},
	"creates it again with an invalid NHS number": {422, "ID-001", func(w *World, c *Child) (Request, error) {
		body, err := ApplyOverrides(deepCopyJSON(c.Sent), []Override{{Pointer: "/identifiers", Value: []any{
			map[string]any{"system": "NHS_NUMBER", "value": "9991234567", "status": "CURRENT", "verified": true},
		}}})
		if err != nil {
			return Request{}, err
		}
		return Request{Method: "POST", Path: "/v1/children", As: w.systemActor(c.Council), Body: body, Invalid: true}, nil
	}},
	"creates it again as malformed JSON": {400, "ERR-001", func(w *World, c *Child) (Request, error) {
		b, err := json.Marshal(c.Sent)
		if err != nil {
			return Request{}, Configf("encode child: %v", err)
		}
		return Request{Method: "POST", Path: "/v1/children", As: w.systemActor(c.Council), Body: b[:len(b)-1], Invalid: true}, nil
	}},
	"creates it again as plain text": {415, "ERR-001", func(w *World, c *Child) (Request, error) {
		b, err := json.Marshal(c.Sent)
		if err != nil {
			return Request{}, Configf("encode child: %v", err)
		}
		return Request{Method: "POST", Path: "/v1/children", As: w.systemActor(c.Council), Body: b, ContentType: "text/plain", Invalid: true}, nil
	}},
}

// nameSent returns the name the child was created with.
func (c *Child) nameSent() map[string]any {
	v, _, _ := Lookup(c.Sent, "/name")
	m, _ := v.(map[string]any)
	return m
}

// subjectAndIdemCreate resolves a step's subject (see Subject) and the scenario's notes, which
// must hold a create sent with an Idempotency-Key.
func (w *World) subjectAndIdemCreate(ctx context.Context, who string) (*Actor, *accountabilityNotes, error) {
	actor, err := w.Subject(who)
	if err != nil {
		return nil, nil, err
	}
	n := WorldFrom(ctx).notes
	if n.idem == nil {
		return nil, nil, Configf("no create with an Idempotency-Key yet")
	}
	return actor, n, nil
}

// latestProblem decodes the latest response as a problem document; a body that is not one is
// a failure.
func (w *World) latestProblem() (*spec.Problem, error) {
	r, err := w.Response()
	if err != nil {
		return nil, err
	}
	var p spec.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return nil, Failf("", "a problem document", "a body that is not a JSON problem", "the problem document cannot be read")
	}
	return &p, nil
}

// errorCasePattern matches the names of errorCases.
var errorCasePattern = func() string {
	names := make([]string, 0, len(errorCases))
	for n := range errorCases {
		names = append(names, regexp.QuoteMeta(n))
	}
	sort.Strings(names)
	return "(" + strings.Join(names, "|") + ")"
}()

// stackTracePatterns recognise stack traces and internals in an error body (ERR-001).
var stackTracePatterns = []*regexp.Regexp{
	regexp.MustCompile(`goroutine \d+`),
	regexp.MustCompile(`\bpanic(?:\(|:)`),
	regexp.MustCompile(`\.go:\d+`),
	regexp.MustCompile(`\b\w*Exception\b`),
	regexp.MustCompile(`(?m)^\s*at [\w.$<>/]+[(:]`),
	regexp.MustCompile(`Traceback \(most recent call last\)`),
	regexp.MustCompile(`File "[^"]+", line \d+`),
	regexp.MustCompile(`\.(?:java|py|js|ts|cs|rb|php):\d+`),
}

// idemCreate is a create retried with one Idempotency-Key (ERR-004).
type idemCreate struct {
	key     string
	body    any
	council string
	answers []*Response
}

// registerErrors adds the steps of the error contract (ERR-001..ERR-004):
//
//	When a request that reads it as an auditor is sent about the child "Amara"
//	Then the answer is a problem document with a registered code and its registered status
//	And the problem carries the request's correlation id
//	And the problem holds none of the child's personal data and no stack trace
//	When they try to create the child "Nia" with:
//	  | /gender | UNICORN |
//	Then the problem lists a field error at each of these pointers:
//	  | /gender |
//	When "Priya" reads the child "Amara" 40 times at once
//	Then every answer is a success, or a 429 or 503 with a valid Retry-After
//	When they create the child "Nia" with the Idempotency-Key "k1"
func registerErrors(sc glossary) {
	registerProblemChecks(sc)
	registerFieldErrors(sc)
	registerOverload(sc)
	registerIdempotency(sc)
}

// registerProblemChecks adds the steps of ERR-001.
func registerProblemChecks(sc glossary) {
	define(sc, `^a request that `+errorCasePattern+` is sent about the child "([^"]+)"$`, func(ctx context.Context, kind, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		WorldFrom(ctx).notes.errorCase, WorldFrom(ctx).notes.errorChild = kind, alias
		req, err := errorCases[kind].build(w, c)
		if err != nil {
			return err
		}
		_, err = w.Send(req)
		return err
	})
	define(sc, `^the answer is a problem document with a registered code and its registered status$`, func(ctx context.Context) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		if ec, ok := errorCases[WorldFrom(ctx).notes.errorCase]; ok && r.Status != ec.status {
			// Which error a request gets is the rule of the requirement that owns it; ERR-001
			// governs only the form of the error.
			return Attribute(Failf("status", strconv.Itoa(ec.status), strconv.Itoa(r.Status)+problemHint(r),
				"the request that %s was not answered with the status the contract gives it", WorldFrom(ctx).notes.errorCase), ec.owner)
		}
		if r.Status < 400 {
			return Failf("status", "an error status (4xx or 5xx)", strconv.Itoa(r.Status), "the request that must fail succeeded")
		}
		if mt := r.MediaType(); mt != "application/problem+json" {
			return Failf("header:Content-Type", "application/problem+json", orAbsent(r.Header.Get("Content-Type")), "the error is not a problem document")
		}
		var p spec.Problem
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return Failf("", "a problem document", "a body that is not a JSON problem", "the problem document cannot be read: %v", err)
		}
		reg, ok := spec.LookupError(p.Code)
		if !ok {
			return Failf("/code", "a code from the published registry", orAbsent(p.Code), "the problem's code is not in the published registry")
		}
		if reg.Status != r.Status {
			return Failf("status", fmt.Sprintf("%d, the status the registry gives %s", reg.Status, p.Code), strconv.Itoa(r.Status), "the HTTP status is not the one the registry gives the problem's code")
		}
		if p.Status != r.Status {
			return Failf("/status", strconv.Itoa(r.Status), strconv.Itoa(p.Status), "the problem's status differs from the HTTP status")
		}
		for i, fe := range p.Errors {
			if _, top := spec.LookupError(fe.Code); !top && !slices.Contains(spec.FieldErrorCodes, fe.Code) {
				return Failf(fmt.Sprintf("/errors/%d/code", i), "a field error code from the published registry", orAbsent(fe.Code), "a field error's code is not in the published registry")
			}
		}
		return nil
	})
	define(sc, `^the problem carries the request's correlation id$`, step(func(w *World) error {
		r, err := w.Response()
		if err != nil {
			return err
		}
		got, _ := r.At("/correlationId")
		if got != r.CorrelationID {
			return Failf("/correlationId", strconv.Quote(r.CorrelationID), Render(got), "the problem does not carry the request's X-Correlation-ID")
		}
		if echoed := r.Header.Get("X-Correlation-ID"); echoed != r.CorrelationID {
			return Failf("header:X-Correlation-ID", strconv.Quote(r.CorrelationID), orAbsent(echoed), "the error response does not echo the request's X-Correlation-ID")
		}
		return nil
	}))
	define(sc, `^the problem holds none of the child's personal data and no stack trace$`, func(ctx context.Context) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		if c, err := w.Child(WorldFrom(ctx).notes.errorChild); err == nil {
			values := personalDataSent(c.Sent)
			whats := make([]string, 0, len(values))
			for what := range values {
				whats = append(whats, what)
			}
			sort.Strings(whats)
			for _, what := range whats {
				if v := values[what]; len(v) >= 3 && regexp.MustCompile(`(^|[^\pL\pN])`+regexp.QuoteMeta(v)+`($|[^\pL\pN])`).Match(r.Body) {
					return Failf("", "no personal data in the problem", "the child's "+what, "the problem repeats the child's %s", what)
				}
			}
			if strings.Contains(string(r.Body), "9991234567") {
				return Failf("", "no personal data in the problem", "the NHS number sent", "the problem repeats the NHS number sent")
			}
		}
		for _, re := range stackTracePatterns {
			if m := re.FindString(string(r.Body)); m != "" {
				return Failf("", "no stack trace or source locations", strconv.Quote(m), "the error reveals the server's internals (a stack trace)")
			}
		}
		return nil
	})
}

// registerFieldErrors adds the steps of ERR-002 and ERR-003.
func registerFieldErrors(sc glossary) {
	define(sc, `^`+Subject+` tr(?:y|ies) to create the child "([^"]+)" with:$`, func(ctx context.Context, who, alias string, table *godog.Table) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		if actor == nil {
			return Configf("an anonymous caller cannot create a child: use a named actor")
		}
		overrides, err := ParseOverrides(table)
		if err != nil {
			return err
		}
		body, err := w.ChildBody(nil, overrides...)
		if err != nil {
			return err
		}
		WorldFrom(ctx).lookup.attempts[alias] = createAttempt{body: body, actor: actor}
		_, err = w.Send(Request{Method: "POST", Path: "/v1/children", Body: body, As: actor, Invalid: true})
		return err
	})
	define(sc, `^the problem lists a field error at each of these pointers:$`, func(ctx context.Context, table *godog.Table) error {
		p, err := WorldFrom(ctx).latestProblem()
		if err != nil {
			return err
		}
		got := make([]string, 0, len(p.Errors))
		for _, fe := range p.Errors {
			got = append(got, fe.Pointer)
		}
		for _, row := range table.Rows {
			if len(row.Cells) != 1 {
				return Configf("want one pointer per row, or alternatives joined by \" or \"")
			}
			alternatives := strings.Split(row.Cells[0].Value, " or ")
			if !slices.ContainsFunc(alternatives, func(ptr string) bool { return slices.Contains(got, strings.TrimSpace(ptr)) }) {
				return Failf("/errors", "a field error at "+row.Cells[0].Value, Render(stringsAsJSON(got)),
					"the problem does not report every invalid field at once with its JSON Pointer")
			}
		}
		return nil
	})
	define(sc, `^the problem's field error at "([^"]*)" has the code "([A-Z_]+)"$`, func(ctx context.Context, ptr, code string) error {
		p, err := WorldFrom(ctx).latestProblem()
		if err != nil {
			return err
		}
		for i, fe := range p.Errors {
			if fe.Pointer == ptr {
				if fe.Code != code {
					return Failf(fmt.Sprintf("/errors/%d/code", i), strconv.Quote(code), strconv.Quote(fe.Code), "the field error has the wrong code")
				}
				return nil
			}
		}
		return Failf("/errors", "a field error at "+ptr, absent, "the problem does not report the field")
	})
}

// registerOverload adds the steps of ERR-004 about load.
func registerOverload(sc glossary) {
	define(sc, `^`+Subject+` reads? the child "([^"]+)" (\d+) times at once$`, func(ctx context.Context, who, alias string, count int) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		return w.readBurst(actor, c.ID, count)
	})
	define(sc, `^every answer is a success, or a 429 or 503 with a valid Retry-After$`, func(ctx context.Context) error {
		return WorldFrom(ctx).expectShedWithRetryAfter()
	})
}

// readBurst reads the child with id as actor count times at once. A burst the system sheds none
// of proves nothing about how it sheds, so it ramps: doubling up to MaxBurst until an answer is
// not a success. The answers of every burst are kept for expectShedWithRetryAfter.
func (w *World) readBurst(actor *Actor, id string, count int) error {
	w.notes.burstSizes, w.notes.burst = nil, nil
	for n := max(count, 1); ; n *= 2 {
		reqs := make([]Request, n)
		for i := range reqs {
			reqs[i] = Request{Method: "GET", Path: "/v1/children/" + id, As: actor, Purpose: defaultPurposes[actor.Role]}
		}
		answers, err := w.SendConcurrently(reqs)
		w.notes.burst = append(w.notes.burst, answers...)
		w.notes.burstSizes = append(w.notes.burstSizes, n)
		if err != nil {
			return err
		}
		if n*2 > MaxBurst || slices.ContainsFunc(answers, func(r *Response) bool { return r != nil && (r.Status < 200 || r.Status > 299) }) {
			return nil
		}
	}
}

// expectShedWithRetryAfter checks every answer of the bursts is a success, or a 429 or 503 with
// a valid Retry-After (ERR-004). When none was shed, the check was not exercised: it says so
// (RemarkNotExercised), with the first answer as evidence, rather than pass.
func (w *World) expectShedWithRetryAfter() error {
	answers := w.notes.burst
	if len(answers) == 0 {
		return Configf("no burst of requests to check")
	}
	shed := false
	for i, r := range answers {
		switch {
		case r == nil:
		case r.Status == 429 || r.Status == 503:
			shed = true
			if err := checkRetryAfter(r); err != nil {
				return err
			}
		case r.Status < 200 || r.Status > 299:
			return &AssertionError{
				Message:  fmt.Sprintf("request %d of the burst failed otherwise than by shedding load", i+1),
				Pointer:  "status",
				Expected: "2xx, or 429 or 503 with Retry-After",
				Actual:   strconv.Itoa(r.Status) + problemHint(r),
				Evidence: []*Response{r},
			}
		}
	}
	if !shed {
		sizes := make([]string, len(w.notes.burstSizes))
		for i, n := range w.notes.burstSizes {
			sizes[i] = strconv.Itoa(n)
		}
		var evidence []reports.Exchange // the first answer: later ones are over the evidence bound
		if first := answers[0]; first != nil {
			evidence = append(evidence, first.Exchange)
		}
		w.Remark(RemarkNotExercised, fmt.Sprintf("the system answered every request of bursts of %s at once, so how it sheds load "+
			"(429 or 503 with Retry-After) was not exercised", strings.Join(sizes, ", ")), evidence...)
	}
	return nil
}

// MaxBurst bounds the burst the overload check ramps to (doubling from the scenario's size):
// far above what a conforming system serves at once in a sandbox, and within what one
// harness process opens at once.
const MaxBurst = 256

// checkRetryAfter checks that a 429 or 503 says when to retry: Retry-After as a non-negative
// whole number of seconds or an HTTP date.
func checkRetryAfter(r *Response) error {
	v := strings.TrimSpace(r.Header.Get("Retry-After"))
	if v == "" {
		return &AssertionError{
			Message: fmt.Sprintf("a %d shedding load does not say when to retry", r.Status), Pointer: "header:Retry-After",
			Expected: "seconds or an HTTP date", Actual: absent, Evidence: []*Response{r},
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && strings.Trim(v, "0123456789") == "" {
		return nil
	}
	if _, err := http.ParseTime(v); err == nil {
		return nil
	}
	return &AssertionError{
		Message: fmt.Sprintf("the Retry-After of a %d is neither seconds nor an HTTP date", r.Status), Pointer: "header:Retry-After",
		Expected: "a non-negative whole number of seconds or an HTTP date", Actual: strconv.Quote(v), Evidence: []*Response{r},
	}
}

// registerIdempotency adds the steps of ERR-004 about retried creates.
func registerIdempotency(sc glossary) {
	define(sc, `^`+Subject+` creates? the child "([^"]+)" with an Idempotency-Key$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		if actor == nil {
			return Configf("an anonymous caller cannot create a child: use a named actor")
		}
		// Unverified identifiers, so that no duplicate check hides a second record.
		body, err := w.ChildBody(nil, Override{Pointer: "/identifiers/0/verified", Value: false}, Override{Pointer: "/identifiers/1/verified", Value: false})
		if err != nil {
			return err
		}
		n := WorldFrom(ctx).notes
		n.idem = &idemCreate{key: "icscert-" + w.tag + "-" + alias, body: body, council: actor.Council}
		r, err := w.Send(Request{Method: "POST", Path: "/v1/children", Body: body, As: actor, Header: http.Header{"Idempotency-Key": {n.idem.key}}})
		if err != nil {
			return err
		}
		n.idem.answers = append(n.idem.answers, r)
		return nil
	})
	define(sc, `^`+Subject+` sends? the same create again(?: (\d+) times at once)? with the same Idempotency-Key$`, func(ctx context.Context, who, times string) error {
		w := WorldFrom(ctx)
		actor, n, err := w.subjectAndIdemCreate(ctx, who)
		if err != nil {
			return err
		}
		count := 1
		if times != "" {
			count, _ = strconv.Atoi(times)
		}
		reqs := make([]Request, count)
		for i := range reqs {
			reqs[i] = Request{Method: "POST", Path: "/v1/children", Body: n.idem.body, As: actor, Header: http.Header{"Idempotency-Key": {n.idem.key}}}
		}
		answers, err := w.SendConcurrently(reqs)
		n.idem.answers = append(n.idem.answers, answers...)
		return err
	})
	define(sc, `^`+Subject+` sends? a different child with the same Idempotency-Key$`, func(ctx context.Context, who string) error {
		w := WorldFrom(ctx)
		actor, n, err := w.subjectAndIdemCreate(ctx, who)
		if err != nil {
			return err
		}
		body, err := w.ChildBody(nil)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "POST", Path: "/v1/children", Body: body, As: actor, Header: http.Header{"Idempotency-Key": {n.idem.key}}})
		return err
	})
	define(sc, `^every successful answer to the create names the same child$`, func(ctx context.Context) error {
		n := WorldFrom(ctx).notes
		if n.idem == nil || len(n.idem.answers) == 0 {
			return Configf("no create with an Idempotency-Key yet")
		}
		first := n.idem.answers[0]
		if first.Status != 201 {
			return Failf("status", "201", strconv.Itoa(first.Status)+problemHint(first), "the first create with an Idempotency-Key failed")
		}
		id, _ := first.At("/id")
		for i, r := range n.idem.answers[1:] {
			if r.Status < 200 || r.Status > 299 {
				continue
			}
			if got, _ := r.At("/id"); got != id || r.Status != first.Status {
				return &AssertionError{
					Message:  fmt.Sprintf("repeat %d of the create answered differently: a repeat with the same Idempotency-Key and body must return the original response", i+1),
					Pointer:  "/id",
					Expected: fmt.Sprintf("%d with id %s", first.Status, Render(id)),
					Actual:   fmt.Sprintf("%d with id %s", r.Status, Render(got)),
					Evidence: []*Response{first, r},
				}
			}
		}
		return nil
	})
	define(sc, `^the repeated create answered exactly as the first$`, func(ctx context.Context) error {
		n := WorldFrom(ctx).notes
		if n.idem == nil || len(n.idem.answers) < 2 {
			return Configf("no repeated create with an Idempotency-Key yet")
		}
		first, again := n.idem.answers[0], n.idem.answers[len(n.idem.answers)-1]
		a, b := bodyJSONOrNil(first), bodyJSONOrNil(again)
		if first.Status != again.Status || !JSONEqual(a, b) {
			return &AssertionError{
				Message:  "a repeat with the same Idempotency-Key and body did not return the original response",
				Pointer:  "",
				Expected: fmt.Sprintf("%d %s", first.Status, Render(a)),
				Actual:   fmt.Sprintf("%d %s", again.Status, Render(b)),
				Evidence: []*Response{first, again},
			}
		}
		return nil
	})
	define(sc, `^exactly one record of that child exists$`, func(ctx context.Context) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		if n.idem == nil {
			return Configf("no create with an Idempotency-Key yet")
		}
		r, err := w.Send(Request{
			Method: "POST", Path: "/v1/children/search", Body: demographicQueryFor(n.idem.body),
			As: w.systemActor(n.idem.council), Purpose: defaultPurposes["LA_MANAGEMENT"],
		})
		if err != nil {
			return err
		}
		if r.Status != 200 {
			return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the council's management could not search for the child")
		}
		results, _ := r.At("/results")
		list, _ := results.([]any)
		if len(list) != 1 {
			return Failf("/results", "exactly one record", fmt.Sprintf("%d records", len(list)), "retrying an idempotent create did not leave exactly one record")
		}
		want, _ := n.idem.answers[0].At("/id")
		if got, _, _ := Lookup(list[0], "/id"); got != want {
			return Failf("/results/0/id", Render(want), Render(got), "the one record found is not the one the first create answered with")
		}
		return nil
	})
}

// demographicQueryFor returns the search for a child by the family name, first given name (or
// gender) and date of birth of its create body: it finds every record of the child, verified
// identifiers or not.
func demographicQueryFor(body any) map[string]any {
	q := map[string]any{}
	for key, ptr := range map[string]string{"familyName": "/name/family", "givenName": "/name/given/0", "dateOfBirth": "/dateOfBirth"} {
		if v, ok, _ := Lookup(body, ptr); ok {
			q[key] = v
		}
	}
	if _, ok := q["givenName"]; !ok {
		q["gender"], _, _ = Lookup(body, "/gender")
	}
	return q
}

// bodyJSONOrNil returns a response body decoded, or nil if it is not JSON.
func bodyJSONOrNil(r *Response) any {
	v, err := r.JSON()
	if err != nil {
		return nil
	}
	return v
}
