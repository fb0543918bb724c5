package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fully populated sample values of the wire types: every optional field set, so that their
// JSON shows every property the Go type can produce.

func ptr[T any](v T) *T { return &v }

const (
	sampleChildID = "c0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a01"
	sampleOtherID = "c0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a02"
	sampleInvID   = "i0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a03"
	sampleIndID   = "f0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a04"
	sampleConsID  = "k0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a05"
	sampleXferID  = "t0a8012e-7d3f-4b1a-9e21-5f6d7c8b9a06"
	sampleHash    = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sampleAt      = "2025-03-04T10:15:30Z"
)

func sampleName() Name { return Name{Given: []string{"Zoë", "Mary-Ann"}, Family: "O'Connor-Ngata"} }

func sampleContact() *Contact {
	return &Contact{Phone: "01632 960000", Email: "office@synthetic-school.example"}
}

func sampleIdentifier() Identifier {
	return Identifier{System: "NHS_NUMBER", Value: "9990000018", Status: "CURRENT", Verified: true}
}

func sampleAddress() *Address {
	return &Address{Lines: []string{"1 Fictional Row"}, Town: "Camden", Postcode: "NW1 1AA"}
}

func sampleLA() LocalAuthorityRef {
	return LocalAuthorityRef{DfeCode: "202", GssCode: "E09000007", Name: "Camden"}
}

func sampleRelatedPerson() RelatedPerson {
	return RelatedPerson{
		Name: Name{Given: []string{"Ana"}, Family: "Ngata"}, Relationship: "MOTHER",
		HasParentalResponsibility: ptr(true), Contact: sampleContact(),
	}
}

func sampleIndicatorContact() *IndicatorContact {
	return &IndicatorContact{Name: "Dee Lead", Organisation: "Synthetic Early Help", Phone: "01632 960001", Email: "dee@synthetic.example"}
}

func sampleIndicator() Indicator {
	return Indicator{
		ID: sampleIndID, ChildID: sampleChildID, Version: 2, Type: "CHILD_PROTECTION_PLAN",
		StartDate: "2024-01-02", EndDate: "2024-06-30", InvolvementID: sampleInvID, Category: "NEG",
		LegalStatus: "C2", ExpectedDateOfBirth: "2025-05-01", LinkedChildID: sampleOtherID,
		Contact: sampleIndicatorContact(),
	}
}

func sampleChildRecord() ChildRecord {
	la := sampleLA()
	return ChildRecord{
		ID: sampleChildID, Version: 3, Status: "ACTIVE", MergedInto: sampleOtherID,
		Name: sampleName(), FormerNames: []Name{{Given: []string{"Zoe"}, Family: "Smith"}},
		Gender: "FEMALE", DateOfBirth: "2015-12-25", ExpectedDateOfBirth: "2015-12-20", DateOfDeath: "2099-01-01",
		Identifiers: []Identifier{sampleIdentifier()}, Address: sampleAddress(), Whereabouts: "KNOWN_ADDRESS",
		ResponsibleLa: &la,
		Shielding:     &Shielding{Shielded: true, Since: "2024-02-01", ReviewDue: "2025-02-01", ReasonCode: "DOMESTIC_ABUSE"},
		Archive:       &Archive{ArchiveAtAge: 18, ArchivedOn: "2033-12-25"},
		ParentsCarers: []RelatedPerson{sampleRelatedPerson()},
		Indicators:    []Indicator{sampleIndicator()},
	}
}

func sampleOrganisation() *Organisation {
	return &Organisation{Name: "Synthetic Primary School", Code: "URN900001", Contact: *sampleContact()}
}

func samplePractitioner() *Practitioner {
	return &Practitioner{Name: "Sam Teacher", Role: "Designated safeguarding lead", Contact: sampleContact()}
}

