package simulators

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	shieldedAtB, consentAtB              bool // B's copy has them
	completed                            bool // COMPLETED on both sides
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

// TestTransferQuirksAreChargedToTheirSide transfers a shielded child with a consent and
// case-summary references between pairs of products. Each pair fails exactly the transfer
// requirements its sender breaks as a sender and its receiver as a receiver (BreaksAsSender,
// BreaksAsReceiver), and the loss is seen where that side's fault says: on the wire for the
// sender, only in the receiver's records for the receiver. A conformant pair loses nothing.
func TestTransferQuirksAreChargedToTheirSide(t *testing.T) {
	for _, rw := range transferRows {
		t.Run(rw.name, func(t *testing.T) {
			sender, receiver := profileOf(t, rw.sender), profileOf(t, rw.receiver)
			o := observeTransfer(t, newPair(t, sender, receiver))
			assert.True(t, o.completed, "the transfer completes on both sides whatever was lost")
			got, side := o.failed()
			want := append(sender.BreaksAsSender(), receiver.BreaksAsReceiver()...)
			slices.Sort(want)
			want = slices.Compact(want)
			assert.Equal(t, want, got, "%s: %+v", rw.reason, o)
			switch {
			case len(sender.BreaksAsSender()) > 0:
				assert.Equal(t, SideSender, side, "the loss is on the wire: the sender is at fault")
			case len(receiver.BreaksAsReceiver()) > 0:
				assert.Equal(t, SideReceiver, side, "the package was whole: the receiver is at fault")
			default:
				assert.Empty(t, side)
			}
		})
	}
}

// transferRows are the pairs TestTransferQuirksAreChargedToTheirSide transfers between,
// named as profileOf reads them. A receiver that breaks XFER-003 belongs in redeliveryRows:
// only a retried delivery shows it.
var transferRows = []struct {
	name             string
	sender, receiver string
	reason           string
}{
	{"conformant to conformant", "wrenfold@2.0", "wrenfold@2.0", "nothing is lost between two conforming systems"},
	{"shield dropped by the sender", "tarnline@1.2", "wrenfold@2.0", "§7 item 6: the package leaves unshielded"},
	{"shield-dropping sender as receiver", "wrenfold@2.0", "tarnline@1.2", "a sender's defect does not show when the product receives"},
	{"shield ignored by the receiver", "wrenfold@2.0", "tarnline@1.3", "§7 item 6, receiver's side: the package is shielded, the copy is not"},
	{"shield-ignoring receiver as sender", "tarnline@1.3", "wrenfold@2.0", "a receiver's defect does not show when the product sends"},
	{"references dropped by the sender", "quillmere@4.2", "wrenfold@2.0", "the package has no case-summary references; the conforming receiver keeps the consent"},
	{"consents dropped by the receiver", "wrenfold@2.0", "quillmere@4.2", "the package has the consent, the copy has none"},
	{"both sides defective", "tarnline@1.2", "quillmere@4.2", "the union of the sender's and the receiver's failures"},
	{"webhook quirks on both sides", "kinledger@3.5", "lanternwise@1.2", "webhook defects leave the transfer alone"},
}

// profileOf resolves a test's name for a product: NAME@VERSION from Lookup, or a
// comma-separated list of quirk ids for a throw-away product with those quirks.
func profileOf(t *testing.T, name string) Profile {
	t.Helper()
	if strings.Contains(name, "@") {
		p, ok := Lookup(name, "")
		require.True(t, ok, name)
		return p
	}
	return probeProfile(strings.Split(name, ",")...)
}

// TestRetriedDeliveryMakesOneTransfer loses the receiver's answer to the first package
// delivery, so that the sender retries with the same Idempotency-Key: a conforming receiver
// answers the retry with the same transfer, inbound-redelivery-duplicates files a second one.
func TestRetriedDeliveryMakesOneTransfer(t *testing.T) {
	for _, rw := range redeliveryRows {
		t.Run(rw.receiver, func(t *testing.T) {
			receiver := profileOf(t, rw.receiver)
			pr := newPair(t, conformant(t), receiver)
			pr.wireA.loseFirstAnswer(inboundTransfersPath)
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
			assert.Equal(t, slices.Contains(receiver.BreaksAsReceiver(), "XFER-003"), len(ids) > 1,
				"a second transfer exactly when the receiver declares XFER-003")
		})
	}
}

