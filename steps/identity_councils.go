package steps

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/icscert/icscert/fixtures"
)

// registerCouncilChecks adds the steps of ID-003: council codes from the reference list.
func registerCouncilChecks(sc glossary) {
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
