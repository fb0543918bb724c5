package fleet

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reports"
)

// TestIndexPageInBrowser opens the index page in headless Chromium: every system has a row
// with its verdict, a system the suite misjudged says so, a hostile system name is shown as
// text, and each name links to that system's report.
func TestIndexPageInBrowser(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		if os.Getenv("ICSCERT_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium on PATH, and ICSCERT_REQUIRE_BROWSER=1 requires the browser test")
		}
		t.Skip("no chromium on PATH (apt-get install chromium); ICSCERT_REQUIRE_BROWSER=1 makes this a failure")
	}

	hostile := `x"><script>window.__pwned=1</script>`
	results := []Result{
		{
			System: System{Name: "reference", Kind: "reference", Target: &harness.Target{Product: "reference"}},
			Report: &reports.Report{Verdict: reports.Pass, Conformant: true}, Duration: time.Second,
		},
		{
			System: System{Name: "kinledger@3.3", Kind: "in-process", Expected: []string{"READ-004"}, Target: &harness.Target{Vendor: "Mossbank Informatics"}},
			Report: &reports.Report{Verdict: reports.Fail}, Failed: []string{"READ-004", "SEARCH-003"}, Extra: []string{"SEARCH-003"},
		},
		{System: System{Name: hostile, Kind: "in-process", Target: &harness.Target{}}, Report: &reports.Report{Verdict: reports.Pass, Conformant: true}},
	}
	dir := t.TempDir()
	require.NoError(t, WriteIndex(dir, results, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "reference"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reference", reports.HTMLFile), []byte("<title>reference report</title>"), 0o644))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "index.html")}).String()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("systems"))))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#systems tbody tr").length`))
	require.NoError(t, err)
	refVerdict, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#system-reference"), "data-verdict"))
	require.NoError(t, err)
	exact, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("system-kinledger@3.3").dataset.exact`))
	require.NoError(t, err)
	misjudged, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[id="system-kinledger@3.3"] td:nth-of-type(8)`)))
	require.NoError(t, err)
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof window.__pwned`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#system-reference a"))))
	require.Eventually(t, func() bool {
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		return err == nil && title == "reference report"
	}, 10*time.Second, 100*time.Millisecond, "the name links to the system's report")
	assert.Equal(t, 3, rows, "one row per system")
	assert.Equal(t, "PASS", refVerdict.Value)
	assert.Equal(t, "false", exact, "a misjudged system is marked")
	assert.Equal(t, "NO", misjudged, "and says so in words")
	assert.Equal(t, "undefined", pwned, "a hostile name never runs as script")
}
