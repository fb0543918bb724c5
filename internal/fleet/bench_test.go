package fleet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
)

// BenchmarkSuiteAgainstReference measures the wall time of the whole suite against the
// in-process reference, and how much of it the harness itself takes: everything that is not
// the reference handling requests (godog, the instrumented client, contract validation,
// redaction, reporting). The share is exact at concurrency 1, where requests do not overlap.
func BenchmarkSuiteAgainstReference(b *testing.B) {
	for _, conc := range []int{1, harness.DefaultConcurrency} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			var serverNanos, requests atomic.Int64
			target := &harness.Target{
				Name: "reference", Vendor: "icscert", Product: "reference", Version: "bench",
				Starter: harness.StartFunc(func(_ context.Context, trust harness.Trust) (string, func(), error) {
					st, err := sqlite.Open(sqlite.Memory)
					if err != nil {
						return "", nil, err
					}
					srv, err := reference.New(reference.Options{Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience})
					if err != nil {
						return "", nil, err
					}
					timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						start := time.Now()
						srv.Handler().ServeHTTP(w, r)
						serverNanos.Add(int64(time.Since(start)))
						requests.Add(1)
					})
					ts := httptest.NewServer(timed)
					return ts.URL, func() { ts.Close(); _ = srv.Close() }, nil
				}),
			}
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				rep, err := harness.Run(context.Background(), harness.Config{Target: target, Concurrency: conc, Redact: true})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Verdict != reports.Pass && rep.Verdict != reports.Incomplete {
					b.Fatalf("the reference must fail nothing: %s %s", rep.Verdict, rep.Headline)
				}
			}
			wall := time.Since(start)
			n := float64(b.N)
			b.ReportMetric(float64(requests.Load())/n, "requests/op")
			b.ReportMetric(time.Duration(serverNanos.Load()).Seconds()/n, "reference-s/op")
			if conc == 1 {
				b.ReportMetric(100*(1-float64(serverNanos.Load())/float64(wall)), "harness-%")
			}
		})
	}
}
