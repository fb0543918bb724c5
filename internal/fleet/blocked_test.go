package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// foreignUPNRefused is a reference that wrongly refuses every child it would create whose UPN
// was issued by a council other than 202, with 422 INVALID_UPN: one defect (ID-002) that most
// set-up steps creating a child of another council run into. It refuses only what the reference
// would create: it first sends the reference a probe, the same request with one property the
// contract does not define and no Idempotency-Key, and refuses only when the reference's sole
// objection is that property (every other refusal, of a missing token or an invalid body, stays
// the reference's, and nothing is created).
func foreignUPNRefused(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/children" || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		refused := foreignUPN(body)
		if refused < 0 || !onlyProbeRefused(next, r, body) {
			next.ServeHTTP(w, r)
			return
		}
		corr := r.Header.Get("X-Correlation-ID")
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Correlation-ID", corr)
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(spec.Problem{
			Type: "https://icscert.example/problems/invalid-upn", Title: "The UPN is not valid",
			Status: http.StatusUnprocessableEntity, Code: "INVALID_UPN", CorrelationID: corr,
			Errors: []spec.FieldError{{Pointer: fmt.Sprintf("/identifiers/%d/value", refused), Code: "INVALID_UPN"}},
		})
	})
}

// foreignUPN returns the index among a child's identifiers of a UPN issued by a council other
// than 202, or -1.
func foreignUPN(body []byte) int {
	var child struct {
		Identifiers []struct {
			System string `json:"system"`
			Value  string `json:"value"`
		} `json:"identifiers"`
	}
	if json.Unmarshal(body, &child) != nil {
		return -1
	}
	for i, id := range child.Identifiers {
		upn := strings.ToUpper(strings.ReplaceAll(id.Value, " ", ""))
		if id.System == "UPN" && len(upn) == 13 && upn[1:4] != "202" {
			return i
		}
	}
	return -1
}

// onlyProbeRefused sends next the create r with body and a property the contract does not
// define, and reports whether the reference refused it for that property alone.
func onlyProbeRefused(next http.Handler, r *http.Request, body []byte) bool {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	doc["mutantProbe"] = true
	probeBody, err := json.Marshal(doc)
	if err != nil {
		return false
	}
	probe := r.Clone(r.Context())
	probe.Header.Del("Idempotency-Key")
	probe.Body = io.NopCloser(bytes.NewReader(probeBody))
	probe.ContentLength = int64(len(probeBody))
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, probe)
	var p spec.Problem
	return rec.Code == http.StatusUnprocessableEntity && json.Unmarshal(rec.Body.Bytes(), &p) == nil &&
		p.Code == "UNKNOWN_PROPERTY" && len(p.Errors) == 1 && p.Errors[0].Pointer == "/mutantProbe"
}

// TestOneDefectOneFailure: a system that wrongly refuses one kind of valid record fails the
// requirement it breaks and no other, the scenarios whose set-up it refused are BLOCKED by that
// requirement, and junit.xml has one failing testcase per scenario of that requirement, not one
// per scenario the defect crossed.
func TestOneDefectOneFailure(t *testing.T) {
	out := t.TempDir()
	sys := Mutant("foreign-upn-refused", "mutant", []string{"ID-002"}, sqlite.Memory, foreignUPNRefused)
	results, err := Certify(context.Background(), []System{sys}, Options{OutDir: out, Parallel: 1})
	require.NoError(t, err)
	require.Len(t, results, 1)
	assertExact(t, results)
	rep := results[0].Report

	var blocked, failed int
	for _, s := range rep.Scenarios {
		switch s.Verdict {
		case reports.Blocked:
			blocked++
			require.NotNil(t, s.Failure)
			assert.Equal(t, []string{"ID-002"}, s.Failure.Requirements, "%s is blocked by the one defect", s.ID)
		case reports.Fail:
			failed++
			assert.Contains(t, s.Tags, "@ID-002", "%s: only ID-002's own scenarios fail", s.ID)
		}
	}
	assert.Positive(t, blocked, "the defect crosses the set-up of other requirements' scenarios")
	t.Logf("%d scenarios FAIL (ID-002's own), %d BLOCKED by ID-002", failed, blocked)

	b, err := os.ReadFile(filepath.Join(out, results[0].System.Name, "junit.xml"))
	require.NoError(t, err)
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	require.NoError(t, xml.Unmarshal(b, &junit))
	untested := 0 // one failing testcase says which MUST requirements the blocked scenarios left untested
	if strings.Contains(rep.Headline, "not tested") {
		untested = 1
	}
	assert.Equal(t, failed+untested, junit.Failures,
		"junit.xml fails only ID-002's own scenarios, and says what was left untested (%d tests; %s)", junit.Tests, rep.Headline)
}
