package reference

// Roles, sectors, purposes and other code values the server's rules name. The full code
// lists live in package spec.
const (
	rolePractitioner      = "PRACTITIONER"
	roleSocialWorker      = "SOCIAL_WORKER"
	roleHealthUnscheduled = "HEALTH_UNSCHEDULED"
	roleLAManagement      = "LA_MANAGEMENT"
	roleAuditor           = "AUDITOR"
	roleSystem            = "SYSTEM"

	sectorEducation = "EDUCATION"
	sectorHealth    = "HEALTH"

	purposeScheduledSilent = "SCHEDULED_CARE_SILENT"
	purposeS47             = "S47_ENQUIRY"
	purposeSeriousCase     = "SERIOUS_CASE_REVIEW"
	purposeBreakGlass      = "BREAK_GLASS"

	statusActive     = "ACTIVE"
	statusDeceased   = "DECEASED"
	statusArchived   = "ARCHIVED"
	statusMerged     = "MERGED"
	statusSuperseded = "SUPERSEDED_NEW_IDENTITY"

	idNHS      = "NHS_NUMBER"
	idUPN      = "UPN"
	idFormer   = "FORMER_UPN"
	idLAChild  = "LA_CHILD_ID"
	idCurrent  = "CURRENT"
	idReplaced = "SUPERSEDED"

	serviceEducation = "EDUCATION"
	serviceGP        = "GP"

	basisStatutory = "STATUTORY"
	basisConsent   = "CONSENT"
	basisHarm      = "SIGNIFICANT_HARM"

	indLeadProfessional = "LEAD_PROFESSIONAL"
	indCAF              = "CAF_UNDERTAKEN"
	indHasInfo          = "HAS_INFORMATION_TO_SHARE"
	indCPP              = "CHILD_PROTECTION_PLAN"
	indLookedAfter      = "LOOKED_AFTER"
	indUnbornCPP        = "UNBORN_CHILD_PROTECTION_PLAN"

	scopeSensitive = "SENSITIVE_SERVICE_DISCLOSURE"
	scopeRetain    = "RETAIN_TO_25"

	contactViaManagement = "LA_MANAGEMENT"

	noteAccessed        = "RECORD_ACCESSED"
	noteInvolvementAdd  = "INVOLVEMENT_ADDED"
	noteInvolvementEnd  = "INVOLVEMENT_ENDED"
	noteIndicatorSet    = "INDICATOR_SET"
	noteIndicatorEnd    = "INDICATOR_ENDED"
	noteShieldReview    = "SHIELD_REVIEW_DUE"
	noteMerged          = "RECORD_MERGED"
	noteIdentifierSuper = "IDENTIFIER_SUPERSEDED"
	noteDeceased        = "CHILD_DECEASED"
)

// Tiers of disclosure (DOMAIN.md §3), as named in audit events.
const (
	tier1 = "T1"
	tier2 = "T2"
	tier3 = "T3"
	tier4 = "T4"
	tier5 = "T5"
	tier6 = "T6"
)

// defaultArchiveAge is the age at which a record is archived without a RETAIN_TO_25 consent.
const defaultArchiveAge = 18

// isT5Indicator reports whether an indicator type is protection status (tier T5).
func isT5Indicator(t string) bool {
	return t == indCPP || t == indLookedAfter || t == indUnbornCPP
}

// isSensitiveService reports whether a service type is a sensitive service (tier T4).
func isSensitiveService(t string) bool {
	return t == "SENSITIVE_SEXUAL_HEALTH" || t == "SENSITIVE_MENTAL_HEALTH" || t == "SENSITIVE_SUBSTANCE_MISUSE"
}
