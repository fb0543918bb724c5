package steps

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/icscert/icscert/fixtures"
)

// This file holds the steps about shielded records (SENS-003..SENS-005): shielding and
// unshielding, what a shielded record shows to whom, and what must not shed the shield.

// shieldedMembers are the only members a shielded record shows to anyone but the management
// of its responsible council (CONTRACT.md, SENS-004).
var shieldedMembers = map[string]bool{
	"id": true, "version": true, "status": true, "name": true, "gender": true, "dateOfBirth": true,
	"parentsCarers": true, "shielding": true,
}

// locatingStrings returns every locating value the harness stored for a child, which its record
// must not disclose anywhere, under any member name, while shielded: the address, identifier
// values, former names and parents' contact details it was created with, any address it was
// given since, and the organisations and contacts of its involvements (school, GP) the
// scenario added.
func (w *World) locatingStrings(alias string) ([]string, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case map[string]any:
			for _, x := range n {
				walk(x)
			}
		case []any:
			for _, x := range n {
				walk(x)
			}
		case string:
			if n != "" {
				out = append(out, n)
			}
		}
	}
	for _, ptr := range []string{"/address", "/identifiers", "/formerNames"} {
		if v, ok, _ := Lookup(c.Sent, ptr); ok {
			walk(v)
		}
	}
	if parents, ok, _ := Lookup(c.Sent, "/parentsCarers"); ok {
		if list, ok := parents.([]any); ok {
			for _, p := range list {
				if ct, ok, _ := Lookup(p, "/contact"); ok {
					walk(ct)
				}
			}
		}
	}
	for _, inv := range w.records.byKind["involvement"] {
		if inv.Child != alias {
			continue
		}
		for _, ptr := range []string{"/organisation", "/practitioner/contact"} {
			if v, ok, _ := Lookup(any(inv.Body), ptr); ok {
				walk(v)
			}
		}
	}
	out = append(out, w.records.extra[alias]...)
	// Leave out code values and short strings that a T1 field could hold by chance.
	kept := out[:0]
	for _, s := range out {
		if len(s) >= 5 && strings.ToUpper(s) != s || strings.ContainsAny(s, "0123456789") {
			kept = append(kept, s)
		}
	}
	slices.Sort(kept)
	return slices.Compact(kept), nil
}

// knownShieldingMembers and knownParentMembers are the members of Shielding and RelatedPerson in
// the contract; others are extensions a client ignores.
var (
	knownShieldingMembers = map[string]bool{"shielded": true, "since": true, "reviewDue": true, "reasonCode": true}
	knownParentMembers    = map[string]bool{"name": true, "relationship": true, "hasParentalResponsibility": true, "contact": true}
)

