package steps

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/fixtures"
)

// This file holds the steps about consents (CONSENT-001..CONSENT-003): recording, reading
// and withdrawing them, and children whose age decides whether their record is archived.

// consentFields are the members of a consent that never change after it is recorded.
var consentFields = []string{"scope", "givenBy", "givenOn", "recordedBy"}

// readConsentAsManagement reads a consent as the management of its child's responsible
// council.
func (w *World) readConsentAsManagement(s *scenarioRecord) (*Response, error) {
	c, err := w.Child(s.Child)
	if err != nil {
		return nil, err
	}
	r, err := w.Send(Request{Method: "GET", Path: "/v1/consents/" + s.ID, As: w.systemActor(c.Council)})
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, &AssertionError{
			Message: "the consent could not be read by the council's management", Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: []*Response{r},
		}
	}
	return r, nil
}

// expectConsent checks that the consent in r has the scope, giver and date it was recorded
// with, recordedBy sub, and withdrawnOn withdrawn ("" for none).
func expectConsent(r *Response, s *scenarioRecord, sub, withdrawn string) error {
	want := map[string]any{"scope": s.Body["scope"], "givenBy": s.Body["givenBy"], "givenOn": s.Body["givenOn"], "recordedBy": sub}
	for _, k := range consentFields {
		got, ok := r.At("/" + k)
		same := ok && got == want[k]
		if k == "givenOn" {
			same = ok && sameDate(got, want[k].(string))
		}
		if !same {
			actual := absent
			if ok {
				actual = Render(got)
			}
			return &AssertionError{
				Message: fmt.Sprintf("the consent %q does not show its %s as recorded", s.Name, k), Pointer: "/" + k,
				Expected: Render(want[k]), Actual: actual, Evidence: []*Response{r},
			}
		}
	}
	got, ok := r.At("/withdrawnOn")
	switch {
	case withdrawn == "" && ok:
		return &AssertionError{
			Message: fmt.Sprintf("the consent %q shows a withdrawal it never had", s.Name), Pointer: "/withdrawnOn",
			Expected: absent, Actual: Render(got), Evidence: []*Response{r},
		}
	case withdrawn != "" && !sameDate(got, withdrawn):
		actual := absent
		if ok {
			actual = Render(got)
		}
		return &AssertionError{
			Message: fmt.Sprintf("the consent %q does not show when it was withdrawn", s.Name), Pointer: "/withdrawnOn",
			Expected: strconv.Quote(withdrawn), Actual: actual, Evidence: []*Response{r},
		}
	}
	return nil
}

