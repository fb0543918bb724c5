package steps

import (
	"context"
	"fmt"
	"strconv"
)

// registerSupersession adds the steps of ID-007: a superseded NHS number.
func registerSupersession(sc glossary) {
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