func sampleInvolvement() Involvement {
	return Involvement{
		ID: sampleInvID, ChildID: sampleChildID, Version: 1, ServiceType: "EDUCATION", Sensitive: true,
		Organisation: sampleOrganisation(), Practitioner: samplePractitioner(),
		StartDate: "2024-09-01", EndDate: "2025-07-20", IsLeadProfessional: true, IsMainSchool: true,
		DisclosureBasis: "CONSENT", ConsentRef: sampleConsID, ProvidedBy: "org-synthetic-school", ContactVia: "LA_MANAGEMENT",
	}
}

func sampleConsent() Consent {
	return Consent{
		ID: sampleConsID, ChildID: sampleChildID, Scope: "RETAIN_TO_25", GivenBy: "YOUNG_PERSON",
		GivenOn: "2024-03-01", RecordedBy: "user-123", RecordedAt: sampleAt, RetainToAge: 21,
		InvolvementID: sampleInvID, WithdrawnOn: "2024-04-01",
	}
}

func sampleActor() Actor {
	return Actor{Sub: "user-123", Role: "PRACTITIONER", Org: "org-synthetic-school", La: "202", Sector: "EDUCATION"}
}

func sampleAuditEvent() AuditEvent {
	return AuditEvent{
		Seq: 7, At: sampleAt, Actor: sampleActor(), Action: "READ", Method: "GET", Path: "/v1/children/" + sampleChildID,
		ChildIDs: []string{sampleChildID}, Purpose: "BREAK_GLASS", BreakGlass: true, BreakGlassReason: "unconscious in A&E",
		DisclosedTiers: []string{"T1", "T2"}, Outcome: "SUCCESS", Status: 200, CorrelationID: "corr-1",
		PrevHash: strings.Repeat("0", 64), Hash: sampleHash,
	}
}

func sampleCaseSummaryRef() CaseSummaryRef {
	return CaseSummaryRef{Type: "CHILD_IN_NEED_PLAN", Title: "Plan review", Date: "2024-05-05", Sha256: sampleHash}
}

func sampleTransfer() Transfer {
	return Transfer{
		ID: sampleXferID, ChildID: sampleChildID, FromLa: sampleLA(),
		ToLa:   LocalAuthorityRef{DfeCode: "942", GssCode: "E06000063", Name: "Cumberland"},
		Reason: "CHANGE_OF_ADDRESS", State: "COMPLETED", Direction: DirectionOutbound, IdempotencyKey: "key-1",
		ProposedAt: sampleAt, DecidedAt: sampleAt, CompletedAt: sampleAt, RejectionReason: "n/a",
		Delivery: ptr(sampleDeliveryStatus()),
	}
}

func sampleDeliveryStatus() DeliveryStatus {
	return DeliveryStatus{State: "PENDING", Attempts: 2, LastAttemptAt: sampleAt, NextAttemptAt: sampleAt, LastStatus: 503, LastError: "no answer: timed out"}
}

func sampleProblem() Problem {
	return Problem{
		Type: "https://icscert.example/problems/validation-failed", Title: "The request has invalid fields",
		Status: 422, Code: "VALIDATION_FAILED", Detail: "2 fields are invalid",
		Errors: []FieldError{{
			Pointer: "/gender", Code: "UNKNOWN_CODE", Detail: "not a gender code",
			CodeSystem: "gender", CodeSystemVersion: "2024.1",
		}},
		CorrelationID: "corr-1", ExistingID: sampleOtherID, Successors: []string{"942", "943"},
	}
}

