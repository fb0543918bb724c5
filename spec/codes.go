package spec

// CodeList is one published code system: its name, version and allowed values.
type CodeList struct {
	Name    string
	Version string
	Values  []string
}

// Has reports whether v is one of the list's values.
func (c CodeList) Has(v string) bool {
	for _, x := range c.Values {
		if x == v {
			return true
		}
	}
	return false
}

// Code lists of the API. The OpenAPI document's enums must match these exactly; a test checks
// it. Their versions are published by GET /v1/meta and named in UNKNOWN_CODE errors.
var (
	Genders            = CodeList{"gender", "2024.1", []string{"NOT_KNOWN", "MALE", "FEMALE", "NOT_SPECIFIED"}}
	RecordStatuses     = CodeList{"record-status", "1.0", []string{"ACTIVE", "DECEASED", "ARCHIVED", "MERGED", "SUPERSEDED_NEW_IDENTITY"}}
	IdentifierSystems  = CodeList{"identifier-system", "1.0", []string{"NHS_NUMBER", "UPN", "FORMER_UPN", "LA_CHILD_ID"}}
	IdentifierStatuses = CodeList{"identifier-status", "1.0", []string{"CURRENT", "SUPERSEDED"}}
	Whereabouts        = CodeList{"whereabouts", "1.0", []string{"KNOWN_ADDRESS", "NO_KNOWN_ADDRESS", "LEFT_ENGLAND_INTENDS_RETURN", "LEFT_ENGLAND_NOT_RETURNING", "LEFT_ENGLAND_INTENTION_UNKNOWN"}}
	Relationships      = CodeList{"relationship", "1.0", []string{"MOTHER", "FATHER", "STEP_PARENT", "GRANDPARENT", "SIBLING", "FOSTER_CARER", "GUARDIAN", "OTHER_RELATIVE", "OTHER"}}
	ServiceTypes       = CodeList{"service-type", "1.0", []string{
		"EDUCATION", "GP", "HEALTH_VISITOR", "SCHOOL_NURSE", "CHILDRENS_SOCIAL_CARE", "YOUTH_OFFENDING",
		"POLICE", "VOLUNTARY_SECTOR", "HOUSING",
		"SENSITIVE_SEXUAL_HEALTH", "SENSITIVE_MENTAL_HEALTH", "SENSITIVE_SUBSTANCE_MISUSE",
	}}
	DisclosureBases = CodeList{"disclosure-basis", "1.0", []string{"STATUTORY", "CONSENT", "SIGNIFICANT_HARM"}}
	IndicatorTypes  = CodeList{"indicator-type", "1.0", []string{
		"LEAD_PROFESSIONAL", "CAF_UNDERTAKEN", "HAS_INFORMATION_TO_SHARE",
		"CHILD_PROTECTION_PLAN", "LOOKED_AFTER", "UNBORN_CHILD_PROTECTION_PLAN",
	}}
	CPPCategories     = CodeList{"cpp-category", "2024.1", []string{"NEG", "PHY", "SAB", "EMO", "MUL"}}
	LegalStatuses     = CodeList{"looked-after-legal-status", "2024.1", []string{"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V1", "V2", "V3", "V4"}}
	ConsentScopes     = CodeList{"consent-scope", "1.0", []string{"SENSITIVE_SERVICE_DISCLOSURE", "RETAIN_TO_25"}}
	ConsentGivers     = CodeList{"consent-giver", "1.0", []string{"CHILD", "YOUNG_PERSON", "PARENT_WITH_PR"}}
	ShieldReasons     = CodeList{"shield-reason", "1.0", []string{"DOMESTIC_ABUSE", "ADOPTION", "WITNESS_PROTECTION", "HONOUR_BASED_VIOLENCE", "OTHER_RISK_OF_HARM"}}
	Purposes          = CodeList{"purpose-of-use", "1.0", []string{"SAFEGUARDING_CONCERN", "SERVICE_COORDINATION", "UNSCHEDULED_CARE", "SCHEDULED_CARE_SILENT", "S47_ENQUIRY", "SERIOUS_CASE_REVIEW", "BREAK_GLASS"}}
	Roles             = CodeList{"role", "1.0", []string{"PRACTITIONER", "SOCIAL_WORKER", "HEALTH_UNSCHEDULED", "LA_MANAGEMENT", "AUDITOR", "SYSTEM"}}
	Sectors           = CodeList{"sector", "1.0", []string{"EDUCATION", "HEALTH", "SOCIAL_CARE", "YOUTH_JUSTICE", "POLICE", "VOLUNTARY", "LA"}}
	TransferReasons   = CodeList{"transfer-reason", "1.0", []string{"CHANGE_OF_ADDRESS", "PLACED_OUT_OF_AREA", "SUCCESSOR_AUTHORITY", "DATA_CORRECTION"}}
	TransferStates    = CodeList{"transfer-state", "1.0", []string{"PROPOSED", "ACCEPTED", "REJECTED", "WITHDRAWN", "COMPLETED"}}
	NotificationTypes = CodeList{"notification-type", "1.0", []string{
		"RECORD_ACCESSED", "INVOLVEMENT_ADDED", "INVOLVEMENT_ENDED", "INDICATOR_SET", "INDICATOR_ENDED",
		"TRANSFER_PROPOSED", "TRANSFER_ACCEPTED", "TRANSFER_COMPLETED", "SHIELD_REVIEW_DUE",
		"RECORD_MERGED", "IDENTIFIER_SUPERSEDED", "CHILD_DECEASED",
	}}
)

