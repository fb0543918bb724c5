package steps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/icscert/icscert/internal/fidelity"
	"github.com/icscert/icscert/reports"
)

// This file holds the comparison of XFER-004: what a council's management sees of a child on
// one system against what it saw on another, field by field (fidelity.Compare: every
// difference is a JSON Pointer with both values, audit metadata and the responsible council
// excepted). When the run has a Wire, the packages the capture proxies saw between the two
// observations split the comparison into legs, and each difference is charged to the system
// that held the record during its leg: the sender for a package that differs from what it
// held, the receiver for a record that differs from the package it was sent.

// holding is what the responsible council's management sees of a child on one system: the
// record (indicators and shielding included), the involvements and the consents.
type holding struct {
	snap fidelity.Snapshot
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
		if r.Status == http.StatusNotFound && strings.HasPrefix(path, "/v1/consents/") {
			return nil, nil // a consent the system does not hold: compared as lost
		}
		if r.Status != http.StatusOK {
			return nil, Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)),
				"the management of council %s could not read %s of %q on %s", council, what, tc.alias, system)
		}
		doc, err := r.JSON()
		if err != nil {
			return nil, Failf("", "a JSON body", "not JSON", "the %s of %q on %s is not JSON", what, tc.alias, system)
		}
		for _, p := range r.violated {
			switch {
			case strings.HasSuffix(path, "/involvements"):
				h.excused = append(h.excused, wildcard(p))
			case strings.HasPrefix(path, "/v1/consents/"):
				h.excused = append(h.excused, wildcard("/consents/0"+p))
			default:
				// The record's indicators and shielding are also sections of their own.
				h.excused = append(h.excused, wildcard("/record"+p))
				for _, sec := range []string{"/indicators", "/shielding"} {
					if strings.HasPrefix(p, sec) {
						h.excused = append(h.excused, wildcard(p))
					}
				}
			}
		}
		return doc, nil
	}
	rec, err := read("/v1/children/"+tc.childID, "the record")
	if err != nil {
		return nil, err
	}
	invs, err := read("/v1/children/"+tc.childID+"/involvements", "the involvements")
	if err != nil {
		return nil, err
	}
	list, _, _ := Lookup(invs, "/involvements")
	var consents []any
	for _, id := range tc.consents {
		c, err := read("/v1/consents/"+id, "a consent")
		if err != nil {
			return nil, err
		}
		if c != nil {
			consents = append(consents, c)
		}
	}
	h.snap = snapshotOf(rec, list, consents)
	return h, nil
}

// snapshotOf builds the fidelity snapshot of what a council's management read: the record
// (its indicators and shielding also as sections of their own, as a TransferPackage carries
// them), the involvements and the consents. Values are decoded again as fidelity decodes a
// package, so that numbers compare alike.
func snapshotOf(rec, involvements any, consents []any) fidelity.Snapshot {
	norm := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		out, err := fidelity.Decode(b)
		if err != nil {
			return nil
		}
		return out
	}
	var s fidelity.Snapshot
	s.Record, _ = norm(rec).(map[string]any)
	if s.Record == nil {
		s.Record = map[string]any{}
	}
	s.Indicators, _ = s.Record["indicators"].([]any)
	s.Shielding, _ = s.Record["shielding"].(map[string]any)
	s.Involvements, _ = norm(involvements).([]any)
	s.Consents, _ = norm(consents).([]any)
	if s.Indicators == nil {
		s.Indicators = []any{}
	}
	if s.Shielding == nil {
		s.Shielding = map[string]any{}
	}
	if s.Involvements == nil {
		s.Involvements = []any{}
	}
	if s.Consents == nil {
		s.Consents = []any{}
	}
	return s
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

// The requirements a difference between two observations breaks.
const (
	transferFidelityRequirement = fidelity.RequirementLossless // everything arrives without loss or change
	shieldSurvivesRequirement   = "SENS-005"                   // shielding survives merges, transfers, updates
)

// maxListedDifferences bounds the pointers a failure lists.
const maxListedDifferences = 12

// leg is one stretch of a record's way from the origin to the holding compared with it: the
// observation at its end, and the system answerable for a change along it.
type leg struct {
	snap    fidelity.Snapshot
	excused []string
	what    string // the observation, in words: "the package the target sent"
	party   string // reports.PartyTarget or PartyPeer; "" without a wire
	role    string // reports.RoleSender or RoleReceiver; "" without a wire
	// except leaves further pointers out of this leg (the case-summary references, which
	// only the first package is compared on).
	except []string
}

