package registry_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/icscert/icscert/internal/browsertest"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/registry"
)

// screenshotDir is where the dashboard test leaves its screenshots: $ICSCERT_TEST_OUT or the
// system temporary folder, under icscert-dashboard.
func screenshotDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ICSCERT_TEST_OUT")
	if base == "" {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "icscert-dashboard")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestDashboardInBrowser loads the dashboard of the week-5 moment of the campaign (153
// councils, Hearthstone 1.0 still deployed and failing) both served by the registry and
// written as static files, and checks the figures against the registry's readiness.
func TestDashboardInBrowser(t *testing.T) {
	exe := browsertest.Path(t)
	c := runCampaign(t, 16)
	ctx := context.Background()
	asOf := c.Week(5).Add(time.Hour)
	want, err := c.Server.Readiness(ctx, asOf)
	require.NoError(t, err)
	static := t.TempDir()
	require.NoError(t, registry.WriteDashboard(ctx, c.Server, static, asOf))
	srv := httptest.NewServer(c.Server.Handler())
	defer srv.Close()
	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)

	bctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(bctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.WindowSize(1280, 1024))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	require.NoError(t, chromedp.Do(browser), "start %s", exe)

	var hearth registry.CouncilReadiness
	for _, cr := range want.Councils {
		if cr.Deployment != nil && cr.Deployment.Product == "Hearthstone" && len(cr.BlockingPeers) > 0 && hearth.Code == "" {
			hearth = cr
		}
	}
	require.NotEmpty(t, hearth.Code)

	for name, base := range map[string]string{
		"served": srv.URL + "/dashboard/",
		"static": (&url.URL{Scheme: "file", Path: static + "/"}).String(),
	} {
		t.Run(name, func(t *testing.T) {
			tab, cancelTab := chromedp.NewContext(browser)
			defer cancelTab()
			index := base + "index.html"
			if name == "served" {
				index += "?asOf=" + url.QueryEscape(asOf.Format(time.RFC3339))
			}
			text := func(sel string) string {
				t.Helper()
				v, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
				require.NoError(t, err, sel)
				return v
			}
			shot := func(file string) {
				t.Helper()
				png, err := chromedp.Run(tab, chromedp.FullScreenshot(80))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(shots, name+"-"+file+".jpg"), png, 0o644))
			}
			shown := func() int {
				t.Helper()
				n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.getElementById("filters").dispatchEvent(new Event("change")); document.querySelectorAll("tr.council:not([hidden])").length`))
				require.NoError(t, err)
				return n
			}
			require.NoError(t, chromedp.Do(tab, chromedp.Navigate(index), chromedp.WaitVisible(chromedp.CSS("#filters"))),
				"the filter form is shown once its script ran under the page's Content-Security-Policy")
			shot("index")
			assert.Equal(t, strconv.Itoa(want.Ready), text("#ready-count"))
			assert.Equal(t, strconv.Itoa(want.NotReady), text("#not-ready-count"))
			rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("tr.council").length`))
			require.NoError(t, err)
			assert.Equal(t, 153, rows)
			assert.Equal(t, "FAIL (XFER-002)", text(`td.cell[data-sender="Wrenfold@2.0"][data-receiver="Hearthstone@1.0"]`), "the matrix cell is the recorded pair result")
			assert.Equal(t, "PASS", text(`td.cell[data-sender="Hearthstone@1.0"][data-receiver="Wrenfold@2.0"]`))
			require.NotNil(t, want.Forecast)
			assert.Equal(t, strconv.Itoa(want.Forecast.Projected), text("#projected"))
			assert.Equal(t, strconv.Itoa(want.Forecast.Miss), text("#projected-miss"))
			points, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#chart circle").length`))
			require.NoError(t, err)
			assert.Equal(t, len(want.Series), points, "one chart point a week")

			require.NoError(t, chromedp.Do(tab, chromedp.SetValue(chromedp.CSS(`select[name="ready"]`), "no")))
			assert.Equal(t, want.NotReady, shown(), "the status filter leaves the councils not ready")
			require.NoError(t, chromedp.Do(tab, chromedp.SetValue(chromedp.CSS(`select[name="version"]`), "Hearthstone@1.0")))
			wantShown := 0
			for _, cr := range want.Councils {
				if !cr.Ready && cr.Deployment != nil && cr.Deployment.Product == "Hearthstone" && cr.Deployment.Version == "1.0" {
					wantShown++
				}
			}
			assert.Equal(t, wantShown, shown(), "status and version filters combine")
			shot("filtered")

			require.NoError(t, chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#council-`+hearth.Code+` a`)), chromedp.WaitVisible(chromedp.CSS("#reasons"))))
			shot("council-" + hearth.Code)
			reasons := text("#reasons")
			for _, r := range hearth.Reasons {
				assert.Contains(t, reasons, r.Code)
			}
			assert.Equal(t, strings.Join(hearth.FailedRequirements, ", "), text("#failed-requirements"))
			peers, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#blocking-peers a")].map(a => a.getAttribute("href").replace(/\.html.*$/, ""))`))
			require.NoError(t, err)
			assert.Equal(t, hearth.BlockingPeers, peers, "every blocking peer is listed and linked")
		})
	}
}
