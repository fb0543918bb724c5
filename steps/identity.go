package steps

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cucumber/godog"
	"golang.org/x/text/unicode/norm"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/spec"
)

// This file holds the identity steps (ID-001..ID-007) and what the search (SEARCH) and read
// (READ) steps share with them: creates a scenario expects to be refused, finding one child's
// record in a response, and the values a child was created with.

// lookupState is the part of a scenario's state that only these steps use. It lives in the
// scenario's context, put there by a Before hook of registerIdentity.
type lookupState struct {
	// attempts are the creates the scenario sent expecting a refusal, by alias, so that a later
	// step can check that nothing was created.
	attempts map[string]createAttempt
	// involvements are the bodies of the involvements set up for the scenario, by
	// "<alias> <serviceType>".
	involvements map[string]spec.NewInvolvement
}

// createAttempt is one create a scenario expected to be refused.
type createAttempt struct {
	body  any    // the body sent, as decoded JSON
	actor *Actor // who sent it
}

type lookupKey struct{}

// withLookupState is the Before hook that gives each scenario an empty lookupState.
func withLookupState(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
	return context.WithValue(ctx, lookupKey{}, &lookupState{attempts: map[string]createAttempt{}, involvements: map[string]spec.NewInvolvement{}}), nil
}

// lookupFrom returns the scenario's lookupState.
func lookupFrom(ctx context.Context) (*lookupState, error) {
	s, ok := ctx.Value(lookupKey{}).(*lookupState)
	if !ok {
		return nil, Configf("no lookup state in the scenario: registerIdentity must be registered")
	}
	return s, nil
}

// sendCreate sends POST /v1/children with body as actor. When the target answers 201 with an
// id, the child is remembered as alias like any created child (World.Child, "{child:alias}"),
// whether or not the scenario expected it; the scenario's Then steps judge the answer.
func (w *World) sendCreate(actor *Actor, alias string, body any, invalid bool) (*Response, error) {
	if _, dup := w.children[alias]; dup {
		return nil, Configf("child %q is introduced twice", alias)
	}
	r, err := w.Send(Request{Method: "POST", Path: "/v1/children", Body: body, As: actor, Invalid: invalid})
	if err != nil {
		return nil, err
	}
	id, _ := r.At("/id")
	if s, ok := id.(string); ok && r.Status == 201 && s != "" {
		council := actor.Council
		if v, ok, _ := Lookup(body, "/responsibleLa/dfeCode"); ok {
			council, _ = v.(string)
		}
		w.children[alias] = &Child{Alias: alias, ID: s, Council: council, Sent: body, ETag: r.Header.Get("ETag")}
		w.Remember("child", alias, s)
	}
	return r, nil
}

// tryCreate sends a create that the scenario expects to be refused and notes it as an attempt
// for "no child … was created".
func tryCreate(ctx context.Context, who, alias string, body any) error {
	w := WorldFrom(ctx)
	st, err := lookupFrom(ctx)
	if err != nil {
		return err
	}
	actor, err := w.Subject(who)
	if err != nil {
		return err
	}
	if actor == nil {
		return Configf("an anonymous caller cannot create a child: use a request step for that")
	}
	st.attempts[alias] = createAttempt{body: body, actor: actor}
	_, err = w.sendCreate(actor, alias, body, true)
	return err
}

// recordIn finds the record of child id in r: the body itself when it is that record (a read),
// or the entry of its results (a search). base is the record's JSON Pointer in the body.
func recordIn(r *Response, id string) (rec map[string]any, base string, err error) {
	doc, jerr := r.JSON()
	if jerr != nil {
		return nil, "", Failf("", "a JSON record", "a body that is not JSON", "the response cannot be read")
	}
	if m, ok := doc.(map[string]any); ok {
		if got, _ := m["id"].(string); got == id {
			return m, "", nil
		}
		if list, ok := m["results"].([]any); ok {
			for i, item := range list {
				if rm, ok := item.(map[string]any); ok {
					if got, _ := rm["id"].(string); got == id {
						return rm, "/results/" + strconv.Itoa(i), nil
					}
				}
			}
			return nil, "", Failf("/results", "a record with id "+strconv.Quote(id), fmt.Sprintf("%d records, none with that id", len(list)),
				"the search results do not include the child")
		}
	}
	return nil, "", Failf("/id", strconv.Quote(id), "no record with that id", "the response is not the child's record")
}

// responsibleRecord returns the record of the child the scenario created as alias, as the
// management of its responsible council reads it (see readAsResponsible).
func (w *World) responsibleRecord(alias string) (map[string]any, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	_, rec, err := w.readAsResponsible(c)
	return rec, err
}

// readAsResponsible reads child as the management of its responsible council, which sees every
// tier: the view steps use to check what a system stored.
func (w *World) readAsResponsible(c *Child) (*Response, map[string]any, error) {
	r, err := w.ReadChild(w.systemActor(c.Council), c.Alias, "")
	if err != nil {
		return nil, nil, err
	}
	if r.Status != 200 {
		return r, nil, &AssertionError{
			Message:  fmt.Sprintf("the council responsible for %q could not read its record", c.Alias),
			Pointer:  "status",
			Expected: "200",
			Actual:   strconv.Itoa(r.Status) + problemHint(r),
			Evidence: []*Response{r},
		}
	}
	rec, _, err := recordIn(r, c.ID)
	return r, rec, err
}

// sentValue returns the string at ptr of what child was created with, "" if absent.
func sentValue(c *Child, ptr string) string {
	v, _, _ := Lookup(c.Sent, ptr)
	s, _ := v.(string)
	return s
}

