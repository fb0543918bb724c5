package steps

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

// fakeWire is a Wire that saw the given packages, by transfer id, in front of the peer.
type fakeWire struct{ packages map[string][]byte }

func (f fakeWire) Exchanges(bool, string) []WireExchange { return nil }
func (f fakeWire) Package(peer bool, id string) ([]byte, bool) {
	b, ok := f.packages[id]
	return b, ok && peer
}
func (f fakeWire) Inject(bool, string, ...string) error { return nil }

// holdingFrom builds a holding from a record, involvements and consents, as holdingOf does.
func holdingFrom(rec map[string]any, consents ...any) *holding {
	return &holding{snap: snapshotOf(rec, []any{}, consents)}
}

func shieldedRecord(family string, shielded bool) map[string]any {
	sh := map[string]any{"shielded": shielded}
	if shielded {
		sh["reasonCode"] = "DOMESTIC_ABUSE_RISK"
	}
	return map[string]any{"id": "c-1", "name": map[string]any{"family": family}, "shielding": sh, "responsibleLa": map[string]any{"dfeCode": "202"}}
}

// sent is what a sender put in a package: the record and its consents.
type sent struct {
	rec      map[string]any
	consents []any
}

// packageOf builds the TransferPackage of s, with the case-summary references refs.
func packageOf(t *testing.T, s *sent, refs []any) []byte {
	t.Helper()
	consents := s.consents
	if consents == nil {
		consents = []any{}
	}
	b, err := json.Marshal(map[string]any{
		"transferId": "t-1", "record": s.rec, "involvements": []any{}, "indicators": []any{},
		"shielding": s.rec["shielding"], "consents": consents, "caseSummaryRefs": refs,
	})
	require.NoError(t, err)
	return b
}

// TestExpectUnchangedChargesEachLegToItsSide checks the comparison of XFER-004 leg by leg:
// without a wire the one difference is the target's; with the package the sender sent, a
// change before the package is the sender's and one after it the receiver's, each once.
func TestExpectUnchangedChargesEachLegToItsSide(t *testing.T) {
	consent := map[string]any{"id": "k-1", "type": "RETAIN_TO_25"}
	origin := holdingFrom(shieldedRecord("Oyelaran-Whitcombe", true), consent)
	cases := []struct {
		reason      string
		pkg         *sent // nil: no wire
		got         *holding
		pointer     string // "" when nothing differs
		party, role string
		reqs        []string
		recorded    int // further findings recorded for a second leg
	}{
		{"equal records differ nowhere", nil, origin, "", "", "", nil, 0},
		{
			"without a wire a changed name is a failure with no side", nil,
			holdingFrom(shieldedRecord("Oyelaran", true), consent), "/record/name/family", "", "", nil, 0,
		},
		{
			"a package without the shield is the sender's, and breaks SENS-005 too", &sent{shieldedRecord("Oyelaran-Whitcombe", false), []any{consent}},
			holdingFrom(shieldedRecord("Oyelaran-Whitcombe", false), consent), "/record/shielding/reasonCode", reports.PartyTarget, reports.RoleSender,
			[]string{"XFER-004", "SENS-005"},
			0,
		},
		{
			"a consent the package had and the receiver lost is the receiver's", &sent{shieldedRecord("Oyelaran-Whitcombe", true), []any{consent}},
			holdingFrom(shieldedRecord("Oyelaran-Whitcombe", true)), "/consents/0", reports.PartyPeer, reports.RoleReceiver, nil, 0,
		},
		{
			"a loss on each side fails the sender and records the receiver's", &sent{shieldedRecord("Oyelaran-Whitcombe", false), []any{consent}},
			holdingFrom(shieldedRecord("Oyelaran-Whitcombe", false)), "/record/shielding/reasonCode", reports.PartyTarget, reports.RoleSender,
			[]string{"XFER-004", "SENS-005"},
			1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			wire := fakeWire{packages: map[string][]byte{}}
			w := testWorld(t, http.NotFoundHandler(), func(o *Options) {
				o.Peer = &Peer{BaseURL: "http://peer.test", Council: "204"}
				if tc.pkg != nil {
					o.Peer.Wire = wire
				}
			})
			c := &transferCase{alias: "Amara", origin: origin, legs: []transferLeg{{id: "t-1", sender: onTarget}}}
			if tc.pkg != nil {
				wire.packages["t-1"] = packageOf(t, tc.pkg, w.proposedRefs(c))
			}
			err := w.expectUnchanged(c, onPeer, tc.got)
			if tc.pointer == "" {
				assert.NoError(t, err)
				return
			}
			var ae *AssertionError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.pointer, ae.Pointer)
			assert.Equal(t, tc.party, ae.Party)
			assert.Equal(t, tc.role, ae.Role)
			assert.Equal(t, tc.reqs, ae.Requirements)
			assert.NotContains(t, ae.Message, "Oyelaran", "the message names pointers only; values go through the redactor")
			assert.Len(t, w.Findings(), tc.recorded)
			for _, f := range w.Findings() {
				assert.Equal(t, reports.PartyPeer, f.Failure.Party)
				assert.Equal(t, reports.RoleReceiver, f.Failure.Role)
			}
		})
	}
}

func TestExpectUnchangedExcusesContractViolations(t *testing.T) {
	rec := func(dob, start string) *holding {
		return &holding{snap: snapshotOf(map[string]any{"dateOfBirth": dob}, []any{map[string]any{"id": "a", "startDate": start}}, nil)}
	}
	want, got := rec("2016-03-14", "2026-01-02"), rec("14/03/2016", "02/01/2026")
	cases := []struct {
		reason  string
		excused []string
		fails   bool
	}{
		{"without violations every changed date is a loss", nil, true},
		{"a violation excuses its own pointer only", []string{"/record/dateOfBirth"}, true},
		{"violations at every changed pointer excuse them all", []string{"/record/dateOfBirth", wildcard("/involvements/3/startDate")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			w := testWorld(t, http.NotFoundHandler(), nil)
			got.excused = tc.excused
			err := w.expectUnchanged(&transferCase{alias: "Amara", origin: want}, onPeer, got)
			assert.Equal(t, tc.fails, err != nil, "%v", err)
		})
	}
}
