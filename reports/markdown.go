package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Limits that keep summary.md short enough for a pull-request comment.
const (
	mdFailureRows = 20  // failed requirements listed before "and N more"
	mdErrorRows   = 10  // erroring requirements listed before "and N more"
	mdReasonLimit = 120 // runes of one reason
	mdTextLimit   = 200 // runes of the run message and of target fields
)

// mdEscaper makes text inert in GitHub-flavoured Markdown, including inside a table cell:
// HTML is shown as text, and emphasis, links, code spans and cell breaks do not start.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `|`, `\|`,
	`&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
)

// md returns s as one line of at most limit runes, escaped for Markdown.
func md(s string, limit int) string {
	return mdEscaper.Replace(oneLine(s, limit))
}

// WriteMarkdown writes r to w as summary.md, short enough for a pull-request comment: the
// verdict and the headline as plain text (no emoji), whether it was a full or a partial run,
// the target and suite, a table of counts, each failed requirement with its title and a
// one-line reason (at most 20, then a count of the rest), the requirements not tested, and a
// collapsed
// <details> with the requirements that were in ERROR or CONFIG and those NOT_APPLICABLE.
// Every piece of report text is cut to one line and escaped, so evidence cannot break the
// table or inject HTML. It returns an error if r has not been finalised.
func WriteMarkdown(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "## icscert conformance report\n\n**Verdict: %s** · %s · blocking levels: %s\n\n",
		r.Verdict, md(r.Headline, mdTextLimit), blockingLevels(r))
	fmt.Fprintf(&b, "- Run: %s\n", md(RunKind(r), mdTextLimit))
	target := md(systemName(r), mdTextLimit)
	if r.Target.Vendor != "" {
		target += " by " + md(r.Target.Vendor, mdTextLimit)
	}
	if r.Target.BaseURL != "" {
		target += " at " + md(r.Target.BaseURL, mdTextLimit)
	}
	fmt.Fprintf(&b, "- Target: %s\n", target)
	fmt.Fprintf(&b, "- Suite: spec %s, suite %s", md(r.Suite.SpecVersion, mdTextLimit), md(r.Suite.SuiteVersion, mdTextLimit))
	if !r.FinishedAt.IsZero() {
		fmt.Fprintf(&b, ", finished %s", r.FinishedAt.UTC().Format(humanTime))
	}
	b.WriteString("\n")
	if r.Message != "" {
		fmt.Fprintf(&b, "- Message: %s\n", md(r.Message, mdTextLimit))
	}

	b.WriteString("\n|  |")
	for _, v := range verdictOrder {
		fmt.Fprintf(&b, " %s |", v)
	}
	b.WriteString("\n| --- |" + strings.Repeat(" ---: |", len(verdictOrder)) + "\n")
	for _, row := range []struct {
		name   string
		counts map[Verdict]int
	}{{"Requirements", r.Summary.Requirements}, {"Scenarios", r.Summary.Scenarios}} {
		fmt.Fprintf(&b, "| %s |", row.name)
		for _, v := range verdictOrder {
			fmt.Fprintf(&b, " %d |", row.counts[v])
		}
		b.WriteString("\n")
	}

	scenarios := scenarioIndex(r)
	var failed, errored, notApplicable, notTested []*Requirement
	for i := range r.Requirements {
		switch req := &r.Requirements[i]; req.Verdict {
		case Fail:
			failed = append(failed, req)
		case NotTested:
			notTested = append(notTested, req)
		case Error, Config:
			errored = append(errored, req)
		case NotApplicable:
			notApplicable = append(notApplicable, req)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(&b, "\n### Failed requirements (%d)\n\n| Requirement | Level | Title | Reason |\n| --- | --- | --- | --- |\n", len(failed))
		for i, req := range failed {
			if i == mdFailureRows {
				fmt.Fprintf(&b, "\nAnd %d more: see report.html.\n", len(failed)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", md(req.ID, mdTextLimit), req.Level, md(req.Title, mdTextLimit), mdReason(req, scenarios))
		}
	}
	if len(notTested) > 0 {
		ids := make([]string, len(notTested))
		for i, req := range notTested {
			ids[i] = md(req.ID, mdTextLimit) + " (" + req.Level + ")"
		}
		fmt.Fprintf(&b, "\n### Not tested (%d)\n\nNo scenario of this run showed these either way: %s.\n", len(notTested), strings.Join(ids, ", "))
	}
	if len(errored)+len(notApplicable) > 0 {
		fmt.Fprintf(&b, "\n<details>\n<summary>Errors (%d) and not applicable (%d)</summary>\n\n", len(errored), len(notApplicable))
		for i, req := range errored {
			if i == mdErrorRows {
				fmt.Fprintf(&b, "- and %d more: see report.html\n", len(errored)-i)
				break
			}
			fmt.Fprintf(&b, "- %s %s: %s\n", req.Verdict, md(req.ID, mdTextLimit), mdReason(req, scenarios))
		}
		if len(notApplicable) > 0 {
			ids := make([]string, len(notApplicable))
			for i, req := range notApplicable {
				ids[i] = md(req.ID, mdTextLimit)
			}
			fmt.Fprintf(&b, "- NOT_APPLICABLE: %s\n", strings.Join(ids, ", "))
		}
		b.WriteString("\n</details>\n")
	}
	writeMarkdownRemarks(&b, r)
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// writeMarkdownRemarks lists the checks that were not exercised and the warnings, each with its
// scenario, at most mdErrorRows of each.
func writeMarkdownRemarks(b *bytes.Buffer, r *Report) {
	var notExercised, warnings []string
	for _, s := range r.Scenarios {
		if s.NotExercised != "" {
			notExercised = append(notExercised, fmt.Sprintf("- %s (%s): %s", md(s.Name, mdTextLimit), md(s.ID, mdTextLimit), md(s.NotExercised, mdReasonLimit)))
		}
		for _, w := range s.Warnings {
			warnings = append(warnings, fmt.Sprintf("- %s (%s): %s", md(s.Name, mdTextLimit), md(s.ID, mdTextLimit), md(w, mdReasonLimit)))
		}
	}
	for _, list := range []struct {
		title string
		lines []string
	}{{"Not exercised", notExercised}, {"Warnings", warnings}} {
		if len(list.lines) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n### %s (%d)\n\n", list.title, len(list.lines))
		for i, line := range list.lines {
			if i == mdErrorRows {
				fmt.Fprintf(b, "- and %d more: see report.html\n", len(list.lines)-i)
				break
			}
			b.WriteString(line + "\n")
		}
	}
}

// mdReason is the one-line, escaped reason for req's verdict, naming the deciding scenario.
func mdReason(req *Requirement, scenarios map[string]*Scenario) string {
	s, why := requirementReason(req, scenarios)
	if s == nil {
		return "no reason recorded"
	}
	if why == "" {
		why = "scenario verdict " + string(s.Verdict)
	}
	return md(why, mdReasonLimit) + " (" + md(s.ID, mdTextLimit) + ")"
}
