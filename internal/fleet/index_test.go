package fleet

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icscert/icscert/internal/browsertest"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// screenshotDir is where the browser tests leave screenshots for people to look at: out/screenshots
// at the repository root (git-ignored), or ICSCERT_SCREENSHOTS.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ICSCERT_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "out", "screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestIndexPageInBrowser certifies a real failing system (kinledger@3.3, which breaks
// READ-004), writes the index beside two made-up results (a conformant one and a hostile name),
// and opens the pages in headless Chromium. The index speaks to an official: it counts the
// systems by outcome without calling the failing ones certified, names the failed requirement
// by its title, says nothing of calibration, and links each name to its report; calibration.html
// keeps the engineers' view, where a misjudged system is marked. The system's report.html shows
// its failed requirements first, by title, and scenarios by name. Screenshots of report.html and
// index.html are saved to out/screenshots for people to look at.
func TestIndexPageInBrowser(t *testing.T) {
	exe := browsertest.Path(t)
	p, ok := simulators.Lookup("kinledger@3.3", "")
	require.True(t, ok)
	dir := t.TempDir()
	certified, err := Certify(context.Background(), []System{Simulated(p)}, Options{OutDir: dir})
	require.NoError(t, err)
	require.Len(t, certified, 1)
	require.Equal(t, reports.Fail, certified[0].Report.Verdict, certified[0].Report.Headline)

	hostile := `x"><script>window.__pwned=1</script>`
	results := []Result{
		{
			System: System{Name: "reference", Kind: "reference", Target: &harness.Target{Product: "reference"}},
			Report: &reports.Report{Verdict: reports.Pass, Conformant: true, Headline: "conformant: 60 requirements passed"}, Duration: time.Second,
		},
		certified[0],
		{
			System: System{Name: "misjudged", Kind: "in-process", Expected: []string{"READ-004"}, Target: &harness.Target{Vendor: "Mossbank Informatics"}},
			Report: &reports.Report{Verdict: reports.Fail}, Failed: []string{"SEARCH-003"}, Missed: []string{"READ-004"}, Extra: []string{"SEARCH-003"},
		},
		{System: System{Name: hostile, Kind: "in-process", Target: &harness.Target{}}, Report: &reports.Report{Verdict: reports.Incomplete}},
	}
	require.NoError(t, WriteIndex(dir, results, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "reference"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reference", reports.HTMLFile), []byte("<title>reference report</title>"), 0o644))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 1600))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	shots := screenshotDir(t)
	fileURL := func(path string) string { return (&url.URL{Scheme: "file", Path: path}).String() }

	// The failing system's own report: failed requirements first, with titles; scenarios by name.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(fileURL(filepath.Join(dir, "kinledger@3.3", reports.HTMLFile))),
		chromedp.WaitVisible(chromedp.ID("failed-requirements"))))
	reportShot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()) // the top of the page: the whole report is too tall for one image
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shots, "report-failing.png"), reportShot, 0o644))
	failedFirst, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.getElementById("failed-requirements").compareDocumentPosition(document.getElementById("requirements-heading")) === Node.DOCUMENT_POSITION_FOLLOWING`))
	require.NoError(t, err)
	failedItem, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#failed-requirements li[data-requirement="READ-004"]`)))
	require.NoError(t, err)
	failedCount, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#failed-requirements li").length`))
	require.NoError(t, err)
	firstScenario, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#scenarios tbody th").textContent`))
	require.NoError(t, err)
	assert.True(t, failedFirst, "the failed requirements come before the full requirement tables")
	assert.Equal(t, 1, failedCount, "kinledger@3.3 fails READ-004 only")
	assert.Contains(t, failedItem, "READ-004")
	assert.Contains(t, failedItem, "Dates and names round-trip exactly", "the failed requirement is named by its title")
	assert.Contains(t, failedItem, "Failed by:", "the scenarios that failed it follow")
	assert.NotContains(t, failedItem, ".feature:", "scenarios are named, not given as file:line")
	assert.NotContains(t, firstScenario, ".feature:", "the scenario table leads with names")
	assert.NotEmpty(t, strings.TrimSpace(firstScenario))

	// The index, for an official.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(fileURL(filepath.Join(dir, IndexFile))),
		chromedp.WaitVisible(chromedp.ID("systems"))))
	indexShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shots, "index.png"), indexShot, 0o644))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#systems tbody tr").length`))
	require.NoError(t, err)
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("summary")))
	require.NoError(t, err)
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	failing, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[id="system-kinledger@3.3"]`)))
	require.NoError(t, err)
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof window.__pwned`))
	require.NoError(t, err)
	assert.Equal(t, 4, rows, "one row per system")
	assert.Equal(t, "4 systems tested: 1 conformant, 2 not conformant, 1 incomplete (not every MUST requirement was tested).", summary)
	for _, jargon := range []string{"certified", "Expected to fail", "Missed", "Extra", "Exact"} {
		assert.NotContains(t, page+title, jargon, "the official's page does not say %q", jargon)
	}
	assert.Contains(t, failing, "Not conformant")
	assert.Contains(t, failing, "READ-004 Dates and names round-trip exactly", "failed requirements carry their titles")
	assert.Equal(t, "undefined", pwned, "a hostile name never runs as script")

	// The engineers' calibration view.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("calibration-link")), chromedp.WaitVisible(chromedp.ID("calibration"))))
	exact, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("system-misjudged").dataset.exact`))
	require.NoError(t, err)
	misjudged, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[id="system-misjudged"] td:nth-of-type(8)`)))
	require.NoError(t, err)
	assert.Equal(t, "false", exact, "a misjudged system is marked")
	assert.Equal(t, "NO", misjudged, "and says so in words")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(fileURL(filepath.Join(dir, IndexFile))), chromedp.WaitVisible(chromedp.ID("systems")),
		chromedp.Click(chromedp.CSS("#system-reference a"))))
	require.Eventually(t, func() bool {
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		return err == nil && title == "reference report"
	}, 10*time.Second, 100*time.Millisecond, "the name links to the system's report")
}