// responseSamples pairs each response (and shared) type with its component schema.
func responseSamples() []struct {
	schema string
	value  any
	reason string
} {
	return []struct {
		schema string
		value  any
		reason string
	}{
		{"ChildRecord", sampleChildRecord(), "getChild and friends"},
		{"Name", sampleName(), "part of ChildRecord"},
		{"Identifier", sampleIdentifier(), "part of ChildRecord"},
		{"Address", *sampleAddress(), "part of ChildRecord"},
		{"Contact", *sampleContact(), "part of several"},
		{"LocalAuthorityRef", sampleLA(), "part of ChildRecord and Transfer"},
		{"Shielding", Shielding{Shielded: true, Since: "2024-01-01", ReviewDue: "2024-07-01", ReasonCode: "ADOPTION"}, "part of ChildRecord"},
		{"Archive", Archive{ArchiveAtAge: 25, ArchivedOn: "2040-01-01"}, "part of ChildRecord"},
		{"RelatedPerson", sampleRelatedPerson(), "part of ChildRecord"},
		{"Organisation", *sampleOrganisation(), "part of Involvement"},
		{"Practitioner", *samplePractitioner(), "part of Involvement"},
		{"Involvement", sampleInvolvement(), "addInvolvement and updateInvolvement"},
		{"InvolvementList", InvolvementList{Involvements: []Involvement{sampleInvolvement()}}, "listInvolvements"},
		{"IndicatorContact", *sampleIndicatorContact(), "part of Indicator"},
		{"Indicator", sampleIndicator(), "addIndicator and updateIndicator"},
		{"Consent", sampleConsent(), "recordConsent, getConsent, withdrawConsent"},
		{"SearchResult", SearchResult{Results: []ChildRecord{sampleChildRecord()}, Count: 1}, "searchChildren"},
		{"Actor", sampleActor(), "part of AuditEvent"},
		{"AuditEvent", sampleAuditEvent(), "part of AuditEventPage"},
		{"AuditEventPage", AuditEventPage{Events: []AuditEvent{sampleAuditEvent()}, NextAfterSeq: 7}, "listAuditEvents"},
		{"Access", Access{At: sampleAt, Actor: sampleActor(), Action: "READ", Purpose: "UNSCHEDULED_CARE", BreakGlass: true}, "part of AccessHistory"},
		{"AccessHistory", AccessHistory{ChildID: sampleChildID, Accesses: []Access{{
			At: sampleAt, Actor: sampleActor(), Action: "SEARCH", Purpose: "SAFEGUARDING_CONCERN", BreakGlass: false,
		}}}, "getAccessHistory"},
		{"CodeSystem", CodeSystem{Name: "gender", Version: "2024.1"}, "part of Meta"},
		{"Meta", Meta{
			APIVersion: APIVersion, Product: "Synthetic ICS 4.2",
			CodeSystems: []CodeSystem{{Name: "gender", Version: "2024.1"}}, Capabilities: []string{"test-clock"},
		}, "getMeta"},
		{"LocalAuthority", LocalAuthority{
			DfeCode: "909", GssCode: "E10000006", Name: "Cumbria", Status: "TERMINATED",
			OperatingFrom: "1974-04-01", TerminatedOn: "2023-03-31", Successors: []string{"942", "943"},
		}, "part of LocalAuthorityList"},
		{"LocalAuthorityList", LocalAuthorityList{LocalAuthorities: []LocalAuthority{{
			DfeCode: "909", GssCode: "E10000006", Name: "Cumbria", Status: "TERMINATED",
			OperatingFrom: "1974-04-01", TerminatedOn: "2023-03-31", Successors: []string{"942", "943"},
		}}}, "listLocalAuthorities"},
		{"FieldError", sampleProblem().Errors[0], "part of Problem"},
		{"Problem", sampleProblem(), "every error response"},
		{"Transfer", sampleTransfer(), "every transfer response"},
		{"Subscription", Subscription{
			ID: "s0a8012e-7d3f", URL: "https://receiver.example/hooks", EventTypes: []string{"RECORD_ACCESSED"},
			La: "202", CreatedAt: sampleAt, Deliveries: &DeliveryCounts{Pending: 1, Delivered: 2, Dead: 1},
			DeadLetters: []DeadLetter{{
				EventID: "evt-0001", Seq: 1, Type: "RECORD_ACCESSED", ChildID: sampleChildID, Attempts: 8,
				LastAttemptAt: sampleAt, LastStatus: 500, LastError: "no answer: timed out",
			}},
		}, "createSubscription, getSubscription"},
		{"DeliveryStatus", sampleDeliveryStatus(), "part of Transfer"},
		{"TestClock", TestClock{Now: sampleAt, OffsetSeconds: 86400}, "advanceTestClock"},
		{"Notification", Notification{
			EventID: "evt-0001", Seq: 1, Type: "RECORD_ACCESSED", OccurredAt: sampleAt, ChildID: sampleChildID, La: "202",
		}, "webhook delivery body"},
		{"Health", Health{Status: "ok"}, "getHealth"},
	}
}

