package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// registerRead adds the steps of the record retrieval requirements (READ-001..READ-004):
//
//	When they read a child that does not exist
//	Then the record discloses the NHS number and child protection plan of "Kai"
//	Then the record withholds the UPN and archive details of "Kai"
//	When they try to create a child "Cas" with case content in "notes"
//	When "Mo" tries to add case content in "assessment" to the child "Ada"
//	Then the problem reports "notes" as an unknown property
//	Then no case content appears in the record
//	When they try to create a child "Dot" with the date of birth "2023-02-29"
//	Then the record gives back the name, date of birth and gender "Ada" was created with
//	Then the record gives back the names of the parents and carers of "Ada"
func registerRead(sc glossary) {
	define(sc, `^`+Subject+` reads? a child that does not exist$`, func(ctx context.Context, who string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		purpose := ""
		if actor != nil {
			purpose = defaultPurposes[actor.Role]
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/children/" + w.pseudoID("unknown child"), As: actor, Purpose: purpose})
		return err
	})
	define(sc, `^the record (discloses|withholds) the (.+) of "([^"]+)"$`, func(ctx context.Context, verb, list, alias string) error {
		w := WorldFrom(ctx)
		c, r, err := w.childAndResponse(alias)
		if err != nil {
			return err
		}
		if r.Status != 200 {
			return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the child's record could not be read")
		}
		rec, base, err := recordIn(r, c.ID)
		if err != nil {
			return err
		}
		for _, item := range splitList(list) {
			check, ok := tierChecks[item]
			if !ok {
				return Configf("unknown part of a record %q (known: NHS number, UPN, child protection plan, address, archive details)", item)
			}
			if err := check(w, r, c, rec, base, verb == "discloses"); err != nil {
				return err
			}
		}
		return nil
	})
	define(sc, `^`+Subject+` reads? the involvements of the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.subjectAndChild(who, alias)
		if err != nil {
			return err
		}
		purpose := ""
		if actor != nil {
			purpose = defaultPurposes[actor.Role]
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/children/" + c.ID + "/involvements", As: actor, Purpose: purpose})
		return err
	})
	define(sc, `^the involvement list (discloses|withholds) the provider of the ([A-Z_]+) involvement of "([^"]+)"$`,
		func(ctx context.Context, verb, service, alias string) error {
			return WorldFrom(ctx).expectProvider(ctx, alias, service, verb == "discloses")
		})
	define(sc, `^`+Subject+` tr(?:y|ies) to create a child "([^"]+)" with case content in "([^"]+)"$`,
		func(ctx context.Context, who, alias, member string) error {
			w := WorldFrom(ctx)
			body, err := w.ChildBody(nil)
			if err != nil {
				return err
			}
			if body, err = SetAt(body, "/"+member, caseContent); err != nil {
				return Configf("add case content: %v", err)
			}
			return tryCreate(ctx, who, alias, body)
		})
	define(sc, `^`+Subject+` tr(?:y|ies) to add case content in "([^"]+)" to the child "([^"]+)"$`,
		func(ctx context.Context, who, member, alias string) error {
			return WorldFrom(ctx).patchChildUnderIfMatch(ctx, who, alias, map[string]any{member: caseContent}, true)
		})
	define(sc, `^the problem reports "([^"]+)" as an unknown property$`, func(ctx context.Context, member string) error {
		// Refusing unknown properties with this code is ERR-003's rule; an error that is not a
		// problem document at all stays ERR-001's.
		w := WorldFrom(ctx)
		if err := w.ExpectProblem("UNKNOWN_PROPERTY"); err != nil {
			var ae *AssertionError
			if errors.As(err, &ae) && len(ae.Requirements) > 0 {
				return err
			}
			return Attribute(err, "ERR-003")
		}
		r, _ := w.Response()
		var p struct {
			Errors []struct{ Pointer, Code string } `json:"errors"`
		}
		_ = r.Decode(&p)
		for _, fe := range p.Errors {
			if fe.Pointer == "/"+member {
				return nil
			}
		}
		return Attribute(Failf("/errors", "a field error at /"+member, fmt.Sprintf("%+v", p.Errors), "the problem does not point at the unknown property"), "ERR-002")
	})
	define(sc, `^no case content appears in the record$`, step(func(w *World) error {
		r, err := w.Response()
		if err != nil {
			return err
		}
		for _, name := range caseContentMembers {
			if err := w.ExpectNoMemberAnywhere(name); err != nil {
				return err
			}
		}
		return expectNotInBody(r, caseContent, "the case content the scenario offered")
	}))
	define(sc, `^`+Subject+` tr(?:y|ies) to create a child "([^"]+)" with the date of birth "([^"]*)"$`,
		func(ctx context.Context, who, alias, dob string) error {
			w := WorldFrom(ctx)
			body, err := w.ChildBody(nil, Override{Pointer: "/dateOfBirth", Value: dob})
			if err != nil {
				return err
			}
			return tryCreate(ctx, who, alias, body)
		})
	define(sc, `^the record gives back the name, date of birth and gender "([^"]+)" was created with$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		for _, ptr := range []string{"/name/family", "/dateOfBirth", "/gender"} {
			if err := w.ExpectField(ptr, sentValue(c, ptr)); err != nil {
				return err
			}
		}
		given, _, _ := Lookup(c.Sent, "/name/given")
		return w.expectGiven("/name/given", given)
	})
	define(sc, `^the record gives back the names of the parents and carers of "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, r, err := w.childAndResponse(alias)
		if err != nil {
			return err
		}
		sent, _, _ := Lookup(c.Sent, "/parentsCarers")
		want, _ := sent.([]any)
		got, _ := r.At("/parentsCarers")
		have, _ := got.([]any)
		for _, p := range want {
			name, _, _ := Lookup(p, "/name")
			if !slices.ContainsFunc(have, func(h any) bool { n, _, _ := Lookup(h, "/name"); return sameGivenAndFamily(n, name) }) {
				return Failf("/parentsCarers", "a parent or carer named "+Render(name)+" exactly", renderOr(got, have != nil),
					"a parent's or carer's name did not come back byte for byte")
			}
		}
		return nil
	})
}

