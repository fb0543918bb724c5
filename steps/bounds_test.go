package steps

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactorBoundsHostileBodies(t *testing.T) {
	red := Redactor{Personal: true}
	cases := []struct {
		reason string
		body   []byte
		keeps  string // in the evidence
	}{
		{"10 MB of nested arrays is kept as clipped text, not walked", bytes.Repeat([]byte("["), 10<<20), "bytes not kept"},
		{"nesting just inside the bound is redacted as JSON", []byte(strings.Repeat("[", MaxJSONDepth-1) + `{"family":"Zorn"}` + strings.Repeat("]", MaxJSONDepth-1)), "[redacted:name]"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			out := clip(red.Body("application/json", c.body))
			assert.Contains(t, out, c.keeps)
			assert.LessOrEqual(t, len(out), maxEvidence+64)
		})
	}
	_, err := decodeJSON(bytes.Repeat([]byte("["), MaxJSONDepth+1))
	assert.ErrorIs(t, err, errTooDeep, "decoding is bounded by the same depth")
}

func TestRedactorClipsHeaders(t *testing.T) {
	h := http.Header{"X-Huge": {strings.Repeat("x", 4<<20)}}
	for i := range 200 {
		h.Set("X-Many-"+strings.Repeat("a", i%26)+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	out := Redactor{Personal: true}.Headers(h)
	assert.LessOrEqual(t, len(out), maxHeaders+1)
	size := 0
	for k, v := range out {
		size += len(k) + len(v)
	}
	assert.Less(t, size, (maxHeaders+1)*(maxHeaderValue+64))
}

func TestRedactorKeepsTheContractsWords(t *testing.T) {
	red := Redactor{Personal: true, Known: &Ledger{}}
	assert.Equal(t, "format date (YYYY-MM-DD)", red.Text("format date (YYYY-MM-DD)"),
		"issue 12: the contract's expectation is the harness's words, never redacted")
	assert.Equal(t, "[redacted:date 99/99/9999]", red.Value("/dateOfBirth", "04/03/2015"),
		"the target's value at a personal member is redacted")
}

func TestLedgerRedactsKnownValuesAsWholeWords(t *testing.T) {
	l := &Ledger{}
	l.Add([]string{"Ann", "Zorn-Beck", "12 Fiction Close", "2015-03-04", "07700 900123", "a"})
	red := Redactor{Personal: true, Known: l}
	cases := []struct{ reason, in, want string }{
		{"a name in an error string", `expected "Zorn-Beck", got "ZORN-BECK"`, `expected "[redacted:personal]", got "[redacted:personal]"`},
		{"a value inside a longer word stays", "Annotation of Ann", "Annotation of [redacted:personal]"},
		{"an address and a date in an HTML body", "<p>12 Fiction Close, born 2015-03-04</p>", "<p>[redacted:personal], born [redacted:personal]</p>"},
		{"a phone number", "call 07700 900123", "call [redacted:personal]"},
		{"one-letter values are not kept", "a b c", "a b c"},
		{"redacting twice changes nothing", "[redacted:nhs-number 999 999 9999]", "[redacted:nhs-number 999 999 9999]"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			assert.Equal(t, c.want, red.Text(c.in))
		})
	}
}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	b := &breaker{threshold: 3}
	fail := assert.AnError
	b.result(fail)
	b.result(fail)
	b.result(nil)
	require.NoError(t, b.check(), "a response resets the count")
	b.result(fail)
	b.result(fail)
	require.NoError(t, b.check())
	b.result(fail)
	err := b.check()
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "3 consecutive exchanges failed")
		assert.Contains(t, err.Error(), fail.Error())
	}
	b.result(nil)
	assert.Error(t, b.check(), "an open breaker stays open")
}
