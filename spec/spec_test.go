package spec

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestLoadValidatesTheEmbeddedDocument(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	again, err := Load()
	require.NoError(t, err)
	assert.Same(t, c, again, "Load must return the same *Contract every time")

	// Validate a fresh parse too, independently of Load's own checks.
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPIYAML())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background(), openapi3.EnableMultiError()))
	assert.Equal(t, "3.0.3", doc.OpenAPI)

	sum := sha256.Sum256(OpenAPIYAML())
	assert.Equal(t, hex.EncodeToString(sum[:]), c.Digest)
	assert.Equal(t, APIVersion, c.Version)
	assert.Len(t, c.Requirements, 60)
	require.Len(t, c.Doc.Servers, 1)
	assert.Equal(t, "/", c.Doc.Servers[0].URL)
}

func TestLoadRejectsBrokenInput(t *testing.T) {
	cases := []struct {
		name, reason string
		doc, reqs    []byte
		want         string
	}{
		{
			name: "invalid openapi", reason: "a document kin-openapi cannot validate must not load",
			doc: []byte("openapi: 3.0.3\ninfo: {title: x, version: 1.0.0}\npaths:\n  /a:\n    get:\n      responses: {}\n"), reqs: requirementsYAML,
			want: "load spec: validate openapi.yaml",
		},
		{
			name: "wrong version", reason: "info.version must equal APIVersion",
			doc: bytes.Replace(openapiYAML, []byte("version: 1.0.0"), []byte("version: 9.9.9"), 1), reqs: requirementsYAML,
			want: "info.version is not " + APIVersion,
		},
		{
			name: "duplicate requirement", reason: "requirement ids are unique",
			doc: openapiYAML, reqs: bytes.Replace(requirementsYAML, []byte("id: ID-002"), []byte("id: ID-001"), 1),
			want: "requirement ID-001: duplicate id",
		},
		{
			name: "unknown requirement field", reason: "a typo in the catalogue's keys must not pass silently",
			doc: openapiYAML, reqs: []byte("requirements:\n  - id: ID-001\n    levle: MUST\n"), //nolint:misspell // the typo is the test
			want: "parse requirements.yaml",
		},
		{
			name: "bad level", reason: "levels are MUST or SHOULD",
			doc: openapiYAML, reqs: bytes.Replace(requirementsYAML, []byte("level: SHOULD"), []byte("level: MAY"), 1),
			want: `level "MAY" is not MUST or SHOULD`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.doc, tc.reqs)
			assert.ErrorContains(t, err, tc.want, tc.reason)
		})
	}
}