// caseContent is the text scenarios offer as case content; it must never come back.
const caseContent = "Synthetic case note: discussed at strategy meeting (TEST)"

// caseContentMembers are member names that would carry case content (READ-003): notes,
// assessments, medical data and exam results.
var caseContentMembers = []string{
	"notes", "caseNotes", "note", "assessment", "assessments", "assessmentSummary", "assessmentContent",
	"medical", "medicalHistory", "medicalNotes", "diagnosis", "diagnoses", "medication", "medications",
	"examResults", "examResult", "attainment",
}

// tierCheck checks one part of a record in a response: disclosed (present) or withheld
// (absent, and its value nowhere in the body).
type tierCheck func(w *World, r *Response, c *Child, rec map[string]any, base string, disclosed bool) error

// tierChecks are the parts of a record READ-002 scenarios name.
var tierChecks = map[string]tierCheck{
	"NHS number":            identifierTier("NHS_NUMBER"),
	"UPN":                   identifierTier("UPN"),
	"child protection plan": indicatorTier("CHILD_PROTECTION_PLAN"),
	"address": func(_ *World, r *Response, c *Child, rec map[string]any, base string, disclosed bool) error {
		postcode := sentValue(c, "/address/postcode")
		_, has := rec["address"]
		switch {
		case disclosed && !has:
			return Failf(base+"/address", "the address", absent, "the record does not show the address to a role that may see it")
		case !disclosed && has:
			return Failf(base+"/address", absent, Render(rec["address"]), "the record shows the address to a role that may not see it")
		case !disclosed:
			return expectNotInBody(r, postcode, "the child's postcode")
		}
		return nil
	},
	"archive details": func(_ *World, _ *Response, _ *Child, rec map[string]any, base string, disclosed bool) error {
		_, has := rec["archive"]
		switch {
		case disclosed && !has:
			return Failf(base+"/archive", "the archive details", absent, "the record does not show the archive details to the council's management")
		case !disclosed && has:
			return Failf(base+"/archive", absent, Render(rec["archive"]), "the record shows the archive details (tier T6) to a role that may not see them")
		}
		return nil
	},
}

// indexWithMember returns the index of the first object of items whose member name is value,
// or -1.
func indexWithMember(items []any, name, value string) int {
	return slices.IndexFunc(items, func(item any) bool {
		m, _ := item.(map[string]any)
		return m[name] == value
	})
}

// identifierTier checks the identifier of system (tier T3).
func identifierTier(system string) tierCheck {
	return func(_ *World, r *Response, c *Child, rec map[string]any, base string, disclosed bool) error {
		want := identifierValue(c.Sent, system)
		items, _ := rec["identifiers"].([]any)
		at := indexWithMember(items, "system", system)
		switch {
		case disclosed && at < 0:
			return Failf(base+"/identifiers", "an identifier "+system, renderOr(rec["identifiers"], items != nil),
				"the record does not show the %s to a role that may see it", system)
		case disclosed:
			v, _ := items[at].(map[string]any)["value"].(string)
			if !sameIdentifier(system, v, want) {
				return Failf(fmt.Sprintf("%s/identifiers/%d/value", base, at), strconv.Quote(want), strconv.Quote(v), "the record shows another %s", system)
			}
		case at >= 0:
			return Failf(fmt.Sprintf("%s/identifiers/%d", base, at), absent, Render(items[at]), "the record shows the %s to a role that may not see it", system)
		default:
			return expectNotInBody(r, want, "the "+system)
		}
		return nil
	}
}

