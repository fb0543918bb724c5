package reference

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

// faultyStore wraps a store to inject the faults a real one may show.
type faultyStore struct {
	store.Store
	panicNext     atomic.Bool   // the next Update panics inside its transaction
	lostReplyNext atomic.Bool   // the next Update commits but reports a failure
	block         chan struct{} // when set, Updates wait until it is closed
	blocked       chan struct{} // receives a value when an Update starts waiting
}

func (f *faultyStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if f.block != nil {
		f.blocked <- struct{}{}
		<-f.block
	}
	if f.panicNext.CompareAndSwap(true, false) {
		return f.Store.Update(ctx, func(tx store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			panic("injected fault")
		})
	}
	if f.lostReplyNext.CompareAndSwap(true, false) {
		if err := f.Store.Update(ctx, fn); err != nil {
			return err
		}
		return errors.New("injected fault: the commit's acknowledgement was lost")
	}
	return f.Store.Update(ctx, fn)
}

// newFaultyHarness returns a harness over a faulty in-memory store.
func newFaultyHarness(t *testing.T, opts ...harnessOption) (*harness, *faultyStore) {
	t.Helper()
	st, err := sqlite.Open(sqlite.Memory)
	require.NoError(t, err)
	fs := &faultyStore{Store: st}
	h := newHarnessOn(t, fs, opts...)
	h.store = st
	return h, fs
}

func TestProblems(t *testing.T) {
	h, fs := newFaultyHarness(t)
	nc := h.gen.Child()
	rec := h.mgmt().createChild(t, nc)
	typeRE := regexp.MustCompile(`^https://icscert\.example/problems/[a-z0-9]+(-[a-z0-9]+)*$`)
	cases := []struct {
		name   string
		caller *contractClient
		req    request
		code   string
		secret string // personal data that must not appear in the problem
		reason string
	}{
		{
			"ERR-001/validation", h.mgmt(),
			request{
				method: http.MethodPost, path: "/v1/children", breaksContract: true,
				body: map[string]any{"name": map[string]any{"family": strings.Repeat("Verylongfamilyname", 7)}, "gender": "FEMALE", "dateOfBirth": "2015-01-01"},
			},
			"VALIDATION_FAILED", "Verylongfamilyname", "a problem never echoes a name",
		},
		{"ERR-001/duplicate", h.mgmt(), request{method: http.MethodPost, path: "/v1/children", body: nc}, "DUPLICATE_CANDIDATE", nc.Identifiers[0].Value, "a duplicate names the record, not the number"},
		{"ERR-001/forbidden", h.auditor(), request{method: http.MethodGet, path: "/v1/children/" + rec.ID}, "FORBIDDEN", nc.Name.Family, "no record data in a refusal"},
		{"ERR-001/unauthenticated", h.mgmt().withToken("x"), request{method: http.MethodGet, path: "/v1/children/" + rec.ID}, "UNAUTHENTICATED", "", "a 401 problem"},
		{"ERR-001/unknown path", h.mgmt(), request{method: http.MethodGet, path: "/v1/nothing-here", breaksContract: true}, "NOT_FOUND", "", "an unknown route is a 404 problem"},
		{"ERR-001/unknown method", h.mgmt(), request{method: http.MethodDelete, path: "/v1/children/" + rec.ID}, "METHOD_NOT_ALLOWED", "", "an unknown method is a 405 problem"},
		{"ERR-001/not acceptable", h.mgmt(), request{method: http.MethodGet, path: "/v1/children/" + rec.ID, header: map[string]string{"Accept": "text/html"}}, "NOT_ACCEPTABLE", "", "JSON only"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.do(t, tc.req)
			p := resp.expectProblem(t, tc.code)
			reg, _ := spec.LookupError(tc.code)
			assert.Regexp(t, typeRE, p.Type)
			assert.Equal(t, reg.Title, p.Title)
			assert.Equal(t, resp.status, p.Status, "the problem's status is the HTTP status")
			assert.Equal(t, resp.header.Get("X-Correlation-ID"), p.CorrelationID)
			if tc.secret != "" {
				assert.NotContains(t, string(resp.body), tc.secret, tc.reason)
			}
		})
	}
	t.Run(covers("ERR-001/a fault is a 500 problem without a stack"), func(t *testing.T) {
		before := h.countChildren()
		fs.panicNext.Store(true)
		resp := h.mgmt().post(t, "/v1/children", h.gen.Child())
		p := resp.expectProblem(t, "INTERNAL_ERROR")
		assert.NotContains(t, p.Detail, "injected")
		assert.NotContains(t, string(resp.body), ".go:")
		assert.Equal(t, before, h.countChildren(), "the failed request changed nothing")
		assert.Equal(t, "ERROR", h.lastEvent(t).Outcome, "and it is audited")
	})
	t.Run(covers("ERR-001/the correlation id is echoed"), func(t *testing.T) {
		resp := h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, header: map[string]string{"X-Correlation-ID": "trace:abc-123.4"}})
		assert.Equal(t, "trace:abc-123.4", resp.header.Get("X-Correlation-ID"))
	})
	t.Run(covers("ERR-001/a malformed correlation id"), func(t *testing.T) {
		resp := h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, breaksContract: true, header: map[string]string{"X-Correlation-ID": "has spaces"}})
		p := resp.expectProblem(t, "INVALID_HEADER")
		assert.NotEqual(t, "has spaces", p.CorrelationID, "the server makes its own")
	})
}

