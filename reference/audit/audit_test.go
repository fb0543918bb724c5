package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

func TestCanonicalize(t *testing.T) {
	cases := []struct {
		name, in, want, reason string
	}{
		{
			name:   "rfc8785 example",
			in:     `{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
			want:   `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
			reason: "the worked example of RFC 8785 section 3.2.4",
		},
		{
			name:   "utf16 member order",
			in:     `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			want:   "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
			reason: "members sort by UTF-16 code units, so the emoji's surrogates come before U+FB33 (RFC 8785 section 3.2.3)",
		},
		{
			name:   "white space and html characters",
			in:     " { \"b\" : [ 1 , 2 ] , \"a\" : \"<&>\" } ",
			want:   `{"a":"<&>","b":[1,2]}`,
			reason: "no insignificant white space, and no HTML escaping",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			require.NoError(t, err, tc.reason)
			assert.Equal(t, tc.want, string(got), tc.reason)
		})
	}
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":1} x`, `[1e400]`, `{`} {
		_, err := Canonicalize([]byte(bad))
		require.Error(t, err, "%s must be refused", bad)
	}
}

// chain returns n sealed events.
func chain(t *testing.T, n int) []spec.AuditEvent {
	t.Helper()
	prev := GenesisHash
	var out []spec.AuditEvent
	for i := 1; i <= n; i++ {
		ev, err := Seal(spec.AuditEvent{
			Seq: int64(i), At: "2026-06-15T10:00:00.000Z", Action: "READ_CHILD", Method: "GET",
			Path: "/v1/children/x", Outcome: "SUCCESS", Status: 200, CorrelationID: "c",
			Actor: spec.Actor{Sub: "s", Role: "PRACTITIONER", Org: "o", La: "202", Sector: "HEALTH"},
		}, prev)
		require.NoError(t, err)
		out = append(out, ev)
		prev = ev.Hash
	}
	return out
}

func TestVerifyChain(t *testing.T) {
	sound := chain(t, 4)
	require.NoError(t, VerifyChain(sound))
	require.NoError(t, VerifyChain(sound[2:]), "a run may start anywhere in the log")
	assert.Equal(t, []string{}, sound[0].ChildIDs, "Seal serves empty lists, not null")

	cases := []struct {
		name    string
		tamper  func(evs []spec.AuditEvent)
		wantSeq int64
		reason  string
	}{
		{"AUDIT-003/changed field", func(evs []spec.AuditEvent) { evs[2].Outcome = "DENIED" }, 3, "a changed event no longer matches its hash"},
		{"AUDIT-003/changed prevHash", func(evs []spec.AuditEvent) { evs[1].PrevHash = evs[0].PrevHash }, 2, "prevHash must be the previous hash"},
		{"AUDIT-003/rehashed event", func(evs []spec.AuditEvent) {
			evs[1].Purpose = "BREAK_GLASS"
			evs[1], _ = Seal(evs[1], evs[1].PrevHash)
		}, 3, "re-sealing a changed event breaks the link from the next"},
		{"AUDIT-003/removed event", func(evs []spec.AuditEvent) { evs[2] = evs[3] }, 4, "a gap in seq is a break"},
		{"AUDIT-003/first prevHash", func(evs []spec.AuditEvent) {
			evs[0], _ = Seal(evs[0], evs[1].Hash)
		}, 1, "the first event links to 64 zeros"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs := chain(t, 4)
			tc.tamper(evs)
			err := VerifyChain(evs)
			var ce *ChainError
			require.ErrorAs(t, err, &ce, tc.reason)
			assert.Equal(t, tc.wantSeq, ce.Seq, tc.reason)
		})
	}
}
