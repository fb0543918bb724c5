package reference

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

// shield shields a record as its management, with a review date a year ahead.
func shield(t *testing.T, h *harness, childID string) spec.ChildRecord {
	t.Helper()
	resp := h.mgmt().do(t, request{
		method: http.MethodPut, path: "/v1/children/" + childID + "/shield",
		body: spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: "2027-06-15"},
	})
	require.Equal(t, http.StatusOK, resp.status, "shield: %s", resp.body)
	var rec spec.ChildRecord
	resp.decode(t, &rec)
	return rec
}

// shieldedKeys are the only properties a shielded record shows to anyone but its management.
var shieldedKeys = []string{"dateOfBirth", "gender", "id", "name", "parentsCarers", "shielding", "status", "version"}

// assertShieldedView asserts that a record, as JSON, is the identity-only view of SENS-004.
func assertShieldedView(t *testing.T, rec map[string]any) {
	t.Helper()
	var keys []string
	for k := range rec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	assert.Subset(t, shieldedKeys, keys, "a shielded record shows identity only")
	assert.Equal(t, map[string]any{"shielded": true}, rec["shielding"], "only the fact of the shield")
	parents, _ := rec["parentsCarers"].([]any)
	for _, p := range parents {
		pm := p.(map[string]any)
		var pk []string
		for k := range pm {
			pk = append(pk, k)
		}
		slices.Sort(pk)
		assert.Equal(t, []string{"name", "relationship"}, pk, "parents and carers show names and relationships only")
	}
}

func TestDisclosureBasis(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	consent := h.socialWorker().recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeSensitive, GivenBy: "YOUNG_PERSON", GivenOn: "2026-06-01"})
	withdrawn := h.socialWorker().recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeSensitive, GivenBy: "YOUNG_PERSON", GivenOn: "2026-06-01"})
	require.Equal(t, http.StatusOK, h.socialWorker().post(t, "/v1/consents/"+withdrawn.ID+"/withdrawal", spec.Withdrawal{WithdrawnOn: "2026-06-02"}).status)
	retain := h.socialWorker().recordConsent(t, rec.ID, spec.NewConsent{Scope: scopeRetain, GivenBy: "YOUNG_PERSON", GivenOn: "2026-06-01", RetainToAge: 21})

	cases := []struct {
		name    string
		opts    []fixtures.InvolvementOption
		wantPtr string // "" for 201
		reason  string
	}{
		{"SENS-001/statutory basis", []fixtures.InvolvementOption{fixtures.WithDisclosureBasis(basisStatutory)}, "/disclosureBasis", "a sensitive service needs consent or significant harm"},
		{"SENS-001/no basis", []fixtures.InvolvementOption{fixtures.WithDisclosureBasis("")}, "/disclosureBasis", "the default basis is STATUTORY"},
		{"SENS-001/consent without consentRef", []fixtures.InvolvementOption{fixtures.WithDisclosureBasis(basisConsent)}, "/consentRef", "a CONSENT basis names its consent"},
		{"SENS-001/withdrawn consent", []fixtures.InvolvementOption{fixtures.WithConsentRef(withdrawn.ID)}, "/consentRef", "the consent must be current"},
		{"SENS-001/consent of another scope", []fixtures.InvolvementOption{fixtures.WithConsentRef(retain.ID)}, "/consentRef", "the consent must be to disclosure"},
		{"SENS-001/unknown consent", []fixtures.InvolvementOption{fixtures.WithConsentRef("0000000000000000")}, "/consentRef", "the consent must exist"},
		{"SENS-001/current consent", []fixtures.InvolvementOption{fixtures.WithConsentRef(consent.ID)}, "", "a current disclosure consent is a basis"},
		{"SENS-001/significant harm", nil, "", "significant harm is a basis"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			ni := h.gen.Involvement("SENSITIVE_SEXUAL_HEALTH", "2026-05-01", tc.opts...)
			resp := h.gp().post(t, "/v1/children/"+rec.ID+"/involvements", ni)
			if tc.wantPtr == "" {
				assert.Equal(t, http.StatusCreated, resp.status, "%s: %s", tc.reason, resp.body)
				return
			}
			p := resp.expectProblem(t, "DISCLOSURE_BASIS_REQUIRED")
			require.Len(t, p.Errors, 1)
			assert.Equal(t, tc.wantPtr, p.Errors[0].Pointer, tc.reason)
		})
	}
}

