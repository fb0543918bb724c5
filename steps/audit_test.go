package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// sealedChain returns n audit events as a server would serve them, hashed and linked.
func sealedChain(t *testing.T, n int) []AuditEvent {
	t.Helper()
	prev := spec.AuditGenesisHash
	var out []AuditEvent
	for i := 1; i <= n; i++ {
		m := map[string]any{
			"seq": i, "at": "2026-06-15T10:00:00.000Z", "action": "READ_CHILD", "method": "GET",
			"path": "/v1/children/x", "childIds": []string{"x"}, "breakGlass": false, "disclosedTiers": []string{"T1"},
			"outcome": "SUCCESS", "status": 200, "correlationId": fmt.Sprint("c", i), "prevHash": prev,
			"actor": map[string]any{"sub": "s", "role": "PRACTITIONER", "org": "o", "la": "202", "sector": "HEALTH"},
			"extra": "<an extension a client must accept>",
		}
		out = append(out, seal(t, m))
		prev = out[len(out)-1].Hash
	}
	return out
}

// seal sets the hash of m and returns it as a served event.
func seal(t *testing.T, m map[string]any) AuditEvent {
	t.Helper()
	delete(m, "hash")
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	canon, err := spec.CanonicalJSON(raw)
	require.NoError(t, err)
	sum := sha256.Sum256(canon)
	m["hash"] = hex.EncodeToString(sum[:])
	raw, err = json.Marshal(m)
	require.NoError(t, err)
	var ev AuditEvent
	ev.Raw = raw
	require.NoError(t, json.Unmarshal(raw, &ev.AuditEvent))
	return ev
}

func TestVerifyAuditChain(t *testing.T) {
	sound := sealedChain(t, 4)
	require.NoError(t, VerifyAuditChain(sound), "a sound chain verifies, unknown members included")
	require.NoError(t, VerifyAuditChain(sound[2:]), "a run may start anywhere in the log")

	edit := func(ev AuditEvent, f func(m map[string]any), reseal bool) AuditEvent {
		var m map[string]any
		require.NoError(t, json.Unmarshal(ev.Raw, &m))
		f(m)
		if reseal {
			return seal(t, m)
		}
		raw, err := json.Marshal(m)
		require.NoError(t, err)
		out := AuditEvent{Raw: raw}
		require.NoError(t, json.Unmarshal(raw, &out.AuditEvent))
		return out
	}
	cases := []struct {
		name    string
		tamper  func(evs []AuditEvent) []AuditEvent
		wantSeq int64
		reason  string
	}{
		{"changed field", func(evs []AuditEvent) []AuditEvent {
			evs[2] = edit(evs[2], func(m map[string]any) { m["outcome"] = "DENIED" }, false)
			return evs
		}, 3, "a changed event no longer matches its hash"},
		{"changed unknown member", func(evs []AuditEvent) []AuditEvent {
			evs[1] = edit(evs[1], func(m map[string]any) { m["extra"] = "changed" }, false)
			return evs
		}, 2, "the hash covers the event as served, members the harness does not know included"},
		{"re-sealed event", func(evs []AuditEvent) []AuditEvent {
			evs[1] = edit(evs[1], func(m map[string]any) { m["purpose"] = "BREAK_GLASS" }, true)
			return evs
		}, 3, "re-hashing a changed event breaks the link from the next one"},
		{"removed event", func(evs []AuditEvent) []AuditEvent { return append(evs[:2], evs[3:]...) }, 4, "a gap in seq is a break"},
		{"reordered events", func(evs []AuditEvent) []AuditEvent {
			evs[1], evs[2] = evs[2], evs[1]
			return evs
		}, 3, "events out of order break the chain"},
		{"first prevHash", func(evs []AuditEvent) []AuditEvent {
			evs[0] = edit(evs[0], func(m map[string]any) { m["prevHash"] = evs[1].Hash }, true)
			return evs
		}, 1, "the first event links to 64 zeros"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyAuditChain(tc.tamper(sealedChain(t, 4)))
			var ce *ChainError
			require.ErrorAs(t, err, &ce, tc.reason)
			assert.Equal(t, tc.wantSeq, ce.Seq, tc.reason)
		})
	}
}

func TestCheckRetryAfter(t *testing.T) {
	for v, ok := range map[string]bool{"1": true, "0": true, "120": true, "Wed, 21 Oct 2015 07:28:00 GMT": true, "": false, "-1": false, "1.5": false, "soon": false} {
		r := &Response{Status: 503, Header: map[string][]string{}}
		if v != "" {
			r.Header.Set("Retry-After", v)
		}
		assert.Equal(t, ok, checkRetryAfter(r) == nil, "Retry-After %q", v)
	}
}
