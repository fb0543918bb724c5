package spec

// This file holds the wire types of the Child Record Exchange API v1. The OpenAPI document
// (openapi.yaml) describes exactly these shapes; CONTRACT.md records the decisions behind them.
// Optional fields are pointers or omitempty so that a filtered field is absent, never null.

// APIVersion is the version of the Child Record Exchange API this package describes.
const APIVersion = "1.0.0"

// Date is a calendar date in the form YYYY-MM-DD. It is never converted across time zones.
type Date = string

// Name is a person's name as given; it round-trips byte for byte.
type Name struct {
	Given  []string `json:"given,omitempty"`
	Family string   `json:"family"`
}

// Identifier is one sector identifier of a child.
type Identifier struct {
	System   string `json:"system"`           // NHS_NUMBER, UPN, FORMER_UPN, LA_CHILD_ID
	Value    string `json:"value"`            // normalised: no spaces, upper case
	Status   string `json:"status,omitempty"` // CURRENT (default) or SUPERSEDED
	Verified bool   `json:"verified"`
}

// Address is a postal address (tier T2).
type Address struct {
	Lines    []string `json:"lines"`
	Town     string   `json:"town,omitempty"`
	Postcode string   `json:"postcode"`
}

// Contact is how to reach a person or organisation (tier T2, or T4 for sensitive services).
type Contact struct {
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// LocalAuthorityRef names the council responsible for a child.
type LocalAuthorityRef struct {
	DfeCode string `json:"dfeCode"`
	GssCode string `json:"gssCode,omitempty"`
	Name    string `json:"name,omitempty"`
}

// Shielding says whether a record is shielded. Only the responsible council's management sees
// more than Shielded.
type Shielding struct {
	Shielded   bool   `json:"shielded"`
	Since      Date   `json:"since,omitempty"`
	ReviewDue  Date   `json:"reviewDue,omitempty"`
	ReasonCode string `json:"reasonCode,omitempty"`
}

// Archive says when a record is, or was, archived (tier T6).
type Archive struct {
	ArchiveAtAge int  `json:"archiveAtAge"`
	ArchivedOn   Date `json:"archivedOn,omitempty"`
}

// RelatedPerson is a parent or carer. Name and relationship are T1; the rest is T2.
type RelatedPerson struct {
	Name                      Name     `json:"name"`
	Relationship              string   `json:"relationship"`
	HasParentalResponsibility *bool    `json:"hasParentalResponsibility,omitempty"`
	Contact                   *Contact `json:"contact,omitempty"`
}

// ChildRecord is the record of one child as a caller may see it.
type ChildRecord struct {
	ID                  string             `json:"id"`
	Version             int64              `json:"version"`
	Status              string             `json:"status"`
	MergedInto          string             `json:"mergedInto,omitempty"`
	Name                Name               `json:"name"`
	FormerNames         []Name             `json:"formerNames,omitempty"`
	Gender              string             `json:"gender"`
	DateOfBirth         Date               `json:"dateOfBirth,omitempty"`
	ExpectedDateOfBirth Date               `json:"expectedDateOfBirth,omitempty"`
	DateOfDeath         Date               `json:"dateOfDeath,omitempty"`
	Identifiers         []Identifier       `json:"identifiers,omitempty"`
	Address             *Address           `json:"address,omitempty"`
	Whereabouts         string             `json:"whereabouts,omitempty"`
	ResponsibleLa       *LocalAuthorityRef `json:"responsibleLa,omitempty"`
	Shielding           *Shielding         `json:"shielding,omitempty"`
	Archive             *Archive           `json:"archive,omitempty"`
	ParentsCarers       []RelatedPerson    `json:"parentsCarers,omitempty"`
	Indicators          []Indicator        `json:"indicators,omitempty"`
}

// NewChild is the body of POST /v1/children. ResponsibleLa defaults to the caller's council.
type NewChild struct {
	Name                Name               `json:"name"`
	FormerNames         []Name             `json:"formerNames,omitempty"`
	Gender              string             `json:"gender"`
	DateOfBirth         Date               `json:"dateOfBirth,omitempty"`
	ExpectedDateOfBirth Date               `json:"expectedDateOfBirth,omitempty"`
	Identifiers         []Identifier       `json:"identifiers,omitempty"`
	Address             *Address           `json:"address,omitempty"`
	Whereabouts         string             `json:"whereabouts,omitempty"`
	ResponsibleLa       *LocalAuthorityRef `json:"responsibleLa,omitempty"`
	ParentsCarers       []RelatedPerson    `json:"parentsCarers,omitempty"`
}

// Organisation is the service provider behind an involvement.
type Organisation struct {
	Name    string  `json:"name"`
	Code    string  `json:"code,omitempty"`
	Contact Contact `json:"contact"`
}

// Practitioner is the named worker behind an involvement.
type Practitioner struct {
	Name    string   `json:"name"`
	Role    string   `json:"role,omitempty"`
	Contact *Contact `json:"contact,omitempty"`
}

// Involvement is a service working with a child. In brokered form (CONTRACT.md) Organisation,
// Practitioner, DisclosureBasis and ConsentRef are absent and ContactVia is LA_MANAGEMENT.
type Involvement struct {
	ID                 string        `json:"id"`
	ChildID            string        `json:"childId"`
	Version            int64         `json:"version"`
	ServiceType        string        `json:"serviceType"`
	Sensitive          bool          `json:"sensitive"`
	Organisation       *Organisation `json:"organisation,omitempty"`
	Practitioner       *Practitioner `json:"practitioner,omitempty"`
	StartDate          Date          `json:"startDate"`
	EndDate            Date          `json:"endDate,omitempty"`
	IsLeadProfessional bool          `json:"isLeadProfessional"`
	IsMainSchool       bool          `json:"isMainSchool,omitempty"`
	DisclosureBasis    string        `json:"disclosureBasis,omitempty"`
	ConsentRef         string        `json:"consentRef,omitempty"`
	ProvidedBy         string        `json:"providedBy,omitempty"` // org claim of the adder
	ContactVia         string        `json:"contactVia,omitempty"` // LA_MANAGEMENT when brokered
}

// NewInvolvement is the body of POST /v1/children/{id}/involvements.
type NewInvolvement struct {
	ServiceType        string        `json:"serviceType"`
	Organisation       *Organisation `json:"organisation"`
	Practitioner       *Practitioner `json:"practitioner,omitempty"`
	StartDate          Date          `json:"startDate"`
	EndDate            Date          `json:"endDate,omitempty"`
	IsLeadProfessional bool          `json:"isLeadProfessional,omitempty"`
	IsMainSchool       bool          `json:"isMainSchool,omitempty"`
	DisclosureBasis    string        `json:"disclosureBasis,omitempty"`
	ConsentRef         string        `json:"consentRef,omitempty"`
}

// InvolvementList is the body of GET /v1/children/{id}/involvements.
type InvolvementList struct {
	Involvements []Involvement `json:"involvements"`
}

// IndicatorContact is whom to contact for HAS_INFORMATION_TO_SHARE.
type IndicatorContact struct {
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
	Phone        string `json:"phone,omitempty"`
	Email        string `json:"email,omitempty"`
}

// Indicator is a flag on a child's record. Which optional fields apply depends on Type.
type Indicator struct {
	ID                  string            `json:"id"`
	ChildID             string            `json:"childId"`
	Version             int64             `json:"version"`
	Type                string            `json:"type"`
	StartDate           Date              `json:"startDate"`
	EndDate             Date              `json:"endDate,omitempty"`
	InvolvementID       string            `json:"involvementId,omitempty"`
	Category            string            `json:"category,omitempty"`
	LegalStatus         string            `json:"legalStatus,omitempty"`
	ExpectedDateOfBirth Date              `json:"expectedDateOfBirth,omitempty"`
	LinkedChildID       string            `json:"linkedChildId,omitempty"`
	Contact             *IndicatorContact `json:"contact,omitempty"`
}

// NewIndicator is the body of POST /v1/children/{id}/indicators.
type NewIndicator struct {
	Type                string            `json:"type"`
	StartDate           Date              `json:"startDate"`
	EndDate             Date              `json:"endDate,omitempty"`
	InvolvementID       string            `json:"involvementId,omitempty"`
	Category            string            `json:"category,omitempty"`
	LegalStatus         string            `json:"legalStatus,omitempty"`
	ExpectedDateOfBirth Date              `json:"expectedDateOfBirth,omitempty"`
	Contact             *IndicatorContact `json:"contact,omitempty"`
}

// IndicatorPatch is the body of PATCH /v1/indicators/{id}.
type IndicatorPatch struct {
	EndDate       Date   `json:"endDate,omitempty"`
	LinkedChildID string `json:"linkedChildId,omitempty"`
}

// ShieldRequest is the body of PUT /v1/children/{id}/shield.
type ShieldRequest struct {
	ReasonCode string `json:"reasonCode"`
	ReviewDue  Date   `json:"reviewDue"`
}

// MergeRequest is the body of POST /v1/children/{survivorId}/merge.
type MergeRequest struct {
	MergedID string `json:"mergedId"`
}

// Consent is a recorded consent. Only withdrawal changes it.
type Consent struct {
	ID            string `json:"id"`
	ChildID       string `json:"childId"`
	Scope         string `json:"scope"`
	GivenBy       string `json:"givenBy"`
	GivenOn       Date   `json:"givenOn"`
	RecordedBy    string `json:"recordedBy"`
	RecordedAt    string `json:"recordedAt"`
	RetainToAge   int    `json:"retainToAge,omitempty"`
	InvolvementID string `json:"involvementId,omitempty"`
	WithdrawnOn   Date   `json:"withdrawnOn,omitempty"`
}

// NewConsent is the body of POST /v1/children/{id}/consents.
type NewConsent struct {
	Scope       string `json:"scope"`
	GivenBy     string `json:"givenBy"`
	GivenOn     Date   `json:"givenOn"`
	RetainToAge int    `json:"retainToAge,omitempty"`
}

// Withdrawal is the body of POST /v1/consents/{id}/withdrawal.
type Withdrawal struct {
	WithdrawnOn Date `json:"withdrawnOn"`
}

// SearchRequest is the body of POST /v1/children/search.
type SearchRequest struct {
	NhsNumber       string `json:"nhsNumber,omitempty"`
	Upn             string `json:"upn,omitempty"`
	FamilyName      string `json:"familyName,omitempty"`
	GivenName       string `json:"givenName,omitempty"`
	Gender          string `json:"gender,omitempty"`
	DateOfBirth     Date   `json:"dateOfBirth,omitempty"`
	DateOfBirthFrom Date   `json:"dateOfBirthFrom,omitempty"`
	DateOfBirthTo   Date   `json:"dateOfBirthTo,omitempty"`
	Postcode        string `json:"postcode,omitempty"`
	MaxResults      int    `json:"maxResults,omitempty"`
}

// SearchResult is the body of a successful search.
type SearchResult struct {
	Results []ChildRecord `json:"results"`
	Count   int           `json:"count"`
}

// Actor is who made a request, from the token's claims.
type Actor struct {
	Sub    string `json:"sub"`
	Role   string `json:"role"`
	Org    string `json:"org"`
	La     string `json:"la"`
	Sector string `json:"sector"`
}

// AuditEvent is one append-only, hash-chained entry of the audit log.
type AuditEvent struct {
	Seq              int64    `json:"seq"`
	At               string   `json:"at"`
	Actor            Actor    `json:"actor"`
	Action           string   `json:"action"`
	Method           string   `json:"method"`
	Path             string   `json:"path"`
	ChildIDs         []string `json:"childIds"`
	Purpose          string   `json:"purpose,omitempty"`
	BreakGlass       bool     `json:"breakGlass"`
	BreakGlassReason string   `json:"breakGlassReason,omitempty"`
	DisclosedTiers   []string `json:"disclosedTiers"`
	Outcome          string   `json:"outcome"` // SUCCESS, DENIED, UNAUTHENTICATED, NOT_FOUND, INVALID, ERROR
	Status           int      `json:"status"`
	CorrelationID    string   `json:"correlationId"`
	PrevHash         string   `json:"prevHash"`
	Hash             string   `json:"hash"`
}

// AuditEventPage is the body of GET /v1/audit-events.
type AuditEventPage struct {
	Events       []AuditEvent `json:"events"`
	NextAfterSeq int64        `json:"nextAfterSeq"`
}

// Access is one entry of a child's access history.
type Access struct {
	At         string `json:"at"`
	Actor      Actor  `json:"actor"`
	Action     string `json:"action"`
	Purpose    string `json:"purpose"`
	BreakGlass bool   `json:"breakGlass"`
}

// AccessHistory is the body of GET /v1/children/{id}/access-history.
type AccessHistory struct {
	ChildID  string   `json:"childId"`
	Accesses []Access `json:"accesses"`
}

// CodeSystem names one code list and its version.
type CodeSystem struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Meta is the body of GET /v1/meta.
type Meta struct {
	APIVersion   string       `json:"apiVersion"`
	Product      string       `json:"product,omitempty"`
	CodeSystems  []CodeSystem `json:"codeSystems"`
	Capabilities []string     `json:"capabilities"`
}

// LocalAuthority is one council in the reference list.
type LocalAuthority struct {
	DfeCode       string   `json:"dfeCode"`
	GssCode       string   `json:"gssCode"`
	Name          string   `json:"name"`
	Status        string   `json:"status"` // LIVE or TERMINATED
	OperatingFrom Date     `json:"operatingFrom,omitempty"`
	TerminatedOn  Date     `json:"terminatedOn,omitempty"`
	Successors    []string `json:"successors,omitempty"`
}

// LocalAuthorityList is the body of GET /v1/reference/local-authorities.
type LocalAuthorityList struct {
	LocalAuthorities []LocalAuthority `json:"localAuthorities"`
}

// FieldError is one field's failure inside a Problem.
type FieldError struct {
	Pointer           string `json:"pointer"`
	Code              string `json:"code"`
	Detail            string `json:"detail,omitempty"`
	CodeSystem        string `json:"codeSystem,omitempty"`
	CodeSystemVersion string `json:"codeSystemVersion,omitempty"`
}

// Problem is an RFC 9457 problem document with the API's extensions.
type Problem struct {
	Type          string       `json:"type"`
	Title         string       `json:"title"`
	Status        int          `json:"status"`
	Code          string       `json:"code"`
	Detail        string       `json:"detail,omitempty"`
	Errors        []FieldError `json:"errors,omitempty"`
	CorrelationID string       `json:"correlationId"`
	ExistingID    string       `json:"existingId,omitempty"` // DUPLICATE_CANDIDATE
	Successors    []string     `json:"successors,omitempty"` // LA_TERMINATED
}
