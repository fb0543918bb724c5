package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// This file holds the system-to-system side of transfers: a package delivered to this
// system (the receiver), the outcome reported back to this system (the sender), and the
// import of an accepted package.

// contract is the OpenAPI document, loaded once, for validating delivered packages.
var contract = sync.OnceValues(spec.Load)

// schemaNode validates a body against a component schema of the contract. It serves the
// system-to-system bodies, whose records are too rich to restate as nodes.
type schemaNode struct{ name string }

func (n schemaNode) check(e *fieldErrors, ptr string, v any) {
	c, err := contract()
	if err != nil {
		e.add(ptr, feFormat, "the contract could not be loaded")
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		e.add(ptr, feType, "is not JSON")
		return
	}
	for _, viol := range c.ValidateSchema(n.name, raw) {
		code := feFormat
		switch viol.Field {
		case "required":
			code = feRequired
		case "type":
			code = feType
		case "enum":
			code = feUnknownCode
		case "additionalProperties":
			code = feUnknownProp
		case "maxLength", "maxItems":
			code = feTooLong
		case "minimum", "maximum":
			code = feRange
		}
		e.add(ptr+viol.Pointer, code, viol.Message)
	}
}

// deliverInbound answers POST /v1/inbound/transfers: a sending system delivers a package
// (XFER-003, XFER-004). It is recorded as an INBOUND transfer under the sender's id, PROPOSED
// for this council's management; a repeated delivery returns the transfer it made.
func (c *call) deliverInbound() (*result, error) {
	var pkg spec.TransferPackage
	if res, err := c.decode(&pkg); res != nil || err != nil {
		return res, err
	}
	e := &fieldErrors{}
	for ptr, d := range map[string]string{"/record/dateOfBirth": pkg.Record.DateOfBirth, "/record/dateOfDeath": pkg.Record.DateOfDeath} {
		if d > c.todayDate() {
			e.add(ptr, feRange, "must not be after today ("+c.todayDate()+")")
		}
	}
	if pkg.Record.ID != pkg.ChildID {
		e.add("/record/id", feRange, "is not the package's childId")
	}
	if pkg.FromLa.DfeCode == pkg.ToLa.DfeCode {
		e.add("/toLa/dfeCode", feRange, "is the sending council")
	}
	checkNewResponsibility(e, c.s.councils, "/toLa/dfeCode", pkg.ToLa.DfeCode)
	if e.ok("/toLa/dfeCode") {
		local, err := c.s.exchange.local(c.ctx, pkg.ToLa.DfeCode)
		if err != nil {
			return nil, err
		}
		if !local {
			e.add("/toLa/dfeCode", feRange, "is not a council this system serves")
		}
	}
	if !e.empty() {
		return invalid(e), nil
	}
	c.touch(pkg.ChildID)
	raw, err := encodeJSON(pkg)
	if err != nil {
		return nil, err
	}
	old, err := c.tx.Transfer(pkg.TransferID)
	switch {
	case err == nil:
		if old.Direction != spec.DirectionInbound || !bytes.Equal(old.Package, raw) {
			return invalidState("Another transfer has this transferId."), nil
		}
		body, err := c.transferBody(old)
		if err != nil {
			return nil, err
		}
		return created(body), nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	tr := store.Transfer{
		Transfer: spec.Transfer{
			ID: pkg.TransferID, ChildID: pkg.ChildID, FromLa: pkg.FromLa, ToLa: c.laRef(pkg.ToLa.DfeCode),
			Reason: pkg.Reason, State: statePROPOSED, Direction: spec.DirectionInbound,
			IdempotencyKey: c.idemKey, ProposedAt: pkg.ProposedAt,
		},
		Package: raw,
	}
	if err := c.tx.InsertTransfer(tr); err != nil {
		return nil, err
	}
	c.noteFor(pkg.ChildID, tr.ToLa.DfeCode, noteTransferProposed, tr.ID)
	out := created(tr.Transfer)
	out.location = "/v1/transfers/" + tr.ID
	return out, nil
}

// reportOutcome answers POST /v1/inbound/transfers/{id}/outcome on the sending system: on
// ACCEPTED the receiving council becomes responsible and the transfer COMPLETED; on
// REJECTED responsibility stays (XFER-002). A repeat of the decided outcome returns the
// transfer; a different one gets 409.
func (c *call) reportOutcome() (*result, error) {
	var out spec.TransferOutcome
	if res, err := c.decode(&out); res != nil || err != nil {
		return res, err
	}
	if out.TransferID != c.id {
		return fieldProblem("/transferId", feRange, "is not the transfer of the path"), nil
	}
	tr, err := c.tx.Transfer(c.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (tr.Direction != spec.DirectionOutbound || tr.Local)) {
		return notFound(), nil
	}
	if err != nil {
		return nil, err
	}
	c.touch(tr.ChildID)
	want := stateCOMPLETED
	if out.State == stateREJECTED {
		want = stateREJECTED
	}
	switch tr.State {
	case want:
	case statePROPOSED:
		tr.DecidedAt, tr.RejectionReason, tr.State = out.DecidedAt, out.RejectionReason, want
		if want == stateCOMPLETED {
			child, err := c.tx.Child(tr.ChildID)
			if err != nil {
				return nil, err
			}
			if err := c.s.handOver(c.tx, &child, tr.ToLa, c.now); err != nil {
				return nil, err
			}
			tr.CompletedAt = c.instant()
			n := store.Notification{EventID: newID(), ChildID: child.ID, Type: noteTransferAccepted, OccurredAt: c.instant(), La: tr.FromLa.DfeCode, RefID: tr.ID}
			c.notes = append(c.notes, n)
			n.EventID, n.Type = newID(), noteTransferCompleted
			c.notes = append(c.notes, n)
		}
		if err := c.tx.UpdateTransfer(tr); err != nil {
			return nil, err
		}
	default:
		return invalidState("The transfer is " + tr.State + "."), nil
	}
	body, err := c.transferBody(tr)
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}

// importPackage stores an accepted inbound package as delivered: the record under the same
// id (still naming the sending council as responsible until the sender acknowledges the
// outcome), and every involvement, indicator and consent under their ids. What this system
// keeps beyond the wire form of an existing row (who set an indicator or recorded a consent)
// is kept.
func (c *call) importPackage(tr store.Transfer) (*result, error) {
	var pkg spec.TransferPackage
	if err := json.Unmarshal(tr.Package, &pkg); err != nil {
		return nil, err
	}
	rec := pkg.Record
	child := store.Child{
		ID: rec.ID, Version: rec.Version, Status: rec.Status, MergedInto: rec.MergedInto, Name: rec.Name,
		FormerNames: rec.FormerNames, Gender: rec.Gender, DateOfBirth: rec.DateOfBirth,
		ExpectedDateOfBirth: rec.ExpectedDateOfBirth, DateOfDeath: rec.DateOfDeath, Identifiers: rec.Identifiers,
		Address: rec.Address, Whereabouts: rec.Whereabouts, Shielding: pkg.Shielding, ParentsCarers: rec.ParentsCarers,
		ArchiveAtAge: defaultArchiveAge, CreatedAt: c.instant(), UpdatedAt: c.instant(),
		CaseSummaryRefs: pkg.CaseSummaryRefs,
	}
	if child.Status == statusArchived {
		child.Status = statusActive
	}
	if rec.ResponsibleLa != nil {
		child.ResponsibleLa = *rec.ResponsibleLa
	} else {
		child.ResponsibleLa = pkg.FromLa
	}
	if rec.Archive != nil && rec.Archive.ArchiveAtAge > 0 {
		child.ArchiveAtAge = rec.Archive.ArchiveAtAge
	}
	old, err := c.tx.Child(child.ID)
	switch {
	case err == nil:
		child.CreatedAt = old.CreatedAt
		err = c.tx.UpdateChild(child)
	case errors.Is(err, store.ErrNotFound):
		err = c.tx.InsertChild(child)
	}
	if err != nil {
		return nil, err
	}
	for _, inv := range pkg.Involvements {
		inv.IsLeadProfessional, inv.ContactVia = false, ""
		row := store.Involvement{Involvement: inv, CreatedAt: c.instant()}
		if prev, err := c.tx.Involvement(inv.ID); err == nil {
			row.CreatedAt = prev.CreatedAt
			err = c.tx.UpdateInvolvement(row)
			if err != nil {
				return nil, err
			}
		} else if err := c.tx.InsertInvolvement(row); err != nil {
			return nil, err
		}
	}
	for _, ind := range pkg.Indicators {
		row := store.Indicator{Indicator: ind, SetByLa: pkg.FromLa.DfeCode, CreatedAt: c.instant()}
		if prev, err := c.tx.Indicator(ind.ID); err == nil {
			row.SetByOrg, row.SetByLa, row.CreatedAt = prev.SetByOrg, prev.SetByLa, prev.CreatedAt
			if err := c.tx.UpdateIndicator(row); err != nil {
				return nil, err
			}
		} else if err := c.tx.InsertIndicator(row); err != nil {
			return nil, err
		}
	}
	for _, con := range pkg.Consents {
		con.InvolvementID = ""
		row := store.Consent{Consent: con}
		if prev, err := c.tx.Consent(con.ID); err == nil {
			row.RecordedByOrg = prev.RecordedByOrg
			if err := c.tx.UpdateConsent(row); err != nil {
				return nil, err
			}
		} else if err := c.tx.InsertConsent(row); err != nil {
			return nil, err
		}
	}
	c.touch(child.ID)
	return nil, nil
}

// completeInbound completes an accepted inbound transfer once the sender has acknowledged
// the outcome: this system's copy now names the receiving council as responsible.
func (s *Server) completeInbound(tx store.Tx, id string, now time.Time) error {
	tr, err := tx.Transfer(id)
	if err != nil {
		return err
	}
	if tr.State != stateACCEPTED {
		return nil
	}
	child, err := tx.Child(tr.ChildID)
	if err != nil {
		return err
	}
	if err := s.handOver(tx, &child, tr.ToLa, now); err != nil {
		return err
	}
	tr.State, tr.CompletedAt = stateCOMPLETED, now.UTC().Format(instantFormat)
	if err := tx.UpdateTransfer(tr); err != nil {
		return err
	}
	_, err = s.raise(context.Background(), tx, &store.Notification{
		EventID: newID(), ChildID: child.ID, Type: noteTransferCompleted, OccurredAt: tr.CompletedAt,
		La: tr.ToLa.DfeCode, RefID: tr.ID,
	})
	return err
}
