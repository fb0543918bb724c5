package reference

import (
	"errors"
	"time"

	"github.com/icscert/icscert/reference/store"
)

// sight is what one caller may see of one record: the tier table of CONTRACT.md applied to
// the caller's role, sector, council and purpose, and to the record's shield.
type sight struct {
	own        bool // the responsible council's management: every tier
	restricted bool // a shielded record seen by anyone else: identity only (SENS-004)
	nhs        bool // T3 NHS number
	upn        bool // T3 UPN and FORMER_UPN
	t5         bool // T5 protection status
}

// own reports whether the caller is the management of the council responsible for child.
func (c *call) own(child store.Child) bool {
	return c.actor.Role == roleLAManagement && c.actor.La == child.ResponsibleLa.DfeCode
}

// sightOf decides what the caller may see of child (READ-002, SENS-004, AUTH-004).
func (c *call) sightOf(child store.Child) sight {
	if c.own(child) {
		return sight{own: true, nhs: true, upn: true, t5: true}
	}
	v := sight{restricted: child.Shielding.Shielded}
	switch c.actor.Role {
	case roleHealthUnscheduled:
		v.nhs, v.t5 = true, true
	case roleSocialWorker:
		v.nhs, v.upn, v.t5 = c.actor.Sector == sectorHealth, c.actor.Sector == sectorEducation, true
	default: // PRACTITIONER, and LA_MANAGEMENT of another council, as PRACTITIONER
		v.nhs, v.upn = c.actor.Sector == sectorHealth, c.actor.Sector == sectorEducation
		v.t5 = c.purpose == purposeBreakGlass
	}
	return v
}

// lifecycle is a record's status as of the request's date: ARCHIVED is computed from the
// date of birth and the archive age (CONSENT-003), and the archive windows of AUTH-003 follow.
type lifecycle struct {
	status     string // the status served
	archiveAt  int    // the age at which the record is archived
	archivedOn string // the date it was archived, for an ARCHIVED record
	restricted bool   // archived a year ago or more: statutory purposes only
	purged     bool   // archived six years ago or more: gone
}

// lifecycleOf computes child's lifecycle on the request's date. A record is archived from
// its archive birthday; a 29 February birthday falls on 1 March in other years.
func (c *call) lifecycleOf(child store.Child) lifecycle {
	lc := lifecycle{status: child.Status, archiveAt: child.ArchiveAtAge}
	if lc.archiveAt == 0 {
		lc.archiveAt = defaultArchiveAge
	}
	dob, known := parseDate(child.DateOfBirth)
	if child.Status != statusActive || !known {
		return lc
	}
	on := dob.AddDate(lc.archiveAt, 0, 0)
	if c.today.Before(on) {
		return lc
	}
	lc.status = statusArchived
	lc.archivedOn = on.Format(time.DateOnly)
	lc.restricted = !c.today.Before(on.AddDate(1, 0, 0))
	lc.purged = !c.today.Before(on.AddDate(6, 0, 0))
	return lc
}

// use says what a request does with a record, for the gates of AUTH-002 and AUTH-003.
type use int

const (
	useRead   use = iota // a read: an archived record past its first year needs a statutory purpose
	useWrite             // a change: the record must be ACTIVE or DECEASED
	useManage            // management's look at an archived record (consents, access history)
)

// openChild looks up child id for the caller and applies the rules on whether it may be
// touched at all. A refusal is returned as a result: 404 for an unknown record or one the
// caller may not see (archived, purged or superseded identity, AUTH-002), 410 for a purged
// record seen by its management (READ-001), 403 ARCHIVE_ACCESS_RESTRICTED and 409
// INVALID_STATE (AUTH-003).
func (c *call) openChild(id string, u use) (store.Child, lifecycle, *result, error) {
	child, err := c.tx.Child(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Child{}, lifecycle{}, notFound(), nil
	}
	if err != nil {
		return store.Child{}, lifecycle{}, nil, err
	}
	c.touch(child.ID)
	lc := c.lifecycleOf(child)
	own := c.own(child)
	switch {
	case lc.purged && own:
		return child, lc, problem(codeGone, "The record has been purged."), nil
	case (lc.status == statusArchived || child.Status == statusSuperseded) && !own:
		return child, lc, notFound(), nil
	case lc.status == statusArchived && u == useRead && lc.restricted && c.purpose != purposeS47 && c.purpose != purposeSeriousCase:
		return child, lc, problem(codeArchiveRestricted, "This archived record is readable only for S47_ENQUIRY or SERIOUS_CASE_REVIEW."), nil
	case u == useWrite && lc.status != statusActive && lc.status != statusDeceased:
		return child, lc, invalidState("The record is " + lc.status + " and cannot be changed."), nil
	}
	c.raiseShieldReview(child)
	return child, lc, nil, nil
}

// caseManager reports whether the caller may change a child's record and its protection
// status: the responsible council's management, or one of its social workers.
func (c *call) caseManager(child store.Child) bool {
	return c.own(child) || (c.actor.Role == roleSocialWorker && c.councilMember(child))
}

// councilMember reports whether the caller works for the council responsible for child.
func (c *call) councilMember(child store.Child) bool {
	return c.actor.La == child.ResponsibleLa.DfeCode
}

// t5Expired reports whether a T5 indicator ended more than 12 months before the request's
// date, so that only the responsible council's management still sees it (FLAG-003).
func (c *call) t5Expired(endDate string) bool {
	end, ok := parseDate(endDate)
	return ok && c.today.After(end.AddDate(1, 0, 0))
}

// active reports whether something with this end date is still current on the request's
// date: it has no end date, or ends later than today.
func (c *call) active(endDate string) bool {
	return endDate == "" || endDate > c.todayDate()
}
