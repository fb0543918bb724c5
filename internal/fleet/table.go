package fleet

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes one line per result: the system, how it ran, its verdict, the
// requirements it was expected to fail and those it failed, what the suite missed or charged
// wrongly, how many requirements were not tested, and whether the suite judged it exactly as
// expected.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SYSTEM\tKIND\tVERDICT\tEXPECTED TO FAIL\tFAILED\tMISSED\tEXTRA\tNOT TESTED\tEXACT\tTIME")
	for _, r := range results {
		verdict := "-"
		if r.Report != nil {
			verdict = string(r.Report.Verdict)
		}
		exact := "yes"
		if !r.Calibrated() {
			exact = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.System.Name, r.System.Kind, verdict,
			list(r.System.Expected), list(r.Failed), list(r.Missed), list(r.Extra), len(r.NotTested), exact,
			r.Duration.Round(10*time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, " ")
}