func TestOperations(t *testing.T) {
	c := MustLoad()
	cases := []struct {
		id, method, path string
		public           bool
		reason           string
	}{
		{"createChild", http.MethodPost, "/v1/children", false, "DOMAIN.md §5 children"},
		{"getChild", http.MethodGet, "/v1/children/{id}", false, "DOMAIN.md §5 children"},
		{"updateChild", http.MethodPatch, "/v1/children/{id}", false, "DOMAIN.md §5 children, If-Match"},
		{"searchChildren", http.MethodPost, "/v1/children/search", false, "DOMAIN.md §5 search"},
		{"listInvolvements", http.MethodGet, "/v1/children/{id}/involvements", false, "DOMAIN.md §5 involvements"},
		{"addInvolvement", http.MethodPost, "/v1/children/{id}/involvements", false, "DOMAIN.md §5 involvements"},
		{"updateInvolvement", http.MethodPatch, "/v1/involvements/{id}", false, "DOMAIN.md §5 involvements"},
		{"addIndicator", http.MethodPost, "/v1/children/{id}/indicators", false, "DOMAIN.md §5 indicators"},
		{"updateIndicator", http.MethodPatch, "/v1/indicators/{id}", false, "DOMAIN.md §5 indicators"},
		{"shieldChild", http.MethodPut, "/v1/children/{id}/shield", false, "DOMAIN.md §5 shielding"},
		{"unshieldChild", http.MethodDelete, "/v1/children/{id}/shield", false, "DOMAIN.md §5 shielding"},
		{"mergeChildren", http.MethodPost, "/v1/children/{id}/merge", false, "DOMAIN.md §5 merging"},
		{"recordConsent", http.MethodPost, "/v1/children/{id}/consents", false, "DOMAIN.md §5 consents"},
		{"getConsent", http.MethodGet, "/v1/consents/{id}", false, "CONTRACT.md consents"},
		{"withdrawConsent", http.MethodPost, "/v1/consents/{id}/withdrawal", false, "DOMAIN.md §5 consents"},
		{"proposeTransfer", http.MethodPost, "/v1/transfers", false, "DOMAIN.md §5 transfers"},
		{"getTransfer", http.MethodGet, "/v1/transfers/{id}", false, "DOMAIN.md §5 transfers"},
		{"acceptTransfer", http.MethodPost, "/v1/transfers/{id}/acceptance", false, "DOMAIN.md §5 transfers"},
		{"deliverInboundTransfer", http.MethodPost, "/v1/inbound/transfers", false, "DOMAIN.md §5 system to system"},
		{"reportInboundOutcome", http.MethodPost, "/v1/inbound/transfers/{id}/outcome", false, "DOMAIN.md §5 system to system"},
		{"getAccessHistory", http.MethodGet, "/v1/children/{id}/access-history", false, "DOMAIN.md §5 history"},
		{"listAuditEvents", http.MethodGet, "/v1/audit-events", false, "DOMAIN.md §5 audit"},
		{"createSubscription", http.MethodPost, "/v1/subscriptions", false, "DOMAIN.md §5 webhooks"},
		{"getSubscription", http.MethodGet, "/v1/subscriptions/{id}", false, "CONTRACT.md: dead letters are observed here"},
		{"getTestClock", http.MethodGet, "/v1/test-clock", false, "DOMAIN.md §5 optional test-clock capability"},
		{"advanceTestClock", http.MethodPost, "/v1/test-clock", false, "DOMAIN.md §5 optional test-clock capability"},
		{"getMeta", http.MethodGet, "/v1/meta", true, "DOMAIN.md §5, public"},
		{"listLocalAuthorities", http.MethodGet, "/v1/reference/local-authorities", true, "DOMAIN.md §5, public"},
		{"getHealth", http.MethodGet, "/healthz", true, "DOMAIN.md §5, public"},
	}
	all := map[string]bool{}
	for path, item := range c.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			all[method+" "+path] = true
			assert.Regexp(t, `^[a-z][A-Za-z0-9]*$`, op.OperationID, "operationIds are lowerCamelCase: %s %s", method, path)
		}
	}
	assert.Len(t, all, len(cases), "every operation of the document is listed in this table")
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			item := c.Doc.Paths.Value(tc.path)
			require.NotNil(t, item, tc.reason)
			op := item.GetOperation(tc.method)
			require.NotNil(t, op, tc.reason)
			assert.Equal(t, tc.id, op.OperationID, tc.reason)
			if tc.public {
				require.NotNil(t, op.Security, "public endpoints override the global security")
				assert.Empty(t, *op.Security, "public endpoints have security: []")
			} else {
				assert.Nil(t, op.Security, "secured endpoints inherit the global bearerAuth")
			}
			assert.NotNil(t, op.Responses.Default(), "every operation has a default problem response")
			for _, code := range []string{"400", "429", "500", "503"} {
				assert.NotNil(t, op.Responses.Value(code), "every operation declares %s", code)
			}
			if !tc.public {
				for _, code := range []string{"401", "403", "404", "406", "422"} {
					assert.NotNil(t, op.Responses.Value(code), "every secured operation declares %s", code)
				}
			}
			if op.RequestBody != nil {
				for _, code := range []string{"413", "415"} {
					assert.NotNil(t, op.Responses.Value(code), "an operation with a body declares %s", code)
				}
			}
			if tc.method == http.MethodPatch {
				for _, code := range []string{"412", "428"} {
					assert.NotNil(t, op.Responses.Value(code), "a PATCH declares %s (VER-001)", code)
				}
				assert.NotNil(t, param(op, item, "header", "If-Match"), "a PATCH takes If-Match")
			}
			for code, ref := range op.Responses.Map() {
				if code == "default" || code[0] == '2' {
					continue
				}
				_, ok := ref.Value.Content["application/problem+json"]
				assert.True(t, ok, "error response %s is application/problem+json", code)
			}
			assert.NotNil(t, param(op, item, "header", "X-Correlation-ID"), "every operation takes X-Correlation-ID")
		})
	}
	require.NotNil(t, c.Doc.Components.SecuritySchemes["bearerAuth"])
	bearer := c.Doc.Components.SecuritySchemes["bearerAuth"].Value
	assert.Equal(t, "http", bearer.Type)
	assert.Equal(t, "bearer", bearer.Scheme)
	assert.Equal(t, "JWT", bearer.BearerFormat)
	require.Len(t, c.Doc.Security, 1)
	assert.Contains(t, c.Doc.Security[0], "bearerAuth")
}

