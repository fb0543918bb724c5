package simulators

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/spec"
)

func TestDatesQuirkAcceptsEitherForm(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkDatesDDMMYYYY)
	cases := []struct {
		name, sent, stored, reason string
	}{
		{"standard", "2016-11-30", "30/11/2016", "the standard form is still accepted, and read back in the product's form"},
		{"product form", "30/11/2016", "30/11/2016", "a client that sends what it read gets the same date"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, _ := r.createChild(r.gen.Child(fixtures.WithDateOfBirth(c.sent)))
			assert.Equal(t, c.stored, r.readChild(id)["dateOfBirth"], c.reason)
		})
	}
	meta := r.do(http.MethodGet, "/v1/reference/local-authorities", fixtures.Claims{}, nil)
	require.Equal(t, http.StatusOK, meta.status)
	assert.Contains(t, string(meta.body), `"terminatedOn":"31/03/2023"`, "every date of every response is rewritten, the council list's too")
}

func TestNHSNoChecksumRoundTrip(t *testing.T) {
	const invalid = "9991234560" // C = 10: no check digit makes 999123456 valid
	cases := []struct {
		name   string
		quirks []string
		read   string
		reason string
	}{
		{"alone", []string{QuirkNHSNoChecksum}, invalid, "the product stores and returns the number as sent"},
		{"with spaces", []string{QuirkNHSWithSpaces, QuirkNHSNoChecksum}, "999 123 4560", "the shadow is swapped back before the number is spaced"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := quirkRig(t, StartOptions{}, c.quirks...)
			id, _ := r.createChild(withNHS(r.gen.Child(fixtures.WithName([]string{"Ines"}, "Quarrington")), invalid))
			assert.Equal(t, c.read, nhsValue(r.readChild(id)), c.reason)

			rp := r.do(http.MethodPost, "/v1/children/search", management, spec.SearchRequest{NhsNumber: "999 123 4560"})
			require.Equal(t, http.StatusOK, rp.status, "%s", rp.body)
			var found spec.SearchResult
			require.NoError(t, json.Unmarshal(rp.body, &found))
			require.Len(t, found.Results, 1, "a search by the invalid number finds the record")
			assert.Equal(t, id, found.Results[0].ID)
			assert.NotContains(t, string(rp.body), deriveShadow(invalid, func(string) bool { return false }), "the shadow never leaks")

			dup := r.do(http.MethodPost, "/v1/children", management, withNHS(r.gen.Child(), invalid))
			assert.Equal(t, http.StatusConflict, dup.status, "the same invalid number maps to the same shadow, so duplicates are still caught")
		})
	}
}

func TestDeriveShadow(t *testing.T) {
	none := func(string) bool { return false }
	a := deriveShadow("9991234560", none)
	assert.Equal(t, a, deriveShadow("9991234560", none), "the shadow is a function of the number")
	assert.NotEqual(t, a, deriveShadow("9991234561", none), "different numbers get different shadows")
	require.NoError(t, ident.CheckNHS(a), "a shadow is a valid NHS number")
	assert.True(t, strings.HasPrefix(a, "999"), "a shadow is in the range reserved for testing")
	b := deriveShadow("9991234560", func(c string) bool { return c == a })
	assert.NotEqual(t, a, b, "a taken number is skipped")
	require.NoError(t, ident.CheckNHS(b))
}

func TestIfMatchIgnoredLastWriteWins(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkIfMatchIgnored)
	id, etag := r.createChild(r.gen.Child())
	codes := []string{"NO_KNOWN_ADDRESS", "LEFT_ENGLAND_INTENDS_RETURN", "LEFT_ENGLAND_NOT_RETURNING", "LEFT_ENGLAND_INTENTION_UNKNOWN"}
	var wg sync.WaitGroup
	statuses := make([]int, len(codes))
	for i, code := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = r.do(http.MethodPatch, "/v1/children/"+id, management, map[string]any{"whereabouts": code}, "If-Match", etag).status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		assert.Equal(t, http.StatusOK, s, "update %d with the same, soon stale, If-Match succeeds", i)
	}
	rec := r.readChild(id)
	assert.Contains(t, codes, rec["whereabouts"], "one of the writes won")
	assert.EqualValues(t, 1+len(codes), rec["version"], "every write was applied, one after the other")

	rp := r.do(http.MethodPatch, "/v1/children/"+id, teacher, map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"})
	assert.Equal(t, http.StatusForbidden, rp.status, "the role table still applies: only the If-Match check is skipped")
}

