package fidelity

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// base is a sender's snapshot with every section: the shapes of a TransferPackage.
const base = `{
 "record": {"id": "c-1", "version": 3, "status": "ACTIVE", "name": {"given": ["Ada", "Maria"], "family": "Example"},
   "gender": "FEMALE", "dateOfBirth": "2016-03-14",
   "identifiers": [{"system": "NHS_NUMBER", "value": "9990000018", "verified": true}, {"system": "UPN", "value": "A202123456789", "verified": false}],
   "responsibleLa": {"dfeCode": "202"}, "shielding": {"shielded": true, "since": "2026-01-01", "reviewDue": "2027-01-01", "reasonCode": "DOMESTIC_ABUSE"},
   "indicators": [{"id": "n-1", "childId": "c-1", "version": 1, "type": "CPP", "startDate": "2026-03-01"}]},
 "involvements": [{"id": "i-1", "childId": "c-1", "version": 1, "serviceType": "GP", "sensitive": false, "startDate": "2026-01-01", "isLeadProfessional": false},
   {"id": "i-2", "childId": "c-1", "version": 2, "serviceType": "SENSITIVE_MENTAL_HEALTH", "sensitive": true, "startDate": "2026-02-02", "isLeadProfessional": false, "consentRef": "k-1"}],
 "indicators": [{"id": "n-1", "childId": "c-1", "version": 1, "type": "CPP", "startDate": "2026-03-01"}],
 "shielding": {"shielded": true, "since": "2026-01-01", "reviewDue": "2027-01-01", "reasonCode": "DOMESTIC_ABUSE"},
 "consents": [{"id": "k-1", "childId": "c-1", "scope": "SENSITIVE_SERVICE_DISCLOSURE", "givenBy": "YOUNG_PERSON", "givenOn": "2026-02-01", "recordedBy": "mgmt-1", "recordedAt": "2026-02-01T10:00:00.000Z"},
   {"id": "k-2", "childId": "c-1", "scope": "RETAIN_TO_25", "givenBy": "PARENT_WITH_PR", "givenOn": "2026-02-03", "recordedBy": "mgmt-1", "recordedAt": "2026-02-03T10:00:00.000Z", "retainToAge": 21}],
 "caseSummaryRefs": [{"type": "CHILD_IN_NEED_PLAN", "title": "Plan", "date": "2026-04-01", "sha256": "aa"},
   {"type": "CP_CONFERENCE", "title": "Conference", "date": "2026-04-02", "sha256": "bb"}]
}`

// edit applies fn to a fresh copy of base.
func edit(t *testing.T, fn func(s map[string]any)) Snapshot {
	t.Helper()
	var doc map[string]any
	v, err := Decode([]byte(base))
	require.NoError(t, err)
	doc = v.(map[string]any)
	if fn != nil {
		fn(doc)
	}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	s, err := FromPackage(b)
	require.NoError(t, err)
	return s
}

func obj(v any) map[string]any { return v.(map[string]any) }
func arr(v any) []any          { return v.([]any) }

func TestCompare(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		right  func(s map[string]any)
		except []string
		strip  func(s *Snapshot) // marks sections of the right side not observed
		want   []string          // the pointers of the differences, in order
		notCmp []string
	}{
		{name: "identical", reason: "a record equal to itself has no difference"},
		{name: "audit-metadata", reason: "versions are audit metadata and never differences", right: func(s map[string]any) {
			obj(s["record"])["version"] = json.Number("9")
			obj(arr(s["involvements"])[0])["version"] = json.Number("4")
			obj(arr(s["indicators"])[0])["version"] = json.Number("5")
		}},
		{name: "reordered-subresources", reason: "involvements, consents and case-summary references are matched by id or sha256, not position", right: func(s map[string]any) {
			for _, k := range []string{"involvements", "consents", "caseSummaryRefs"} {
				a := arr(s[k])
				a[0], a[1] = a[1], a[0]
			}
			ids := arr(obj(s["record"])["identifiers"])
			ids[0], ids[1] = ids[1], ids[0]
		}},
		{name: "consents-dropped", reason: "a receiver that drops consents loses both, each at its own pointer", right: func(s map[string]any) {
			s["consents"] = []any{}
		}, want: []string{"/consents/0", "/consents/1"}},
		{name: "shield-lost", reason: "a package without the shield differs in the shielding section and in the record", right: func(s map[string]any) {
			s["shielding"] = map[string]any{"shielded": false}
			delete(obj(s["record"]), "shielding")
		}, want: []string{"/record/shielding", "/shielding/reasonCode", "/shielding/reviewDue", "/shielding/shielded", "/shielding/since"}},
		{name: "field-changed-in-moved-element", reason: "a changed field of an element matched by id is reported at the left element's pointer", right: func(s map[string]any) {
			a := arr(s["involvements"])
			a[0], a[1] = a[1], a[0]
			obj(a[0])["endDate"] = "2026-05-01"
			obj(arr(s["caseSummaryRefs"])[1])["title"] = "Conference (amended)"
		}, want: []string{"/caseSummaryRefs/1/title", "/involvements/1/endDate"}},
		{name: "element-added", reason: "an element only the right has is reported at its pointer in the right", right: func(s map[string]any) {
			s["indicators"] = append(arr(s["indicators"]), map[string]any{"id": "n-9", "childId": "c-1", "version": json.Number("1"), "type": "CAF_UNDERTAKEN", "startDate": "2026-03-02"})
		}, want: []string{"/indicators/1"}},
		{name: "identifier-changed", reason: "an identifier without an id is matched by equality first, then by position, so a changed value shows at its member", right: func(s map[string]any) {
			ids := arr(obj(s["record"])["identifiers"])
			ids[0], ids[1] = ids[1], ids[0]
			obj(ids[1])["value"] = "999 000 0018"
		}, want: []string{"/record/identifiers/0/value"}},
		{name: "given-names-reordered", reason: "the order of given names means something", right: func(s map[string]any) {
			obj(obj(s["record"])["name"])["given"] = []any{"Maria", "Ada"}
		}, want: []string{"/record/name/given/0", "/record/name/given/1"}},
		{name: "empty-equals-absent", reason: "an empty array or object and an absent member carry the same information", right: func(s map[string]any) {
			obj(s["record"])["formerNames"] = []any{}
			obj(s["record"])["parentsCarers"] = nil
		}},
		{name: "responsibility-changed", reason: "the responsible council differs unless the comparison spans a transfer", right: func(s map[string]any) {
			obj(s["record"])["responsibleLa"] = map[string]any{"dfeCode": "213"}
		}, want: []string{"/record/responsibleLa/dfeCode"}},
		{name: "responsibility-across-transfer", reason: "TransferEffects leaves the responsible council out", right: func(s map[string]any) {
			obj(s["record"])["responsibleLa"] = map[string]any{"dfeCode": "213"}
		}, except: TransferEffects},
		{name: "not-observed", reason: "a section one side did not observe is not compared, and said so", right: func(s map[string]any) {
			s["caseSummaryRefs"] = []any{}
		}, strip: func(s *Snapshot) { s.CaseSummaryRefs = nil }, notCmp: []string{"caseSummaryRefs"}},
		{name: "pointer-escaping", reason: "member names with ~ and / are escaped per RFC 6901", right: func(s map[string]any) {
			obj(s["record"])["a/b~c"] = "x"
		}, want: []string{"/record/a~1b~0c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			left, right := edit(t, nil), edit(t, tc.right)
			if tc.strip != nil {
				tc.strip(&right)
			}
			got := Compare(left, right, Options{Except: tc.except})
			var ptrs []string
			for _, d := range got.Differences {
				ptrs = append(ptrs, d.Pointer)
			}
			assert.Equal(t, tc.want, ptrs, tc.reason)
			assert.Equal(t, tc.notCmp, got.NotCompared, tc.reason)
			assert.Equal(t, len(tc.want) == 0, got.Equal(), tc.reason)
			back := Compare(right, left, Options{Except: tc.except})
			assert.Len(t, back.Differences, len(got.Differences), "comparison is symmetric in what it finds")
			golden(t, tc.name, got)
		})
	}
}

