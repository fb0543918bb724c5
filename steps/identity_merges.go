package steps

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// registerDuplicates adds the steps of ID-005: duplicate candidates on create.
func registerDuplicates(sc glossary) {
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
func registerMerges(sc glossary) {
	define(sc, `^the child "([^"]+)" has an? ([A-Z_]+) involvement on record$`, func(ctx context.Context, alias, service string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		st := WorldFrom(ctx).lookup
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
