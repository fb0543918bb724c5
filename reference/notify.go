package reference

import (
	"github.com/icscert/icscert/reference/store"
)

// This file fills the notification outbox. Notifications are thin (NOTIF-004): ids, the
// event type and the council to notify. They are written in the request's transaction, so a
// refused request raises nothing; delivering them (webhooks, NOTIF-002, NOTIF-003) reads the
// outbox.

// notify raises an event about child for its responsible council, and for org when set.
func (c *call) notify(child store.Child, typ, org, refID string) {
	c.notes = append(c.notes, store.Notification{
		EventID: newID(), ChildID: child.ID, Type: typ, OccurredAt: c.instant(),
		La: child.ResponsibleLa.DfeCode, Org: org, RefID: refID,
	})
}

// noteRead records a successful read or search hit of child. The responsible council is
// notified when the reader is outside it, reads for unscheduled care, or breaks the glass
// (NOTIF-001, AUTH-004); a SCHEDULED_CARE_SILENT read notifies no one.
func (c *call) noteRead(child store.Child) {
	if c.purpose == purposeScheduledSilent {
		return
	}
	if c.councilMember(child) && c.actor.Role != roleHealthUnscheduled && c.purpose != purposeBreakGlass {
		return
	}
	c.notes = append(c.notes, store.Notification{
		EventID: newID(), ChildID: child.ID, Type: noteAccessed, OccurredAt: c.instant(),
		La: child.ResponsibleLa.DfeCode, BreakGlass: c.purpose == purposeBreakGlass,
	})
}

// raiseShieldReview raises SHIELD_REVIEW_DUE once per review date when a shielded record
// whose review date has passed is touched (SENS-006).
func (c *call) raiseShieldReview(child store.Child) {
	sh := child.Shielding
	if !sh.Shielded || sh.ReviewDue == "" || sh.ReviewDue >= c.todayDate() {
		return
	}
	c.notes = append(c.notes, store.Notification{
		EventID: newID(), ChildID: child.ID, Type: noteShieldReview, OccurredAt: c.instant(),
		La: child.ResponsibleLa.DfeCode, DedupeKey: noteShieldReview + "/" + child.ID + "/" + sh.ReviewDue,
	})
}
