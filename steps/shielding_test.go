package steps

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shieldedChildSent is what the harness created the child with: every value in it that locates
// the child is synthetic.
const shieldedChildSent = `{
  "name": {"given": ["Amara"], "family": "Okafor"}, "gender": "FEMALE", "dateOfBirth": "2015-12-31",
  "formerNames": [{"family": "Bramblewick"}],
  "address": {"lines": ["12 Quarry Lane"], "postcode": "ZZ9 4QQ"},
  "identifiers": [{"system": "NHS_NUMBER", "value": "9990000018"}, {"system": "UPN", "value": "A202123456789"}],
  "parentsCarers": [{"name": {"given": ["Ada"], "family": "Okafor"}, "relationship": "MOTHER",
    "contact": {"phone": "07700 900123", "email": "ada.okafor@example.org"}}]
}`

// TestShieldedRecordLeaksByValue: a shielded record may carry members the contract does not
// define (a warning), but none of the locating values the harness stored, under any key.
func TestShieldedRecordLeaksByValue(t *testing.T) {
	const identity = `"id":"child-0001","version":1,"status":"ACTIVE","name":{"given":["Amara"],"family":"Okafor"},` +
		`"gender":"FEMALE","dateOfBirth":"2015-12-31","shielding":{"shielded":true},` +
		`"parentsCarers":[{"name":{"given":["Ada"],"family":"Okafor"},"relationship":"MOTHER"}]`
	cases := []struct {
		reason   string
		record   string
		fails    bool
		warnings int
	}{
		{"identity alone passes", `{` + identity + `}`, false, 0},
		{"a vendor extension without a locating value is a warning", `{` + identity + `,"vendorRef":"VX-00017"}`, false, 1},
		{"an extension inside the shield or a parent is a warning", `{"id":"child-0001","version":1,"status":"ACTIVE",` +
			`"name":{"given":["Amara"],"family":"Okafor"},"gender":"FEMALE","dateOfBirth":"2015-12-31",` +
			`"shielding":{"shielded":true,"vendorCase":"k-17"},"parentsCarers":[{"name":{"family":"Okafor"},"relationship":"MOTHER","vendorId":"p1"}]}`, false, 2},
		{"a school stored for the child fails under any key", `{` + identity + `,"vendorExtra":{"placement":"Larchmere Primary School"}}`, true, 0},
		{"a postcode fails under any key", `{` + identity + `,"meta":{"where":"ZZ9 4QQ"}}`, true, 0},
		{"a former name fails under any key", `{` + identity + `,"aka":"Bramblewick"}`, true, 0},
		{"a parent's telephone number fails under any key", `{` + identity + `,"x":["07700 900123"]}`, true, 0},
		{"a contract member beyond identity fails", `{` + identity + `,"whereabouts":"AT_HOME"}`, true, 0},
	}
	for _, tc := range cases {
		for _, check := range []struct {
			name string
			run  func(w *World) error
		}{
			{"read (SENS-004)", func(w *World) error { return w.expectShieldedIdentity("Amara") }},
			{"search (SEARCH-005)", func(w *World) error { return w.expectIdentityOnly("Amara") }},
		} {
			t.Run(check.name+"/"+tc.reason, func(t *testing.T) {
				w := testWorld(t, http.NotFoundHandler(), nil)
				var sent any
				require.NoError(t, json.Unmarshal([]byte(shieldedChildSent), &sent))
				w.children["Amara"] = &Child{Alias: "Amara", ID: "child-0001", Council: "202", Sent: sent}
				w.records.put("involvement", &scenarioRecord{Name: "school", Child: "Amara", Body: map[string]any{
					"serviceType": "SCHOOL", "organisation": map[string]any{"name": "Larchmere Primary School"},
				}})
				w.Last = &Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(tc.record)}
				err := check.run(w)
				if tc.fails {
					var ae *AssertionError
					require.ErrorAs(t, err, &ae, tc.reason)
				} else {
					require.NoError(t, err, tc.reason)
				}
				warnings := 0
				for _, r := range w.remarks {
					if r.Kind == RemarkWarning {
						warnings++
					}
				}
				assert.Equal(t, tc.warnings, warnings, tc.reason)
			})
		}
	}
}
