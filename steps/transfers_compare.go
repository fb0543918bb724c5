package steps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// This file holds the comparison of XFER-004: what a council's management sees of a child on
// one system against what it saw on another, field by field. It may be replaced by the
// fidelity package's differ; its contract is the same: every difference is a JSON Pointer with
// both values, audit metadata excepted.

// auditMetadata are the members of a record that a transfer may change: the version (a new
// one on each system) and the responsible council (the point of the transfer).
var auditMetadata = []string{"version", "responsibleLa"}

// holding is what the responsible council's management sees of a child on one system: the
// record (indicators and shielding included), the involvements and the consents.
type holding struct {
	doc map[string]any // {"record": …, "involvements": […], "consents": {id: …}}
	// excused are the pointers (array indices as "*") at which a response broke the contract:
	// that defect is charged to its own requirement already (a date as dd/mm/yyyy to READ-004),
	// so the comparison does not charge it to XFER-004 a second time.
	excused []string
}

// holdingOf reads the child on system as the management of council.
func (w *World) holdingOf(tc *transferCase, system, council string) (*holding, error) {
	mgmt := w.systemActor(council)
	h := &holding{}
	read := func(path, what string) (any, error) {
		r, err := w.sendTo(system, Request{Method: "GET", Path: path, As: mgmt, Purpose: defaultPurposes["LA_MANAGEMENT"]})
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusOK {
			return nil, Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)),
				"the management of council %s could not read %s of %q on %s", council, what, tc.alias, system)
		}
		doc, err := r.JSON()
		if err != nil {
			return nil, Failf("", "a JSON body", "not JSON", "the %s of %q on %s is not JSON", what, tc.alias, system)
		}
		prefix := ""
		switch {
		case strings.HasSuffix(path, "/involvements"):
		case strings.HasPrefix(path, "/v1/consents/"):
			prefix = "/consents/" + escapeToken(strings.TrimPrefix(path, "/v1/consents/"))
		default:
			prefix = "/record"
		}
		for _, p := range r.violated {
			h.excused = append(h.excused, wildcard(prefix+p))
		}
		return doc, nil
	}
	rec, err := read("/v1/children/"+tc.childID, "the record")
	if err != nil {
		return nil, err
	}
	if m, ok := rec.(map[string]any); ok {
		for _, k := range auditMetadata {
			delete(m, k)
		}
	}
	invs, err := read("/v1/children/"+tc.childID+"/involvements", "the involvements")
	if err != nil {
		return nil, err
	}
	list, _, _ := Lookup(invs, "/involvements")
	consents := map[string]any{}
	for _, id := range tc.consents {
		c, err := read("/v1/consents/"+id, "a consent")
		if err != nil {
			return nil, err
		}
		consents[id] = c
	}
	h.doc = map[string]any{"record": rec, "involvements": list, "consents": consents}
	return h, nil
}

// wildcard replaces the array indices of a pointer by "*".
func wildcard(ptr string) string {
	tokens := strings.Split(ptr, "/")
	for i, t := range tokens {
		if t != "" && strings.Trim(t, "0123456789") == "" {
			tokens[i] = "*"
		}
	}
	return strings.Join(tokens, "/")
}

// excusedBy reports whether the difference at ptr lies at or under an excused pointer.
func excusedBy(ptr string, excused []string) bool {
	w := wildcard(ptr)
	for _, e := range excused {
		if w == e || strings.HasPrefix(w, e+"/") {
			return true
		}
	}
	return false
}

// difference is one field that differs between two holdings.
type difference struct {
	Pointer   string
	Want, Got any // absent when missing
	missing   bool
	extra     bool
}

