package steps

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRelDate(t *testing.T) {
	w := testWorld(t, http.NotFoundHandler(), func(o *Options) {
		o.Clock = func() time.Time { return time.Date(2026, 6, 15, 23, 30, 0, 0, time.UTC) }
	})
	for expr, want := range map[string]string{
		"today":            "2026-06-15",
		"yesterday":        "2026-06-14",
		"tomorrow":         "2026-06-16",
		"10 days ago":      "2026-06-05",
		"1 day ago":        "2026-06-14",
		"60 days from now": "2026-08-14",
		"13 months ago":    "2025-05-15",
		"2 years ago":      "2024-06-15",
		"1 year from now":  "2027-06-15",
	} {
		got, err := w.relDate(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	_, err := w.relDate("next week")
	var ce *ConfigError
	assert.ErrorAs(t, err, &ce, "an unknown expression is a suite defect")
}

func TestCalendarDate(t *testing.T) {
	for in, want := range map[any]string{
		"2026-06-15":           "2026-06-15",
		"15/06/2026":           "2026-06-15",
		"2026-06-15T10:00:00Z": "2026-06-15",
	} {
		got, ok := calendarDate(in)
		assert.True(t, ok, "%v", in)
		assert.Equal(t, want, got, "%v", in)
	}
	for _, in := range []any{nil, 20260615, "", "June 15", "2026-13-01"} {
		_, ok := calendarDate(in)
		assert.False(t, ok, "%v is not a date", in)
	}
	assert.True(t, sameDate("15/06/2026", "2026-06-15"))
	assert.False(t, sameDate("2026-06-16", "2026-06-15"))
}

func TestExpectFieldErrorAt(t *testing.T) {
	problem := func(status int, mediaType, errors string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			cid := r.Header.Get("X-Correlation-ID")
			w.Header().Set("X-Correlation-ID", cid)
			w.Header().Set("Content-Type", mediaType)
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"type":"https://icscert.example/problems/validation-failed","title":"t","status":%d,"code":"VALIDATION_FAILED","errors":%s,"correlationId":%q}`, status, errors, cid)
		}
	}
	cases := []struct {
		reason    string
		handler   http.Handler
		ptr, code string
		failsFor  []string // nil when it passes; empty for the scenario's requirements
	}{
		{"the exact pointer passes", problem(422, "application/problem+json", `[{"pointer":"/startDate","code":"REQUIRED"}]`), "/startDate", "", nil},
		{"a pointer inside the field passes", problem(422, "application/problem+json", `[{"pointer":"/organisation/contact/phone","code":"REQUIRED"}]`), "/organisation/contact", "", nil},
		{"a field of the same prefix is another field", problem(422, "application/problem+json", `[{"pointer":"/organisationName","code":"REQUIRED"}]`), "/organisation", "", []string{}},
		{"the code must match when named", problem(422, "application/problem+json", `[{"pointer":"/endDate","code":"INVALID_DATE"}]`), "/endDate", "DATE_ORDER", []string{}},
		{"another status fails", problem(400, "application/problem+json", `[{"pointer":"/startDate","code":"REQUIRED"}]`), "/startDate", "", []string{}},
		{"an error that is not a problem document counts against ERR-001", problem(422, "text/plain", `[]`), "/startDate", "", []string{"ERR-001"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			w := testWorld(t, c.handler, nil)
			_, err := w.Send(Request{Method: "GET", Path: "/v1/children/child-0001", Purpose: "SAFEGUARDING_CONCERN"})
			require.NoError(t, err)
			err = w.ExpectFieldErrorAt(c.ptr, c.code)
			if c.failsFor == nil {
				assert.NoError(t, err)
				return
			}
			var ae *AssertionError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, c.failsFor, nonNil(ae.Requirements))
		})
	}
}
