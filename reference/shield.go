package reference

import (
	"github.com/icscert/icscert/spec"
)

// shield answers PUT /v1/children/{id}/shield: the responsible council's management shields
// the record with a reason code and a review date (SENS-003). Shielding an already shielded
// record changes its reason and review date and keeps its start.
func (c *call) shield() (*result, error) {
	var req spec.ShieldRequest
	if res, err := c.decode(&req); res != nil || err != nil {
		return res, err
	}
	child, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(child) {
		return forbidden(), nil
	}
	since := c.todayDate()
	if child.Shielding.Shielded && child.Shielding.Since != "" {
		since = child.Shielding.Since
	}
	child.Shielding = spec.Shielding{Shielded: true, Since: since, ReviewDue: req.ReviewDue, ReasonCode: req.ReasonCode}
	child.Version++
	child.UpdatedAt = c.instant()
	if err := c.tx.UpdateChild(child); err != nil {
		return nil, err
	}
	c.raiseShieldReview(child)
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return nil, err
	}
	return ok(c.projectChild(child, c.lifecycleOf(child), inds)).withETag(child.Version), nil
}

// unshield answers DELETE /v1/children/{id}/shield, the only way a shielded record's T2
// fields become visible again (SENS-003, SENS-005). Unshielding an unshielded record changes
// nothing.
func (c *call) unshield() (*result, error) {
	child, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(child) {
		return forbidden(), nil
	}
	if child.Shielding.Shielded {
		child.Shielding = spec.Shielding{}
		child.Version++
		child.UpdatedAt = c.instant()
		if err := c.tx.UpdateChild(child); err != nil {
			return nil, err
		}
	}
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return nil, err
	}
	return ok(c.projectChild(child, c.lifecycleOf(child), inds)).withETag(child.Version), nil
}
