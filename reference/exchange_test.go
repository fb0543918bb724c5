package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference/audit"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

// peers are two reference systems, A serving every council but otherLa and B serving
// otherLa, each with its own SQLite store, one identity service and one injected clock.
type peers struct {
	a, b   *harness
	dirA   MapDirectory // A's directory: where otherLa is served
	dirB   MapDirectory // B's directory: where ownLa is served
	issuer *fixtures.Issuer
	clock  *testClock
}

// newPeers starts two systems. Every delivery between them goes through a transport that
// checks the exchange against the contract.
func newPeers(t *testing.T, opts ...harnessOption) *peers {
	t.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	p := &peers{dirA: MapDirectory{}, dirB: MapDirectory{}, issuer: issuer, clock: &testClock{now: testStart}}
	p.a = p.start(t, "system-a", p.dirA, opts...)
	p.b = p.start(t, "system-b", p.dirB, opts...)
	p.dirA[otherLa] = p.b.http.URL
	p.dirB[ownLa] = p.a.http.URL
	return p
}

// start starts one system of the pair.
func (p *peers) start(t *testing.T, org string, dir MapDirectory, opts ...harnessOption) *harness {
	t.Helper()
	st, err := sqlite.Open(sqlite.Memory)
	require.NoError(t, err)
	contract := spec.MustLoad()
	o := Options{Store: st, Keys: JWKSFromBytes(p.issuer.JWKS()), Clock: p.clock.Now, Exchange: ExchangeOptions{
		Directory: dir, SystemOrg: org,
		SystemToken: func(context.Context) (string, error) {
			return p.issuer.Token(fixtures.Claims{Sub: org, Role: roleSystem, Org: org, La: ownLa, Sector: "LA", IssuedAt: p.clock.Now()})
		},
		Client: &http.Client{Transport: &checkingTransport{t: t, contract: contract}},
	}}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := New(o)
	require.NoError(t, err)
	gen := fixtures.NewGenerator(42)
	gen.Today = testStart
	h := &harness{
		t: t, srv: srv, store: st, issuer: p.issuer, clock: p.clock, gen: gen,
		contract: contract, http: httptest.NewServer(srv.Handler()),
	}
	t.Cleanup(func() {
		h.http.Close()
		if !t.Failed() {
			h.checkAuditLogWithDeliveries()
		}
		require.NoError(t, srv.Close())
	})
	return h
}

// checkAuditLogWithDeliveries asserts one sound chain with one event per audited request
// plus one per transfer delivery attempt the system made itself.
func (h *harness) checkAuditLogWithDeliveries() {
	h.t.Helper()
	events := h.auditLog()
	require.NoError(h.t, audit.VerifyChain(events), "the audit log must be a sound hash chain")
	own, received := 0, 0
	for _, ev := range events {
		if ev.Actor.Role == roleSystem && strings.HasPrefix(ev.Action, "RECEIVE_") && strings.HasPrefix(ev.Actor.Sub, "system-") {
			received++ // a request from the peer system, which the harness did not send
		}
		if ev.Action == actionSendPackage || ev.Action == actionSendOutcome {
			own++
			assert.Equal(h.t, roleSystem, ev.Actor.Role, "a delivery is audited as the system")
		}
	}
	attempts := 0
	require.NoError(h.t, h.store.View(context.Background(), func(tx store.Tx) error {
		for _, ev := range events {
			if ev.Action != actionSendPackage && ev.Action != actionSendOutcome {
				continue
			}
			d, err := tx.Delivery(ev.CorrelationID)
			if err != nil {
				return err
			}
			if ev.Seq == lastEventOf(events, d.ID) {
				attempts += d.Attempts
			}
		}
		return nil
	}))
	assert.Equal(h.t, attempts, own, "every delivery attempt leaves exactly one audit event")
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Len(h.t, events, h.requests+own+received, "every audited request leaves exactly one audit event")
}

// lastEventOf returns the seq of the last event with correlation id corr.
func lastEventOf(events []spec.AuditEvent, corr string) int64 {
	var seq int64
	for _, ev := range events {
		if ev.CorrelationID == corr {
			seq = ev.Seq
		}
	}
	return seq
}

// settle delivers everything due on both systems, A first.
func (p *peers) settle(t *testing.T) {
	t.Helper()
	require.NoError(t, p.a.srv.Settle(context.Background()))
	require.NoError(t, p.b.srv.Settle(context.Background()))
	require.NoError(t, p.a.srv.Settle(context.Background()))
}

// checkingTransport checks every system-to-system exchange against the contract.
type checkingTransport struct {
	t        *testing.T
	contract *spec.Contract
	mu       sync.Mutex
	sent     int
}

func (c *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
	if strings.Contains(req.URL.Path, "/v1/") {
		res := c.contract.Check(req, body, resp.StatusCode, resp.Header, respBody)
		for _, v := range res.Violations {
			c.t.Errorf("%s %s → %d: contract violation: %s", req.Method, req.URL.Path, resp.StatusCode, v)
		}
	}
	return resp, nil
}

