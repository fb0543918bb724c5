package reference

import (
	"errors"
	"regexp"
	"slices"
	"strconv"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/spec"
)

// Patterns of the request formats the server checks.
var (
	idRE       = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)
	postcodeRE = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	gssRE      = regexp.MustCompile(`^[EWSN][0-9]{8}$`)
	noSpaceRE  = regexp.MustCompile(`^[^\s]+$`)
)

// schemas are the request-body validators, one per body of the contract. They are built once
// per server, because identifier and council checks need its council registry. Safe for
// concurrent use.
type schemas struct {
	newChild       node
	childPatch     node
	search         node
	newInvolvement node
	invPatch       node
	newIndicator   node
	indicatorPatch node
	shield         node
	merge          node
	newConsent     node
	withdrawal     node
}

// Per-type fields of NewIndicator (CONTRACT.md, Indicators): the ones a type needs and the
// ones it may carry. Any other of indicatorTypeFields is an unknown property for that type.
var (
	indicatorFields = map[string]struct{ required, optional []string }{
		indLeadProfessional: {required: []string{"involvementId"}},
		indCAF:              {required: []string{"involvementId"}},
		indHasInfo:          {required: []string{"contact"}},
		indCPP:              {required: []string{"category"}, optional: []string{"involvementId"}},
		indLookedAfter:      {required: []string{"legalStatus"}, optional: []string{"involvementId"}},
		indUnbornCPP:        {required: []string{"expectedDateOfBirth"}, optional: []string{"category", "involvementId"}},
	}
	indicatorTypeFields = []string{"involvementId", "category", "legalStatus", "expectedDateOfBirth", "contact"}
)

// notEmpty records REQUIRED at ptr when a PATCH body names nothing to change (minProperties 1).
func notEmpty(e *fieldErrors, ptr string, m map[string]any) {
	if len(m) == 0 {
		e.add(ptr, feRequired, "names nothing to change")
	}
}

