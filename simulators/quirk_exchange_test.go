package simulators

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// caseRefs are the case-summary references the transfer tests name on proposal.
var caseRefs = []spec.CaseSummaryRef{{Type: "CHILD_IN_NEED_PLAN", Title: "Plan review", Date: "2026-04-01", Sha256: strings.Repeat("ab", 32)}}

// transferObservation is what one A → B transfer of a shielded child with a consent and
// case-summary references showed: on the wire (the package as it left A) and in B's records.
type transferObservation struct {
	wireShielded, wireRefs, wireConsents bool // the package carried them
	shieldedAtB, consentAtB               bool // B's copy has them
	completed                             bool // COMPLETED on both sides
}

// failed returns the transfer requirements the observation breaks, sorted, and the side at
// fault: the sender when the package already lacked something, else the receiver when its
// copy did.
func (o transferObservation) failed() (reqs []string, side Side) {
	add := func(ids ...string) { reqs = append(reqs, ids...) }
	if !o.wireShielded || !o.shieldedAtB {
		add("SENS-005", "XFER-004")
	}
	if !o.wireRefs {
		add("XFER-004")
	}
	if !o.consentAtB {
		add("XFER-004")
	}
	switch {
	case !o.wireShielded || !o.wireRefs || !o.wireConsents:
		side = SideSender
	case !o.shieldedAtB || !o.consentAtB:
		side = SideReceiver
	}
	slices.Sort(reqs)
	return slices.Compact(reqs), side
}

// observeTransfer transfers a shielded child with a consent from A to B, with case-summary
// references, and reports what arrived.
func observeTransfer(t *testing.T, pr *pair) transferObservation {
	t.Helper()
	a := pr.a
	childID, _ := a.createChild(a.gen.Child())
	rp := a.do(http.MethodPost, "/v1/children/"+childID+"/consents", management,
		spec.NewConsent{Scope: "SENSITIVE_SERVICE_DISCLOSURE", GivenBy: "YOUNG_PERSON", GivenOn: "2026-02-01"})
	require.Equal(t, http.StatusCreated, rp.status, "record consent: %s", rp.body)
	consentID, _ := rp.json(t)["id"].(string)
	rp = a.do(http.MethodPut, "/v1/children/"+childID+"/shield", management, spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: "2027-01-01"})
	require.Equal(t, http.StatusOK, rp.status, "shield: %s", rp.body)

	id := pr.propose(t, childID, caseRefs)
	pr.settle(t)
	pr.accept(t, id)
	pr.settle(t)

	packages := pr.wireA.deliveries(inboundTransfersPath)
	require.Len(t, packages, 1, "one package delivery")
	var pkg spec.TransferPackage
	require.NoError(t, json.Unmarshal(packages[0].body, &pkg))
	var o transferObservation
	o.wireShielded = pkg.Shielding.Shielded && pkg.Record.Shielding != nil && pkg.Record.Shielding.Shielded
	o.wireRefs = slices.Equal(pkg.CaseSummaryRefs, caseRefs)
	o.wireConsents = slices.ContainsFunc(pkg.Consents, func(c spec.Consent) bool { return c.ID == consentID })
	o.completed = transferState(t, a, management, id) == "COMPLETED" && transferState(t, pr.b, managementB, id) == "COMPLETED"

	rp = pr.b.do(http.MethodGet, "/v1/children/"+childID, managementB, nil)
	require.Equal(t, http.StatusOK, rp.status, "read at B: %s", rp.body)
	sh, _ := rp.json(t)["shielding"].(map[string]any)
	o.shieldedAtB = sh["shielded"] == true
	rp = pr.b.do(http.MethodGet, "/v1/consents/"+consentID, managementB, nil)
	require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, rp.status, "read consent at B: %s", rp.body)
	o.consentAtB = rp.status == http.StatusOK
	return o
}

// conformant is the fully conformant catalogue version.
func conformant(t *testing.T) Profile {
	t.Helper()
	p, ok := Lookup("wrenfold@2.0", "")
	require.True(t, ok)
	require.True(t, p.Conformant())
	return p
}

// probeProfile is a throw-away product with the given quirks.
func probeProfile(quirks ...string) Profile {
	return Profile{Name: "probe", Vendor: "Test", Product: "Probe", Version: "0", Quirks: quirks}
}

// exchangeProfile looks up a version of ExchangeProfiles.
func exchangeProfile(t *testing.T, name string) Profile {
	t.Helper()
	p, ok := Lookup(name, "")
	require.True(t, ok, name)
	return p
}