func TestEndedInvolvementsDeletedDelete(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkEndedInvolvementsDeleted)
	childID, _ := r.createChild(r.gen.Child())
	rp := r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", teacher, r.gen.Involvement("EDUCATION", "2024-09-02"))
	require.Equal(t, http.StatusCreated, rp.status, "%s", rp.body)
	invID, _ := rp.json(t)["id"].(string)

	cases := []struct {
		name   string
		actor  fixtures.Claims
		status int
		listed bool
		reason string
	}{
		{"another organisation", camhs, http.StatusForbidden, true, "the delete is an end as the caller, so INV-003 still refuses strangers"},
		{"the provider", teacher, http.StatusNoContent, false, "the provider's DELETE is accepted and the involvement vanishes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			del := r.do(http.MethodDelete, "/v1/involvements/"+invID, c.actor, nil)
			assert.Equal(t, c.status, del.status, c.reason)
			listed := false
			for _, inv := range r.involvements(childID, management) {
				listed = listed || inv["id"] == invID
			}
			assert.Equal(t, c.listed, listed, c.reason)
		})
	}
}

func TestSensitiveDetailsLeak(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkSensitiveDetailsLeak)
	childID, _ := r.createChild(r.gen.Child())
	sensitive := r.gen.Involvement("SENSITIVE_SEXUAL_HEALTH", "2026-02-01")
	rp := r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", camhs, sensitive)
	require.Equal(t, http.StatusCreated, rp.status, "%s", rp.body)
	invID, _ := rp.json(t)["id"].(string)
	rp = r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", teacher, r.gen.Involvement("EDUCATION", "2025-09-01"))
	require.Equal(t, http.StatusCreated, rp.status, "%s", rp.body)

	for _, inv := range r.involvements(childID, teacher) {
		if inv["id"] != invID {
			assert.NotNil(t, inv["organisation"], "a non-sensitive involvement is shown as the reference shows it")
			continue
		}
		org, _ := inv["organisation"].(map[string]any)
		assert.Equal(t, sensitive.Organisation.Name, org["name"], "the practitioner sees the provider the CAMHS practitioner sent")
		assert.NotNil(t, inv["practitioner"], "and the named practitioner")
		assert.Nil(t, inv["contactVia"], "and is not told to go through the council")
	}

	patch := map[string]any{"practitioner": map[string]any{"name": "Tamsin Ravensworth"}}
	rp = r.do(http.MethodPatch, "/v1/involvements/"+invID, camhs, patch, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, rp.status, "%s", rp.body)
	assert.Contains(t, string(r.do(http.MethodGet, "/v1/children/"+childID+"/involvements", teacher, nil).body),
		"Tamsin Ravensworth", "a changed practitioner leaks as changed")
}

func TestErrorsTextPlainCarriesNoPersonalData(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkErrorsTextPlain)
	child := withNHS(r.gen.Child(fixtures.WithName([]string{"Saoirse"}, "Okonkwo-Lindqvist")), "9991234560")
	rp := r.do(http.MethodPost, "/v1/children", management, child, "X-Correlation-ID", "corr-1")
	assert.Equal(t, http.StatusUnprocessableEntity, rp.status, "the status is kept")
	assert.Equal(t, "text/plain", mediaType(rp.header.Get("Content-Type")))
	assert.Equal(t, "corr-1", rp.header.Get("X-Correlation-ID"), "headers other than the body's are kept")
	body := string(rp.body)
	assert.Contains(t, body, "goroutine ")
	assert.Contains(t, body, "INVALID_NHS_NUMBER", "the trace names the problem code")
	for _, personal := range []string{"Saoirse", "Okonkwo", "9991234560", "corr-1"} {
		assert.NotContains(t, body, personal, "the synthetic trace holds nothing from the request")
	}
	ok := r.do(http.MethodGet, "/v1/meta", fixtures.Claims{}, nil)
	assert.Equal(t, "application/json", mediaType(ok.header.Get("Content-Type")), "successes are untouched")
}

