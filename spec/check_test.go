package spec

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const base = "http://sut.example:49152" // any host and port must route

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	return b
}

// withField returns the JSON of v with field set to value (or removed when value is nil).
func withField(tb testing.TB, v any, field string, value any) []byte {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal(mustJSON(tb, v), &m))
	if value == nil {
		delete(m, field)
	} else {
		m[field] = value
	}
	return mustJSON(tb, m)
}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Correlation-ID", "corr-1")
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func problemHeader(extra ...string) http.Header {
	h := jsonHeader(extra...)
	h.Set("Content-Type", "application/problem+json")
	return h
}

func problemBody(tb testing.TB, code string, status int) []byte {
	tb.Helper()
	e, ok := LookupError(code)
	title := "x"
	if ok {
		title = e.Title
	}
	return mustJSON(tb, Problem{
		Type:  "https://icscert.example/problems/" + strings.ToLower(strings.ReplaceAll(code, "_", "-")),
		Title: title, Status: status, Code: code, CorrelationID: "corr-1",
	})
}

type exchange struct {
	method, url string
	reqHeader   http.Header
	reqBody     []byte
	status      int
	respHeader  http.Header
	respBody    []byte
}

func (x exchange) request(tb testing.TB) *http.Request {
	tb.Helper()
	req := httptest.NewRequest(x.method, x.url, bytes.NewReader(x.reqBody))
	for k, v := range x.reqHeader {
		req.Header[k] = v
	}
	return req
}