// compareJSON returns the differences between want and got, as JSON Pointers below at, in
// pointer order. Arrays of objects that all carry an "id" are matched by id; other arrays by
// position.
func compareJSON(at string, want, got any) []difference {
	switch wv := want.(type) {
	case map[string]any:
		gv, ok := got.(map[string]any)
		if !ok {
			return []difference{{Pointer: at, Want: want, Got: got}}
		}
		keys := map[string]bool{}
		for k := range wv {
			keys[k] = true
		}
		for k := range gv {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []difference
		for _, k := range names {
			p := at + "/" + escapeToken(k)
			a, inA := wv[k]
			b, inB := gv[k]
			switch {
			case !inB:
				out = append(out, difference{Pointer: p, Want: a, missing: true})
			case !inA:
				out = append(out, difference{Pointer: p, Got: b, extra: true})
			default:
				out = append(out, compareJSON(p, a, b)...)
			}
		}
		return out
	case []any:
		gv, ok := got.([]any)
		if !ok {
			return []difference{{Pointer: at, Want: want, Got: got}}
		}
		if byID(wv) && byID(gv) {
			return compareByID(at, wv, gv)
		}
		var out []difference
		for i := range max(len(wv), len(gv)) {
			p := fmt.Sprintf("%s/%d", at, i)
			switch {
			case i >= len(gv):
				out = append(out, difference{Pointer: p, Want: wv[i], missing: true})
			case i >= len(wv):
				out = append(out, difference{Pointer: p, Got: gv[i], extra: true})
			default:
				out = append(out, compareJSON(p, wv[i], gv[i])...)
			}
		}
		return out
	default:
		if !sameJSON(want, got) {
			return []difference{{Pointer: at, Want: want, Got: got}}
		}
		return nil
	}
}

// compareByID matches two arrays of objects by their "id"; a pointer names the element of
// want (or, for an element only got has, of got) by its index.
func compareByID(at string, want, got []any) []difference {
	index := map[string]int{}
	for i, g := range got {
		index[fmt.Sprint(g.(map[string]any)["id"])] = i
	}
	seen := map[int]bool{}
	var out []difference
	for i, w := range want {
		p := fmt.Sprintf("%s/%d", at, i)
		j, ok := index[fmt.Sprint(w.(map[string]any)["id"])]
		if !ok {
			out = append(out, difference{Pointer: p, Want: w, missing: true})
			continue
		}
		seen[j] = true
		out = append(out, compareJSON(p, w, got[j])...)
	}
	for j, g := range got {
		if !seen[j] {
			out = append(out, difference{Pointer: fmt.Sprintf("%s/%d", at, j), Got: g, extra: true})
		}
	}
	return out
}

func byID(items []any) bool {
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["id"]; !ok {
			return false
		}
	}
	return true
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// maxListedDifferences bounds the pointers a failure lists.
const maxListedDifferences = 12

// expectSameHolding fails when got differs from want, naming every differing pointer (values
// only for the first, which the redactor then handles: a message never carries values).
// Differences at a pointer either side's responses broke the contract at are left out.
func expectSameHolding(alias, wantWhere, gotWhere string, want, got *holding) error {
	excused := append(append([]string(nil), want.excused...), got.excused...)
	var diffs []difference
	for _, d := range compareJSON("", want.doc, got.doc) {
		if !excusedBy(d.Pointer, excused) {
			diffs = append(diffs, d)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	var ptrs []string
	for i, d := range diffs {
		if i == maxListedDifferences {
			ptrs = append(ptrs, fmt.Sprintf("and %d more", len(diffs)-i))
			break
		}
		switch {
		case d.missing:
			ptrs = append(ptrs, d.Pointer+" (lost)")
		case d.extra:
			ptrs = append(ptrs, d.Pointer+" (added)")
		default:
			ptrs = append(ptrs, d.Pointer+" (changed)")
		}
	}
	first := diffs[0]
	want0, got0 := render(first.Want), render(first.Got)
	if first.missing {
		got0 = absent
	}
	if first.extra {
		want0 = absent
	}
	err := &AssertionError{
		Pointer: first.Pointer, Expected: want0, Actual: got0,
		Message: fmt.Sprintf("what %s holds of %q differs from what %s held, in %d field(s): %s",
			gotWhere, alias, wantWhere, len(diffs), strings.Join(ptrs, ", ")),
	}
	if shieldingChanged(diffs) {
		// A shield lost or changed in a transfer also breaks SENS-005: shielding survives
		// transfers. One comparison, charged to both requirements it breaks.
		err.Requirements = []string{transferFidelityRequirement, shieldSurvivesRequirement}
	}
	return err
}

// The requirements a difference between two holdings breaks.
const (
	transferFidelityRequirement = "XFER-004" // everything arrives without loss or change
	shieldSurvivesRequirement   = "SENS-005" // shielding survives merges, transfers, updates
)

// shieldingChanged reports whether a difference lies in the record's shielding.
func shieldingChanged(diffs []difference) bool {
	for _, d := range diffs {
		if d.Pointer == "/record/shielding" || strings.HasPrefix(d.Pointer, "/record/shielding/") {
			return true
		}
	}
	return false
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