// registerConsent adds the steps about consents and children of a given age:
//
//	Given a child "Ada" of council 202 who had their 18th birthday 5 days ago
//	Given a child "Zoe" of council 202 who has their 18th birthday in 5 days
//	Given a child "Bea" of council 202 born yesterday
//	Given "Sam" has recorded a "SENSITIVE_SERVICE_DISCLOSURE" consent "c" for "Amara"
//	When "Sam" records a "SENSITIVE_SERVICE_DISCLOSURE" consent "c" for "Amara" given by "YOUNG_PERSON" 10 days ago
//	When "Meera" records a "RETAIN_TO_25" consent "keep" for "Ada" to retain the record to age 21
//	When "Sam" tries to record a "SENSITIVE_SERVICE_DISCLOSURE" consent "c" for "Amara" with:
//	  | /recordedBy | "someone-else" |
//	When "Sam" withdraws the consent "c" with effect from 2 days ago
//	When "Meera" tries to withdraw the consent "c" again
//	When "Sam" reads the consent "c"
//	When "Sam" tries to PATCH the consent "c"
//	Then the response shows the consent "c" as recorded by "Sam"
//	Then if the consent "c" was recorded, it names "Sam" as its recorder
//	Then the change to the consent is refused
//	Then the consent "c" is unchanged
//	Then the consent "c" is recorded as withdrawn with effect from 2 days ago
//	Then "Tom" cannot see the child "Ada"
func registerConsent(sc glossary) {
	define(sc, `^a child "([^"]+)" of council (\d{3}) who (?:had their (\d+)(?:st|nd|rd|th) birthday (\d+) days? ago|has their (\d+)(?:st|nd|rd|th) birthday in (\d+) days?)$`,
		func(ctx context.Context, alias, council, agePast, daysAgo, ageNext, daysAhead string) error {
			w := WorldFrom(ctx)
			age, days, sign := agePast, daysAgo, -1
			if age == "" {
				age, days, sign = ageNext, daysAhead, 1
			}
			n, _ := strconv.Atoi(age)
			d, _ := strconv.Atoi(days)
			birthday, err := w.relDate("today")
			if err != nil {
				return err
			}
			t, _ := time.Parse(time.DateOnly, birthday)
			dob := t.AddDate(0, 0, sign*d).AddDate(-n, 0, 0).Format(time.DateOnly)
			_, err = w.CreateChild(alias, council, []fixtures.ChildOption{fixtures.WithDateOfBirth(dob)})
			return err
		})
	define(sc, `^a child "([^"]+)" of council (\d{3}) born `+relDatePattern+`$`, func(ctx context.Context, alias, council, born string) error {
		w := WorldFrom(ctx)
		dob, err := w.relDate(born)
		if err != nil {
			return err
		}
		_, err = w.CreateChild(alias, council, []fixtures.ChildOption{fixtures.WithDateOfBirth(dob)})
		return err
	})

	const record = `^` + Subject + ` (records?|has recorded|have recorded|tries to record|try to record) an? "([A-Z_0-9]+)" consent "([^"]+)" for "([^"]+)"(?: given by "([A-Z_]+)"(?: ` + relDatePattern + `)?)?(?: to retain the record to age (\d+))?`
	recordStep := func(ctx context.Context, who, verb, scope, name, alias, giver, givenOn, age string, t *godog.Table) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		if giver == "" {
			giver = "YOUNG_PERSON"
		}
		if givenOn == "" {
			givenOn = "10 days ago"
		}
		date, err := w.relDate(givenOn)
		if err != nil {
			return err
		}
		body := map[string]any{"scope": scope, "givenBy": giver, "givenOn": date}
		if age != "" {
			n, _ := strconv.Atoi(age)
			body["retainToAge"] = n
		}
		if body, err = w.tableOverridden(body, t); err != nil {
			return err
		}
		r, id, err := w.createChildResource(ctx, actor, c, "consent", name, body, strings.HasPrefix(verb, "tr"))
		if err != nil {
			return err
		}
		if id == "" && strings.HasPrefix(verb, "ha") {
			return givenFailure(r, fmt.Sprintf("record the %s consent %q", scope, name))
		}
		return nil
	}
	define(sc, record+`$`, func(ctx context.Context, who, verb, scope, name, alias, giver, givenOn, age string) error {
		return recordStep(ctx, who, verb, scope, name, alias, giver, givenOn, age, nil)
	})
	define(sc, record+` with:$`, recordStep)

	define(sc, `^`+Subject+` (withdraws?|has withdrawn|have withdrawn|tries to withdraw|try to withdraw) the consent "([^"]+)"(?: again)?(?: with effect from `+relDatePattern+`)?$`,
		func(ctx context.Context, who, verb, name, on string) error {
			w := WorldFrom(ctx)
			actor, s, err := w.subjectAndRecord(ctx, who, "consent", name)
			if err != nil {
				return err
			}
			if on == "" {
				on = "today"
			}
			date, err := w.relDate(on)
			if err != nil {
				return err
			}
			r, err := w.Send(Request{Method: "POST", Path: "/v1/consents/" + s.ID + "/withdrawal", Body: map[string]any{"withdrawnOn": date}, As: actor})
			if err != nil {
				return err
			}
			if r.Status == 200 && s.Response != nil && s.Response["withdrawnOn"] == nil {
				s.Response["withdrawnOn"] = date
			}
			if strings.HasPrefix(verb, "ha") && r.Status != 200 {
				return &AssertionError{
					Message: fmt.Sprintf("could not withdraw the consent %q to set up the scenario", name), Pointer: "status",
					Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r),
				}
			}
			return nil
		})
	define(sc, `^`+Subject+` reads? the consent "([^"]+)"$`, func(ctx context.Context, who, name string) error {
		w := WorldFrom(ctx)
		actor, s, err := w.subjectAndRecord(ctx, who, "consent", name)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/consents/" + s.ID, As: actor})
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to (PATCH|PUT|DELETE) the consent "([^"]+)"$`, func(ctx context.Context, who, method, name string) error {
		w := WorldFrom(ctx)
		actor, s, err := w.subjectAndRecord(ctx, who, "consent", name)
		if err != nil {
			return err
		}
		yesterday, err := w.relDate("yesterday")
		if err != nil {
			return err
		}
		var body any
		switch method {
		case "PATCH":
			body = map[string]any{"givenBy": "PARENT_WITH_PR", "givenOn": yesterday}
		case "PUT":
			body = map[string]any{"scope": s.Body["scope"], "givenBy": "PARENT_WITH_PR", "givenOn": yesterday}
		}
		_, err = w.Send(Request{
			Method: method, Path: "/v1/consents/" + s.ID, Body: body, As: actor, Invalid: true,
			Header: map[string][]string{"If-Match": {`"1"`}},
		})
		return err
	})

	define(sc, `^the response shows the consent "([^"]+)" as recorded by "([^"]+)"$`, func(ctx context.Context, name, recorder string) error {
		w := WorldFrom(ctx)
		s, err := WorldFrom(ctx).records.get("consent", name)
		if err != nil {
			return err
		}
		a, err := w.Actor(recorder)
		if err != nil {
			return err
		}
		r, err := w.Response()
		if err != nil {
			return err
		}
		if r.Status < 200 || r.Status > 299 {
			return Failf("status", "200 or 201", strconv.Itoa(r.Status)+problemHint(r), "the consent %q could not be read", name)
		}
		return expectConsent(r, s, a.Sub, "")
	})
	define(sc, `^if the consent "([^"]+)" was recorded, it names "([^"]+)" as its recorder$`, func(ctx context.Context, name, recorder string) error {
		w := WorldFrom(ctx)
		a, err := w.Actor(recorder)
		if err != nil {
			return err
		}
		s := WorldFrom(ctx).records.byKind["consent"][name]
		if s == nil {
			return Configf("no consent named %q was sent in this scenario", name)
		}
		if s.ID == "" {
			return nil // refused: nothing was recorded under a forged recorder
		}
		if got := s.Response["recordedBy"]; got != a.Sub {
			return Failf("/recordedBy", strconv.Quote(a.Sub)+" (the sub of the recorder's token)", Render(got),
				"the consent names a recorder the request claimed instead of the one whose token recorded it")
		}
		r, err := w.readConsentAsManagement(s)
		if err != nil {
			return err
		}
		if got, _ := r.At("/recordedBy"); got != a.Sub {
			return Failf("/recordedBy", strconv.Quote(a.Sub)+" (the sub of the recorder's token)", Render(got),
				"the stored consent names a recorder the request claimed instead of the one whose token recorded it")
		}
		return nil
	})
	define(sc, `^the change to the consent is refused$`, step(func(w *World) error {
		r, err := w.Response()
		if err != nil {
			return err
		}
		if r.Status >= 200 && r.Status < 300 {
			return Failf("status", "a refusal (405 METHOD_NOT_ALLOWED)", strconv.Itoa(r.Status), "the consent accepted a change other than withdrawal")
		}
		return nil
	}))
	define(sc, `^the consent "([^"]+)" is unchanged$`, func(ctx context.Context, name string) error {
		w := WorldFrom(ctx)
		s, err := WorldFrom(ctx).records.get("consent", name)
		if err != nil {
			return err
		}
		r, err := w.readConsentAsManagement(s)
		if err != nil {
			return err
		}
		withdrawn, _ := s.Response["withdrawnOn"].(string)
		return expectConsent(r, s, s.Actor.Sub, withdrawn)
	})
	define(sc, `^the consent "([^"]+)" is recorded as withdrawn with effect from `+relDatePattern+`$`, func(ctx context.Context, name, on string) error {
		w := WorldFrom(ctx)
		s, err := WorldFrom(ctx).records.get("consent", name)
		if err != nil {
			return err
		}
		date, err := w.relDate(on)
		if err != nil {
			return err
		}
		r, err := w.readConsentAsManagement(s)
		if err != nil {
			return err
		}
		return expectConsent(r, s, s.Actor.Sub, date)
	})
	define(sc, `^"([^"]+)" cannot see the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Actor(who)
		if err != nil {
			return err
		}
		r, err := w.ReadChild(actor, alias, "")
		if err != nil {
			return err
		}
		if r.Status >= 200 && r.Status < 300 {
			status, _ := r.At("/status")
			return Failf("status", "404 (the record is not visible)", fmt.Sprintf("%d with a record of status %s", r.Status, Render(status)),
				"the record is visible to %s", strings.ToLower(strings.ReplaceAll(actor.Role, "_", " ")))
		}
		return nil
	})
}