func TestCheck(t *testing.T) {
	c := MustLoad()
	child := sampleChildRecord()
	childURL := base + "/v1/children/" + sampleChildID
	readHeader := http.Header{"X-Purpose-Of-Use": {"SAFEGUARDING_CONCERN"}, "Authorization": {"Bearer x.y.z"}}
	writeHeader := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer x.y.z"}}
	okChild := jsonHeader("ETag", `"3"`)
	newChild := NewChild{Name: sampleName(), Gender: "FEMALE", DateOfBirth: "2015-12-25"}

	type want struct {
		where, pointer, field, expected, actual, message string
	}
	cases := []struct {
		name, reason string
		x            exchange
		operation    string
		want         []want // each must be found; none means the exchange conforms
	}{
		{
			name: "valid getChild", reason: "a conforming read passes, whatever the host and port",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, mustJSON(t, child)},
			operation: "getChild",
		},
		{
			name: "date as dd/mm/yyyy", reason: "vendor quirk 1 is caught at the exact field",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, withField(t, child, "dateOfBirth", "25/12/2015")},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/dateOfBirth", field: "format", expected: "format date (YYYY-MM-DD)", actual: `"25/12/2015"`}},
		},
		{
			name: "gender as M", reason: "vendor quirk 2 is caught as an enum violation",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, withField(t, child, "gender", "M")},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/gender", field: "enum", expected: "one of NOT_KNOWN, MALE, FEMALE, NOT_SPECIFIED", actual: `"M"`}},
		},
		{
			name: "problem as text/plain", reason: "vendor quirk 8: errors must be problem+json",
			x: exchange{
				http.MethodGet, childURL, readHeader, nil, 500,
				http.Header{"Content-Type": {"text/plain"}, "X-Correlation-Id": {"corr-1"}},
				[]byte("panic: runtime error\ngoroutine 1"),
			},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:Content-Type", field: "content", expected: "application/problem+json", actual: "text/plain"}},
		},
		{
			name: "undeclared status", reason: "a status the operation does not declare is a violation despite the default response",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 418, problemHeader(), problemBody(t, "FORBIDDEN", 418)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, field: "status", actual: "418", message: "status 418 is not declared for operation getChild"}},
		},
		{
			name: "unknown path", reason: "an exchange outside the contract is reported",
			x:    exchange{http.MethodGet, base + "/v1/nowhere", nil, nil, 404, problemHeader(), problemBody(t, "NOT_FOUND", 404)},
			want: []want{{where: WhereRequest, message: "no operation in the contract for GET /v1/nowhere"}},
		},
		{
			name: "unknown property in createChild", reason: "request bodies are closed (ERR-003); the fault is the request's",
			x: exchange{
				http.MethodPost, base + "/v1/children", writeHeader, withField(t, newChild, "nickname", "Zo"),
				422, problemHeader(), problemBody(t, "UNKNOWN_PROPERTY", 422),
			},
			operation: "createChild",
			want:      []want{{where: WhereRequest, pointer: "/nickname", field: "additionalProperties", actual: `"Zo"`}},
		},
		{
			name: "valid createChild", reason: "a conforming create passes",
			x: exchange{
				http.MethodPost, base + "/v1/children", writeHeader, mustJSON(t, newChild),
				201, okChild, mustJSON(t, child),
			},
			operation: "createChild",
		},
		{
			name: "missing If-Match", reason: "If-Match is optional in the document: 428 is the server behaviour under test (VER-001)",
			x: exchange{
				http.MethodPatch, childURL, writeHeader, []byte(`{"whereabouts":"NO_KNOWN_ADDRESS"}`),
				428, problemHeader(), problemBody(t, "PRECONDITION_REQUIRED", 428),
			},
			operation: "updateChild",
		},
		{
			name: "merge patch media type", reason: "application/merge-patch+json is accepted for PATCH",
			x: exchange{
				http.MethodPatch, childURL,
				http.Header{"Content-Type": {"application/merge-patch+json"}, "If-Match": {`"3"`}},
				[]byte(`{"whereabouts":"NO_KNOWN_ADDRESS"}`),
				200, okChild, mustJSON(t, child),
			},
			operation: "updateChild",
		},
		{
			name: "missing purpose", reason: "X-Purpose-Of-Use is optional in the document: 400 PURPOSE_REQUIRED is under test (AUDIT-002)",
			x:         exchange{http.MethodGet, childURL, nil, nil, 400, problemHeader(), problemBody(t, "PURPOSE_REQUIRED", 400)},
			operation: "getChild",
		},
		{
			name: "unknown purpose", reason: "a purpose outside the code list is a request fault",
			x: exchange{
				http.MethodGet, childURL,
				http.Header{"X-Purpose-Of-Use": {"CURIOSITY"}},
				nil,
				422, problemHeader(), problemBody(t, "UNKNOWN_CODE", 422),
			},
			operation: "getChild",
			want:      []want{{where: WhereRequest, pointer: "header:X-Purpose-Of-Use", field: "enum"}},
		},
		{
			name: "missing ETag", reason: "READ-001: a single-resource read carries its ETag",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, jsonHeader(), mustJSON(t, child)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:ETag", field: "required", actual: absent}},
		},
		{
			name: "weak ETag", reason: "the ETag is strong: the version in quotes",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, jsonHeader("ETag", `W/"3"`), mustJSON(t, child)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:ETag", field: "pattern"}},
		},
		{
			name: "missing correlation id", reason: "every response carries X-Correlation-ID",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, http.Header{"Content-Type": {"application/json"}, "Etag": {`"3"`}}, mustJSON(t, child)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:X-Correlation-ID", field: "required"}},
		},
		{
			name: "503 without Retry-After", reason: "vendor quirk 11 (ERR-004)",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 503, problemHeader(), problemBody(t, "SERVICE_UNAVAILABLE", 503)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:Retry-After", field: "required"}},
		},
		{
			name: "429 with Retry-After", reason: "a conforming overload answer passes",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 429, problemHeader("Retry-After", "2"), problemBody(t, "RATE_LIMITED", 429)},
			operation: "getChild",
		},
		{
			name: "Retry-After not a number", reason: "Retry-After is in seconds",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 429, problemHeader("Retry-After", "soon"), problemBody(t, "RATE_LIMITED", 429)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "header:Retry-After", field: "type"}},
		},
		{
			name: "problem code with the wrong status", reason: "ERR-001: the status is the one the registry gives the code",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 400, problemHeader(), problemBody(t, "NOT_FOUND", 400)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/code", field: "x-error-codes"}},
		},
		{
			name: "problem status differs from HTTP status", reason: "ERR-001: the body's status is the HTTP status",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 404, problemHeader(), problemBody(t, "NOT_FOUND", 410)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/status", field: "status"}},
		},
		{
			name: "unregistered problem code", reason: "ERR-001: codes come from the registry",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 404, problemHeader(), problemBody(t, "NO_SUCH_KID", 404)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/code", field: "enum"}},
		},
		{
			name: "missing required property", reason: "a required field that is absent is pointed at by name",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, withField(t, child, "gender", nil)},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/gender", field: "required", expected: `property "gender" present`, actual: absent}},
		},
		{
			name: "NHS number stored with spaces", reason: "vendor quirk 3: identifiers are served normalised",
			x: exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, withField(t, child, "identifiers", []map[string]any{
				{"system": "NHS_NUMBER", "value": "999 000 0018", "verified": true},
			})},
			operation: "getChild",
			want:      []want{{where: WhereResponse, pointer: "/identifiers/0/value", field: "pattern"}},
		},
		{
			name: "unknown response property", reason: "clients ignore unknown properties in responses (ERR-003)",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, withField(t, child, "vendorExtra", true)},
			operation: "getChild",
		},
		{
			name: "empty body", reason: "a 200 read must have a body",
			x:         exchange{http.MethodGet, childURL, readHeader, nil, 200, okChild, nil},
			operation: "getChild",
			want:      []want{{where: WhereResponse}},
		},
		{
			name: "DELETE involvement answered 405", reason: "INV-002: there is no DELETE, and 405 with a problem is the right answer",
			x: exchange{http.MethodDelete, base + "/v1/involvements/" + sampleInvID, nil, nil, 405, problemHeader(), problemBody(t, "METHOD_NOT_ALLOWED", 405)},
		},
		{
			name: "DELETE involvement answered 204", reason: "vendor quirk 9: a hard delete breaks the contract",
			x:    exchange{http.MethodDelete, base + "/v1/involvements/" + sampleInvID, nil, nil, 204, http.Header{}, nil},
			want: []want{{where: WhereResponse, field: "status", expected: "405", message: "no operation in the contract for DELETE /v1/involvements/" + sampleInvID}},
		},
		{
			name: "405 as text/plain", reason: "a 405 is a problem too",
			x:    exchange{http.MethodDelete, base + "/v1/involvements/" + sampleInvID, nil, nil, 405, http.Header{"Content-Type": {"text/plain"}, "X-Correlation-Id": {"c"}}, []byte("no")},
			want: []want{{where: WhereResponse, field: "content"}},
		},
		{
			name: "search route beats {id}", reason: "the literal /v1/children/search routes to searchChildren",
			x: exchange{
				http.MethodPost, base + "/v1/children/search",
				http.Header{"Content-Type": {"application/json"}, "X-Purpose-Of-Use": {"SERVICE_COORDINATION"}},
				mustJSON(t, SearchRequest{FamilyName: "O'Connor", DateOfBirth: "2015-12-25", GivenName: "Zoë"}),
				200, jsonHeader(), mustJSON(t, SearchResult{Results: []ChildRecord{child}, Count: 1}),
			},
			operation: "searchChildren",
		},
		{
			name: "malformed path id", reason: "ids follow the contract's pattern",
			x:         exchange{http.MethodGet, base + "/v1/children/x", readHeader, nil, 404, problemHeader(), problemBody(t, "NOT_FOUND", 404)},
			operation: "getChild",
			want:      []want{{where: WhereRequest, pointer: "path:id", field: "pattern"}},
		},
		{
			name: "audit page", reason: "query parameters and a nested page validate",
			x: exchange{
				http.MethodGet, base + "/v1/audit-events?afterSeq=6&limit=10", nil, nil,
				200, jsonHeader(), mustJSON(t, AuditEventPage{Events: []AuditEvent{sampleAuditEvent()}, NextAfterSeq: 7}),
			},
			operation: "listAuditEvents",
		},
		{
			name: "limit out of range", reason: "limit is 1..1000",
			x:         exchange{http.MethodGet, base + "/v1/audit-events?limit=5000", nil, nil, 400, problemHeader(), problemBody(t, "INVALID_PARAMETER", 400)},
			operation: "listAuditEvents",
			want:      []want{{where: WhereRequest, pointer: "query:limit", field: "maximum"}},
		},
		{
			name: "public healthz", reason: "public endpoints need no token",
			x:         exchange{http.MethodGet, base + "/healthz", nil, nil, 200, jsonHeader(), []byte(`{"status":"ok"}`)},
			operation: "getHealth",
		},
		{
			name: "wrong request media type", reason: "415 is the tested answer; the request is at fault",
			x: exchange{
				http.MethodPost, base + "/v1/children",
				http.Header{"Content-Type": {"text/xml"}},
				[]byte("<child/>"),
				415, problemHeader(), problemBody(t, "UNSUPPORTED_MEDIA_TYPE", 415),
			},
			operation: "createChild",
			want:      []want{{where: WhereRequest, pointer: "header:Content-Type"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Check(tc.x.request(t), tc.x.reqBody, tc.x.status, tc.x.respHeader, tc.x.respBody)
			assert.Equal(t, tc.operation, res.Operation, tc.reason)
			if len(tc.want) == 0 {
				assert.Empty(t, res.Violations, tc.reason)
				assert.True(t, res.OK())
				return
			}
			assert.False(t, res.OK(), tc.reason)
			for _, w := range tc.want {
				found := false
				for _, v := range res.Violations {
					if v.Where == w.where && (w.pointer == "" || v.Pointer == w.pointer) && (w.field == "" || v.Field == w.field) &&
						(w.expected == "" || v.Expected == w.expected) && (w.actual == "" || v.Actual == w.actual) &&
						(w.message == "" || strings.HasPrefix(v.Message, w.message)) {
						found = true
					}
				}
				assert.True(t, found, "%s: want a violation like %+v, got:\n%s", tc.reason, w, render(res.Violations))
			}
		})
	}
}

