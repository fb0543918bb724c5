package steps

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

// serveProblem answers every request with status, media type and body; echo controls
// whether the request's X-Correlation-ID comes back in the header and the body.
func serveProblem(status int, mediaType, code string, echo bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cid := "server-made"
		if echo {
			cid = r.Header.Get("X-Correlation-ID")
		}
		w.Header().Set("X-Correlation-ID", cid)
		w.Header().Set("Content-Type", mediaType)
		w.WriteHeader(status)
		if mediaType == "text/plain" {
			fmt.Fprint(w, "java.lang.NullPointerException\n\tat Foo.bar(Foo.java:1)")
			return
		}
		fmt.Fprintf(w, `{"type":"https://icscert.example/problems/x","title":"t","status":%d,"code":%q,"correlationId":%q}`, status, code, cid)
	}
}

func TestExpectProblem(t *testing.T) {
	cases := []struct {
		reason   string
		handler  http.Handler
		code     string
		failsFor []string // requirements of the returned failure; nil when it passes
		recorded []string // requirements of findings recorded without failing the step
	}{
		{"the right problem passes", serveProblem(403, "application/problem+json", "FORBIDDEN", true), "FORBIDDEN", nil, nil},
		{
			"the wrong code fails the scenario's requirement", serveProblem(404, "application/problem+json", "NOT_FOUND", true), "FORBIDDEN",
			[]string{},
			nil,
		},
		{
			"a text/plain error fails ERR-001 only", serveProblem(403, "text/plain", "", true), "FORBIDDEN",
			[]string{"ERR-001"},
			[]string{"ERR-001"},
		},
		{
			"a correlation id that is not echoed is recorded against ERR-001", serveProblem(403, "application/problem+json", "FORBIDDEN", false), "FORBIDDEN",
			nil,
			[]string{"ERR-001"},
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			w := testWorld(t, c.handler, nil)
			_, err := w.Send(Request{Method: "GET", Path: "/v1/children/child-0001", Purpose: "SAFEGUARDING_CONCERN"})
			require.NoError(t, err)
			err = w.ExpectProblem(c.code)
			if c.failsFor == nil {
				require.NoError(t, err, c.reason)
			} else {
				var ae *AssertionError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, c.failsFor, nonNil(ae.Requirements), c.reason)
			}
			var recorded []string
			for _, f := range w.Findings() {
				assert.Equal(t, reports.Fail, f.Verdict)
				recorded = append(recorded, f.Requirements...)
			}
			if c.recorded != nil {
				assert.Subset(t, recorded, c.recorded, c.reason)
			}
			assert.NotContains(t, recorded, "READ-001", "no finding is charged to the scenario's own requirement")
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestAttribute(t *testing.T) {
	require.NoError(t, Attribute(nil, "X-001"))
	te := &TargetError{Op: "GET /", Err: errors.New("boom")}
	assert.Same(t, te, Attribute(te, "X-001"), "an untestable target is not a requirement's failure")
	var ae *AssertionError
	require.ErrorAs(t, Attribute(errors.New("plain"), "X-001"), &ae)
	assert.Equal(t, []string{"X-001"}, ae.Requirements)
	require.ErrorAs(t, Attribute(Failf("/a", "1", "2", "m"), "Y-002"), &ae)
	assert.Equal(t, []string{"Y-002"}, ae.Requirements)
	assert.Equal(t, "/a", ae.Pointer)
}
