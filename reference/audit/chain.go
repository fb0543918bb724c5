package audit

import (
	"encoding/json"
	"fmt"

	"github.com/icscert/icscert/spec"
)

// GenesisHash is the prevHash of the first event of a log: 64 zeros.
var GenesisHash = spec.AuditGenesisHash

// Hash returns the hash of ev: the lowercase hex SHA-256 of the RFC 8785 canonical JSON of ev
// as served, without its hash member (spec.AuditEventHash). ev.Hash itself is ignored.
func Hash(ev spec.AuditEvent) (string, error) {
	doc, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("hash audit event %d: %w", ev.Seq, err)
	}
	h, err := spec.AuditEventHash(doc)
	if err != nil {
		return "", fmt.Errorf("audit event %d: %w", ev.Seq, err)
	}
	return h, nil
}

// Seal links ev to the event before it and returns ev with PrevHash and Hash set. prevHash is
// the previous event's hash, or GenesisHash for the first event. Nil ChildIDs and
// DisclosedTiers become empty slices, so the event hashes as it is served ([] rather than
// null).
func Seal(ev spec.AuditEvent, prevHash string) (spec.AuditEvent, error) {
	if ev.ChildIDs == nil {
		ev.ChildIDs = []string{}
	}
	if ev.DisclosedTiers == nil {
		ev.DisclosedTiers = []string{}
	}
	ev.PrevHash = prevHash
	h, err := Hash(ev)
	if err != nil {
		return spec.AuditEvent{}, err
	}
	ev.Hash = h
	return ev, nil
}

// ChainError names the first event at which a chain is broken.
type ChainError struct {
	Seq    int64  // the seq of the first event that does not verify
	Reason string // what is wrong with it
}

// Error implements error.
func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at seq %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks a run of consecutive events in seq order, as GET /v1/audit-events serves
// them: every hash must match its event, every prevHash the hash before it, seqs must
// increase by one, and an event with seq 1 must carry GenesisHash. The run may start anywhere
// in the log; its first prevHash is then taken on trust. It returns nil for a sound chain, or
// a *ChainError naming the first broken seq.
func VerifyChain(events []spec.AuditEvent) error {
	for i, ev := range events {
		h, err := Hash(ev)
		if err != nil {
			return &ChainError{Seq: ev.Seq, Reason: err.Error()}
		}
		if h != ev.Hash {
			return &ChainError{Seq: ev.Seq, Reason: "hash does not match the event"}
		}
		if i == 0 {
			if ev.Seq == 1 && ev.PrevHash != GenesisHash {
				return &ChainError{Seq: ev.Seq, Reason: "the first event's prevHash is not 64 zeros"}
			}
			continue
		}
		prev := events[i-1]
		if ev.Seq != prev.Seq+1 {
			return &ChainError{Seq: ev.Seq, Reason: fmt.Sprintf("seq follows %d", prev.Seq)}
		}
		if ev.PrevHash != prev.Hash {
			return &ChainError{Seq: ev.Seq, Reason: "prevHash is not the previous event's hash"}
		}
	}
	return nil
}
