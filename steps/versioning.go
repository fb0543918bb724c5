package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
)

// rivalNames are the family names concurrent renames give a child (VER-002): invented, and
// different from each other.
var rivalNames = []string{"Ashdown-Vale", "Brightwater", "Calloway", "Dunmore", "Elverson", "Fairhurst"}

// renameHow is how a rename sends If-Match, by how a scenario names it.
const renameHow = `(with its current ETag|without If-Match|with the ETag it was created with)`

// registerVersioning adds the steps of optimistic concurrency (VER-001, VER-002):
//
//	When "Sam" renames the child "Amara" to "Marchetti" with its current ETag
//	When "Sam" renames the child "Amara" to "Marchetti" without If-Match
//	When "Sam" tries to update the child "Amara" with its current ETag and the body:
//	Then the child "Amara" is unchanged
//	Then the child "Amara" now has the family name "Marchetti" at the next version
//	When 4 social workers of council 202 rename the child "Amara" at the same moment with the same ETag
//	Then exactly one rename succeeded and every other was refused with 412 PRECONDITION_FAILED
func registerVersioning(sc glossary) {
	define(sc, `^`+Subject+` renames? the child "([^"]+)" to "([^"]+)" `+renameHow+`$`, func(ctx context.Context, who, alias, family, how string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.actorAndChild(who, alias)
		if err != nil {
			return err
		}
		before, err := w.snapshotBeforeUpdate(ctx, alias)
		if err != nil {
			return err
		}
		req := Request{Method: "PATCH", Path: "/v1/children/" + c.ID, As: actor, Body: renamePatch(before, family), Header: http.Header{}}
		switch how {
		case "with its current ETag":
			req.Header.Set("If-Match", recordETag(before))
		case "with the ETag it was created with":
			if c.ETag == "" {
				return Configf("the create of %q answered no ETag to send", alias)
			}
			req.Header.Set("If-Match", c.ETag)
		default:
			req.Invalid = true
		}
		r, err := w.Send(req)
		n := WorldFrom(ctx).notes
		n.update, n.patched = r, []string{"name"}
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to update the child "([^"]+)" with its current ETag and the body:$`, func(ctx context.Context, who, alias string, body *godog.DocString) error {
		w := WorldFrom(ctx)
		actor, c, err := w.actorAndChild(who, alias)
		if err != nil {
			return err
		}
		before, err := w.snapshotBeforeUpdate(ctx, alias)
		if err != nil {
			return err
		}
		var sent map[string]any
		if err := json.Unmarshal([]byte(body.Content), &sent); err != nil {
			return Configf("the update body is not a JSON object: %v", err)
		}
		r, err := w.Send(Request{
			Method: "PATCH", Path: "/v1/children/" + c.ID, As: actor, Body: body.Content,
			Header: http.Header{"If-Match": {recordETag(before)}}, Invalid: true,
		})
		n := WorldFrom(ctx).notes
		n.update, n.patched = r, nil
		for k := range sent {
			n.patched = append(n.patched, k)
		}
		return err
	})
	define(sc, `^the child "([^"]+)" is unchanged$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		before, ok := n.snapshots[alias]
		if !ok {
			return Configf("no update of %q tried yet", alias)
		}
		after, err := w.readAsManagement(alias)
		if err != nil {
			return err
		}
		fields := []string{"/version"}
		for _, k := range n.patched {
			fields = append(fields, "/"+k)
		}
		for _, ptr := range fields {
			a, hadA := before.At(ptr)
			b, hasB := after.At(ptr)
			if hadA != hasB || !JSONEqual(a, b) {
				return &AssertionError{
					Message:  "a refused update changed the record",
					Pointer:  ptr,
					Expected: Render(a) + " (as before the update)",
					Actual:   Render(b),
					Evidence: presentResponses(before, n.update, after),
				}
			}
		}
		return nil
	})
	define(sc, `^the child "([^"]+)" now has the family name "([^"]+)" at the next version$`, func(ctx context.Context, alias, family string) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		before, ok := n.snapshots[alias]
		if !ok || n.update == nil {
			return Configf("no update of %q made yet", alias)
		}
		upd := n.update
		if upd.Status != 200 {
			return &AssertionError{
				Message: "the update with the current ETag was refused", Pointer: "status",
				Expected: "200", Actual: strconv.Itoa(upd.Status) + problemHint(upd), Evidence: []*Response{upd},
			}
		}
		next := recordVersion(before) + 1
		if etag := upd.Header.Get("ETag"); etag != strconv.Quote(strconv.FormatInt(next, 10)) {
			return &AssertionError{
				Message: "the update's ETag does not name the record's new version", Pointer: "header:ETag",
				Expected: strconv.Quote(strconv.FormatInt(next, 10)), Actual: orAbsent(etag), Evidence: []*Response{before, upd},
			}
		}
		after, err := w.readAsManagement(alias)
		if err != nil {
			return err
		}
		return expectRenamedAt(after, family, next, before, upd)
	})
	define(sc, `^(\d+) social workers of council (\d{3}) rename the child "([^"]+)" at the same moment with the same ETag$`,
		func(ctx context.Context, count int, council, alias string) error {
			w := WorldFrom(ctx)
			n := WorldFrom(ctx).notes
			if count < 2 || count > len(rivalNames) {
				return Configf("between 2 and %d renames at once, not %d", len(rivalNames), count)
			}
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			before, err := w.snapshotBeforeUpdate(ctx, alias)
			if err != nil {
				return err
			}
			n.readers = nil
			reqs := make([]Request, count)
			for i := range reqs {
				a, err := w.AddActor(fmt.Sprintf("\x00rival-%d", i+1), "SOCIAL_WORKER", "SOCIAL_CARE", council, "")
				if err != nil {
					return err
				}
				n.readers = append(n.readers, a)
				reqs[i] = Request{
					Method: "PATCH", Path: "/v1/children/" + c.ID, As: a, Body: renamePatch(before, rivalNames[i]),
					Header: http.Header{"If-Match": {recordETag(before)}},
				}
			}
			n.burst, err = w.SendConcurrently(reqs)
			return err
		})
	define(sc, `^exactly one rename succeeded and every other was refused with 412 PRECONDITION_FAILED$`, func(ctx context.Context) error {
		n := WorldFrom(ctx).notes
		if len(n.burst) == 0 {
			return Configf("no concurrent renames yet")
		}
		wins := 0
		for i, r := range n.burst {
			code := ""
			if r.Status == 412 {
				var err error
				if code, err = problemCode(r); err != nil {
					return err
				}
			}
			switch {
			case r.Status == 200:
				wins++
			case r.Status == 429 || r.Status == 503:
				// Shed before it was applied: not part of the race (ERR-004 governs the shedding).
			case r.Status != 412 || code != "PRECONDITION_FAILED":
				return &AssertionError{
					Message: fmt.Sprintf("concurrent rename %d with the same If-Match was neither applied nor refused as stale", i+1),
					Pointer: "status", Expected: "200 for one, 412 PRECONDITION_FAILED (or a shed 429 or 503) for the others",
					Actual: strconv.Itoa(r.Status) + problemHint(r), Evidence: n.burst,
				}
			}
		}
		if wins != 1 {
			return &AssertionError{
				Message: "concurrent updates with the same If-Match were not serialised: exactly one must win",
				Pointer: "status", Expected: "exactly one 200", Actual: fmt.Sprintf("%d answered 200", wins), Evidence: n.burst,
			}
		}
		return nil
	})
	define(sc, `^each refused social worker reading the child "([^"]+)" again sees the winning rename at the new version$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		before, ok := n.snapshots[alias]
		if !ok || len(n.burst) != len(n.readers) {
			return Configf("no concurrent renames of %q yet", alias)
		}
		winner := ""
		for i, r := range n.burst {
			if r.Status == 200 {
				winner = rivalNames[i]
			}
		}
		if winner == "" {
			return Configf("no rename won: check that first")
		}
		next := recordVersion(before) + 1
		for i, r := range n.burst {
			if r.Status != 412 {
				continue
			}
			if etag := r.Header.Get("ETag"); etag != "" && etag != strconv.Quote(strconv.FormatInt(next, 10)) {
				return &AssertionError{
					Message: "the 412 names another version than the one that won", Pointer: "header:ETag",
					Expected: strconv.Quote(strconv.FormatInt(next, 10)), Actual: strconv.Quote(etag), Evidence: []*Response{r},
				}
			}
			after, err := w.ReadChild(n.readers[i], alias, "")
			if err != nil {
				return err
			}
			if err := expectRenamedAt(after, winner, next, before, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// snapshotBeforeUpdate reads a child as its council's management just before an update and keeps
// the record to compare with afterwards.
func (w *World) snapshotBeforeUpdate(ctx context.Context, alias string) (*Response, error) {
	r, err := w.readAsManagement(alias)
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, &AssertionError{
			Message: fmt.Sprintf("could not read the child %q before updating it", alias), Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(r.Status) + problemHint(r),
		}
	}
	WorldFrom(ctx).notes.snapshots[alias] = r
	return r, nil
}

// renamePatch is a PATCH body that gives the record read as before a new family name, keeping
// its given names.
func renamePatch(before *Response, family string) map[string]any {
	name := map[string]any{"family": family}
	if given, ok := before.At("/name/given"); ok {
		name["given"] = given
	}
	return map[string]any{"name": name}
}

// recordVersion returns the version of a record response, 0 if it has none.
func recordVersion(r *Response) int64 {
	v, _ := r.At("/version")
	n, _ := strconv.ParseInt(strings.Trim(Render(v), `"`), 10, 64)
	return n
}

