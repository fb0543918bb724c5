package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// This file holds the steps about involvements (INV-001..INV-004) and what the steps of
// indicators.go, shielding.go and consent.go share with them: the record of what a scenario
// sent, relative dates and field-error checks.

// scenarioRecord is something a scenario created through the API under a name: an
// involvement, an indicator or a consent.
type scenarioRecord struct {
	Name  string         // the scenario's name for it
	Child string         // alias of the child it belongs to
	ID    string         // the id the target returned; "" until created
	Body  map[string]any // the request body it was created with
	// Actor is who created it.
	Actor *Actor
	// Response is the created resource as the target returned it.
	Response map[string]any
}

// scenarioRecords is what the scenario sent, by kind ("involvement", "indicator", "consent")
// and name, plus strings that must stay hidden on a child's shielded record besides those it
// was created with.
type scenarioRecords struct {
	byKind map[string]map[string]*scenarioRecord
	extra  map[string][]string // child alias → further locating strings sent later
	// addresses holds the address a child was last given by an update, by child alias.
	addresses map[string]map[string]any
}

func (r *scenarioRecords) put(kind string, s *scenarioRecord) {
	if r.byKind[kind] == nil {
		r.byKind[kind] = map[string]*scenarioRecord{}
	}
	r.byKind[kind][s.Name] = s
}

// get returns what the scenario sent as kind name. A name the scenario never sent is a suite
// defect; one the target did not create is a failure (the step that sent it has the exchange).
func (r *scenarioRecords) get(kind, name string) (*scenarioRecord, error) {
	s, ok := r.byKind[kind][name]
	if !ok {
		return nil, Configf("no %s named %q was sent in this scenario", kind, name)
	}
	if s.ID == "" {
		return nil, Failf("status", "201 with an id", "no "+kind+" created",
			"the %s %q was not created, so it cannot be checked (see the request that sent it)", kind, name)
	}
	return s, nil
}

// relDatePattern is the regular expression fragment for a date relative to the harness's today:
// "today", "yesterday", "tomorrow", "30 days ago", "2 years ago", "60 days from now".
const relDatePattern = `(today|yesterday|tomorrow|\d+ (?:days?|months?|years?) (?:ago|from now))`

var relDateRe = regexp.MustCompile(`^` + relDatePattern + `$`)

// relDate returns the calendar date (YYYY-MM-DD, UTC) a match of relDatePattern names.
func (w *World) relDate(expr string) (string, error) {
	today := w.Now().UTC()
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	switch expr {
	case "today":
		return today.Format(time.DateOnly), nil
	case "yesterday":
		return today.AddDate(0, 0, -1).Format(time.DateOnly), nil
	case "tomorrow":
		return today.AddDate(0, 0, 1).Format(time.DateOnly), nil
	}
	f := strings.Fields(expr)
	if len(f) < 3 || !relDateRe.MatchString(expr) {
		return "", Configf("%q is not a relative date (e.g. \"30 days ago\", \"60 days from now\")", expr)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return "", Configf("%q is not a relative date: %v", expr, err)
	}
	if f[2] == "ago" {
		n = -n
	}
	var d time.Time
	switch strings.TrimSuffix(f[1], "s") {
	case "day":
		d = today.AddDate(0, 0, n)
	case "month":
		d = today.AddDate(0, n, 0)
	default:
		d = today.AddDate(n, 0, 0)
	}
	return d.Format(time.DateOnly), nil
}

// tableOverrides reads a data table of JSON Pointers and values (see ParseOverrides). A
// string value may name a relative date ("30 days ago") and may refer to remembered ids
// ("{child:Bea}").
func (w *World) tableOverrides(t *godog.Table) ([]Override, error) {
	overrides, err := ParseOverrides(t)
	if err != nil {
		return nil, err
	}
	for i, o := range overrides {
		s, ok := o.Value.(string)
		if !ok {
			continue
		}
		if s, err = w.Expand(s); err != nil {
			return nil, err
		}
		if relDateRe.MatchString(s) {
			if s, err = w.relDate(s); err != nil {
				return nil, err
			}
		}
		overrides[i].Value = s
	}
	return overrides, nil
}

// bodyObject converts a generated request body to a decoded JSON object.
func bodyObject(v any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, Configf("encode request body: %v", err)
	}
	doc, err := decodeJSON(data)
	if err != nil {
		return nil, Configf("decode request body: %v", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, Configf("request body is not an object")
	}
	return m, nil
}