// redeliveryRows are the receivers TestRetriedDeliveryMakesOneTransfer retries a delivery to.
var redeliveryRows = []struct {
	receiver  string
	transfers int
	reason    string
}{
	{"wrenfold@2.0", 1, "XFER-003: a repeated delivery gives one transfer"},
	{"thistlegate@2.2", 2, "the retry is filed as a second PROPOSED transfer"},
	{"quillmere@4.2", 1, "dropping consents does not make a second transfer"},
}

// webhookSecret is the secret of the tests' subscriptions.
const webhookSecret = "synthetic-webhook-secret-0001"

// hook is one webhook delivery as the subscriber received it.
type hook struct {
	header http.Header
	body   []byte
}

// webhookSink is a subscriber's endpoint that keeps every delivery and answers 204.
type webhookSink struct {
	mu    sync.Mutex
	hooks []hook
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	s.mu.Lock()
	s.hooks = append(s.hooks, hook{header: r.Header.Clone(), body: b})
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *webhookSink) received() []hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hooks)
}

// webhookFailures judges deliveries of events distinct events as a subscriber would: the
// requirements they break, sorted. NOTIF-003: every delivery verifies with the secret over its
// timestamp and body. NOTIF-002: every payload has a seq of at least 1, and each event (one
// child's seq) arrives under one eventId, every seq of a child from 1 up to its count.
func webhookFailures(t *testing.T, hooks []hook, events int) []string {
	t.Helper()
	var failed []string
	unsigned, unordered := false, false
	idsOf := map[string]map[string]bool{} // childId/seq → eventIds
	seqs := map[string][]int64{}          // childId → seqs
	for _, h := range hooks {
		ts := h.header.Get(spec.HeaderWebhookTimestamp)
		if !spec.VerifyWebhook(webhookSecret, ts, h.body, h.header.Get(spec.HeaderWebhookSignature)) {
			unsigned = true
		}
		var n struct {
			EventID string `json:"eventId"`
			Seq     *int64 `json:"seq"`
			ChildID string `json:"childId"`
		}
		require.NoError(t, json.Unmarshal(h.body, &n), "%s", h.body)
		assert.Equal(t, n.EventID, h.header.Get(spec.HeaderWebhookID), "X-Webhook-Id names the payload's event")
		if n.Seq == nil || *n.Seq < 1 {
			unordered = true
			continue
		}
		key := fmt.Sprintf("%s/%d", n.ChildID, *n.Seq)
		if idsOf[key] == nil {
			idsOf[key] = map[string]bool{}
			seqs[n.ChildID] = append(seqs[n.ChildID], *n.Seq)
		}
		idsOf[key][n.EventID] = true
		if len(idsOf[key]) > 1 {
			unordered = true
		}
	}
	total := 0
	for _, s := range seqs {
		slices.Sort(s)
		for i, v := range s {
			if v != int64(i+1) {
				unordered = true
			}
		}
		total += len(s)
	}
	if !unordered && total != events {
		unordered = true
	}
	if unordered {
		failed = append(failed, "NOTIF-002")
	}
	if unsigned {
		failed = append(failed, "NOTIF-003")
	}
	return failed
}