func param(op *openapi3.Operation, item *openapi3.PathItem, in, name string) *openapi3.Parameter {
	if p := op.Parameters.GetByInAndName(in, name); p != nil {
		return p
	}
	return item.Parameters.GetByInAndName(in, name)
}

func TestServerBehaviourHeadersAreOptional(t *testing.T) {
	c := MustLoad()
	cases := []struct {
		name, reason string
		ops          []string
	}{
		{"X-Purpose-Of-Use", "a missing purpose is the tested 400 PURPOSE_REQUIRED (AUDIT-002), not a client fault", []string{"getChild", "searchChildren", "listInvolvements"}},
		{"X-Break-Glass-Reason", "a missing reason is the tested 400 BREAK_GLASS_REASON_REQUIRED", []string{"getChild", "searchChildren", "listInvolvements"}},
		{"If-Match", "a missing If-Match is the tested 428 (VER-001)", []string{"updateChild", "updateInvolvement", "updateIndicator"}},
		{"Idempotency-Key", "keys are optional (XFER-003)", []string{"createChild", "proposeTransfer", "acceptTransfer", "deliverInboundTransfer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range tc.ops {
				op, item := operation(t, c, id)
				p := param(op, item, "header", tc.name)
				require.NotNil(t, p, "%s takes %s", id, tc.name)
				assert.False(t, p.Required, tc.reason)
			}
		})
	}
	purpose := c.Doc.Components.Parameters["PurposeOfUse"].Value.Schema.Value
	assert.Equal(t, Purposes.Values, enumStrings(purpose.Enum), "X-Purpose-Of-Use takes the Purposes list")
}

func operation(t *testing.T, c *Contract, id string) (*openapi3.Operation, *openapi3.PathItem) {
	t.Helper()
	for _, item := range c.Doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op, item
			}
		}
	}
	require.Failf(t, "no operation", "operationId %s", id)
	return nil, nil
}

// codeListSchemas maps each component schema that publishes a code list to the list.
var codeListSchemas = map[string]CodeList{
	"Gender":           Genders,
	"RecordStatus":     RecordStatuses,
	"IdentifierSystem": IdentifierSystems,
	"IdentifierStatus": IdentifierStatuses,
	"Whereabouts":      Whereabouts,
	"Relationship":     Relationships,
	"ServiceType":      ServiceTypes,
	"DisclosureBasis":  DisclosureBases,
	"IndicatorType":    IndicatorTypes,
	"CppCategory":      CPPCategories,
	"LegalStatus":      LegalStatuses,
	"ConsentScope":     ConsentScopes,
	"ConsentGiver":     ConsentGivers,
	"ShieldReason":     ShieldReasons,
	"PurposeOfUse":     Purposes,
	"Role":             Roles,
	"Sector":           Sectors,
	"TransferReason":   TransferReasons,
	"TransferState":    TransferStates,
	"NotificationType": NotificationTypes,
}

