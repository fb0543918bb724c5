package reference

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// indicatorByID finds an indicator on a record.
func indicatorByID(rec spec.ChildRecord, id string) (spec.Indicator, bool) {
	for _, ind := range rec.Indicators {
		if ind.ID == id {
			return ind, true
		}
	}
	return spec.Indicator{}, false
}

func TestLeadProfessional(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	school := h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2025-09-01"))
	nurse := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("SCHOOL_NURSE", "2025-09-01"))
	first := h.teacher().addIndicator(t, rec.ID, spec.NewIndicator{Type: indLeadProfessional, StartDate: "2025-10-01", InvolvementID: school.ID})

	t.Run(covers("FLAG-001/a new lead professional ends the old one"), func(t *testing.T) {
		second := h.gp().addIndicator(t, rec.ID, spec.NewIndicator{Type: indLeadProfessional, StartDate: "2026-03-01", InvolvementID: nurse.ID})
		got := h.mgmt().readChild(t, rec.ID)
		old, _ := indicatorByID(got, first.ID)
		assert.Equal(t, "2026-03-01", old.EndDate, "the old one ends on the new start date")
		cur, _ := indicatorByID(got, second.ID)
		assert.Empty(t, cur.EndDate)
		var leads []string
		for _, inv := range h.teacher().involvements(t, rec.ID) {
			if inv.IsLeadProfessional {
				leads = append(leads, inv.ID)
			}
		}
		assert.Equal(t, []string{nurse.ID}, leads, "one active lead professional")
	})
	t.Run(covers("FLAG-001/the old holder is notified"), func(t *testing.T) {
		var ended []string
		for _, n := range h.notifications(rec.ID) {
			if n.Type == "INDICATOR_ENDED" && n.RefID == first.ID {
				ended = append(ended, n.Org)
			}
		}
		assert.Equal(t, []string{h.teacher().claims.Org}, ended, "the holder's organisation is told")
	})
	t.Run(covers("FLAG-001/an involvement added as lead professional"), func(t *testing.T) {
		yot := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("YOUTH_OFFENDING", "2026-06-01", func(v *spec.NewInvolvement) { v.IsLeadProfessional = true }))
		assert.True(t, yot.IsLeadProfessional)
		leads := 0
		for _, inv := range h.mgmt().involvements(t, rec.ID) {
			if inv.IsLeadProfessional {
				leads++
			}
		}
		assert.Equal(t, 1, leads)
	})
	t.Run(covers("FLAG-001/the lead's involvement must be current"), func(t *testing.T) {
		ended := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("HOUSING", "2024-01-01", func(v *spec.NewInvolvement) { v.EndDate = "2024-06-01" }))
		p := h.gp().post(t, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: indLeadProfessional, StartDate: "2026-06-01", InvolvementID: ended.ID}).expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, []string{"/involvementId OUT_OF_RANGE"}, pointers(p))
	})
}

func TestCAF(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	inv := h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2025-09-01"))
	cases := []struct {
		name   string
		body   map[string]any
		want   []string
		reason string
	}{
		{"FLAG-002/a date and the involvement", map[string]any{"type": indCAF, "startDate": "2026-02-02", "involvementId": inv.ID}, nil, "all a CAF records"},
		{"FLAG-002/no assessment content", map[string]any{"type": indCAF, "startDate": "2026-02-02", "involvementId": inv.ID, "assessmentSummary": "parental neglect"}, []string{"/assessmentSummary UNKNOWN_PROPERTY"}, "never assessment content"},
		{"FLAG-002/no fields of other types", map[string]any{"type": indCAF, "startDate": "2026-02-02", "involvementId": inv.ID, "category": "NEG"}, []string{"/category UNKNOWN_PROPERTY"}, "a category belongs to a plan"},
		{"FLAG-002/the involvement is required", map[string]any{"type": indCAF, "startDate": "2026-02-02"}, []string{"/involvementId REQUIRED"}, "a CAF names the involvement"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.teacher().do(t, request{method: http.MethodPost, path: "/v1/children/" + rec.ID + "/indicators", body: tc.body, breaksContract: tc.want != nil && tc.want[0] != "/involvementId REQUIRED"})
			if tc.want == nil {
				require.Equal(t, http.StatusCreated, resp.status, resp.body)
				var keys []string
				for k := range resp.fields(t) {
					keys = append(keys, k)
				}
				assert.ElementsMatch(t, []string{"id", "childId", "version", "type", "startDate", "involvementId"}, keys, tc.reason)
				return
			}
			require.Equal(t, http.StatusUnprocessableEntity, resp.status, resp.body)
			assert.Equal(t, tc.want, pointers(resp.problem(t)), tc.reason)
		})
	}
}

