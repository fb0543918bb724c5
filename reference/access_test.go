package reference

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

func TestRoleTable(t *testing.T) {
	h := newHarness(t)
	roles := map[string]*contractClient{
		rolePractitioner:      h.gp(),
		roleSocialWorker:      h.socialWorker(),
		roleHealthUnscheduled: h.as(roleHealthUnscheduled, ownLa, sectorHealth),
		roleLAManagement:      h.mgmt(),
		roleAuditor:           h.auditor(),
		roleSystem:            h.system(),
	}
	// Each operation builds a fresh request against fresh records, so that allowed calls
	// succeed and forbidden ones are refused before any lookup.
	ops := []struct {
		name    string
		allowed []string
		req     func(t *testing.T) request
	}{
		{"search", []string{rolePractitioner, roleSocialWorker, roleHealthUnscheduled, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{NhsNumber: "9990000018"}}
		}},
		{"read", []string{rolePractitioner, roleSocialWorker, roleHealthUnscheduled, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodGet, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID}
		}},
		{"list involvements", []string{rolePractitioner, roleSocialWorker, roleHealthUnscheduled, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodGet, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/involvements"}
		}},
		{"create", []string{rolePractitioner, roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodPost, path: "/v1/children", body: h.gen.Child()}
		}},
		{"update", []string{roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			rec := h.mgmt().createChild(t, h.gen.Child())
			return request{method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: etag(rec.Version), body: map[string]any{"gender": "NOT_KNOWN"}}
		}},
		{"add involvement", []string{rolePractitioner, roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodPost, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/involvements", body: h.gen.Involvement("HOUSING", "2026-01-01")}
		}},
		{"set information to share", []string{rolePractitioner, roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{
				method: http.MethodPost, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/indicators",
				body: spec.NewIndicator{Type: indHasInfo, StartDate: "2026-01-01", Contact: &spec.IndicatorContact{Name: "Synthetic Lead", Organisation: "Synthetic Org (TEST)"}},
			}
		}},
		{"set a T5 indicator", []string{roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{
				method: http.MethodPost, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/indicators",
				body: spec.NewIndicator{Type: indLookedAfter, StartDate: "2026-01-01", LegalStatus: "C2"},
			}
		}},
		{"shield", []string{roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodPut, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/shield", body: spec.ShieldRequest{ReasonCode: "ADOPTION", ReviewDue: "2027-01-01"}}
		}},
		{"unshield", []string{roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodDelete, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/shield"}
		}},
		{"merge", []string{roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			a, b := h.mgmt().createChild(t, h.gen.Child()), h.mgmt().createChild(t, h.gen.Child())
			return request{method: http.MethodPost, path: "/v1/children/" + a.ID + "/merge", body: spec.MergeRequest{MergedID: b.ID}}
		}},
		{"access history", []string{roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodGet, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/access-history"}
		}},
		{"record consent", []string{rolePractitioner, roleSocialWorker, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{
				method: http.MethodPost, path: "/v1/children/" + h.mgmt().createChild(t, h.gen.Child()).ID + "/consents",
				body: spec.NewConsent{Scope: scopeSensitive, GivenBy: "CHILD", GivenOn: "2026-01-01"},
			}
		}},
		{"read audit events", []string{roleAuditor, roleLAManagement}, func(t *testing.T) request {
			t.Helper()
			return request{method: http.MethodGet, path: "/v1/audit-events"}
		}},
	}
	for _, o := range ops {
		for _, role := range spec.Roles.Values {
			allowed := false
			for _, a := range o.allowed {
				allowed = allowed || a == role
			}
			verdict := "forbidden"
			if allowed {
				verdict = "allowed"
			}
			t.Run(covers("AUTH-002/"+o.name+"/"+role+" "+verdict), func(t *testing.T) {
				resp := roles[role].do(t, o.req(t))
				if allowed {
					assert.Less(t, resp.status, 300, "the role table allows %s to %s: %s", role, o.name, resp.body)
					return
				}
				resp.expectProblem(t, "FORBIDDEN")
			})
		}
	}
}

func TestRefusalsRevealNothing(t *testing.T) {
	h := newHarness(t)
	shielded := shield(t, h, h.mgmt().createChild(t, h.gen.Child()).ID)
	archived := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("2008-02-01")))
	unknown := "00000000-0000-4000-8000-000000000000"
	same := func(t *testing.T, c *contractClient, method, suffix, code string, body any) {
		t.Helper()
		var first spec.Problem
		for i, id := range []string{shielded.ID, archived.ID, unknown} {
			p := c.do(t, request{method: method, path: "/v1/children/" + id + suffix, body: body}).expectProblem(t, code)
			p.CorrelationID = ""
			if i == 0 {
				first = p
				continue
			}
			assert.Equal(t, first, p, "the answer is the same whether the record exists or not")
		}
	}
	t.Run(covers("AUTH-002/an auditor reading a record"), func(t *testing.T) {
		same(t, h.auditor(), http.MethodGet, "", "FORBIDDEN", nil)
	})
	t.Run(covers("AUTH-002/a practitioner shielding"), func(t *testing.T) {
		same(t, h.teacher(), http.MethodPut, "/shield", "FORBIDDEN", spec.ShieldRequest{ReasonCode: "ADOPTION", ReviewDue: "2027-01-01"})
	})
	t.Run(covers("AUTH-002/a practitioner reading an archived record"), func(t *testing.T) {
		a := h.teacher().get(t, "/v1/children/"+archived.ID).expectProblem(t, "NOT_FOUND")
		b := h.teacher().get(t, "/v1/children/"+unknown).expectProblem(t, "NOT_FOUND")
		a.CorrelationID, b.CorrelationID = "", ""
		assert.Equal(t, b, a, "an archived record reads as unknown")
	})
	t.Run(covers("AUTH-002/another council's management and an archived record"), func(t *testing.T) {
		h.otherMgmt().get(t, "/v1/children/"+archived.ID+"/access-history").expectProblem(t, "NOT_FOUND")
	})
}

