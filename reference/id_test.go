package reference

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/spec"
)

// withIdentifiers returns nc with its identifiers replaced.
func withIdentifiers(nc spec.NewChild, ids ...spec.Identifier) spec.NewChild {
	nc.Identifiers = ids
	return nc
}

// nhs and upn build identifiers.
func nhs(value string, verified bool) spec.Identifier {
	return spec.Identifier{System: idNHS, Value: value, Verified: verified}
}

func upn(value string, verified bool) spec.Identifier {
	return spec.Identifier{System: idUPN, Value: value, Verified: verified}
}

// identifierValue returns the value of the child's identifier of system with status.
func identifierValue(rec spec.ChildRecord, system, status string) string {
	for _, id := range rec.Identifiers {
		if id.System == system && id.Status == status {
			return id.Value
		}
	}
	return ""
}

func TestIdentifiers(t *testing.T) {
	h := newHarness(t)
	mustUPN := func(dfe string) string {
		u, err := ident.ComposeUPN(dfe, 9123, 19, "042")
		require.NoError(t, err)
		return u
	}
	unknownCouncil := func() string { // a UPN whose council code 999 is not known but whose check letter is right
		letter, err := ident.UPNCheckLetter("999912319042")
		require.NoError(t, err)
		return string(letter) + "999912319042"
	}()

	cases := []struct {
		name     string
		id       spec.Identifier
		wantCode string // "" for 201
		stored   string // the stored value, seen by a caller of the right sector
		reason   string
	}{
		{"ID-001/spaces are ignored", nhs("943 476 5919", false), "", "9434765919", "NHS numbers are stored without spaces"},
		{"ID-001/valid test-range number", nhs("9990000018", false), "", "9990000018", "999 range numbers with a correct check digit are valid"},
		{"ID-001/wrong check digit", nhs("9876544321", false), "INVALID_NHS_NUMBER", "", "the common format example fails modulus 11"},
		{"ID-001/check value ten", nhs("9991234560", false), "INVALID_NHS_NUMBER", "", "C = 10 makes every 999123456x invalid"},
		{"ID-001/nine digits", nhs("999000001", false), "INVALID_NHS_NUMBER", "", "an NHS number has 10 digits"},
		{"ID-001/eleven digits", nhs("99900000180", false), "INVALID_NHS_NUMBER", "", "an NHS number has 10 digits"},
		{"ID-001/hyphens", nhs("999-000-0018", false), "INVALID_NHS_NUMBER", "", "only spaces are ignored"},
		{"ID-001/letters", nhs("99900000A8", false), "INVALID_NHS_NUMBER", "", "only digits"},
		{"ID-002/valid UPN", upn("B801200005001", false), "", "B801200005001", "a valid UPN of council 801"},
		{"ID-002/valid UPN of 207", upn("P207000016049", false), "", "P207000016049", "a valid UPN of council 207"},
		{"ID-002/temporary UPN upper-cased", upn("r20299992500a", false), "", "R20299992500A", "a temporary UPN ends in a letter and is stored upper-case"},
		{"ID-002/wrong check letter", upn("Q207000016049", false), "INVALID_UPN", "", "the widely copied example has the wrong check letter"},
		{"ID-002/twelve characters", upn("B80120000500", false), "INVALID_UPN", "", "a UPN has 13 characters"},
		{"ID-002/letter inside", upn("B80120A005001", false), "INVALID_UPN", "", "characters 2-12 are digits"},
		{"ID-002/forbidden last letter", upn("B80120000500O", false), "INVALID_UPN", "", "character 13 is never I, O or S"},
		{"ID-002/unknown council", upn(unknownCouncil, false), "INVALID_UPN", "", "characters 2-4 must be a known council code"},
		{"ID-003/former UPN of a terminated council", spec.Identifier{System: idFormer, Value: mustUPN(terminatedLa)}, "", mustUPN(terminatedLa), "a terminated council stays valid in history"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			nc := withIdentifiers(h.gen.Child(), tc.id)
			resp := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, breaksContract: tc.wantCode != ""})
			if tc.wantCode != "" {
				p := resp.expectProblem(t, tc.wantCode)
				require.Len(t, p.Errors, 1, tc.reason)
				assert.Equal(t, "/identifiers/0/value", p.Errors[0].Pointer, tc.reason)
				assert.NotContains(t, string(resp.body), tc.id.Value, "ERR-001: a problem never echoes an identifier")
				return
			}
			require.Equal(t, http.StatusCreated, resp.status, "%s: %s", tc.reason, resp.body)
			var rec spec.ChildRecord
			resp.decode(t, &rec)
			assert.Equal(t, tc.stored, identifierValue(rec, tc.id.System, idCurrent), tc.reason)
		})
	}

	t.Run(covers("ID-001/search refuses an invalid NHS number"), func(t *testing.T) {
		resp := h.gp().do(t, request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{NhsNumber: "9876544321"}})
		p := resp.expectProblem(t, "INVALID_NHS_NUMBER")
		assert.Equal(t, "/nhsNumber", p.Errors[0].Pointer)
	})
	t.Run(covers("ID-002/search refuses an invalid UPN"), func(t *testing.T) {
		resp := h.teacher().do(t, request{method: http.MethodPost, path: "/v1/children/search", body: spec.SearchRequest{Upn: "Q207000016049"}})
		resp.expectProblem(t, "INVALID_UPN")
	})
}