// identifierValue returns the value of the first identifier of system in a child body or record.
func identifierValue(doc any, system string) string {
	list, _, _ := Lookup(doc, "/identifiers")
	items, _ := list.([]any)
	for _, item := range items {
		m, _ := item.(map[string]any)
		if m["system"] == system {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

// identifierAt returns the index of the first identifier of system in a body, or -1.
func identifierAt(doc any, system string) int {
	list, _, _ := Lookup(doc, "/identifiers")
	items, _ := list.([]any)
	for i, item := range items {
		if m, _ := item.(map[string]any); m["system"] == system {
			return i
		}
	}
	return -1
}

// sameIdentifier compares identifier values as the API stores them: NHS numbers without
// spaces, UPNs in upper case. A system that stores them otherwise breaks ID-001 or ID-002, which
// the contract check reports; steps of other requirements must not fail for it as well.
func sameIdentifier(system, a, b string) bool {
	switch system {
	case "NHS_NUMBER":
		return ident.NormaliseNHS(a) == ident.NormaliseNHS(b)
	case "UPN", "FORMER_UPN":
		return ident.NormaliseUPN(a) == ident.NormaliseUPN(b)
	}
	return a == b
}

// foldForSearch folds a name as SEARCH-003 compares names: lower case, accents removed, and only
// letters and digits kept. Steps that are not about names compare names folded, so that a name
// mangled in transit fails READ-004 only.
func foldForSearch(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// uniqueFamily returns an invented family name that no other scenario uses, for checks that
// must not see another scenario's children: letters derived from the scenario's id and stem.
func (w *World) uniqueFamily(stem string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(w.scope() + "\x00" + stem))
	l := letters(h.Sum64())
	return "Vale" + l[:min(len(l), 10)]
}

// pseudoID returns a well-formed child id (a UUID v4 in form) that the target never issued,
// derived from the scenario and purpose so that a scenario sends the same one on every run.
func (w *World) pseudoID(purpose string) string {
	h := fnv.New128a()
	_, _ = h.Write([]byte(w.ScenarioID + "\x00" + purpose))
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// aliasList matches a list of quotedAlias aliases: "Ada", "Ben" and "Cal".
const aliasList = `((?:"[^"]+")(?:(?:, | and )"[^"]+")*)`

// quotedAlias matches one quoted alias of an aliasList.
var quotedAlias = regexp.MustCompile(`"([^"]+)"`)

// parseAliases reads the aliases of an aliasList match.
func parseAliases(s string) []string {
	var out []string
	for _, m := range quotedAlias.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// wordSep separates the items of a list written "A, B and C".
var wordSep = regexp.MustCompile(`, | and `)

// splitList reads a list like "A, B and C".
func splitList(s string) []string {
	var out []string
	for _, p := range wordSep.Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// harnessToday returns the harness's date, at midnight UTC.
func (w *World) harnessToday() time.Time {
	y, m, d := w.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func renderOr(v any, ok bool) string {
	if !ok {
		return absent
	}
	return Render(v)
}

// expectNotInBody checks that needle appears nowhere in r's raw body.
func expectNotInBody(r *Response, needle, what string) error {
	if needle != "" && strings.Contains(string(r.Body), needle) {
		return Failf("", what+" absent from the response", "it appears in the body", "the response discloses %s", what)
	}
	return nil
}

// registerIdentity adds the steps of the identity requirements (ID-001..ID-007) and the Before
// hook of the state shared with the search and read steps:
//
//	When they create a child "Nia" whose NHS number is written with spaces
//	When they try to create a child "Nia" with the NHS number "9991234560"
//	When they try to create a child "Una" with the UPN "Q207000016049"
//	When they create a child "Ula" with a temporary UPN issued by council 909
//	When they try to create a child "Cy" for council 909
//	Then the problem flags the NHS number with "INVALID_NHS_NUMBER"
//	Then the problem names the successor councils 942 and 943
//	Then no child "Nia" was created
//	Then the ids of "Ada", "Ben" and "Cal" encode no council, date of birth, identifier, name or sequence
//	When "Mo" merges the child "Bea" into the child "Ada"
//	Then the record of "Ada" holds the identifiers of "Ada" and "Bea"
//	When "Mo" replaces the NHS number of the child "Ada", marking the old one SUPERSEDED
func registerIdentity(sc *godog.ScenarioContext) {
	sc.Before(withLookupState)
	registerIdentifierChecks(sc)
	registerCouncilChecks(sc)
	registerChildIDs(sc)
	registerDuplicates(sc)
	registerMerges(sc)
	registerSupersession(sc)
}

// registerIdentifierChecks adds the steps of ID-001 and ID-002, and the checks of refused
// creates that other requirements share.
func registerIdentifierChecks(sc *godog.ScenarioContext) {
	define(sc, `^`+Subject+` creates? a child "([^"]+)" whose NHS number is written with spaces$`,
		func(ctx context.Context, who, alias string) error {
			return createWithIdentifier(ctx, who, alias, "NHS_NUMBER", func(w *World, nhs string) (string, bool) {
				return nhs[:3] + " " + nhs[3:6] + " " + nhs[6:], true
			})
		})
	define(sc, `^`+Subject+` creates? a child "([^"]+)" whose NHS number has the check digit 0$`,
		func(ctx context.Context, who, alias string) error {
			return createWithIdentifier(ctx, who, alias, "NHS_NUMBER", func(w *World, _ string) (string, bool) {
				return w.nhsWithCheckDigitZero(alias), true
			})
		})
	define(sc, `^`+Subject+` creates? a child "([^"]+)" with the unverified UPN "([^"]+)"$`,
		func(ctx context.Context, who, alias, upn string) error {
			return createWithIdentifier(ctx, who, alias, "UPN", func(*World, string) (string, bool) { return upn, false })
		})
	define(sc, `^`+Subject+` creates? a child "([^"]+)" with a (temporary )?UPN issued by council (\d{3})$`,
		func(ctx context.Context, who, alias, temporary, council string) error {
			return createWithIdentifier(ctx, who, alias, "UPN", func(w *World, _ string) (string, bool) {
				return w.upnIssuedBy(alias, council, temporary != ""), true
			})
		})
	define(sc, `^`+Subject+` tr(?:y|ies) to create a child "([^"]+)" with the (NHS number|UPN) "([^"]*)"$`,
		func(ctx context.Context, who, alias, system, value string) error {
			w := WorldFrom(ctx)
			sys := identifierSystems[system]
			body, err := w.ChildBody(nil, Override{Pointer: "/name/family", Value: w.uniqueFamily(alias)})
			if err != nil {
				return err
			}
			i := identifierAt(body, sys)
			if i < 0 {
				return Configf("the generated child has no %s to replace", system)
			}
			if body, err = SetAt(body, fmt.Sprintf("/identifiers/%d/value", i), value); err != nil {
				return Configf("set the %s: %v", system, err)
			}
			return tryCreate(ctx, who, alias, body)
		})
	define(sc, `^the problem flags the (NHS number|UPN|responsible council|date of birth)(?: with "([A-Z_]+)")?$`,
		func(ctx context.Context, field, code string) error {
			return WorldFrom(ctx).expectFieldError(field, code)
		})
	define(sc, `^no child "([^"]+)" was created$`, func(ctx context.Context, alias string) error {
		st, err := lookupFrom(ctx)
		if err != nil {
			return err
		}
		return WorldFrom(ctx).expectNotCreated(st, alias)
	})
	define(sc, `^the record of "([^"]+)" holds its (NHS number|UPN) as sent, without spaces and in capitals$`,
		func(ctx context.Context, alias, system string) error {
			return WorldFrom(ctx).expectStoredIdentifier(alias, identifierSystems[system])
		})
}

// identifierSystems maps how scenarios name identifiers to their systems.
var identifierSystems = map[string]string{"NHS number": "NHS_NUMBER", "UPN": "UPN"}

// createWithIdentifier creates a child whose identifier of system is replaced by what value
// returns from the generated one (and whether it is verified), as the step's subject. The
// Then steps judge the answer.
func createWithIdentifier(ctx context.Context, who, alias, system string, value func(w *World, generated string) (string, bool)) error {
	w := WorldFrom(ctx)
	actor, err := w.Subject(who)
	if err != nil {
		return err
	}
	if actor == nil {
		return Configf("an anonymous caller cannot create a child")
	}
	body, err := w.ChildBody(nil)
	if err != nil {
		return err
	}
	i := identifierAt(body, system)
	if i < 0 {
		return Configf("the generated child has no %s", system)
	}
	v, verified := value(w, identifierValue(body, system))
	if body, err = SetAt(body, fmt.Sprintf("/identifiers/%d/value", i), v); err != nil {
		return Configf("set the identifier: %v", err)
	}
	if body, err = SetAt(body, fmt.Sprintf("/identifiers/%d/verified", i), verified); err != nil {
		return Configf("set the identifier: %v", err)
	}
	_, err = w.sendCreate(actor, alias, body, false)
	return err
}

// nhsWithCheckDigitZero returns a valid NHS number in the test range whose check digit is 0
// (C = 11 in the modulus 11 algorithm), from the run's identifier pool, so that no other
// scenario or run holds it.
func (w *World) nhsWithCheckDigitZero(string) string {
	for {
		if nhs := w.Gen.Pool.NHS(); strings.HasSuffix(nhs, "0") {
			return nhs
		}
	}
}

// upnIssuedBy returns a valid UPN issued by council (of any status), with an establishment
// number in 9000–9999, from the run's identifier pool, so that no other scenario or run holds
// it.
func (w *World) upnIssuedBy(_, council string, temporary bool) string {
	return w.Gen.Pool.UPN(council, 15, temporary)
}

// fieldPointers are the JSON Pointers a field error may name for each field of a generated
// child body.
var fieldPointers = map[string][]string{
	"NHS number":          {"/identifiers/0/value"},
	"UPN":                 {"/identifiers/1/value"},
	"responsible council": {"/responsibleLa/dfeCode", "/responsibleLa"},
	"date of birth":       {"/dateOfBirth"},
}

// expectFieldError checks that the latest problem has a field error at the field's pointer,
// with code when one is given. Where a field error is reported is ERR-002's rule, so a missing
// or misplaced pointer counts against ERR-002.
func (w *World) expectFieldError(field, code string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	var p struct {
		Errors []struct {
			Pointer string `json:"pointer"`
			Code    string `json:"code"`
		} `json:"errors"`
	}
	if r.MediaType() != "application/problem+json" || r.Decode(&p) != nil {
		return Attribute(Failf("header:Content-Type", "a problem document with field errors", orAbsent(r.Header.Get("Content-Type")),
			"the error response is not a problem document"), ErrorFormatRequirement)
	}
	want := fieldPointers[field]
	for i, fe := range p.Errors {
		if !slices.Contains(want, fe.Pointer) {
			continue
		}
		if code != "" && fe.Code != code {
			return Failf(fmt.Sprintf("/errors/%d/code", i), strconv.Quote(code), strconv.Quote(fe.Code), "the field error of the %s has the wrong code", field)
		}
		return nil
	}
	got := make([]string, 0, len(p.Errors))
	for _, fe := range p.Errors {
		got = append(got, fe.Pointer+" "+fe.Code)
	}
	return Attribute(Failf("/errors", "a field error at "+strings.Join(want, " or "), "["+strings.Join(got, ", ")+"]",
		"the problem does not point at the %s", field), "ERR-002")
}

// expectNotCreated checks that an attempted create left nothing behind: the target did not
// answer it with an id, and a search by the attempt's NHS number (or, when that was the
// invalid part, by its family name, date of birth and gender) as the management of the
// sender's council finds nothing.
func (w *World) expectNotCreated(st *lookupState, alias string) error {
	a, ok := st.attempts[alias]
	if !ok {
		return Configf("no attempt to create a child %q in this scenario", alias)
	}
	if c, created := w.children[alias]; created {
		return Failf("status", "a refusal", "201 with the id "+strconv.Quote(c.ID), "the system created the child it should have refused")
	}
	query := map[string]any{}
	if nhs := identifierValue(a.body, "NHS_NUMBER"); ident.CheckNHS(nhs) == nil {
		query["nhsNumber"] = nhs
	} else {
		for key, ptr := range map[string]string{"familyName": "/name/family", "dateOfBirth": "/dateOfBirth", "gender": "/gender"} {
			v, _, _ := Lookup(a.body, ptr)
			query[key] = v
		}
	}
	r, err := w.searchChildren(w.systemActor(a.actor.Council), query)
	if err != nil {
		return err
	}
	list, err := searchResults(r)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		return Failf("/results", "no records", fmt.Sprintf("%d records %v", len(list), resultIDs(list)),
			"a search finds a record created from the refused request")
	}
	return nil
}

// expectStoredIdentifier reads a child as its council and checks that its identifier of
// system is stored exactly in the normalised form: an NHS number without spaces, a UPN in
// capitals.
func (w *World) expectStoredIdentifier(alias, system string) error {
	c, err := w.Child(alias)
	if err != nil {
		return err
	}
	want := identifierValue(c.Sent, system)
	if system == "NHS_NUMBER" {
		want = ident.NormaliseNHS(want)
	} else {
		want = ident.NormaliseUPN(want)
	}
	_, rec, err := w.readAsResponsible(c)
	if err != nil {
		return err
	}
	got := identifierValue(rec, system)
	if got != want {
		return Failf(fmt.Sprintf("/identifiers/%d/value", max(identifierAt(rec, system), 0)), strconv.Quote(want), orAbsent(got),
			"the record does not hold the %s as sent", system)
	}
	return nil
}

// registerCouncilChecks adds the steps of ID-003: council codes from the reference list.
func registerCouncilChecks(sc *godog.ScenarioContext) {
	define(sc, `^`+Subject+` creates? a child "([^"]+)" for council (\d{3})$`, func(ctx context.Context, who, alias, council string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		if actor == nil {
			return Configf("an anonymous caller cannot create a child")
		}
		body, err := w.ChildBody([]fixtures.ChildOption{fixtures.WithCouncil(council)})
		if err != nil {
			return err
		}
		_, err = w.sendCreate(actor, alias, body, false)
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to create a child "([^"]+)" for council (\d{3})$`, func(ctx context.Context, who, alias, council string) error {
		w := WorldFrom(ctx)
		body, err := w.ChildBody([]fixtures.ChildOption{fixtures.WithCouncil(council)})
		if err != nil {
			return err
		}
		// The UPN stays one issued by a live council, so that only the responsible council is wrong.
		if i := identifierAt(body, "UPN"); i >= 0 {
			if body, err = SetAt(body, fmt.Sprintf("/identifiers/%d/value", i), w.upnIssuedBy(alias, "202", false)); err != nil {
				return Configf("set the UPN: %v", err)
			}
		}
		return tryCreate(ctx, who, alias, body)
	})
	define(sc, `^the problem names the successor councils? ((?:\d{3})(?:(?:, | and )\d{3})*)$`, func(ctx context.Context, list string) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		v, ok := r.At("/successors")
		items, _ := v.([]any)
		for _, want := range splitList(list) {
			if !slices.ContainsFunc(items, func(x any) bool { return x == want }) {
				return Failf("/successors", "the successors "+list, renderOr(v, ok), "the problem does not name the successor council %s", want)
			}
		}
		return nil
	})
	define(sc, `^the record of "([^"]+)" names council (\d{3}) as responsible$`, func(ctx context.Context, alias, council string) error {
		w := WorldFrom(ctx)
		rec, err := w.responsibleRecord(alias)
		if err != nil {
			return err
		}
		got, ok, _ := Lookup(rec, "/responsibleLa/dfeCode")
		if got != council {
			return Failf("/responsibleLa/dfeCode", strconv.Quote(council), renderOr(got, ok), "the record names another responsible council")
		}
		return nil
	})
	define(sc, `^`+Subject+` lists? the councils$`, func(ctx context.Context, who string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/reference/local-authorities", As: actor})
		return err
	})
	define(sc, `^council (\d{3}) is listed as terminated with the successors ((?:\d{3})(?:(?:, | and )\d{3})*)$`,
		func(ctx context.Context, council, list string) error {
			w := WorldFrom(ctx)
			la, base, err := w.listedCouncil(council)
			if err != nil {
				return err
			}
			if la["status"] != "TERMINATED" {
				return Failf(base+"/status", `"TERMINATED"`, Render(la["status"]), "council %s is not listed as terminated", council)
			}
			succ, _ := la["successors"].([]any)
			for _, want := range splitList(list) {
				if !slices.ContainsFunc(succ, func(x any) bool { return x == want }) {
					return Failf(base+"/successors", "the successors "+list, Render(la["successors"]), "council %s is listed without its successor %s", council, want)
				}
			}
			return nil
		})
	define(sc, `^council (\d{3}) is listed as live$`, func(ctx context.Context, council string) error {
		la, base, err := WorldFrom(ctx).listedCouncil(council)
		if err != nil {
			return err
		}
		if la["status"] != "LIVE" {
			return Failf(base+"/status", `"LIVE"`, Render(la["status"]), "council %s is not listed as live", council)
		}
		return nil
	})
}

// listedCouncil finds council in the latest response, a list of local authorities.
func (w *World) listedCouncil(council string) (map[string]any, string, error) {
	r, err := w.Response()
	if err != nil {
		return nil, "", err
	}
	if r.Status != 200 {
		return nil, "", Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the list of councils could not be read")
	}
	v, _ := r.At("/localAuthorities")
	list, _ := v.([]any)
	for i, item := range list {
		if m, ok := item.(map[string]any); ok && m["dfeCode"] == council {
			return m, "/localAuthorities/" + strconv.Itoa(i), nil
		}
	}
	return nil, "", Failf("/localAuthorities", "an entry with dfeCode "+strconv.Quote(council), absent, "the list of councils does not include council %s", council)
}

// registerChildIDs adds the steps of ID-004: opaque, immutable, never-reused child ids.
func registerChildIDs(sc *godog.ScenarioContext) {
	define(sc, `^the children `+aliasList+` have different ids$`, func(ctx context.Context, list string) error {
		w := WorldFrom(ctx)
		seen := map[string]string{}
		for _, alias := range parseAliases(list) {
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			if other, dup := seen[c.ID]; dup {
				return Failf("/id", "a new id for each child", fmt.Sprintf("%q and %q both have the id %q", other, alias, c.ID), "two children got the same id")
			}
			seen[c.ID] = alias
		}
		return nil
	})
	define(sc, `^the ids of `+aliasList+` encode no council, date of birth, identifier, name or sequence$`, func(ctx context.Context, list string) error {
		w := WorldFrom(ctx)
		var kids []*Child
		for _, alias := range parseAliases(list) {
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			kids = append(kids, c)
		}
		return checkOpaqueIDs(kids)
	})
	define(sc, `^`+Subject+` renames? the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		name, _, _ := Lookup(c.Sent, "/name")
		renamed, err := SetAt(deepCopyJSON(name), "/family", sentValue(c, "/name/family")+"-Ashworth")
		if err != nil {
			return Configf("rename: %v", err)
		}
		return w.patchChildUnderIfMatch(ctx, who, alias, map[string]any{"name": renamed}, false)
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to change the id of the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		return w.patchChildUnderIfMatch(ctx, who, alias, map[string]any{"id": w.pseudoID("new id of " + alias)}, true)
	})
	define(sc, `^the response is the record of the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		return w.ExpectField("/id", c.ID)
	})
	define(sc, `^no record answers to the id tried for "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		tried := w.pseudoID("new id of " + alias)
		r, err := w.Send(Request{Method: "GET", Path: "/v1/children/" + tried, As: w.systemActor(c.Council), Purpose: defaultPurposes["LA_MANAGEMENT"]})
		if err != nil {
			return err
		}
		if r.Status != 404 {
			return Failf("status", "404", strconv.Itoa(r.Status)+problemHint(r), "the id the update tried to set now names a record")
		}
		return nil
	})
}

// patchChildUnderIfMatch reads the child as the actor to learn its ETag, then sends a PATCH with body
// under If-Match. invalid marks a body the scenario breaks on purpose.
func (w *World) patchChildUnderIfMatch(ctx context.Context, who, alias string, body map[string]any, invalid bool) error {
	actor, c, err := w.subjectAndChild(who, alias)
	if err != nil {
		return err
	}
	r, err := w.ReadChild(actor, alias, "")
	if err != nil {
		return err
	}
	etag := r.Header.Get("ETag")
	if r.Status != 200 || etag == "" {
		return &AssertionError{
			Message:  fmt.Sprintf("could not read the child %q for its ETag before updating it", alias),
			Pointer:  "header:ETag",
			Expected: "200 with an ETag",
			Actual:   strconv.Itoa(r.Status) + problemHint(r) + " ETag " + orAbsent(etag),
			Evidence: []*Response{r},
		}
	}
	_, err = w.Send(Request{
		Method: "PATCH", Path: "/v1/children/" + c.ID, Body: body, As: actor,
		Header: http.Header{"If-Match": {etag}}, Invalid: invalid,
	})
	return err
}

// checkOpaqueIDs checks that the ids of kids encode nothing (ID-004): no child's id contains
// its NHS number, UPN, date of birth (in the usual compact and dashed forms), its council's GSS
// code or name, or its family name; ids of children of different councils do not carry their
// DfE codes at the same place; and ids created one after the other are not consecutiveIDs
// numbers. The checks are built so that random ids (UUIDs, ULIDs) never trip them.
func checkOpaqueIDs(kids []*Child) error {
	for _, c := range kids {
		id := c.ID
		low := strings.ToLower(id)
		leaks := map[string]string{
			"NHS number":  identifierValue(c.Sent, "NHS_NUMBER"),
			"UPN":         strings.ToLower(identifierValue(c.Sent, "UPN")),
			"family name": foldedIfLong(sentValue(c, "/name/family")),
		}
		if dob, err := time.Parse(time.DateOnly, sentValue(c, "/dateOfBirth")); err == nil {
			for form, layout := range map[string]string{
				"date of birth (YYYYMMDD)": "20060102", "date of birth (YYYY-MM-DD)": "2006-01-02",
				"date of birth (DDMMYYYY)": "02012006", "date of birth (YYMMDD)": "060102", "date of birth (DDMMYY)": "020106",
			} {
				leaks[form] = dob.Format(layout)
			}
		}
		if la, ok := ident.Councils().Lookup(c.Council); ok {
			leaks["council GSS code"] = strings.ToLower(la.GssCode)
			leaks["council name"] = foldedIfLong(la.Name)
		}
		for what, v := range leaks {
			if v != "" && (strings.Contains(low, v) || strings.Contains(foldForSearch(id), v)) {
				return Failf("/id", "an id that encodes nothing", strconv.Quote(id), "the id of %q contains its %s", c.Alias, what)
			}
		}
	}
	for i, a := range kids {
		for _, b := range kids[i+1:] {
			if a.Council != b.Council && codesAtSameOffset(a.ID, a.Council, b.ID, b.Council) {
				return Failf("/id", "ids that encode no council", fmt.Sprintf("%q (council %s) and %q (council %s)", a.ID, a.Council, b.ID, b.Council),
					"the ids of %q and %q carry their councils' codes at the same place", a.Alias, b.Alias)
			}
		}
	}
	for i := 1; i < len(kids); i++ {
		if consecutiveIDs(kids[i-1].ID, kids[i].ID) {
			return Failf("/id", "ids that encode no sequence", fmt.Sprintf("%q then %q", kids[i-1].ID, kids[i].ID),
				"the ids of %q and %q, created one after the other, are consecutiveIDs numbers", kids[i-1].Alias, kids[i].Alias)
		}
	}
	return nil
}

// foldedIfLong folds a name for the id checks, or returns "" when it is too short to be told
// from chance (fewer than five letters).
func foldedIfLong(name string) string {
	if f := foldForSearch(name); len(f) >= 5 {
		return f
	}
	return ""
}

// codesAtSameOffset reports whether id a has code ca, and id b code cb, at the same offset from the
// start or from the end.
func codesAtSameOffset(a, ca, b, cb string) bool {
	for i := 0; i+len(ca) <= len(a) && i+len(cb) <= len(b); i++ {
		if a[i:i+len(ca)] == ca && b[i:i+len(cb)] == cb {
			return true
		}
	}
	for i := len(ca); i <= len(a) && i <= len(b); i++ {
		if a[len(a)-i:len(a)-i+len(ca)] == ca && b[len(b)-i:len(b)-i+len(cb)] == cb {
			return true
		}
	}
	return false
}

// consecutiveIDs reports whether two ids differ only in a short run of decimal or hexadecimal
// digits whose values are at most 1000 apart, as counters do ("CH000041", "CH000042", or a
// counter in the last group of a UUID). Random ids differ over most of their length and never
// qualify.
func consecutiveIDs(a, b string) bool {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for base, digit := range map[int]func(byte) bool{10: isASCIIDigit, 16: isHexDigit} {
		q, t := p, s
		for q > 0 && digit(a[q-1]) {
			q--
		}
		for t > 0 && digit(a[len(a)-t]) {
			t--
		}
		ma, mb := a[q:len(a)-t], b[q:len(b)-t]
		if base == 16 && max(len(ma), len(mb)) > 12 {
			continue
		}
		x, errA := strconv.ParseUint(ma, base, 63)
		y, errB := strconv.ParseUint(mb, base, 63)
		if errA != nil || errB != nil || x == y {
			continue
		}
		if d := max(x, y) - min(x, y); d <= 1000 {
			return true
		}
	}
	return false
}

func isHexDigit(c byte) bool { return isASCIIDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// registerDuplicates adds the steps of ID-005: duplicate candidates on create.
func registerDuplicates(sc *godog.ScenarioContext) {
	define(sc, `^`+Subject+` (creates?|tr(?:y|ies) to create) another child "([^"]+)" with the (verified|unverified) (NHS number|UPN) of "([^"]+)"(?: as it is stored|( written with spaces))?$`,
		func(ctx context.Context, who, verb, alias, verified, system, of, spaced string) error {
			w := WorldFrom(ctx)
			first, err := w.Child(of)
			if err != nil {
				return err
			}
			sys := identifierSystems[system]
			value := identifierValue(first.Sent, sys)
			if spaced != "" && sys == "NHS_NUMBER" && len(value) == 10 {
				value = value[:3] + " " + value[3:6] + " " + value[6:]
			}
			body, err := w.ChildBody(nil)
			if err != nil {
				return err
			}
			i := identifierAt(body, sys)
			if i < 0 {
				return Configf("the generated child has no %s", system)
			}
			body, err = SetAt(body, fmt.Sprintf("/identifiers/%d", i), map[string]any{
				"system": sys, "value": value, "status": "CURRENT", "verified": verified == "verified",
			})
			if err != nil {
				return Configf("set the %s: %v", system, err)
			}
			if strings.HasPrefix(verb, "tr") {
				return tryCreate(ctx, who, alias, body)
			}
			actor, err := w.Subject(who)
			if err != nil {
				return err
			}
			if actor == nil {
				return Configf("an anonymous caller cannot create a child")
			}
			_, err = w.sendCreate(actor, alias, body, false)
			return err
		})
	define(sc, `^the problem names "([^"]+)" as the existing record$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		return w.ExpectField("/existingId", c.ID)
	})
	define(sc, `^"([^"]+)" and "([^"]+)" are different records$`, func(ctx context.Context, a, b string) error {
		w := WorldFrom(ctx)
		ca, err := w.Child(a)
		if err != nil {
			return err
		}
		cb, err := w.Child(b)
		if err != nil {
			return err
		}
		if ca.ID == cb.ID {
			return Failf("/id", "a new id", strconv.Quote(cb.ID), "the second child was given the first child's id")
		}
		return nil
	})
}

