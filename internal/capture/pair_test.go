package capture_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/capture"
	"github.com/icscert/icscert/internal/fidelity"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

// The councils of the pair: system A serves ownLa, system B serves otherLa.
const (
	ownLa   = "202"
	otherLa = "213"
)

// deadline bounds every wait on a condition; generous, for two busy cores.
const deadline = 60 * time.Second

// system is one reference server of a pair, behind its capture proxy.
type system struct {
	name   string
	la     string
	srv    *reference.Server
	direct *httptest.Server // the server itself
	proxy  *capture.Proxy   // what the peer reaches it through
	front  *httptest.Server // the proxy, named in the peer's directory
	dbPath string
	wrap   func(http.Handler) http.Handler // set before start to change what the server does
	out    http.RoundTripper               // set before start: the transport of its deliveries
}

// pair is two reference servers exchanging through two capture proxies.
type pair struct {
	issuer *fixtures.Issuer
	gen    *fixtures.Generator
	a, b   *system
	// backoff is the wait between delivery attempts; 1 ms unless an option says otherwise.
	backoff time.Duration
	// watch, when set, runs before every settling step: an observation.
	watch func(tb testing.TB)
	// observations counts the watch's runs.
	observations int
}

type pairOption func(p *pair)

// newPair starts A and B, each behind a proxy; A's directory names B's proxy for otherLa and
// B's names A's proxy for ownLa. Deliveries use no keep-alive, so that each attempt is one
// request on one connection and the proxy's counts are exact.
func newPair(tb testing.TB, opts ...pairOption) *pair {
	tb.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(tb, err)
	p := &pair{
		issuer: issuer, gen: fixtures.NewGenerator(42),
		a: &system{name: "system-a", la: ownLa}, b: &system{name: "system-b", la: otherLa}, backoff: time.Millisecond,
	}
	for _, o := range opts {
		o(p)
	}
	contract := spec.MustLoad()
	for _, s := range []*system{p.a, p.b} {
		s.front = httptest.NewUnstartedServer(nil)
	}
	dirA := reference.MapDirectory{otherLa: "http://" + p.b.front.Listener.Addr().String()}
	dirB := reference.MapDirectory{ownLa: "http://" + p.a.front.Listener.Addr().String()}
	p.start(tb, p.a, dirA, contract)
	p.start(tb, p.b, dirB, contract)
	return p
}

func (p *pair) start(tb testing.TB, s *system, dir reference.MapDirectory, contract *spec.Contract) {
	tb.Helper()
	s.dbPath = filepath.Join(tb.TempDir(), s.name+".db")
	st, err := sqlite.Open(s.dbPath)
	require.NoError(tb, err)
	out := s.out
	if out == nil {
		out = &http.Transport{DisableKeepAlives: true}
	}
	srv, err := reference.New(reference.Options{Store: st, Keys: reference.JWKSFromBytes(p.issuer.JWKS()), Exchange: reference.ExchangeOptions{
		Directory: dir, SystemOrg: s.name,
		SystemToken: func(context.Context) (string, error) {
			return p.issuer.Token(fixtures.Claims{Sub: s.name, Role: "SYSTEM", Org: s.name, La: s.la, Sector: "LA"})
		},
		Client:  &http.Client{Transport: out, Timeout: 20 * time.Second},
		Backoff: func(int) time.Duration { return p.backoff },
	}})
	require.NoError(tb, err)
	s.srv = srv
	h := srv.Handler()
	if s.wrap != nil {
		h = s.wrap(h)
	}
	s.direct = httptest.NewServer(h)
	s.proxy, err = capture.New(s.direct.URL, capture.Options{Name: s.name, Contract: contract})
	require.NoError(tb, err)
	s.front.Config.Handler = s.proxy
	s.front.Start()
	tb.Cleanup(func() {
		s.front.Close()
		s.direct.Close()
		require.NoError(tb, srv.Close())
	})
}

// reply is one answer to a test's request.
type reply struct {
	status int
	body   []byte
}

func (r reply) decode(tb testing.TB, v any) {
	tb.Helper()
	require.NoError(tb, json.Unmarshal(r.body, v), "decode %s", r.body)
}