// recordETag returns the ETag of a record response, or its version as a strong entity tag.
func recordETag(r *Response) string {
	if etag := r.Header.Get("ETag"); etag != "" {
		return etag
	}
	return strconv.Quote(strconv.FormatInt(recordVersion(r), 10))
}

// expectRenamedAt checks that a read of the record shows the family name at version.
func expectRenamedAt(after *Response, family string, version int64, evidence ...*Response) error {
	if after.Status != 200 {
		return &AssertionError{
			Message: "the record could not be read after the update", Pointer: "status",
			Expected: "200", Actual: strconv.Itoa(after.Status) + problemHint(after), Evidence: []*Response{after},
		}
	}
	ev := append(append([]*Response(nil), evidence...), after)
	if got, _ := after.At("/name/family"); got != family {
		return &AssertionError{
			Message: "the record does not show the update that was applied", Pointer: "/name/family",
			Expected: strconv.Quote(family), Actual: Render(got), Evidence: ev,
		}
	}
	if got := recordVersion(after); got != version {
		return &AssertionError{
			Message: "the record's version did not go up by one with the update", Pointer: "/version",
			Expected: strconv.FormatInt(version, 10), Actual: strconv.FormatInt(got, 10), Evidence: ev,
		}
	}
	return nil
}

// presentResponses returns the responses that are not nil.
func presentResponses(rs ...*Response) []*Response {
	out := make([]*Response, 0, len(rs))
	for _, r := range rs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}