// indicatorTier checks the indicators of kind (tier T5 for the protection types).
func indicatorTier(kind string) tierCheck {
	return func(_ *World, r *Response, _ *Child, rec map[string]any, base string, disclosed bool) error {
		items, _ := rec["indicators"].([]any)
		at := indexWithMember(items, "type", kind)
		switch {
		case disclosed && at < 0:
			return Failf(base+"/indicators", "an indicator "+kind, renderOr(rec["indicators"], items != nil),
				"the record does not show the %s to a role that may see it", kind)
		case !disclosed && at >= 0:
			return Failf(fmt.Sprintf("%s/indicators/%d", base, at), absent, Render(items[at]), "the record shows the %s to a role that may not see it", kind)
		case !disclosed:
			return expectNotInBody(r, kind, "the "+kind)
		}
		return nil
	}
}

// expectGiven checks the given names at ptr of the latest response against want (a decoded
// JSON array, or nil for a person with one name, who may come back with no given names or an
// empty list).
func (w *World) expectGiven(ptr string, want any) error {
	r, err := w.Response()
	if err != nil {
		return err
	}
	got, ok := r.At(ptr)
	wantList, _ := want.([]any)
	gotList, _ := got.([]any)
	if len(wantList) == 0 && len(gotList) == 0 {
		return nil
	}
	if !JSONEqual(got, want) {
		return Failf(ptr, renderOr(want, want != nil), renderOr(got, ok), "the given names did not come back byte for byte")
	}
	return nil
}

// sameGivenAndFamily compares two names exactly, treating absent and empty given names alike.
func sameGivenAndFamily(a, b any) bool {
	fa, _, _ := Lookup(a, "/family")
	fb, _, _ := Lookup(b, "/family")
	ga, _, _ := Lookup(a, "/given")
	gb, _, _ := Lookup(b, "/given")
	la, _ := ga.([]any)
	lb, _ := gb.([]any)
	if len(la) == 0 && len(lb) == 0 {
		return fa == fb
	}
	return fa == fb && JSONEqual(ga, gb)
}

// expectProvider checks the involvement of service set up for alias in the latest response, an
// involvement list: the organisation is shown (disclosed) or neither the organisation nor the
// practitioner appears, by member or by value (withheld; the involvement itself may be listed
// in brokered form or not at all).
func (w *World) expectProvider(ctx context.Context, alias, service string, disclosed bool) error {
	st := WorldFrom(ctx).lookup
	sent, ok := st.involvements[alias+" "+service]
	if !ok {
		return Configf("no %s involvement was set up for %q", service, alias)
	}
	id, err := w.Recall("involvement", alias+" "+service)
	if err != nil {
		return err
	}
	r, err := w.Response()
	if err != nil {
		return err
	}
	if r.Status != 200 {
		return Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "the involvements could not be listed")
	}
	list, _ := r.At("/involvements")
	items, _ := list.([]any)
	at := slices.IndexFunc(items, func(x any) bool { m, _ := x.(map[string]any); return m["id"] == id })
	if disclosed {
		if at < 0 {
			return Failf("/involvements", "the "+service+" involvement "+strconv.Quote(id), renderOr(list, list != nil), "the list does not show the involvement")
		}
		got, _, _ := Lookup(items[at], "/organisation/name")
		if got != sent.Organisation.Name {
			return Failf(fmt.Sprintf("/involvements/%d/organisation/name", at), strconv.Quote(sent.Organisation.Name), Render(got),
				"the list does not show the provider to a role that may see it")
		}
		return nil
	}
	if at >= 0 {
		m, _ := items[at].(map[string]any)
		for _, k := range []string{"organisation", "practitioner"} {
			if v, has := m[k]; has {
				return Failf(fmt.Sprintf("/involvements/%d/%s", at, k), absent, Render(v), "the list shows the %s of a sensitive service to a role that may not see it", k)
			}
		}
	}
	for what, v := range map[string]string{
		"the provider's name": sent.Organisation.Name, "the provider's telephone number": sent.Organisation.Contact.Phone,
		"the provider's e-mail address": sent.Organisation.Contact.Email, "the practitioner's name": sent.Practitioner.Name,
	} {
		if err := expectNotInBody(r, v, what); err != nil {
			return err
		}
	}
	return nil
}
