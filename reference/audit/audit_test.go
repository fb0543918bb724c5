package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

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
