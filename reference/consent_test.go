package reference

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

func TestConsentRecord(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	recorder := h.socialWorker()
	con := recorder.recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeSensitive, GivenBy: "CHILD", GivenOn: "2026-06-01"})

	t.Run(covers("CONSENT-001/scope, giver, date and recorder"), func(t *testing.T) {
		assert.Equal(t, scopeSensitive, con.Scope)
		assert.Equal(t, "CHILD", con.GivenBy)
		assert.Equal(t, "2026-06-01", con.GivenOn)
		assert.Equal(t, recorder.claims.Sub, con.RecordedBy, "the recorder is the token's sub")
		assert.Equal(t, "2026-06-15T10:00:00.000Z", con.RecordedAt)
		assert.Empty(t, con.WithdrawnOn)
	})
	t.Run(covers("CONSENT-001/read by the recorder and the management"), func(t *testing.T) {
		for _, c := range []*contractClient{recorder, h.mgmt()} {
			resp := c.get(t, "/v1/consents/"+con.ID)
			require.Equal(t, http.StatusOK, resp.status)
			var got spec.Consent
			resp.decode(t, &got)
			assert.Equal(t, con, got)
		}
		h.teacher().get(t, "/v1/consents/"+con.ID).expectProblem(t, "FORBIDDEN")
	})
	for _, method := range []string{http.MethodPatch, http.MethodPut, http.MethodDelete} {
		t.Run(covers("CONSENT-001/no "+method), func(t *testing.T) {
			resp := h.mgmt().do(t, request{method: method, path: "/v1/consents/" + con.ID, body: map[string]any{"givenBy": "PARENT_WITH_PR"}, ifMatch: `"1"`})
			resp.expectProblem(t, "METHOD_NOT_ALLOWED")
		})
	}
	t.Run(covers("CONSENT-001/withdrawal is the only change"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/consents/"+con.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-06-14"})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		var got spec.Consent
		resp.decode(t, &got)
		want := con
		want.WithdrawnOn = "2026-06-14"
		assert.Equal(t, want, got, "nothing but withdrawnOn changes")
	})
	t.Run(covers("CONSENT-001/a second withdrawal"), func(t *testing.T) {
		resp := h.mgmt().post(t, "/v1/consents/"+con.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-06-15"})
		resp.expectProblem(t, "CONSENT_ALREADY_WITHDRAWN")
	})
	t.Run(covers("CONSENT-001/withdrawal before the consent"), func(t *testing.T) {
		other := recorder.recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeSensitive, GivenBy: "PARENT_WITH_PR", GivenOn: "2026-06-01"})
		p := h.mgmt().post(t, "/v1/consents/"+other.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-05-31"}).expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, []string{"/withdrawnOn DATE_ORDER"}, pointers(p))
	})
	t.Run(covers("CONSENT-001/scope and giver are codes"), func(t *testing.T) {
		resp := h.mgmt().do(t, request{
			method: http.MethodPost, path: "/v1/children/" + rec.ID + "/consents", breaksContract: true,
			body: map[string]any{"scope": "EVERYTHING", "givenBy": "NEIGHBOUR", "givenOn": "2026-06-01"},
		})
		p := resp.expectProblem(t, "UNKNOWN_CODE")
		assert.Equal(t, []string{"/givenBy UNKNOWN_CODE", "/scope UNKNOWN_CODE"}, pointers(p))
	})
}

