// Package fidelity compares two observations of one child's record field by field (XFER-004:
// everything arrives without loss or change, and A → B → A gives an equal record apart from
// audit metadata) and decides which side of a transfer lost or changed a field.
//
// An observation is a Snapshot: the record and its involvements, indicators, consents,
// shielding and case-summary references, in the JSON shapes of the contract's TransferPackage
// and read responses. Compare walks two snapshots and returns every difference as an RFC 6901
// JSON Pointer with both values; Blame charges each difference between a sender's and a
// receiver's record to the side at fault, using the package a neutral observer saw between
// them.
package fidelity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Absent is the value shown for a side that lacks the member or element.
const Absent = "(absent)"

// maxValue is how many bytes of a value a Difference keeps.
const maxValue = 200

// Sections of a Snapshot, as they appear as the first token of a pointer.
const (
	SectionRecord          = "record"
	SectionInvolvements    = "involvements"
	SectionIndicators      = "indicators"
	SectionShielding       = "shielding"
	SectionConsents        = "consents"
	SectionCaseSummaryRefs = "caseSummaryRefs"
)

// Snapshot is one observation of a child's record. Each section holds decoded JSON (objects
// as map[string]any, arrays as []any, numbers as json.Number) in the contract's shapes:
// Record a ChildRecord, Involvements, Indicators and Consents arrays of Involvement, Indicator
// and Consent, Shielding a Shielding object and CaseSummaryRefs an array of CaseSummaryRef.
// A nil section was not observed (a system offers no read of case-summary references, say):
// Compare reports it as not compared instead of as a loss. A Snapshot is a value; Compare does
// not modify it.
type Snapshot struct {
	Record          map[string]any `json:"record,omitempty"`
	Involvements    []any          `json:"involvements,omitempty"`
	Indicators      []any          `json:"indicators,omitempty"`
	Shielding       map[string]any `json:"shielding,omitempty"`
	Consents        []any          `json:"consents,omitempty"`
	CaseSummaryRefs []any          `json:"caseSummaryRefs,omitempty"`
}

// FromPackage decodes a TransferPackage body into the Snapshot it carries. Every section is
// observed; a section the package lacks is observed as empty, so that its loss shows.
func FromPackage(body []byte) (Snapshot, error) {
	var pkg struct {
		Record          map[string]any `json:"record"`
		Involvements    []any          `json:"involvements"`
		Indicators      []any          `json:"indicators"`
		Shielding       map[string]any `json:"shielding"`
		Consents        []any          `json:"consents"`
		CaseSummaryRefs []any          `json:"caseSummaryRefs"`
	}
	if err := decode(body, &pkg); err != nil {
		return Snapshot{}, fmt.Errorf("decode transfer package: %w", err)
	}
	s := Snapshot(pkg)
	if s.Record == nil {
		s.Record = map[string]any{}
	}
	if s.Shielding == nil {
		s.Shielding = map[string]any{}
	}
	for _, a := range []*[]any{&s.Involvements, &s.Indicators, &s.Consents, &s.CaseSummaryRefs} {
		if *a == nil {
			*a = []any{}
		}
	}
	return s, nil
}

