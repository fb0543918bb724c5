package reference

import (
	"net/url"
	"strconv"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// Page sizes of the audit log and the access history.
const (
	defaultAuditLimit  = 100
	maxAuditLimit      = 1000
	defaultAccessLimit = 25
	maxAccessLimit     = 100
)

// auditEvents answers GET /v1/audit-events: auditors read every event, management the events
// about its council's children or by its actors, in seq order (AUDIT-003).
func (c *call) auditEvents() (*result, error) {
	q := c.r.URL.Query()
	childID, okChild := single(q, "childId")
	afterSeq, okAfter := intParam(q, "afterSeq", 0, 0, 1<<62)
	limit, okLimit := intParam(q, "limit", defaultAuditLimit, 1, maxAuditLimit)
	if !okChild || !okAfter || !okLimit || (childID != "" && !idRE.MatchString(childID)) {
		return problem(codeInvalidParameter, "childId must be an id, afterSeq a whole number and limit from 1 to "+strconv.Itoa(maxAuditLimit)+"."), nil
	}
	aq := store.AuditQuery{AfterSeq: afterSeq, Limit: int(limit), ChildID: childID}
	if c.actor.Role == roleLAManagement {
		aq.VisibleToLa = c.actor.La
	}
	events, err := c.tx.AuditEvents(aq)
	if err != nil {
		return nil, err
	}
	page := spec.AuditEventPage{Events: []spec.AuditEvent{}, NextAfterSeq: afterSeq}
	page.Events = append(page.Events, events...)
	if len(events) > 0 {
		page.NextAfterSeq = events[len(events)-1].Seq
	}
	c.tiers[tier1] = true
	return ok(page), nil
}

// accessHistory answers GET /v1/children/{id}/access-history for the responsible council's
// management: the newest external reads and search hits, without SCHEDULED_CARE_SILENT
// reads (AUDIT-004).
func (c *call) accessHistory() (*result, error) {
	limit, okLimit := intParam(c.r.URL.Query(), "limit", defaultAccessLimit, 1, maxAccessLimit)
	if !okLimit {
		return problem(codeInvalidParameter, "limit must be a whole number from 1 to "+strconv.Itoa(maxAccessLimit)+"."), nil
	}
	child, _, res, err := c.openChild(c.id, useManage)
	if res != nil || err != nil {
		return res, err
	}
	if !c.own(child) {
		return forbidden(), nil
	}
	events, err := c.tx.Accesses(store.AccessQuery{
		ChildID:     child.ID,
		Actions:     []string{actionRead, actionSearch, actionListInvolvements},
		SkipPurpose: purposeScheduledSilent,
		SkipRole:    roleLAManagement,
		SkipLa:      child.ResponsibleLa.DfeCode,
		Limit:       int(limit),
	})
	if err != nil {
		return nil, err
	}
	out := spec.AccessHistory{ChildID: child.ID, Accesses: []spec.Access{}}
	for _, ev := range events {
		out.Accesses = append(out.Accesses, spec.Access{
			At: ev.At, Actor: ev.Actor, Action: ev.Action, Purpose: ev.Purpose, BreakGlass: ev.BreakGlass,
		})
	}
	c.tiers[tier1] = true
	return ok(out), nil
}

// single returns a query parameter given at most once.
func single(q url.Values, name string) (string, bool) {
	v := q[name]
	switch len(v) {
	case 0:
		return "", true
	case 1:
		return v[0], true
	}
	return "", false
}

// intParam returns an integer query parameter in min..max, or def when it is absent.
func intParam(q url.Values, name string, def, lo, hi int64) (int64, bool) {
	s, okOnce := single(q, name)
	if !okOnce {
		return 0, false
	}
	if s == "" {
		if _, given := q[name]; given {
			return 0, false
		}
		return def, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
