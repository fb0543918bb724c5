package steps

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/spec"
)

// This file holds the identifier steps (ID-001, ID-002) and what the search (SEARCH) and read
// (READ) steps share with them: creates a scenario expects to be refused, finding one child's
// record in a response, and the values a child was created with.

// lookupState is the part of a scenario's state that the identity, search and read steps
// share (World.lookup).
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
	st := WorldFrom(ctx).lookup
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

// registerIdentity adds the steps of the identity requirements (ID-001..ID-007), one file a
// concern: identifiers here (ID-001, ID-002), councils in identity_councils.go (ID-003), child
// ids in identity_ids.go (ID-004), duplicates and merges in identity_merges.go (ID-005,
// ID-006), supersession in identity_supersession.go (ID-007):
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
func registerIdentity(sc glossary) {
	registerIdentifierChecks(sc)
	registerCouncilChecks(sc)
	registerChildIDs(sc)
	registerDuplicates(sc)
	registerMerges(sc)
	registerSupersession(sc)
}

// registerIdentifierChecks adds the steps of ID-001 and ID-002, and the checks of refused
// creates that other requirements share.
func registerIdentifierChecks(sc glossary) {
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
		w := WorldFrom(ctx)
		return w.expectNotCreated(w.lookup, alias)
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
	refusal := w.Last
	r, err := w.searchChildren(w.systemActor(a.actor.Council), query)
	if err != nil {
		return err
	}
	list, err := searchResults(r)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		evidence := []*Response{r}
		if refusal != nil {
			evidence = []*Response{refusal, r}
		}
		return &AssertionError{
			Message: "a search finds a record created from the refused request", Pointer: "/results",
			Expected: "no records", Actual: fmt.Sprintf("%d records %v", len(list), resultIDs(list)), Evidence: evidence,
		}
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