// transferableChild creates, as A's management, a child with everything a transfer carries: an
// involvement, a sensitive one with its consent, a T5 indicator, a RETAIN_TO_25 consent and
// a shield.
func transferableChild(t *testing.T, h *harness) spec.ChildRecord {
	t.Helper()
	rec := h.mgmt().createChild(t, h.gen.Child())
	inv := h.mgmt().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
	con := h.mgmt().recordConsent(t, rec.ID, spec.NewConsent{Scope: "SENSITIVE_SERVICE_DISCLOSURE", GivenBy: "YOUNG_PERSON", GivenOn: "2026-02-01"})
	sens := h.gen.Involvement("SENSITIVE_MENTAL_HEALTH", "2026-02-02")
	sens.DisclosureBasis, sens.ConsentRef = "CONSENT", con.ID
	h.mgmt().addInvolvement(t, rec.ID, sens)
	h.mgmt().addIndicator(t, rec.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-03-01", Category: "NEG"})
	h.mgmt().addIndicator(t, rec.ID, spec.NewIndicator{Type: "CAF_UNDERTAKEN", StartDate: "2026-03-02", InvolvementID: inv.ID})
	h.mgmt().recordConsent(t, rec.ID, spec.NewConsent{Scope: "RETAIN_TO_25", GivenBy: "PARENT_WITH_PR", GivenOn: "2026-02-03", RetainToAge: 21})
	resp := h.mgmt().do(t, request{method: http.MethodPut, path: "/v1/children/" + rec.ID + "/shield", body: spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: "2027-01-01"}})
	require.Equal(t, http.StatusOK, resp.status, "shield: %s", resp.body)
	return rec
}

// snapshot is everything the responsible council's management sees of a child, as JSON
// documents with the audit metadata (version, responsible council) taken out.
type snapshot struct {
	record       map[string]any
	involvements []any
	consents     []any
}

// snapshotOf reads a child as the management of council la.
func snapshotOf(t *testing.T, h *harness, la, id string, consentIDs []string) snapshot {
	t.Helper()
	cl := h.as(roleLAManagement, la, "LA")
	var s snapshot
	resp := cl.get(t, "/v1/children/"+id)
	require.Equal(t, http.StatusOK, resp.status, "read: %s", resp.body)
	s.record = resp.fields(t)
	delete(s.record, "version")
	delete(s.record, "responsibleLa")
	inv := cl.get(t, "/v1/children/"+id+"/involvements")
	require.Equal(t, http.StatusOK, inv.status)
	s.involvements = inv.fields(t)["involvements"].([]any)
	for _, cid := range consentIDs {
		con := cl.get(t, "/v1/consents/"+cid)
		require.Equal(t, http.StatusOK, con.status, "consent: %s", con.body)
		s.consents = append(s.consents, con.fields(t))
	}
	return s
}