// newSchemas builds the validators over a council registry. Limits follow the request
// schemas of spec/openapi.yaml.
func newSchemas(reg *ident.Registry) *schemas { //nolint:funlen // one declaration a request schema: a table, not logic
	id := strNode{max: 64, pattern: idRE}
	name := objNode{props: map[string]prop{
		"given":  {n: arrNode{item: strNode{max: 100}, max: 10}},
		"family": {n: strNode{max: 100}, required: true},
	}}
	contact := objNode{
		props: map[string]prop{
			"phone": {n: strNode{max: 40}},
			"email": {n: strNode{max: 254, pattern: emailRE}},
		},
		after: func(e *fieldErrors, ptr string, m map[string]any) {
			if len(m) == 0 {
				e.add(ptr, feRequired, "needs a phone number or an email address")
			}
		},
	}
	identifier := objNode{
		props: map[string]prop{
			"system":   {n: codeNode{spec.IdentifierSystems}, required: true},
			"value":    {n: strNode{max: 64}, required: true},
			"status":   {n: codeNode{spec.IdentifierStatuses}},
			"verified": {n: boolNode{}},
		},
		after: func(e *fieldErrors, ptr string, m map[string]any) {
			system, okS := str(e, ptr, m, "system")
			value, okV := str(e, ptr, m, "value")
			if okS && okV {
				checkIdentifier(e, reg, pointer(ptr, "value"), system, value)
			}
		},
	}
	address := objNode{
		props: map[string]prop{
			"lines":    {n: arrNode{item: strNode{max: 100}, max: 6}, required: true},
			"town":     {n: strNode{max: 100}},
			"postcode": {n: strNode{max: 8, pattern: postcodeRE}, required: true},
		},
		after: func(e *fieldErrors, ptr string, m map[string]any) {
			if lines, ok := m["lines"].([]any); ok && len(lines) == 0 {
				e.add(pointer(ptr, "lines"), feRequired, "needs at least one line")
			}
		},
	}
	laRef := objNode{
		props: map[string]prop{
			"dfeCode": {n: strNode{max: 64}, required: true},
			"gssCode": {n: strNode{max: 9, pattern: gssRE}},
			"name":    {n: strNode{max: 100}},
		},
		after: func(e *fieldErrors, ptr string, m map[string]any) {
			if dfe, ok := str(e, ptr, m, "dfeCode"); ok {
				checkNewResponsibility(e, reg, pointer(ptr, "dfeCode"), dfe)
			}
		},
	}
	related := objNode{props: map[string]prop{
		"name":                      {n: name, required: true},
		"relationship":              {n: codeNode{spec.Relationships}, required: true},
		"hasParentalResponsibility": {n: boolNode{}},
		"contact":                   {n: contact},
	}}
	childProps := func() map[string]prop {
		return map[string]prop{
			"name":                {n: name},
			"formerNames":         {n: arrNode{item: name, max: 20}},
			"gender":              {n: codeNode{spec.Genders}},
			"dateOfBirth":         {n: dateNode{notFuture: true}},
			"expectedDateOfBirth": {n: dateNode{}},
			"dateOfDeath":         {n: dateNode{notFuture: true}},
			"identifiers":         {n: arrNode{item: identifier, max: 20}},
			"address":             {n: address},
			"whereabouts":         {n: codeNode{spec.Whereabouts}},
			"parentsCarers":       {n: arrNode{item: related, max: 20}},
		}
	}
	newChild := childProps()
	newChild["name"] = prop{n: name, required: true}
	newChild["gender"] = prop{n: codeNode{spec.Genders}, required: true}
	newChild["responsibleLa"] = prop{n: laRef}
	delete(newChild, "dateOfDeath")

	org := objNode{props: map[string]prop{
		"name":    {n: strNode{}, required: true},
		"code":    {n: strNode{max: 64}},
		"contact": {n: contact, required: true},
	}}
	practitioner := objNode{props: map[string]prop{
		"name":    {n: strNode{}, required: true},
		"role":    {n: strNode{max: 100}},
		"contact": {n: contact},
	}}
	indContact := objNode{props: map[string]prop{
		"name":         {n: strNode{}, required: true},
		"organisation": {n: strNode{}, required: true},
		"phone":        {n: strNode{max: 40}},
		"email":        {n: strNode{max: 254, pattern: emailRE}},
	}}

	return &schemas{
		newChild: objNode{
			props: newChild,
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				_, hasDOB := m["dateOfBirth"]
				_, hasEDOB := m["expectedDateOfBirth"]
				if !hasDOB && !hasEDOB {
					e.add(pointer(ptr, "dateOfBirth"), feRequired, "a date of birth or an expected date of birth is required")
				}
				checkIdentifierSet(e, ptr, m)
			},
		},
		childPatch: objNode{
			props:    childProps(),
			readOnly: []string{"id", "version", "status", "mergedInto", "responsibleLa", "shielding", "archive", "indicators"},
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				notEmpty(e, ptr, m)
				dateOrder(e, ptr, m, "dateOfBirth", "dateOfDeath")
				checkIdentifierSet(e, ptr, m)
			},
		},
		search: objNode{
			props: map[string]prop{
				"nhsNumber": {n: strNode{max: 20, extra: func(e *fieldErrors, ptr, s string) {
					checkIdentifier(e, reg, ptr, idNHS, s)
				}}},
				"upn": {n: strNode{max: 20, extra: func(e *fieldErrors, ptr, s string) {
					checkIdentifier(e, reg, ptr, idUPN, s)
				}}},
				"familyName":      {n: strNode{max: 100}},
				"givenName":       {n: strNode{max: 100}},
				"gender":          {n: codeNode{spec.Genders}},
				"dateOfBirth":     {n: dateNode{}},
				"dateOfBirthFrom": {n: dateNode{}},
				"dateOfBirthTo":   {n: dateNode{}},
				"postcode":        {n: strNode{max: 8, pattern: postcodeRE}},
				"maxResults":      {n: intNode{min: 1, max: maxSearchResults}},
			},
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				dateOrder(e, ptr, m, "dateOfBirthFrom", "dateOfBirthTo")
			},
		},
		newInvolvement: objNode{
			props: map[string]prop{
				"serviceType":        {n: codeNode{spec.ServiceTypes}, required: true},
				"organisation":       {n: org, required: true},
				"practitioner":       {n: practitioner},
				"startDate":          {n: dateNode{}, required: true},
				"endDate":            {n: dateNode{}},
				"isLeadProfessional": {n: boolNode{}},
				"isMainSchool":       {n: boolNode{}},
				"disclosureBasis":    {n: codeNode{spec.DisclosureBases}},
				"consentRef":         {n: id},
			},
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				dateOrder(e, ptr, m, "startDate", "endDate")
				checkDisclosureBasis(e, ptr, m)
			},
		},
		invPatch: objNode{
			props: map[string]prop{
				"endDate":      {n: dateNode{}},
				"organisation": {n: org},
				"practitioner": {n: practitioner},
			},
			readOnly: []string{
				"id", "childId", "version", "serviceType", "sensitive", "startDate", "isLeadProfessional",
				"isMainSchool", "disclosureBasis", "consentRef", "providedBy", "contactVia",
			},
			after: notEmpty,
		},
		newIndicator: objNode{
			props: map[string]prop{
				"type":                {n: codeNode{spec.IndicatorTypes}, required: true},
				"startDate":           {n: dateNode{}, required: true},
				"endDate":             {n: dateNode{}},
				"involvementId":       {n: id},
				"category":            {n: codeNode{spec.CPPCategories}},
				"legalStatus":         {n: codeNode{spec.LegalStatuses}},
				"expectedDateOfBirth": {n: dateNode{}},
				"contact":             {n: indContact},
			},
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				dateOrder(e, ptr, m, "startDate", "endDate")
				checkIndicatorFields(e, ptr, m)
			},
		},
		indicatorPatch: objNode{
			props: map[string]prop{
				"endDate":       {n: dateNode{}},
				"linkedChildId": {n: id},
			},
			readOnly: []string{
				"id", "childId", "version", "type", "startDate", "involvementId", "category",
				"legalStatus", "expectedDateOfBirth", "contact",
			},
			after: notEmpty,
		},
		shield: objNode{props: map[string]prop{
			"reasonCode": {n: codeNode{spec.ShieldReasons}, required: true},
			"reviewDue":  {n: dateNode{}, required: true},
		}},
		merge: objNode{props: map[string]prop{
			"mergedId": {n: id, required: true},
		}},
		newConsent: objNode{
			props: map[string]prop{
				"scope":       {n: codeNode{spec.ConsentScopes}, required: true},
				"givenBy":     {n: codeNode{spec.ConsentGivers}, required: true},
				"givenOn":     {n: dateNode{}, required: true},
				"retainToAge": {n: intNode{min: 19, max: 25}},
			},
			after: func(e *fieldErrors, ptr string, m map[string]any) {
				scope, ok := str(e, ptr, m, "scope")
				_, hasAge := m["retainToAge"]
				switch {
				case ok && scope == scopeRetain && !hasAge:
					e.add(pointer(ptr, "retainToAge"), feRequired, "is required for RETAIN_TO_25")
				case ok && scope != scopeRetain && hasAge:
					e.add(pointer(ptr, "retainToAge"), feUnknownProp, "applies to RETAIN_TO_25 only")
				}
			},
		},
		withdrawal: objNode{props: map[string]prop{
			"withdrawnOn": {n: dateNode{}, required: true},
		}},
	}
}

