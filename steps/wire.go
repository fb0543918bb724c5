package steps

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/icscert/icscert/reports"
)

// This file holds what the transfer steps learn from the wire between the two systems: a
// runner puts a neutral capture proxy (internal/capture) in front of each system, named in the
// directory for its councils, so that every system-to-system exchange passes one. The steps
// use what the proxies saw to name the side at fault (the sender that never delivered, or the
// receiver that refused or lost what it was sent), to compare a record with the package on the
// wire, and to inject faults that prove an exactly-once outcome.

// Wire is the run's capture proxies, as the steps see them. peer selects the proxy in front of
// the peer (what the target sends to it) or the one in front of the target (what the peer
// sends to it). Implementations are safe for concurrent use.
type Wire interface {
	// Exchanges returns what the proxy in front of the system saw about transfer id, in
	// order, its evidence redacted.
	Exchanges(peer bool, transferID string) []WireExchange
	// Package returns the latest TransferPackage body of transfer id forwarded to the system,
	// unredacted: it is compared, never reported.
	Package(peer bool, transferID string) ([]byte, bool)
	// Inject arms fault (a capture fault kind: drop-request, drop-response, duplicate, delay,
	// reorder) for the next delivery of a package to the system whose body contains the first
	// of match. A reorder holds that delivery, hanging up on the sender as if it were lost,
	// until the next delivery whose body contains any of match has reached the system, and
	// then delivers it late.
	Inject(peer bool, fault string, match ...string) error
}

// WireExchange is one system-to-system exchange as a capture proxy saw it.
type WireExchange struct {
	// Operation is deliverInboundTransfer or reportInboundOutcome.
	Operation string
	// Attempt counts the requests with the exchange's Idempotency-Key so far, this one
	// included (0 without a key); Forwarded is how often it reached the receiving system.
	Attempt, Forwarded int
	// Status is what the sending system was answered (0: nothing), UpstreamStatus what the
	// receiving system answered (0: not reached).
	Status, UpstreamStatus int
	// Fault is the fault the proxy injected into it, "" for none.
	Fault string
	// SenderBroke and ReceiverBroke are the requirements of the contract violations the
	// proxy charged to the request and to the answer.
	SenderBroke, ReceiverBroke []string
	// Evidence is the exchange for a report, redacted.
	Evidence reports.Exchange
}

// Operations of the system-to-system exchanges.
const (
	opDeliver = "deliverInboundTransfer"
	opOutcome = "reportInboundOutcome"
)

// wire returns the run's wire, nil when the run has none (steps then judge without it).
func (w *World) wire() Wire {
	if p := w.suite.opts.Peer; p != nil {
		return p.Wire
	}
	return nil
}

