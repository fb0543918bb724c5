package reference

import (
	"net/http"
	"regexp"

	"github.com/icscert/icscert/spec"
)

// Patterns of the exchange's request formats.
var (
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	webhookRE = regexp.MustCompile(`^https?://`)
)

// exchangeResources are the paths of transfers, inbound deliveries, subscriptions and, with
// the capability, the test clock.
func (s *Server) exchangeResources() []resource {
	reg := s.councils
	id := strNode{max: 64, pattern: idRE}
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
	caseRef := objNode{props: map[string]prop{
		"type":   {n: strNode{max: 64}, required: true},
		"title":  {n: strNode{max: 200}, required: true},
		"date":   {n: dateNode{}, required: true},
		"sha256": {n: strNode{max: 64, pattern: sha256RE}, required: true},
	}}
	newTransfer := objNode{props: map[string]prop{
		"childId":         {n: id, required: true},
		"toLa":            {n: laRef, required: true},
		"reason":          {n: codeNode{spec.TransferReasons}, required: true},
		"caseSummaryRefs": {n: arrNode{item: caseRef, max: 100}},
	}}
	decisions := spec.CodeList{Name: spec.TransferStates.Name, Version: spec.TransferStates.Version, Values: []string{stateACCEPTED, stateREJECTED}}
	acceptance := objNode{
		props: map[string]prop{
			"decision":        {n: codeNode{decisions}, required: true},
			"rejectionReason": {n: strNode{max: 500}},
		},
	}
	outcome := objNode{props: map[string]prop{
		"transferId":      {n: id, required: true},
		"state":           {n: codeNode{decisions}, required: true},
		"decidedAt":       {n: strNode{max: 40, pattern: instantRE}, required: true},
		"rejectionReason": {n: strNode{max: 500}},
	}}
	newSubscription := objNode{
		props: map[string]prop{
			"url":        {n: strNode{max: 2048, pattern: webhookRE}, required: true},
			"eventTypes": {n: arrNode{item: codeNode{spec.NotificationTypes}, max: len(spec.NotificationTypes.Values)}, required: true},
			"secret":     {n: strNode{max: 256}, required: true},
		},
		after: func(e *fieldErrors, ptr string, m map[string]any) {
			if types, ok := m["eventTypes"].([]any); ok && len(types) == 0 {
				e.add(pointer(ptr, "eventTypes"), feRequired, "needs at least one event type")
			}
			if secret, ok := str(e, ptr, m, "secret"); ok && len(secret) < 16 {
				e.add(pointer(ptr, "secret"), feFormat, "must be at least 16 characters")
			}
		},
	}
	system := []string{roleSystem}
	out := []resource{
		{path: "/v1/transfers", ops: map[string]*op{
			http.MethodPost: {action: "PROPOSE_TRANSFER", roles: managers, body: newTransfer, idem: true, run: (*call).proposeTransfer},
		}},
		{path: "/v1/transfers/{id}", ops: map[string]*op{
			http.MethodGet: {action: "READ_TRANSFER", roles: managers, pathID: true, run: (*call).getTransfer},
		}},
		{path: "/v1/transfers/{id}/acceptance", ops: map[string]*op{
			http.MethodPost: {action: "DECIDE_TRANSFER", roles: managers, body: acceptance, idem: true, pathID: true, run: (*call).acceptTransfer},
		}},
		{path: "/v1/inbound/transfers", ops: map[string]*op{
			http.MethodPost: {action: "RECEIVE_TRANSFER", roles: system, body: schemaNode{"TransferPackage"}, idem: true, run: (*call).deliverInbound},
		}},
		{path: "/v1/inbound/transfers/{id}/outcome", ops: map[string]*op{
			http.MethodPost: {action: "RECEIVE_TRANSFER_OUTCOME", roles: system, body: outcome, idem: true, pathID: true, run: (*call).reportOutcome},
		}},
		{path: "/v1/subscriptions", ops: map[string]*op{
			http.MethodPost: {action: "CREATE_SUBSCRIPTION", roles: writers, body: newSubscription, idem: true, run: (*call).createSubscription},
		}},
		{path: "/v1/subscriptions/{id}", ops: map[string]*op{
			http.MethodGet: {action: "READ_SUBSCRIPTION", roles: writers, pathID: true, run: (*call).getSubscription},
		}},
	}
	if s.offset != nil {
		advance := objNode{
			props: map[string]prop{
				"days":    {n: intNode{min: 1, max: 3660}},
				"seconds": {n: intNode{min: 1, max: 316224000}},
			},
			after: notEmpty,
		}
		out = append(out, resource{path: "/v1/test-clock", ops: map[string]*op{
			http.MethodGet:  {action: "READ_TEST_CLOCK", run: (*call).getTestClock},
			http.MethodPost: {action: "ADVANCE_TEST_CLOCK", body: advance, run: (*call).advanceTestClock},
		}})
	}
	return out
}

// instantRE is the shape of an Instant: RFC 3339 in UTC.
var instantRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
