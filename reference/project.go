package reference

import (
	"slices"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// This file holds the projections: the only functions that turn stored records into wire
// types. Each applies the caller's sight before anything is copied, so a field the caller
// may not see never reaches the response (READ-002), and each records the tiers it disclosed
// for the audit event (AUDIT-001).

// projectChild renders child for the caller. inds are the child's indicators.
func (c *call) projectChild(child store.Child, lc lifecycle, inds []store.Indicator) spec.ChildRecord {
	v := c.sightOf(child)
	rec := spec.ChildRecord{
		ID:          child.ID,
		Version:     child.Version,
		Status:      lc.status,
		Name:        cloneName(child.Name),
		Gender:      child.Gender,
		DateOfBirth: child.DateOfBirth,
	}
	c.tiers[tier1] = true
	if v.restricted {
		// SENS-004: identity, parent and carer names and the fact of the shield; nothing else.
		for _, p := range child.ParentsCarers {
			rec.ParentsCarers = append(rec.ParentsCarers, spec.RelatedPerson{Name: cloneName(p.Name), Relationship: p.Relationship})
		}
		rec.Shielding = &spec.Shielding{Shielded: true}
		return rec
	}
	rec.MergedInto = child.MergedInto
	rec.DateOfDeath = child.DateOfDeath
	for _, n := range child.FormerNames {
		rec.FormerNames = append(rec.FormerNames, cloneName(n))
	}
	c.tiers[tier2] = true
	if child.Address != nil {
		a := *child.Address
		a.Lines = slices.Clone(a.Lines)
		rec.Address = &a
	}
	rec.Whereabouts = child.Whereabouts
	la := child.ResponsibleLa
	rec.ResponsibleLa = &la
	for _, p := range child.ParentsCarers {
		out := spec.RelatedPerson{Name: cloneName(p.Name), Relationship: p.Relationship}
		if p.HasParentalResponsibility != nil {
			pr := *p.HasParentalResponsibility
			out.HasParentalResponsibility = &pr
		}
		if p.Contact != nil {
			ct := *p.Contact
			out.Contact = &ct
		}
		rec.ParentsCarers = append(rec.ParentsCarers, out)
	}
	for _, id := range child.Identifiers {
		switch {
		case id.System == idLAChild:
			rec.Identifiers = append(rec.Identifiers, id)
		case id.System == idNHS && v.nhs, (id.System == idUPN || id.System == idFormer) && v.upn:
			rec.Identifiers = append(rec.Identifiers, id)
			c.tiers[tier3] = true
		}
	}
	if v.t5 && child.ExpectedDateOfBirth != "" {
		rec.ExpectedDateOfBirth = child.ExpectedDateOfBirth
		c.tiers[tier5] = true
	}
	rec.Shielding = &spec.Shielding{Shielded: child.Shielding.Shielded}
	if v.own {
		sh := child.Shielding
		rec.Shielding = &sh
		rec.Archive = &spec.Archive{ArchiveAtAge: lc.archiveAt, ArchivedOn: lc.archivedOn}
		if lc.status == statusArchived {
			c.tiers[tier6] = true
		}
	}
	for _, ind := range inds {
		if out, shown := c.projectIndicatorOn(ind, v); shown {
			rec.Indicators = append(rec.Indicators, out)
		}
	}
	return rec
}

// projectIndicatorOn renders an indicator as part of a record the caller sees with v, and
// reports whether it is shown at all: T5 indicators need T5 and stop showing 12 months
// after they end to anyone but the responsible council's management (FLAG-003).
func (c *call) projectIndicatorOn(ind store.Indicator, v sight) (spec.Indicator, bool) {
	if v.restricted {
		return spec.Indicator{}, false
	}
	if isT5Indicator(ind.Type) {
		if !v.t5 || (!v.own && c.t5Expired(ind.EndDate)) {
			return spec.Indicator{}, false
		}
		c.tiers[tier5] = true
	} else {
		c.tiers[tier2] = true
	}
	out := ind.Indicator
	if out.Contact != nil {
		ct := *out.Contact
		out.Contact = &ct
	}
	return out, true
}

// projectIndicator renders one indicator as the response to setting or changing it. A
// caller who may not see the record's indicators (a shielded record) gets its identity and
// dates only.
func (c *call) projectIndicator(ind store.Indicator, child store.Child) spec.Indicator {
	if out, shown := c.projectIndicatorOn(ind, c.sightOf(child)); shown {
		return out
	}
	c.tiers[tier1] = true
	return spec.Indicator{
		ID: ind.ID, ChildID: ind.ChildID, Version: ind.Version, Type: ind.Type,
		StartDate: ind.StartDate, EndDate: ind.EndDate,
	}
}

// involvementView is what projecting a child's involvements needs besides the involvement:
// the child, its consents by id and the involvements that hold an active lead-professional
// indicator.
type involvementView struct {
	child    store.Child
	consents map[string]store.Consent
	leads    map[string]bool
}

// involvementViewOf loads what projectInvolvement needs for child.
func (c *call) involvementViewOf(child store.Child) (involvementView, error) {
	view := involvementView{child: child, consents: map[string]store.Consent{}, leads: map[string]bool{}}
	consents, err := c.tx.Consents(child.ID)
	if err != nil {
		return view, err
	}
	for _, con := range consents {
		view.consents[con.ID] = con
	}
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return view, err
	}
	for _, ind := range inds {
		if ind.Type == indLeadProfessional && c.active(ind.EndDate) {
			view.leads[ind.InvolvementID] = true
		}
	}
	return view, nil
}

