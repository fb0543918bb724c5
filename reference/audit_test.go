package reference

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/spec"
)

// lastEvent returns the newest audit event.
func (h *harness) lastEvent(t *testing.T) spec.AuditEvent {
	t.Helper()
	evs := h.auditLog()
	require.NotEmpty(t, evs)
	return evs[len(evs)-1]
}

func TestAuditEvents(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	gp := h.gp()
	cases := []struct {
		name    string
		caller  *contractClient
		req     request
		action  string
		outcome string
		tiers   []string
		reason  string
	}{
		{"AUDIT-001/a read", gp, request{method: http.MethodGet, path: "/v1/children/" + rec.ID}, "READ_CHILD", "SUCCESS", []string{"T1", "T2", "T3"}, "a GP reads T1, T2 and the NHS number"},
		{"AUDIT-001/a search", h.teacher(), request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{NhsNumber: "9990000018"}}, "SEARCH_CHILDREN", "SUCCESS", []string{}, "a search that finds nothing discloses nothing"},
		{"AUDIT-001/a write", h.mgmt(), request{method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: `"1"`, body: map[string]any{"whereabouts": "KNOWN_ADDRESS"}}, "UPDATE_CHILD", "SUCCESS", []string{"T1", "T2", "T3"}, "a write is audited with what its answer disclosed"},
		{"AUDIT-001/a denied request", h.auditor(), request{method: http.MethodGet, path: "/v1/children/" + rec.ID}, "READ_CHILD", "DENIED", []string{}, "a refusal discloses nothing"},
		{"AUDIT-001/an unauthenticated request", h.mgmt().withToken(""), request{method: http.MethodGet, path: "/v1/children/" + rec.ID}, "READ_CHILD", "UNAUTHENTICATED", []string{}, "even without a token"},
		{"AUDIT-001/an invalid request", h.mgmt(), request{method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: `"2"`, body: map[string]any{"gender": "X"}, breaksContract: true}, "UPDATE_CHILD", "INVALID", []string{}, "validation failures too"},
	}
	for i, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			corr := fmt.Sprintf("audit-test-%d", i)
			tc.req.header = map[string]string{"X-Correlation-ID": corr}
			resp := tc.caller.do(t, tc.req)
			ev := h.lastEvent(t)
			assert.Equal(t, tc.action, ev.Action, tc.reason)
			assert.Equal(t, tc.outcome, ev.Outcome, tc.reason)
			assert.Equal(t, resp.status, ev.Status)
			assert.Equal(t, tc.tiers, ev.DisclosedTiers, tc.reason)
			assert.Equal(t, corr, ev.CorrelationID, "the correlation id")
			assert.Regexp(t, `^2026-06-15T10:00:00\.000Z$`, ev.At, "UTC time")
			assert.Equal(t, tc.req.method, ev.Method)
			if tc.outcome == "UNAUTHENTICATED" {
				assert.Equal(t, spec.Actor{}, ev.Actor, "no actor without a token")
			} else {
				c := tc.caller.claims
				assert.Equal(t, spec.Actor{Sub: c.Sub, Role: c.Role, Org: c.Org, La: c.La, Sector: c.Sector}, ev.Actor, "actor, role, org and council")
			}
			if tc.action != "SEARCH_CHILDREN" {
				assert.Equal(t, []string{rec.ID}, ev.ChildIDs, "the child ids")
			}
			if tc.req.method == http.MethodGet && tc.outcome != "UNAUTHENTICATED" {
				assert.Equal(t, "SAFEGUARDING_CONCERN", ev.Purpose, "the purpose")
			}
		})
	}
	t.Run(covers("AUDIT-001/search hits are named"), func(t *testing.T) {
		res := h.teacher().search(t, spec.SearchRequest{NhsNumber: identifierValue(h.mgmt().readChild(t, rec.ID), idNHS, idCurrent)})
		require.Len(t, res.Results, 1)
		ev := h.lastEvent(t)
		assert.Equal(t, []string{rec.ID}, ev.ChildIDs)
		assert.Equal(t, []string{"T1", "T2", "T3"}, ev.DisclosedTiers)
	})
	t.Run(covers("AUDIT-001/a refused change of an involvement names its child"), func(t *testing.T) {
		inv := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
		h.auditor().patch(t, "/v1/involvements/"+inv.ID, inv.Version, spec.InvolvementPatch{EndDate: "2026-02-01"}).expectProblem(t, "FORBIDDEN")
		assert.Equal(t, []string{rec.ID}, h.lastEvent(t).ChildIDs)
	})
}