func TestBrokeredSensitiveServices(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	ni := h.gen.Involvement("SENSITIVE_MENTAL_HEALTH", "2026-04-01")
	added := h.mgmt().addInvolvement(t, rec.ID, ni)
	gpInv := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))

	for _, tc := range []struct {
		name   string
		caller *contractClient
		reason string
	}{
		{"SENS-002/practitioner", h.teacher(), "practitioners never see sensitive provider details"},
		{"SENS-002/health practitioner", h.gp(), "nor health practitioners of other services"},
		{"SENS-002/social worker", h.socialWorker(), "nor social workers"},
		{"SENS-002/unscheduled care", h.emergency(), "nor unscheduled care"},
		{"SENS-002/another council's management", h.otherMgmt(), "nor another council's management"},
	} {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.get(t, "/v1/children/"+rec.ID+"/involvements")
			require.Equal(t, http.StatusOK, resp.status)
			var raw struct{ Involvements []map[string]any }
			resp.decode(t, &raw)
			var sensitive map[string]any
			for _, inv := range raw.Involvements {
				if inv["id"] == added.ID {
					sensitive = inv
				}
			}
			require.NotNil(t, sensitive, "the fact of the service is shown")
			assert.Equal(t, true, sensitive["sensitive"])
			assert.Equal(t, "LA_MANAGEMENT", sensitive["contactVia"], "contact goes through the council's management")
			for _, k := range []string{"organisation", "practitioner", "disclosureBasis", "consentRef", "providedBy"} {
				assert.NotContains(t, sensitive, k, tc.reason)
			}
			assert.NotContains(t, string(resp.body), ni.Organisation.Name, tc.reason)
			assert.NotContains(t, string(resp.body), ni.Practitioner.Name, tc.reason)
			assert.NotContains(t, string(resp.body), ni.Organisation.Contact.Phone, tc.reason)
		})
	}
	t.Run(covers("SENS-002/the responsible council's management sees the provider"), func(t *testing.T) {
		for _, inv := range h.mgmt().involvements(t, rec.ID) {
			require.NotNil(t, inv.Organisation, "management sees every involvement in full")
			if inv.ID == added.ID {
				assert.Equal(t, ni.Organisation.Name, inv.Organisation.Name)
				assert.Empty(t, inv.ContactVia)
			}
		}
	})
	t.Run(covers("SENS-002/the adder's own response is brokered"), func(t *testing.T) {
		resp := h.gp().post(t, "/v1/children/"+rec.ID+"/involvements", h.gen.Involvement("SENSITIVE_SUBSTANCE_MISUSE", "2026-05-01"))
		require.Equal(t, http.StatusCreated, resp.status)
		assert.NotContains(t, resp.fields(t), "organisation", "a practitioner never receives sensitive details")
	})
	t.Run(covers("SENS-002/other involvements in full"), func(t *testing.T) {
		for _, inv := range h.teacher().involvements(t, rec.ID) {
			if inv.ID == gpInv.ID {
				assert.NotNil(t, inv.Organisation, "a non-sensitive service is shown in full")
			}
		}
	})
}