// blockingHandler answers /block only when release is closed, and everything else at once.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (b blockingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/block":
		b.entered <- struct{}{}
		<-b.release
	case "/busy":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestShedNoRetryAfter(t *testing.T) {
	inner := blockingHandler{entered: make(chan struct{}, 8), release: make(chan struct{})}
	h, err := Wrap(inner, Config{ShedLimit: 2}, QuirkShedNoRetryAfter)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/block", nil))
		}()
		<-inner.entered
	}
	cases := []struct {
		name, path, corr string
		status           int
		reason           string
	}{
		{"beyond the limit", "/v1/meta", "probe-7", http.StatusServiceUnavailable, "a third request in flight is shed, without Retry-After"},
		{"health check", "/healthz", "", http.StatusOK, "health checks are never shed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			req.Header.Set("X-Correlation-ID", c.corr)
			h.ServeHTTP(rec, req)
			assert.Equal(t, c.status, rec.Code, c.reason)
			assert.Empty(t, rec.Header().Get("Retry-After"), c.reason)
			if c.status == http.StatusServiceUnavailable {
				assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
				var p spec.Problem
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
				assert.Equal(t, "SERVICE_UNAVAILABLE", p.Code)
				assert.Equal(t, c.corr, p.CorrelationID)
			}
		})
	}
	close(inner.release)
	wg.Wait()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/busy", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Empty(t, rec.Header().Get("Retry-After"), "the product's own 503s lose Retry-After too")
}

func TestSlowAddsLatencyOnly(t *testing.T) {
	const latency = 60 * time.Millisecond
	r := quirkRig(t, StartOptions{Latency: latency}, QuirkSlow)
	cases := []struct {
		path    string
		atLeast time.Duration
		reason  string
	}{
		{"/v1/meta", latency, "API responses are delayed"},
		{"/healthz", 0, "health checks are not, so that a container's health check stays quick"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			start := time.Now()
			rp := r.do(http.MethodGet, c.path, fixtures.Claims{}, nil)
			assert.Equal(t, http.StatusOK, rp.status)
			assert.GreaterOrEqual(t, time.Since(start), c.atLeast, c.reason)
		})
	}
}

func TestNameRewrites(t *testing.T) {
	cases := []struct {
		name, in, folded, truncated, reason string
	}{
		{"diaeresis", "Zoë", "Zoe", "Zoë", "a combining accent is dropped"},
		{"apostrophe", "O'Neill", "ONeill", "O'Neill", "apostrophes go"},
		{"typographic apostrophe", "D’Arcy", "DArcy", "D’Arcy", "the curly apostrophe too"},
		{"hyphen and space", "Ana-María de la Cruz", "Ana-Maria de la Cruz", "Ana-María de la Cruz", "hyphens and spaces stay"},
		{"ligature", "Søren Æbelø", "Soren AEbelo", "Søren Æbelø", "letters without a base letter are spelled out"},
		{"other script", "李小龍", "李小龍", "李小龍", "letters with no ASCII spelling are kept"},
		{"36 characters", strings.Repeat("é", 36), strings.Repeat("e", 36), strings.Repeat("é", 35), "the limit counts characters, not bytes"},
		{"35 characters", strings.Repeat("a", 35), strings.Repeat("a", 35), strings.Repeat("a", 35), "a name at the limit is untouched"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.folded, asciiFold(c.in), c.reason)
			assert.Equal(t, c.truncated, truncateName(c.in), c.reason)
		})
	}
}

func TestNameRewritesReachEveryName(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkNamesASCIIFolded)
	child := r.gen.Child(fixtures.WithName([]string{"Zoë", "Renée"}, "N'Diaye"), fixtures.WithFormerNames(spec.Name{Given: []string{"Zoë"}, Family: "Ó Briain"}))
	child.ParentsCarers = []spec.RelatedPerson{{Name: spec.Name{Given: []string{"Siân"}, Family: "N'Diaye"}, Relationship: "MOTHER"}}
	id, etag := r.createChild(child)
	rec := r.readChild(id)
	b, err := json.Marshal(map[string]any{"name": rec["name"], "formerNames": rec["formerNames"], "parentsCarers": rec["parentsCarers"]})
	require.NoError(t, err)
	for _, want := range []string{`"Zoe","Renee"`, `"NDiaye"`, `"O Briain"`, `"Sian"`} {
		assert.Contains(t, string(b), want, "name, given names, former names and carers' names are all folded on create")
	}
	rp := r.do(http.MethodPatch, "/v1/children/"+id, management, map[string]any{"name": map[string]any{"given": []string{"Zoë"}, "family": "Brontë"}}, "If-Match", etag)
	require.Equal(t, http.StatusOK, rp.status, "%s", rp.body)
	assert.Equal(t, "Bronte", r.readChild(id)["name"].(map[string]any)["family"], "and on update")
}