func TestPurposeOfUse(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"AUDIT-002/read", request{method: http.MethodGet, path: "/v1/children/" + rec.ID, noPurpose: true}},
		{"AUDIT-002/search", request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{NhsNumber: "9990000018"}, noPurpose: true}},
		{"AUDIT-002/involvement list", request{method: http.MethodGet, path: "/v1/children/" + rec.ID + "/involvements", noPurpose: true}},
		{"AUDIT-002/blank purpose", request{method: http.MethodGet, path: "/v1/children/" + rec.ID, header: map[string]string{"X-Purpose-Of-Use": "  "}, noPurpose: true, breaksContract: true}},
	} {
		t.Run(covers(tc.name), func(t *testing.T) {
			h.gp().do(t, tc.req).expectProblem(t, "PURPOSE_REQUIRED")
			assert.Equal(t, "INVALID", h.lastEvent(t).Outcome)
		})
	}
	t.Run(covers("AUDIT-002/unknown purpose"), func(t *testing.T) {
		resp := h.gp().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: "CURIOSITY", breaksContract: true})
		p := resp.expectProblem(t, "UNKNOWN_CODE")
		require.Len(t, p.Errors, 1)
		assert.Equal(t, "purpose-of-use", p.Errors[0].CodeSystem)
		assert.Equal(t, "1.0", p.Errors[0].CodeSystemVersion)
	})
}

func TestAuditLog(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	foreign := h.otherMgmt().createChild(t, h.gen.Child())
	h.gp().readChild(t, rec.ID)
	h.gp().readChild(t, foreign.ID)

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		t.Run(covers("AUDIT-003/no "+method+" of the log"), func(t *testing.T) {
			resp := h.auditor().do(t, request{method: method, path: "/v1/audit-events", body: map[string]any{"seq": 1}})
			resp.expectProblem(t, "METHOD_NOT_ALLOWED")
			assert.Equal(t, "GET", resp.header.Get("Allow"))
		})
		t.Run(covers("AUDIT-003/no "+method+" of an event"), func(t *testing.T) {
			resp := h.auditor().do(t, request{method: method, path: "/v1/audit-events/1", body: map[string]any{"outcome": "SUCCESS"}, breaksContract: true})
			resp.expectProblem(t, "METHOD_NOT_ALLOWED")
		})
	}
	page := func(c *contractClient, query string) spec.AuditEventPage {
		resp := c.get(t, "/v1/audit-events"+query)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		var p spec.AuditEventPage
		resp.decode(t, &p)
		return p
	}
	t.Run(covers("AUDIT-003/the served chain verifies"), func(t *testing.T) {
		// Reading the log writes to it, so page up to the newest event seen at the start.
		last := page(h.auditor(), "?limit=1000").NextAfterSeq
		var all []spec.AuditEvent
		for after := int64(0); after < last; {
			p := page(h.auditor(), fmt.Sprintf("?afterSeq=%d&limit=3", after))
			require.NotEmpty(t, p.Events)
			all = append(all, p.Events...)
			after = p.NextAfterSeq
		}
		require.NoError(t, audit.VerifyChain(all))
		assert.Equal(t, audit.GenesisHash, all[0].PrevHash)
		tampered := slices.Clone(all)
		tampered[2].ChildIDs = []string{"someone-else"}
		var ce *audit.ChainError
		require.ErrorAs(t, audit.VerifyChain(tampered), &ce, "a broken chain is detected")
		assert.Equal(t, all[2].Seq, ce.Seq)
	})
	t.Run(covers("AUDIT-003/a council reads its own part of the log"), func(t *testing.T) {
		for _, ev := range page(h.mgmt(), "?limit=1000").Events {
			mine := ev.Actor.La == ownLa || slices.Contains(ev.ChildIDs, rec.ID)
			assert.True(t, mine, "event %d is neither about nor by council %s", ev.Seq, ownLa)
			assert.NotContains(t, ev.ChildIDs, foreign.ID)
		}
		assert.NotEmpty(t, page(h.auditor(), "?childId="+foreign.ID).Events, "auditors read every event")
	})
	t.Run(covers("AUDIT-003/by child"), func(t *testing.T) {
		for _, ev := range page(h.auditor(), "?childId="+rec.ID).Events {
			assert.Contains(t, ev.ChildIDs, rec.ID)
		}
	})
	for _, q := range []string{"?limit=0", "?limit=1001", "?afterSeq=-1", "?childId=x", "?limit=ten"} {
		t.Run(covers("AUDIT-003/bad query "+q), func(t *testing.T) {
			h.auditor().do(t, request{method: http.MethodGet, path: "/v1/audit-events" + q, breaksContract: true}).expectProblem(t, "INVALID_PARAMETER")
		})
	}
	t.Run(covers("AUDIT-003/practitioners cannot read the log"), func(t *testing.T) {
		h.gp().get(t, "/v1/audit-events").expectProblem(t, "FORBIDDEN")
	})
}