func TestArchiveWindows(t *testing.T) {
	h := newHarness(t)
	// On 2026-06-15: archived 2026-02-01 (first year), 2024-02-01 (restricted), 2019-02-01 (purged).
	firstYear := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("2008-02-01")))
	restricted := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("2006-02-01")))
	purged := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("2001-02-01")))
	cases := []struct {
		name    string
		caller  *contractClient
		id      string
		purpose string
		want    string // problem code; "" for 200
		reason  string
	}{
		{"AUTH-003/management in the first year", h.mgmt(), firstYear.ID, "SERVICE_COORDINATION", "", "readable by the management for a year"},
		{"AUTH-003/practitioner in the first year", h.teacher(), firstYear.ID, "SAFEGUARDING_CONCERN", "NOT_FOUND", "archived records are T6"},
		{"AUTH-003/social worker in the first year", h.socialWorker(), firstYear.ID, "S47_ENQUIRY", "NOT_FOUND", "archived records are for the management only"},
		{"AUTH-003/management after a year", h.mgmt(), restricted.ID, "SAFEGUARDING_CONCERN", "ARCHIVE_ACCESS_RESTRICTED", "then only for statutory purposes"},
		{"AUTH-003/management after a year for S47", h.mgmt(), restricted.ID, "S47_ENQUIRY", "", "an S47 enquiry"},
		{"AUTH-003/management after a year for a serious case review", h.mgmt(), restricted.ID, "SERIOUS_CASE_REVIEW", "", "a serious case review"},
		{"AUTH-003/another council's management", h.otherMgmt(), restricted.ID, "S47_ENQUIRY", "NOT_FOUND", "the responsible council's management only"},
		{"AUTH-003/purged after six years", h.mgmt(), purged.ID, "S47_ENQUIRY", "GONE", "six years after archiving the record is purged"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.do(t, request{method: http.MethodGet, path: "/v1/children/" + tc.id, purpose: tc.purpose})
			if tc.want != "" {
				resp.expectProblem(t, tc.want)
				return
			}
			require.Equal(t, http.StatusOK, resp.status, "%s: %s", tc.reason, resp.body)
			var got spec.ChildRecord
			resp.decode(t, &got)
			assert.Equal(t, statusArchived, got.Status)
		})
	}
	t.Run(covers("AUTH-003/archived records are read-only"), func(t *testing.T) {
		resp := h.mgmt().patch(t, "/v1/children/"+restricted.ID, restricted.Version, map[string]any{"gender": "NOT_KNOWN"})
		resp.expectProblem(t, "INVALID_STATE")
	})
	t.Run(covers("AUTH-003/windows move with the clock"), func(t *testing.T) {
		h.clock.advance(0, 8, 0) // 2027-02-15: firstYear was archived more than a year ago
		h.mgmt().get(t, "/v1/children/"+firstYear.ID).expectProblem(t, "ARCHIVE_ACCESS_RESTRICTED")
		h.clock.advance(5, 0, 0) // 2032-02-15: six years after 2026-02-01
		h.mgmt().do(t, request{method: http.MethodGet, path: "/v1/children/" + firstYear.ID, purpose: "S47_ENQUIRY"}).expectProblem(t, "GONE")
	})
}

func TestBreakGlass(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	h.socialWorker().addIndicator(t, rec.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "NEG"})
	t.Run(covers("AUTH-004/a reason is required"), func(t *testing.T) {
		h.gp().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: purposeBreakGlass}).expectProblem(t, "BREAK_GLASS_REASON_REQUIRED")
		h.gp().do(t, request{
			method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: purposeBreakGlass,
			header: map[string]string{"X-Break-Glass-Reason": "   "},
		}).expectProblem(t, "BREAK_GLASS_REASON_REQUIRED")
	})
	t.Run(covers("AUTH-004/break glass discloses T5"), func(t *testing.T) {
		before := len(h.notifications(rec.ID))
		resp := h.gp().do(t, request{
			method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: purposeBreakGlass,
			header: map[string]string{"X-Break-Glass-Reason": "unconscious child in A&E"},
		})
		require.Equal(t, http.StatusOK, resp.status)
		var got spec.ChildRecord
		resp.decode(t, &got)
		assert.NotEmpty(t, got.Indicators, "a practitioner breaking the glass sees protection status")
		ev := h.lastEvent(t)
		assert.True(t, ev.BreakGlass, "flagged in audit")
		assert.Equal(t, "unconscious child in A&E", ev.BreakGlassReason)
		notes := h.notifications(rec.ID)[before:]
		require.Len(t, notes, 1)
		assert.Equal(t, "RECORD_ACCESSED", notes[0].Type)
		assert.True(t, notes[0].BreakGlass, "the responsible council is notified of the break-glass read")
		assert.Equal(t, ownLa, notes[0].La)
	})
	t.Run(covers("AUTH-004/a reason longer than 500 characters"), func(t *testing.T) {
		resp := h.gp().do(t, request{
			method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: purposeBreakGlass, breaksContract: true,
			header: map[string]string{"X-Break-Glass-Reason": strings.Repeat("x", 501)},
		})
		resp.expectProblem(t, "INVALID_HEADER")
	})
}