// registerMerges adds the steps of ID-006: merging two records of one child.
func registerMerges(sc *godog.ScenarioContext) {
	define(sc, `^the child "([^"]+)" has an? ([A-Z_]+) involvement on record$`, func(ctx context.Context, alias, service string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		st, err := lookupFrom(ctx)
		if err != nil {
			return err
		}
		start := w.harnessToday().AddDate(0, -2, 0).Format(time.DateOnly)
		body := w.Gen.Involvement(service, start)
		st.involvements[alias+" "+service] = body
		return w.setUpAsCouncil(c, "/v1/children/"+c.ID+"/involvements", body, 201, "involvement", alias+" "+service)
	})
	define(sc, `^the child "([^"]+)" has an? ([A-Z_]+) indicator on record$`, func(ctx context.Context, alias, kind string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		body := map[string]any{"type": kind, "startDate": w.harnessToday().AddDate(0, -1, 0).Format(time.DateOnly)}
		switch kind {
		case "CHILD_PROTECTION_PLAN":
			body["category"] = "NEG"
		case "LOOKED_AFTER":
			body["legalStatus"] = "C2"
		case "HAS_INFORMATION_TO_SHARE":
			body["contact"] = map[string]any{"name": "Alex Synthetic", "organisation": "Synthetic Family Support (TEST)", "phone": "01632 960123"}
		default:
			return Configf("the step cannot set up a %s indicator (use CHILD_PROTECTION_PLAN, LOOKED_AFTER or HAS_INFORMATION_TO_SHARE)", kind)
		}
		return w.setUpAsCouncil(c, "/v1/children/"+c.ID+"/indicators", body, 201, "indicator", alias+" "+kind)
	})
	define(sc, `^the child "([^"]+)" is shielded by its council$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		body := map[string]any{"reasonCode": "DOMESTIC_ABUSE", "reviewDue": w.harnessToday().AddDate(0, 6, 0).Format(time.DateOnly)}
		return w.setUpAsCouncil(c, "/v1/children/"+c.ID+"/shield", body, 200, "", "")
	})
	define(sc, `^`+Subject+` (?:merges?|tr(?:y|ies) to merge) the child "([^"]+)" into the child "([^"]+)"$`,
		func(ctx context.Context, who, merged, survivor string) error {
			w := WorldFrom(ctx)
			actor, err := w.Subject(who)
			if err != nil {
				return err
			}
			m, err := w.Child(merged)
			if err != nil {
				return err
			}
			s, err := w.Child(survivor)
			if err != nil {
				return err
			}
			_, err = w.Send(Request{Method: "POST", Path: "/v1/children/" + s.ID + "/merge", Body: map[string]any{"mergedId": m.ID}, As: actor})
			return err
		})
	define(sc, `^the record of "([^"]+)" holds the identifiers of `+aliasList+`$`, func(ctx context.Context, alias, list string) error {
		w := WorldFrom(ctx)
		rec, err := w.responsibleRecord(alias)
		if err != nil {
			return err
		}
		held, _ := rec["identifiers"].([]any)
		for _, from := range parseAliases(list) {
			o, err := w.Child(from)
			if err != nil {
				return err
			}
			sent, _, _ := Lookup(o.Sent, "/identifiers")
			items, _ := sent.([]any)
			for _, item := range items {
				want, _ := item.(map[string]any)
				sys, _ := want["system"].(string)
				val, _ := want["value"].(string)
				if !slices.ContainsFunc(held, func(h any) bool {
					m, _ := h.(map[string]any)
					v, _ := m["value"].(string)
					return m["system"] == sys && sameIdentifier(sys, v, val)
				}) {
					return Failf("/identifiers", fmt.Sprintf("the %s %s of %q, CURRENT or SUPERSEDED", sys, val, from), Render(rec["identifiers"]),
						"the survivor does not hold an identifier of a merged record")
				}
			}
		}
		return nil
	})
	define(sc, `^the record of "([^"]+)" holds the former names of `+aliasList+`$`, func(ctx context.Context, alias, list string) error {
		w := WorldFrom(ctx)
		rec, err := w.responsibleRecord(alias)
		if err != nil {
			return err
		}
		held, _ := rec["formerNames"].([]any)
		for _, from := range parseAliases(list) {
			o, err := w.Child(from)
			if err != nil {
				return err
			}
			sent, _, _ := Lookup(o.Sent, "/formerNames")
			names, _ := sent.([]any)
			if len(names) == 0 {
				return Configf("the child %q was created without former names", from)
			}
			for _, n := range names {
				if !slices.ContainsFunc(held, func(h any) bool { return sameFoldedName(h, n) }) {
					return Failf("/formerNames", fmt.Sprintf("the former name %s of %q", Render(n), from), renderOr(rec["formerNames"], held != nil),
						"the survivor does not hold a former name of a merged record")
				}
			}
		}
		return nil
	})
	define(sc, `^the record of "([^"]+)" holds the ((?:[A-Z_]+)(?:(?:, | and )[A-Z_]+)*) involvements$`, func(ctx context.Context, alias, list string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		r, err := w.Send(Request{Method: "GET", Path: "/v1/children/" + c.ID + "/involvements", As: w.systemActor(c.Council), Purpose: defaultPurposes["LA_MANAGEMENT"]})
		if err != nil {
			return err
		}
		if r.Status != 200 {
			return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the council responsible for %q could not list its involvements", alias)
		}
		v, _ := r.At("/involvements")
		return holdsCodes(v, "serviceType", "/involvements", list, "involvement")
	})
	define(sc, `^the record of "([^"]+)" holds the ((?:[A-Z_]+)(?:(?:, | and )[A-Z_]+)*) indicators$`, func(ctx context.Context, alias, list string) error {
		w := WorldFrom(ctx)
		rec, err := w.responsibleRecord(alias)
		if err != nil {
			return err
		}
		return holdsCodes(rec["indicators"], "type", "/indicators", list, "indicator")
	})
	define(sc, `^the record of "([^"]+)" reads as MERGED into "([^"]+)"$`, func(ctx context.Context, alias, survivor string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		s, err := w.Child(survivor)
		if err != nil {
			return err
		}
		if _, _, err := w.readAsResponsible(c); err != nil {
			return err
		}
		if err := w.ExpectField("/status", "MERGED"); err != nil {
			return err
		}
		return w.ExpectField("/mergedInto", s.ID)
	})
	define(sc, `^the record of "([^"]+)" is shielded$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		if _, err := w.responsibleRecord(alias); err != nil {
			return err
		}
		return w.ExpectField("/shielding/shielded", true)
	})
	define(sc, `^the record of "([^"]+)" is still active and not merged$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		if _, err := w.responsibleRecord(alias); err != nil {
			return err
		}
		if err := w.ExpectField("/status", "ACTIVE"); err != nil {
			return err
		}
		return w.ExpectNoField("/mergedInto")
	})
}

