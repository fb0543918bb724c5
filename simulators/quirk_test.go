package simulators

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

// A probe is a small conformance check that a conforming product passes. Each quirk must fail
// exactly the probes listed for it in quirkProbes, and nothing else: the in-process version of
// the suite's sensitivity and specificity.
type probe struct {
	name        string
	requirement string
	// check returns "" when the product behaved as the contract says, else what it did.
	check func(r *rig) string
}

// Names of the probes.
const (
	probeDates          = "dates round-trip"
	probeGender         = "gender round-trips"
	probeLongName       = "long name round-trips"
	probeDiacritics     = "diacritics and apostrophes round-trip"
	probeLongNameSearch = "search by a long name"
	probeChecksum       = "invalid NHS number rejected"
	probeNHSNormalised  = "NHS number stored without spaces"
	probeIfMatch        = "If-Match required and checked"
	probeBrokered       = "sensitive service brokered"
	probeEndedKept      = "ended involvement kept"
	probeProblemJSON    = "errors are problem+json"
	probeRetryAfter     = "overload answered with Retry-After"
)

// longFamily is a synthetic family name of 43 characters.
const longFamily = "Featherstonehaugh-Cholmondeley-Marjoribanks"

var probes = []probe{
	{probeDates, "READ-004", func(r *rig) string {
		id, _ := r.createChild(r.gen.Child(fixtures.WithDateOfBirth("2015-03-09")))
		if got := r.readChild(id)["dateOfBirth"]; got != "2015-03-09" {
			return fmt.Sprintf("dateOfBirth %v", got)
		}
		return ""
	}},
	{probeGender, "READ-004", func(r *rig) string {
		id, _ := r.createChild(r.gen.Child(fixtures.WithGender("FEMALE")))
		if got := r.readChild(id)["gender"]; got != "FEMALE" {
			return fmt.Sprintf("gender %v", got)
		}
		return ""
	}},
	{probeLongName, "READ-004", func(r *rig) string {
		id, _ := r.createChild(r.gen.Child(fixtures.WithName([]string{"Ada"}, longFamily)))
		if got := r.readChild(id)["name"].(map[string]any)["family"]; got != longFamily {
			return fmt.Sprintf("family %v", got)
		}
		return ""
	}},
	{probeDiacritics, "READ-004", func(r *rig) string {
		id, _ := r.createChild(r.gen.Child(fixtures.WithName([]string{"Zoë"}, "O'Neill-Núñez")))
		name := r.readChild(id)["name"].(map[string]any)
		if name["family"] != "O'Neill-Núñez" || fmt.Sprint(name["given"]) != "[Zoë]" {
			return fmt.Sprintf("name %v", name)
		}
		return ""
	}},
	{probeLongNameSearch, "SEARCH-003", func(r *rig) string {
		r.createChild(r.gen.Child(fixtures.WithName([]string{"Bartholomew"}, longFamily+"-Search"), fixtures.WithDateOfBirth("2014-07-01")))
		rp := r.do(http.MethodPost, "/v1/children/search", teacher, spec.SearchRequest{
			FamilyName: longFamily + "-Search", GivenName: "Bartholomew", DateOfBirth: "2014-07-01",
		})
		if rp.status != http.StatusOK {
			return fmt.Sprintf("status %d", rp.status)
		}
		if n := rp.json(r.t)["count"]; fmt.Sprint(n) != "1" {
			return fmt.Sprintf("count %v", n)
		}
		return ""
	}},
	{probeChecksum, "ID-001", func(r *rig) string {
		// 999 123 456x is invalid for every x: 11 − S mod 11 = 10.
		rp := r.do(http.MethodPost, "/v1/children", management, withNHS(r.gen.Child(), "9991234560"))
		if rp.status != http.StatusUnprocessableEntity {
			return fmt.Sprintf("status %d", rp.status)
		}
		return ""
	}},
	{probeNHSNormalised, "ID-001", func(r *rig) string {
		child := r.gen.Child()
		n := child.Identifiers[0].Value // the generator's NHS number, ten digits
		id, _ := r.createChild(withNHS(child, spacedNHS(n)))
		if got := nhsValue(r.readChild(id)); got != n {
			return fmt.Sprintf("NHS number %q", got)
		}
		return ""
	}},
	{probeIfMatch, "VER-001", func(r *rig) string {
		id, _ := r.createChild(r.gen.Child())
		patch := map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"}
		var problems []string
		if rp := r.do(http.MethodPatch, "/v1/children/"+id, management, patch); rp.status != http.StatusPreconditionRequired {
			problems = append(problems, fmt.Sprintf("no If-Match: status %d", rp.status))
		}
		if rp := r.do(http.MethodPatch, "/v1/children/"+id, management, patch, "If-Match", `"99"`); rp.status != http.StatusPreconditionFailed {
			problems = append(problems, fmt.Sprintf("stale If-Match: status %d", rp.status))
		}
		return strings.Join(problems, "; ")
	}},
	{probeBrokered, "SENS-002", func(r *rig) string {
		childID, _ := r.createChild(r.gen.Child())
		rp := r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", camhs,
			r.gen.Involvement("SENSITIVE_MENTAL_HEALTH", "2026-01-05"))
		if rp.status != http.StatusCreated {
			return fmt.Sprintf("add involvement: status %d", rp.status)
		}
		for _, inv := range r.involvements(childID, teacher) {
			if inv["organisation"] != nil || inv["practitioner"] != nil || inv["contactVia"] != "LA_MANAGEMENT" {
				return fmt.Sprintf("a practitioner sees %v", inv)
			}
		}
		return ""
	}},
	{probeEndedKept, "INV-002", func(r *rig) string {
		childID, _ := r.createChild(r.gen.Child())
		rp := r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", teacher, r.gen.Involvement("EDUCATION", "2024-09-02"))
		if rp.status != http.StatusCreated {
			return fmt.Sprintf("add involvement: status %d", rp.status)
		}
		invID, _ := rp.json(r.t)["id"].(string)
		rp = r.do(http.MethodPatch, "/v1/involvements/"+invID, teacher, map[string]any{"endDate": "2026-06-01"}, "If-Match", rp.header.Get("ETag"))
		if rp.status != http.StatusOK {
			return fmt.Sprintf("end involvement: status %d", rp.status)
		}
		var problems []string
		if rp := r.do(http.MethodDelete, "/v1/involvements/"+invID, teacher, nil); rp.status != http.StatusMethodNotAllowed {
			problems = append(problems, fmt.Sprintf("DELETE: status %d", rp.status))
		}
		kept := slices.ContainsFunc(r.involvements(childID, teacher), func(inv map[string]any) bool {
			return inv["id"] == invID && inv["endDate"] != nil
		})
		if !kept {
			problems = append(problems, "the ended involvement is not in the list")
		}
		return strings.Join(problems, "; ")
	}},
	{probeProblemJSON, "ERR-001", func(r *rig) string {
		rp := r.do(http.MethodGet, "/v1/children/00000000-0000-4000-8000-000000000000", management, nil)
		if rp.status != http.StatusNotFound || mediaType(rp.header.Get("Content-Type")) != "application/problem+json" {
			return fmt.Sprintf("status %d, %s: %.60q", rp.status, rp.header.Get("Content-Type"), rp.body)
		}
		if code := rp.json(r.t)["code"]; code != "NOT_FOUND" {
			return fmt.Sprintf("code %v", code)
		}
		return ""
	}},
	{probeRetryAfter, "ERR-004", overloadProbe},
}