// checkIdentifier validates an identifier value by its system (ID-001, ID-002).
func checkIdentifier(e *fieldErrors, reg *ident.Registry, ptr, system, value string) {
	switch system {
	case idNHS:
		if ident.CheckNHS(ident.NormaliseNHS(value)) != nil {
			e.add(ptr, feNHS, "is not a valid NHS number")
		}
	case idUPN, idFormer:
		if ident.CheckUPN(ident.NormaliseUPN(value), reg) != nil {
			e.add(ptr, feUPN, "is not a valid UPN")
		}
	default:
		if !noSpaceRE.MatchString(value) {
			e.add(ptr, feFormat, "must not contain white space")
		}
	}
}

// checkNewResponsibility checks that a council may take responsibility for a child (ID-003).
func checkNewResponsibility(e *fieldErrors, reg *ident.Registry, ptr, dfe string) {
	err := reg.CheckNewResponsibility(dfe)
	if err == nil {
		return
	}
	var ie *ident.Error
	if errors.As(err, &ie) && ie.Code == "LA_TERMINATED" {
		e.add(ptr, "LA_TERMINATED", "the council no longer exists; see successors")
		e.successors = append(e.successors, ie.Successors...)
		return
	}
	e.add(ptr, "INVALID_LA_CODE", "is not a known council code")
}