// seen returns the exchanges of operation op about the child's latest transfer that reached
// the system to (onTarget or onPeer).
func (w *World) seen(tc *transferCase, to, op string) []WireExchange {
	wire := w.wire()
	if wire == nil || tc.id == "" {
		return nil
	}
	var out []WireExchange
	for _, e := range wire.Exchanges(to == onPeer, tc.id) {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

// other returns the other system of a transfer.
func other(system string) string {
	if system == onPeer {
		return onTarget
	}
	return onPeer
}

// partyOf names a system as reports.Failure does.
func partyOf(system string) string {
	if system == onPeer {
		return reports.PartyPeer
	}
	return reports.PartyTarget
}

// blameDelivery charges err, a failure to see the child's latest transfer arrive on the
// receiving system, to the side the wire shows at fault: the sender when no delivery reached
// the receiver or the delivery broke the contract, else the receiver (it was given the package
// and did not take it in, or refused it). Without a wire err is left as it is.
func (w *World) blameDelivery(tc *transferCase, err error) error {
	return w.blameOn(tc, opDeliver, other(tc.sender), err)
}

// blameOutcome charges err, a failure of the sending system to show the outcome the
// receiving council decided, to the side the wire shows at fault: the receiver when it never
// reported the outcome (or its report broke the contract), else the sender (it was told and
// did not act on it).
func (w *World) blameOutcome(tc *transferCase, err error) error {
	return w.blameOn(tc, opOutcome, tc.sender, err)
}

// blameOn charges err by what reached the system to through operation op: the system that
// sends op is at fault when nothing usable arrived, the system to otherwise.
func (w *World) blameOn(tc *transferCase, op, to string, err error) error {
	var ae *AssertionError
	if !errors.As(err, &ae) || w.wire() == nil || tc.sender == "" {
		return err
	}
	from := other(to)
	seen := w.seen(tc, to, op)
	party := from
	for _, e := range seen {
		ae.Seen = append(ae.Seen, e.Evidence)
		if e.Forwarded > 0 && len(e.SenderBroke) == 0 {
			party = to
		}
	}
	ae.Seen = clipSeen(ae.Seen)
	ae.Party = partyOf(party)
	ae.Role = roleOf(tc, party)
	if party == from && len(seen) == 0 {
		ae.Message += fmt.Sprintf(" (%s never sent it: nothing reached %s)", from, to)
	}
	return ae
}

// maxSeen bounds the wire exchanges one failure carries as evidence.
const maxSeen = 6

// roleOf names the part system plays in the child's latest transfer.
func roleOf(tc *transferCase, system string) string {
	if system == tc.sender {
		return reports.RoleSender
	}
	return reports.RoleReceiver
}

// blameState charges err, a check of the child's latest transfer (its state, or the
// responsible council, when state is "") on system, to the side at fault. On the receiving
// system the receiver answers for it, unless the transfer never arrived (blameDelivery). On
// the sending system a decided state (COMPLETED, REJECTED) or the responsibility after it
// is the receiver's to report first (blameOutcome); anything else is the sender's own.
// Without a wire, or before any transfer, err is left as it is.
func (w *World) blameState(alias, system, state string, err error) error {
	var ae *AssertionError
	if !errors.As(err, &ae) || w.wire() == nil {
		return err
	}
	tc, cerr := w.transferCase(alias)
	if cerr != nil || tc.sender == "" {
		return err
	}
	switch {
	case system != tc.sender && len(w.seen(tc, system, opDeliver)) == 0:
		return w.blameDelivery(tc, err)
	case system == tc.sender && state != "PROPOSED" && tc.decided:
		return w.blameOutcome(tc, err)
	}
	ae.Party, ae.Role = partyOf(system), roleOf(tc, system)
	return ae
}

// Faults a scenario can have the network inject into a delivery, by their phrase.
var wireFaults = map[string]string{
	"drops the request of": "drop-request",
	"drops the answer to":  "drop-response",
	"duplicates":           "duplicate",
	"delays":               "delay",
}

// injectFault arms fault for the next delivery of the child's package to system. The child's
// id picks the delivery out, so that a fault never hits another scenario's.
func (w *World) injectFault(phrase, alias, system string) error {
	wire := w.wire()
	if wire == nil {
		return Configf("the run put no capture proxy between the systems: tag the scenario @peer")
	}
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	kind, ok := wireFaults[phrase]
	if !ok {
		return Configf("unknown network fault %q", phrase)
	}
	if err := wire.Inject(system == onPeer, kind, tc.childID); err != nil {
		return Configf("inject %s: %w", kind, err)
	}
	tc.fault = kind
	return nil
}

// holdBack arms a reorder for the next delivery of the first child's package to system: the
// network holds it until a later delivery of either child's package has reached system (the
// second child's, or the sender's retry of the first), and delivers it late.
func (w *World) holdBack(first, second, system string) error {
	wire := w.wire()
	if wire == nil {
		return Configf("the run put no capture proxy between the systems: tag the scenario @peer")
	}
	a, err := w.transferCase(first)
	if err != nil {
		return err
	}
	b, err := w.transferCase(second)
	if err != nil {
		return err
	}
	if err := wire.Inject(system == onPeer, "reorder", a.childID, b.childID); err != nil {
		return Configf("inject reorder: %w", err)
	}
	a.fault = "reorder"
	return nil
}

// expectTakenInOnce checks that the receiving system took the child's latest transfer in once
// whatever the network did to its delivery (XFER-003): it waits until the injected fault made
// the receiver see the package again (a retry after a lost request or answer, or the
// duplicate), then fails if any answer to a delivery named another transfer, which the
// receiver makes only when it files the package twice. A sender that never retries a
// delivery whose answer it lost is at fault itself: the exactly-once promise needs its retry.
func (w *World) expectTakenInOnce(alias, system string) error {
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	if w.wire() == nil || tc.fault == "" {
		return Configf("no network fault was injected into the transfer of %q", alias)
	}
	// The receiver sees the package twice: the lost, duplicated or held one, and another.
	want := 2
	if tc.fault == "delay" || tc.fault == "drop-request" {
		want = 1
	}
	deadline := time.Now().Add(TransferWait)
	for {
		seen := w.seen(tc, system, opDeliver)
		forwarded := 0
		var evidence []reports.Exchange
		for _, e := range seen {
			forwarded += e.Forwarded
			evidence = append(evidence, e.Evidence)
			if slices.Contains(e.ReceiverBroke, "XFER-003") {
				return &AssertionError{
					Requirements: []string{"XFER-003"}, Party: partyOf(system), Role: reports.RoleReceiver,
					Pointer: "/id", Expected: "the transfer the first delivery made", Actual: "another transfer",
					Message: fmt.Sprintf("%s took the package of %q in twice: a repeated delivery under the same Idempotency-Key was answered with another transfer", system, alias),
					Seen:    clipSeen(evidence),
				}
			}
		}
		if forwarded >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return &AssertionError{
				Requirements: []string{"XFER-003"}, Party: partyOf(tc.sender), Role: reports.RoleSender,
				Pointer: "deliveries", Expected: fmt.Sprintf("at least %d", want), Actual: fmt.Sprint(forwarded),
				Message: fmt.Sprintf("%s did not deliver the package of %q again within %s after the network lost it", tc.sender, alias, TransferWait),
				Seen:    clipSeen(evidence),
			}
		}
		select {
		case <-time.After(transferPoll):
		case <-w.ctx.Done():
			return &TargetError{Op: "wait for the deliveries of " + alias, Err: w.stopCause()}
		}
	}
}

// clipSeen keeps the last maxSeen exchanges.
func clipSeen(ex []reports.Exchange) []reports.Exchange {
	if len(ex) > maxSeen {
		return ex[len(ex)-maxSeen:]
	}
	return ex
}
