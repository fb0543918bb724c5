package fidelity

// Side names a party to one exchange or transfer.
type Side string

// The sides of a transfer (and of one exchange: the side that sent the request, and the side
// that answered it).
const (
	Sender   Side = "SENDER"
	Receiver Side = "RECEIVER"
)

// RequirementLossless is the requirement a fidelity fault breaks: everything arrives at the
// receiver without loss or change (shielding included, which the requirement names).
const RequirementLossless = "XFER-004"

// Fault is one difference charged to the side that caused it.
type Fault struct {
	Side        Side   `json:"side"`
	Requirement string `json:"requirement"`
	Difference
}

// Blame decides who lost or changed what in a transfer, from three observations of the
// child's record: sender as the sending system held it when the transfer was proposed (changes
// made after proposing are not carried, spec/CONTRACT.md), pkg as the neutral capture proxy
// saw the TransferPackage on the wire, and receiver as the receiving system holds it after
// import. A difference between sender and pkg is the sender's fault (it sent a package
// without, or with a changed, field: a package without the shield, say), with its pointer
// into sender. A difference between pkg and receiver is the receiver's (it imported the
// package wrongly: consents dropped on import, say), with its pointer into pkg; the
// responsible council, which a completed transfer changes by design (TransferEffects), is
// not compared there. Both kinds can occur in one transfer. Audit metadata and opts.Except
// are left out of both comparisons. The faults come sender first, each side in pointer order;
// none means the transfer was lossless as far as the sections observed on all three sides go
// (see Compare for sections not observed).
func Blame(pkg, sender, receiver Snapshot, opts Options) []Fault {
	faults := []Fault{}
	for _, d := range Compare(sender, pkg, opts).Differences {
		faults = append(faults, Fault{Side: Sender, Requirement: RequirementLossless, Difference: d})
	}
	recv := Options{Except: append(append([]string(nil), opts.Except...), TransferEffects...)}
	for _, d := range Compare(pkg, receiver, recv).Differences {
		faults = append(faults, Fault{Side: Receiver, Requirement: RequirementLossless, Difference: d})
	}
	return faults
}
