package reports

import (
	"fmt"
	"strings"
)

// headline is the one line that every format shows above everything else, so that a reader
// of any of them draws the same conclusion. It is built only from counts and the harness's own
// words, never from target data. Examples:
//
//	conformant: 58 requirements passed, 2 not applicable
//	incomplete: 10 MUST requirements not tested
//	not conformant: 2 MUST requirements failed; 10 MUST requirements not tested
//	partial run (--tags "@ID-001"): incomplete: 59 MUST requirements not tested
func (r *Report) headline() string {
	failed, notTested, errored := r.blockingCounts(Fail), r.blockingCounts(NotTested), r.blockingCounts(Error)
	var h string
	switch r.Verdict {
	case Pass:
		h = "conformant: " + plural(r.Summary.Requirements[Pass], "requirement") + " passed"
		if n := r.Summary.Requirements[NotApplicable]; n > 0 {
			h += fmt.Sprintf(", %d not applicable", n)
		}
	case Incomplete:
		h = "incomplete: " + notTested + " not tested"
	case Fail:
		h = "not conformant: " + failed + " failed"
	case Error:
		h = "not conformant: the target could not be tested"
		if errored != "" {
			h += " (" + errored + " in error)"
		}
	case Config:
		h = "not tested: the harness or the target file is misconfigured"
	default:
		h = "nothing tested: no scenario ran"
	}
	if r.Verdict != Incomplete && notTested != "" && (r.Verdict == Fail || r.Verdict == Error) {
		h += "; " + notTested + " not tested"
	}
	if r.Partial {
		h = fmt.Sprintf("partial run (--tags %q): %s", r.Suite.Tags, h)
	}
	return h
}

// blockingCounts counts the blocking requirements with verdict v by level, in words:
// "10 MUST requirements", "1 MUST and 2 SHOULD requirements", or "" when there are none.
func (r *Report) blockingCounts(v Verdict) string {
	must, should := 0, 0
	for _, req := range r.Requirements {
		if req.Verdict != v || !r.blocks(req) {
			continue
		}
		if req.Level == LevelMust {
			must++
		} else {
			should++
		}
	}
	switch {
	case must > 0 && should > 0:
		return fmt.Sprintf("%d %s and %d %s requirements", must, LevelMust, should, LevelShould)
	case must > 0:
		return plural(must, LevelMust+" requirement")
	case should > 0:
		return plural(should, LevelShould+" requirement")
	default:
		return ""
	}
}

// plural writes n and noun, adding "s" to the noun unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// RunKind says whether r covered the whole suite: "full run" or "partial run (--tags …)".
func RunKind(r *Report) string {
	if r.Partial {
		return fmt.Sprintf("partial run (--tags %q)", strings.TrimSpace(r.Suite.Tags))
	}
	return "full run"
}