func render(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  ")
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestCheckReportsEveryFieldAtOnce(t *testing.T) {
	c := MustLoad()
	var m map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, sampleChildRecord()), &m))
	m["dateOfBirth"] = "25/12/2015"
	m["gender"] = "M"
	delete(m, "status")
	req := httptest.NewRequest(http.MethodGet, base+"/v1/children/"+sampleChildID, nil)
	res := c.Check(req, nil, 200, jsonHeader("ETag", `"3"`), mustJSON(t, m))
	pointers := map[string]bool{}
	for _, v := range res.Violations {
		pointers[v.Pointer] = true
	}
	assert.True(t, pointers["/dateOfBirth"] && pointers["/gender"] && pointers["/status"],
		"MultiError reports all three faults, got:\n%s", render(res.Violations))
}

func TestCheckLeavesTheRequestAlone(t *testing.T) {
	c := MustLoad()
	body := []byte(`{"name":{"family":"Okafor"},"gender":"MALE"}`)
	req := httptest.NewRequest(http.MethodPost, base+"/v1/children", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	before := req.Header.Clone()

	res := c.Check(req, body, 201, jsonHeader("ETag", `"1"`), mustJSON(t, sampleChildRecord()))
	assert.True(t, res.OK(), render(res.Violations))
	assert.Equal(t, before, req.Header, "Check must not add or change request headers")
	got, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	assert.Equal(t, body, got, "Check must not consume the caller's request body")
}

func TestViolationString(t *testing.T) {
	cases := []struct {
		name, reason string
		v            Violation
		want         string
	}{
		{
			name: "full", reason: "where, pointer, keyword, message, expected and actual",
			v:    Violation{Where: WhereResponse, Pointer: "/dateOfBirth", Field: "format", Expected: "format date (YYYY-MM-DD)", Actual: `"25/12/2015"`, Message: "bad date"},
			want: `response /dateOfBirth [format]: bad date (expected format date (YYYY-MM-DD), got "25/12/2015")`,
		},
		{
			name: "message only", reason: "empty parts are left out",
			v:    Violation{Where: WhereRequest, Message: "no operation in the contract for GET /x"},
			want: "request: no operation in the contract for GET /x",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.v.String(), tc.reason)
		})
	}
}