func TestCouncils(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name     string
		la       string
		wantCode string
		reason   string
	}{
		{"ID-003/live council", otherLa, "", "a live council may take responsibility"},
		{"ID-003/terminated council", terminatedLa, "LA_TERMINATED", "a terminated council cannot take new responsibility"},
		{"ID-003/unknown council", "999", "INVALID_LA_CODE", "codes are checked against the reference list"},
		{"ID-003/not a code", "20", "INVALID_LA_CODE", "a council code has 3 digits"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			nc := h.gen.Child(fixtures.WithCouncil(tc.la), fixtures.WithoutIdentifiers())
			nc.ResponsibleLa.GssCode, nc.ResponsibleLa.Name = "", "" // only the code is sent
			resp := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: nc, breaksContract: tc.la == "20"})
			if tc.wantCode == "" {
				require.Equal(t, http.StatusCreated, resp.status, resp.body)
				var rec spec.ChildRecord
				resp.decode(t, &rec)
				assert.Equal(t, tc.la, rec.ResponsibleLa.DfeCode, tc.reason)
				assert.Equal(t, "E09000033", rec.ResponsibleLa.GssCode, "the GSS code comes from the reference list")
				return
			}
			p := resp.expectProblem(t, tc.wantCode)
			assert.Equal(t, "/responsibleLa/dfeCode", p.Errors[0].Pointer, tc.reason)
			if tc.wantCode == "LA_TERMINATED" {
				assert.Equal(t, []string{"942", "943"}, p.Successors, "the problem names the successors")
			}
		})
	}
	t.Run(covers("ID-003/caller of a terminated council"), func(t *testing.T) {
		resp := h.as(roleLAManagement, terminatedLa, "LA").post(t, "/v1/children", h.gen.Child())
		p := resp.expectProblem(t, "LA_TERMINATED")
		assert.Equal(t, []string{"942", "943"}, p.Successors)
	})
	t.Run(covers("ID-003/the reference list keeps terminated councils"), func(t *testing.T) {
		resp := h.as(roleLAManagement, ownLa, "LA").withToken("").get(t, "/v1/reference/local-authorities")
		require.Equal(t, http.StatusOK, resp.status)
		var list spec.LocalAuthorityList
		resp.decode(t, &list)
		var cumbria *spec.LocalAuthority
		live := 0
		for i, la := range list.LocalAuthorities {
			if la.DfeCode == terminatedLa {
				cumbria = &list.LocalAuthorities[i]
			}
			if la.Status == "LIVE" {
				live++
			}
		}
		require.NotNil(t, cumbria, "terminated councils stay in the list")
		assert.Equal(t, "TERMINATED", cumbria.Status)
		assert.Equal(t, []string{"942", "943"}, cumbria.Successors)
		assert.Equal(t, 153, live, "153 live councils")
	})
}

func TestChildIDs(t *testing.T) {
	h := newHarness(t)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	t.Run(covers("ID-004/ids are random and encode nothing"), func(t *testing.T) {
		nc := h.gen.Child(fixtures.WithoutIdentifiers())
		a := h.mgmt().createChild(t, nc)
		b := h.mgmt().createChild(t, nc)
		assert.NotEqual(t, a.ID, b.ID, "the same details never give the same id")
		for _, rec := range []spec.ChildRecord{a, b} {
			assert.Regexp(t, uuid, rec.ID, "a random UUID v4")
			assert.NotContains(t, rec.ID, strings.ReplaceAll(nc.DateOfBirth, "-", ""), "no date of birth in the id")
			assert.NotContains(t, strings.ToLower(rec.ID), strings.ToLower(nc.Name.Family), "no name in the id")
		}
	})
	t.Run(covers("ID-004/ids are immutable"), func(t *testing.T) {
		rec := h.mgmt().createChild(t, h.gen.Child())
		resp := h.mgmt().do(t, request{
			method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: etag(rec.Version),
			body: map[string]any{"id": "0123456789abcdef"}, breaksContract: true,
		})
		p := resp.expectProblem(t, "READ_ONLY_FIELD")
		assert.Equal(t, "/id", p.Errors[0].Pointer)
		updated := h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version, map[string]any{"gender": "NOT_SPECIFIED"})
		require.Equal(t, http.StatusOK, updated.status)
		assert.Equal(t, rec.ID, h.mgmt().readChild(t, rec.ID).ID, "an update keeps the id")
	})
}