// tableOverridden applies the data table t (see tableOverrides) to body and returns the object.
func (w *World) tableOverridden(body map[string]any, t *godog.Table) (map[string]any, error) {
	overrides, err := w.tableOverrides(t)
	if err != nil {
		return nil, err
	}
	return overriddenObject(body, overrides)
}

// overriddenObject applies overrides to body and returns the object.
func overriddenObject(body map[string]any, overrides []Override) (map[string]any, error) {
	doc, err := ApplyOverrides(body, overrides)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, Configf("the overrides replaced the whole request body")
	}
	return m, nil
}

// createdResource returns the body of a 201 response as an object with its id.
func createdResource(r *Response) (map[string]any, string) {
	doc, err := r.JSON()
	if err != nil || r.Status != 201 {
		return nil, ""
	}
	m, _ := doc.(map[string]any)
	id, _ := m["id"].(string)
	return m, id
}

// givenFailure explains that a Given step could not create what the scenario needs.
func givenFailure(r *Response, what string) error {
	return &AssertionError{
		Message:  "could not " + what + " to set up the scenario",
		Pointer:  "status",
		Expected: "201 with an id",
		Actual:   strconv.Itoa(r.Status) + problemHint(r),
	}
}

// ExpectFieldErrorAt checks that the latest response is 422 with a field error at ptr (or
// inside it: "/organisation/contact/phone" is inside "/organisation/contact"), with code when
// code is not "".
func (w *World) ExpectFieldErrorAt(ptr, code string) error {
	if err := w.ExpectStatus(422); err != nil {
		return err
	}
	r := w.Last
	if mt := r.MediaType(); mt != "application/problem+json" {
		// Whether the refusal is for the right field cannot be told; the error format is
		// ERR-001's business.
		return Attribute(&AssertionError{
			Message:  "the error response is not a problem document",
			Pointer:  "header:Content-Type",
			Expected: "application/problem+json with a field error at " + ptr,
			Actual:   orAbsent(r.Header.Get("Content-Type")),
		}, ErrorFormatRequirement)
	}
	var p struct {
		Errors []struct {
			Pointer string `json:"pointer"`
			Code    string `json:"code"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &p)
	var got []string
	for _, fe := range p.Errors {
		if fe.Pointer == ptr || strings.HasPrefix(fe.Pointer, ptr+"/") {
			if code == "" || fe.Code == code {
				return nil
			}
		}
		got = append(got, fe.Pointer+" "+fe.Code)
	}
	want := "a field error at " + ptr
	if code != "" {
		want += " with code " + code
	}
	actual := absent
	if len(got) > 0 {
		actual = strings.Join(got, ", ")
	}
	return Failf("/errors", want, actual, "the refusal does not name the field")
}

// addInvolvement sends a new involvement of service to child as actor: the generator's
// involvement starting on start, changed by overrides. It remembers the involvement as name
// when the target creates it.
func (w *World) addInvolvement(ctx context.Context, actor *Actor, service, name, alias, start string, overrides []Override, invalid bool) (*Response, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	if start == "" {
		start = "today"
	}
	date, err := w.relDate(start)
	if err != nil {
		return nil, err
	}
	body, err := bodyObject(w.Gen.Involvement(service, date))
	if err != nil {
		return nil, err
	}
	if body, err = overriddenObject(body, overrides); err != nil {
		return nil, err
	}
	r, _, err := w.createChildResource(ctx, actor, c, "involvement", name, body, invalid)
	return r, err
}

// createChildResource POSTs body as actor to the collection of kind ("consent", "indicator",
// "involvement": /v1/children/{id}/<kind>s) of the child c. When
// name is not "", it files what was sent and answered as the scenario's record of kind named
// name, and remembers the new id when the target answered one. It returns the response and
// that id ("" when there is none).
func (w *World) createChildResource(ctx context.Context, actor *Actor, c *Child, kind, name string, body map[string]any, invalid bool) (*Response, string, error) {
	r, err := w.Send(Request{Method: "POST", Path: "/v1/children/" + c.ID + "/" + kind + "s", Body: body, As: actor, Invalid: invalid})
	if err != nil {
		return nil, "", err
	}
	if name == "" {
		return r, "", nil
	}
	m, id := createdResource(r)
	WorldFrom(ctx).records.put(kind, &scenarioRecord{Name: name, Child: c.Alias, ID: id, Body: body, Actor: actor, Response: m})
	if id != "" {
		w.Remember(kind, name, id)
	}
	return r, id, nil
}

// listInvolvements lists a child's involvements as actor with the role's default purpose.
func (w *World) listInvolvements(actor *Actor, alias string) (*Response, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	purpose := ""
	if actor != nil {
		purpose = defaultPurposes[actor.Role]
	}
	return w.Send(Request{Method: "GET", Path: "/v1/children/" + c.ID + "/involvements", As: actor, Purpose: purpose})
}

// managementList lists a child's involvements as the management of its responsible council,
// who sees every involvement in full.
func (w *World) managementList(alias string) ([]map[string]any, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	r, err := w.listInvolvements(w.systemActor(c.Council), alias)
	if err != nil {
		return nil, err
	}
	return involvementEntries(r)
}

// involvementEntries reads the entries of an involvement list response.
func involvementEntries(r *Response) ([]map[string]any, error) {
	return okObjectsAt(r, "involvements", "the child's involvements could not be listed", "the involvement list cannot be read",
		"an object with an involvements array")
}

// okObjectsAt returns the objects of the array member name of r's body (see objectsAt). An
// answer other than 200 fails with notRead; a body without such an array fails with unreadable
// and expected, what the body should have been.
func okObjectsAt(r *Response, name, notRead, unreadable, expected string) ([]map[string]any, error) {
	if r.Status != 200 {
		return nil, &AssertionError{
			Message: notRead, Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: []*Response{r},
		}
	}
	list, err := objectsAt(r, name)
	if err != nil {
		return nil, &AssertionError{
			Message: unreadable, Pointer: "/" + name,
			Expected: expected, Actual: err.Error(), Evidence: []*Response{r},
		}
	}
	return list, nil
}

// objectsAt returns the objects of the array member name of r's body, numbers as
// json.Number; a missing member is an empty array.
func objectsAt(r *Response, name string) ([]map[string]any, error) {
	doc, err := r.JSON()
	if err != nil {
		return nil, err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	v, ok := top[name]
	if !ok || v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, not an array", name, jsonKind(v))
	}
	out := make([]map[string]any, 0, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is a %s, not an object", name, i, jsonKind(x))
		}
		out = append(out, m)
	}
	return out, nil
}

// invEntryByID returns the list entry with id and its index.
func invEntryByID(list []map[string]any, id string) (map[string]any, int) {
	for i, e := range list {
		if e["id"] == id {
			return e, i
		}
	}
	return nil, -1
}

// subjectAndRecord resolves a step's subject (see Subject) and then the scenario's record of
// kind named name.
func (w *World) subjectAndRecord(ctx context.Context, who, kind, name string) (*Actor, *scenarioRecord, error) {
	actor, err := w.Subject(who)
	if err != nil {
		return nil, nil, err
	}
	s, err := WorldFrom(ctx).records.get(kind, name)
	if err != nil {
		return nil, nil, err
	}
	return actor, s, nil
}

// latestEntry finds the scenario's record of kind named name among the entries that entries
// reads from the latest response. It returns the entry and its index (nil and -1 when the
// response does not show it) and the record.
func (w *World) latestEntry(ctx context.Context, kind, name string, entries func(*Response) ([]map[string]any, error)) (map[string]any, int, *scenarioRecord, error) {
	s, err := WorldFrom(ctx).records.get(kind, name)
	if err != nil {
		return nil, 0, nil, err
	}
	r, err := w.Response()
	if err != nil {
		return nil, 0, nil, err
	}
	list, err := entries(r)
	if err != nil {
		return nil, 0, nil, err
	}
	e, i := invEntryByID(list, s.ID)
	return e, i, s, nil
}

// stillCurrent reports whether something with this end date is current on the harness's
// today: it has no end date, or one in the future.
func (w *World) stillCurrent(end any) bool {
	if end == nil {
		return true
	}
	d, ok := calendarDate(end)
	if !ok {
		return false
	}
	today, _ := w.relDate("today")
	return d > today
}

// calendarDate reads a date the way a person would: YYYY-MM-DD, an instant starting with one,
// or DD/MM/YYYY. Whether a system writes dates in the contract's format is READ-004's business,
// not that of the requirement a step checks, so steps compare dates through it.
func calendarDate(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	if t, err := time.Parse("02/01/2006", s); err == nil {
		return t.Format(time.DateOnly), true
	}
	return "", false
}

// sameDate reports whether got is the calendar date want (YYYY-MM-DD).
func sameDate(got any, want string) bool {
	d, ok := calendarDate(got)
	return ok && d == want
}

// involvementVersion returns the current version of an involvement as an entity tag, from
// the responsible council's management's list (the involvement may have changed since it was
// created), else from its creation.
func (w *World) involvementVersion(s *scenarioRecord) (string, error) {
	list, err := w.managementList(s.Child)
	if err == nil {
		if e, _ := invEntryByID(list, s.ID); e != nil {
			if v, ok := e["version"].(json.Number); ok {
				return strconv.Quote(v.String()), nil
			}
		}
	}
	if v, ok := s.Response["version"].(json.Number); ok {
		return strconv.Quote(v.String()), nil
	}
	return "", Failf("/version", "a version", absent, "the involvement %q has no version to send in If-Match", s.Name)
}

// patchInvolvement sends a PATCH of the named involvement as actor, with If-Match of its
// current version.
func (w *World) patchInvolvement(ctx context.Context, who, name string, body map[string]any) error {
	actor, s, err := w.subjectAndRecord(ctx, who, "involvement", name)
	if err != nil {
		return err
	}
	etag, err := w.involvementVersion(s)
	if err != nil {
		return err
	}
	_, err = w.Send(Request{
		Method: "PATCH", Path: "/v1/involvements/" + s.ID, Body: body, As: actor,
		Header: map[string][]string{"If-Match": {etag}},
	})
	return err
}

// lastEntry returns the latest response's list entry for the named involvement.
func (w *World) lastEntry(ctx context.Context, name string) (map[string]any, int, *scenarioRecord, error) {
	e, i, s, err := w.latestEntry(ctx, "involvement", name, involvementEntries)
	if err != nil {
		return nil, 0, nil, err
	}
	if e == nil {
		return nil, 0, s, Failf("/involvements", fmt.Sprintf("an entry with id %q (the involvement %q)", s.ID, name), absent,
			"the list does not show the involvement %q", name)
	}
	return e, i, s, nil
}

// replacementOrganisation is the organisation name the change steps send.
const replacementOrganisation = "Synthetic Replacement Service (TEST)"

// brokeredMembers are the members the brokered form of an involvement never has.
var brokeredMembers = []string{"organisation", "practitioner", "disclosureBasis", "consentRef"}

// providerStrings returns the provider details an involvement was created with, for searching
// response bodies: the organisation's and the practitioner's names and email addresses, and
// with phones their telephone numbers too.
func providerStrings(s *scenarioRecord, phones bool) []string {
	var out []string
	add := func(ptr string) {
		if v, ok, _ := Lookup(s.Body, ptr); ok {
			if str, ok := v.(string); ok && str != "" {
				out = append(out, str)
			}
		}
	}
	add("/organisation/name")
	add("/organisation/contact/email")
	add("/practitioner/name")
	add("/practitioner/contact/email")
	if phones {
		add("/organisation/contact/phone")
		add("/practitioner/contact/phone")
	}
	return out
}

// ExpectNoneOfTexts checks that none of texts occurs anywhere in the latest response body;
// what names the texts in the failure.
func (w *World) ExpectNoneOfTexts(what string, texts ...string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	for _, t := range texts {
		if t != "" && strings.Contains(string(r.Body), t) {
			return Failf("", what+" nowhere in the body", strconv.Quote(t)+" in the body",
				"the response discloses %s", what)
		}
	}
	return nil
}

// registerRecords adds the steps about what is recorded on a child's record besides the child:
// involvements, indicators, shielding and consents (INV, FLAG, SENS, CONSENT).
func registerRecords(sc glossary) {
	registerInvolvements(sc)
	registerIndicators(sc)
	registerShielding(sc)
	registerConsent(sc)
}

// registerInvolvements adds the steps about involvements and installs the scenario's records:
//
//	Given "Gita" has added a "GP" involvement "gp" to "Amara" starting 30 days ago
//	When "Gita" adds a "GP" involvement "gp" to "Amara" starting 30 days ago with:
//	  | /endDate | 10 days ago |
//	When "Gita" tries to add an involvement to "Amara" with:
//	  | /serviceType | (absent) |
//	When "Chidi" adds a "SENSITIVE_SEXUAL_HEALTH" involvement "clinic" to "Amara" on the basis of consent "c"
//	When "Gita" ends the involvement "gp" with the end date yesterday
//	When "Tom" tries to change the organisation of the involvement "gp"
//	When "Gita" tries to delete the involvement "gp"
//	When "Sam" lists the involvements of "Amara"
//	Then it is refused as invalid at "/organisation/name"
//	Then it is refused as invalid with "DATE_ORDER" at "/endDate"
//	Then the deletion is refused
//	Then the list shows the involvement "gp" starting 30 days ago
//	Then the list shows the involvement "gp" with the end date yesterday
//	Then the list shows the involvement "gp" in full
//	Then the response shows the involvement with the end date yesterday
//	Then the list shows the involvement "camhs" in brokered form
//	Then the list does not show the involvement "clinic"
//	Then no provider details of the involvement "camhs" appear in the response
//	Then no involvement is recorded for "Amara"
//	Then the involvement "gp" is still current
//	Then the involvement "gp" is recorded with the end date yesterday
//	Then the organisation of the involvement "gp" is unchanged
//	Then the responsible council's management sees the involvement "camhs" in full
//	Then "Amara" has exactly one current GP practice
func registerInvolvements(sc glossary) {
	const add = `^` + Subject + ` (adds?|has added|have added|tries to add|try to add) an? (?:"([A-Z_]+)" )?involvement(?: "([^"]+)")? to "([^"]+)"(?: starting ` + relDatePattern + `)?(?: on the basis of consent "([^"]+)")?`
	addStep := func(ctx context.Context, who, verb, service, name, alias, start, consent string, t *godog.Table) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		overrides, err := w.tableOverrides(t)
		if err != nil {
			return err
		}
		if consent != "" {
			c, err := WorldFrom(ctx).records.get("consent", consent)
			if err != nil {
				return err
			}
			overrides = append([]Override{{Pointer: "/disclosureBasis", Value: "CONSENT"}, {Pointer: "/consentRef", Value: c.ID}}, overrides...)
		}
		if service == "" {
			service = "GP"
		}
		setup := strings.Contains(verb, "added")
		if setup && name == "" {
			return Configf("name the involvement a Given step adds, e.g. an involvement \"gp\"")
		}
		r, err := w.addInvolvement(ctx, actor, service, name, alias, start, overrides, strings.HasPrefix(verb, "tr"))
		if err != nil {
			return err
		}
		if setup && r.Status != 201 {
			return givenFailure(r, fmt.Sprintf("add the %s involvement %q", service, name))
		}
		return nil
	}
	define(sc, add+`$`, func(ctx context.Context, who, verb, service, name, alias, start, consent string) error {
		return addStep(ctx, who, verb, service, name, alias, start, consent, nil)
	})
	define(sc, add+` with:$`, addStep)

	define(sc, `^`+Subject+` ends? the involvement "([^"]+)" with the end date `+relDatePattern+`$`,
		func(ctx context.Context, who, name, date string) error {
			w := WorldFrom(ctx)
			d, err := w.relDate(date)
			if err != nil {
				return err
			}
			return w.patchInvolvement(ctx, who, name, map[string]any{"endDate": d})
		})
	define(sc, `^`+Subject+` (?:tries to change|try to change|changes?) the organisation of the involvement "([^"]+)"$`,
		func(ctx context.Context, who, name string) error {
			w := WorldFrom(ctx)
			return w.patchInvolvement(ctx, who, name, map[string]any{"organisation": map[string]any{
				"name":    replacementOrganisation,
				"contact": map[string]any{"phone": "01632 960999"},
			}})
		})
	define(sc, `^`+Subject+` tr(?:y|ies) to delete the involvement "([^"]+)"$`, func(ctx context.Context, who, name string) error {
		w := WorldFrom(ctx)
		actor, s, err := w.subjectAndRecord(ctx, who, "involvement", name)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "DELETE", Path: "/v1/involvements/" + s.ID, As: actor, Invalid: true})
		return err
	})
	define(sc, `^`+Subject+` lists? the involvements of "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.listInvolvements(actor, alias)
		return err
	})

	define(sc, `^it is refused as invalid at "([^"]*)"$`, func(ctx context.Context, ptr string) error {
		return WorldFrom(ctx).ExpectFieldErrorAt(ptr, "")
	})
	define(sc, `^it is refused as invalid with "([A-Z_]+)" at "([^"]*)"$`, func(ctx context.Context, code, ptr string) error {
		return WorldFrom(ctx).ExpectFieldErrorAt(ptr, code)
	})
	define(sc, `^the deletion is refused$`, step(func(w *World) error {
		r, err := w.Response()
		if err != nil {
			return err
		}
		if r.Status < 300 {
			return Failf("status", "a refusal (405 METHOD_NOT_ALLOWED)", strconv.Itoa(r.Status), "the involvement was deleted")
		}
		return nil
	}))

	define(sc, `^the list shows the involvement "([^"]+)"(?: starting `+relDatePattern+`)?$`, func(ctx context.Context, name, start string) error {
		w := WorldFrom(ctx)
		e, i, _, err := w.lastEntry(ctx, name)
		if err != nil || start == "" {
			return err
		}
		d, err := w.relDate(start)
		if err != nil {
			return err
		}
		if !sameDate(e["startDate"], d) {
			return Failf(fmt.Sprintf("/involvements/%d/startDate", i), strconv.Quote(d), Render(e["startDate"]), "the involvement %q has another start date", name)
		}
		return nil
	})
	define(sc, `^the list shows the involvement "([^"]+)" with the end date `+relDatePattern+`$`, func(ctx context.Context, name, end string) error {
		w := WorldFrom(ctx)
		e, i, _, err := w.lastEntry(ctx, name)
		if err != nil {
			return err
		}
		d, err := w.relDate(end)
		if err != nil {
			return err
		}
		if !sameDate(e["endDate"], d) {
			return Failf(fmt.Sprintf("/involvements/%d/endDate", i), strconv.Quote(d), memberOrAbsent(e, "endDate"),
				"the involvement %q is not listed with its end date", name)
		}
		return nil
	})
	define(sc, `^the response shows the involvement with the end date `+relDatePattern+`$`, func(ctx context.Context, end string) error {
		w := WorldFrom(ctx)
		d, err := w.relDate(end)
		if err != nil {
			return err
		}
		r, err := w.Response()
		if err != nil {
			return err
		}
		got, ok := r.At("/endDate")
		if !ok || !sameDate(got, d) {
			actual := absent
			if ok {
				actual = Render(got)
			}
			return Failf("/endDate", strconv.Quote(d), actual, "the involvement does not have the end date it was given")
		}
		return nil
	})
	define(sc, `^the list shows the involvement "([^"]+)" in full$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, s, err := w.lastEntry(ctx, name)
		if err != nil {
			return err
		}
		return expectInvolvementInFull(e, i, s)
	})
	define(sc, `^the list shows the involvement "([^"]+)" in brokered form$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, _, err := w.lastEntry(ctx, name)
		if err != nil {
			return err
		}
		at := fmt.Sprintf("/involvements/%d", i)
		for _, m := range brokeredMembers {
			if v, ok := e[m]; ok {
				return Failf(at+"/"+m, absent, Render(v), "the involvement %q is shown with its %s instead of in brokered form", name, m)
			}
		}
		if e["contactVia"] != "LA_MANAGEMENT" {
			return Failf(at+"/contactVia", `"LA_MANAGEMENT"`, memberOrAbsent(e, "contactVia"),
				"the brokered involvement %q does not say that contact goes through the council's management", name)
		}
		return nil
	})
	define(sc, `^the list does not show the involvement "([^"]+)"$`, func(ctx context.Context, name string) error {
		e, i, _, err := WorldFrom(ctx).latestEntry(ctx, "involvement", name, involvementEntries)
		if err != nil {
			return err
		}
		if e != nil {
			return Failf(fmt.Sprintf("/involvements/%d", i), "no entry for the involvement "+strconv.Quote(name), Render(e),
				"the list still shows the involvement %q", name)
		}
		return nil
	})
	define(sc, `^no provider details of the involvement "([^"]+)" appear in the response$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		s, err := WorldFrom(ctx).records.get("involvement", name)
		if err != nil {
			return err
		}
		r, err := w.Response()
		if err != nil {
			return err
		}
		phones := r.Operation == "listInvolvements" || r.Operation == "addInvolvement"
		return w.ExpectNoneOfTexts(fmt.Sprintf("the provider details of the involvement %q", name), providerStrings(s, phones)...)
	})

	define(sc, `^no involvement is recorded for "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		list, err := w.managementList(alias)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			return Failf("/involvements", "no involvements", Render(list[0]), "a refused involvement was stored anyway (seen by the council's management)")
		}
		return nil
	})
	define(sc, `^the involvement "([^"]+)" is (?:still )?current$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, _, err := w.managementEntry(ctx, name)
		if err != nil {
			return err
		}
		if !w.stillCurrent(e["endDate"]) {
			return Failf(fmt.Sprintf("/involvements/%d/endDate", i), "no end date, or one in the future", Render(e["endDate"]),
				"the involvement %q has been ended", name)
		}
		return nil
	})
	define(sc, `^the involvement "([^"]+)" is recorded with the end date `+relDatePattern+`$`, func(ctx context.Context, name, end string) error {
		w := WorldFrom(ctx)
		d, err := w.relDate(end)
		if err != nil {
			return err
		}
		e, i, _, err := w.managementEntry(ctx, name)
		if err != nil {
			return err
		}
		if !sameDate(e["endDate"], d) {
			return Failf(fmt.Sprintf("/involvements/%d/endDate", i), strconv.Quote(d), memberOrAbsent(e, "endDate"),
				"the involvement %q does not have the expected end date", name)
		}
		return nil
	})
	define(sc, `^the organisation of the involvement "([^"]+)" is unchanged$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, s, err := w.managementEntry(ctx, name)
		if err != nil {
			return err
		}
		return expectInvolvementInFull(e, i, s)
	})
	define(sc, `^the involvement "([^"]+)" is recorded with the new organisation$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, _, err := w.managementEntry(ctx, name)
		if err != nil {
			return err
		}
		if got, _, _ := Lookup(e, "/organisation/name"); got != replacementOrganisation {
			return Failf(fmt.Sprintf("/involvements/%d/organisation/name", i), strconv.Quote(replacementOrganisation), Render(got),
				"the change of organisation of the involvement %q was not kept", name)
		}
		return nil
	})
	define(sc, `^the responsible council's management sees the involvement "([^"]+)" in full$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		e, i, s, err := w.managementEntry(ctx, name)
		if err != nil {
			return err
		}
		return expectInvolvementInFull(e, i, s)
	})
	define(sc, `^"([^"]+)" has exactly one current (GP practice|main school)$`, func(ctx context.Context, alias, kind string) error {
		w := WorldFrom(ctx)
		list, err := w.managementList(alias)
		if err != nil {
			return err
		}
		var currents []string
		for _, e := range list {
			of := e["serviceType"] == "GP"
			if kind == "main school" {
				of = e["serviceType"] == "EDUCATION" && e["isMainSchool"] == true
			}
			if of && w.stillCurrent(e["endDate"]) {
				id, _ := e["id"].(string)
				currents = append(currents, id)
			}
		}
		if len(currents) != 1 {
			return Failf("/involvements", "exactly one current "+kind, fmt.Sprintf("%d current: %s", len(currents), strings.Join(currents, ", ")),
				"the child does not have exactly one current %s", kind)
		}
		return nil
	})
}