// do sends one request straight to s (not through its proxy) as the management of council
// la.
func (p *pair) do(tb testing.TB, s *system, la, method, path string, body any, header map[string]string) reply {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(tb, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.direct.URL+path, rd)
	require.NoError(tb, err)
	tok, err := p.issuer.Token(fixtures.Claims{Sub: "mgmt-" + la, Role: "LA_MANAGEMENT", Org: "mgmt-" + la, La: la, Sector: "LA"})
	require.NoError(tb, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return reply{status: resp.StatusCode, body: b}
}

// must sends a request that must succeed with want.
func (p *pair) must(tb testing.TB, want int, s *system, la, method, path string, body any) reply {
	tb.Helper()
	r := p.do(tb, s, la, method, path, body, nil)
	require.Equal(tb, want, r.status, "%s %s: %s", method, path, r.body)
	return r
}

// child creates, on A, a child with everything a transfer carries: an involvement, a T5
// indicator, an indicator tied to the involvement, a RETAIN_TO_25 consent and a shield.
func (p *pair) child(tb testing.TB) spec.ChildRecord {
	tb.Helper()
	var rec spec.ChildRecord
	p.must(tb, http.StatusCreated, p.a, ownLa, http.MethodPost, "/v1/children", p.gen.Child(fixtures.WithCouncil(ownLa))).decode(tb, &rec)
	var inv spec.Involvement
	p.must(tb, http.StatusCreated, p.a, ownLa, http.MethodPost, "/v1/children/"+rec.ID+"/involvements", p.gen.Involvement("GP", "2026-01-01")).decode(tb, &inv)
	p.must(tb, http.StatusCreated, p.a, ownLa, http.MethodPost, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: "CHILD_PROTECTION_PLAN", StartDate: "2026-03-01", Category: "NEG"})
	p.must(tb, http.StatusCreated, p.a, ownLa, http.MethodPost, "/v1/children/"+rec.ID+"/indicators", spec.NewIndicator{Type: "CAF_UNDERTAKEN", StartDate: "2026-03-02", InvolvementID: inv.ID})
	p.must(tb, http.StatusCreated, p.a, ownLa, http.MethodPost, "/v1/children/"+rec.ID+"/consents", spec.NewConsent{Scope: "RETAIN_TO_25", GivenBy: "PARENT_WITH_PR", GivenOn: "2026-02-03", RetainToAge: 21})
	p.must(tb, http.StatusOK, p.a, ownLa, http.MethodPut, "/v1/children/"+rec.ID+"/shield", spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: "2027-01-01"})
	return rec
}

// propose proposes, as A's management, a transfer of child to otherLa under key.
func (p *pair) propose(tb testing.TB, childID, key string) spec.Transfer {
	tb.Helper()
	r := p.do(tb, p.a, ownLa, http.MethodPost, "/v1/transfers", spec.NewTransfer{
		ChildID: childID, ToLa: spec.LocalAuthorityRef{DfeCode: otherLa}, Reason: "CHANGE_OF_ADDRESS",
		CaseSummaryRefs: []spec.CaseSummaryRef{{Type: "CHILD_IN_NEED_PLAN", Title: "Plan review", Date: "2026-04-01", Sha256: fmt.Sprintf("%064x", 171)}},
	}, map[string]string{"Idempotency-Key": key})
	require.Equal(tb, http.StatusCreated, r.status, "propose: %s", r.body)
	var tr spec.Transfer
	r.decode(tb, &tr)
	return tr
}

// transfer reads transfer id on s as the management of s's council; ok is false on 404.
func (p *pair) transfer(tb testing.TB, s *system, id string) (spec.Transfer, bool) {
	tb.Helper()
	r := p.do(tb, s, s.la, http.MethodGet, "/v1/transfers/"+id, nil, nil)
	if r.status == http.StatusNotFound {
		return spec.Transfer{}, false
	}
	require.Equal(tb, http.StatusOK, r.status, "read transfer: %s", r.body)
	var tr spec.Transfer
	r.decode(tb, &tr)
	return tr, true
}

// responsible returns the council s names responsible for the child, "" when s has no record
// of it. A shielded record shows its responsible council only to that council's management,
// so it is read as each council's management in turn; the deliveries run meanwhile, so a
// pair of reads that straddles a hand-over is read again.
func (p *pair) responsible(tb testing.TB, s *system, childID string) string {
	tb.Helper()
	for range 5 {
		for _, la := range []string{s.la, other(s.la)} {
			r := p.do(tb, s, la, http.MethodGet, "/v1/children/"+childID, nil, nil)
			if r.status == http.StatusNotFound {
				return ""
			}
			require.Equal(tb, http.StatusOK, r.status, "read child: %s", r.body)
			var rec spec.ChildRecord
			r.decode(tb, &rec)
			if rec.ResponsibleLa != nil {
				return rec.ResponsibleLa.DfeCode
			}
		}
	}
	require.Fail(tb, "neither council's management sees the responsible council")
	return ""
}

func other(la string) string {
	if la == ownLa {
		return otherLa
	}
	return ownLa
}