func enumStrings(values []any) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func TestCodeListEnumsMatchCodesGo(t *testing.T) {
	c := MustLoad()
	require.Len(t, codeListSchemas, len(CodeLists), "every code list of codes.go has a schema")
	for name, list := range codeListSchemas {
		t.Run(name, func(t *testing.T) {
			ref := c.Doc.Components.Schemas[name]
			require.NotNil(t, ref, "schema %s publishes code list %s", name, list.Name)
			assert.Equal(t, list.Values, enumStrings(ref.Value.Enum), "the enum equals codes.go, in order")
			ext, ok := ref.Value.Extensions["x-code-system"].(map[string]any)
			require.True(t, ok, "schema %s names its code system", name)
			assert.Equal(t, list.Name, ext["name"], "x-code-system name")
			assert.Equal(t, list.Version, ext["version"], "x-code-system version")
		})
	}
}

// otherEnums are the enums that are not code lists of codes.go, with the values they must
// have. Every inline enum of the document must be here or be a code-list schema.
var otherEnums = map[string]struct {
	values []string
	reason string
}{
	"Involvement.contactVia":      {[]string{"LA_MANAGEMENT"}, "brokered form, CONTRACT.md"},
	"Transfer.direction":          {[]string{DirectionOutbound, DirectionInbound}, "types_exchange.go"},
	"DeliveryStatus.state":        {[]string{"PENDING", "DELIVERED", "DEAD"}, "types_exchange.go DeliveryStatus"},
	"TransferAcceptance.decision": {[]string{"ACCEPTED", "REJECTED"}, "a subset of TransferStates"},
	"TransferOutcome.state":       {[]string{"ACCEPTED", "REJECTED"}, "a subset of TransferStates"},
	"AuditEvent.disclosedTiers[]": {[]string{"T1", "T2", "T3", "T4", "T5", "T6"}, "the tier table"},
	"AuditEvent.outcome":          {[]string{"SUCCESS", "DENIED", "UNAUTHENTICATED", "NOT_FOUND", "INVALID", "ERROR"}, "types.go AuditEvent.Outcome"},
	"LocalAuthority.status":       {[]string{"LIVE", "TERMINATED"}, "types.go LocalAuthority.Status"},
	"FieldError.code":             {FieldErrorCodes, "codes.go FieldErrorCodes"},
	"Problem.code":                {errorCodeNames(), "codes.go ErrorCodes"},
	"Actor.role":                  {[]string{""}, "the empty role of an unauthenticated request, beside code list role"},
	"Actor.sector":                {[]string{""}, "the empty sector of an unauthenticated request, beside code list sector"},
}

func errorCodeNames() []string {
	out := make([]string, 0, len(ErrorCodes))
	for _, e := range ErrorCodes {
		out = append(out, e.Code)
	}
	return out
}

func TestEveryEnumIsAccountedFor(t *testing.T) {
	c := MustLoad()
	found := map[string][]string{}
	var walk func(at string, ref *openapi3.SchemaRef)
	walk = func(at string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Ref != "" || ref.Value == nil {
			return // a $ref is checked where it is defined
		}
		s := ref.Value
		if len(s.Enum) > 0 {
			found[at] = enumStrings(s.Enum)
		}
		for name, p := range s.Properties {
			walk(at+"."+name, p)
		}
		walk(at+"[]", s.Items)
		for _, sub := range append(append(slices.Clone(s.AllOf), s.AnyOf...), s.OneOf...) {
			walk(at, sub)
		}
	}
	for name, ref := range c.Doc.Components.Schemas {
		walk(name, &openapi3.SchemaRef{Value: ref.Value})
	}
	for name, list := range codeListSchemas {
		assert.Equal(t, list.Values, found[name], "code-list schema %s", name)
		delete(found, name)
	}
	for at, values := range found {
		want, ok := otherEnums[at]
		if assert.True(t, ok, "enum at %s is neither a code list nor listed in otherEnums", at) {
			assert.Equal(t, want.values, values, "enum at %s: %s", at, want.reason)
		}
	}
	for _, at := range []string{"TransferAcceptance.decision", "TransferOutcome.state"} {
		assert.Subset(t, TransferStates.Values, found[at], "%s uses transfer states", at)
	}
}