// hidden reports whether an involvement is hidden from the caller: a sensitive involvement
// on a CONSENT basis whose consent was withdrawn is shown to the responsible council's
// management only (CONSENT-002).
func (c *call) hidden(inv store.Involvement, view involvementView) bool {
	if c.own(view.child) || !isSensitiveService(inv.ServiceType) || inv.DisclosureBasis != basisConsent {
		return false
	}
	con, found := view.consents[inv.ConsentRef]
	return found && con.WithdrawnOn != ""
}

// projectInvolvement renders an involvement for the caller: in full, or in brokered form
// (SENS-002, SENS-004) for a sensitive service or a shielded record seen by anyone but the
// responsible council's management. It reports false for an involvement hidden from the
// caller.
func (c *call) projectInvolvement(inv store.Involvement, view involvementView) (spec.Involvement, bool) {
	if c.hidden(inv, view) {
		return spec.Involvement{}, false
	}
	v := c.sightOf(view.child)
	sensitive := isSensitiveService(inv.ServiceType)
	out := spec.Involvement{
		ID: inv.ID, ChildID: inv.ChildID, Version: inv.Version, ServiceType: inv.ServiceType,
		Sensitive: sensitive, StartDate: inv.StartDate, EndDate: inv.EndDate,
		IsLeadProfessional: view.leads[inv.ID],
	}
	c.tiers[tier1] = true
	if !v.own && (sensitive || v.restricted) {
		out.ContactVia = contactViaManagement
		return out, true
	}
	if sensitive {
		c.tiers[tier4] = true
	} else {
		c.tiers[tier2] = true
	}
	if inv.Organisation != nil {
		org := *inv.Organisation
		out.Organisation = &org
	}
	if inv.Practitioner != nil {
		p := *inv.Practitioner
		if p.Contact != nil {
			ct := *p.Contact
			p.Contact = &ct
		}
		out.Practitioner = &p
	}
	out.IsMainSchool = inv.IsMainSchool
	out.DisclosureBasis = inv.DisclosureBasis
	out.ConsentRef = inv.ConsentRef
	out.ProvidedBy = inv.ProvidedBy
	return out, true
}

// projectConsent renders a consent, naming the first involvement it supports.
func (c *call) projectConsent(con store.Consent) (spec.Consent, error) {
	out := con.Consent
	invs, err := c.tx.Involvements(con.ChildID)
	if err != nil {
		return out, err
	}
	for _, inv := range invs {
		if inv.ConsentRef == con.ID {
			out.InvolvementID = inv.ID
			break
		}
	}
	c.tiers[tier1] = true
	return out, nil
}

// cloneName copies a name so that a response never shares storage with a record.
func cloneName(n spec.Name) spec.Name {
	return spec.Name{Given: slices.Clone(n.Given), Family: n.Family}
}