// Decode decodes one JSON document as a section value (map[string]any, []any, json.Number,
// string, bool or nil), for building a Snapshot from read responses.
func Decode(body []byte) (any, error) {
	var v any
	if err := decode(body, &v); err != nil {
		return nil, fmt.Errorf("decode section: %w", err)
	}
	return v, nil
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// AuditMetadata lists the pointer patterns Compare leaves out by default: the audit metadata
// of the contract's read shapes. In spec/openapi.yaml these are the `version` members of
// ChildRecord, Involvement and Indicator (a receiver numbers its own versions; entity tags are
// headers and never in a snapshot). Nothing else in those shapes is audit metadata: the
// shapes carry no lastUpdated, audit id or time of recording of the record itself, and a
// Consent's recordedBy and recordedAt are part of the consent (CONSENT-001), so they are
// compared. A "*" token matches any one token.
var AuditMetadata = []string{
	"/record/version",
	"/record/indicators/*/version",
	"/involvements/*/version",
	"/indicators/*/version",
}

// TransferEffects lists what a completed transfer changes by design: the responsible council.
// Pass it in Options.Except when comparing the sender's record before a transfer with the
// receiver's after it (A → B); leave it out for a round trip (A → B → A), where it must be
// equal again.
var TransferEffects = []string{"/record/responsibleLa"}

// Options tunes Compare.
type Options struct {
	// Except lists further pointer patterns to leave out, besides AuditMetadata; a pattern
	// also leaves out everything below it.
	Except []string
}

// Difference is one field that differs: Pointer locates it (an RFC 6901 JSON Pointer into
// the left snapshot, or into the right one for an element only the right has), Left and
// Right are the two values as compact JSON cut to 200 bytes, or Absent.
type Difference struct {
	Pointer string `json:"pointer"`
	Left    string `json:"left"`
	Right   string `json:"right"`
}

// String renders d on one line.
func (d Difference) String() string {
	return d.Pointer + ": " + d.Left + " ≠ " + d.Right
}

// Result is what Compare found: the differences in pointer order, and the sections that one
// side did not observe and that were therefore not compared.
type Result struct {
	Differences []Difference `json:"differences"`
	NotCompared []string     `json:"notCompared,omitempty"`
}

// Equal reports whether nothing differs. A result with sections not compared is not proof of
// equality of those sections; callers report them as not exercised.
func (r Result) Equal() bool { return len(r.Differences) == 0 }

// Compare returns every difference between left and right, audit metadata and opts.Except
// excepted. Members are compared by name; arrays of objects with an "id" are matched by id
// and case-summary references by sha256, whatever their order; other arrays of objects are
// matched first by equal elements, then by position; arrays of scalars (given names, address
// lines) are compared by position, since their order means something. It is safe for
// concurrent use.
func Compare(left, right Snapshot, opts Options) Result {
	c := comparer{except: splitPatterns(append(append([]string(nil), AuditMetadata...), opts.Except...))}
	var res Result
	sections := []struct {
		name        string
		left, right any
		lok, rok    bool
	}{
		{SectionRecord, left.Record, right.Record, left.Record != nil, right.Record != nil},
		{SectionInvolvements, left.Involvements, right.Involvements, left.Involvements != nil, right.Involvements != nil},
		{SectionIndicators, left.Indicators, right.Indicators, left.Indicators != nil, right.Indicators != nil},
		{SectionShielding, left.Shielding, right.Shielding, left.Shielding != nil, right.Shielding != nil},
		{SectionConsents, left.Consents, right.Consents, left.Consents != nil, right.Consents != nil},
		{SectionCaseSummaryRefs, left.CaseSummaryRefs, right.CaseSummaryRefs, left.CaseSummaryRefs != nil, right.CaseSummaryRefs != nil},
	}
	for _, s := range sections {
		if !s.lok || !s.rok {
			res.NotCompared = append(res.NotCompared, s.name)
			continue
		}
		c.value([]string{s.name}, s.left, s.right)
	}
	sort.SliceStable(c.diffs, func(i, j int) bool { return c.diffs[i].Pointer < c.diffs[j].Pointer })
	res.Differences = c.diffs
	if res.Differences == nil {
		res.Differences = []Difference{}
	}
	return res
}

type comparer struct {
	except [][]string
	diffs  []Difference
}

func splitPatterns(ps []string) [][]string {
	out := make([][]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, strings.Split(strings.TrimPrefix(p, "/"), "/"))
	}
	return out
}