// expectShieldedIdentity checks that the latest response, the record of the shielded child alias
// as someone other than its council's management reads it, shows only its identity (SENS-004):
// none of the locating values the harness stored for the child anywhere in the body, under any
// member name; no member of the contract beyond identity; the shield as the flag alone; parents
// and carers by name and relationship only. A member the contract does not define is a vendor
// extension the contract allows: a warning, not a failure.
func (w *World) expectShieldedIdentity(alias string) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	if r.Status != 200 {
		return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the shielded record could not be read")
	}
	doc, _ := r.JSON()
	rec, ok := doc.(map[string]any)
	if !ok {
		return Failf("", "a ChildRecord object", "a body that is not a JSON object", "the record cannot be read")
	}
	texts, err := w.locatingStrings(alias)
	if err != nil {
		return err
	}
	// Leaks are found by value, under any key: the contract lets a response carry members
	// a client does not know, so an unknown member is a warning unless it holds a
	// locating value, which the check below finds wherever it is.
	if err := w.ExpectNoneOfTexts("the locating details of the shielded child "+strconv.Quote(alias), texts...); err != nil {
		return err
	}
	var extensions []string
	for _, k := range memberNames(rec) {
		switch {
		case shieldedMembers[k]:
		case knownRecordMembers[k]:
			return Failf("/"+k, absent, Render(rec[k]), "a shielded record shows %q, which only its council's management may see", k)
		default:
			extensions = append(extensions, k)
		}
	}
	sh, ok := rec["shielding"].(map[string]any)
	if !ok || sh["shielded"] != true {
		return Failf("/shielding", `{"shielded":true}`, memberOrAbsent(rec, "shielding"), "a shielded record must show the shield and nothing about it")
	}
	for _, k := range memberNames(sh) {
		switch {
		case k == "shielded":
		case knownShieldingMembers[k]:
			return Failf("/shielding/"+k, absent, Render(sh[k]), "a shielded record must show the shield and nothing about it")
		default:
			extensions = append(extensions, "shielding/"+k)
		}
	}
	if parents, ok := rec["parentsCarers"].([]any); ok {
		for i, p := range parents {
			pm, _ := p.(map[string]any)
			for _, k := range memberNames(pm) {
				switch {
				case k == "name" || k == "relationship":
				case knownParentMembers[k]:
					return Failf(fmt.Sprintf("/parentsCarers/%d/%s", i, k), absent, Render(pm[k]),
						"a shielded record shows parents and carers by name and relationship only")
				default:
					extensions = append(extensions, fmt.Sprintf("parentsCarers/%d/%s", i, k))
				}
			}
		}
	}
	for _, k := range extensions {
		w.Remark(RemarkWarning, extensionWarning("", k))
	}
	return nil
}

// extensionWarning is the warning a shielded record's member that the contract does not define
// raises: a client ignores it, and the value check found none of the child's locating values
// in it or anywhere else.
func extensionWarning(at, k string) string {
	return fmt.Sprintf("the shielded record carries %s/%s, a member the contract does not define; a client ignores it, "+
		"and none of the child's locating values is in the record", at, k)
}

// shieldedStatus reads whether a child's record is shielded, as the management of its
// responsible council sees it, and returns the shielding object.
func (w *World) shieldedStatus(alias string) (bool, map[string]any, error) {
	r, err := w.readAsManagement(alias)
	if err != nil {
		return false, nil, err
	}
	if r.Status != 200 {
		return false, nil, &AssertionError{
			Message: "the child's record could not be read by its council's management", Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: []*Response{r},
		}
	}
	v, _ := r.At("/shielding")
	sh, _ := v.(map[string]any)
	return sh["shielded"] == true, sh, nil
}

// managedRecordETag reads a child's record as its council's management and returns its ETag
// (or its version as an entity tag).
func (w *World) managedRecordETag(alias string) (string, error) {
	r, err := w.readAsManagement(alias)
	if err != nil {
		return "", err
	}
	if r.Status != 200 {
		return "", &AssertionError{
			Message: "the child's record could not be read by its council's management", Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: []*Response{r},
		}
	}
	if etag := r.Header.Get("ETag"); etag != "" {
		return etag, nil
	}
	v, _ := r.At("/version")
	return strconv.Quote(strings.Trim(Render(v), `"`)), nil
}