func TestActualIsTruncated(t *testing.T) {
	long := strings.Repeat("é", 500)
	got := actual(long)
	assert.Len(t, []rune(got), maxActual+1, "200 characters and an ellipsis")
	assert.True(t, strings.HasPrefix(got, `"é`))
}

func TestValidateSchema(t *testing.T) {
	c := MustLoad()
	cases := []struct {
		name, schema, body, reason string
		wantPointer                string // "" means valid
	}{
		{"valid notification", "Notification", `{"eventId":"e1","seq":1,"type":"RECORD_ACCESSED","occurredAt":"2025-01-01T00:00:00Z","childId":"` + sampleChildID + `","la":"202"}`, "a thin notification passes", ""},
		{"personal data in notification", "Notification", `{"eventId":"e1","seq":1,"type":"RECORD_ACCESSED","occurredAt":"2025-01-01T00:00:00Z","childId":"` + sampleChildID + `","la":"202","name":"Zoë"}`, "NOTIF-004: nothing but identifiers", "/name"},
		{"local time", "Notification", `{"eventId":"e1","seq":1,"type":"RECORD_ACCESSED","occurredAt":"2025-01-01T00:00:00+01:00","childId":"` + sampleChildID + `","la":"202"}`, "instants are UTC", "/occurredAt"},
		{"unknown schema", "Nope", `{}`, "an unknown schema name is reported", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := c.ValidateSchema(tc.schema, []byte(tc.body))
			if tc.name == "unknown schema" {
				require.Len(t, vs, 1, tc.reason)
				assert.Contains(t, vs[0].Message, "no schema", tc.reason)
				return
			}
			if tc.wantPointer == "" {
				assert.Empty(t, vs, tc.reason)
				return
			}
			require.NotEmpty(t, vs, tc.reason)
			assert.Equal(t, tc.wantPointer, vs[0].Pointer, tc.reason)
			assert.Equal(t, WhereBody, vs[0].Where)
		})
	}
}