// unavailableProblem answers as a system under load does: 503 SERVICE_UNAVAILABLE, as the
// contract describes it.
func unavailableProblem(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Retry-After", "1")
	w.Header().Set("X-Correlation-ID", "stub-unavailable")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"type":"https://icscert.example/problems/service-unavailable","title":"Unavailable","status":503,"code":"SERVICE_UNAVAILABLE","correlationId":"stub-unavailable"}`))
}

// transferOf reads a transfer as the management of council la.
func transferOf(t *testing.T, h *harness, la, id string) spec.Transfer {
	t.Helper()
	resp := h.as(roleLAManagement, la, "LA").get(t, "/v1/transfers/"+id)
	require.Equal(t, http.StatusOK, resp.status, "read transfer: %s", resp.body)
	var tr spec.Transfer
	resp.decode(t, &tr)
	return tr
}

// propose proposes a transfer as the management of council from.
func propose(t *testing.T, h *harness, from, childID, to, key string, refs []spec.CaseSummaryRef) *response {
	t.Helper()
	r := request{method: http.MethodPost, path: "/v1/transfers", body: spec.NewTransfer{
		ChildID: childID, ToLa: spec.LocalAuthorityRef{DfeCode: to}, Reason: "CHANGE_OF_ADDRESS", CaseSummaryRefs: refs,
	}}
	if key != "" {
		r.header = map[string]string{"Idempotency-Key": key}
	}
	return h.as(roleLAManagement, from, "LA").do(t, r)
}

// decide accepts or rejects a transfer as the management of council la.
func decide(t *testing.T, h *harness, la, id, decision string) *response {
	t.Helper()
	return h.as(roleLAManagement, la, "LA").post(t, "/v1/transfers/"+id+"/acceptance", spec.TransferAcceptance{Decision: decision})
}

// consentIDs lists a child's consent ids from the store.
func consentIDs(t *testing.T, h *harness, childID string) []string {
	t.Helper()
	var ids []string
	require.NoError(t, h.store.View(context.Background(), func(tx store.Tx) error {
		cons, err := tx.Consents(childID)
		for _, c := range cons {
			ids = append(ids, c.ID)
		}
		return err
	}))
	return ids
}

// responsible reads which council a system names as responsible for a child.
func responsible(t *testing.T, h *harness, childID string) string {
	t.Helper()
	var la string
	require.NoError(t, h.store.View(context.Background(), func(tx store.Tx) error {
		c, err := tx.Child(childID)
		la = c.ResponsibleLa.DfeCode
		return err
	}))
	return la
}

func TestTransferBetweenSystems(t *testing.T) {
	refs := []spec.CaseSummaryRef{{Type: "CHILD_IN_NEED_PLAN", Title: "Plan review", Date: "2026-04-01", Sha256: strings.Repeat("ab", 32)}}
	t.Run(covers("XFER-004/A to B completes with every field preserved, and A to B to A gives an equal record"), func(t *testing.T) {
		p := newPeers(t)
		rec := transferableChild(t, p.a)
		cons := consentIDs(t, p.a, rec.ID)
		before := snapshotOf(t, p.a, ownLa, rec.ID, cons)

		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "xfer-1", refs)
		require.Equal(t, http.StatusCreated, resp.status, "propose: %s", resp.body)
		var tr spec.Transfer
		resp.decode(t, &tr)
		assert.Equal(t, statePROPOSED, tr.State)
		require.NoError(t, p.a.srv.Settle(context.Background()))
		out := transferOf(t, p.a, ownLa, tr.ID)
		require.NotNil(t, out.Delivery)
		assert.Equal(t, store.DeliveryDelivered, out.Delivery.State, "the package was delivered")
		assert.Equal(t, statePROPOSED, out.State, "XFER-002: delivered is not completed")
		assert.Equal(t, ownLa, responsible(t, p.a, rec.ID), "XFER-002: the sender stays responsible until COMPLETED")
		in := transferOf(t, p.b, otherLa, tr.ID)
		assert.Equal(t, spec.DirectionInbound, in.Direction)
		assert.Equal(t, statePROPOSED, in.State)

		require.Equal(t, http.StatusOK, decide(t, p.b, otherLa, tr.ID, stateACCEPTED).status)
		p.settle(t)
		assert.Equal(t, stateCOMPLETED, transferOf(t, p.a, ownLa, tr.ID).State, "the sender completed on the outcome")
		assert.Equal(t, stateCOMPLETED, transferOf(t, p.b, otherLa, tr.ID).State, "the receiver completed on the sender's acknowledgement")
		assert.Equal(t, otherLa, responsible(t, p.a, rec.ID))
		assert.Equal(t, otherLa, responsible(t, p.b, rec.ID))
		atB := snapshotOf(t, p.b, otherLa, rec.ID, cons)
		assert.Equal(t, before, atB, "XFER-004: everything arrives without loss or change")
		var stored store.Child
		require.NoError(t, p.b.store.View(context.Background(), func(tx store.Tx) error {
			var err error
			stored, err = tx.Child(rec.ID)
			return err
		}))
		assert.Equal(t, refs, stored.CaseSummaryRefs, "XFER-004: case-summary references arrive")

		back := propose(t, p.b, otherLa, rec.ID, ownLa, "", nil)
		require.Equal(t, http.StatusCreated, back.status, "propose back: %s", back.body)
		var tr2 spec.Transfer
		back.decode(t, &tr2)
		require.NoError(t, p.b.srv.Settle(context.Background()))
		require.Equal(t, http.StatusOK, decide(t, p.a, ownLa, tr2.ID, stateACCEPTED).status)
		p.settle(t)
		assert.Equal(t, ownLa, responsible(t, p.a, rec.ID))
		assert.Equal(t, ownLa, responsible(t, p.b, rec.ID))
		assert.Equal(t, before, snapshotOf(t, p.a, ownLa, rec.ID, cons), "XFER-004: A to B to A gives an equal record")
	})
	t.Run(covers("XFER-002/rejected: responsibility unchanged"), func(t *testing.T) {
		p := newPeers(t)
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "", nil)
		require.Equal(t, http.StatusCreated, resp.status)
		var tr spec.Transfer
		resp.decode(t, &tr)
		p.settle(t)
		require.Equal(t, http.StatusOK, decide(t, p.b, otherLa, tr.ID, stateREJECTED).status)
		p.settle(t)
		assert.Equal(t, stateREJECTED, transferOf(t, p.a, ownLa, tr.ID).State)
		assert.Equal(t, ownLa, responsible(t, p.a, rec.ID))
		decide(t, p.b, otherLa, tr.ID, stateACCEPTED).expectProblem(t, "INVALID_STATE")
		p.b.otherMgmt().get(t, "/v1/children/"+rec.ID).expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("XFER-002/receiver down: the sender retries with backoff and stays responsible"), func(t *testing.T) {
		p := newPeers(t)
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			unavailableProblem(w)
		}))
		defer down.Close()
		p.dirA[otherLa] = down.URL
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "", nil)
		require.Equal(t, http.StatusCreated, resp.status)
		var tr spec.Transfer
		resp.decode(t, &tr)
		for attempt := 1; attempt <= 3; attempt++ {
			require.NoError(t, p.a.srv.Settle(context.Background()))
			got := transferOf(t, p.a, ownLa, tr.ID)
			require.NotNil(t, got.Delivery)
			assert.Equal(t, attempt, got.Delivery.Attempts, "one attempt per backoff step, none early")
			assert.Equal(t, store.DeliveryPending, got.Delivery.State)
			assert.Equal(t, http.StatusServiceUnavailable, got.Delivery.LastStatus)
			assert.Equal(t, p.clock.Now().Add(DefaultBackoff(attempt)).UTC().Format(instantFormat), got.Delivery.NextAttemptAt)
			assert.Equal(t, ownLa, responsible(t, p.a, rec.ID))
			p.clock.mu.Lock()
			p.clock.now = p.clock.now.Add(DefaultBackoff(attempt))
			p.clock.mu.Unlock()
		}
		p.dirA[otherLa] = p.b.http.URL
		require.NoError(t, p.a.srv.Settle(context.Background()))
		got := transferOf(t, p.a, ownLa, tr.ID)
		assert.Equal(t, store.DeliveryDelivered, got.Delivery.State, "delivered once the receiver is back")
		assert.Equal(t, 4, got.Delivery.Attempts)
	})
	t.Run(covers("XFER-005/a terminated council: LA_TERMINATED naming the successors"), func(t *testing.T) {
		p := newPeers(t)
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		prob := propose(t, p.a, ownLa, rec.ID, terminatedLa, "", nil).expectProblem(t, "LA_TERMINATED")
		assert.Equal(t, []string{"942", "943"}, prob.Successors)
	})
	t.Run(covers("XFER-001/only the responsible council's management proposes"), func(t *testing.T) {
		p := newPeers(t)
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		propose(t, p.a, otherLa, rec.ID, "213", "", nil).expectProblem(t, "FORBIDDEN")
		p.a.socialWorker().post(t, "/v1/transfers", spec.NewTransfer{ChildID: rec.ID, ToLa: spec.LocalAuthorityRef{DfeCode: otherLa}, Reason: "CHANGE_OF_ADDRESS"}).expectProblem(t, "FORBIDDEN")
		require.Equal(t, http.StatusCreated, propose(t, p.a, ownLa, rec.ID, otherLa, "", nil).status)
		propose(t, p.a, ownLa, rec.ID, otherLa, "", nil).expectProblem(t, "INVALID_STATE")
	})
}

func TestTransferIdempotency(t *testing.T) {
	t.Run(covers("XFER-003/a repeated proposal gives one transfer"), func(t *testing.T) {
		p := newPeers(t)
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		first := propose(t, p.a, ownLa, rec.ID, otherLa, "same-key", nil)
		again := propose(t, p.a, ownLa, rec.ID, otherLa, "same-key", nil)
		require.Equal(t, http.StatusCreated, first.status)
		assert.Equal(t, first.status, again.status)
		assert.JSONEq(t, string(first.body), string(again.body), "the repeat returns the original")
	})
	t.Run(covers("XFER-003/a retried delivery whose answer was lost makes one transfer"), func(t *testing.T) {
		p := newPeers(t)
		var mu sync.Mutex
		calls := 0
		lossy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			body, _ := io.ReadAll(r.Body)
			fwd, _ := http.NewRequest(r.Method, p.b.http.URL+r.URL.Path, bytes.NewReader(body))
			fwd.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(fwd)
			if err != nil {
				unavailableProblem(w)
				return
			}
			defer func() { _ = resp.Body.Close() }()
			answer, _ := io.ReadAll(resp.Body)
			if n == 1 { // the receiver acted, but its answer is lost
				unavailableProblem(w)
				return
			}
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = w.Write(answer)
		}))
		defer lossy.Close()
		p.dirA[otherLa] = lossy.URL
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "", nil)
		require.Equal(t, http.StatusCreated, resp.status)
		var tr spec.Transfer
		resp.decode(t, &tr)
		require.NoError(t, p.a.srv.Settle(context.Background()))
		p.clock.mu.Lock()
		p.clock.now = p.clock.now.Add(DefaultBackoff(1))
		p.clock.mu.Unlock()
		require.NoError(t, p.a.srv.Settle(context.Background()))
		got := transferOf(t, p.a, ownLa, tr.ID)
		assert.Equal(t, 2, got.Delivery.Attempts, "the package was sent twice")
		assert.Equal(t, store.DeliveryDelivered, got.Delivery.State)
		var open []store.Transfer
		require.NoError(t, p.b.store.View(context.Background(), func(tx store.Tx) error {
			var err error
			open, err = tx.OpenTransfers(rec.ID)
			return err
		}))
		assert.Len(t, open, 1, "the receiver holds exactly one transfer")
	})
	t.Run(covers("XFER-003/a repeated acceptance with its key returns the original; without, 409"), func(t *testing.T) {
		p := newPeers(t)
		rec := p.a.mgmt().createChild(t, p.a.gen.Child())
		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "", nil)
		var tr spec.Transfer
		resp.decode(t, &tr)
		p.settle(t)
		acc := request{method: http.MethodPost, path: "/v1/transfers/" + tr.ID + "/acceptance", body: spec.TransferAcceptance{Decision: stateACCEPTED}, header: map[string]string{"Idempotency-Key": "acc-1"}}
		first := p.b.otherMgmt().do(t, acc)
		again := p.b.otherMgmt().do(t, acc)
		require.Equal(t, http.StatusOK, first.status, "%s", first.body)
		assert.JSONEq(t, string(first.body), string(again.body))
		decide(t, p.b, otherLa, tr.ID, stateACCEPTED).expectProblem(t, "INVALID_STATE")
	})
}

func TestTransferWithinOneSystem(t *testing.T) {
	t.Run(covers("XFER-002/within one system acceptance completes at once"), func(t *testing.T) {
		h := newHarness(t)
		rec := h.mgmt().createChild(t, h.gen.Child())
		resp := propose(t, h, ownLa, rec.ID, otherLa, "", nil)
		require.Equal(t, http.StatusCreated, resp.status)
		var tr spec.Transfer
		resp.decode(t, &tr)
		assert.Nil(t, tr.Delivery, "nothing is delivered within one system")
		assert.Equal(t, ownLa, responsible(t, h, rec.ID))
		h.mgmt().post(t, "/v1/transfers/"+tr.ID+"/acceptance", spec.TransferAcceptance{Decision: stateACCEPTED}).expectProblem(t, "FORBIDDEN")
		got := decide(t, h, otherLa, tr.ID, stateACCEPTED)
		require.Equal(t, http.StatusOK, got.status)
		var done spec.Transfer
		got.decode(t, &done)
		assert.Equal(t, stateCOMPLETED, done.State)
		assert.Equal(t, otherLa, responsible(t, h, rec.ID))
		assert.Contains(t, h.notificationTypes(rec.ID), noteTransferCompleted)
	})
	t.Run(covers("VER-002/an acceptance and an update on the same child serialise"), func(t *testing.T) {
		h := newHarness(t)
		rec := h.mgmt().createChild(t, h.gen.Child())
		resp := propose(t, h, ownLa, rec.ID, otherLa, "", nil)
		var tr spec.Transfer
		resp.decode(t, &tr)
		var wg sync.WaitGroup
		var accepted, updated *response
		wg.Add(2)
		go func() { defer wg.Done(); accepted = decide(t, h, otherLa, tr.ID, stateACCEPTED) }()
		go func() {
			defer wg.Done()
			updated = h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version, map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"})
		}()
		wg.Wait()
		require.Equal(t, http.StatusOK, accepted.status, "%s", accepted.body)
		got := h.otherMgmt().readChild(t, rec.ID)
		if updated.status == http.StatusOK {
			assert.Equal(t, rec.Version+2, got.Version, "the update went first; the acceptance made the next version")
			assert.Equal(t, "NO_KNOWN_ADDRESS", got.Whereabouts)
		} else {
			// The acceptance went first: the sender is no longer responsible, so its update is
			// refused and changes nothing.
			assert.Contains(t, []int{http.StatusPreconditionFailed, http.StatusForbidden}, updated.status)
			assert.Equal(t, rec.Version+1, got.Version)
			assert.NotEqual(t, "NO_KNOWN_ADDRESS", got.Whereabouts)
		}
	})
	t.Run(covers("XFER-006/a child who leaves England keeps a record and the responsible council"), func(t *testing.T) {
		h := newHarness(t)
		rec := h.mgmt().createChild(t, h.gen.Child())
		for i, w := range []string{"LEFT_ENGLAND_INTENDS_RETURN", "LEFT_ENGLAND_NOT_RETURNING", "LEFT_ENGLAND_INTENTION_UNKNOWN"} {
			resp := h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version+int64(i), map[string]any{"whereabouts": w})
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			got := h.mgmt().readChild(t, rec.ID)
			assert.Equal(t, w, got.Whereabouts)
			assert.Equal(t, ownLa, got.ResponsibleLa.DfeCode)
		}
	})
}

// hook is a webhook receiver whose answers the test scripts.
type hook struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int // answers in order; 200 once used up
	got      []delivery
}

// delivery is one webhook request the hook received.
type delivery struct {
	header http.Header
	body   []byte
	status int
}

func newHook(t *testing.T, statuses ...int) *hook {
	t.Helper()
	hk := &hook{statuses: statuses}
	hk.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hk.mu.Lock()
		status := http.StatusOK
		if len(hk.statuses) > 0 {
			status, hk.statuses = hk.statuses[0], hk.statuses[1:]
		}
		hk.got = append(hk.got, delivery{header: r.Header.Clone(), body: body, status: status})
		hk.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(hk.srv.Close)
	return hk
}

func (hk *hook) deliveries() []delivery {
	hk.mu.Lock()
	defer hk.mu.Unlock()
	return append([]delivery(nil), hk.got...)
}

const hookSecret = "a-webhook-secret-of-32-characters"

// subscribe subscribes the management of ownLa to types at hk.
func subscribe(t *testing.T, h *harness, hk *hook, types ...string) spec.Subscription {
	t.Helper()
	resp := h.mgmt().post(t, "/v1/subscriptions", spec.NewSubscription{URL: hk.srv.URL, EventTypes: types, Secret: hookSecret})
	require.Equal(t, http.StatusCreated, resp.status, "subscribe: %s", resp.body)
	var sub spec.Subscription
	resp.decode(t, &sub)
	return sub
}

// advance moves the test clock on by d.
func (c *testClock) advanceBy(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestWebhooks(t *testing.T) {
	t.Run(covers("NOTIF-003/signed, retried with backoff; NOTIF-002 unique eventIds, seq per child; NOTIF-004 thin"), func(t *testing.T) {
		h := newHarness(t)
		hk := newHook(t, 500, 503, 500, 500, 503, 500) // every event fails its first two attempts
		subscribe(t, h, hk, noteAccessed, noteInvolvementAdd)
		rec := h.mgmt().createChild(t, h.gen.Child())
		h.gp().readChild(t, rec.ID)
		h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
		h.gp().readChild(t, rec.ID)
		require.NoError(t, h.srv.Settle(context.Background()))
		require.Len(t, hk.deliveries(), 3, "each event is attempted once at once")
		h.clock.advanceBy(DefaultBackoff(1))
		require.NoError(t, h.srv.Settle(context.Background()))
		require.Len(t, hk.deliveries(), 6, "each failed delivery is retried after the first backoff")
		h.clock.advanceBy(DefaultBackoff(2) - time.Second)
		require.NoError(t, h.srv.Settle(context.Background()))
		require.Len(t, hk.deliveries(), 6, "no retry before the backoff has passed")
		h.clock.advanceBy(time.Second)
		require.NoError(t, h.srv.Settle(context.Background()))
		got := hk.deliveries()
		require.Len(t, got, 9, "the third attempts succeed")

		acked := map[string]spec.Notification{}
		for _, d := range got {
			ts, sig := d.header.Get(spec.HeaderWebhookTimestamp), d.header.Get(spec.HeaderWebhookSignature)
			assert.True(t, spec.VerifyWebhook(hookSecret, ts, d.body, sig), "the signature verifies: HMAC-SHA256 over timestamp.body")
			assert.False(t, spec.VerifyWebhook("another-secret-of-some-length", ts, d.body, sig), "another key does not verify")
			assert.Empty(t, h.contract.ValidateSchema("Notification", d.body), "the body is a thin Notification (NOTIF-004)")
			for _, pd := range []string{rec.Name.Family, rec.DateOfBirth} {
				assert.NotContains(t, string(d.body), pd, "no personal data in a webhook")
			}
			var n spec.Notification
			require.NoError(t, json.Unmarshal(d.body, &n))
			assert.Equal(t, n.EventID, d.header.Get(spec.HeaderWebhookID))
			if d.status == http.StatusOK {
				acked[n.EventID] = n
			}
		}
		require.Len(t, acked, 3, "three distinct events, each acknowledged once")
		var seqs []int64
		for _, n := range acked {
			seqs = append(seqs, n.Seq)
			assert.Equal(t, rec.ID, n.ChildID)
			assert.Equal(t, ownLa, n.La)
		}
		assert.ElementsMatch(t, []int64{1, 2, 3}, seqs, "seq counts up per child")
	})
	t.Run(covers("NOTIF-003/dead-lettered after the limit, observable on the subscription"), func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.Exchange.MaxAttempts = 3 })
		hk := newHook(t, 500, 500, 500, 500)
		sub := subscribe(t, h, hk, noteAccessed)
		rec := h.mgmt().createChild(t, h.gen.Child())
		h.gp().readChild(t, rec.ID)
		for attempt := 1; attempt <= 4; attempt++ {
			require.NoError(t, h.srv.Settle(context.Background()))
			h.clock.advanceBy(DefaultBackoff(attempt))
		}
		assert.Len(t, hk.deliveries(), 3, "no attempt after the limit")
		resp := h.mgmt().get(t, "/v1/subscriptions/"+sub.ID)
		require.Equal(t, http.StatusOK, resp.status)
		var got spec.Subscription
		resp.decode(t, &got)
		require.Len(t, got.DeadLetters, 1)
		assert.Equal(t, rec.ID, got.DeadLetters[0].ChildID)
		assert.Equal(t, 3, got.DeadLetters[0].Attempts)
		assert.Equal(t, http.StatusInternalServerError, got.DeadLetters[0].LastStatus)
		assert.Equal(t, &spec.DeliveryCounts{Dead: 1}, got.Deliveries)
		h.otherMgmt().get(t, "/v1/subscriptions/"+sub.ID).expectProblem(t, "NOT_FOUND")
	})
	t.Run(covers("NOTIF-001/a silent scheduled-care read notifies no one"), func(t *testing.T) {
		h := newHarness(t)
		hk := newHook(t)
		subscribe(t, h, hk, noteAccessed)
		rec := h.mgmt().createChild(t, h.gen.Child())
		h.gp().do(t, request{method: http.MethodGet, path: "/v1/children/" + rec.ID, purpose: "SCHEDULED_CARE_SILENT"})
		h.teacher().readChild(t, rec.ID)
		require.NoError(t, h.srv.Settle(context.Background()))
		assert.Empty(t, hk.deliveries(), "neither a silent read nor a read from within the council notifies")
	})
}

func TestShieldReviewDueByTestClock(t *testing.T) {
	t.Run(covers("SENS-006/the test clock moves past a review date and raises SHIELD_REVIEW_DUE"), func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.TestClock = true })
		hk := newHook(t)
		subscribe(t, h, hk, noteShieldReview)
		rec := h.mgmt().createChild(t, h.gen.Child())
		resp := h.mgmt().do(t, request{method: http.MethodPut, path: "/v1/children/" + rec.ID + "/shield", body: spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: "2026-07-01"}})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		require.NoError(t, h.srv.Settle(context.Background()))
		assert.Empty(t, hk.deliveries(), "nothing before the review date")
		meta := h.mgmt().withToken("").get(t, "/v1/meta").fields(t)
		assert.Equal(t, []any{"test-clock"}, meta["capabilities"])
		adv := h.mgmt().post(t, "/v1/test-clock", spec.TestClockAdvance{Days: 17})
		require.Equal(t, http.StatusOK, adv.status, "%s", adv.body)
		var tc spec.TestClock
		adv.decode(t, &tc)
		assert.Equal(t, int64(17*24*3600), tc.OffsetSeconds)
		require.NoError(t, h.srv.Settle(context.Background()))
		got := hk.deliveries()
		require.Len(t, got, 1, "one SHIELD_REVIEW_DUE, once")
		var n spec.Notification
		require.NoError(t, json.Unmarshal(got[0].body, &n))
		assert.Equal(t, noteShieldReview, n.Type)
		h.mgmt().post(t, "/v1/test-clock", spec.TestClockAdvance{Days: 1})
		require.NoError(t, h.srv.Settle(context.Background()))
		assert.Len(t, hk.deliveries(), 1, "raised once per review date")
	})
	t.Run(covers("SENS-006/without the capability the test clock is an unknown path"), func(t *testing.T) {
		h := newHarness(t)
		h.mgmt().post(t, "/v1/test-clock", spec.TestClockAdvance{Days: 1}).expectProblem(t, "NOT_FOUND")
	})
}

func TestExchangeStopsOnClose(t *testing.T) {
	st, err := sqlite.Open(sqlite.Memory)
	require.NoError(t, err)
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	srv, err := New(Options{Store: st, Keys: JWKSFromBytes(issuer.JWKS())})
	require.NoError(t, err)
	require.NoError(t, srv.Settle(context.Background()))
	require.NoError(t, srv.Close())
	select {
	case <-srv.exchange.done:
	default:
		t.Fatal("the delivery goroutine still runs after Close")
	}
	assert.Error(t, srv.Settle(context.Background()), "a closed server settles nothing")
}

func TestExchangeRefusals(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	resp := propose(t, h, ownLa, rec.ID, otherLa, "", nil)
	require.Equal(t, http.StatusCreated, resp.status)
	var tr spec.Transfer
	resp.decode(t, &tr)
	outcome := spec.TransferOutcome{TransferID: tr.ID, State: stateACCEPTED, DecidedAt: "2026-06-15T10:00:00Z"}
	cases := []struct {
		name   string
		caller *contractClient
		path   string
		body   any
		code   string
		reason string
		breaks bool
	}{
		{"XFER-001/a practitioner cannot propose", h.teacher(), "/v1/transfers", spec.NewTransfer{ChildID: rec.ID, ToLa: spec.LocalAuthorityRef{DfeCode: otherLa}, Reason: "CHANGE_OF_ADDRESS"}, "FORBIDDEN", "management only (DOMAIN.md §4)", false},
		{"XFER-001/a person cannot deliver an inbound transfer", h.mgmt(), "/v1/inbound/transfers", map[string]any{}, "FORBIDDEN", "SYSTEM only, before the body is read", true},
		{"XFER-002/a person cannot report an outcome", h.otherMgmt(), "/v1/inbound/transfers/" + tr.ID + "/outcome", outcome, "FORBIDDEN", "SYSTEM only", false},
		{"XFER-002/a system cannot complete a transfer made within one system", h.system(), "/v1/inbound/transfers/" + tr.ID + "/outcome", outcome, "NOT_FOUND", "no outbound delivery was made", false},
		{"NOTIF-003/an auditor cannot subscribe", h.auditor(), "/v1/subscriptions", spec.NewSubscription{URL: "https://hooks.example/x", EventTypes: []string{noteAccessed}, Secret: hookSecret}, "FORBIDDEN", "writers only", false},
	}
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			tc.caller.do(t, request{method: http.MethodPost, path: tc.path, body: tc.body, breaksContract: tc.breaks}).expectProblem(t, tc.code)
		})
	}
	t.Run(covers("XFER-002/a refused outcome leaves the sender responsible"), func(t *testing.T) {
		assert.Equal(t, ownLa, responsible(t, h, rec.ID))
		assert.Equal(t, statePROPOSED, transferOf(t, h, ownLa, tr.ID).State)
	})
	t.Run(covers("XFER-001/the inbound package must be for a council this system serves"), func(t *testing.T) {
		p := newPeers(t)
		child := p.a.mgmt().createChild(t, p.a.gen.Child())
		pkg := spec.TransferPackage{
			TransferID: "t0000000-0000-4000-8000-000000000001", ChildID: child.ID, FromLa: spec.LocalAuthorityRef{DfeCode: otherLa},
			ToLa: spec.LocalAuthorityRef{DfeCode: ownLa}, Reason: "CHANGE_OF_ADDRESS", ProposedAt: "2026-06-15T10:00:00.000Z",
			Record: child, Involvements: []spec.Involvement{}, Indicators: []spec.Indicator{}, Consents: []spec.Consent{},
			CaseSummaryRefs: []spec.CaseSummaryRef{},
		}
		prob := p.b.system().post(t, "/v1/inbound/transfers", pkg).problem(t)
		require.NotEmpty(t, prob.Errors)
		assert.Equal(t, "/toLa/dfeCode", prob.Errors[0].Pointer, "B does not serve the receiving council")
	})
}

func TestDeliveriesSurviveRestart(t *testing.T) {
	t.Run(covers("NOTIF-002/a pending webhook delivery survives a restart and is delivered once"), func(t *testing.T) {
		path := t.TempDir() + "/reference.db"
		hk := newHook(t, http.StatusServiceUnavailable)
		clock := &testClock{now: testStart}
		issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
		require.NoError(t, err)
		open := func() *Server {
			st, err := sqlite.Open(path)
			require.NoError(t, err)
			srv, err := New(Options{Store: st, Keys: JWKSFromBytes(issuer.JWKS()), Clock: clock.Now})
			require.NoError(t, err)
			return srv
		}
		srv := open()
		require.NoError(t, srv.store.Update(context.Background(), func(tx store.Tx) error {
			sub := store.Subscription{Subscription: spec.Subscription{ID: "sub-00000001", URL: hk.srv.URL, EventTypes: []string{noteAccessed}, La: ownLa}, Secret: hookSecret, Council: true}
			if err := tx.InsertSubscription(sub); err != nil {
				return err
			}
			_, err := srv.raise(context.Background(), tx, &store.Notification{EventID: "evt-00000001", ChildID: "child-0001", Type: noteAccessed, OccurredAt: "2026-06-15T10:00:00.000Z", La: ownLa})
			return err
		}))
		require.NoError(t, srv.Settle(context.Background()))
		require.Len(t, hk.deliveries(), 1, "the first attempt failed")
		require.NoError(t, srv.Close())

		clock.advanceBy(DefaultBackoff(1))
		srv = open()
		defer func() { require.NoError(t, srv.Close()) }()
		require.NoError(t, srv.Settle(context.Background()))
		got := hk.deliveries()
		require.Len(t, got, 2, "retried after the restart")
		assert.Equal(t, http.StatusOK, got[1].status)
		assert.Equal(t, "evt-00000001", got[1].header.Get(spec.HeaderWebhookID))
		require.NoError(t, srv.Settle(context.Background()))
		assert.Len(t, hk.deliveries(), 2, "delivered once")
	})
}

// TestOutcomeWithoutDirectory shows that a receiver started without a national directory (it
// serves every council itself) takes a package delivered to it, and that the outcome it then
// owes the sender fails with a reason instead of crashing the exchange.
func TestOutcomeWithoutDirectory(t *testing.T) {
	t.Run(covers("XFER-002/an outcome with no directory to send it through is an error, not a crash"), func(t *testing.T) {
		issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
		require.NoError(t, err)
		p := &peers{dirA: MapDirectory{}, issuer: issuer, clock: &testClock{now: testStart}}
		p.a = p.start(t, "system-a", p.dirA)
		p.b = p.start(t, "system-b", MapDirectory{}, func(o *Options) {
			o.Exchange.Directory = nil
			o.Exchange.MaxAttempts = 1
		})
		p.dirA[otherLa] = p.b.http.URL
		rec := transferableChild(t, p.a)
		resp := propose(t, p.a, ownLa, rec.ID, otherLa, "", nil)
		require.Equal(t, http.StatusCreated, resp.status, "propose: %s", resp.body)
		var tr spec.Transfer
		resp.decode(t, &tr)
		require.NoError(t, p.a.srv.Settle(context.Background()))
		require.Equal(t, http.StatusOK, decide(t, p.b, otherLa, tr.ID, stateACCEPTED).status)
		require.NoError(t, p.b.srv.Settle(context.Background()))
		in := transferOf(t, p.b, otherLa, tr.ID)
		require.NotNil(t, in.Delivery, "the receiver shows the outcome it owes")
		assert.Equal(t, store.DeliveryDead, in.Delivery.State)
		assert.Contains(t, in.Delivery.LastError, "no national directory")
		assert.Equal(t, ownLa, responsible(t, p.a, rec.ID), "XFER-002: the sender stays responsible without an outcome")
	})
}
