package reference

import (
	"errors"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// listInvolvements answers GET /v1/children/{id}/involvements: every involvement, current
// and ended (INV-002), as the caller may see it (SENS-002, SENS-004, CONSENT-002).
func (c *call) listInvolvements() (*result, error) {
	child, _, res, err := c.openChild(c.id, useRead)
	if res != nil || err != nil {
		return res, err
	}
	view, err := c.involvementViewOf(child)
	if err != nil {
		return nil, err
	}
	invs, err := c.tx.Involvements(child.ID)
	if err != nil {
		return nil, err
	}
	list := spec.InvolvementList{Involvements: []spec.Involvement{}}
	for _, inv := range invs {
		if out, shown := c.projectInvolvement(inv, view); shown {
			list.Involvements = append(list.Involvements, out)
		}
	}
	c.noteRead(child)
	return ok(list), nil
}

// addInvolvement answers POST /v1/children/{id}/involvements (INV-001, INV-004, SENS-001).
// The caller's org becomes providedBy.
func (c *call) addInvolvement() (*result, error) {
	var ni spec.NewInvolvement
	if res, err := c.decode(&ni); res != nil || err != nil {
		return res, err
	}
	child, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	basis := ni.DisclosureBasis
	if basis == "" {
		basis = basisStatutory
	}
	if basis == basisConsent {
		if res, err := c.checkConsentRef(child, ni.ConsentRef); res != nil || err != nil {
			return res, err
		}
	}
	inv := store.Involvement{
		Involvement: spec.Involvement{
			ID: newID(), ChildID: child.ID, Version: 1, ServiceType: ni.ServiceType,
			Sensitive: isSensitiveService(ni.ServiceType), Organisation: ni.Organisation,
			Practitioner: ni.Practitioner, StartDate: ni.StartDate, EndDate: ni.EndDate,
			IsMainSchool: ni.IsMainSchool, DisclosureBasis: basis, ConsentRef: ni.ConsentRef,
			ProvidedBy: c.actor.Org,
		},
		CreatedAt: c.instant(),
	}
	if err := c.endPreviousOfKind(child, inv); err != nil {
		return nil, err
	}
	if err := c.tx.InsertInvolvement(inv); err != nil {
		return nil, err
	}
	c.notify(child, noteInvolvementAdd, "", inv.ID)
	if ni.IsLeadProfessional {
		lead := store.Indicator{
			Indicator: spec.Indicator{
				ID: newID(), ChildID: child.ID, Version: 1, Type: indLeadProfessional,
				StartDate: inv.StartDate, EndDate: inv.EndDate, InvolvementID: inv.ID,
			},
			SetByOrg: c.actor.Org, SetByLa: c.actor.La, CreatedAt: c.instant(),
		}
		if err := c.setIndicator(child, lead); err != nil {
			return nil, err
		}
	}
	view, err := c.involvementViewOf(child)
	if err != nil {
		return nil, err
	}
	out, _ := c.projectInvolvement(inv, view)
	return created(out).withETag(inv.Version), nil
}

// checkConsentRef requires a CONSENT basis to name a current SENSITIVE_SERVICE_DISCLOSURE
// consent of the same child (SENS-001).
func (c *call) checkConsentRef(child store.Child, ref string) (*result, error) {
	con, err := c.tx.Consent(ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil || con.ChildID != child.ID || con.Scope != scopeSensitive || con.WithdrawnOn != "" {
		return fieldProblem("/consentRef", feBasis, "does not name a current disclosure consent of this child"), nil
	}
	return nil, nil
}

// endPreviousOfKind keeps one current main school and one current GP practice per child: a
// new current one ends the others of its kind on its start date (INV-004).
func (c *call) endPreviousOfKind(child store.Child, inv store.Involvement) error {
	kind := singletonKind(inv.Involvement)
	if kind == "" || inv.EndDate != "" {
		return nil
	}
	others, err := c.tx.Involvements(child.ID)
	if err != nil {
		return err
	}
	for _, old := range others {
		if old.ID == inv.ID || singletonKind(old.Involvement) != kind || (old.EndDate != "" && old.EndDate <= inv.StartDate) {
			continue
		}
		if err := c.endInvolvement(child, &old, max(inv.StartDate, old.StartDate)); err != nil {
			return err
		}
		old.Version++
		if err := c.tx.UpdateInvolvement(old); err != nil {
			return err
		}
	}
	return nil
}

// singletonKind names the kinds of involvement a child has one of at a time: the main
// school and the GP practice.
func singletonKind(inv spec.Involvement) string {
	switch {
	case inv.ServiceType == serviceEducation && inv.IsMainSchool:
		return "MAIN_SCHOOL"
	case inv.ServiceType == serviceGP:
		return serviceGP
	}
	return ""
}

// endInvolvement sets inv's end date, keeping it as history (INV-002), raises
// INVOLVEMENT_ENDED and ends the involvement's lead-professional indicator. The caller bumps
// inv's version and stores it.
func (c *call) endInvolvement(child store.Child, inv *store.Involvement, end string) error {
	inv.EndDate = end
	c.notify(child, noteInvolvementEnd, inv.ProvidedBy, inv.ID)
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return err
	}
	for _, ind := range inds {
		if ind.Type == indLeadProfessional && ind.InvolvementID == inv.ID && (ind.EndDate == "" || ind.EndDate > end) {
			if err := c.endIndicator(child, ind, max(end, ind.StartDate), inv.ProvidedBy); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateInvolvement answers PATCH /v1/involvements/{id}: only the providing organisation or
// the responsible council's management may change or end it (INV-003); ending keeps it as
// history (INV-002).
func (c *call) updateInvolvement() (*result, error) {
	var patch spec.InvolvementPatch
	if res, err := c.decode(&patch); res != nil || err != nil {
		return res, err
	}
	present := c.body.(map[string]any)
	inv, err := c.tx.Involvement(c.id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(), nil
	}
	if err != nil {
		return nil, err
	}
	child, _, res, err := c.openChild(inv.ChildID, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	view, err := c.involvementViewOf(child)
	if err != nil {
		return nil, err
	}
	if c.hidden(inv, view) {
		return notFound(), nil
	}
	if inv.ProvidedBy != c.actor.Org && !c.own(child) {
		return forbidden(), nil
	}
	if !c.ifMatches(inv.Version) {
		return preconditionFailed(inv.Version), nil
	}
	if _, has := present["organisation"]; has {
		inv.Organisation = patch.Organisation
	}
	if _, has := present["practitioner"]; has {
		inv.Practitioner = patch.Practitioner
	}
	if _, has := present["endDate"]; has {
		if patch.EndDate < inv.StartDate {
			return fieldProblem("/endDate", feDateOrder, "must not be before startDate"), nil
		}
		if patch.EndDate != inv.EndDate {
			if err := c.endInvolvement(child, &inv, patch.EndDate); err != nil {
				return nil, err
			}
		}
	}
	inv.Version++
	if err := c.tx.UpdateInvolvement(inv); err != nil {
		return nil, err
	}
	if view, err = c.involvementViewOf(child); err != nil {
		return nil, err
	}
	out, _ := c.projectInvolvement(inv, view)
	return ok(out).withETag(inv.Version), nil
}