func TestFieldErrors(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	post := func(t *testing.T, path string, body any) spec.Problem {
		t.Helper()
		resp := h.mgmt().do(t, request{method: http.MethodPost, path: path, body: body, breaksContract: true})
		require.Equal(t, http.StatusUnprocessableEntity, resp.status, resp.body)
		return resp.problem(t)
	}
	cases := []struct {
		name   string
		path   string
		body   any
		code   string
		want   []string
		reason string
	}{
		{"ERR-002/every error at once", "/v1/children", map[string]any{
			"name": map[string]any{"given": []any{"Ada", 7}}, "gender": "F", "dateOfBirth": "2015-02-30",
			"identifiers": []any{map[string]any{"system": idNHS, "value": "9876544321"}}, "favouriteColour": "blue",
		}, "VALIDATION_FAILED", []string{
			"/dateOfBirth INVALID_DATE", "/favouriteColour UNKNOWN_PROPERTY", "/gender UNKNOWN_CODE",
			"/identifiers/0/value INVALID_NHS_NUMBER", "/name/family REQUIRED", "/name/given/1 INVALID_TYPE",
		}, "all field errors with JSON pointers"},
		{"ERR-002/dates that are not calendar dates", "/v1/children", map[string]any{
			"name": map[string]any{"family": "Date"}, "gender": "MALE", "dateOfBirth": "15/03/2015", "expectedDateOfBirth": "2023-13-01",
		}, "VALIDATION_FAILED", []string{"/dateOfBirth INVALID_DATE", "/expectedDateOfBirth INVALID_DATE"}, "dd/mm/yyyy and month 13 are refused; both errors share a field code that is no problem code"},
		{"ERR-002/pointer escaping", "/v1/children/" + rec.ID + "/consents", map[string]any{
			"scope": scopeSensitive, "givenBy": "CHILD", "givenOn": "2026-01-01", "a/b": 1, "c~d": 2,
		}, "UNKNOWN_PROPERTY", []string{"/a~1b UNKNOWN_PROPERTY", "/c~0d UNKNOWN_PROPERTY"}, "RFC 6901 escapes / and ~"},
		{"ERR-002/wrong types", "/v1/children/" + rec.ID + "/involvements", map[string]any{
			"serviceType": 5, "organisation": "Synthetic", "startDate": true, "isLeadProfessional": "yes",
		}, "VALIDATION_FAILED", []string{"/isLeadProfessional INVALID_TYPE", "/organisation INVALID_TYPE", "/serviceType INVALID_TYPE", "/startDate INVALID_TYPE"}, "types are checked"},
		{"ERR-002/not an object", "/v1/children", []any{1, 2}, "VALIDATION_FAILED", []string{" INVALID_TYPE"}, "the body is an object"},
		{"ERR-003/unknown properties", "/v1/children/" + rec.ID + "/indicators", map[string]any{
			"type": indHasInfo, "startDate": "2026-01-01", "contact": map[string]any{"name": "A", "organisation": "B", "pager": "123"}, "notes": "x",
		}, "UNKNOWN_PROPERTY", []string{"/contact/pager UNKNOWN_PROPERTY", "/notes UNKNOWN_PROPERTY"}, "unknown properties are refused, nested ones too"},
		{"ERR-003/unknown code", "/v1/children", map[string]any{
			"name": map[string]any{"family": "Code"}, "gender": "M", "dateOfBirth": "2015-01-01",
		}, "UNKNOWN_CODE", []string{"/gender UNKNOWN_CODE"}, "a code outside its code system"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			p := post(t, tc.path, tc.body)
			assert.Equal(t, tc.code, p.Code, tc.reason)
			assert.Equal(t, tc.want, pointers(p), tc.reason)
			for _, e := range p.Errors {
				if e.Code == "UNKNOWN_CODE" {
					assert.Equal(t, spec.Genders.Name, e.CodeSystem, "names the code system")
					assert.Equal(t, spec.Genders.Version, e.CodeSystemVersion, "and its version")
				}
			}
		})
	}
	before := h.countChildren()
	raw := []struct {
		name, path, contentType string
		body                    []byte
		code                    string
		reason                  string
	}{
		{"ERR-002/malformed JSON", "/v1/children", "application/json", []byte(`{"name":`), "MALFORMED_JSON", "400 for JSON that does not parse"},
		{"ERR-002/duplicate members", "/v1/children", "application/json", []byte(`{"gender":"MALE","gender":"FEMALE"}`), "MALFORMED_JSON", "a member twice is ambiguous"},
		{"ERR-002/trailing data", "/v1/children", "application/json", []byte(`{} {}`), "MALFORMED_JSON", "one document only"},
		{"ERR-002/empty body", "/v1/children", "application/json", []byte(` `), "MALFORMED_JSON", "a body is required"},
		{"ERR-002/wrong media type", "/v1/children", "text/plain", []byte(`{}`), "UNSUPPORTED_MEDIA_TYPE", "application/json only"},
		{"ERR-002/merge patch is for PATCH", "/v1/children", "application/merge-patch+json", []byte(`{}`), "UNSUPPORTED_MEDIA_TYPE", "a create is not a patch"},
		{"ERR-002/another charset", "/v1/children", "application/json; charset=latin1", []byte(`{}`), "UNSUPPORTED_MEDIA_TYPE", "UTF-8 only"},
		{"ERR-002/too large", "/v1/children", "application/json", append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 1<<20)...), '"', '}'), "PAYLOAD_TOO_LARGE", "1 MiB at most"},
	}
	for _, tc := range raw {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.mgmt().do(t, request{method: http.MethodPost, path: tc.path, raw: tc.body, contentType: tc.contentType, breaksContract: true})
			resp.expectProblem(t, tc.code)
		})
	}
	t.Run(covers("ERR-002/bad input never writes"), func(t *testing.T) {
		assert.Equal(t, before, h.countChildren())
	})
	t.Run(covers("ERR-002/a malformed path id"), func(t *testing.T) {
		h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/children/short", breaksContract: true}).expectProblem(t, "INVALID_PARAMETER")
	})
	t.Run(covers("ERR-002/a malformed Idempotency-Key"), func(t *testing.T) {
		h.mgmt().do(t, request{
			method: http.MethodPost, path: "/v1/children", body: h.gen.Child(), breaksContract: true,
			header: map[string]string{"Idempotency-Key": strings.Repeat("k", 129)},
		}).expectProblem(t, "INVALID_HEADER")
	})
}