func TestProtectionPlans(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	cases := []struct {
		name   string
		caller *contractClient
		ni     spec.NewIndicator
		want   []string // field errors; nil for 201
		status int
		reason string
	}{
		{"FLAG-003/plan with category", h.socialWorker(), spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "PHY"}, nil, http.StatusCreated, "a start date and a category"},
		{"FLAG-003/plan without category", h.socialWorker(), spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01"}, []string{"/category REQUIRED"}, 422, "a plan has a category"},
		{"FLAG-003/looked after with legal status", h.mgmt(), spec.NewIndicator{Type: indLookedAfter, StartDate: "2026-01-01", EndDate: "2026-02-01", LegalStatus: "V2"}, nil, http.StatusCreated, "with an optional end date"},
		{"FLAG-003/looked after without legal status", h.mgmt(), spec.NewIndicator{Type: indLookedAfter, StartDate: "2026-01-01"}, []string{"/legalStatus REQUIRED"}, 422, "looked after has a legal status"},
		{"FLAG-003/end before start", h.socialWorker(), spec.NewIndicator{Type: indCPP, StartDate: "2026-01-02", EndDate: "2026-01-01", Category: "MUL"}, []string{"/endDate DATE_ORDER"}, 422, "end ≥ start"},
		{"FLAG-003/practitioners cannot set T5", h.teacher(), spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "NEG"}, nil, http.StatusForbidden, "T5 is set by social care and management"},
		{"FLAG-003/another council's social worker", h.otherSocialWorker(), spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "NEG"}, nil, http.StatusForbidden, "own council's children only"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.post(t, "/v1/children/"+rec.ID+"/indicators", tc.ni)
			require.Equal(t, tc.status, resp.status, "%s: %s", tc.reason, resp.body)
			if tc.want != nil {
				assert.Equal(t, tc.want, pointers(resp.problem(t)), tc.reason)
			}
		})
	}

	t.Run(covers("FLAG-003/visible for 12 months after the end, then hidden"), func(t *testing.T) {
		child := h.mgmt().createChild(t, h.gen.Child())
		plan := h.socialWorker().addIndicator(t, child.ID, spec.NewIndicator{Type: indCPP, StartDate: "2025-01-01", Category: "SAB"})
		resp := h.socialWorker().patch(t, "/v1/indicators/"+plan.ID, plan.Version, spec.IndicatorPatch{EndDate: "2026-06-15"})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		_, shown := indicatorByID(h.socialWorker().readChild(t, child.ID), plan.ID)
		assert.True(t, shown, "an ended plan stays visible")
		h.clock.advance(1, 0, 0)
		_, shown = indicatorByID(h.emergency().readChild(t, child.ID), plan.ID)
		assert.True(t, shown, "still visible 12 months after the end date")
		h.clock.advance(0, 0, 1)
		_, shown = indicatorByID(h.socialWorker().readChild(t, child.ID), plan.ID)
		assert.False(t, shown, "hidden from authorised roles after 12 months")
		_, shown = indicatorByID(h.mgmt().readChild(t, child.ID), plan.ID)
		assert.True(t, shown, "the responsible council's management keeps it")
		h.clock.advance(-1, 0, -1)
	})
	t.Run(covers("FLAG-003/plans ended long ago are hidden"), func(t *testing.T) {
		child := h.mgmt().createChild(t, h.gen.Child())
		old := h.mgmt().addIndicator(t, child.ID, spec.NewIndicator{Type: indLookedAfter, StartDate: "2020-01-01", EndDate: "2025-05-01", LegalStatus: "C1"})
		_, shown := indicatorByID(h.socialWorker().readChild(t, child.ID), old.ID)
		assert.False(t, shown)
	})
}

