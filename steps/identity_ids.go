package steps

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/internal/ident"
)

// registerChildIDs adds the steps of ID-004: opaque, immutable, never-reused child ids.
func registerChildIDs(sc glossary) {
	define(sc, `^the children `+aliasList+` have different ids$`, func(ctx context.Context, list string) error {
		w := WorldFrom(ctx)
		seen := map[string]string{}
		for _, alias := range parseAliases(list) {
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			if other, dup := seen[c.ID]; dup {
				return Failf("/id", "a new id for each child", fmt.Sprintf("%q and %q both have the id %q", other, alias, c.ID), "two children got the same id")
			}
			seen[c.ID] = alias
		}
		return nil
	})
	define(sc, `^the ids of `+aliasList+` encode no council, date of birth, identifier, name or sequence$`, func(ctx context.Context, list string) error {
		w := WorldFrom(ctx)
		var kids []*Child
		for _, alias := range parseAliases(list) {
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			kids = append(kids, c)
		}
		return checkOpaqueIDs(kids)
	})
	define(sc, `^`+Subject+` renames? the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		name, _, _ := Lookup(c.Sent, "/name")
		renamed, err := SetAt(deepCopyJSON(name), "/family", sentValue(c, "/name/family")+"-Ashworth")
		if err != nil {
			return Configf("rename: %v", err)
		}
		return w.patchChildUnderIfMatch(ctx, who, alias, map[string]any{"name": renamed}, false)
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to change the id of the child "([^"]+)"$`, func(ctx context.Context, who, alias string) error {
		w := WorldFrom(ctx)
		return w.patchChildUnderIfMatch(ctx, who, alias, map[string]any{"id": w.pseudoID("new id of " + alias)}, true)
	})
	define(sc, `^the response is the record of the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		return w.ExpectField("/id", c.ID)
	})
	define(sc, `^no record answers to the id tried for "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		tried := w.pseudoID("new id of " + alias)
		r, err := w.Send(Request{Method: "GET", Path: "/v1/children/" + tried, As: w.systemActor(c.Council), Purpose: defaultPurposes["LA_MANAGEMENT"]})
		if err != nil {
			return err
		}
		if r.Status != 404 {
			return Failf("status", "404", strconv.Itoa(r.Status)+problemHint(r), "the id the update tried to set now names a record")
		}
		return nil
	})
}

// patchChildUnderIfMatch reads the child as the actor to learn its ETag, then sends a PATCH with body
// under If-Match. invalid marks a body the scenario breaks on purpose.
func (w *World) patchChildUnderIfMatch(ctx context.Context, who, alias string, body map[string]any, invalid bool) error {
	actor, c, err := w.subjectAndChild(who, alias)
	if err != nil {
		return err
	}
	r, err := w.ReadChild(actor, alias, "")
	if err != nil {
		return err
	}
	etag := r.Header.Get("ETag")
	if r.Status != 200 || etag == "" {
		return &AssertionError{
			Message:  fmt.Sprintf("could not read the child %q for its ETag before updating it", alias),
			Pointer:  "header:ETag",
			Expected: "200 with an ETag",
			Actual:   strconv.Itoa(r.Status) + problemHint(r) + " ETag " + orAbsent(etag),
			Evidence: []*Response{r},
		}
	}
	_, err = w.Send(Request{
		Method: "PATCH", Path: "/v1/children/" + c.ID, Body: body, As: actor,
		Header: http.Header{"If-Match": {etag}}, Invalid: invalid,
	})
	return err
}