// setUpAsCouncil sends a set-up request about child c as the management of its council and requires
// status want; the created thing's id is remembered as kind/name when kind is not "".
func (w *World) setUpAsCouncil(c *Child, path string, body any, want int, kind, name string) error {
	r, err := w.Send(Request{Method: map[int]string{200: "PUT", 201: "POST"}[want], Path: path, Body: body, As: w.systemActor(c.Council)})
	if err != nil {
		return err
	}
	if r.Status != want {
		return &AssertionError{
			Message:  fmt.Sprintf("could not set up the scenario: %s for the child %q was refused", path[strings.LastIndexByte(path, '/')+1:], c.Alias),
			Pointer:  "status",
			Expected: strconv.Itoa(want),
			Actual:   strconv.Itoa(r.Status) + problemHint(r),
		}
	}
	if kind != "" {
		if id, ok := r.At("/id"); ok {
			if s, ok := id.(string); ok {
				w.Remember(kind, name, s)
			}
		}
	}
	return nil
}

// holdsCodes checks that the list v holds an item whose field is each of the listed codes.
func holdsCodes(v any, field, ptr, list, what string) error {
	items, _ := v.([]any)
	for _, want := range splitList(list) {
		if !slices.ContainsFunc(items, func(x any) bool { m, _ := x.(map[string]any); return m[field] == want }) {
			return Failf(ptr, fmt.Sprintf("a %s %s", want, what), renderOr(v, v != nil), "the survivor does not hold the %s %s of a merged record", want, what)
		}
	}
	return nil
}