// overloadProbe holds ShedLimit+2 requests in flight (their bodies never finish arriving) and
// sends more: every 503 must carry Retry-After. A product that never sheds at this load passes.
func overloadProbe(r *rig) string {
	const held = DefaultShedLimit + 2
	var (
		writers []*io.PipeWriter
		wg      sync.WaitGroup
	)
	for range held {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, err := http.NewRequest(http.MethodPost, r.in.URL+"/v1/children", pr)
		require.NoError(r.t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.token(management))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := r.client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		}()
		_, _ = pw.Write([]byte(`{"name":`))
	}
	defer func() {
		for _, pw := range writers {
			_ = pw.Close()
		}
		wg.Wait()
	}()
	for range 20 {
		rp := r.do(http.MethodGet, "/v1/meta", fixtures.Claims{}, nil)
		if rp.status == http.StatusServiceUnavailable {
			if rp.header.Get("Retry-After") == "" {
				return "503 without Retry-After"
			}
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// quirkProbes are the probes each quirk must fail; every other probe it must pass.
var quirkProbes = map[string][]string{
	QuirkErrorsTextPlain:          {probeProblemJSON},
	QuirkShedNoRetryAfter:         {probeRetryAfter},
	QuirkSlow:                     nil,
	QuirkDatesDDMMYYYY:            {probeDates},
	QuirkGenderMFU:                {probeGender},
	QuirkNHSWithSpaces:            {probeNHSNormalised},
	QuirkNamesASCIIFolded:         {probeDiacritics},
	QuirkNamesTruncated35:         {probeLongName, probeLongNameSearch},
	QuirkNHSNoChecksum:            {probeChecksum},
	QuirkSensitiveDetailsLeak:     {probeBrokered},
	QuirkEndedInvolvementsDeleted: {probeEndedKept},
	QuirkIfMatchIgnored:           {probeIfMatch},
	// The exchange quirks fail no single-system probe: the exchange tests show them
	// (TestExchangeTestsCoverEveryExchangeQuirk).
	QuirkTransferShieldDropped:       nil,
	QuirkTransferCaseRefsDropped:     nil,
	QuirkInboundShieldIgnored:        nil,
	QuirkInboundConsentsDropped:      nil,
	QuirkInboundRedeliveryDuplicates: nil,
	QuirkWebhookNoSeq:                nil,
	QuirkWebhookDuplicated:           nil,
	QuirkWebhookUnsigned:             nil,
	QuirkWebhookSignedBodyOnly:       nil,
}

// expectedFailures is the union of quirkProbes over quirks, sorted.
func expectedFailures(quirks []string) []string {
	var out []string
	for _, q := range quirks {
		out = append(out, quirkProbes[q]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestQuirksFailExactlyTheirProbes runs every probe against every quirk alone, pairs of quirks
// and every catalogue profile: each fails exactly its quirks' probes, and the conformant
// profiles (the reference behind no quirk, and slow) fail none.
func TestQuirksFailExactlyTheirProbes(t *testing.T) {
	type row struct {
		name   string
		quirks []string
		reason string
	}
	rows := []row{
		{"no quirks", nil, "the reference behind the profile plumbing conforms: every probe passes"},
	}
	for _, q := range Quirks() {
		rows = append(rows, row{"quirk " + q.ID, []string{q.ID}, "a quirk alone fails only its own probes: " + q.Summary})
	}
	rows = append(rows,
		row{"dates with gender", []string{QuirkGenderMFU, QuirkDatesDDMMYYYY}, "two response renderers compose: both defects show, whatever order they are named in"},
		row{"checksum with spaces", []string{QuirkNHSWithSpaces, QuirkNHSNoChecksum}, "the shadow swap and the spacing compose"},
		row{"fold with truncate", []string{QuirkNamesTruncated35, QuirkNamesASCIIFolded}, "two request rewriters of the same fields compose"},
		row{"shed with text errors", []string{QuirkShedNoRetryAfter, QuirkErrorsTextPlain}, "the shed 503 is itself rewritten as text, and still has no Retry-After"},
		row{"leak with deletion", []string{QuirkEndedInvolvementsDeleted, QuirkSensitiveDetailsLeak, QuirkIfMatchIgnored}, "three involvement quirks compose"},
	)
	for _, p := range Profiles() {
		rows = append(rows, row{"profile " + p.String(), p.Quirks, "a catalogue profile fails exactly its quirks' probes"})
	}
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			r := quirkRig(t, StartOptions{}, rw.quirks...)
			var failed []string
			for _, p := range probes {
				if got := p.check(r); got != "" {
					failed = append(failed, p.name)
					t.Logf("%s (%s) fails: %s", p.name, p.requirement, got)
				}
			}
			slices.Sort(failed)
			assert.Equal(t, expectedFailures(rw.quirks), failed, rw.reason)
		})
	}
}

// suiteOnly are requirements a quirk breaks that only the whole suite shows (internal/fleet's
// TestSuiteIsExactOnEverySimulatedProduct): the tier table's T4 row (the same leak as
// SENS-002), a search by a name longer than 35 characters, a replaced main school or GP, and
// two concurrent updates.
var suiteOnly = map[string]bool{"READ-002": true, "SEARCH-003": true, "INV-004": true, "VER-002": true}

// TestQuirkProbesMatchBreaks checks the data: every probe a quirk fails names a requirement the
// quirk declares in Breaks.
func TestQuirkProbesMatchBreaks(t *testing.T) {
	requirementOf := map[string]string{}
	for _, p := range probes {
		requirementOf[p.name] = p.requirement
	}
	for _, q := range Quirks() {
		shown := map[string]bool{}
		for _, name := range quirkProbes[q.ID] {
			req := requirementOf[name]
			shown[req] = true
			assert.True(t, slices.Contains(q.Breaks, req),
				"quirk %s fails probe %q of %s, which it does not declare", q.ID, name, req)
		}
		for _, req := range q.Breaks {
			if suiteOnly[req] || q.Side != SideOwn {
				continue // an exchange quirk's requirements are shown by the exchange tests
			}
			assert.True(t, shown[req], "quirk %s declares %s but no probe shows it", q.ID, req)
		}
	}
}
