package reference

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

func TestReadVersionAndETag(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	purged := h.mgmt().createChild(t, h.gen.Child(fixtures.WithDateOfBirth("1999-03-01")))

	t.Run(covers("READ-001/version and a matching ETag"), func(t *testing.T) {
		resp := h.teacher().get(t, "/v1/children/"+rec.ID)
		require.Equal(t, http.StatusOK, resp.status)
		var got spec.ChildRecord
		resp.decode(t, &got)
		assert.Equal(t, int64(1), got.Version)
		assert.Equal(t, `"1"`, resp.header.Get("ETag"))
	})
	t.Run(covers("READ-001/the ETag follows an update"), func(t *testing.T) {
		require.Equal(t, http.StatusOK, h.mgmt().patch(t, "/v1/children/"+rec.ID, 1, map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"}).status)
		resp := h.teacher().get(t, "/v1/children/"+rec.ID)
		var got spec.ChildRecord
		resp.decode(t, &got)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, `"2"`, resp.header.Get("ETag"))
	})
	t.Run(covers("READ-001/unknown id"), func(t *testing.T) {
		h.teacher().get(t, "/v1/children/00000000-0000-4000-8000-000000000000").expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("READ-001/purged id"), func(t *testing.T) {
		h.mgmt().get(t, "/v1/children/"+purged.ID).expectProblem(t, "GONE")
		h.teacher().get(t, "/v1/children/"+purged.ID).expectProblem(t, "NOT_FOUND")
	})
}

// richChild creates a record with something in every tier: address and parents (T2), NHS
// number and UPN (T3), a sensitive involvement (T4), a child protection plan and an expected
// date of birth (T5), and an LA child id.
func richChild(t *testing.T, h *harness) (spec.NewChild, spec.ChildRecord) {
	t.Helper()
	nc := h.gen.Child()
	nc.ExpectedDateOfBirth = "2026-09-01"
	nc.Identifiers = append(nc.Identifiers, spec.Identifier{System: idLAChild, Value: "CAM-000123"})
	rec := h.mgmt().createChild(t, nc)
	h.socialWorker().addIndicator(t, rec.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-02-01", Category: "EMO"})
	h.mgmt().addInvolvement(t, rec.ID, h.gen.Involvement("SENSITIVE_MENTAL_HEALTH", "2026-03-01"))
	return nc, rec
}

func TestTierFiltering(t *testing.T) {
	h := newHarness(t)
	_, rec := richChild(t, h)
	// want lists what each caller sees: the top-level properties and the identifier systems.
	cases := []struct {
		name        string
		caller      *contractClient
		purpose     string
		keys        []string
		identifiers []string
		reason      string
	}{
		{
			"READ-002/teacher", h.teacher(), "",
			[]string{"address", "dateOfBirth", "gender", "id", "identifiers", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild, idUPN},
			"a practitioner sees T1, T2 and the UPN of the education sector",
		},
		{
			"READ-002/GP", h.gp(), "",
			[]string{"address", "dateOfBirth", "gender", "id", "identifiers", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild, idNHS},
			"a health practitioner sees the NHS number, not the UPN",
		},
		{
			"READ-002/social worker", h.socialWorker(), "",
			[]string{"address", "dateOfBirth", "expectedDateOfBirth", "gender", "id", "identifiers", "indicators", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild},
			"a social worker adds T5 and sees no sector identifier",
		},
		{
			"READ-002/unscheduled care", h.emergency(), "UNSCHEDULED_CARE",
			[]string{"address", "dateOfBirth", "expectedDateOfBirth", "gender", "id", "identifiers", "indicators", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild, idNHS},
			"unscheduled care sees the NHS number and T5",
		},
		{
			"READ-002/another council's management", h.otherMgmt(), "",
			[]string{"address", "dateOfBirth", "gender", "id", "identifiers", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild},
			"another council's management sees what a practitioner does",
		},
		{
			"READ-002/own management", h.mgmt(), "",
			[]string{"address", "archive", "dateOfBirth", "expectedDateOfBirth", "gender", "id", "identifiers", "indicators", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"},
			[]string{idLAChild, idNHS, idUPN},
			"the responsible council's management sees every tier",
		},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			resp := tc.caller.do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: tc.purpose})
			require.Equal(t, http.StatusOK, resp.status)
			fields := resp.fields(t)
			var keys []string
			for k := range fields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			assert.Equal(t, tc.keys, keys, tc.reason)
			var got spec.ChildRecord
			resp.decode(t, &got)
			var systems []string
			for _, id := range got.Identifiers {
				systems = append(systems, id.System)
			}
			slices.Sort(systems)
			assert.Equal(t, tc.identifiers, systems, tc.reason)
		})
	}
	for _, tc := range []struct {
		name   string
		caller *contractClient
	}{
		{"READ-002/auditor", h.auditor()},
		{"READ-002/system", h.system()},
	} {
		t.Run(covers(tc.name), func(t *testing.T) {
			tc.caller.get(t, "/v1/children/"+rec.ID).expectProblem(t, "FORBIDDEN")
		})
	}
	t.Run(covers("READ-002/shield details for the management only"), func(t *testing.T) {
		shielded := shield(t, h, h.mgmt().createChild(t, h.gen.Child()).ID)
		assert.Equal(t, "DOMESTIC_ABUSE", shielded.Shielding.ReasonCode)
		teacher := h.teacher().readChild(t, rec.ID)
		assert.Equal(t, spec.Shielding{Shielded: false}, *teacher.Shielding, "everyone else sees only shielded")
	})
}