// excepted reports whether path is, or is below, an excepted pattern.
func (c *comparer) excepted(path []string) bool {
	for _, p := range c.except {
		if len(p) > len(path) {
			continue
		}
		match := true
		for i, tok := range p {
			if tok != "*" && tok != path[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// missing marks a side without the value.
type missing struct{}

func (c *comparer) value(path []string, l, r any) {
	if c.excepted(path) {
		return
	}
	switch lv := l.(type) {
	case map[string]any:
		if rv, ok := r.(map[string]any); ok {
			c.object(path, lv, rv)
			return
		}
	case []any:
		if rv, ok := r.([]any); ok {
			c.array(path, lv, rv)
			return
		}
	}
	if equal(l, r) {
		return
	}
	c.diffs = append(c.diffs, Difference{Pointer: pointer(path), Left: render(l), Right: render(r)})
}

func (c *comparer) object(path []string, l, r map[string]any) {
	keys := make(map[string]bool, len(l)+len(r))
	for k := range l {
		keys[k] = true
	}
	for k := range r {
		keys[k] = true
	}
	for k := range keys {
		lv, lok := l[k]
		rv, rok := r[k]
		lx, rx := any(lv), any(rv)
		if !lok {
			lx = missing{}
		}
		if !rok {
			rx = missing{}
		}
		c.value(append(append([]string(nil), path...), k), lx, rx)
	}
}

// keyOf returns the member that identifies the elements of the array at path: "id" for
// sub-resources, "sha256" for case-summary references, "" for none.
func keyOf(path []string, l, r []any) string {
	if len(path) == 1 && path[0] == SectionCaseSummaryRefs {
		if allKeyed(l, "sha256") && allKeyed(r, "sha256") {
			return "sha256"
		}
	}
	if (len(l) > 0 || len(r) > 0) && allKeyed(l, "id") && allKeyed(r, "id") {
		return "id"
	}
	return ""
}

func allKeyed(a []any, key string) bool {
	seen := map[string]bool{}
	for _, e := range a {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		id, ok := m[key].(string)
		if !ok || id == "" || seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

func (c *comparer) array(path []string, l, r []any) {
	at := func(i int) []string { return append(append([]string(nil), path...), strconv.Itoa(i)) }
	if key := keyOf(path, l, r); key != "" {
		ri := map[string]int{}
		for i, e := range r {
			ri[e.(map[string]any)[key].(string)] = i
		}
		li := map[string]bool{}
		for i, e := range l {
			id := e.(map[string]any)[key].(string)
			li[id] = true
			if j, ok := ri[id]; ok {
				c.value(at(i), e, r[j])
			} else {
				c.value(at(i), e, missing{})
			}
		}
		for j, e := range r {
			if !li[e.(map[string]any)[key].(string)] {
				c.value(at(j), missing{}, e)
			}
		}
		return
	}
	objects := len(l) > 0 && allObjects(l) || len(r) > 0 && allObjects(r)
	pairL, pairR := map[int]bool{}, map[int]bool{}
	if objects {
		for i, e := range l {
			for j, f := range r {
				if !pairR[j] && equalExcept(c, at(i), e, f) {
					pairL[i], pairR[j] = true, true
					break
				}
			}
		}
	}
	var restL, restR []int
	for i := range l {
		if !pairL[i] {
			restL = append(restL, i)
		}
	}
	for j := range r {
		if !pairR[j] {
			restR = append(restR, j)
		}
	}
	for k := 0; k < len(restL) || k < len(restR); k++ {
		switch {
		case k < len(restL) && k < len(restR):
			c.value(at(restL[k]), l[restL[k]], r[restR[k]])
		case k < len(restL):
			c.value(at(restL[k]), l[restL[k]], missing{})
		default:
			c.value(at(restR[k]), missing{}, r[restR[k]])
		}
	}
}

func allObjects(a []any) bool {
	for _, e := range a {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// equalExcept reports whether l and r have no difference under c's exceptions.
func equalExcept(c *comparer, path []string, l, r any) bool {
	sub := comparer{except: c.except}
	sub.value(path, l, r)
	return len(sub.diffs) == 0
}

// empty reports whether v carries no information: absent, null, [] or {}. A member one side
// leaves out and the other sends empty is not a difference: the contract leaves the choice to
// the serialiser.
func empty(v any) bool {
	switch t := v.(type) {
	case missing, nil:
		return true
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

func equal(l, r any) bool {
	if empty(l) || empty(r) {
		return empty(l) && empty(r)
	}
	lb, lerr := json.Marshal(l)
	rb, rerr := json.Marshal(r)
	return lerr == nil && rerr == nil && bytes.Equal(lb, rb)
}

func render(v any) string {
	if _, ok := v.(missing); ok {
		return Absent
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(unrenderable)"
	}
	s := string(b)
	if len(s) <= maxValue {
		return s
	}
	cut := maxValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// pointer renders path as an RFC 6901 JSON Pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, tok := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok))
	}
	return b.String()
}
