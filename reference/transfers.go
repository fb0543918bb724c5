package reference

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// This file holds transfers between councils (XFER-*), sending side and acceptance. A
// transfer between two councils this system serves completes on acceptance. Otherwise the
// sender delivers a TransferPackage to the receiving system (see exchange.go), the
// receiver's management decides, the receiver reports the outcome, and only then does the
// sender make the receiving council responsible (XFER-002). Until that moment the sending
// council stays responsible, so responsibility is never with no council nor with two.

// Transfer states (spec.TransferStates).
const (
	statePROPOSED  = "PROPOSED"
	stateACCEPTED  = "ACCEPTED"
	stateREJECTED  = "REJECTED"
	stateCOMPLETED = "COMPLETED"
)

// Notification types of transfers.
const (
	noteTransferProposed  = "TRANSFER_PROPOSED"
	noteTransferAccepted  = "TRANSFER_ACCEPTED"
	noteTransferCompleted = "TRANSFER_COMPLETED"
)

// proposeTransfer answers POST /v1/transfers (XFER-001, XFER-003, XFER-005).
func (c *call) proposeTransfer() (*result, error) {
	var nt spec.NewTransfer
	if res, err := c.decode(&nt); res != nil || err != nil {
		return res, err
	}
	child, _, res, err := c.openChild(nt.ChildID, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(child) {
		return forbidden(), nil
	}
	if nt.ToLa.DfeCode == child.ResponsibleLa.DfeCode {
		return fieldProblem("/toLa/dfeCode", feRange, "is already responsible for the child"), nil
	}
	open, err := c.tx.OpenTransfers(child.ID)
	if err != nil {
		return nil, err
	}
	if len(open) > 0 {
		return invalidState("A transfer of this child is already in progress."), nil
	}
	local, err := c.s.exchange.local(c.ctx, nt.ToLa.DfeCode)
	if err != nil {
		return nil, err
	}
	tr := store.Transfer{
		Transfer: spec.Transfer{
			ID: newID(), ChildID: child.ID, FromLa: child.ResponsibleLa, ToLa: c.laRef(nt.ToLa.DfeCode),
			Reason: nt.Reason, State: statePROPOSED, Direction: spec.DirectionOutbound,
			IdempotencyKey: c.idemKey, ProposedAt: c.instant(),
		},
		CaseSummaryRefs: nt.CaseSummaryRefs,
		Local:           local,
	}
	if !local {
		pkg, err := c.packageOf(child, tr)
		if err != nil {
			return nil, err
		}
		tr.Package = pkg
		tr.DeliveryID = newID()
		if err := c.queueWithID(tr.DeliveryID, store.Delivery{
			Kind: store.DeliverTransferPackage, Ref: tr.ID, ChildID: child.ID, La: tr.ToLa.DfeCode,
			Path: "/v1/inbound/transfers", Body: pkg, IdempotencyKey: tr.ID,
		}); err != nil {
			return nil, err
		}
	}
	if err := c.tx.InsertTransfer(tr); err != nil {
		return nil, err
	}
	c.notify(child, noteTransferProposed, "", tr.ID)
	if local {
		c.noteFor(child.ID, tr.ToLa.DfeCode, noteTransferProposed, tr.ID)
	}
	body, err := c.transferBody(tr)
	if err != nil {
		return nil, err
	}
	out := created(body)
	out.location = "/v1/transfers/" + tr.ID
	return out, nil
}

// queueWithID queues a delivery under a chosen id.
func (c *call) queueWithID(id string, d store.Delivery) error {
	d.ID = id
	return c.queue(d)
}

// packageOf builds the TransferPackage of child: the full record as its responsible
// council's management sees it, every involvement, indicator and consent, the shielding and
// the case-summary references (XFER-004).
func (c *call) packageOf(child store.Child, tr store.Transfer) (json.RawMessage, error) {
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return nil, err
	}
	invs, err := c.tx.Involvements(child.ID)
	if err != nil {
		return nil, err
	}
	cons, err := c.tx.Consents(child.ID)
	if err != nil {
		return nil, err
	}
	pkg := spec.TransferPackage{
		TransferID: tr.ID, ChildID: child.ID, FromLa: tr.FromLa, ToLa: tr.ToLa, Reason: tr.Reason,
		ProposedAt: tr.ProposedAt, Record: c.projectChild(child, c.lifecycleOf(child), inds),
		Involvements: []spec.Involvement{}, Indicators: []spec.Indicator{}, Consents: []spec.Consent{},
		Shielding: child.Shielding, CaseSummaryRefs: mergeRefs(child.CaseSummaryRefs, tr.CaseSummaryRefs),
	}
	view, err := c.involvementViewOf(child)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		if out, shown := c.projectInvolvement(inv, view); shown {
			pkg.Involvements = append(pkg.Involvements, out)
		}
	}
	for _, ind := range inds {
		pkg.Indicators = append(pkg.Indicators, c.projectIndicator(ind, child))
	}
	for _, con := range cons {
		out, err := c.projectConsent(con)
		if err != nil {
			return nil, err
		}
		pkg.Consents = append(pkg.Consents, out)
	}
	return encodeJSON(pkg)
}

