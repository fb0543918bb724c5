package interop

import (
	"fmt"
	"slices"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// Check is the calibration of one cell: what it was expected to fail, and how it differs.
type Check struct {
	Sender, Receiver string
	// Expected are the requirements and sides the pair's quirks break.
	Expected []Fault
	// Missed were expected and not failed; Extra failed and were not expected (or were
	// charged to the wrong side); Stray are own-API defects the systems are not built with.
	Missed, Extra, Stray []Fault
	// Verdict is the cell's; a calibrated cell with no expected failure must PASS, or be
	// INCOMPLETE only because a system's own expected defect stopped a scenario.
	Verdict reports.Verdict
	// OwnMet says the pair met own-API defects of its systems.
	OwnMet bool
}

// Calibrated reports whether the cell is exactly as the quirks say.
func (c Check) Calibrated() bool {
	if len(c.Missed) > 0 || len(c.Extra) > 0 || len(c.Stray) > 0 {
		return false
	}
	if len(c.Expected) == 0 {
		return c.Verdict == reports.Pass || (c.Verdict == reports.Incomplete && c.OwnMet)
	}
	return c.Verdict == reports.Fail
}

// String renders the check on one line.
func (c Check) String() string {
	return fmt.Sprintf("%s → %s: %s, missed %v, extra %v, stray own defects %v", c.Sender, c.Receiver, c.Verdict, keys(c.Missed), keys(c.Extra), keys(c.Stray))
}

func keys(fs []Fault) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Requirement+"/"+f.Side)
	}
	return out
}

// Calibrate checks every cell of m against the systems' expectations: the exchange fails
// exactly the sender's AsSender requirements, charged to the SENDER, and the receiver's
// AsReceiver, charged to the RECEIVER; the own-API defects it met are among the system's
// Breaks; a pair of conforming systems passes. Systems without an Expectation are left out.
func Calibrate(m *Matrix, systems []System) []Check {
	byName := map[string]*Expectation{}
	for _, s := range systems {
		byName[s.Name] = s.Expect
	}
	var out []Check
	for _, c := range m.Cells {
		se, re := byName[c.Sender], byName[c.Receiver]
		if se == nil || re == nil {
			continue
		}
		chk := Check{Sender: c.Sender, Receiver: c.Receiver, Verdict: c.Verdict, OwnMet: len(c.Own) > 0}
		asSender, asReceiver := se.AsSender, re.AsReceiver
		if se.Profile != nil && re.Profile != nil {
			asSender, asReceiver = simulators.PairBreaks(*se.Profile, *re.Profile)
		}
		for _, r := range asSender {
			chk.Expected = append(chk.Expected, Fault{Requirement: r, Side: reports.RoleSender, System: c.Sender})
		}
		for _, r := range asReceiver {
			chk.Expected = append(chk.Expected, Fault{Requirement: r, Side: reports.RoleReceiver, System: c.Receiver})
		}
		has := func(list []Fault, f Fault) bool {
			return slices.ContainsFunc(list, func(g Fault) bool { return g.Requirement == f.Requirement && g.Side == f.Side })
		}
		for _, e := range chk.Expected {
			if !has(c.Failed, e) {
				chk.Missed = append(chk.Missed, e)
			}
		}
		for _, f := range c.Failed {
			if !has(chk.Expected, f) {
				chk.Extra = append(chk.Extra, f)
			}
		}
		for _, f := range c.Own {
			exp := se
			if f.System == c.Receiver && f.Side == reports.RoleReceiver {
				exp = re
			}
			if !slices.Contains(exp.Breaks, f.Requirement) {
				chk.Stray = append(chk.Stray, f)
			}
		}
		out = append(out, chk)
	}
	return out
}