func TestNoCaseContent(t *testing.T) {
	h := newHarness(t)
	nc, rec := richChild(t, h)
	allowed := []string{"address", "archive", "dateOfBirth", "dateOfDeath", "expectedDateOfBirth", "formerNames", "gender", "id", "identifiers", "indicators", "mergedInto", "name", "parentsCarers", "responsibleLa", "shielding", "status", "version", "whereabouts"}
	t.Run(covers("READ-003/a record holds identity, location and flags only"), func(t *testing.T) {
		for k := range h.mgmt().get(t, "/v1/children/"+rec.ID).fields(t) {
			assert.Contains(t, allowed, k, "no notes, assessments, medical data or exam results")
		}
	})
	for _, tc := range []struct {
		name, field string
		value       any
	}{
		{"READ-003/no notes", "notes", "disclosed bruising at school"},
		{"READ-003/no assessments", "assessment", map[string]any{"outcome": "significant harm"}},
		{"READ-003/no medical data", "diagnoses", []string{"asthma"}},
		{"READ-003/no exam results", "examResults", map[string]any{"KS2": "expected"}},
	} {
		t.Run(covers(tc.name), func(t *testing.T) {
			body := map[string]any{"name": nc.Name, "gender": nc.Gender, "dateOfBirth": nc.DateOfBirth, tc.field: tc.value}
			resp := h.mgmt().do(t, request{method: http.MethodPost, path: "/v1/children", body: body, breaksContract: true})
			p := resp.expectProblem(t, "UNKNOWN_PROPERTY")
			assert.Equal(t, "/"+tc.field, p.Errors[0].Pointer)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name   string
		given  []string
		family string
		dob    string
		reason string
	}{
		{"READ-004/diacritics", []string{"Zoë", "Ngozi"}, "Núñez Çelik", "2016-02-29", "diacritics and a leap day"},
		{"READ-004/apostrophes", []string{"Siobhán"}, "O'Sullivan-D’Arcy", "2010-01-01", "straight and curly apostrophes, a hyphen"},
		{"READ-004/long name", []string{"Wolfeschlegelsteinhausenbergerdorff"}, "Featherstonehaugh-Cholmondeley-Marjoribanks", "2019-12-31", "names longer than 35 characters"},
		{"READ-004/single-word name", nil, "Suharto", "2020-06-15", "a person with one name"},
		{"READ-004/non-Latin script", []string{"Αλέξανδρος"}, "Παπαδόπουλος", "2011-07-01", "Greek letters round-trip byte for byte"},
	}
	// The server's clock is far from UTC: dates must not move.
	kiritimati := time.FixedZone("UTC+14", 14*3600)
	h := newHarness(t, func(o *Options) {
		o.Clock = func() time.Time { return testStart.In(kiritimati) }
	})
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			nc := h.gen.Child(fixtures.WithName(tc.given, tc.family), fixtures.WithDateOfBirth(tc.dob))
			rec := h.mgmt().createChild(t, nc)
			resp := h.mgmt().get(t, "/v1/children/"+rec.ID)
			require.Equal(t, http.StatusOK, resp.status)
			var got spec.ChildRecord
			resp.decode(t, &got)
			assert.Equal(t, nc.Name, got.Name, tc.reason)
			assert.Equal(t, tc.dob, got.DateOfBirth, "dates are calendar dates, never shifted")
			assert.Equal(t, nc.ParentsCarers[0].Name, got.ParentsCarers[0].Name)
			assert.Contains(t, string(resp.body), `"family":"`+tc.family+`"`, "UTF-8 as sent, not escaped")
		})
	}
	t.Run(covers("READ-004/dates of every kind"), func(t *testing.T) {
		nc := h.gen.Child(fixtures.WithDateOfBirth("2012-02-29"))
		nc.ExpectedDateOfBirth = "2012-03-01"
		rec := h.mgmt().createChild(t, nc)
		resp := h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version, map[string]any{"dateOfDeath": "2026-01-31"})
		require.Equal(t, http.StatusOK, resp.status)
		var got spec.ChildRecord
		resp.decode(t, &got)
		assert.Equal(t, []string{"2012-02-29", "2012-03-01", "2026-01-31"}, []string{got.DateOfBirth, got.ExpectedDateOfBirth, got.DateOfDeath})
		assert.Equal(t, statusDeceased, got.Status, "a date of death makes the record DECEASED")
	})
}