func TestUnbornPlan(t *testing.T) {
	h := newHarness(t)
	mother := h.mgmt().createChild(t, h.gen.Child())
	t.Run(covers("FLAG-004/on the mother's record with an expected date of birth"), func(t *testing.T) {
		resp := h.socialWorker().post(t, "/v1/children/"+mother.ID+"/indicators", spec.NewIndicator{Type: indUnbornCPP, StartDate: "2026-05-01"})
		p := resp.expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, []string{"/expectedDateOfBirth REQUIRED"}, pointers(p))
	})
	plan := h.socialWorker().addIndicator(t, mother.ID, spec.NewIndicator{Type: indUnbornCPP, StartDate: "2026-05-01", ExpectedDateOfBirth: "2026-08-20"})
	t.Run(covers("FLAG-004/linked to the child after birth"), func(t *testing.T) {
		baby := h.mgmt().createChild(t, h.gen.Child())
		resp := h.socialWorker().patch(t, "/v1/indicators/"+plan.ID, plan.Version, spec.IndicatorPatch{LinkedChildID: baby.ID})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		var got spec.Indicator
		resp.decode(t, &got)
		assert.Equal(t, baby.ID, got.LinkedChildID)
		assert.Equal(t, "2026-08-20", got.ExpectedDateOfBirth)
		onMother, _ := indicatorByID(h.socialWorker().readChild(t, mother.ID), plan.ID)
		assert.Equal(t, baby.ID, onMother.LinkedChildID)
	})
	t.Run(covers("FLAG-004/only an unborn plan links"), func(t *testing.T) {
		cpp := h.socialWorker().addIndicator(t, mother.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-05-01", Category: "EMO"})
		resp := h.socialWorker().patch(t, "/v1/indicators/"+cpp.ID, cpp.Version, spec.IndicatorPatch{LinkedChildID: mother.ID})
		assert.Equal(t, []string{"/linkedChildId UNKNOWN_PROPERTY"}, pointers(resp.expectProblem(t, "UNKNOWN_PROPERTY")))
	})
	t.Run(covers("FLAG-004/the linked record must exist"), func(t *testing.T) {
		resp := h.socialWorker().patch(t, "/v1/indicators/"+plan.ID, plan.Version+1, spec.IndicatorPatch{LinkedChildID: "00000000-0000-4000-8000-000000000000"})
		assert.Equal(t, []string{"/linkedChildId OUT_OF_RANGE"}, pointers(resp.expectProblem(t, "VALIDATION_FAILED")))
	})
	t.Run(covers("FLAG-004/T5: hidden from practitioners"), func(t *testing.T) {
		_, shown := indicatorByID(h.teacher().readChild(t, mother.ID), plan.ID)
		assert.False(t, shown)
	})
}

func TestInformationToShare(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	contact := &spec.IndicatorContact{Name: "Synthetic Designated Lead", Organisation: "Synthetic Primary School (TEST)", Phone: "01632 960111"}
	t.Run(covers("FLAG-005/whom to contact and when"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: indHasInfo, StartDate: "2026-06-10", Contact: contact})
		require.Equal(t, http.StatusCreated, resp.status, resp.body)
		var keys []string
		for k := range resp.fields(t) {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"id", "childId", "version", "type", "startDate", "contact"}, keys)
		got, shown := indicatorByID(h.gp().readChild(t, rec.ID), resp.fields(t)["id"].(string))
		require.True(t, shown, "non-T5 indicators are T2")
		assert.Equal(t, contact, got.Contact)
	})
	t.Run(covers("FLAG-005/nothing but the contact"), func(t *testing.T) {
		inv := h.teacher().addInvolvement(t, rec.ID, h.gen.Involvement("EDUCATION", "2025-09-01"))
		resp := h.teacher().post(t, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: indHasInfo, StartDate: "2026-06-10", Contact: contact, InvolvementID: inv.ID})
		assert.Equal(t, []string{"/involvementId UNKNOWN_PROPERTY"}, pointers(resp.expectProblem(t, "UNKNOWN_PROPERTY")))
	})
	t.Run(covers("FLAG-005/the contact is required"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: indHasInfo, StartDate: "2026-06-10"})
		assert.Equal(t, []string{"/contact REQUIRED"}, pointers(resp.expectProblem(t, "VALIDATION_FAILED")))
	})
}
