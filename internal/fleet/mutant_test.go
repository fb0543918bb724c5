package fleet

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/simulators"
)

// purposeDefaulted is a reference that fills in a purpose of use the caller left out, instead
// of refusing the read (AUDIT-002).
func purposeDefaulted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Purpose-Of-Use") == "" {
			r.Header.Set("X-Purpose-Of-Use", "SERVICE_COORDINATION")
		}
		next.ServeHTTP(w, r)
	})
}

// auditTampered is a reference whose audit log cannot prove its integrity: every listed
// event's hash is altered, so the chain no longer verifies (AUDIT-003).
func auditTampered(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/audit-events" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var page map[string]any
		if rec.Code == http.StatusOK && json.Unmarshal(body, &page) == nil {
			if events, ok := page["events"].([]any); ok {
				for _, e := range events {
					if ev, ok := e.(map[string]any); ok {
						if h, ok := ev["hash"].(string); ok && h != "" {
							ev["hash"] = strings.Repeat("f", len(h))
						}
					}
				}
				if b, err := json.Marshal(page); err == nil {
					body = b
				}
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// withQuirk returns the reference behind one simulator quirk.
func withQuirk(t *testing.T, id string) System {
	t.Helper()
	q, ok := simulators.LookupQuirk(id)
	require.True(t, ok, "quirk %s", id)
	return Mutant("quirk:"+id, "mutant", q.Breaks, sqlite.Memory, func(h http.Handler) http.Handler {
		wrapped, err := simulators.Wrap(h, simulators.Config{}, id)
		require.NoError(t, err)
		return wrapped
	})
}

// TestEachDefectFailsOnlyItsRequirement breaks the reference deliberately, one defect at a
// time, and shows that the suite fails exactly the requirement each defect breaks and no other.
// The simulated products (TestSuiteIsExactOnEverySimulatedProduct) cover the other quirks,
// several of them one per product version.
func TestEachDefectFailsOnlyItsRequirement(t *testing.T) {
	systems := []System{
		withQuirk(t, simulators.QuirkNHSNoChecksum),        // accepts a bad NHS checksum: ID-001
		withQuirk(t, simulators.QuirkGenderMFU),            // gender as M/F/U: READ-004
		withQuirk(t, simulators.QuirkNamesASCIIFolded),     // apostrophes and accents stripped: READ-004
		withQuirk(t, simulators.QuirkIfMatchIgnored),       // ignores If-Match: VER-001, VER-002
		withQuirk(t, simulators.QuirkSensitiveDetailsLeak), // shows sensitive providers: SENS-002, READ-002
		Mutant("purpose-defaulted", "mutant", []string{"AUDIT-002"}, sqlite.Memory, purposeDefaulted),
		Mutant("audit-tampered", "mutant", []string{"AUDIT-003"}, sqlite.Memory, auditTampered),
	}
	results, err := Certify(context.Background(), systems, Options{OutDir: t.TempDir(), Parallel: testParallel})
	require.NoError(t, err)
	assertExact(t, results)
}
