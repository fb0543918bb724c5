package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

// fuzzMethods are the methods FuzzHandlers picks from.
var fuzzMethods = []string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions,
}

// FuzzHandlers sends random requests with a valid management token to the handler and
// checks what must hold for any input: never a 5xx, every error a registered problem+json
// carrying the correlation id, every response within the contract, and a refused request
// changes no record. Paths may name real records through the placeholders {child}, {inv},
// {ind} and {consent}.
func FuzzHandlers(f *testing.F) {
	seeds := []struct {
		method         byte
		path, ctype    string
		body           string
		purpose, match string
	}{
		{1, "/v1/children", "application/json", `{"name":{"family":"Fuzz"},"gender":"MALE","dateOfBirth":"2015-01-01"}`, "", ""},
		{1, "/v1/children", "application/json", `{"name":{"family":"Fuzz"},"gender":"X","dateOfBirth":"2015-02-30","extra":1}`, "", ""},
		{1, "/v1/children", "application/json", `{"name":`, "", ""},
		{1, "/v1/children/search", "application/json", `{"familyName":"Fuzz","dateOfBirth":"2015-01-01","gender":"MALE"}`, "SAFEGUARDING_CONCERN", ""},
		{1, "/v1/children/search", "application/json", `{"nhsNumber":"943 476 5919"}`, "BREAK_GLASS", ""},
		{0, "/v1/children/{child}", "", "", "S47_ENQUIRY", ""},
		{3, "/v1/children/{child}", "application/merge-patch+json", `{"gender":"FEMALE"}`, "", `"1"`},
		{3, "/v1/children/{child}", "application/json", `{"responsibleLa":{"dfeCode":"213"}}`, "", `"1"`},
		{0, "/v1/children/{child}/involvements", "", "", "SERVICE_COORDINATION", ""},
		{1, "/v1/children/{child}/involvements", "application/json", `{"serviceType":"SENSITIVE_MENTAL_HEALTH","organisation":{"name":"O","contact":{"email":"a@b.c"}},"startDate":"2026-01-01"}`, "", ""},
		{3, "/v1/involvements/{inv}", "application/json", `{"endDate":"2025-01-01"}`, "", `"1"`},
		{4, "/v1/involvements/{inv}", "", "", "", ""},
		{1, "/v1/children/{child}/indicators", "application/json", `{"type":"CAF_UNDERTAKEN","startDate":"2026-01-01","involvementId":"{inv}"}`, "", ""},
		{3, "/v1/indicators/{ind}", "application/json", `{"linkedChildId":"{child}"}`, "", `"1"`},
		{2, "/v1/children/{child}/shield", "application/json", `{"reasonCode":"ADOPTION","reviewDue":"2027-01-01"}`, "", ""},
		{4, "/v1/children/{child}/shield", "", "", "", ""},
		{1, "/v1/children/{child}/merge", "application/json", `{"mergedId":"{child}"}`, "", ""},
		{1, "/v1/children/{child}/consents", "application/json", `{"scope":"RETAIN_TO_25","givenBy":"CHILD","givenOn":"2026-01-01","retainToAge":30}`, "", ""},
		{1, "/v1/consents/{consent}/withdrawal", "application/json", `{"withdrawnOn":"2020-01-01"}`, "", ""},
		{0, "/v1/consents/{consent}", "", "", "", ""},
		{0, "/v1/children/{child}/access-history?limit=0", "", "", "", ""},
		{0, "/v1/audit-events?afterSeq=1&limit=2&childId={child}", "", "", "", ""},
		{2, "/v1/audit-events/1", "application/json", `{}`, "", ""},
		{0, "/v1/meta", "", "", "", ""},
		{0, "/healthz/../v1/meta", "", "", "", ""},
		{6, "/v1//children", "text/plain", "\x00\xff", "BOGUS", "*"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ctype, []byte(s.body), s.purpose, s.match)
	}

	st, err := sqlite.Open(sqlite.Memory)
	require.NoError(f, err)
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(f, err)
	srv, err := New(Options{Store: st, Keys: JWKSFromBytes(issuer.JWKS()), Clock: func() time.Time { return testStart }})
	require.NoError(f, err)
	f.Cleanup(func() { require.NoError(f, srv.Close()) })
	token, err := issuer.Token(fixtures.Claims{Sub: "fuzzer", Role: roleLAManagement, Org: "fuzz-org", La: ownLa, Sector: "LA", IssuedAt: testStart})
	require.NoError(f, err)
	handler, contract := srv.Handler(), spec.MustLoad()
	refs := fuzzRecords(f, srv, handler, token)

	f.Fuzz(func(t *testing.T, method byte, path, ctype string, body []byte, purpose, ifMatch string) {
		for k, v := range refs {
			path = strings.ReplaceAll(path, k, v)
			body = bytes.ReplaceAll(body, []byte(k), []byte(v))
		}
		req := httptest.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], "/", bytes.NewReader(body))
		rawPath, rawQuery, _ := strings.Cut(path, "?")
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = rawPath, "", rawQuery
		req.Header.Set("Authorization", "Bearer "+token)
		for name, value := range map[string]string{"Content-Type": ctype, "X-Purpose-Of-Use": purpose, "If-Match": ifMatch} {
			if value != "" {
				req.Header[name] = []string{value}
			}
		}
		before := countChildren(t, st)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		status := rec.Code
		require.Less(t, status, 500, "no input may cause a 5xx: %s %q → %s", req.Method, path, rec.Body.Bytes())
		assert.NotEmpty(t, rec.Header().Get("X-Correlation-ID"))
		if status >= 400 && req.Method != http.MethodHead {
			assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
			var p spec.Problem
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), "errors are problem+json: %s", rec.Body.Bytes())
			reg, found := spec.LookupError(p.Code)
			assert.True(t, found, "a registered code: %s", p.Code)
			assert.Equal(t, reg.Status, status)
			assert.Equal(t, rec.Header().Get("X-Correlation-ID"), p.CorrelationID)
			assert.Equal(t, before, countChildren(t, st), "a refused request writes nothing")
		}
		res := contract.Check(req, body, status, rec.Header(), rec.Body.Bytes())
		for _, v := range res.ResponseViolations() {
			t.Errorf("%s %q → %d: %s", req.Method, path, status, v)
		}
	})
}