func TestErrorRegistryIsPublished(t *testing.T) {
	c := MustLoad()
	var published []ErrorCode
	raw, ok := c.Doc.Extensions["x-error-codes"].([]any)
	require.True(t, ok, "x-error-codes is a list")
	for _, e := range raw {
		m, ok := e.(map[string]any)
		require.True(t, ok)
		status, ok := m["status"].(float64)
		require.True(t, ok, "status is a number: %v", m)
		published = append(published, ErrorCode{Code: fmt.Sprint(m["code"]), Status: int(status), Title: fmt.Sprint(m["title"])})
	}
	assert.Equal(t, ErrorCodes, published, "x-error-codes equals spec.ErrorCodes, in order")

	fields, ok := c.Doc.Extensions["x-field-error-codes"].([]any)
	require.True(t, ok)
	assert.Equal(t, FieldErrorCodes, enumStrings(fields), "x-field-error-codes equals spec.FieldErrorCodes")

	seen := map[string]bool{}
	for _, e := range ErrorCodes {
		assert.False(t, seen[e.Code], "code %s is registered once", e.Code)
		seen[e.Code] = true
		assert.Regexp(t, `^[A-Z][A-Z0-9_]*$`, e.Code)
		assert.GreaterOrEqual(t, e.Status, 400)
		assert.NotEmpty(t, e.Title)
	}
}

func TestRequirementCatalogue(t *testing.T) {
	c := MustLoad()
	wantCounts := map[string]int{
		"ID": 7, "SEARCH": 6, "READ": 4, "INV": 4, "FLAG": 5, "SENS": 6, "XFER": 6,
		"CONSENT": 3, "AUDIT": 4, "AUTH": 4, "ERR": 4, "VER": 3, "NOTIF": 4,
	}
	idForm := regexp.MustCompile(`^(ID|SEARCH|READ|INV|FLAG|SENS|XFER|CONSENT|AUDIT|AUTH|ERR|VER|NOTIF)-\d{3}$`)
	require.Len(t, c.Requirements, 60, "DOMAIN.md §6 has 60 requirements")

	counts := map[string]int{}
	seen := map[string]bool{}
	var order []string
	for _, r := range c.Requirements {
		assert.Regexp(t, idForm, r.ID)
		assert.False(t, seen[r.ID], "id %s is unique", r.ID)
		seen[r.ID] = true
		assert.Equal(t, r.ID[:strings.LastIndexByte(r.ID, '-')], r.Group, "group of %s is its prefix", r.ID)
		assert.Contains(t, []string{LevelMust, LevelShould}, r.Level, r.ID)
		assert.NotEmpty(t, r.Title, r.ID)
		assert.NotEmpty(t, r.Text, r.ID)
		assert.Equal(t, "DOMAIN.md §6", r.Source, r.ID)
		assert.LessOrEqual(t, len(r.Title), 70, "title of %s is short", r.ID)
		counts[r.Group]++
		if len(order) == 0 || order[len(order)-1] != r.Group {
			order = append(order, r.Group)
		}
	}
	assert.Equal(t, wantCounts, counts, "per-group counts match DOMAIN.md §6")
	assert.Equal(t, Groups(), order, "the catalogue is in group order")
	assert.Equal(t, []string{"ID", "SEARCH", "READ", "INV", "FLAG", "SENS", "XFER", "CONSENT", "AUDIT", "AUTH", "ERR", "VER", "NOTIF"}, Groups())

	ids := make([]string, 0, len(c.Requirements))
	for _, r := range c.Requirements {
		ids = append(ids, r.ID)
	}
	for g, n := range wantCounts {
		for i := 1; i <= n; i++ {
			assert.Contains(t, ids, fmt.Sprintf("%s-%03d", g, i), "ids are numbered from 001 without gaps")
		}
	}

	cases := []struct {
		id, level, reason string
	}{
		{"SENS-006", LevelShould, "DOMAIN.md marks SENS-006 SHOULD"},
		{"AUTH-004", LevelShould, "DOMAIN.md marks AUTH-004 SHOULD"},
		{"ID-001", LevelMust, "everything else is MUST"},
		{"NOTIF-004", LevelMust, "everything else is MUST"},
	}
	for _, tc := range cases {
		r, ok := c.Requirement(tc.id)
		require.True(t, ok, tc.reason)
		assert.Equal(t, tc.level, r.Level, tc.reason)
	}
	should := 0
	for _, r := range c.Requirements {
		if r.Level == LevelShould {
			should++
		}
	}
	assert.Equal(t, 2, should, "only SENS-006 and AUTH-004 are SHOULD")
	_, ok := c.Requirement("ID-999")
	assert.False(t, ok, "an unknown id is not found")

	// Spot-check that texts are faithful to DOMAIN.md.
	texts := []struct{ id, fragment, reason string }{
		{"ID-002", "characters 2–4 are a known council code", "every UPN condition is kept"},
		{"SEARCH-004", "422 TOO_MANY_MATCHES", "codes are named"},
		{"AUDIT-001", "correlation id", "every audit field is kept"},
		{"XFER-004", "A → B → A", "the round trip is kept"},
		{"NOTIF-003", "HMAC-SHA256 over timestamp and body", "the signature rule is kept"},
	}
	for _, tc := range texts {
		r, _ := c.Requirement(tc.id)
		assert.Contains(t, r.Text, tc.fragment, tc.reason)
	}
}