// TestTransferQuirksAreChargedToTheirSide transfers a shielded child with a consent and
// case-summary references between pairs of products. Each pair fails exactly the transfer
// requirements its sender breaks as a sender and its receiver as a receiver (BreaksAsSender,
// BreaksAsReceiver), and the loss is seen where that side's fault says: on the wire for the
// sender, only in the receiver's records for the receiver. A conformant pair loses nothing.
func TestTransferQuirksAreChargedToTheirSide(t *testing.T) {
	ref := conformant(t)
	rows := []struct {
		name             string
		sender, receiver Profile
		reason           string
	}{
		{"conformant to conformant", ref, ref, "nothing is lost between two conforming systems"},
		{"shield dropped by the sender", exchangeProfile(t, "tarnline@1.2"), ref, "§7 item 6: the package leaves unshielded"},
		{"shield-dropping sender as receiver", ref, exchangeProfile(t, "tarnline@1.2"), "a sender's defect does not show when the product receives"},
		{"shield ignored by the receiver", ref, exchangeProfile(t, "tarnline@1.3"), "§7 item 6, receiver's side: the package is shielded, the copy is not"},
		{"shield-ignoring receiver as sender", exchangeProfile(t, "tarnline@1.3"), ref, "a receiver's defect does not show when the product sends"},
		{"references dropped by the sender", exchangeProfile(t, "quillmere@4.2"), ref, "the package has no case-summary references; the conforming receiver keeps the consent"},
		{"consents dropped by the receiver", ref, exchangeProfile(t, "quillmere@4.2"), "the package has the consent, the copy has none"},
		{"both sides defective", exchangeProfile(t, "tarnline@1.2"), exchangeProfile(t, "quillmere@4.2"), "the union of the sender's and the receiver's failures"},
	}
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			o := observeTransfer(t, newPair(t, rw.sender, rw.receiver))
			assert.True(t, o.completed, "the transfer completes on both sides whatever was lost")
			got, side := o.failed()
			want := append(rw.sender.BreaksAsSender(), rw.receiver.BreaksAsReceiver()...)
			slices.Sort(want)
			want = slices.Compact(want)
			assert.Equal(t, want, got, "%s: %+v", rw.reason, o)
			switch {
			case len(rw.sender.BreaksAsSender()) > 0:
				assert.Equal(t, SideSender, side, "the loss is on the wire: the sender is at fault")
			case len(rw.receiver.BreaksAsReceiver()) > 0:
				assert.Equal(t, SideReceiver, side, "the package was whole: the receiver is at fault")
			default:
				assert.Empty(t, side)
			}
		})
	}
}

// TestRetriedDeliveryMakesOneTransfer loses the receiver's answer to the first package
// delivery, so that the sender retries with the same Idempotency-Key: a conforming receiver
// answers the retry with the same transfer, inbound-redelivery-duplicates files a second one.
func TestRetriedDeliveryMakesOneTransfer(t *testing.T) {
	rows := []struct {
		receiver  Profile
		transfers int
		reason    string
	}{
		{conformant(t), 1, "XFER-003: a repeated delivery gives one transfer"},
		{exchangeProfile(t, "thistlegate@2.2"), 2, "the retry is filed as a second PROPOSED transfer"},
	}
	for _, rw := range rows {
		t.Run(rw.receiver.String(), func(t *testing.T) {
			pr := newPair(t, conformant(t), rw.receiver)
			pr.wireA.loseFirst = inboundTransfersPath
			childID, _ := pr.a.createChild(pr.a.gen.Child())
			id := pr.propose(t, childID, nil)
			pr.settle(t)
			pr.clock.advance(exchangeBackoff)
			pr.settle(t)
			deliveries := pr.wireA.deliveries(inboundTransfersPath)
			require.Len(t, deliveries, 2, "the lost answer made the sender retry once")
			assert.Equal(t, deliveries[0].header.Get("Idempotency-Key"), deliveries[1].header.Get("Idempotency-Key"), "the retry carries the same key")
			ids := map[string]bool{}
			for _, d := range deliveries {
				require.Equal(t, http.StatusCreated, d.status, "%s", d.answer)
				var tr spec.Transfer
				require.NoError(t, json.Unmarshal(d.answer, &tr))
				ids[tr.ID] = true
				assert.Equal(t, "PROPOSED", transferState(t, pr.b, managementB, tr.ID), "B holds transfer %s", tr.ID)
			}
			assert.Len(t, ids, rw.transfers, rw.reason)
			assert.True(t, ids[id], "the sender's transfer id is one of them")
			assert.Equal(t, rw.receiver.BreaksAsReceiver(), breaksIf(rw.transfers > 1, "XFER-003"))
		})
	}
}

// breaksIf returns ids when broken, else nil.
func breaksIf(broken bool, ids ...string) []string {
	if broken {
		return ids
	}
	return nil
}

var _ = fmt.Sprint
