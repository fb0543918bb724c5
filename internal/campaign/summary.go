package campaign

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/icscert/icscert/registry"
)

// WriteSummary writes the national summary of a campaign's end, from the registry's
// readiness: how many councils are ready, the product versions deployed and their
// certificates, the pairs that fail, why councils are not ready, the deployment checks failing
// and the forecast for the deadline. It is deterministic for a given campaign.
func WriteSummary(w io.Writer, res *Result) error {
	rd := res.Readiness
	if rd == nil {
		return fmt.Errorf("summary: the campaign has no readiness")
	}
	var b strings.Builder
	last := len(res.Weeks) - 1
	fmt.Fprintf(&b, "National readiness on %s (week %d of %d; deadline %s)\n",
		rd.AsOf.Format(time.DateOnly), last, len(res.Weeks), res.Deadline.Format(time.DateOnly))
	fmt.Fprintf(&b, "  %d live councils: %d ready, %d not ready\n", rd.Total, rd.Ready, rd.NotReady)
	fmt.Fprintf(&b, "  runs: %d certifications, %d pairs, %d deployment checks (each product version certified once and each pair run once, for every council running them)\n\n",
		res.Certified, res.Pairs, res.Checks)

	b.WriteString("Product versions deployed\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  VERSION\tCERTIFICATE\tCOUNCILS")
	for _, v := range rd.Versions {
		if len(v.Councils) == 0 {
			continue
		}
		cert := v.Status
		if reqs := reasonRequirements(v.Reasons); len(reqs) > 0 {
			cert += ": fails " + strings.Join(reqs, ", ")
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%d\n", v.Product, v.Version, cert, len(v.Councils))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	var failing []registry.MatrixCell
	for _, m := range rd.Matrix {
		if m.Verdict != "PASS" {
			failing = append(failing, m)
		}
	}
	fmt.Fprintf(&b, "\nPairs of deployed versions that do not pass: %d of %d\n", len(failing), len(rd.Matrix))
	for _, m := range failing {
		line := fmt.Sprintf("  %s -> %s  %s", m.Sender, m.Receiver, m.Verdict)
		if len(m.FailedRequirements) > 0 {
			line += " " + strings.Join(m.FailedRequirements, ", ")
		}
		if m.AtFault != "" {
			line += " (at fault: " + m.AtFault + ")"
		}
		b.WriteString(line + "\n")
	}

	reasons := map[string]int{}
	checks := map[string]int{}
	for _, c := range rd.Councils {
		seen := map[string]bool{}
		for _, r := range c.Reasons {
			if !seen[r.Code] {
				seen[r.Code] = true
				reasons[r.Code]++
			}
		}
		if c.Check != nil {
			for _, f := range c.Check.Failed {
				checks[f.Check]++
			}
		}
	}
	b.WriteString("\nWhy councils are not ready (councils per reason; a council may have several)\n")
	for _, k := range sortedByCount(reasons) {
		fmt.Fprintf(&b, "  %-24s %d\n", k, reasons[k])
	}
	if len(checks) > 0 {
		b.WriteString("Deployment checks failing now (councils per failed check)\n")
		for _, k := range sortedByCount(checks) {
			fmt.Fprintf(&b, "  %-24s %d\n", k, checks[k])
		}
	}

	b.WriteString("\nReady councils week by week: ")
	for i, wk := range res.Weeks {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d", wk.Ready)
	}
	b.WriteString("\n")
	if f := rd.Forecast; f != nil {
		fmt.Fprintf(&b, "Forecast for the deadline %s: %d of %d councils ready; %d projected to miss it (%+.1f a week)\n  %s\n",
			f.Deadline.Format(time.DateOnly), f.Projected, f.Total, f.Miss, f.PerWeek, f.Method)
	} else {
		b.WriteString("Forecast: none (no deadline or no history)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func reasonRequirements(rs []registry.Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Requirements...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedByCount returns the keys of m, most frequent first, then by name.
func sortedByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}
