package reference

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// childBodyWith encodes a valid new child whose family name is the raw JSON value family and
// whose name object starts with the raw members extra (each followed by a comma).
func childBodyWith(t *testing.T, h *harness, family, extra string) []byte {
	t.Helper()
	nc := h.gen.Child()
	nc.Name.Family = "FAMILY-PLACEHOLDER"
	nc.Name.Given = nil // the cases add their own
	b, err := json.Marshal(nc)
	require.NoError(t, err)
	b = bytes.Replace(b, []byte(`"FAMILY-PLACEHOLDER"`), []byte(family), 1)
	return bytes.Replace(b, []byte(`"name":{`), []byte(`"name":{`+extra), 1)
}

func TestInvalidTextIsRefused(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name   string
		family string // raw JSON value of /name/family
		extra  string // raw members prepended to /name
		status int
		errors []spec.FieldError // INVALID_FORMAT errors expected; nil for an accepted body
	}{
		{name: "plain text is accepted", family: `"Ní Bhriain"`, status: http.StatusCreated},
		{name: "an escaped surrogate pair is accepted", family: `"Smith \ud83d\ude00"`, status: http.StatusCreated},
		{name: "an escaped backslash before u is not an escape", family: `"Smith \\ud800"`, status: http.StatusCreated},
		{
			name: "ERR-002/a byte that is not UTF-8 in a value", family: "\"Sm\xffith\"", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/a truncated UTF-8 sequence", family: "\"Smith\xc3\"", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/an overlong encoding", family: "\"\xc0\xafSmith\"", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/an encoded surrogate", family: "\"\xed\xa0\x80Smith\"", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/a lone high surrogate escape", family: `"Smith\ud800"`, status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/a lone low surrogate escape", family: `"\udc00Smith"`, status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/a high surrogate followed by another escape", family: `"\ud800\u0041"`, status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}},
		},
		{
			name: "ERR-002/an array item", family: `"Smith"`, extra: "\"given\":[\"Ann\",\"B\xffb\"],", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/given/1", Code: feFormat}},
		},
		{
			name: "ERR-002/a member name is named by its object", family: `"Smith"`, extra: "\"gi\xffven\":[\"Ann\"],", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name", Code: feFormat}},
		},
		{
			name: "ERR-002/every bad string at once", family: "\"Sm\xffith\"", extra: "\"given\":[\"B\xffb\"],", status: http.StatusUnprocessableEntity,
			errors: []spec.FieldError{{Pointer: "/name/family", Code: feFormat}, {Pointer: "/name/given/0", Code: feFormat}},
		},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			body := childBodyWith(t, h, tc.family, tc.extra)
			resp := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", raw: body, breaksContract: tc.errors != nil})
			require.Equal(t, tc.status, resp.status, "%s", resp.body)
			if tc.errors == nil {
				return
			}
			p := resp.expectProblem(t, codeValidationFailed)
			got := make([]spec.FieldError, len(p.Errors))
			for i, fe := range p.Errors {
				assert.NotEmpty(t, fe.Detail, "a field error says what is wrong")
				got[i] = spec.FieldError{Pointer: fe.Pointer, Code: fe.Code}
			}
			assert.Equal(t, tc.errors, got)
		})
	}
	t.Run("ERR-002/a byte that is not UTF-8 outside a string is malformed JSON", func(t *testing.T) {
		body := childBodyWith(t, h, "\"Smith\"\xff", "")
		resp := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", raw: body, breaksContract: true})
		resp.expectProblem(t, codeMalformedJSON)
	})
	assert.Equal(t, 3, h.countChildren(), "only the valid bodies made records")
}

func TestValidText(t *testing.T) {
	cases := []struct {
		lit  string
		want bool
	}{
		{`""`, true},
		{`"abc"`, true},
		{`"\\u"`, true},
		{`"\"\\\/\b\f\n\r\t"`, true},
		{`"\u00e9\ud83d\ude00"`, true},
		{`"\uD83D\uDE00"`, true},
		{`"\ud83d"`, false},
		{`"\ude00"`, false},
		{`"\ud83d\ud83d"`, false},
		{`"\ud83dx\ude00"`, false},
		{"\"\xff\"", false},
		{"\"\xe2\x82\"", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, validText([]byte(tc.lit)), "%q", tc.lit)
	}
}

func TestDatesOfFactsAreNotInTheFuture(t *testing.T) {
	h := newHarness(t)
	today := testStart.Format("2006-01-02")
	tomorrow := testStart.AddDate(0, 0, 1).Format("2006-01-02")
	past := h.mgmt().createChild(t, h.gen.Child())
	cases := []struct {
		name    string
		method  string
		field   string
		value   string
		refused bool
	}{
		{"ERR-002/a date of birth today", http.MethodPost, "dateOfBirth", today, false},
		{"ERR-002/a date of birth tomorrow", http.MethodPost, "dateOfBirth", tomorrow, true},
		{"ERR-002/a date of birth far in the future", http.MethodPost, "dateOfBirth", "9999-12-31", true},
		{"ERR-002/an expected date of birth in the future", http.MethodPost, "expectedDateOfBirth", "2026-12-01", false},
		{"ERR-002/a date of birth changed to tomorrow", http.MethodPatch, "dateOfBirth", tomorrow, true},
		{"ERR-002/a date of death tomorrow", http.MethodPatch, "dateOfDeath", tomorrow, true},
		{"ERR-002/a date of death far in the future", http.MethodPatch, "dateOfDeath", "9999-12-31", true},
		{"ERR-002/a date of death today", http.MethodPatch, "dateOfDeath", today, false},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			var resp *response
			if tc.method == http.MethodPost {
				nc := h.gen.Child()
				nc.DateOfBirth = ""
				if tc.field == "dateOfBirth" {
					nc.DateOfBirth = tc.value
				} else {
					nc.ExpectedDateOfBirth = tc.value
				}
				resp = h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, breaksContract: tc.refused})
			} else {
				cur := h.mgmt().readChild(t, past.ID)
				resp = h.mgmt().do(t, request{
					method: http.MethodPatch, path: "/v1/children/" + past.ID, body: map[string]any{tc.field: tc.value},
					ifMatch: etag(cur.Version), breaksContract: tc.refused,
				})
			}
			if !tc.refused {
				assert.Less(t, resp.status, 300, "%s", resp.body)
				return
			}
			p := resp.expectProblem(t, codeValidationFailed)
			require.Len(t, p.Errors, 1)
			assert.Equal(t, "/"+tc.field, p.Errors[0].Pointer)
			assert.Equal(t, feRange, p.Errors[0].Code)
			assert.Contains(t, p.Errors[0].Detail, today, "the detail names the server's date")
		})
	}
	t.Run("ERR-002/tomorrow's date of birth is accepted once the server's date has moved on", func(t *testing.T) {
		h.clock.advance(0, 0, 1)
		nc := h.gen.Child()
		nc.DateOfBirth = tomorrow
		h.mgmt().createChild(t, nc)
	})
}