// registerShielding adds the steps about shielding:
//
//	Given "Meera" has shielded the record of "Amara"
//	When "Meera" shields the record of "Amara" for the reason "ADOPTION" with a review due 180 days from now
//	When "Tom" tries to shield the record of "Amara"
//	When "Meera" tries to shield the record of "Amara" with:
//	  | /reasonCode | (absent) |
//	When "Meera" unshields the record of "Amara"
//	When "Meera" records a new address for the shielded child "Amara"
//	When "Meera" tries to lift the shield of "Amara" with an update
//	When "Priya" tries to create another record with the NHS number of "Amara"
//	Then the council's management sees the record of "Amara" as shielded
//	Then the council's management sees the record of "Amara" as unshielded
//	Then the record of "Amara" is shielded for the reason "ADOPTION" with a review due 180 days from now
//	Then the response shows only the identity of the shielded child "Amara"
//	Then the response shows the name, gender and date of birth of "Amara"
//	Then the response shows the address of "Amara"
//	Then "Priya" finds no unshielded copy of "Amara" by its NHS number
func registerShielding(sc glossary) {
	const shield = `^` + Subject + ` (shields?|has shielded|have shielded|tries to shield|try to shield) the record of "([^"]+)"(?: for the reason "([A-Z_]+)")?(?: with a review due ` + relDatePattern + `)?`
	shieldStep := func(ctx context.Context, who, verb, alias, reason, review string, t *godog.Table) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		if reason == "" {
			reason = "DOMESTIC_ABUSE"
		}
		if review == "" {
			review = "180 days from now"
		}
		due, err := w.relDate(review)
		if err != nil {
			return err
		}
		body, err := w.tableOverridden(map[string]any{"reasonCode": reason, "reviewDue": due}, t)
		if err != nil {
			return err
		}
		r, err := w.Send(Request{Method: "PUT", Path: "/v1/children/" + c.ID + "/shield", Body: body, As: actor, Invalid: strings.HasPrefix(verb, "tr")})
		if err != nil {
			return err
		}
		if strings.HasPrefix(verb, "ha") && r.Status != 200 {
			return &AssertionError{
				Message: fmt.Sprintf("could not shield the record of %q to set up the scenario", alias), Pointer: "status",
				Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r),
			}
		}
		return nil
	}
	define(sc, shield+`$`, func(ctx context.Context, who, verb, alias, reason, review string) error {
		return shieldStep(ctx, who, verb, alias, reason, review, nil)
	})
	define(sc, shield+` with:$`, shieldStep)
	define(sc, `^`+Subject+` (?:unshields?|tries to unshield|try to unshield) the record of "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "DELETE", Path: "/v1/children/" + c.ID + "/shield", As: actor})
		return err
	})
	define(sc, `^`+Subject+` records? a new address for the shielded child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		etag, err := w.managedRecordETag(alias)
		if err != nil {
			return err
		}
		fresh, err := w.ChildBody(nil)
		if err != nil {
			return err
		}
		addr, _, _ := Lookup(fresh, "/address")
		m, _ := addr.(map[string]any)
		rec := WorldFrom(ctx).records
		rec.addresses[alias] = m
		if pc, ok := m["postcode"].(string); ok {
			rec.extra[alias] = append(rec.extra[alias], pc)
		}
		if lines, ok := m["lines"].([]any); ok && len(lines) > 0 {
			if l, ok := lines[0].(string); ok {
				rec.extra[alias] = append(rec.extra[alias], l)
			}
		}
		_, err = w.Send(Request{
			Method: "PATCH", Path: "/v1/children/" + c.ID, Body: map[string]any{"address": addr}, As: actor,
			Header: map[string][]string{"If-Match": {etag}},
		})
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to lift the shield of "([^"]+)" with an update$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		etag, err := w.managedRecordETag(alias)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{
			Method: "PATCH", Path: "/v1/children/" + c.ID, Body: map[string]any{"shielding": map[string]any{"shielded": false}},
			As: actor, Header: map[string][]string{"If-Match": {etag}}, Invalid: true,
		})
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to create another record with the NHS number of "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		nhs, err := w.nhsIdentifier(alias)
		if err != nil {
			return err
		}
		body, err := w.ChildBody([]fixtures.ChildOption{fixtures.WithCouncil(actor.Council)}, Override{Pointer: "/identifiers", Value: []any{nhs}})
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "POST", Path: "/v1/children", Body: body, As: actor})
		return err
	})

	define(sc, `^the council's management sees the record of "([^"]+)" as (shielded|unshielded)$`, func(ctx context.Context, alias, state string) error {
		w := WorldFrom(ctx)
		shielded, sh, err := w.shieldedStatus(alias)
		if err != nil {
			return err
		}
		switch {
		case state == "shielded" && !shielded:
			return Failf("/shielding/shielded", "true", Render(sh["shielded"]), "the record of %q is not shielded", alias)
		case state == "unshielded" && shielded:
			return Failf("/shielding/shielded", "false or absent", "true", "the record of %q is shielded", alias)
		}
		return nil
	})
	define(sc, `^the record of "([^"]+)" is shielded for the reason "([A-Z_]+)" with a review due `+relDatePattern+`$`,
		func(ctx context.Context, alias, reason, review string) error {
			w := WorldFrom(ctx)
			due, err := w.relDate(review)
			if err != nil {
				return err
			}
			shielded, sh, err := w.shieldedStatus(alias)
			if err != nil {
				return err
			}
			switch {
			case !shielded:
				return Failf("/shielding/shielded", "true", Render(sh["shielded"]), "the record of %q is not shielded", alias)
			case sh["reasonCode"] != reason:
				return Failf("/shielding/reasonCode", strconv.Quote(reason), memberOrAbsent(sh, "reasonCode"),
					"the council's management does not see the reason for the shield")
			case !sameDate(sh["reviewDue"], due):
				return Failf("/shielding/reviewDue", strconv.Quote(due), memberOrAbsent(sh, "reviewDue"),
					"the council's management does not see when the shield is due for review")
			}
			return nil
		})
	define(sc, `^the response shows only the identity of the shielded child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectShieldedIdentity(alias)
	})
	define(sc, `^the response shows the name, gender and date of birth of "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		if err := w.ExpectStatus(200); err != nil {
			return err
		}
		// Presence, not equality: whether names and dates round-trip exactly is READ-004's
		// business.
		for _, ptr := range []string{"/name/family", "/gender", "/dateOfBirth"} {
			if _, sent, _ := Lookup(c.Sent, ptr); !sent {
				continue
			}
			if err := w.ExpectFieldPresent(ptr); err != nil {
				return err
			}
		}
		return nil
	})
	define(sc, `^the response shows the address of "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		if err := w.ExpectStatus(200); err != nil {
			return err
		}
		want, _, _ := Lookup(c.Sent, "/address/postcode")
		if a, ok := WorldFrom(ctx).records.addresses[alias]; ok {
			want = a["postcode"]
		}
		return w.ExpectField("/address/postcode", want)
	})
	define(sc, `^"([^"]+)" finds no unshielded copy of "([^"]+)" by its NHS number$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.Actor(who)
		if err != nil {
			return err
		}
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		nhs, err := w.nhsIdentifier(alias)
		if err != nil {
			return err
		}
		r, err := w.Send(Request{
			Method: "POST", Path: "/v1/children/search", Body: map[string]any{"nhsNumber": nhs["value"]},
			As: actor, Purpose: defaultPurposes[actor.Role],
		})
		if err != nil {
			return err
		}
		if r.Status != 200 {
			return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the search by NHS number failed")
		}
		results, err := objectsAt(r, "results")
		if err != nil {
			return Failf("/results", "a search result", err.Error(), "the search result cannot be read")
		}
		for i, rec := range results {
			at := fmt.Sprintf("/results/%d", i)
			if rec["id"] != c.ID {
				return Failf(at+"/id", strconv.Quote(c.ID)+" (the shielded record)", Render(rec["id"]),
					"a second record with the shielded child's NHS number can be found")
			}
			sh, _ := rec["shielding"].(map[string]any)
			if sh["shielded"] != true {
				return Failf(at+"/shielding", `{"shielded":true}`, memberOrAbsent(rec, "shielding"), "the child's record is found unshielded")
			}
			if v, ok := rec["address"]; ok {
				return Failf(at+"/address", absent, Render(v), "the shielded child's address is found by a search")
			}
		}
		return nil
	})
}

// nhsIdentifier returns the NHS number identifier a child was created with.
func (w *World) nhsIdentifier(alias string) (map[string]any, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	ids, _, _ := Lookup(c.Sent, "/identifiers")
	list, _ := ids.([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok && m["system"] == "NHS_NUMBER" {
			return m, nil
		}
	}
	return nil, Configf("the child %q was created without an NHS number", alias)
}
