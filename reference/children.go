package reference

import (
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// Audit actions that count as accesses of a record (AUDIT-004).
const (
	actionRead             = "READ_CHILD"
	actionSearch           = "SEARCH_CHILDREN"
	actionListInvolvements = "LIST_INVOLVEMENTS"
)

// createChild answers POST /v1/children (ID-001..ID-005).
func (c *call) createChild() (*result, error) {
	var nc spec.NewChild
	if res, err := c.decode(&nc); res != nil || err != nil {
		return res, err
	}
	child, res, err := c.insertChild(nc)
	if res != nil || err != nil {
		return res, err
	}
	out := created(c.projectChild(child, c.lifecycleOf(child), nil)).withETag(child.Version)
	out.location = "/v1/children/" + child.ID
	return out, nil
}

// insertChild stores a validated new child, defaulting its responsible council to the
// caller's, after the duplicate check of ID-005.
func (c *call) insertChild(nc spec.NewChild) (store.Child, *result, error) {
	la := c.actor.La
	ptr := "/responsibleLa"
	if nc.ResponsibleLa != nil {
		la = nc.ResponsibleLa.DfeCode
		ptr = "/responsibleLa/dfeCode"
	}
	e := &fieldErrors{}
	checkNewResponsibility(e, c.s.councils, ptr, la)
	if !e.empty() {
		return store.Child{}, invalid(e), nil
	}
	child := store.Child{
		ID:                  newID(),
		Version:             1,
		Status:              statusActive,
		Name:                nc.Name,
		FormerNames:         nc.FormerNames,
		Gender:              nc.Gender,
		DateOfBirth:         nc.DateOfBirth,
		ExpectedDateOfBirth: nc.ExpectedDateOfBirth,
		Identifiers:         normaliseIdentifiers(nc.Identifiers),
		Address:             nc.Address,
		Whereabouts:         nc.Whereabouts,
		ResponsibleLa:       c.laRef(la),
		ParentsCarers:       nc.ParentsCarers,
		ArchiveAtAge:        defaultArchiveAge,
		CreatedAt:           c.instant(),
		UpdatedAt:           c.instant(),
	}
	if res, err := c.duplicateCheck(child); res != nil || err != nil {
		return store.Child{}, res, err
	}
	if err := c.tx.InsertChild(child); err != nil {
		return store.Child{}, nil, err
	}
	c.touch(child.ID)
	return child, nil, nil
}

// getChild answers GET /v1/children/{id} (READ-001, READ-002, AUTH-003).
func (c *call) getChild() (*result, error) {
	child, lc, res, err := c.openChild(c.id, useRead)
	if res != nil || err != nil {
		return res, err
	}
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return nil, err
	}
	c.noteRead(child)
	return ok(c.projectChild(child, lc, inds)).withETag(child.Version), nil
}