func TestConsentWithdrawalHides(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	con := h.socialWorker().recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeSensitive, GivenBy: "YOUNG_PERSON", GivenOn: "2026-06-01"})
	byConsent := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("SENSITIVE_SEXUAL_HEALTH", "2026-06-02", fixtures.WithConsentRef(con.ID)))
	byHarm := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("SENSITIVE_SUBSTANCE_MISUSE", "2026-06-02"))
	resp := h.socialWorker().post(t, "/v1/consents/"+con.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-06-15"})
	require.Equal(t, http.StatusOK, resp.status)

	listIDs := func(c *contractClient) []string {
		var out []string
		for _, inv := range c.involvements(t, rec.ID) {
			out = append(out, inv.ID)
		}
		return out
	}
	t.Run(covers("CONSENT-002/hidden from everyone but the management"), func(t *testing.T) {
		for _, c := range []*contractClient{h.teacher(), h.gp(), h.socialWorker(), h.emergency(), h.otherMgmt()} {
			assert.NotContains(t, listIDs(c), byConsent.ID, "not even in brokered form")
		}
		assert.Contains(t, listIDs(h.mgmt()), byConsent.ID)
	})
	t.Run(covers("CONSENT-002/a significant-harm basis stays"), func(t *testing.T) {
		assert.Contains(t, listIDs(h.teacher()), byHarm.ID)
	})
	t.Run(covers("CONSENT-002/the provider can no longer change it"), func(t *testing.T) {
		h.gp().patch(t, "/v1/involvements/"+byConsent.ID, byConsent.Version, spec.InvolvementPatch{EndDate: "2026-06-15"}).expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("CONSENT-002/a withdrawn consent is no basis"), func(t *testing.T) {
		resp := h.gp().post(t, "/v1/children/"+rec.ID+"/involvements", h.gen.Involvement("SENSITIVE_SEXUAL_HEALTH", "2026-06-15", fixtures.WithConsentRef(con.ID)))
		resp.expectProblem(t, "DISCLOSURE_BASIS_REQUIRED")
	})
}

func TestArchiveAge(t *testing.T) {
	h := newHarness(t)
	// Born 2008-07-01: 17 on the test's first day, 18 on 2026-07-01.
	nc := h.gen.Child(fixtures.WithDateOfBirth("2008-07-01"))
	plain := h.mgmt().createChild(t, nc)
	retained := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("2008-07-01")))
	retain := h.socialWorker().recordConsent(t, retained.ID, spec.NewConsent{Scope: scopeRetain, GivenBy: "YOUNG_PERSON", GivenOn: "2026-06-01", RetainToAge: 21})

	t.Run(covers("CONSENT-003/active before the 18th birthday"), func(t *testing.T) {
		got := h.mgmt().readChild(t, plain.ID)
		assert.Equal(t, statusActive, got.Status)
		assert.Equal(t, spec.Archive{ArchiveAtAge: 18}, *got.Archive)
		assert.Equal(t, 21, h.mgmt().readChild(t, retained.ID).Archive.ArchiveAtAge)
	})
	h.clock.advance(0, 0, 16) // 2026-07-01
	t.Run(covers("CONSENT-003/archived at 18"), func(t *testing.T) {
		got := h.mgmt().readChild(t, plain.ID)
		assert.Equal(t, statusArchived, got.Status)
		assert.Equal(t, spec.Archive{ArchiveAtAge: 18, ArchivedOn: "2026-07-01"}, *got.Archive)
		h.teacher().get(t, "/v1/children/"+plain.ID).expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("CONSENT-003/kept to the consented age"), func(t *testing.T) {
		got := h.teacher().readChild(t, retained.ID)
		assert.Equal(t, statusActive, got.Status, "a current RETAIN_TO_25 consent keeps the record")
	})
	t.Run(covers("CONSENT-003/withdrawing the consent archives at 18"), func(t *testing.T) {
		resp := h.mgmt().post(t, "/v1/consents/"+retain.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-07-01"})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		got := h.mgmt().readChild(t, retained.ID)
		assert.Equal(t, statusArchived, got.Status)
		assert.Equal(t, "2026-07-01", got.Archive.ArchivedOn)
	})
	t.Run(covers("CONSENT-003/a consent recorded after archiving restores the record"), func(t *testing.T) {
		h.mgmt().recordConsent(t, plain.ID, spec.NewConsent{Scope: scopeRetain, GivenBy: "YOUNG_PERSON", GivenOn: "2026-07-01", RetainToAge: 25})
		got := h.mgmt().readChild(t, plain.ID)
		assert.Equal(t, statusActive, got.Status)
		assert.Equal(t, spec.Archive{ArchiveAtAge: 25}, *got.Archive)
	})
	t.Run(covers("CONSENT-003/the consented age is 19 to 25"), func(t *testing.T) {
		for _, age := range []int{18, 26} {
			resp := h.mgmt().do(t, request{
				method: http.MethodPost, path: "/v1/children/" + retained.ID + "/consents", breaksContract: true,
				body: spec.NewConsent{Scope: scopeRetain, GivenBy: "YOUNG_PERSON", GivenOn: "2026-07-01", RetainToAge: age},
			})
			assert.Equal(t, []string{"/retainToAge OUT_OF_RANGE"}, pointers(resp.expectProblem(t, "VALIDATION_FAILED")))
		}
		resp := h.mgmt().post(t, "/v1/children/"+retained.ID+"/consents", spec.NewConsent{Scope: scopeRetain, GivenBy: "YOUNG_PERSON", GivenOn: "2026-07-01"})
		assert.Equal(t, []string{"/retainToAge REQUIRED"}, pointers(resp.expectProblem(t, "VALIDATION_FAILED")))
	})
}
