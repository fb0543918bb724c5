package reference

import (
	"slices"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// merge answers POST /v1/children/{id}/merge: the record mergedId is merged into the path's
// record, the survivor (ID-006). The survivor gains the union of identifiers, former names,
// parents and carers, involvements, indicators and consents, and the shield of either; the
// merged record becomes MERGED with mergedInto. Both must be the caller's council's records.
func (c *call) merge() (*result, error) {
	var req spec.MergeRequest
	if res, err := c.decode(&req); res != nil || err != nil {
		return res, err
	}
	if req.MergedID == c.id {
		return fieldProblem("/mergedId", feRange, "names the surviving record itself"), nil
	}
	survivor, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(survivor) {
		return forbidden(), nil
	}
	merged, _, res, err := c.openChild(req.MergedID, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(merged) {
		return forbidden(), nil
	}
	for _, id := range merged.Identifiers {
		if c.absorbIdentifier(&survivor, id) {
			c.notify(survivor, noteIdentifierSuper, "", "")
		}
	}
	for _, n := range append([]spec.Name{merged.Name}, merged.FormerNames...) {
		if !slices.ContainsFunc(append([]spec.Name{survivor.Name}, survivor.FormerNames...), func(x spec.Name) bool { return sameName(x, n) }) {
			survivor.FormerNames = append(survivor.FormerNames, n)
		}
	}
	for _, p := range merged.ParentsCarers {
		if !slices.ContainsFunc(survivor.ParentsCarers, func(x spec.RelatedPerson) bool {
			return sameName(x.Name, p.Name) && x.Relationship == p.Relationship
		}) {
			survivor.ParentsCarers = append(survivor.ParentsCarers, p)
		}
	}
	if !survivor.Shielding.Shielded && merged.Shielding.Shielded {
		survivor.Shielding = merged.Shielding
	}
	if err := c.moveRecords(merged.ID, survivor); err != nil {
		return nil, err
	}
	archiveAt, err := c.archiveAge(survivor.ID)
	if err != nil {
		return nil, err
	}
	survivor.ArchiveAtAge = archiveAt
	survivor.Version++
	survivor.UpdatedAt = c.instant()
	merged.Status = statusMerged
	merged.MergedInto = survivor.ID
	merged.Version++
	merged.UpdatedAt = c.instant()
	if err := c.tx.UpdateChild(survivor); err != nil {
		return nil, err
	}
	if err := c.tx.UpdateChild(merged); err != nil {
		return nil, err
	}
	c.notify(survivor, noteMerged, "", "")
	c.notify(merged, noteMerged, "", "")
	inds, err := c.tx.Indicators(survivor.ID)
	if err != nil {
		return nil, err
	}
	return ok(c.projectChild(survivor, c.lifecycleOf(survivor), inds)).withETag(survivor.Version), nil
}

// absorbIdentifier adds one of the merged record's identifiers to the survivor. A current
// NHS number or UPN that differs from the survivor's current one arrives SUPERSEDED, and
// absorbIdentifier reports true; the same identifier on both stays once.
func (c *call) absorbIdentifier(survivor *store.Child, id spec.Identifier) bool {
	for i, have := range survivor.Identifiers {
		if have.System == id.System && have.Value == id.Value {
			survivor.Identifiers[i].Verified = have.Verified || id.Verified
			return false
		}
	}
	superseded := false
	if id.Status != idReplaced && (id.System == idNHS || id.System == idUPN) &&
		slices.ContainsFunc(survivor.Identifiers, func(x spec.Identifier) bool { return x.System == id.System && x.Status != idReplaced }) {
		id.Status = idReplaced
		superseded = true
	}
	survivor.Identifiers = append(survivor.Identifiers, id)
	return superseded
}

// moveRecords moves the involvements, indicators and consents of the merged record to the
// survivor, then keeps one current main school, GP practice and lead professional: the most
// recently started, the others ending on its start date (INV-004, FLAG-001).
func (c *call) moveRecords(mergedID string, survivor store.Child) error {
	invs, err := c.tx.Involvements(mergedID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		inv.ChildID = survivor.ID
		inv.Version++
		if err := c.tx.UpdateInvolvement(inv); err != nil {
			return err
		}
	}
	inds, err := c.tx.Indicators(mergedID)
	if err != nil {
		return err
	}
	for _, ind := range inds {
		ind.ChildID = survivor.ID
		ind.Version++
		if err := c.tx.UpdateIndicator(ind); err != nil {
			return err
		}
	}
	consents, err := c.tx.Consents(mergedID)
	if err != nil {
		return err
	}
	for _, con := range consents {
		con.ChildID = survivor.ID
		if err := c.tx.UpdateConsent(con); err != nil {
			return err
		}
	}
	return c.keepOneCurrent(survivor)
}

// keepOneCurrent ends all but the latest-started current main school, GP practice and lead
// professional of a merged survivor.
func (c *call) keepOneCurrent(survivor store.Child) error {
	invs, err := c.tx.Involvements(survivor.ID) // ordered by start date
	if err != nil {
		return err
	}
	latest := map[string]store.Involvement{}
	for _, inv := range invs {
		if kind := singletonKind(inv.Involvement); kind != "" && inv.EndDate == "" {
			if prev, found := latest[kind]; found {
				if err := c.endInvolvement(survivor, &prev, max(inv.StartDate, prev.StartDate)); err != nil {
					return err
				}
				prev.Version++
				if err := c.tx.UpdateInvolvement(prev); err != nil {
					return err
				}
			}
			latest[kind] = inv
		}
	}
	inds, err := c.tx.Indicators(survivor.ID)
	if err != nil {
		return err
	}
	var lead *store.Indicator
	for _, ind := range inds {
		if ind.Type != indLeadProfessional || ind.EndDate != "" {
			continue
		}
		if lead != nil {
			if err := c.endIndicator(survivor, *lead, max(ind.StartDate, lead.StartDate), c.holderOf(*lead)); err != nil {
				return err
			}
		}
		lead = &ind
	}
	return nil
}

// sameName reports whether two names are byte-for-byte equal.
func sameName(a, b spec.Name) bool {
	return a.Family == b.Family && slices.Equal(a.Given, b.Given)
}