func TestDuplicates(t *testing.T) {
	h := newHarness(t)
	first := h.gen.Child()
	existing := h.mgmt().createChild(t, first)
	nhsOf, upnOf := first.Identifiers[0], first.Identifiers[1]

	cases := []struct {
		name    string
		ids     []spec.Identifier
		wantDup bool
		reason  string
	}{
		{"ID-005/verified NHS number", []spec.Identifier{nhsOf}, true, "a verified NHS number of an active record is a duplicate"},
		{"ID-005/verified UPN", []spec.Identifier{upnOf}, true, "a verified UPN of an active record is a duplicate"},
		{"ID-005/NHS number with spaces", []spec.Identifier{nhs(nhsOf.Value[:3]+" "+nhsOf.Value[3:6]+" "+nhsOf.Value[6:], true)}, true, "the number is compared normalised"},
		{"ID-005/unverified NHS number", []spec.Identifier{nhs(nhsOf.Value, false)}, false, "only a verified identifier makes a duplicate candidate"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.teacher().post(t, "/v1/children", withIdentifiers(h.gen.Child(), tc.ids...))
			if tc.wantDup {
				p := resp.expectProblem(t, "DUPLICATE_CANDIDATE")
				assert.Equal(t, existing.ID, p.ExistingID, tc.reason)
				return
			}
			assert.Equal(t, http.StatusCreated, resp.status, tc.reason)
		})
	}
	t.Run(covers("ID-005/not a duplicate of a deceased record"), func(t *testing.T) {
		nc := h.gen.Child()
		dead := h.mgmt().createChild(t, nc)
		require.Equal(t, http.StatusOK, h.mgmt().patch(t, "/v1/children/"+dead.ID, dead.Version, map[string]any{"dateOfDeath": "2026-01-02"}).status)
		resp := h.mgmt().post(t, "/v1/children", withIdentifiers(h.gen.Child(), nc.Identifiers[0]))
		assert.Equal(t, http.StatusCreated, resp.status, "only an ACTIVE record makes a duplicate candidate")
	})
	t.Run(covers("ID-005/a PATCH cannot take another record's identifier"), func(t *testing.T) {
		other := h.mgmt().createChild(t, h.gen.Child())
		resp := h.mgmt().patch(t, "/v1/children/"+other.ID, other.Version, map[string]any{"identifiers": []spec.Identifier{nhsOf}})
		p := resp.expectProblem(t, "DUPLICATE_CANDIDATE")
		assert.Equal(t, existing.ID, p.ExistingID)
	})
}

func TestSupersededNHSNumber(t *testing.T) {
	h := newHarness(t)
	nc := h.gen.Child()
	rec := h.mgmt().createChild(t, nc)
	old := nc.Identifiers[0]
	newNumber := "9990000026"
	resp := h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version, map[string]any{"identifiers": []spec.Identifier{
		{System: idNHS, Value: old.Value, Status: idReplaced, Verified: true},
		{System: idNHS, Value: newNumber, Status: idCurrent, Verified: true},
		nc.Identifiers[1],
	}})
	require.Equal(t, http.StatusOK, resp.status, resp.body)

	t.Run(covers("ID-007/the old number still finds the child"), func(t *testing.T) {
		res := h.gp().search(t, spec.SearchRequest{NhsNumber: old.Value})
		require.Equal(t, []string{rec.ID}, ids(res))
		assert.Equal(t, old.Value, identifierValue(res.Results[0], idNHS, idReplaced), "it is marked SUPERSEDED")
		assert.Equal(t, newNumber, identifierValue(res.Results[0], idNHS, idCurrent))
	})
	t.Run(covers("ID-007/the new number finds the child"), func(t *testing.T) {
		assert.Equal(t, []string{rec.ID}, ids(h.gp().search(t, spec.SearchRequest{NhsNumber: newNumber})))
	})
	t.Run(covers("ID-007/superseding raises IDENTIFIER_SUPERSEDED"), func(t *testing.T) {
		assert.Contains(t, h.notificationTypes(rec.ID), "IDENTIFIER_SUPERSEDED")
	})
	t.Run(covers("ID-007/the old number is free for no one else"), func(t *testing.T) {
		resp := h.mgmt().post(t, "/v1/children", withIdentifiers(h.gen.Child(), nhs(newNumber, true)))
		resp.expectProblem(t, "DUPLICATE_CANDIDATE")
	})
}
