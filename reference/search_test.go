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

func TestIdentifierSearch(t *testing.T) {
	h := newHarness(t)
	nc := h.gen.Child()
	rec := h.mgmt().createChild(t, nc)
	number, pupil := nc.Identifiers[0].Value, nc.Identifiers[1].Value

	cases := []struct {
		name   string
		sr     spec.SearchRequest
		want   []string
		reason string
	}{
		{"SEARCH-001/by verified NHS number", spec.SearchRequest{NhsNumber: number}, []string{rec.ID}, "one active record"},
		{"SEARCH-001/by NHS number with spaces", spec.SearchRequest{NhsNumber: number[:3] + " " + number[3:6] + " " + number[6:]}, []string{rec.ID}, "spaces are ignored"},
		{"SEARCH-001/by verified UPN", spec.SearchRequest{Upn: strings.ToLower(pupil)}, []string{rec.ID}, "UPNs compare upper-case"},
		{"SEARCH-001/by both", spec.SearchRequest{NhsNumber: number, Upn: pupil}, []string{rec.ID}, "both identifiers of one record"},
		{"SEARCH-001/unknown number", spec.SearchRequest{NhsNumber: "9990000034"}, nil, "no match is an empty result"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			res := h.gp().search(t, tc.sr)
			assert.Equal(t, tc.want, ids(res), tc.reason)
			assert.Equal(t, len(tc.want), res.Count)
		})
	}
	t.Run(covers("SEARCH-001/the merge survivor"), func(t *testing.T) {
		dupNC := h.gen.Child()
		merged := h.mgmt().createChild(t, dupNC)
		survivor := h.mgmt().createChild(t, h.gen.Child())
		resp := h.mgmt().post(t, "/v1/children/"+survivor.ID+"/merge", spec.MergeRequest{MergedID: merged.ID})
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		res := h.gp().search(t, spec.SearchRequest{NhsNumber: dupNC.Identifiers[0].Value})
		assert.Equal(t, []string{survivor.ID}, ids(res), "a merged record's number finds its survivor, once")
	})
}

func TestDemographicCriteria(t *testing.T) {
	h := newHarness(t)
	nc := h.gen.Child(fixtures.WithName([]string{"Amara"}, "Okafor"), fixtures.WithDateOfBirth("2015-03-04"), fixtures.WithGender("FEMALE"))
	rec := h.mgmt().createChild(t, nc)
	postcode := nc.Address.Postcode

	cases := []struct {
		name   string
		sr     spec.SearchRequest
		ok     bool
		reason string
	}{
		{"SEARCH-002/family, date of birth and given name", spec.SearchRequest{FamilyName: "Okafor", DateOfBirth: "2015-03-04", GivenName: "Amara"}, true, "the minimum criteria"},
		{"SEARCH-002/family, date of birth and gender", spec.SearchRequest{FamilyName: "Okafor", DateOfBirth: "2015-03-04", Gender: "FEMALE"}, true, "gender is a third criterion"},
		{"SEARCH-002/family, range and postcode", spec.SearchRequest{FamilyName: "Okafor", DateOfBirthFrom: "2014-09-01", DateOfBirthTo: "2015-08-31", Postcode: postcode}, true, "a range of at most a year"},
		{"SEARCH-002/a range of 366 days", spec.SearchRequest{FamilyName: "Okafor", DateOfBirthFrom: "2015-01-01", DateOfBirthTo: "2016-01-02", Gender: "FEMALE"}, true, "366 days is the widest range"},
		{"SEARCH-002/no family name", spec.SearchRequest{DateOfBirth: "2015-03-04", GivenName: "Amara"}, false, "family name is required"},
		{"SEARCH-002/no date of birth", spec.SearchRequest{FamilyName: "Okafor", GivenName: "Amara"}, false, "a date of birth is required"},
		{"SEARCH-002/no third criterion", spec.SearchRequest{FamilyName: "Okafor", DateOfBirth: "2015-03-04"}, false, "a given name, gender or postcode is required"},
		{"SEARCH-002/a range of 367 days", spec.SearchRequest{FamilyName: "Okafor", DateOfBirthFrom: "2015-01-01", DateOfBirthTo: "2016-01-03", Gender: "FEMALE"}, false, "no trawling over more than a year"},
		{"SEARCH-002/half a range", spec.SearchRequest{FamilyName: "Okafor", DateOfBirthFrom: "2015-01-01", Gender: "FEMALE"}, false, "a range needs both ends"},
		{"SEARCH-002/punctuation for a family name", spec.SearchRequest{FamilyName: "'-", DateOfBirth: "2015-03-04", Gender: "FEMALE"}, false, "a name that folds to nothing is no name"},
		{"SEARCH-002/nothing", spec.SearchRequest{}, false, "an empty search is a trawl"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := h.teacher().post(t, "/v1/children/search", tc.sr)
			if !tc.ok {
				resp.expectProblem(t, "INSUFFICIENT_SEARCH_CRITERIA")
				return
			}
			require.Equal(t, http.StatusOK, resp.status, "%s: %s", tc.reason, resp.body)
			var res spec.SearchResult
			resp.decode(t, &res)
			assert.Equal(t, []string{rec.ID}, ids(res), tc.reason)
		})
	}
	t.Run(covers("SEARCH-002/range ends in order"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/search", spec.SearchRequest{FamilyName: "Okafor", DateOfBirthFrom: "2015-08-31", DateOfBirthTo: "2015-01-01", Gender: "FEMALE"})
		p := resp.expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, "/dateOfBirthTo", p.Errors[0].Pointer)
		assert.Equal(t, "DATE_ORDER", p.Errors[0].Code)
	})
}