// updateChild answers PATCH /v1/children/{id}: each property present replaces the stored
// one, under If-Match (VER-001). A new date of death makes the record DECEASED; an
// identifier turned SUPERSEDED raises IDENTIFIER_SUPERSEDED (ID-007).
func (c *call) updateChild() (*result, error) {
	var patch spec.ChildPatch
	if res, err := c.decode(&patch); res != nil || err != nil {
		return res, err
	}
	present := c.body.(map[string]any)
	child, _, res, err := c.openChild(c.id, useWrite)
	if res != nil || err != nil {
		return res, err
	}
	if !c.caseManager(child) {
		return forbidden(), nil
	}
	if !c.ifMatches(child.Version) {
		return preconditionFailed(child.Version), nil
	}
	before := child
	has := func(k string) bool { _, found := present[k]; return found }
	if has("name") {
		child.Name = *patch.Name
	}
	if has("formerNames") {
		child.FormerNames = patch.FormerNames
	}
	if has("gender") {
		child.Gender = patch.Gender
	}
	if has("dateOfBirth") {
		child.DateOfBirth = patch.DateOfBirth
	}
	if has("expectedDateOfBirth") {
		child.ExpectedDateOfBirth = patch.ExpectedDateOfBirth
	}
	if has("dateOfDeath") {
		child.DateOfDeath = patch.DateOfDeath
	}
	if has("identifiers") {
		child.Identifiers = normaliseIdentifiers(patch.Identifiers)
	}
	if has("address") {
		child.Address = patch.Address
	}
	if has("whereabouts") {
		child.Whereabouts = patch.Whereabouts
	}
	if has("parentsCarers") {
		child.ParentsCarers = patch.ParentsCarers
	}
	if child.DateOfDeath != "" && child.DateOfBirth != "" && child.DateOfDeath < child.DateOfBirth {
		ptr := "/dateOfDeath"
		if !has("dateOfDeath") {
			ptr = "/dateOfBirth"
		}
		return fieldProblem(ptr, feDateOrder, "the date of death must not be before the date of birth"), nil
	}
	if res, err := c.duplicateCheck(child); res != nil || err != nil {
		return res, err
	}
	if child.DateOfDeath != "" && child.Status == statusActive {
		child.Status = statusDeceased
		c.notify(child, noteDeceased, "", "")
	}
	for _, id := range child.Identifiers {
		if held, _ := holds(before.Identifiers, id.System, id.Value); held && id.Status == idReplaced {
			c.notify(child, noteIdentifierSuper, "", "")
		}
	}
	child.Version++
	child.UpdatedAt = c.instant()
	if err := c.tx.UpdateChild(child); err != nil {
		return nil, err
	}
	inds, err := c.tx.Indicators(child.ID)
	if err != nil {
		return nil, err
	}
	return ok(c.projectChild(child, c.lifecycleOf(child), inds)).withETag(child.Version), nil
}

// duplicateCheck refuses a record whose verified, current NHS number or UPN is a current
// identifier of another ACTIVE record: 409 DUPLICATE_CANDIDATE naming it (ID-005, SENS-005).
// When several records hold the identifier, it names the one holding it verified, then the
// oldest.
func (c *call) duplicateCheck(child store.Child) (*result, error) {
	for _, id := range child.Identifiers {
		if !id.Verified || id.Status == idReplaced || (id.System != idNHS && id.System != idUPN) {
			continue
		}
		others, err := c.tx.ChildrenByIdentifier(id.System, id.Value)
		if err != nil {
			return nil, err
		}
		var best *store.Child
		bestVerified := false
		for i, other := range others {
			if other.ID == child.ID || c.lifecycleOf(other).status != statusActive {
				continue
			}
			held, verified := holds(other.Identifiers, id.System, id.Value)
			if !held {
				continue
			}
			if best == nil || (verified && !bestVerified) || (verified == bestVerified && other.CreatedAt < best.CreatedAt) {
				best, bestVerified = &others[i], verified
			}
		}
		if best != nil {
			c.touch(best.ID)
			res := problem(codeDuplicate, "A record with this identifier already exists; see existingId.")
			res.problem.ExistingID = best.ID
			return res, nil
		}
	}
	return nil, nil
}

// holds reports whether ids hold a CURRENT identifier of system with value, and whether it
// is verified.
func holds(ids []spec.Identifier, system, value string) (held, verified bool) {
	for _, id := range ids {
		if id.System == system && id.Value == value && id.Status != idReplaced {
			return true, id.Verified
		}
	}
	return false, false
}

// normaliseIdentifiers stores identifiers normalised: NHS numbers without spaces, UPNs
// upper-case, and CURRENT when no status is given.
func normaliseIdentifiers(ids []spec.Identifier) []spec.Identifier {
	out := make([]spec.Identifier, 0, len(ids))
	for _, id := range ids {
		id.Value = normaliseIdentifier(id.System, id.Value)
		if id.Status == "" {
			id.Status = idCurrent
		}
		out = append(out, id)
	}
	return out
}

// normaliseIdentifier returns an identifier value in its stored form.
func normaliseIdentifier(system, value string) string {
	switch system {
	case idNHS:
		return ident.NormaliseNHS(value)
	case idUPN, idFormer:
		return ident.NormaliseUPN(value)
	}
	return value
}

// laRef returns the reference of a council from the reference list.
func (c *call) laRef(dfe string) spec.LocalAuthorityRef {
	ref := spec.LocalAuthorityRef{DfeCode: dfe}
	if la, found := c.s.councils.Lookup(dfe); found {
		ref.GssCode, ref.Name = la.GssCode, la.Name
	}
	return ref
}