func TestRequirementsYAMLHasOnlyKnownKeys(t *testing.T) {
	var raw struct {
		Requirements []map[string]string `yaml:"requirements"`
	}
	require.NoError(t, yaml.Unmarshal(RequirementsYAML(), &raw))
	for _, r := range raw.Requirements {
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		assert.Equal(t, []string{"group", "id", "level", "source", "text", "title"}, keys, "requirement %s", r["id"])
	}
}

func TestWebhookSignature(t *testing.T) {
	body := []byte(`{"eventId":"e1","seq":1}`)
	sig := SignWebhook("s3cret-s3cret-s3cret", "1700000000", body)
	cases := []struct {
		name, secret, ts, sig string
		body                  []byte
		want                  bool
		reason                string
	}{
		{"valid", "s3cret-s3cret-s3cret", "1700000000", sig, body, true, "the signature of the same input verifies"},
		{"other secret", "other-secret-other", "1700000000", sig, body, false, "the key matters"},
		{"other timestamp", "s3cret-s3cret-s3cret", "1700000001", sig, body, false, "the timestamp is signed"},
		{"other body", "s3cret-s3cret-s3cret", "1700000000", sig, []byte(`{"eventId":"e1","seq":2}`), false, "the body is signed"},
		{"no prefix", "s3cret-s3cret-s3cret", "1700000000", strings.TrimPrefix(sig, "v1="), body, false, "the scheme version is required"},
	}
	assert.Regexp(t, `^v1=[0-9a-f]{64}$`, sig)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, VerifyWebhook(tc.secret, tc.ts, tc.body, tc.sig), tc.reason)
		})
	}
	// Pin the construction independently: HMAC-SHA256(secret, "<timestamp>.<body>").
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte("1700000000.{}"))
	assert.Equal(t, "v1="+hex.EncodeToString(mac.Sum(nil)), SignWebhook("k", "1700000000", []byte("{}")))
}