func TestShielding(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	shieldReq := func(c *contractClient, body any) *response {
		return c.do(t, request{method: http.MethodPut, path: "/v1/children/" + rec.ID + "/shield", body: body})
	}
	cases := []struct {
		name   string
		caller *contractClient
		want   int
		reason string
	}{
		{"SENS-003/social worker cannot shield", h.socialWorker(), http.StatusForbidden, "only management shields"},
		{"SENS-003/practitioner cannot shield", h.teacher(), http.StatusForbidden, "only management shields"},
		{"SENS-003/another council cannot shield", h.otherMgmt(), http.StatusForbidden, "only the responsible council's management"},
		{"SENS-003/own management shields", h.mgmt(), http.StatusOK, "the responsible council's management"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := shieldReq(tc.caller, spec.ShieldRequest{ReasonCode: "ADOPTION", ReviewDue: "2027-01-01"})
			assert.Equal(t, tc.want, resp.status, "%s: %s", tc.reason, resp.body)
		})
	}
	t.Run(covers("SENS-003/reason and review date are required"), func(t *testing.T) {
		resp := h.mgmt().do(t, request{method: http.MethodPut, path: "/v1/children/" + rec.ID + "/shield", body: map[string]any{}, breaksContract: true})
		p := resp.expectProblem(t, "VALIDATION_FAILED")
		var ptrs []string
		for _, e := range p.Errors {
			ptrs = append(ptrs, e.Pointer+" "+e.Code)
		}
		assert.Equal(t, []string{"/reasonCode REQUIRED", "/reviewDue REQUIRED"}, ptrs)
	})
	t.Run(covers("SENS-003/the management sees the shield's details"), func(t *testing.T) {
		got := h.mgmt().readChild(t, rec.ID)
		require.NotNil(t, got.Shielding)
		assert.Equal(t, spec.Shielding{Shielded: true, Since: "2026-06-15", ReviewDue: "2027-01-01", ReasonCode: "ADOPTION"}, *got.Shielding)
	})
	t.Run(covers("SENS-003/others cannot unshield"), func(t *testing.T) {
		for _, c := range []*contractClient{h.socialWorker(), h.otherMgmt()} {
			resp := c.do(t, request{method: http.MethodDelete, path: "/v1/children/" + rec.ID + "/shield"})
			resp.expectProblem(t, "FORBIDDEN")
		}
	})
}

func TestShieldedRecord(t *testing.T) {
	h := newHarness(t)
	nc := h.gen.Child(fixtures.WithFormerNames(spec.Name{Given: []string{"Kit"}, Family: "Formerly"}))
	rec := h.mgmt().createChild(t, nc)
	h.socialWorker().addIndicator(t, rec.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "NEG"})
	inv := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
	shield(t, h, rec.ID)

	for _, tc := range []struct {
		name   string
		caller *contractClient
		reason string
	}{
		{"SENS-004/practitioner", h.teacher(), "identity only"},
		{"SENS-004/health practitioner", h.gp(), "no NHS number on a shielded record"},
		{"SENS-004/social worker", h.socialWorker(), "not even protection status"},
		{"SENS-004/unscheduled care", h.emergency(), "identity only"},
		{"SENS-004/another council's management", h.otherMgmt(), "identity only"},
		{"SENS-004/break glass", h.teacher(), "break glass adds T5, never T2 of a shielded record"},
	} {
		t.Run(covers(tc.name), func(t *testing.T) {
			r := request{method: http.MethodGet, path: "/v1/children/" + rec.ID}
			if strings.Contains(tc.name, "break glass") {
				r.purpose, r.header = purposeBreakGlass, map[string]string{"X-Break-Glass-Reason": "child at risk now"}
			}
			resp := tc.caller.do(t, r)
			require.Equal(t, http.StatusOK, resp.status)
			assertShieldedView(t, resp.fields(t))
			for _, leak := range []string{nc.Address.Postcode, nc.Address.Lines[0], nc.Identifiers[0].Value, "Formerly", nc.ParentsCarers[0].Contact.Phone} {
				assert.NotContains(t, string(resp.body), leak, tc.reason)
			}
			list := tc.caller.involvements(t, rec.ID)
			require.Len(t, list, 1)
			assert.Equal(t, inv.ID, list[0].ID)
			assert.Nil(t, list[0].Organisation, "every involvement of a shielded record is brokered")
			assert.Equal(t, "LA_MANAGEMENT", list[0].ContactVia)
		})
	}
	t.Run(covers("SENS-004/the responsible council's management sees everything"), func(t *testing.T) {
		got := h.mgmt().readChild(t, rec.ID)
		assert.NotNil(t, got.Address)
		assert.NotEmpty(t, got.FormerNames)
		assert.NotEmpty(t, got.Indicators)
	})
}