// fuzzRecords creates a child with an involvement, an indicator and a consent for the fuzz
// paths to name, and returns the placeholders' values.
func fuzzRecords(f *testing.F, srv *Server, handler http.Handler, token string) map[string]string {
	f.Helper()
	gen := fixtures.NewGenerator(7)
	gen.Today = testStart
	ids, err := srv.Seed(context.Background(), ownLa, []spec.NewChild{gen.Child()})
	require.NoError(f, err)
	post := func(path string, body any) string {
		b, err := json.Marshal(body)
		require.NoError(f, err)
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		require.Equal(f, http.StatusCreated, rec.Code, "%s", rec.Body.Bytes())
		var out struct{ ID string }
		require.NoError(f, json.Unmarshal(rec.Body.Bytes(), &out))
		return out.ID
	}
	child := ids[0]
	inv := post("/v1/children/"+child+"/involvements", gen.Involvement("EDUCATION", "2025-09-01"))
	ind := post("/v1/children/"+child+"/indicators", spec.NewIndicator{Type: indUnbornCPP, StartDate: "2026-01-01", ExpectedDateOfBirth: "2026-09-01"})
	consent := post("/v1/children/"+child+"/consents", spec.NewConsent{Scope: scopeSensitive, GivenBy: "CHILD", GivenOn: "2026-01-01"})
	return map[string]string{"{child}": child, "{inv}": inv, "{ind}": ind, "{consent}": consent}
}

// countChildren counts the stored children.
func countChildren(t *testing.T, st store.Store) int {
	t.Helper()
	var n int
	require.NoError(t, st.View(context.Background(), func(tx store.Tx) error {
		var err error
		n, err = tx.CountChildren()
		return err
	}))
	return n
}