// checkIdentifierSet allows at most one current NHS number and one current UPN, and no value
// twice.
func checkIdentifierSet(e *fieldErrors, ptr string, m map[string]any) {
	list, ok := m["identifiers"].([]any)
	if !ok {
		return
	}
	current := map[string]bool{}
	seen := map[string]bool{}
	for i, item := range list {
		p := pointer(pointer(ptr, "identifiers"), strconv.Itoa(i))
		obj, ok := item.(map[string]any)
		if !ok || !e.ok(p) {
			continue
		}
		system, _ := obj["system"].(string)
		value, _ := obj["value"].(string)
		key := system + "\x00" + normaliseIdentifier(system, value)
		if seen[key] {
			e.add(pointer(p, "value"), feRange, "appears twice")
			continue
		}
		seen[key] = true
		status, _ := obj["status"].(string)
		if (system == idNHS || system == idUPN) && status != idReplaced {
			if current[system] {
				e.add(pointer(p, "status"), feRange, "a record has one current identifier of each system")
			}
			current[system] = true
		}
	}
}

// checkDisclosureBasis applies SENS-001 to a new involvement: a sensitive service needs a
// CONSENT basis with a consentRef, or SIGNIFICANT_HARM. Whether the consent is current is
// checked against the store later.
func checkDisclosureBasis(e *fieldErrors, ptr string, m map[string]any) {
	service, okS := str(e, ptr, m, "serviceType")
	basis, okB := str(e, ptr, m, "disclosureBasis")
	if _, present := m["disclosureBasis"]; !present {
		basis, okB = basisStatutory, true
	}
	if !okS || !okB {
		return
	}
	_, hasRef := m["consentRef"]
	switch {
	case isSensitiveService(service) && basis == basisStatutory:
		e.add(pointer(ptr, "disclosureBasis"), feBasis, "a sensitive service needs a CONSENT or SIGNIFICANT_HARM basis")
	case basis == basisConsent && !hasRef && isSensitiveService(service):
		e.add(pointer(ptr, "consentRef"), feBasis, "a CONSENT basis needs a consentRef")
	case basis == basisConsent && !hasRef:
		e.add(pointer(ptr, "consentRef"), feRequired, "a CONSENT basis needs a consentRef")
	}
}

// checkIndicatorFields applies the per-type fields of an indicator: a type's required fields
// must be present, and fields of other types are unknown properties (FLAG-002, FLAG-005).
func checkIndicatorFields(e *fieldErrors, ptr string, m map[string]any) {
	typ, ok := str(e, ptr, m, "type")
	if !ok {
		return
	}
	rule := indicatorFields[typ]
	for _, f := range indicatorTypeFields {
		_, present := m[f]
		required := slices.Contains(rule.required, f)
		allowed := required || slices.Contains(rule.optional, f)
		switch {
		case present && !allowed:
			e.add(pointer(ptr, f), feUnknownProp, "is not a property of a "+typ+" indicator")
		case !present && required:
			e.add(pointer(ptr, f), feRequired, "is required for a "+typ+" indicator")
		}
	}
}