// managementEntry finds the named involvement in the list of the responsible council's
// management.
func (w *World) managementEntry(ctx context.Context, name string) (map[string]any, int, *scenarioRecord, error) {
	s, err := WorldFrom(ctx).records.get("involvement", name)
	if err != nil {
		return nil, 0, nil, err
	}
	list, err := w.managementList(s.Child)
	if err != nil {
		return nil, 0, nil, err
	}
	e, i := invEntryByID(list, s.ID)
	if e == nil {
		return nil, 0, s, Failf("/involvements", fmt.Sprintf("an entry with id %q", s.ID), absent,
			"the involvement %q is no longer listed, even to the responsible council's management", name)
	}
	return e, i, s, nil
}

// expectInvolvementInFull checks that list entry e (at index i) shows the organisation s was created with.
func expectInvolvementInFull(e map[string]any, i int, s *scenarioRecord) error {
	want, _, _ := Lookup(s.Body, "/organisation/name")
	got, _, _ := Lookup(e, "/organisation/name")
	if !JSONEqual(got, want) {
		actual := absent
		if got != nil {
			actual = Render(got)
		}
		return Failf(fmt.Sprintf("/involvements/%d/organisation/name", i), Render(want), actual,
			"the involvement %q is not shown with its organisation", s.Name)
	}
	return nil
}

// memberOrAbsent renders member k of e, or "(absent)".
func memberOrAbsent(e map[string]any, k string) string {
	if v, ok := e[k]; ok {
		return Render(v)
	}
	return absent
}