// requestSamples pairs each request body type (and its parts) with its component schema.
func requestSamples() []struct {
	schema string
	value  any
	reason string
} {
	la := LocalAuthorityRef{DfeCode: "202", GssCode: "E09000007", Name: "Camden"}
	return []struct {
		schema string
		value  any
		reason string
	}{
		{"NameInput", sampleName(), "part of NewChild"},
		{"IdentifierInput", Identifier{System: "NHS_NUMBER", Value: "999 000 0018", Status: "CURRENT", Verified: true}, "spaces are accepted on input (ID-001)"},
		{"AddressInput", *sampleAddress(), "part of NewChild"},
		{"ContactInput", *sampleContact(), "part of several"},
		{"LocalAuthorityRefInput", la, "part of NewChild and NewTransfer"},
		{"RelatedPersonInput", sampleRelatedPerson(), "part of NewChild"},
		{"OrganisationInput", *sampleOrganisation(), "part of NewInvolvement"},
		{"PractitionerInput", *samplePractitioner(), "part of NewInvolvement"},
		{"IndicatorContactInput", *sampleIndicatorContact(), "part of NewIndicator"},
		{"NewChild", NewChild{
			Name: sampleName(), FormerNames: []Name{{Given: []string{"Zoe"}, Family: "Smith"}}, Gender: "FEMALE",
			DateOfBirth: "2015-12-25", ExpectedDateOfBirth: "2015-12-20", Identifiers: []Identifier{sampleIdentifier()},
			Address: sampleAddress(), Whereabouts: "KNOWN_ADDRESS", ResponsibleLa: &la,
			ParentsCarers: []RelatedPerson{sampleRelatedPerson()},
		}, "createChild"},
		{"ChildPatch", ChildPatch{
			Name: ptr(sampleName()), FormerNames: []Name{{Given: []string{"Zoe"}, Family: "Smith"}}, Gender: "NOT_SPECIFIED",
			DateOfBirth: "2015-12-25", ExpectedDateOfBirth: "2015-12-20", DateOfDeath: "2024-01-01",
			Identifiers: []Identifier{sampleIdentifier()}, Address: sampleAddress(), Whereabouts: "LEFT_ENGLAND_INTENDS_RETURN",
			ParentsCarers: []RelatedPerson{sampleRelatedPerson()},
		}, "updateChild"},
		{"NewInvolvement", NewInvolvement{
			ServiceType: "SENSITIVE_MENTAL_HEALTH", Organisation: sampleOrganisation(), Practitioner: samplePractitioner(),
			StartDate: "2024-09-01", EndDate: "2025-07-20", IsLeadProfessional: true, IsMainSchool: true,
			DisclosureBasis: "CONSENT", ConsentRef: sampleConsID,
		}, "addInvolvement"},
		{"InvolvementPatch", InvolvementPatch{EndDate: "2025-01-01", Organisation: sampleOrganisation(), Practitioner: samplePractitioner()}, "updateInvolvement"},
		{"NewIndicator", NewIndicator{
			Type: "LOOKED_AFTER", StartDate: "2024-01-01", EndDate: "2024-12-31", InvolvementID: sampleInvID,
			Category: "EMO", LegalStatus: "V2", ExpectedDateOfBirth: "2025-05-01", Contact: sampleIndicatorContact(),
		}, "addIndicator"},
		{"IndicatorPatch", IndicatorPatch{EndDate: "2025-01-01", LinkedChildID: sampleOtherID}, "updateIndicator"},
		{"ShieldRequest", ShieldRequest{ReasonCode: "WITNESS_PROTECTION", ReviewDue: "2025-06-01"}, "shieldChild"},
		{"MergeRequest", MergeRequest{MergedID: sampleOtherID}, "mergeChildren"},
		{"NewConsent", NewConsent{Scope: "RETAIN_TO_25", GivenBy: "YOUNG_PERSON", GivenOn: "2024-03-01", RetainToAge: 25}, "recordConsent"},
		{"Withdrawal", Withdrawal{WithdrawnOn: "2024-04-01"}, "withdrawConsent"},
		{"SearchRequest", SearchRequest{
			NhsNumber: "999 000 0018", Upn: "B801200005001", FamilyName: "O'Connor", GivenName: "Zoë", Gender: "FEMALE",
			DateOfBirth: "2015-12-25", DateOfBirthFrom: "2015-01-01", DateOfBirthTo: "2015-12-31", Postcode: "NW1 1AA", MaxResults: 20,
		}, "searchChildren"},
		{"CaseSummaryRef", sampleCaseSummaryRef(), "part of NewTransfer and TransferPackage"},
		{"NewTransfer", NewTransfer{
			ChildID: sampleChildID, ToLa: LocalAuthorityRef{DfeCode: "942", GssCode: "E06000063", Name: "Cumberland"},
			Reason: "CHANGE_OF_ADDRESS", CaseSummaryRefs: []CaseSummaryRef{sampleCaseSummaryRef()},
		}, "proposeTransfer"},
		{"TransferAcceptance", TransferAcceptance{Decision: "REJECTED", RejectionReason: "not our area"}, "acceptTransfer"},
		{"TransferPackage", TransferPackage{
			TransferID: sampleXferID, ChildID: sampleChildID, FromLa: sampleLA(),
			ToLa:   LocalAuthorityRef{DfeCode: "942", GssCode: "E06000063", Name: "Cumberland"},
			Reason: "PLACED_OUT_OF_AREA", ProposedAt: sampleAt, Record: sampleChildRecord(),
			Involvements: []Involvement{sampleInvolvement()}, Indicators: []Indicator{sampleIndicator()},
			Shielding: Shielding{Shielded: true, Since: "2024-01-01", ReviewDue: "2024-07-01", ReasonCode: "ADOPTION"},
			Consents:  []Consent{sampleConsent()}, CaseSummaryRefs: []CaseSummaryRef{sampleCaseSummaryRef()},
		}, "deliverInboundTransfer"},
		{"TransferOutcome", TransferOutcome{TransferID: sampleXferID, State: "ACCEPTED", DecidedAt: sampleAt, RejectionReason: "n/a"}, "reportInboundOutcome"},
		{"NewSubscription", NewSubscription{
			URL: "https://receiver.example/hooks", EventTypes: []string{"RECORD_ACCESSED", "TRANSFER_COMPLETED"},
			Secret: "0123456789abcdef0123",
		}, "createSubscription"},
		{"TestClockAdvance", TestClockAdvance{Days: 30, Seconds: 60}, "advanceTestClock"},
	}
}

