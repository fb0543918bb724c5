package reference

import (
	"errors"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// recordConsent answers POST /v1/children/{id}/consents (CONSENT-001). The recorder is the
// token's sub. A RETAIN_TO_25 consent moves the record's archive age (CONSENT-003); the
// responsible council's management may record one on a record already archived, which
// brings it back if the new age is not yet reached.
func (c *call) recordConsent() (*result, error) {
	var nc spec.NewConsent
	if res, err := c.decode(&nc); res != nil || err != nil {
		return res, err
	}
	child, res, err := c.openForConsent(c.id, nc.Scope)
	if res != nil || err != nil {
		return res, err
	}
	con := store.Consent{
		Consent: spec.Consent{
			ID: newID(), ChildID: child.ID, Scope: nc.Scope, GivenBy: nc.GivenBy, GivenOn: nc.GivenOn,
			RecordedBy: c.actor.Sub, RecordedAt: c.instant(), RetainToAge: nc.RetainToAge,
		},
		RecordedByOrg: c.actor.Org,
	}
	if err := c.tx.InsertConsent(con); err != nil {
		return nil, err
	}
	if err := c.refreshArchiveAge(child); err != nil {
		return nil, err
	}
	out, err := c.projectConsent(con)
	if err != nil {
		return nil, err
	}
	return created(out), nil
}

// openForConsent opens a child for recording or withdrawing a consent of scope: a change
// like any other, except that the management may change a RETAIN_TO_25 consent of an
// archived record.
func (c *call) openForConsent(id, scope string) (store.Child, *result, error) {
	u := useWrite
	if scope == scopeRetain {
		if child, err := c.tx.Child(id); err == nil && c.own(child) && c.lifecycleOf(child).status == statusArchived {
			u = useManage
		}
	}
	child, _, res, err := c.openChild(id, u)
	return child, res, err
}

// getConsent answers GET /v1/consents/{id}: for the responsible council's management and
// the recorder.
func (c *call) getConsent() (*result, error) {
	con, res, err := c.findConsent()
	if res != nil || err != nil {
		return res, err
	}
	child, _, res, err := c.openChild(con.ChildID, useManage)
	if res != nil || err != nil {
		return res, err
	}
	recorder := con.RecordedBy == c.actor.Sub && con.RecordedByOrg == c.actor.Org
	if !c.own(child) && !recorder {
		return forbidden(), nil
	}
	out, err := c.projectConsent(con)
	if err != nil {
		return nil, err
	}
	return ok(out), nil
}

// withdrawConsent answers POST /v1/consents/{id}/withdrawal, the only change a consent
// allows (CONSENT-001). A second withdrawal gets 409 CONSENT_ALREADY_WITHDRAWN. Withdrawing a
// disclosure consent hides the involvements it supports (CONSENT-002); withdrawing
// RETAIN_TO_25 moves the archive age back (CONSENT-003).
func (c *call) withdrawConsent() (*result, error) {
	var w spec.Withdrawal
	if res, err := c.decode(&w); res != nil || err != nil {
		return res, err
	}
	con, res, err := c.findConsent()
	if res != nil || err != nil {
		return res, err
	}
	child, res, err := c.openForConsent(con.ChildID, con.Scope)
	if res != nil || err != nil {
		return res, err
	}
	if con.WithdrawnOn != "" {
		return problem(codeAlreadyWithdrawn, "The consent is already withdrawn."), nil
	}
	if w.WithdrawnOn < con.GivenOn {
		return fieldProblem("/withdrawnOn", feDateOrder, "must not be before the consent was given"), nil
	}
	con.WithdrawnOn = w.WithdrawnOn
	if err := c.tx.UpdateConsent(con); err != nil {
		return nil, err
	}
	if err := c.refreshArchiveAge(child); err != nil {
		return nil, err
	}
	out, err := c.projectConsent(con)
	if err != nil {
		return nil, err
	}
	return ok(out), nil
}

// findConsent looks up the consent of the path id.
func (c *call) findConsent() (store.Consent, *result, error) {
	con, err := c.tx.Consent(c.id)
	if errors.Is(err, store.ErrNotFound) {
		return con, notFound(), nil
	}
	return con, nil, err
}

// refreshArchiveAge stores child's archive age as its consents now set it.
func (c *call) refreshArchiveAge(child store.Child) error {
	age, err := c.archiveAge(child.ID)
	if err != nil || age == child.ArchiveAtAge {
		return err
	}
	child.ArchiveAtAge = age
	return c.tx.UpdateChild(child)
}

// archiveAge returns the age at which a child's record is archived: 18, or the highest
// retainToAge of its current RETAIN_TO_25 consents (CONSENT-003).
func (c *call) archiveAge(childID string) (int, error) {
	consents, err := c.tx.Consents(childID)
	if err != nil {
		return 0, err
	}
	age := defaultArchiveAge
	for _, con := range consents {
		if con.Scope == scopeRetain && con.WithdrawnOn == "" && con.RetainToAge > age {
			age = con.RetainToAge
		}
	}
	return age, nil
}
