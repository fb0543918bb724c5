package reports

import (
	"context"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/icscert/icscert/internal/browsertest"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageEvents records what a tab fetched and complained about.
type pageEvents struct {
	mu       sync.Mutex
	requests []string
	problems []string // uncaught exceptions and error-level log entries, such as CSP violations
}

func (p *pageEvents) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		p.problems = append(p.problems, "exception: "+ev.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			p.problems = append(p.problems, "log: "+ev.Entry.Text)
		}
	}
}

func (p *pageEvents) snapshot() (requests, problems []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...), append([]string(nil), p.problems...)
}

// openTab opens a new tab on browser, optionally with scripts disabled, records its events
// and loads page.
func openTab(t *testing.T, browser context.Context, page string, scripts bool) (context.Context, *pageEvents) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	events := &pageEvents{}
	require.NoError(t, chromedp.Listen(tab, events.listen))
	if !scripts {
		_, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		require.NoError(t, err)
	}
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("overall-verdict"))))
	return tab, events
}

func TestHTMLInBrowser(t *testing.T) {
	exe := browsertest.Path(t)

	dir := t.TempDir()
	require.NoError(t, WriteAll(dir, failuresReport(t)))
	page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, HTMLFile)}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	require.NoError(t, chromedp.Do(browser), "start %s", exe)

	t.Run("with scripts", func(t *testing.T) {
		tab, events := openTab(t, browser, page, true)

		verdict, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("overall-verdict")))
		require.NoError(t, err)
		assert.Contains(t, verdict, "FAIL", "the overall verdict is visible as text")
		conformant, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("conformant")))
		require.NoError(t, err)
		assert.Contains(t, conformant, "Conformant: No")

		row, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS("#req-ID-001"), "data-verdict"))
		require.NoError(t, err)
		assert.Equal(t, "FAIL", row.Value, "the failing requirement's row carries its verdict")
		badge, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#req-ID-001 .badge")))
		require.NoError(t, err)
		assert.Equal(t, "FAIL", badge, "the verdict is written out, not shown by colour alone")

		pwned, err := chromedp.Run(tab, chromedp.Evaluate[string](`typeof window.__icscertPwned`))
		require.NoError(t, err)
		assert.Equal(t, "undefined", pwned, "the <script> in the evidence must not run")
		scripts, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.scripts.length`))
		require.NoError(t, err)
		assert.Equal(t, 1, scripts, "the page's own script is the only <script> element")
		body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#evidence-1 pre.response")))
		require.NoError(t, err)
		assert.Contains(t, body, "</pre><script>window.__icscertPwned = true</script>]]>", "the hostile evidence is shown as text")
		assert.Contains(t, body, `\x00\x1b[31m\x07`, "control characters are shown as escapes")

		shown, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!document.getElementById("filters").hidden`))
		require.NoError(t, err)
		assert.True(t, shown, "the inline script ran under the page's Content-Security-Policy")
		require.NoError(t, chromedp.Do(tab, chromedp.Click(chromedp.CSS(`input[data-filter="PASS"]`))))
		hidden, err := chromedp.Run(tab, chromedp.Evaluate[[]bool](
			`["req-ID-001", "req-ID-002"].map(id => document.getElementById(id).hidden)`))
		require.NoError(t, err)
		assert.Equal(t, []bool{false, true}, hidden, "unticking PASS hides passing rows only")

		requests, problems := events.snapshot()
		require.NotEmpty(t, requests, "the page load itself is recorded")
		for _, u := range requests {
			assert.Equal(t, page, u, "a self-contained page fetches nothing but itself")
		}
		assert.Empty(t, problems, "no exceptions, blocked scripts or failed loads")
	})

	t.Run("without scripts", func(t *testing.T) {
		tab, events := openTab(t, browser, page, false)

		verdict, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("overall-verdict")))
		require.NoError(t, err)
		assert.Contains(t, verdict, "FAIL", "the verdict needs no script")
		rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("tr.requirement:not([hidden])").length`))
		require.NoError(t, err)
		assert.Equal(t, len(catalogue()), rows, "every requirement is listed without script")
		filters, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("filters").hidden`))
		require.NoError(t, err)
		assert.True(t, filters, "controls that need script stay hidden without it")
		require.NoError(t, chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#evidence-1 pre.response"))),
			"the first exchange of each failure is open without script")

		requests, _ := events.snapshot()
		for _, u := range requests {
			assert.Equal(t, page, u, "a self-contained page fetches nothing but itself")
		}
	})
}
