package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
)

// This file holds the steps about indicators (FLAG-001..FLAG-005): setting them, ending and
// linking them, and checking what a read of the child's record shows of them.

// indicatorBase returns the smallest valid body of a new indicator of typ starting on start:
// the fields its type needs, with synthetic values. Steps change it with overrides.
func indicatorBase(typ, start, inAMonth string) map[string]any {
	body := map[string]any{"type": typ, "startDate": start}
	switch typ {
	case "CHILD_PROTECTION_PLAN":
		body["category"] = "NEG"
	case "LOOKED_AFTER":
		body["legalStatus"] = "C2"
	case "UNBORN_CHILD_PROTECTION_PLAN":
		body["expectedDateOfBirth"] = inAMonth
	case "HAS_INFORMATION_TO_SHARE":
		body["contact"] = map[string]any{
			"name":         "Duty Desk (TEST)",
			"organisation": "Synthetic Information Sharing Hub (TEST)",
			"phone":        "01632 960400",
		}
	}
	return body
}

// recordIndicators reads the indicators of a child's record response.
func recordIndicators(r *Response) ([]map[string]any, error) {
	return okObjectsAt(r, "indicators", "the child's record could not be read", "the record cannot be read", "a ChildRecord")
}

// lastIndicator returns the latest response's (a child's record) entry for the named
// indicator and its pointer.
func (w *World) lastIndicator(ctx context.Context, name string) (map[string]any, string, error) {
	e, i, s, err := w.latestEntry(ctx, "indicator", name, recordIndicators)
	if err != nil {
		return nil, "", err
	}
	if e == nil {
		return nil, "", Failf("/indicators", fmt.Sprintf("an indicator with id %q (%s %q)", s.ID, s.Body["type"], name), absent,
			"the record does not show the indicator %q", name)
	}
	return e, fmt.Sprintf("/indicators/%d", i), nil
}

// indicatorVersion returns the current version of an indicator as an entity tag, from the
// record as the responsible council's management reads it, else from its creation.
func (w *World) indicatorVersion(s *scenarioRecord) string {
	if r, err := w.readAsManagement(s.Child); err == nil {
		if inds, err := recordIndicators(r); err == nil {
			if e, _ := invEntryByID(inds, s.ID); e != nil {
				if v, ok := e["version"].(json.Number); ok {
					return strconv.Quote(v.String())
				}
			}
		}
	}
	if v, ok := s.Response["version"].(json.Number); ok {
		return strconv.Quote(v.String())
	}
	return `"1"`
}

// quotedItem finds each quoted item of a list like `"a", "b" and "c"`.
var quotedItem = regexp.MustCompile(`"([^"]*)"`)