func TestShieldSurvives(t *testing.T) {
	h := newHarness(t)
	nc := h.gen.Child()
	rec := h.mgmt().createChild(t, nc)
	shielded := shield(t, h, rec.ID)

	t.Run(covers("SENS-005/an update"), func(t *testing.T) {
		resp := h.socialWorker().patch(t, "/v1/children/"+rec.ID, shielded.Version, map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		assertShieldedView(t, resp.fields(t))
		assert.True(t, h.mgmt().readChild(t, rec.ID).Shielding.Shielded)
	})
	t.Run(covers("SENS-005/shielding cannot be patched"), func(t *testing.T) {
		cur := h.mgmt().readChild(t, rec.ID)
		resp := h.mgmt().do(t, request{
			method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: etag(cur.Version),
			body: map[string]any{"shielding": map[string]any{"shielded": false}}, breaksContract: true,
		})
		resp.expectProblem(t, "READ_ONLY_FIELD")
	})
	t.Run(covers("SENS-005/a re-creation attempt"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children", nc)
		p := resp.expectProblem(t, "DUPLICATE_CANDIDATE")
		assert.Equal(t, rec.ID, p.ExistingID, "a re-created record would shed the shield")
	})
	t.Run(covers("SENS-005/a merge"), func(t *testing.T) {
		survivor := h.mgmt().createChild(t, h.gen.Child())
		resp := h.mgmt().post(t, "/v1/children/"+survivor.ID+"/merge", spec.MergeRequest{MergedID: rec.ID})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		got := h.mgmt().readChild(t, survivor.ID)
		assert.Equal(t, "DOMESTIC_ABUSE", got.Shielding.ReasonCode, "the survivor takes the merged record's shield")
		assertShieldedView(t, h.teacher().get(t, "/v1/children/"+survivor.ID).fields(t))
	})
	t.Run(covers("SENS-005/only an unshield exposes T2"), func(t *testing.T) {
		other := h.mgmt().createChild(t, h.gen.Child())
		shield(t, h, other.ID)
		resp := h.mgmt().do(t, request{method: http.MethodDelete, path: "/v1/children/" + other.ID + "/shield"})
		require.Equal(t, http.StatusOK, resp.status)
		assert.NotNil(t, h.teacher().readChild(t, other.ID).Address, "after an unshield the address is T2 again")
	})
}

func TestShieldReviewDue(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	resp := h.mgmt().do(t, request{
		method: http.MethodPut, path: "/v1/children/" + rec.ID + "/shield",
		body: spec.ShieldRequest{ReasonCode: "WITNESS_PROTECTION", ReviewDue: "2026-06-20"},
	})
	require.Equal(t, http.StatusOK, resp.status)
	t.Run(covers("SENS-006/not before the review date"), func(t *testing.T) {
		h.mgmt().readChild(t, rec.ID)
		assert.NotContains(t, h.notificationTypes(rec.ID), "SHIELD_REVIEW_DUE")
	})
	t.Run(covers("SENS-006/once the review date has passed"), func(t *testing.T) {
		h.clock.advance(0, 0, 6)
		h.mgmt().readChild(t, rec.ID)
		h.teacher().readChild(t, rec.ID)
		count := 0
		for _, typ := range h.notificationTypes(rec.ID) {
			if typ == "SHIELD_REVIEW_DUE" {
				count++
			}
		}
		assert.Equal(t, 1, count, "raised once per review date")
	})
}