// CodeLists is every published code system, in the order GET /v1/meta lists them.
var CodeLists = []CodeList{
	Genders, RecordStatuses, IdentifierSystems, IdentifierStatuses, Whereabouts, Relationships,
	ServiceTypes, DisclosureBases, IndicatorTypes, CPPCategories, LegalStatuses, ConsentScopes,
	ConsentGivers, ShieldReasons, Purposes, Roles, Sectors, TransferReasons, TransferStates,
	NotificationTypes,
}

// ErrorCode is one entry of the published registry of problem codes.
type ErrorCode struct {
	Code   string
	Status int
	Title  string
}

// ErrorCodes is the published registry of top-level problem codes (ERR-001). A problem's
// status must be the one given here. The OpenAPI document publishes the same registry under
// x-error-codes; a test checks they agree.
var ErrorCodes = []ErrorCode{
	{"MALFORMED_JSON", 400, "The request body is not valid JSON"},
	{"INVALID_HEADER", 400, "A request header is malformed"},
	{"INVALID_PARAMETER", 400, "A path or query parameter is malformed"},
	{"PURPOSE_REQUIRED", 400, "A purpose of use is required"},
	{"BREAK_GLASS_REASON_REQUIRED", 400, "Break-glass access needs a reason"},
	{"INSUFFICIENT_SEARCH_CRITERIA", 400, "The search criteria are not specific enough"},
	{"UNAUTHENTICATED", 401, "Authentication is required"},
	{"FORBIDDEN", 403, "The caller may not do this"},
	{"ARCHIVE_ACCESS_RESTRICTED", 403, "Archived records need a statutory purpose"},
	{"NOT_FOUND", 404, "No such resource"},
	{"METHOD_NOT_ALLOWED", 405, "The method is not allowed on this resource"},
	{"NOT_ACCEPTABLE", 406, "No acceptable representation"},
	{"DUPLICATE_CANDIDATE", 409, "A record with this identifier already exists"},
	{"CONSENT_ALREADY_WITHDRAWN", 409, "The consent is already withdrawn"},
	{"INVALID_STATE", 409, "The resource is not in a state that allows this"},
	{"GONE", 410, "The record has been purged"},
	{"PRECONDITION_FAILED", 412, "The If-Match version is not current"},
	{"PAYLOAD_TOO_LARGE", 413, "The request body is too large"},
	{"UNSUPPORTED_MEDIA_TYPE", 415, "The request body has an unsupported media type"},
	{"VALIDATION_FAILED", 422, "The request has invalid fields"},
	{"UNKNOWN_PROPERTY", 422, "The request has properties the API does not define"},
	{"UNKNOWN_CODE", 422, "The request uses a code the code system does not define"},
	{"INVALID_NHS_NUMBER", 422, "The NHS number is not valid"},
	{"INVALID_UPN", 422, "The UPN is not valid"},
	{"INVALID_LA_CODE", 422, "The council code is not known"},
	{"LA_TERMINATED", 422, "The council no longer exists"},
	{"TOO_MANY_MATCHES", 422, "The search matched too many records"},
	{"DISCLOSURE_BASIS_REQUIRED", 422, "A sensitive service needs a consent or significant-harm basis"},
	{"READ_ONLY_FIELD", 422, "The request changes a field that cannot be changed this way"},
	{"IDEMPOTENCY_KEY_REUSED", 422, "The Idempotency-Key was used with a different request"},
	{"PRECONDITION_REQUIRED", 428, "If-Match is required"},
	{"RATE_LIMITED", 429, "Too many requests"},
	{"INTERNAL_ERROR", 500, "The server failed"},
	{"SERVICE_UNAVAILABLE", 503, "The service is unavailable"},
}

// FieldErrorCodes are the codes a FieldError may carry. INVALID_NHS_NUMBER, INVALID_UPN,
// INVALID_LA_CODE, LA_TERMINATED, UNKNOWN_CODE and UNKNOWN_PROPERTY double as top-level codes
// when every field error of a problem shares them.
var FieldErrorCodes = []string{
	"REQUIRED", "INVALID_TYPE", "INVALID_FORMAT", "INVALID_DATE", "TOO_LONG", "OUT_OF_RANGE",
	"DATE_ORDER", "UNKNOWN_PROPERTY", "UNKNOWN_CODE", "INVALID_NHS_NUMBER", "INVALID_UPN",
	"INVALID_LA_CODE", "LA_TERMINATED", "READ_ONLY_FIELD", "DISCLOSURE_BASIS_REQUIRED",
}

// LookupError returns the registry entry for code.
func LookupError(code string) (ErrorCode, bool) {
	for _, e := range ErrorCodes {
		if e.Code == code {
			return e, true
		}
	}
	return ErrorCode{}, false
}
