package reference

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

// pointers lists "pointer code" of a problem's field errors.
func pointers(p spec.Problem) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Pointer+" "+e.Code)
	}
	return out
}

func TestInvolvementFields(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	valid := h.gen.Involvement("HEALTH_VISITOR", "2026-01-01")
	cases := []struct {
		name   string
		body   map[string]any
		want   []string // "pointer code"; nil for 201
		reason string
	}{
		{"INV-001/everything required missing", map[string]any{}, []string{"/organisation REQUIRED", "/serviceType REQUIRED", "/startDate REQUIRED"}, "every missing field at once"},
		{"INV-001/no contact", map[string]any{"serviceType": "GP", "startDate": "2026-01-01", "organisation": map[string]any{"name": "Synthetic Practice (TEST)"}}, []string{"/organisation/contact REQUIRED"}, "a contact is required"},
		{"INV-001/empty contact", map[string]any{"serviceType": "GP", "startDate": "2026-01-01", "organisation": map[string]any{"name": "Synthetic Practice (TEST)", "contact": map[string]any{}}}, []string{"/organisation/contact REQUIRED"}, "a contact has a phone or an email"},
		{"INV-001/end before start", map[string]any{"serviceType": "GP", "startDate": "2026-01-02", "endDate": "2026-01-01", "organisation": valid.Organisation}, []string{"/endDate DATE_ORDER"}, "endDate ≥ startDate"},
		{"INV-001/phone only", map[string]any{"serviceType": "GP", "startDate": "2026-01-02", "endDate": "2026-01-02", "organisation": map[string]any{"name": "Synthetic Practice (TEST)", "contact": map[string]any{"phone": "01632 960000"}}}, nil, "a phone is a contact; an end on the start date is fine"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.gp().do(t, request{method: http.MethodPost, path: "/v1/children/" + rec.ID + "/involvements", body: tc.body, breaksContract: tc.want != nil})
			if tc.want == nil {
				assert.Equal(t, http.StatusCreated, resp.status, "%s: %s", tc.reason, resp.body)
				return
			}
			require.Equal(t, http.StatusUnprocessableEntity, resp.status, resp.body)
			assert.Equal(t, tc.want, pointers(resp.problem(t)), tc.reason)
		})
	}
}

func TestInvolvementHistory(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	inv := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("SCHOOL_NURSE", "2026-01-01"))

	t.Run(covers("INV-002/ending keeps the involvement"), func(t *testing.T) {
		resp := h.gp().patch(t, "/v1/involvements/"+inv.ID, inv.Version, spec.InvolvementPatch{EndDate: "2026-06-01"})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		assert.Equal(t, `"2"`, resp.header.Get("ETag"))
		list := h.teacher().involvements(t, rec.ID)
		require.Len(t, list, 1, "an ended involvement is history, never deleted")
		assert.Equal(t, "2026-06-01", list[0].EndDate)
		assert.Contains(t, h.notificationTypes(rec.ID), "INVOLVEMENT_ENDED")
	})
	t.Run(covers("INV-002/no hard delete"), func(t *testing.T) {
		resp := h.gp().do(t, request{method: http.MethodDelete, path: "/v1/involvements/" + inv.ID})
		resp.expectProblem(t, "METHOD_NOT_ALLOWED")
		assert.Equal(t, "PATCH", resp.header.Get("Allow"))
		assert.Len(t, h.mgmt().involvements(t, rec.ID), 1)
	})
	t.Run(covers("INV-002/end before start refused"), func(t *testing.T) {
		resp := h.gp().patch(t, "/v1/involvements/"+inv.ID, 2, spec.InvolvementPatch{EndDate: "2025-12-31"})
		p := resp.expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, []string{"/endDate DATE_ORDER"}, pointers(p))
	})
}

func TestInvolvementOwnership(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	provider := h.gp()
	inv := provider.addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
	version := inv.Version
	cases := []struct {
		name   string
		caller *contractClient
		want   int
		reason string
	}{
		{"INV-003/another organisation", h.teacher(), http.StatusForbidden, "only the providing organisation"},
		{"INV-003/another practice", h.gp().withOrg("another-practice"), http.StatusForbidden, "same role, another organisation"},
		{"INV-003/another council's management", h.otherMgmt(), http.StatusForbidden, "only the responsible council's management"},
		{"INV-003/unscheduled care", h.emergency(), http.StatusForbidden, "unscheduled care adds and ends nothing"},
		{"INV-003/the provider", provider, http.StatusOK, "the providing organisation may change it"},
		{"INV-003/the responsible council's management", h.mgmt(), http.StatusOK, "and so may the management"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.patch(t, "/v1/involvements/"+inv.ID, version, map[string]any{"practitioner": map[string]any{"name": "Dr Synthetic Locum"}})
			require.Equal(t, tc.want, resp.status, "%s: %s", tc.reason, resp.body)
			if resp.status == http.StatusOK {
				version++
			}
		})
	}
}

func TestOneMainSchoolAndGP(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	school1 := h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2024-09-01"))
	tutor := h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2025-01-01", fixtures.WithMainSchool(false)))
	gp1 := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2020-01-01"))

	t.Run(covers("INV-004/a new main school ends the previous one"), func(t *testing.T) {
		school2 := h.teacher().withOrg("another-school").addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2026-04-20"))
		byID := map[string]spec.Involvement{}
		for _, inv := range h.mgmt().involvements(t, rec.ID) {
			byID[inv.ID] = inv
		}
		assert.Equal(t, "2026-04-20", byID[school1.ID].EndDate, "ended on the new start date")
		assert.Empty(t, byID[school2.ID].EndDate)
		assert.Empty(t, byID[tutor.ID].EndDate, "an education service that is not the main school stays")
	})
	t.Run(covers("INV-004/a new GP practice ends the previous one"), func(t *testing.T) {
		gp2 := h.gp().withOrg("new-practice").addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-05-01"))
		var current []string
		for _, inv := range h.mgmt().involvements(t, rec.ID) {
			if inv.ServiceType == "GP" && inv.EndDate == "" {
				current = append(current, inv.ID)
			}
			if inv.ID == gp1.ID {
				assert.Equal(t, "2026-05-01", inv.EndDate)
			}
		}
		assert.Equal(t, []string{gp2.ID}, current, "one current GP practice")
	})
	t.Run(covers("INV-004/a past school leaves the current one"), func(t *testing.T) {
		h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2019-09-01", fixtures.WithEndDate("2020-07-20")))
		current := 0
		for _, inv := range h.mgmt().involvements(t, rec.ID) {
			if inv.ServiceType == "EDUCATION" && inv.IsMainSchool && inv.EndDate == "" {
				current++
			}
		}
		assert.Equal(t, 1, current, "adding history ends nothing")
	})
}
