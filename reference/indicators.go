package reference

import (
	"errors"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// addIndicator answers POST /v1/children/{id}/indicators (FLAG-001..FLAG-005). T5
// indicators are set by social workers and management of the responsible council only.
func (c *call) addIndicator() (*result, error) {
	var ni spec.NewIndicator
	if res, err := c.decode(&ni); res != nil || err != nil {
		return res, err
	}
	t5 := isT5Indicator(ni.Type)
	if t5 && c.actor.Role == rolePractitioner {
		return forbidden(), nil
	}
	child, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if t5 && !c.caseManager(child) {
		return forbidden(), nil
	}
	if ni.InvolvementID != "" {
		if res, err := c.checkInvolvementRef(child, ni.InvolvementID, ni.Type == indLeadProfessional); res != nil || err != nil {
			return res, err
		}
	}
	ind := store.Indicator{
		Indicator: spec.Indicator{
			ID: newID(), ChildID: child.ID, Version: 1, Type: ni.Type, StartDate: ni.StartDate,
			EndDate: ni.EndDate, InvolvementID: ni.InvolvementID, Category: ni.Category,
			LegalStatus: ni.LegalStatus, ExpectedDateOfBirth: ni.ExpectedDateOfBirth, Contact: ni.Contact,
		},
		SetByOrg: c.actor.Org, SetByLa: c.actor.La, CreatedAt: c.instant(),
	}
	if err := c.setIndicator(child, ind); err != nil {
		return nil, err
	}
	return created(c.projectIndicator(ind, child)).withETag(ind.Version), nil
}

// checkInvolvementRef requires an indicator's involvementId to name an involvement of the
// child that the caller may see, and a current one for a lead professional.
func (c *call) checkInvolvementRef(child store.Child, id string, current bool) (*result, error) {
	inv, err := c.tx.Involvement(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	bad := err != nil || inv.ChildID != child.ID || (current && !c.active(inv.EndDate))
	if !bad {
		view, err := c.involvementViewOf(child)
		if err != nil {
			return nil, err
		}
		bad = c.hidden(inv, view)
	}
	if bad {
		return fieldProblem("/involvementId", feRange, "does not name a current involvement of this child"), nil
	}
	return nil, nil
}

// setIndicator stores a new indicator and raises INDICATOR_SET. A current
// LEAD_PROFESSIONAL first ends the child's other current one on its start date and notifies
// that one's holder (FLAG-001).
func (c *call) setIndicator(child store.Child, ind store.Indicator) error {
	if ind.Type == indLeadProfessional && ind.EndDate == "" {
		inds, err := c.tx.Indicators(child.ID)
		if err != nil {
			return err
		}
		for _, old := range inds {
			if old.Type != indLeadProfessional || (old.EndDate != "" && old.EndDate <= ind.StartDate) {
				continue
			}
			if err := c.endIndicator(child, old, max(ind.StartDate, old.StartDate), c.holderOf(old)); err != nil {
				return err
			}
		}
	}
	if err := c.tx.InsertIndicator(ind); err != nil {
		return err
	}
	c.notify(child, noteIndicatorSet, "", ind.ID)
	return nil
}

// holderOf names the organisation holding an indicator: the provider of its involvement, or
// whoever set it.
func (c *call) holderOf(ind store.Indicator) string {
	if ind.InvolvementID != "" {
		if inv, err := c.tx.Involvement(ind.InvolvementID); err == nil && inv.ProvidedBy != "" {
			return inv.ProvidedBy
		}
	}
	return ind.SetByOrg
}

// endIndicator ends and stores an indicator and raises INDICATOR_ENDED, for org as well when
// set.
func (c *call) endIndicator(child store.Child, ind store.Indicator, end, org string) error {
	ind.EndDate = end
	ind.Version++
	if err := c.tx.UpdateIndicator(ind); err != nil {
		return err
	}
	c.notify(child, noteIndicatorEnd, org, ind.ID)
	return nil
}

// updateIndicator answers PATCH /v1/indicators/{id}: endDate ends it (FLAG-003) and
// linkedChildId links an unborn child protection plan to the born child (FLAG-004). A T5
// indicator is changed by those who may set it; another by its setter's organisation or the
// responsible council's management.
func (c *call) updateIndicator() (*result, error) {
	var patch spec.IndicatorPatch
	if res, err := c.decode(&patch); res != nil || err != nil {
		return res, err
	}
	present := c.body.(map[string]any)
	ind, err := c.tx.Indicator(c.id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(), nil
	}
	if err != nil {
		return nil, err
	}
	child, _, res, err := c.openChild(ind.ChildID, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	own := c.own(child)
	if isT5Indicator(ind.Type) {
		if !c.caseManager(child) {
			return forbidden(), nil
		}
		if !own && c.t5Expired(ind.EndDate) {
			return notFound(), nil
		}
	} else if !own && ind.SetByOrg != c.actor.Org {
		return forbidden(), nil
	}
	if !c.ifMatches(ind.Version) {
		return preconditionFailed(ind.Version), nil
	}
	if _, has := present["linkedChildId"]; has {
		if ind.Type != indUnbornCPP {
			return fieldProblem("/linkedChildId", feUnknownProp, "applies to an UNBORN_CHILD_PROTECTION_PLAN only"), nil
		}
		if res, err := c.checkLinkedChild(child, patch.LinkedChildID); res != nil || err != nil {
			return res, err
		}
		ind.LinkedChildID = patch.LinkedChildID
	}
	if _, has := present["endDate"]; has {
		if patch.EndDate < ind.StartDate {
			return fieldProblem("/endDate", feDateOrder, "must not be before startDate"), nil
		}
		if patch.EndDate != ind.EndDate {
			c.notify(child, noteIndicatorEnd, "", ind.ID)
		}
		ind.EndDate = patch.EndDate
	}
	ind.Version++
	if err := c.tx.UpdateIndicator(ind); err != nil {
		return nil, err
	}
	return ok(c.projectIndicator(ind, child)).withETag(ind.Version), nil
}

// checkLinkedChild requires linkedChildId to name another record the caller may see.
func (c *call) checkLinkedChild(mother store.Child, id string) (*result, error) {
	linked, err := c.tx.Child(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil || linked.ID == mother.ID || !c.searchable(linked) {
		return fieldProblem("/linkedChildId", feRange, "does not name another child's record"), nil
	}
	c.touch(linked.ID)
	return nil, nil
}