// sameFoldedName compares two names as decoded JSON, folded as search folds them.
func sameFoldedName(a, b any) bool {
	fold := func(n any) string {
		m, _ := n.(map[string]any)
		family, _ := m["family"].(string)
		given, _ := m["given"].([]any)
		parts := []string{foldForSearch(family)}
		for _, g := range given {
			s, _ := g.(string)
			parts = append(parts, foldForSearch(s))
		}
		return strings.Join(parts, "|")
	}
	return fold(a) == fold(b)
}

// registerSupersession adds the steps of ID-007: a superseded NHS number.
func registerSupersession(sc *godog.ScenarioContext) {
	define(sc, `^`+Subject+` replaces? the NHS number of the child "([^"]+)", marking the old one SUPERSEDED$`,
		func(ctx context.Context, who, alias string) error {
			w := WorldFrom(ctx)
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			var fresh string
			for _, id := range w.Gen.Child().Identifiers {
				if id.System == "NHS_NUMBER" {
					fresh = id.Value
				}
			}
			w.Remember("new NHS number", alias, fresh)
			sent, _, _ := Lookup(c.Sent, "/identifiers")
			ids := deepCopyJSON(sent).([]any)
			for _, item := range ids {
				if m, _ := item.(map[string]any); m["system"] == "NHS_NUMBER" {
					m["status"] = "SUPERSEDED"
				}
			}
			ids = append(ids, map[string]any{"system": "NHS_NUMBER", "value": fresh, "status": "CURRENT", "verified": true})
			return w.patchChildUnderIfMatch(ctx, who, alias, map[string]any{"identifiers": ids}, false)
		})
	define(sc, `^the result for "([^"]+)" shows its (old|new) NHS number as (SUPERSEDED|CURRENT)$`,
		func(ctx context.Context, alias, which, status string) error {
			w := WorldFrom(ctx)
			value, rec, base, err := w.nhsOfRecord(alias, which)
			if err != nil {
				return err
			}
			items, _ := rec["identifiers"].([]any)
			for i, item := range items {
				m, _ := item.(map[string]any)
				v, _ := m["value"].(string)
				if m["system"] != "NHS_NUMBER" || !sameIdentifier("NHS_NUMBER", v, value) {
					continue
				}
				got, _ := m["status"].(string)
				if got == "" {
					got = "CURRENT"
				}
				if got != status {
					return Failf(fmt.Sprintf("%s/identifiers/%d/status", base, i), strconv.Quote(status), strconv.Quote(got), "the %s NHS number has the wrong status", which)
				}
				return nil
			}
			return Failf(base+"/identifiers", fmt.Sprintf("the %s NHS number, %s", which, status), renderOr(rec["identifiers"], rec["identifiers"] != nil),
				"the record does not show the %s NHS number", which)
		})
	define(sc, `^the result for "([^"]+)" shows its new NHS number as the only current one$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		value, rec, base, err := w.nhsOfRecord(alias, "new")
		if err != nil {
			return err
		}
		var current []string
		items, _ := rec["identifiers"].([]any)
		for _, item := range items {
			m, _ := item.(map[string]any)
			if st, _ := m["status"].(string); m["system"] == "NHS_NUMBER" && (st == "" || st == "CURRENT") {
				v, _ := m["value"].(string)
				current = append(current, v)
			}
		}
		if len(current) != 1 || !sameIdentifier("NHS_NUMBER", current[0], value) {
			return Failf(base+"/identifiers", "one CURRENT NHS number, the new one "+value, fmt.Sprintf("CURRENT NHS numbers %v", current),
				"the record does not show the new NHS number as the only current one")
		}
		return nil
	})
}

// nhsOfRecord returns the old or new NHS number of a child and its record in the latest
// response.
func (w *World) nhsOfRecord(alias, which string) (string, map[string]any, string, error) {
	c, err := w.Child(alias)
	if err != nil {
		return "", nil, "", err
	}
	value := identifierValue(c.Sent, "NHS_NUMBER")
	if which == "new" {
		if value, err = w.Recall("new NHS number", alias); err != nil {
			return "", nil, "", err
		}
	}
	r, err := w.Response()
	if err != nil {
		return "", nil, "", err
	}
	rec, base, err := recordIn(r, c.ID)
	return value, rec, base, err
}
