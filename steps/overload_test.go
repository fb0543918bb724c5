package steps

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shedEvery answers a child record, except that every every-th request (counted from 1) from the
// shedFrom-th on is shed with 503, with Retry-After when retryAfter is set. shedFrom 0 never sheds.
func shedEvery(shedFrom, every int64, retryAfter bool) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		w.Header().Set("X-Correlation-ID", r.Header.Get("X-Correlation-ID"))
		if shedFrom > 0 && i >= shedFrom && i%every == 0 {
			if retryAfter {
				w.Header().Set("Retry-After", "1")
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"type":"https://icscert.example/problems/service-unavailable","title":"The service is unavailable","status":503,"code":"SERVICE_UNAVAILABLE","correlationId":%q}`,
				r.Header.Get("X-Correlation-ID"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"1"`)
		fmt.Fprint(w, childRecord("2015-12-31", "FEMALE"))
	})
}

// TestOverloadIsExercised: the overload check ramps its burst until the system sheds, fails a
// shed without Retry-After, and says the check was not exercised when nothing was ever shed.
func TestOverloadIsExercised(t *testing.T) {
	cases := []struct {
		reason       string
		handler      http.Handler
		sent         int    // requests sent in all the bursts
		fails        string // pointer of the failure; "" for none
		notExercised string // the remark; "" for none
	}{
		{
			"a system that sheds nothing is not exercised, after the ramp to MaxBurst", shedEvery(0, 1, true), 64 + 128 + 256, "",
			"the system answered every request of bursts of 64, 128, 256 at once, so how it sheds load (429 or 503 with Retry-After) was not exercised",
		},
		{"a system that sheds the first burst with Retry-After passes at once", shedEvery(1, 2, true), 64, "", ""},
		{"a system that sheds only a bigger burst is found by the ramp", shedEvery(100, 2, false), 64 + 128, "header:Retry-After", ""},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			w := testWorld(t, tc.handler, nil)
			a, err := w.AddActor("Priya", "PRACTITIONER", "HEALTH", "202", "")
			require.NoError(t, err)
			require.NoError(t, w.readBurst(a, "child-0001", 64), tc.reason)
			assert.Len(t, w.notes.burst, tc.sent, tc.reason)
			err = w.expectShedWithRetryAfter()
			if tc.fails == "" {
				require.NoError(t, err, tc.reason)
			} else {
				var ae *AssertionError
				require.ErrorAs(t, err, &ae, tc.reason)
				assert.Equal(t, tc.fails, ae.Pointer, tc.reason)
			}
			var got string
			for _, r := range w.remarks {
				if r.Kind == RemarkNotExercised {
					got = r.Message
					assert.NotEmpty(t, r.Exchanges, "a check not exercised keeps its attempt as evidence")
				}
			}
			assert.Equal(t, tc.notExercised, got, tc.reason)
		})
	}
}