func TestNameMatching(t *testing.T) {
	h := newHarness(t)
	dob := "2014-11-30"
	rec := h.mgmt().createChild(t, h.gen.Child(
		fixtures.WithName([]string{"Zoë", "Anne-Marie"}, "O'Brien-Núñez"), fixtures.WithDateOfBirth(dob),
		fixtures.WithFormerNames(spec.Name{Given: []string{"Zoë"}, Family: "Van der Berg"})))
	other := h.mgmt().createChild(t, h.gen.Child(fixtures.WithName([]string{"Zoe"}, "Brien"), fixtures.WithDateOfBirth(dob)))

	cases := []struct {
		name          string
		family, given string
		want          []string
		reason        string
	}{
		{"SEARCH-003/exact", "O'Brien-Núñez", "Zoë", []string{rec.ID}, "the name as stored"},
		{"SEARCH-003/case", "o'brien-núñez", "ZOË", []string{rec.ID}, "case is ignored"},
		{"SEARCH-003/accents", "O'Brien-Nunez", "Zoe", []string{rec.ID}, "accents are ignored"},
		{"SEARCH-003/apostrophes hyphens spaces", "obrien nunez", "zoe", []string{rec.ID}, "apostrophes, hyphens and spaces are ignored"},
		{"SEARCH-003/typographic apostrophe", "O’Brien Núñez", "Zoë", []string{rec.ID}, "a curly apostrophe is an apostrophe"},
		{"SEARCH-003/second given name", "OBrienNunez", "Anne Marie", []string{rec.ID}, "any given name matches"},
		{"SEARCH-003/former name", "van der berg", "zoe", []string{rec.ID}, "former names match too"},
		{"SEARCH-003/another family", "Brien", "Zoe", []string{other.ID}, "folding does not make different names equal"},
		{"SEARCH-003/wrong given name", "OBrien-Nunez", "Zara", nil, "the given name must match"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			res := h.teacher().search(t, spec.SearchRequest{FamilyName: tc.family, GivenName: tc.given, DateOfBirth: dob})
			assert.Equal(t, tc.want, ids(res), tc.reason)
		})
	}
}

func TestTooManyMatches(t *testing.T) {
	h := newHarness(t)
	dob := "2013-05-06"
	for range maxSearchResults + 1 {
		h.mgmt().createChild(t, h.gen.Child(fixtures.WithName([]string{"Sam"}, "Smith"), fixtures.WithDateOfBirth(dob), fixtures.WithGender("MALE")))
	}
	t.Run(covers("SEARCH-004/more than the default maximum"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/search", spec.SearchRequest{FamilyName: "Smith", DateOfBirth: dob, Gender: "MALE"})
		resp.expectProblem(t, "TOO_MANY_MATCHES")
		assert.NotContains(t, string(resp.body), "results", "no records come with TOO_MANY_MATCHES")
	})
	t.Run(covers("SEARCH-004/more than maxResults"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/search", spec.SearchRequest{FamilyName: "Smith", DateOfBirth: dob, GivenName: "Sam", MaxResults: 5})
		resp.expectProblem(t, "TOO_MANY_MATCHES")
	})
	t.Run(covers("SEARCH-004/maxResults above 20"), func(t *testing.T) {
		resp := h.teacher().do(t, request{
			method: http.MethodPost, path: "/v1/children/search", breaksContract: true,
			body: spec.SearchRequest{FamilyName: "Smith", DateOfBirth: dob, Gender: "MALE", MaxResults: 21},
		})
		p := resp.expectProblem(t, "VALIDATION_FAILED")
		assert.Equal(t, "OUT_OF_RANGE", p.Errors[0].Code)
	})
	t.Run(covers("SEARCH-004/at most the maximum"), func(t *testing.T) {
		nc := h.gen.Child(fixtures.WithName([]string{"Ali"}, "Smith"), fixtures.WithDateOfBirth("2013-05-07"))
		one := h.mgmt().createChild(t, nc)
		res := h.teacher().search(t, spec.SearchRequest{FamilyName: "Smith", DateOfBirth: "2013-05-07", GivenName: "Ali", MaxResults: 1})
		assert.Equal(t, []string{one.ID}, ids(res), "as many matches as maxResults is fine")
	})
}