// expectUnchanged fails when what gotWhere holds of the child differs from the origin,
// leg by leg (see legsTo): the first leg with differences gives the failure, charged to its
// party, and a later leg with differences of its own is recorded as a finding of its own
// (each side answers for what it lost). Differences at a pointer either side's responses broke
// the contract at are left out.
func (w *World) expectUnchanged(tc *transferCase, gotWhere string, got *holding) error {
	legs := w.legsTo(tc, gotWhere, got)
	prev := fidelity.Snapshot(tc.origin.snap)
	if refs := w.proposedRefs(tc); refs != nil {
		prev.CaseSummaryRefs = refs
	}
	prevExcused := tc.origin.excused
	var errs []*AssertionError
	for _, l := range legs {
		opts := fidelity.Options{Except: append(append([]string(nil), fidelity.TransferEffects...), l.except...)}
		excused := append(append([]string(nil), prevExcused...), l.excused...)
		var diffs []fidelity.Difference
		for _, d := range fidelity.Compare(prev, l.snap, opts).Differences {
			if !excusedBy(d.Pointer, excused) {
				diffs = append(diffs, d)
			}
		}
		if len(diffs) > 0 {
			errs = append(errs, differencesError(tc.alias, l, diffs))
		}
		prev, prevExcused = l.snap, l.excused
	}
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs[1:] {
		w.Record(w.finding(e))
	}
	return errs[0]
}

// legsTo returns the legs from the origin to got: with a wire, one per package the child's
// transfers carried (the package each sender sent, as the capture proxy forwarded it) and a
// last one to got; without, the one leg to got.
func (w *World) legsTo(tc *transferCase, gotWhere string, got *holding) []leg {
	var legs []leg
	wire := w.wire()
	for i, t := range tc.legs {
		if wire == nil {
			break
		}
		body, ok := wire.Package(t.sender == onTarget, t.id)
		if !ok {
			continue
		}
		pkg, err := fidelity.FromPackage(body)
		if err != nil {
			continue // the proxy's contract check charges a package that is not one
		}
		l := leg{snap: pkg, what: "the package " + t.sender + " sent", party: partyOf(t.sender), role: reports.RoleSender}
		if i > 0 {
			l.except = []string{"/" + fidelity.SectionCaseSummaryRefs}
		}
		legs = append(legs, l)
	}
	last := leg{snap: got.snap, excused: got.excused, what: "what " + gotWhere + " holds"}
	if len(legs) > 0 {
		last.party, last.role = partyOf(gotWhere), reports.RoleReceiver
	}
	return append(legs, last)
}

// proposedRefs returns the case-summary references the harness named when it proposed the
// child's first transfer, as a package carries them; nil when the harness proposed none.
func (w *World) proposedRefs(tc *transferCase) []any {
	if len(tc.legs) == 0 {
		return nil
	}
	b, err := json.Marshal(w.caseSummaryRefs(tc))
	if err != nil {
		return nil
	}
	v, err := fidelity.Decode(b)
	if err != nil {
		return nil
	}
	refs, _ := v.([]any)
	return refs
}

// differencesError is the failure of one leg: every differing pointer named (values only for
// the first, which the redactor then handles: a message never carries values), charged to the
// leg's party, and to SENS-005 as well when the shielding changed.
func differencesError(alias string, l leg, diffs []fidelity.Difference) *AssertionError {
	var ptrs []string
	for i, d := range diffs {
		if i == maxListedDifferences {
			ptrs = append(ptrs, fmt.Sprintf("and %d more", len(diffs)-i))
			break
		}
		switch {
		case d.Right == fidelity.Absent:
			ptrs = append(ptrs, d.Pointer+" (lost)")
		case d.Left == fidelity.Absent:
			ptrs = append(ptrs, d.Pointer+" (added)")
		default:
			ptrs = append(ptrs, d.Pointer+" (changed)")
		}
	}
	first := diffs[0]
	err := &AssertionError{
		Pointer: first.Pointer, Expected: first.Left, Actual: first.Right, Party: l.party, Role: l.role,
		Message: fmt.Sprintf("%s of %q differs from what was held before, in %d field(s): %s",
			l.what, alias, len(diffs), strings.Join(ptrs, ", ")),
	}
	if shieldingChanged(diffs) {
		// A shield lost or changed in a transfer also breaks SENS-005: shielding survives
		// transfers. One comparison, charged to both requirements it breaks.
		err.Requirements = []string{transferFidelityRequirement, shieldSurvivesRequirement}
	}
	return err
}

// shieldingChanged reports whether a difference lies in the record's shielding.
func shieldingChanged(diffs []fidelity.Difference) bool {
	for _, d := range diffs {
		for _, p := range []string{"/record/shielding", "/shielding"} {
			if d.Pointer == p || strings.HasPrefix(d.Pointer, p+"/") {
				return true
			}
		}
	}
	return false
}
