// Package browsertest finds headless Chromium for the browser tests of the HTML pages.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Path returns the path of Chromium (chromium, chromium-browser or google-chrome on PATH).
// Without one it skips the test, unless ICSCERT_REQUIRE_BROWSER=1 (CI), which makes a missing
// browser a failure.
func Path(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("ICSCERT_REQUIRE_BROWSER") == "1" {
		tb.Fatal("no chromium on PATH, and ICSCERT_REQUIRE_BROWSER=1 requires the browser test")
	}
	tb.Skip("no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium); ICSCERT_REQUIRE_BROWSER=1 makes this a failure")
	return ""
}