func TestOverloadAndRetries(t *testing.T) {
	t.Run(covers("ERR-004/overload gets 503 with Retry-After"), func(t *testing.T) {
		h, fs := newFaultyHarness(t, func(o *Options) { o.MaxInFlight = 1 })
		fs.block, fs.blocked = make(chan struct{}), make(chan struct{}, 1)
		done := make(chan *response)
		go func() { done <- h.mgmt().post(t, "/v1/children", h.gen.Child()) }()
		<-fs.blocked
		resp := h.mgmt().get(t, "/v1/audit-events")
		resp.expectProblem(t, "SERVICE_UNAVAILABLE")
		assert.Equal(t, "1", resp.header.Get("Retry-After"))
		h.mu.Lock()
		h.requests-- // a shed request is refused before it is read, and not audited
		h.mu.Unlock()
		close(fs.block)
		select {
		case r := <-done:
			assert.Equal(t, http.StatusCreated, r.status, "the request in flight completes")
		case <-time.After(10 * time.Second):
			t.Fatal("the request in flight never completed")
		}
		fs.block = nil
		assert.Equal(t, http.StatusOK, h.mgmt().get(t, "/v1/audit-events").status, "and then the server takes requests again")
	})
	t.Run(covers("ERR-004/retrying after a 5xx never duplicates"), func(t *testing.T) {
		h, fs := newFaultyHarness(t)
		nc := h.gen.Child()
		key := map[string]string{"Idempotency-Key": "create-7f3a"}
		fs.lostReplyNext.Store(true)
		first := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, header: key})
		first.expectProblem(t, "INTERNAL_ERROR")
		h.mu.Lock()
		h.requests++ // the committed create and the 500 are both audited
		h.mu.Unlock()
		retry := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, header: key})
		require.Equal(t, http.StatusCreated, retry.status, retry.body)
		assert.Equal(t, 1, h.countChildren(), "the retry returns the committed create")
	})
	t.Run(covers("ERR-004/idempotent creates"), func(t *testing.T) {
		h := newHarness(t)
		nc := h.gen.Child()
		key := map[string]string{"Idempotency-Key": "create-1"}
		a := h.teacher().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, header: key})
		b := h.teacher().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, header: key})
		require.Equal(t, http.StatusCreated, a.status)
		assert.Equal(t, a.status, b.status, "the same status")
		assert.Equal(t, string(a.body), string(b.body), "the same body")
		assert.Equal(t, a.header.Get("ETag"), b.header.Get("ETag"))
		assert.Equal(t, 1, h.countChildren(), "nothing new")
		other := h.gen.Child()
		h.teacher().do(t, request{method: http.MethodPost, path: "/v1/children", body: other, header: key}).expectProblem(t, "IDEMPOTENCY_KEY_REUSED")
		c := h.teacher().withOrg("another-school").do(t, request{method: http.MethodPost, path: "/v1/children", body: other, header: key})
		assert.Equal(t, http.StatusCreated, c.status, "keys belong to one organisation")
	})
}
