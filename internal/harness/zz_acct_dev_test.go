package harness

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"

	"context"
	"fmt"
	"os"
	"testing"
	"strings"
	"time"

	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/simulators"

	"github.com/icscert/icscert/reports"
)

func TestZZAcctDev(t *testing.T) {
	tags := os.Getenv("ZZ_TAGS")
	if tags == "" {
		t.Skip("ZZ_TAGS not set")
	}
	start := time.Now()
	target := referenceTarget(t)
	if sim := os.Getenv("ZZ_SIM"); sim != "" {
		name, version, _ := strings.Cut(sim, "@")
		p, ok := simulators.Lookup(name, version)
		if !ok {
			t.Fatalf("no profile %s", sim)
		}
		target = &Target{Name: sim, Vendor: "x", Product: "x", Version: "x", Councils: []string{"202"},
			Starter: StartFunc(func(ctx context.Context, trust Trust) (string, func(), error) {
				in, err := simulators.Start(ctx, p, simulators.StartOptions{Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience})
				if err != nil {
					return "", nil, err
				}
				return in.URL, func() { _ = in.Close() }, nil
			})}
	}
	if mut := os.Getenv("ZZ_MUT"); mut != "" {
		inner := target.Starter
		target.Starter = StartFunc(func(ctx context.Context, trust Trust) (string, func(), error) {
			u, stop, err := inner.Start(ctx, trust)
			if err != nil {
				return "", nil, err
			}
			ts := httptest.NewServer(mutate(mut, u))
			return ts.URL, func() { ts.Close(); stop() }, nil
		})
	}
	rep, err := Run(context.Background(), Config{Target: target, OutDir: t.TempDir(), Tags: tags, Redact: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range rep.Scenarios {
		if s.Verdict == reports.Skipped {
			continue
		}
		n++
		if s.Verdict != reports.Pass {
			if os.Getenv("ZZ_BRIEF") != "" {
				fmt.Printf("%s %s %s: %v %s\n", s.Verdict, s.ID, s.Name, s.Failure.Requirements, s.Failure.Message)
			} else {
				fmt.Printf("%s %s %s: %+v\n\n", s.Verdict, s.ID, s.Name, s.Failure)
			}
		}
	}
	fmt.Printf("%d scenarios in %s; verdict %s\n", n, time.Since(start), rep.Verdict)
	for _, r := range rep.Requirements {
		if r.Verdict != reports.Pass && r.Verdict != reports.NotApplicable && r.Verdict != reports.Skipped {
			fmt.Printf("  requirement %s: %s\n", r.ID, r.Verdict)
		}
	}
}

func mutate(kind, upstream string) http.Handler {
	u, _ := url.Parse(upstream)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p := resp.Request.URL.Path
		switch {
		case kind == "tiers" && p == "/v1/audit-events":
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				evs, _ := m["events"].([]any)
				for _, e := range evs {
					e.(map[string]any)["disclosedTiers"] = []any{"T1"}
				}
				body, _ = json.Marshal(m)
			}
		case kind == "actor" && p == "/v1/audit-events":
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				evs, _ := m["events"].([]any)
				for _, e := range evs {
					e.(map[string]any)["actor"].(map[string]any)["org"] = "X"
				}
				body, _ = json.Marshal(m)
			}
		case kind == "history" && strings.HasSuffix(p, "/access-history"):
			var m map[string]any
			if json.Unmarshal(body, &m) == nil {
				acc, _ := m["accesses"].([]any)
				for i, j := 0, len(acc)-1; i < j; i, j = i+1, j-1 {
					acc[i], acc[j] = acc[j], acc[i]
				}
				body, _ = json.Marshal(m)
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch kind {
		case "purpose":
			if r.Header.Get("X-Purpose-Of-Use") == "" {
				r.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
			}
		case "idem":
			r.Header.Del("Idempotency-Key")
		case "nobreakglass":
			r.Header.Del("X-Break-Glass-Reason")
			if r.Header.Get("X-Purpose-Of-Use") == "BREAK_GLASS" {
				r.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
			}
		case "retryafter":
		}
		proxy.ServeHTTP(w, r)
	})
}
