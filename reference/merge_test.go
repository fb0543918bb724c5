package reference

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

func TestMerge(t *testing.T) {
	h := newHarness(t)
	survivorNC := h.gen.Child(fixtures.WithName([]string{"Leo"}, "Grant"))
	mergedNC := h.gen.Child(fixtures.WithName([]string{"Leo"}, "Grannt"), fixtures.WithFormerNames(spec.Name{Given: []string{"Leo"}, Family: "Birth"}))
	survivor := h.mgmt().createChild(t, survivorNC)
	merged := h.mgmt().createChild(t, mergedNC)
	survivorInv := h.gp().addInvolvement(t, survivor.ID, h.gen.Involvement("HEALTH_VISITOR", "2025-01-01"))
	mergedInv := h.teacher().addInvolvement(t, merged.ID, h.gen.Involvement("YOUTH_OFFENDING", "2025-02-01"))
	mergedInd := h.socialWorker().addIndicator(t, merged.ID, spec.NewIndicator{Type: indLookedAfter, StartDate: "2025-03-01", LegalStatus: "C2"})
	shield(t, h, merged.ID)

	resp := h.mgmt().post(t, "/v1/children/"+survivor.ID+"/merge", spec.MergeRequest{MergedID: merged.ID})
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	var out spec.ChildRecord
	resp.decode(t, &out)

	t.Run(covers("ID-006/union of identifiers"), func(t *testing.T) {
		var values []string
		for _, id := range out.Identifiers {
			values = append(values, id.Value)
		}
		for _, id := range append(survivorNC.Identifiers, mergedNC.Identifiers...) {
			assert.Contains(t, values, id.Value, "the survivor holds every identifier")
		}
		assert.Equal(t, survivorNC.Identifiers[0].Value, identifierValue(out, idNHS, idCurrent), "the survivor's number stays current")
		assert.Equal(t, mergedNC.Identifiers[0].Value, identifierValue(out, idNHS, idReplaced), "the merged number is superseded")
	})
	t.Run(covers("ID-006/union of former names"), func(t *testing.T) {
		assert.Contains(t, out.FormerNames, mergedNC.Name, "the merged record's name becomes a former name")
		assert.Contains(t, out.FormerNames, mergedNC.FormerNames[0])
	})
	t.Run(covers("ID-006/union of involvements"), func(t *testing.T) {
		var got []string
		for _, inv := range h.mgmt().involvements(t, survivor.ID) {
			got = append(got, inv.ID)
			assert.Equal(t, survivor.ID, inv.ChildID)
		}
		assert.ElementsMatch(t, []string{survivorInv.ID, mergedInv.ID}, got)
	})
	t.Run(covers("ID-006/union of indicators"), func(t *testing.T) {
		got := h.mgmt().readChild(t, survivor.ID)
		assert.True(t, slices.ContainsFunc(got.Indicators, func(i spec.Indicator) bool { return i.ID == mergedInd.ID }))
	})
	t.Run(covers("ID-006/the merged record is MERGED into the survivor"), func(t *testing.T) {
		got := h.mgmt().readChild(t, merged.ID)
		assert.Equal(t, statusMerged, got.Status)
		assert.Equal(t, survivor.ID, got.MergedInto)
		assert.Equal(t, merged.Version+2, got.Version, "shielded, then merged")
	})
	t.Run(covers("ID-006/the shield is carried"), func(t *testing.T) {
		assert.True(t, out.Shielding.Shielded, "either record shielded makes the survivor shielded")
	})
	t.Run(covers("ID-006/a merged record cannot be merged again"), func(t *testing.T) {
		other := h.mgmt().createChild(t, h.gen.Child())
		h.mgmt().post(t, "/v1/children/"+other.ID+"/merge", spec.MergeRequest{MergedID: merged.ID}).expectProblem(t, "INVALID_STATE")
	})
	t.Run(covers("ID-006/not into itself"), func(t *testing.T) {
		p := h.mgmt().post(t, "/v1/children/"+survivor.ID+"/merge", spec.MergeRequest{MergedID: survivor.ID}).expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, "/mergedId", p.Errors[0].Pointer)
	})
	t.Run(covers("ID-006/management of the responsible council only"), func(t *testing.T) {
		a, b := h.mgmt().createChild(t, h.gen.Child()), h.mgmt().createChild(t, h.gen.Child())
		h.socialWorker().post(t, "/v1/children/"+a.ID+"/merge", spec.MergeRequest{MergedID: b.ID}).expectProblem(t, "FORBIDDEN")
		h.otherMgmt().post(t, "/v1/children/"+a.ID+"/merge", spec.MergeRequest{MergedID: b.ID}).expectProblem(t, "FORBIDDEN")
		foreign := h.otherMgmt().createChild(t, h.gen.Child())
		h.mgmt().post(t, "/v1/children/"+a.ID+"/merge", spec.MergeRequest{MergedID: foreign.ID}).expectProblem(t, "FORBIDDEN")
		h.mgmt().post(t, "/v1/children/"+a.ID+"/merge", spec.MergeRequest{MergedID: "00000000-0000-4000-8000-000000000000"}).expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("ID-006/one current GP and lead professional after a merge"), func(t *testing.T) {
		a, b := h.mgmt().createChild(t, h.gen.Child()), h.mgmt().createChild(t, h.gen.Child())
		gpA := h.gp().addInvolvement(t, a.ID, h.gen.Involvement("GP", "2024-01-01", fixtures.AsLeadProfessional()))
		gpB := h.gp().addInvolvement(t, b.ID, h.gen.Involvement("GP", "2025-01-01", fixtures.AsLeadProfessional()))
		require.Equal(t, http.StatusOK, h.mgmt().post(t, "/v1/children/"+a.ID+"/merge", spec.MergeRequest{MergedID: b.ID}).status)
		var current, leads []string
		for _, inv := range h.mgmt().involvements(t, a.ID) {
			if inv.EndDate == "" {
				current = append(current, inv.ID)
			}
			if inv.IsLeadProfessional {
				leads = append(leads, inv.ID)
			}
			if inv.ID == gpA.ID {
				assert.Equal(t, "2025-01-01", inv.EndDate, "the older GP ends on the newer one's start date")
			}
		}
		assert.Equal(t, []string{gpB.ID}, current, "INV-004 holds after a merge")
		assert.Equal(t, []string{gpB.ID}, leads, "FLAG-001 holds after a merge")
	})
}