func TestBlame(t *testing.T) {
	sender := edit(t, nil)
	cases := []struct {
		name     string
		reason   string
		pkg      func(s map[string]any)
		receiver func(s map[string]any)
		want     map[Side][]string
	}{
		{name: "lossless", reason: "a faithful transfer blames no one", receiver: func(s map[string]any) {
			obj(s["record"])["responsibleLa"] = map[string]any{"dfeCode": "213"}
			obj(s["record"])["version"] = json.Number("4")
		}, want: map[Side][]string{}},
		{
			name: "receiver-drops-consents", reason: "the package had the consents, the receiver's record does not: the receiver imported wrongly",
			receiver: func(s map[string]any) { s["consents"] = []any{} },
			want:     map[Side][]string{Receiver: {"/consents/0", "/consents/1"}},
		},
		{
			name: "sender-drops-shield", reason: "the package lacks the shield the sender holds: the sender is at fault, and the receiver kept what it got",
			pkg: func(s map[string]any) {
				s["shielding"] = map[string]any{"shielded": false}
				delete(obj(s["record"]), "shielding")
			},
			receiver: func(s map[string]any) {
				s["shielding"] = map[string]any{"shielded": false}
				delete(obj(s["record"]), "shielding")
			},
			want: map[Side][]string{Sender: {"/record/shielding", "/shielding/reasonCode", "/shielding/reviewDue", "/shielding/shielded", "/shielding/since"}},
		},
		{
			name: "both", reason: "a sender's loss and a receiver's loss in one transfer are each charged to their side",
			pkg: func(s map[string]any) { s["caseSummaryRefs"] = arr(s["caseSummaryRefs"])[:1] },
			receiver: func(s map[string]any) {
				s["caseSummaryRefs"] = arr(s["caseSummaryRefs"])[:1]
				obj(arr(s["involvements"])[1])["sensitive"] = false
			},
			want: map[Side][]string{Sender: {"/caseSummaryRefs/1"}, Receiver: {"/involvements/1/sensitive"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			faults := Blame(edit(t, tc.pkg), sender, edit(t, tc.receiver), Options{})
			got := map[Side][]string{}
			for _, f := range faults {
				assert.Equal(t, RequirementLossless, f.Requirement)
				got[f.Side] = append(got[f.Side], f.Pointer)
			}
			assert.Equal(t, tc.want, got, tc.reason)
			golden(t, "blame-"+tc.name, faults)
		})
	}
}

func TestFromPackageObservesEverySection(t *testing.T) {
	s, err := FromPackage([]byte(`{"record": {"id": "c-1"}}`))
	require.NoError(t, err)
	res := Compare(s, edit(t, nil), Options{})
	assert.Empty(t, res.NotCompared, "a package's missing sections are observed as empty, so their loss shows")
	assert.NotEmpty(t, res.Differences)
	_, err = FromPackage([]byte(`{"record": {}} {}`))
	assert.Error(t, err, "trailing data is refused")
}

// golden compares v, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create the golden file")
	assert.Equal(t, string(want), string(got))
}