// TestWebhookQuirksAreSeenByTheSubscriber subscribes to a product's notifications, raises
// five events about two children and judges what the subscriber receives: each product fails
// exactly what its notifier quirks break (BreaksOn(SideNotifier)), and the conformant product
// and the transfer quirks nothing.
func TestWebhookQuirksAreSeenByTheSubscriber(t *testing.T) {
	for _, rw := range webhookRows {
		t.Run(rw.profile, func(t *testing.T) {
			profile := profileOf(t, rw.profile)
			sink := &webhookSink{}
			srv := httptest.NewServer(sink)
			defer srv.Close()
			r := newRig(t, profile, StartOptions{})
			rp := r.do(http.MethodPost, "/v1/subscriptions", management, spec.NewSubscription{
				URL: srv.URL + "/hooks", EventTypes: []string{"INVOLVEMENT_ADDED"}, Secret: webhookSecret,
			})
			require.Equal(t, http.StatusCreated, rp.status, "subscribe: %s", rp.body)
			types := []string{"GP", "SENSITIVE_MENTAL_HEALTH", "EDUCATION"}
			for i, n := range []int{3, 2} {
				childID, _ := r.createChild(r.gen.Child())
				for j := range n {
					inv := r.gen.Involvement(types[j], fmt.Sprintf("2026-0%d-0%d", i+1, j+1))
					if types[j] == "SENSITIVE_MENTAL_HEALTH" {
						inv.DisclosureBasis = "SIGNIFICANT_HARM"
					}
					rp := r.do(http.MethodPost, "/v1/children/"+childID+"/involvements", management, inv)
					require.Equal(t, http.StatusCreated, rp.status, "add involvement: %s", rp.body)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, r.in.Settle(ctx))
			hooks := sink.received()
			require.NotEmpty(t, hooks)
			assert.Equal(t, profile.BreaksOn(SideNotifier), webhookFailures(t, hooks, 5), rw.reason)
		})
	}
}

// webhookRows are the products TestWebhookQuirksAreSeenByTheSubscriber subscribes to, named
// as profileOf reads them.
var webhookRows = []struct {
	profile string
	reason  string
}{
	{"wrenfold@2.0", "signed, one eventId per event, per-child seq"},
	{QuirkTransferShieldDropped + "," + QuirkTransferCaseRefsDropped + "," + QuirkInboundConsentsDropped + "," +
		QuirkInboundShieldIgnored + "," + QuirkInboundRedeliveryDuplicates, "transfer quirks leave webhooks alone"},
	{QuirkWebhookNoSeq, "§7 item 10: no seq, still correctly signed"},
	{QuirkWebhookDuplicated, "§7 item 10: one event under two eventIds, both signed"},
	{QuirkWebhookUnsigned, "no signature"},
	{QuirkWebhookSignedBodyOnly, "a signature that does not verify"},
	{"kinledger@3.5", "no seq and duplicated compose: the copy is signed over the payload without seq"},
	{"lanternwise@1.1", "unsigned"},
	{"lanternwise@1.2", "body-only signature"},
	{QuirkWebhookUnsigned + "," + QuirkWebhookNoSeq, "the rewriter signs, then the signature is removed"},
	{QuirkWebhookSignedBodyOnly + "," + QuirkWebhookDuplicated, "both copies get the body-only signature"},
}

// TestExchangeTestsCoverEveryExchangeQuirk checks the tables of the exchange tests: every
// quirk that shows only in an exchange (a side other than SideOwn) is in a row of the test of
// its side, where the row's observed failures must equal what the quirk declares. The
// single-system probes (TestQuirksFailExactlyTheirProbes) cover the SideOwn quirks.
func TestExchangeTestsCoverEveryExchangeQuirk(t *testing.T) {
	tested := map[string]bool{}
	note := func(name string, side Side) {
		for _, id := range profileOf(t, name).Quirks {
			q, ok := LookupQuirk(id)
			require.True(t, ok, id)
			if q.Side == side {
				tested[id] = true
			}
		}
	}
	for _, rw := range transferRows {
		note(rw.sender, SideSender)
		note(rw.receiver, SideReceiver)
	}
	for _, rw := range redeliveryRows {
		note(rw.receiver, SideReceiver)
	}
	for _, rw := range webhookRows {
		note(rw.profile, SideNotifier)
	}
	for _, q := range Quirks() {
		assert.Equal(t, q.Side != SideOwn, tested[q.ID], "quirk %s (side %s) is tested in an exchange exactly when it is an exchange quirk", q.ID, q.Side)
	}
}
