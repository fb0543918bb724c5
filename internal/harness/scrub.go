package harness

import (
	"fmt"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/steps"
)

// Bounds on a whole report, on top of the per-exchange and per-scenario bounds of steps.
const (
	// MaxReportEvidence bounds the evidence (bodies, headers, errors of exchanges) one report
	// keeps; the exchanges of later failures over it keep their method, URL and status only.
	MaxReportEvidence = 16 << 20
	// maxReportText bounds every free-text string of a report (messages, step errors,
	// expected and actual values).
	maxReportText = 8 << 10
	// maxTargetText bounds each string a target file gives (name, vendor, councils…).
	maxTargetText = 200
)

// scrub is the last pass over a report before it is finalised and written: every string that
// came from the target or from an error (messages, step errors, expected and actual values,
// exchanges) is clipped and passes the redactor, whatever its source, and the evidence of the
// whole report is bounded. The suite's own words (requirement texts, scenario names, step
// texts) are left as they are.
func scrub(rep *reports.Report, red steps.Redactor) {
	text := func(s string) string { return red.Text(steps.Clip(s, maxReportText)) }
	rep.Message = text(rep.Message)
	budget := MaxReportEvidence
	for i := range rep.Scenarios {
		sc := &rep.Scenarios[i]
		for j := range sc.Steps {
			sc.Steps[j].Error = text(sc.Steps[j].Error)
		}
		f := sc.Failure
		if f == nil {
			continue
		}
		f.Message, f.Expected, f.Actual = text(f.Message), text(f.Expected), text(f.Actual)
		for k := range f.Exchanges {
			x := &f.Exchanges[k]
			scrubExchange(x, red)
			size := steps.EvidenceSize(*x)
			if size > budget {
				*x = reports.Exchange{
					Operation: x.Operation, Method: x.Method, URL: x.URL, Status: x.Status, DurationMs: x.DurationMs,
					Error: fmt.Sprintf("[evidence not kept: the report is over its bound of %d MiB]", MaxReportEvidence>>20),
				}
				size = steps.EvidenceSize(*x)
			}
			budget -= min(size, budget)
		}
	}
}

// scrubExchange passes every string of x through the redactor again: the exchange was redacted
// when it was recorded, but values generated later in the scenario were not known then.
func scrubExchange(x *reports.Exchange, red steps.Redactor) {
	x.URL, x.RequestBody, x.ResponseBody, x.Error = red.Text(x.URL), red.Text(x.RequestBody), red.Text(x.ResponseBody), red.Text(x.Error)
	for k, v := range x.RequestHeaders {
		x.RequestHeaders[k] = red.Text(v)
	}
	for k, v := range x.ResponseHeaders {
		x.ResponseHeaders[k] = red.Text(v)
	}
	for k, v := range x.Violations {
		x.Violations[k] = red.Text(v)
	}
}

// clipTarget bounds every string of a target as the report shows it.
func clipTarget(t reports.Target) reports.Target {
	c := func(s string) string { return steps.Clip(s, maxTargetText) }
	t.Name, t.BaseURL, t.Vendor, t.Product, t.Version = c(t.Name), c(t.BaseURL), c(t.Vendor), c(t.Product), c(t.Version)
	for i := range t.Councils {
		t.Councils[i] = c(t.Councils[i])
	}
	for i := range t.Capabilities {
		t.Capabilities[i] = c(t.Capabilities[i])
	}
	return t
}