// TestSamplesValidate guards types.go ↔ openapi.yaml drift: every fully populated sample
// validates against its schema, every property the Go type emits is declared (and, being fully
// populated, every declared property is emitted), at every level of nesting.
func TestSamplesValidate(t *testing.T) {
	c := MustLoad()
	all := append(responseSamples(), requestSamples()...)
	for _, tc := range all {
		t.Run(tc.schema, func(t *testing.T) {
			ref := c.Doc.Components.Schemas[tc.schema]
			require.NotNil(t, ref, "schema %s exists (%s)", tc.schema, tc.reason)
			body, err := json.Marshal(tc.value)
			require.NoError(t, err)
			assert.Empty(t, c.ValidateSchema(tc.schema, body), "sample of %s validates (%s)", tc.schema, tc.reason)

			var value any
			require.NoError(t, json.Unmarshal(body, &value))
			sameShape(t, tc.schema, ref.Value, value)
		})
	}
}

// sameShape asserts that at every object in value the property names equal the schema's.
func sameShape(t *testing.T, at string, schema *openapi3.Schema, value any) {
	t.Helper()
	switch v := value.(type) {
	case map[string]any:
		if len(schema.Properties) == 0 {
			return
		}
		got := make([]string, 0, len(v))
		for k := range v {
			got = append(got, k)
		}
		want := make([]string, 0, len(schema.Properties))
		for k := range schema.Properties {
			want = append(want, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		assert.Equal(t, want, got, "properties at %s: schema vs Go (fully populated)", at)
		for k, sub := range v {
			if p := schema.Properties[k]; p != nil && p.Value != nil {
				sameShape(t, at+"."+k, p.Value, sub)
			}
		}
	case []any:
		if schema.Items == nil || schema.Items.Value == nil {
			return
		}
		for _, item := range v {
			sameShape(t, at+"[]", schema.Items.Value, item)
		}
	}
}

// TestRequiredMatchesGo checks that a schema requires exactly the properties its Go type
// always emits (the fields without omitempty), so a zero value shows the required set.
func TestRequiredMatchesGo(t *testing.T) {
	c := MustLoad()
	all := append(responseSamples(), requestSamples()...)
	for _, tc := range all {
		t.Run(tc.schema, func(t *testing.T) {
			ref := c.Doc.Components.Schemas[tc.schema]
			require.NotNil(t, ref)
			zero := reflect.New(reflect.TypeOf(tc.value)).Elem().Interface()
			body, err := json.Marshal(zero)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(body, &m))
			var got []string
			for k := range m {
				got = append(got, k)
			}
			want := slices.Clone(ref.Value.Required)
			sort.Strings(got)
			sort.Strings(want)
			assert.Equal(t, want, got, "required of %s equals the Go fields without omitempty (%s)", tc.schema, tc.reason)
		})
	}
}

// TestRequestSchemasAreClosed checks additionalProperties: false on every request schema, at
// every level, and that response schemas stay open (ERR-003).
func TestRequestSchemasAreClosed(t *testing.T) {
	c := MustLoad()
	for _, tc := range requestSamples() {
		t.Run(tc.schema, func(t *testing.T) {
			closed(t, tc.schema, c.Doc.Components.Schemas[tc.schema], map[string]bool{"TransferPackage": true})
		})
	}
	for _, tc := range responseSamples() {
		s := c.Doc.Components.Schemas[tc.schema].Value
		if tc.schema == "Notification" {
			assert.False(t, s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has,
				"Notification is closed: a notification carries nothing but identifiers (NOTIF-004)")
			continue
		}
		assert.True(t, s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has,
			"response schema %s allows unknown properties (ERR-003)", tc.schema)
	}
}

// closed asserts additionalProperties: false down the tree of ref, except below the
// properties of the schemas in open (whose parts are shared response schemas).
func closed(t *testing.T, at string, ref *openapi3.SchemaRef, open map[string]bool) {
	t.Helper()
	require.NotNil(t, ref)
	s := ref.Value
	if s.Type.Is(openapi3.TypeArray) {
		closed(t, at+"[]", s.Items, open)
		return
	}
	if !s.Type.Is(openapi3.TypeObject) {
		return
	}
	has := s.AdditionalProperties.Has
	assert.True(t, has != nil && !*has, "request schema at %s has additionalProperties: false", at)
	if open[at] {
		return
	}
	for name, p := range s.Properties {
		closed(t, at+"."+name, p, open)
	}
}
