package capture_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/fidelity"
)

// TestFidelityReference proves that the reference loses nothing: A → B leaves no difference
// between the sender's record, the package on the wire and the receiver's record, and
// A → B → A gives back an equal record, case-summary references included (observed on the
// wire both ways).
func TestFidelityReference(t *testing.T) {
	p := newPair(t)
	rec := p.child(t)
	tr := p.propose(t, rec.ID, "xfer-fidelity")
	p.delivered(t, tr.ID)
	pkg := packageOf(t, p.b, tr.ID)
	before := p.snapshot(t, p.a, ownLa, rec.ID, consentIDs(t, pkg))
	p.complete(t, tr.ID)
	atB := p.snapshot(t, p.b, otherLa, rec.ID, consentIDs(t, pkg))

	faults := fidelity.Blame(pkg, before, atB, fidelity.Options{})
	assert.Empty(t, faults, "A → B: nothing lost or changed")
	require.Len(t, pkg.Consents, 1)
	require.Len(t, pkg.CaseSummaryRefs, 1)
	assert.Equal(t, true, pkg.Shielding["shielded"])

	// And back: B proposes to A, A accepts.
	var back struct {
		ID string `json:"id"`
	}
	p.must(t, http.StatusCreated, p.b, otherLa, http.MethodPost, "/v1/transfers", map[string]any{
		"childId": rec.ID, "toLa": map[string]string{"dfeCode": ownLa}, "reason": "CHANGE_OF_ADDRESS",
	}).decode(t, &back)
	p.settleUntil(t, "the package to arrive at A", func() bool { _, ok := p.transfer(t, p.a, back.ID); return ok })
	p.must(t, http.StatusOK, p.a, ownLa, http.MethodPost, "/v1/transfers/"+back.ID+"/acceptance", map[string]string{"decision": "ACCEPTED"})
	p.settleUntil(t, "the return to complete", func() bool {
		a, _ := p.transfer(t, p.a, back.ID)
		b, _ := p.transfer(t, p.b, back.ID)
		return a.State == "COMPLETED" && b.State == "COMPLETED"
	})
	returned := packageOf(t, p.a, back.ID)
	atB.CaseSummaryRefs = returned.CaseSummaryRefs // what B holds, as it sent it back
	assert.Empty(t, fidelity.Blame(pkg, before, atB, fidelity.Options{}), "B kept the case-summary references")
	again := p.snapshot(t, p.a, ownLa, rec.ID, consentIDs(t, pkg))
	again.CaseSummaryRefs, before.CaseSummaryRefs = returned.CaseSummaryRefs, pkg.CaseSummaryRefs
	res := fidelity.Compare(before, again, fidelity.Options{})
	assert.Empty(t, res.Differences, "A → B → A gives an equal record, apart from audit metadata")
	assert.Empty(t, res.NotCompared, "every section was observed")
	assertClean(t, p)
}

// TestFidelityBlame proves that a loss is charged to the side that caused it: a receiver that
// drops consents on import, and a sender whose package lacks the shield.
func TestFidelityBlame(t *testing.T) {
	t.Run("receiver drops consents on import", func(t *testing.T) {
		p := newPair(t, func(p *pair) { p.b.wrap = rewriteInbound(func(pkg map[string]any) { pkg["consents"] = []any{} }) })
		rec := p.child(t)
		tr := p.propose(t, rec.ID, "xfer-drop-consents")
		p.delivered(t, tr.ID)
		pkg := packageOf(t, p.b, tr.ID)
		before := p.snapshot(t, p.a, ownLa, rec.ID, consentIDs(t, pkg))
		p.complete(t, tr.ID)
		atB := p.snapshot(t, p.b, otherLa, rec.ID, consentIDs(t, pkg))
		faults := fidelity.Blame(pkg, before, atB, fidelity.Options{})
		require.Len(t, faults, 1, "%v", faults)
		assert.Equal(t, fidelity.Receiver, faults[0].Side, "the package had the consent; the receiver's record does not")
		assert.Equal(t, "/consents/0", faults[0].Pointer)
		assert.Equal(t, fidelity.Absent, faults[0].Right)
		assert.Equal(t, "XFER-004", faults[0].Requirement)
	})
	t.Run("sender's package lacks the shield", func(t *testing.T) {
		strip := &rewriter{next: noKeepAlive(), fn: func(pkg map[string]any) {
			pkg["shielding"] = map[string]any{"shielded": false}
			pkg["record"].(map[string]any)["shielding"] = map[string]any{"shielded": false}
		}}
		p := newPair(t, func(p *pair) { p.a.out = strip })
		rec := p.child(t)
		tr := p.propose(t, rec.ID, "xfer-no-shield")
		p.delivered(t, tr.ID)
		pkg := packageOf(t, p.b, tr.ID)
		before := p.snapshot(t, p.a, ownLa, rec.ID, consentIDs(t, pkg))
		p.complete(t, tr.ID)
		atB := p.snapshot(t, p.b, otherLa, rec.ID, consentIDs(t, pkg))
		faults := fidelity.Blame(pkg, before, atB, fidelity.Options{})
		require.NotEmpty(t, faults)
		var ptrs []string
		for _, f := range faults {
			assert.Equal(t, fidelity.Sender, f.Side, "the receiver kept what it was sent: %s", f)
			ptrs = append(ptrs, f.Pointer)
		}
		assert.Contains(t, ptrs, "/shielding/shielded")
		assert.Contains(t, ptrs, "/record/shielding/shielded")
	})
}

// packageOf decodes the package of transfer id as s's proxy forwarded it.
func packageOf(t *testing.T, s *system, id string) fidelity.Snapshot {
	t.Helper()
	body, ok := s.proxy.Package(id)
	require.True(t, ok, "the proxy saw the package of %s", id)
	pkg, err := fidelity.FromPackage(body)
	require.NoError(t, err)
	return pkg
}

// rewriteInbound wraps a server so that it receives every inbound package changed by fn: a
// receiver that imports wrongly.
func rewriteInbound(fn func(pkg map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == packagePath {
				body, _ := io.ReadAll(r.Body)
				body = rewrite(body, fn)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rewriter is a sender's delivery transport that changes every package by fn: a sender that
// builds its package wrongly.
type rewriter struct {
	next http.RoundTripper
	fn   func(pkg map[string]any)
}

func (rw *rewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.Path == packagePath {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		body = rewrite(body, rw.fn)
		r = r.Clone(r.Context())
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	return rw.next.RoundTrip(r)
}

func rewrite(body []byte, fn func(pkg map[string]any)) []byte {
	var pkg map[string]any
	if json.Unmarshal(body, &pkg) != nil {
		return body
	}
	fn(pkg)
	out, err := json.Marshal(pkg)
	if err != nil {
		return body
	}
	return out
}

func noKeepAlive() http.RoundTripper { return &http.Transport{DisableKeepAlives: true} }