// registerIndicators adds the steps about indicators:
//
//	Given "Gita" has set a "LEAD_PROFESSIONAL" indicator "lead" on "Amara" for the involvement "visits" starting 30 days ago
//	When "Sam" sets a "CHILD_PROTECTION_PLAN" indicator "plan" on "Amara" starting 60 days ago
//	When "Tom" tries to set a "CAF_UNDERTAKEN" indicator "caf" on "Amara" for the involvement "school" with:
//	  | /summary | "Concerns (TEST)" |
//	When "Sam" links the indicator "unborn" to the child "Bea"
//	Then the record shows the indicator "plan" starting 60 days ago
//	Then the record shows the indicator "lead" as current
//	Then the record shows the indicator "first" as ended
//	Then the record does not show the indicator "plan"
//	Then the record shows exactly one current "LEAD_PROFESSIONAL" indicator
//	Then the indicator "unborn" on the record has "/linkedChildId" set to "{child:Bea}"
//	Then the indicator "caf" on the record has none of the fields "summary", "assessment" and "outcome"
//	Then no "CAF_UNDERTAKEN" indicator is recorded for "Amara"
func registerIndicators(sc glossary) {
	const set = `^` + Subject + ` (sets?|has set|have set|tries to set|try to set) an? "([A-Z_]+)" indicator "([^"]+)" on "([^"]+)"(?: for the involvement "([^"]+)")?(?: starting ` + relDatePattern + `)?`
	setStep := func(ctx context.Context, who, verb, typ, name, alias, inv, start string, t *godog.Table) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		if start == "" {
			start = "today"
		}
		date, err := w.relDate(start)
		if err != nil {
			return err
		}
		inAMonth, _ := w.relDate("30 days from now")
		body := indicatorBase(typ, date, inAMonth)
		if inv != "" {
			s, err := WorldFrom(ctx).records.get("involvement", inv)
			if err != nil {
				return err
			}
			body["involvementId"] = s.ID
		}
		if body, err = w.tableOverridden(body, t); err != nil {
			return err
		}
		r, id, err := w.createChildResource(ctx, actor, c, "indicator", name, body, strings.HasPrefix(verb, "tr"))
		if err != nil {
			return err
		}
		if id == "" && strings.HasPrefix(verb, "ha") {
			return givenFailure(r, fmt.Sprintf("set the %s indicator %q", typ, name))
		}
		return nil
	}
	define(sc, set+`$`, func(ctx context.Context, who, verb, typ, name, alias, inv, start string) error {
		return setStep(ctx, who, verb, typ, name, alias, inv, start, nil)
	})
	define(sc, set+` with:$`, setStep)

	define(sc, `^`+Subject+` links? the indicator "([^"]+)" to the child "([^"]+)"$`, func(ctx context.Context, who, name, child string) error {
		w := WorldFrom(ctx)
		actor, s, err := w.subjectAndRecord(ctx, who, "indicator", name)
		if err != nil {
			return err
		}
		c, err := w.Child(child)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{
			Method: "PATCH", Path: "/v1/indicators/" + s.ID, Body: map[string]any{"linkedChildId": c.ID}, As: actor,
			Header: map[string][]string{"If-Match": {w.indicatorVersion(s)}},
		})
		return err
	})

	define(sc, `^the record shows the indicator "([^"]+)"(?: starting `+relDatePattern+`)?$`, func(ctx context.Context, name, start string) error {
		w := WorldFrom(ctx)
		e, at, err := w.lastIndicator(ctx, name)
		if err != nil || start == "" {
			return err
		}
		d, err := w.relDate(start)
		if err != nil {
			return err
		}
		if !sameDate(e["startDate"], d) {
			return Failf(at+"/startDate", strconv.Quote(d), memberOrAbsent(e, "startDate"), "the indicator %q has another start date", name)
		}
		return nil
	})
	define(sc, `^the record shows the indicator "([^"]+)" as (current|ended)$`, func(ctx context.Context, name, state string) error {
		w := WorldFrom(ctx)
		e, at, err := w.lastIndicator(ctx, name)
		if err != nil {
			return err
		}
		if cur := w.stillCurrent(e["endDate"]); cur != (state == "current") {
			want := "no end date, or one in the future"
			if state == "ended" {
				want = "an end date on or before today"
			}
			return Failf(at+"/endDate", want, memberOrAbsent(e, "endDate"), "the indicator %q is not %s", name, state)
		}
		return nil
	})
	define(sc, `^the record does not show the indicator "([^"]+)"$`, func(ctx context.Context, name string) error {
		e, i, _, err := WorldFrom(ctx).latestEntry(ctx, "indicator", name, recordIndicators)
		if err != nil {
			return err
		}
		if e != nil {
			return Failf(fmt.Sprintf("/indicators/%d", i), "no indicator "+strconv.Quote(name), Render(e), "the record still shows the indicator %q", name)
		}
		return nil
	})
	define(sc, `^the record shows exactly one current "([A-Z_]+)" indicator$`, func(ctx context.Context, typ string) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		inds, err := recordIndicators(r)
		if err != nil {
			return err
		}
		var currents []string
		for _, e := range inds {
			if e["type"] == typ && w.stillCurrent(e["endDate"]) {
				id, _ := e["id"].(string)
				currents = append(currents, id)
			}
		}
		if len(currents) != 1 {
			return Failf("/indicators", "exactly one current "+typ, fmt.Sprintf("%d current: %s", len(currents), strings.Join(currents, ", ")),
				"the record does not have exactly one current %s indicator", typ)
		}
		return nil
	})
	define(sc, `^the indicator "([^"]+)" on the record has "([^"]+)" set to (.+)$`, func(ctx context.Context, name, ptr, literal string) error {
		w := WorldFrom(ctx)
		e, at, err := w.lastIndicator(ctx, name)
		if err != nil {
			return err
		}
		text, err := w.Expand(literal)
		if err != nil {
			return err
		}
		want := ParseLiteral(text)
		isDate := false
		if s, ok := want.(string); ok && relDateRe.MatchString(s) {
			if want, err = w.relDate(s); err != nil {
				return err
			}
			isDate = true
		}
		got, ok, _ := Lookup(e, ptr)
		if !ok {
			return Failf(at+ptr, Render(want), absent, "the indicator %q lacks a field", name)
		}
		if isDate {
			if !sameDate(got, want.(string)) {
				return Failf(at+ptr, Render(want), Render(got), "the indicator %q has the wrong date", name)
			}
			return nil
		}
		if !JSONEqual(got, want) {
			return Failf(at+ptr, Render(want), Render(got), "the indicator %q has the wrong value", name)
		}
		return nil
	})
	define(sc, `^the indicator "([^"]+)" on the record has none of the fields (.+)$`, func(ctx context.Context, name, list string) error {
		w := WorldFrom(ctx)
		e, at, err := w.lastIndicator(ctx, name)
		if err != nil {
			return err
		}
		fields := quotedItem.FindAllStringSubmatch(list, -1)
		if len(fields) == 0 {
			return Configf("name the fields in quotes, e.g. \"summary\", \"outcome\"")
		}
		for _, f := range fields {
			if v, ok := e[f[1]]; ok {
				return Failf(at+"/"+f[1], absent, Render(v), "the indicator %q carries content it must not have", name)
			}
		}
		return nil
	})
	define(sc, `^no "([A-Z_]+)" indicator is recorded for "([^"]+)"$`, func(ctx context.Context, typ, alias string) error {
		w := WorldFrom(ctx)
		r, err := w.readAsManagement(alias)
		if err != nil {
			return err
		}
		inds, err := recordIndicators(r)
		if err != nil {
			return err
		}
		for i, e := range inds {
			if e["type"] == typ {
				return Failf(fmt.Sprintf("/indicators/%d", i), "no "+typ+" indicator", Render(e),
					"a refused indicator was stored anyway (seen by the council's management)")
			}
		}
		return nil
	})
}