func TestShieldedInResults(t *testing.T) {
	h := newHarness(t)
	dob := "2012-07-08"
	nc := h.gen.Child(fixtures.WithName([]string{"Ivy"}, "Marsh"), fixtures.WithDateOfBirth(dob),
		fixtures.WithFormerNames(spec.Name{Given: []string{"Ivy"}, Family: "Birthname"}))
	rec := h.mgmt().createChild(t, nc)
	shield(t, h, rec.ID)

	t.Run(covers("SEARCH-005/T1 fields only"), func(t *testing.T) {
		resp := h.teacher().post(t, "/v1/children/search", spec.SearchRequest{FamilyName: "Marsh", DateOfBirth: dob, GivenName: "Ivy"})
		require.Equal(t, http.StatusOK, resp.status)
		var raw struct{ Results []map[string]any }
		resp.decode(t, &raw)
		require.Len(t, raw.Results, 1)
		assertShieldedView(t, raw.Results[0])
		assert.NotContains(t, string(resp.body), nc.Address.Postcode)
	})
	t.Run(covers("SEARCH-005/postcode never matches a shielded record for others"), func(t *testing.T) {
		res := h.teacher().search(t, spec.SearchRequest{FamilyName: "Marsh", DateOfBirth: dob, Postcode: nc.Address.Postcode})
		assert.Empty(t, res.Results, "a postcode search must not reveal a shielded address")
		own := h.mgmt().search(t, spec.SearchRequest{FamilyName: "Marsh", DateOfBirth: dob, Postcode: nc.Address.Postcode})
		assert.Equal(t, []string{rec.ID}, ids(own), "the responsible council's management sees the address")
	})
	t.Run(covers("SEARCH-005/former names of a shielded record never match for others"), func(t *testing.T) {
		res := h.teacher().search(t, spec.SearchRequest{FamilyName: "Birthname", DateOfBirth: dob, GivenName: "Ivy"})
		assert.Empty(t, res.Results, "a former name would link a shielded child to its past")
	})
}

func TestHiddenFromPractitioners(t *testing.T) {
	h := newHarness(t)
	archived := h.mgmt().createChild(t, h.gen.Child(fixtures.WithName([]string{"Old"}, "Archer"), fixtures.WithDateOfBirth("2008-01-10")))
	purgedNC := h.gen.Child(fixtures.WithName([]string{"Old"}, "Archer"), fixtures.WithDateOfBirth("2000-01-10"))
	purged := h.mgmt().createChild(t, purgedNC)
	require.Equal(t, statusArchived, archived.Status)

	cases := []struct {
		name   string
		caller *contractClient
		sr     spec.SearchRequest
		want   []string
		reason string
	}{
		{"SEARCH-006/archived record by name", h.teacher(), spec.SearchRequest{FamilyName: "Archer", DateOfBirth: "2008-01-10", GivenName: "Old"}, nil, "practitioners never see archived records"},
		{"SEARCH-006/archived record for a social worker", h.socialWorker(), spec.SearchRequest{FamilyName: "Archer", DateOfBirth: "2008-01-10", GivenName: "Old"}, nil, "only the management sees archived records (T6)"},
		{"SEARCH-006/archived record for its management", h.mgmt(), spec.SearchRequest{FamilyName: "Archer", DateOfBirth: "2008-01-10", GivenName: "Old"}, []string{archived.ID}, "management sees its archived records in the first year"},
		{"SEARCH-006/purged record", h.mgmt(), spec.SearchRequest{FamilyName: "Archer", DateOfBirth: "2000-01-10", GivenName: "Old"}, nil, "no one finds a purged record"},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			assert.Equal(t, tc.want, ids(tc.caller.search(t, tc.sr)), tc.reason)
		})
	}
	t.Run(covers("SEARCH-006/archived record by identifier"), func(t *testing.T) {
		full := h.mgmt().readChild(t, archived.ID)
		res := h.gp().search(t, spec.SearchRequest{NhsNumber: identifierValue(full, idNHS, idCurrent)})
		assert.Empty(t, res.Results)
	})
	t.Run(covers("SEARCH-006/purged record by identifier"), func(t *testing.T) {
		resp := h.mgmt().get(t, "/v1/children/"+purged.ID)
		resp.expectProblem(t, "GONE")
		assert.Empty(t, h.gp().search(t, spec.SearchRequest{NhsNumber: purgedNC.Identifiers[0].Value}).Results)
	})
}
