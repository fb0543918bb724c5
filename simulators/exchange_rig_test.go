package simulators

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/spec"
)

// Councils of the exchange tests: system A serves Camden (202, every council but 213), system
// B serves Westminster (213).
const (
	laA = "202"
	laB = "213"
)

// managementB is the management team of the receiving council, served by system B.
var managementB = fixtures.Claims{Sub: "mgmt-213", Role: "LA_MANAGEMENT", Org: "LA-213", La: laB, Sector: "LA"}

// movingClock is a clock the tests move forward, so that a retry's backoff can pass.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// exchangeBackoff is the wait between delivery attempts in the exchange tests.
const exchangeBackoff = time.Second

// wire records every delivery a system sends as it leaves the system (after its quirks), and
// can lose the answer to the first delivery to a path (the receiver took it in, the sender
// never hears), forcing a retry.
type wire struct {
	mu        sync.Mutex
	sent      []sent
	loseFirst string // a path suffix whose first answer is lost
	lost      bool
}

// sent is one delivery on the wire and the answer it got.
type sent struct {
	path   string
	header http.Header
	body   []byte
	status int
	answer []byte
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, sent{path: r.URL.Path, header: r.Header.Clone(), body: body, status: resp.StatusCode, answer: answer})
	if w.loseFirst != "" && strings.HasSuffix(r.URL.Path, w.loseFirst) && !w.lost {
		w.lost = true
		return nil, errors.New("test wire: the answer was lost")
	}
	return resp, nil
}

// loseFirstAnswer has the wire lose the answer to the first delivery to a path ending in
// suffix.
func (w *wire) loseFirstAnswer(suffix string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.loseFirst = suffix
}

// deliveries returns what was sent to paths ending in suffix.
func (w *wire) deliveries(suffix string) []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []sent
	for _, s := range w.sent {
		if strings.HasSuffix(s.path, suffix) {
			out = append(out, s)
		}
	}
	return out
}

// pair is two simulated systems that exchange transfers: a serves council 202 and b council
// 213. They trust one issuer and share one clock.
type pair struct {
	a, b         *rig
	wireA, wireB *wire
	clock        *movingClock
}

// newPair starts sender behind system A and receiver behind system B.
func newPair(t *testing.T, sender, receiver Profile) *pair {
	t.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	pr := &pair{wireA: &wire{}, wireB: &wire{}, clock: &movingClock{now: testStart}}
	dirA, dirB := reference.MapDirectory{}, reference.MapDirectory{}
	pr.a = startPeer(t, sender, issuer, pr.clock, dirA, pr.wireA, "system-a", laA)
	pr.b = startPeer(t, receiver, issuer, pr.clock, dirB, pr.wireB, "system-b", laB)
	dirA[laB] = pr.b.in.URL
	dirB[laA] = pr.a.in.URL
	return pr
}

// startPeer starts one system of a pair, sending through w.
func startPeer(t *testing.T, p Profile, issuer *fixtures.Issuer, clock *movingClock, dir reference.Directory, w *wire, org, la string) *rig {
	t.Helper()
	opts := StartOptions{
		Keys: reference.JWKSFromBytes(issuer.JWKS()), Clock: clock.Now,
		Exchange: reference.ExchangeOptions{
			Directory: dir, SystemOrg: org,
			SystemToken: func(context.Context) (string, error) {
				return issuer.Token(fixtures.Claims{Sub: org, Role: "SYSTEM", Org: org, La: la, Sector: "LA", IssuedAt: clock.Now()})
			},
			Client:  &http.Client{Transport: w, Timeout: 10 * time.Second},
			Backoff: func(int) time.Duration { return exchangeBackoff },
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, err := Start(ctx, p, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, in.Close()) })
	gen := fixtures.NewGenerator(11)
	gen.Today = testStart
	return &rig{t: t, in: in, issuer: issuer, gen: gen, client: &http.Client{Timeout: 10 * time.Second}}
}

// settle drains both systems' deliveries until neither has anything due.
func (pr *pair) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 3 { // A's package, B's outcome, and A's answer completing B
		require.NoError(t, pr.a.in.Settle(ctx))
		require.NoError(t, pr.b.in.Settle(ctx))
	}
}

// propose proposes a transfer of childID from council 202 to 213 and returns its id.
func (pr *pair) propose(t *testing.T, childID string, refs []spec.CaseSummaryRef) string {
	t.Helper()
	rp := pr.a.do(http.MethodPost, "/v1/transfers", management, spec.NewTransfer{
		ChildID: childID, ToLa: spec.LocalAuthorityRef{DfeCode: laB}, Reason: "CHANGE_OF_ADDRESS", CaseSummaryRefs: refs,
	})
	require.Equal(t, http.StatusCreated, rp.status, "propose: %s", rp.body)
	id, _ := rp.json(t)["id"].(string)
	require.NotEmpty(t, id)
	return id
}

// accept accepts transfer id as the receiving council's management, on system B.
func (pr *pair) accept(t *testing.T, id string) {
	t.Helper()
	rp := pr.b.do(http.MethodPost, "/v1/transfers/"+id+"/acceptance", managementB, spec.TransferAcceptance{Decision: "ACCEPTED"})
	require.Equal(t, http.StatusOK, rp.status, "accept: %s", rp.body)
}

// transferState reads transfer id on r as actor.
func transferState(t *testing.T, r *rig, actor fixtures.Claims, id string) string {
	t.Helper()
	rp := r.do(http.MethodGet, "/v1/transfers/"+id, actor, nil)
	require.Equal(t, http.StatusOK, rp.status, "read transfer: %s", rp.body)
	s, _ := rp.json(t)["state"].(string)
	return s
}