func TestWrapRejectsUnknownQuirk(t *testing.T) {
	_, err := Wrap(http.NotFoundHandler(), Config{}, QuirkSlow, "dates-mmddyyyy")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown quirk "dates-mmddyyyy"`)
}

// TestQuirkCatalogue checks each quirk's data: a DOMAIN.md §7 item, a summary, and
// requirement ids that exist in the catalogue.
func TestQuirkCatalogue(t *testing.T) {
	contract := spec.MustLoad()
	seen := map[string]bool{}
	for _, q := range Quirks() {
		assert.False(t, seen[q.ID], "quirk ids are unique: %s", q.ID)
		seen[q.ID] = true
		assert.Contains(t, []Side{SideOwn, SideSender, SideReceiver, SideNotifier}, q.Side, "%s has a side", q.ID)
		if q.Side == SideOwn {
			assert.True(t, q.Item >= 1 && q.Item <= 11, "%s names a §7 item", q.ID)
		} else {
			assert.True(t, q.Item >= 0 && q.Item <= 11, "%s names a §7 item or none", q.ID)
			assert.NotEmpty(t, q.Breaks, "an exchange quirk %s breaks something", q.ID)
		}
		assert.NotEmpty(t, q.Summary, q.ID)
		assert.NotEmpty(t, q.Notes, q.ID)
		for _, id := range q.Breaks {
			_, ok := contract.Requirement(id)
			assert.True(t, ok, "%s names requirement %s, which the catalogue has", q.ID, id)
		}
		_, hasRow := quirkProbes[q.ID]
		assert.True(t, hasRow, "quirk %s has a row in quirkProbes", q.ID)
	}
	slowQuirk, ok := LookupQuirk(QuirkSlow)
	require.True(t, ok)
	assert.Empty(t, slowQuirk.Breaks, "slow is a specificity check: it breaks nothing")
}

// TestDateKeysMatchContract checks dateKeys against the OpenAPI document: exactly the
// properties whose schema is the Date schema or has format date.
func TestDateKeysMatchContract(t *testing.T) {
	var doc any
	require.NoError(t, yaml.Unmarshal(spec.OpenAPIYAML(), &doc))
	found := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for name, schema := range props {
					if s, ok := schema.(map[string]any); ok && (s["$ref"] == "#/components/schemas/Date" || s["format"] == "date") {
						found[name] = true
					}
				}
			}
			for _, child := range x {
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(doc)
	assert.Equal(t, found, dateKeys, "dateKeys lists exactly the contract's date properties")
}

func TestMatchPath(t *testing.T) {
	cases := []struct {
		path, pattern string
		want          bool
		reason        string
	}{
		{"/v1/children/abc/involvements", "/v1/children/*/involvements", true, "a wildcard matches one segment"},
		{"/v1/children//involvements", "/v1/children/*/involvements", false, "but not an empty one"},
		{"/v1/children/abc/involvements/x", "/v1/children/*/involvements", false, "lengths must agree"},
		{"/v1/involvements/abc", "/v1/involvements/*", true, "a trailing wildcard"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s~%s", c.path, c.pattern), func(t *testing.T) {
			assert.Equal(t, c.want, matchPath(c.path, c.pattern), c.reason)
		})
	}
}

func TestGenderMFURendersOnly(t *testing.T) {
	r := quirkRig(t, StartOptions{}, QuirkGenderMFU)
	cases := []struct {
		sent, read string
		status     int
		reason     string
	}{
		{"FEMALE", "F", http.StatusCreated, "a standard code is stored and read back as a letter"},
		{"NOT_SPECIFIED", "U", http.StatusCreated, "both unknown codes read as U"},
		{"M", "", http.StatusUnprocessableEntity, "requests are untouched: a letter is an unknown code (ERR-003 still holds)"},
	}
	for _, c := range cases {
		t.Run(c.sent, func(t *testing.T) {
			rp := r.do(http.MethodPost, "/v1/children", management, r.gen.Child(fixtures.WithGender(c.sent)))
			require.Equal(t, c.status, rp.status, "%s: %s", c.reason, rp.body)
			if c.read != "" {
				id, _ := rp.json(t)["id"].(string)
				assert.Equal(t, c.read, r.readChild(id)["gender"], c.reason)
			}
		})
	}
}