// mergeRefs joins two lists of case-summary references, without repeating a document.
func mergeRefs(a, b []spec.CaseSummaryRef) []spec.CaseSummaryRef {
	out := []spec.CaseSummaryRef{}
	for _, r := range slices.Concat(a, b) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// getTransfer answers GET /v1/transfers/{id}: the management of the sending or the
// receiving council; anyone else gets 404.
func (c *call) getTransfer() (*result, error) {
	tr, res, err := c.openTransfer()
	if res != nil || err != nil {
		return res, err
	}
	body, err := c.transferBody(tr)
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}

// openTransfer looks up the {id} transfer for the management of one of its councils.
func (c *call) openTransfer() (store.Transfer, *result, error) {
	tr, err := c.tx.Transfer(c.id)
	if errors.Is(err, store.ErrNotFound) {
		return tr, notFound(), nil
	}
	if err != nil {
		return tr, nil, err
	}
	c.touch(tr.ChildID)
	if c.actor.La != tr.FromLa.DfeCode && c.actor.La != tr.ToLa.DfeCode {
		return tr, notFound(), nil
	}
	return tr, nil, nil
}

// transferBody renders a transfer with the state of the delivery this side makes.
func (c *call) transferBody(tr store.Transfer) (spec.Transfer, error) {
	out := tr.Transfer
	id := tr.DeliveryID
	if tr.Direction == spec.DirectionInbound {
		id = tr.OutcomeID
	}
	if id != "" {
		d, err := c.tx.Delivery(id)
		if err != nil {
			return out, err
		}
		out.Delivery = deliveryStatus(d)
	}
	return out, nil
}

// acceptTransfer answers POST /v1/transfers/{id}/acceptance: the receiving council's
// management decides on a PROPOSED transfer (XFER-002, XFER-003, VER-002).
func (c *call) acceptTransfer() (*result, error) {
	var ta spec.TransferAcceptance
	if res, err := c.decode(&ta); res != nil || err != nil {
		return res, err
	}
	tr, res, err := c.openTransfer()
	if res != nil || err != nil {
		return res, err
	}
	if c.actor.La != tr.ToLa.DfeCode {
		return forbidden(), nil
	}
	if tr.State != statePROPOSED {
		return invalidState("The transfer is " + tr.State + "."), nil
	}
	if tr.Direction == spec.DirectionOutbound && !tr.Local {
		return invalidState("The receiving council's own system decides on this transfer."), nil
	}
	tr.DecidedAt = c.instant()
	tr.RejectionReason = ta.RejectionReason
	switch {
	case ta.Decision == stateREJECTED:
		tr.State = stateREJECTED
	case tr.Local:
		child, _, res, err := c.openChild(tr.ChildID, useWrite)
		if res != nil || err != nil {
			return res, err
		}
		if err := c.s.handOver(c.tx, &child, tr.ToLa, c.now); err != nil {
			return nil, err
		}
		tr.State, tr.CompletedAt = stateCOMPLETED, c.instant()
		c.notify(child, noteTransferAccepted, "", tr.ID)
		c.notify(child, noteTransferCompleted, "", tr.ID)
		c.noteFor(child.ID, tr.FromLa.DfeCode, noteTransferCompleted, tr.ID)
	default:
		if res, err := c.importPackage(tr); res != nil || err != nil {
			return res, err
		}
		tr.State = stateACCEPTED
		c.noteFor(tr.ChildID, tr.ToLa.DfeCode, noteTransferAccepted, tr.ID)
	}
	if tr.Direction == spec.DirectionInbound {
		body, err := encodeJSON(spec.TransferOutcome{
			TransferID: tr.ID, State: tr.State, DecidedAt: tr.DecidedAt, RejectionReason: tr.RejectionReason,
		})
		if err != nil {
			return nil, err
		}
		tr.OutcomeID = newID()
		if err := c.queueWithID(tr.OutcomeID, store.Delivery{
			Kind: store.DeliverTransferOutcome, Ref: tr.ID, ChildID: tr.ChildID, La: tr.FromLa.DfeCode,
			Path: "/v1/inbound/transfers/" + tr.ID + "/outcome", Body: body, IdempotencyKey: tr.ID + "-outcome",
		}); err != nil {
			return nil, err
		}
	}
	if err := c.tx.UpdateTransfer(tr); err != nil {
		return nil, err
	}
	body, err := c.transferBody(tr)
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}

// handOver makes council to responsible for child, as a new version of the record.
func (s *Server) handOver(tx store.Tx, child *store.Child, to spec.LocalAuthorityRef, now time.Time) error {
	child.ResponsibleLa = to
	child.Version++
	child.UpdatedAt = now.UTC().Format(instantFormat)
	return tx.UpdateChild(*child)
}

// noteFor raises an event about a child for a council other than its responsible one.
func (c *call) noteFor(childID, la, typ, refID string) {
	c.notes = append(c.notes, store.Notification{
		EventID: newID(), ChildID: childID, Type: typ, OccurredAt: c.instant(), La: la, RefID: refID,
	})
}