func TestAccessHistory(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	for i := range 27 {
		h.gp().withOrg(fmt.Sprintf("practice-%02d", i)).readChild(t, rec.ID)
	}
	h.mgmt().readChild(t, rec.ID)
	h.gp().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: purposeScheduledSilent})
	h.teacher().search(t, spec.SearchRequest{NhsNumber: identifierValue(h.mgmt().readChild(t, rec.ID), idNHS, idCurrent)})

	history := func(query string) spec.AccessHistory {
		resp := h.mgmt().get(t, "/v1/children/"+rec.ID+"/access-history"+query)
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		var out spec.AccessHistory
		resp.decode(t, &out)
		return out
	}
	t.Run(covers("AUDIT-004/the 25 most recent external accesses"), func(t *testing.T) {
		got := history("")
		require.Len(t, got.Accesses, 25)
		assert.Equal(t, "SEARCH_CHILDREN", got.Accesses[0].Action, "newest first; search hits count")
		assert.Equal(t, "practice-26", got.Accesses[1].Actor.Org)
		assert.Equal(t, "practice-03", got.Accesses[24].Actor.Org)
	})
	t.Run(covers("AUDIT-004/silent reads and the council's own reads are left out"), func(t *testing.T) {
		for _, a := range history("?limit=100").Accesses {
			assert.NotEqual(t, purposeScheduledSilent, a.Purpose)
			assert.NotEqual(t, roleLAManagement, a.Actor.Role)
		}
		assert.Len(t, history("?limit=100").Accesses, 28)
	})
	t.Run(covers("AUDIT-004/the responsible council's management only"), func(t *testing.T) {
		h.otherMgmt().get(t, "/v1/children/"+rec.ID+"/access-history").expectProblem(t, "FORBIDDEN")
		h.socialWorker().get(t, "/v1/children/"+rec.ID+"/access-history").expectProblem(t, "FORBIDDEN")
	})
	t.Run(covers("AUDIT-004/limit 1 to 100"), func(t *testing.T) {
		h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID + "/access-history?limit=101", breaksContract: true}).expectProblem(t, "INVALID_PARAMETER")
	})
}