// observe checks responsibility at one moment while the deliveries run. Responsibility moves
// one way: A hands over on the outcome, then B on A's acknowledgement; the reads are ordered
// so that this movement cannot make a sound pair look unsound. It checks that A, the sender,
// names the sending council until its transfer is COMPLETED (XFER-002); that no two councils
// are responsible at once (A claiming its council while B claims its own); and that once
// both sides are COMPLETED both name the receiving council.
func (p *pair) observe(tb testing.TB, childID, transferID string) {
	tb.Helper()
	trA0, _ := p.transfer(tb, p.a, transferID)
	trB0, haveB0 := p.transfer(tb, p.b, transferID)
	atB := p.responsible(tb, p.b, childID)
	atA := p.responsible(tb, p.a, childID)
	trA1, _ := p.transfer(tb, p.a, transferID)
	require.NotEmpty(tb, atA, "the sender always holds a record naming one council")
	if trA1.State != "COMPLETED" {
		require.Equal(tb, ownLa, atA, "XFER-002: the sender stays responsible until COMPLETED")
	}
	require.False(tb, atA == ownLa && atB == otherLa, "responsibility is never with two councils")
	if trA0.State == "COMPLETED" && haveB0 && trB0.State == "COMPLETED" {
		require.Equal(tb, otherLa, atA, "completed: the receiving council is responsible")
		require.Equal(tb, otherLa, atB, "completed: the receiving council is responsible")
	}
}

// settleUntil drains both systems' deliveries until cond holds.
func (p *pair) settleUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	end := time.Now().Add(deadline)
	for {
		if p.watch != nil {
			p.watch(tb)
			p.observations++
		}
		if cond() {
			return
		}
		require.True(tb, time.Now().Before(end), "waiting for %s", what)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		require.NoError(tb, p.a.srv.Settle(ctx))
		require.NoError(tb, p.b.srv.Settle(ctx))
		cancel()
		time.Sleep(2 * time.Millisecond) // past the 1 ms backoff
	}
}

// delivered waits until B holds the inbound transfer.
func (p *pair) delivered(tb testing.TB, id string) {
	tb.Helper()
	p.settleUntil(tb, "the package to arrive at B", func() bool { _, ok := p.transfer(tb, p.b, id); return ok })
}

// complete accepts the transfer on B and waits until both sides are COMPLETED.
func (p *pair) complete(tb testing.TB, id string) {
	tb.Helper()
	p.must(tb, http.StatusOK, p.b, otherLa, http.MethodPost, "/v1/transfers/"+id+"/acceptance", spec.TransferAcceptance{Decision: "ACCEPTED"})
	p.settleUntil(tb, "both sides to complete", func() bool {
		a, _ := p.transfer(tb, p.a, id)
		b, _ := p.transfer(tb, p.b, id)
		return a.State == "COMPLETED" && b.State == "COMPLETED"
	})
}

// count counts rows of a table of s's database, read through its own connection.
func count(tb testing.TB, s *system, table string) int {
	tb.Helper()
	db, err := sql.Open("sqlite", s.dbPath+"?mode=ro")
	require.NoError(tb, err)
	defer func() { _ = db.Close() }()
	var n int
	require.NoError(tb, db.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// snapshot reads, as the management of council la, what s holds of a child: the record, its
// involvements, indicators (from the record), shielding (from the record) and the consents
// with the given ids. Case-summary references have no read: that section is not observed.
func (p *pair) snapshot(tb testing.TB, s *system, la, childID string, consentIDs []string) fidelity.Snapshot {
	tb.Helper()
	var snap fidelity.Snapshot
	r := p.must(tb, http.StatusOK, s, la, http.MethodGet, "/v1/children/"+childID, nil)
	v, err := fidelity.Decode(r.body)
	require.NoError(tb, err)
	snap.Record = v.(map[string]any)
	snap.Indicators, _ = snap.Record["indicators"].([]any)
	if snap.Indicators == nil {
		snap.Indicators = []any{}
	}
	snap.Shielding, _ = snap.Record["shielding"].(map[string]any)
	if snap.Shielding == nil {
		snap.Shielding = map[string]any{}
	}
	r = p.must(tb, http.StatusOK, s, la, http.MethodGet, "/v1/children/"+childID+"/involvements", nil)
	v, err = fidelity.Decode(r.body)
	require.NoError(tb, err)
	snap.Involvements, _ = v.(map[string]any)["involvements"].([]any)
	snap.Consents = []any{}
	for _, id := range consentIDs {
		r := p.do(tb, s, la, http.MethodGet, "/v1/consents/"+id, nil, nil)
		if r.status == http.StatusNotFound {
			continue
		}
		require.Equal(tb, http.StatusOK, r.status, "consent: %s", r.body)
		v, err := fidelity.Decode(r.body)
		require.NoError(tb, err)
		snap.Consents = append(snap.Consents, v)
	}
	return snap
}

// consentIDs returns the ids of the consents in a package.
func consentIDs(tb testing.TB, pkg fidelity.Snapshot) []string {
	tb.Helper()
	var ids []string
	for _, c := range pkg.Consents {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	return ids
}