// checkOpaqueIDs checks that the ids of kids encode nothing (ID-004): no child's id contains
// its NHS number, UPN, date of birth (in the usual compact and dashed forms), its council's GSS
// code or name, or its family name; ids of children of different councils do not carry their
// DfE codes at the same place; and ids created one after the other are not consecutiveIDs
// numbers. The checks are built so that random ids (UUIDs, ULIDs) never trip them.
func checkOpaqueIDs(kids []*Child) error {
	for _, c := range kids {
		id := c.ID
		low := strings.ToLower(id)
		leaks := map[string]string{
			"NHS number":  identifierValue(c.Sent, "NHS_NUMBER"),
			"UPN":         strings.ToLower(identifierValue(c.Sent, "UPN")),
			"family name": foldedIfLong(sentValue(c, "/name/family")),
		}
		if dob, err := time.Parse(time.DateOnly, sentValue(c, "/dateOfBirth")); err == nil {
			for form, layout := range map[string]string{
				"date of birth (YYYYMMDD)": "20060102", "date of birth (YYYY-MM-DD)": "2006-01-02",
				"date of birth (DDMMYYYY)": "02012006", "date of birth (YYMMDD)": "060102", "date of birth (DDMMYY)": "020106",
			} {
				leaks[form] = dob.Format(layout)
			}
		}
		if la, ok := ident.Councils().Lookup(c.Council); ok {
			leaks["council GSS code"] = strings.ToLower(la.GssCode)
			leaks["council name"] = foldedIfLong(la.Name)
		}
		for what, v := range leaks {
			if v != "" && (strings.Contains(low, v) || strings.Contains(foldForSearch(id), v)) {
				return Failf("/id", "an id that encodes nothing", strconv.Quote(id), "the id of %q contains its %s", c.Alias, what)
			}
		}
	}
	for i, a := range kids {
		for _, b := range kids[i+1:] {
			if a.Council != b.Council && codesAtSameOffset(a.ID, a.Council, b.ID, b.Council) {
				return Failf("/id", "ids that encode no council", fmt.Sprintf("%q (council %s) and %q (council %s)", a.ID, a.Council, b.ID, b.Council),
					"the ids of %q and %q carry their councils' codes at the same place", a.Alias, b.Alias)
			}
		}
	}
	for i := 1; i < len(kids); i++ {
		if consecutiveIDs(kids[i-1].ID, kids[i].ID) {
			return Failf("/id", "ids that encode no sequence", fmt.Sprintf("%q then %q", kids[i-1].ID, kids[i].ID),
				"the ids of %q and %q, created one after the other, are consecutiveIDs numbers", kids[i-1].Alias, kids[i].Alias)
		}
	}
	return nil
}

// foldedIfLong folds a name for the id checks, or returns "" when it is too short to be told
// from chance (fewer than five letters).
func foldedIfLong(name string) string {
	if f := foldForSearch(name); len(f) >= 5 {
		return f
	}
	return ""
}

// codesAtSameOffset reports whether id a has code ca, and id b code cb, at the same offset from the
// start or from the end.
func codesAtSameOffset(a, ca, b, cb string) bool {
	for i := 0; i+len(ca) <= len(a) && i+len(cb) <= len(b); i++ {
		if a[i:i+len(ca)] == ca && b[i:i+len(cb)] == cb {
			return true
		}
	}
	for i := len(ca); i <= len(a) && i <= len(b); i++ {
		if a[len(a)-i:len(a)-i+len(ca)] == ca && b[len(b)-i:len(b)-i+len(cb)] == cb {
			return true
		}
	}
	return false
}

// consecutiveIDs reports whether two ids differ only in a short run of decimal or hexadecimal
// digits whose values are at most 1000 apart, as counters do ("CH000041", "CH000042", or a
// counter in the last group of a UUID). Random ids differ over most of their length and never
// qualify.
func consecutiveIDs(a, b string) bool {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for base, digit := range map[int]func(byte) bool{10: isASCIIDigit, 16: isHexDigit} {
		q, t := p, s
		for q > 0 && digit(a[q-1]) {
			q--
		}
		for t > 0 && digit(a[len(a)-t]) {
			t--
		}
		ma, mb := a[q:len(a)-t], b[q:len(b)-t]
		if base == 16 && max(len(ma), len(mb)) > 12 {
			continue
		}
		x, errA := strconv.ParseUint(ma, base, 63)
		y, errB := strconv.ParseUint(mb, base, 63)
		if errA != nil || errB != nil || x == y {
			continue
		}
		if d := max(x, y) - min(x, y); d <= 1000 {
			return true
		}
	}
	return false
}

func isHexDigit(c byte) bool { return isASCIIDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }
