package capture_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/icscert/icscert/internal/capture"
)

// BenchmarkPairTransfer measures one transfer A → B through the two capture proxies: propose,
// deliver, accept, report the outcome, both sides COMPLETED, with every exchange recorded and
// checked against the contract. The pair is started once; each iteration transfers a new
// child.
func BenchmarkPairTransfer(b *testing.B) {
	p := newPair(b)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		rec := p.child(b)
		b.StartTimer()
		tr := p.propose(b, rec.ID, fmt.Sprintf("bench-%d", i))
		p.delivered(b, tr.ID)
		p.complete(b, tr.ID)
	}
}

// BenchmarkProxyExchange measures the proxy's own cost on one delivery: forward, record with
// redaction, and check request and response against the contract.
func BenchmarkProxyExchange(b *testing.B) {
	proxy, url := through(b, &stub{answers: []stubAnswer{{http.StatusCreated, validTransfer}}}, capture.Options{})
	body := validPackage()
	b.ResetTimer()
	for i := range b.N {
		if got := post(b, url, packagePath, fmt.Sprintf("k-%d", i), body); got != http.StatusCreated {
			b.Fatalf("status %d", got)
		}
	}
	b.StopTimer()
	if f, _ := proxy.Findings(); len(f) > 0 {
		b.Fatalf("findings on a conforming exchange: %v", f)
	}
}