func TestCheckIsSafeForConcurrentUse(t *testing.T) {
	c := MustLoad()
	child := mustJSON(t, sampleChildRecord())
	bad := withField(t, sampleChildRecord(), "gender", "M")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := child
			if i%2 == 1 {
				body = bad
			}
			req := httptest.NewRequest(http.MethodGet, base+"/v1/children/"+sampleChildID, nil)
			req.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
			for range 20 {
				res := c.Check(req, nil, 200, jsonHeader("ETag", `"3"`), body)
				assert.Equal(t, i%2 == 1, !res.OK())
			}
		}()
	}
	wg.Wait()
}

func FuzzCheck(f *testing.F) {
	c := MustLoad()
	f.Add("GET", "/v1/children/"+sampleChildID, 200, "application/json", []byte(nil), mustJSON(f, sampleChildRecord()))
	f.Add("POST", "/v1/children", 201, "application/json", []byte(`{"name":{"family":"A"},"gender":"MALE"}`), []byte(`{}`))
	f.Add("PATCH", "/v1/children/"+sampleChildID, 412, "application/problem+json", []byte(`{"gender":"M"}`), problemBody(f, "PRECONDITION_FAILED", 412))
	f.Add("DELETE", "/v1/involvements/abcdefgh", 405, "text/plain", []byte("x"), []byte("nope"))
	f.Add("POST", "/v1/children/search", -1, "", []byte(`[`), []byte(`{"results":[{"gender":7}]`))
	f.Add("GET", "/v1/audit-events?limit=abc&afterSeq=-1", 999, "application/json; charset=utf-8", []byte(nil), []byte(`null`))
	f.Fuzz(func(t *testing.T, method, path string, status int, contentType string, reqBody, respBody []byte) {
		req, err := http.NewRequest(method, "http://sut.example"+path, bytes.NewReader(reqBody))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", contentType)
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("Retry-After", contentType)
		res := c.Check(req, reqBody, status, h, respBody)
		for _, v := range res.Violations {
			_ = v.String()
		}
	})
}
