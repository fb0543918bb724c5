package simulators

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/icscert/icscert/reference"
)

// errorsTextPlain is the errors-text-plain quirk: every response of status 400 or more gets a
// text/plain body that reads like a Go panic's stack trace. The status and the other headers
// are kept. The trace is synthetic and names only the problem code and the method, never
// anything from the request.
func errorsTextPlain(Config) func(http.Handler) http.Handler {
	var goroutine atomic.Int64
	goroutine.Store(1000)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := serveCaptured(next, r)
			if c.status >= 400 {
				var p struct {
					Code string `json:"code"`
				}
				_ = json.Unmarshal(c.body.Bytes(), &p)
				if p.Code == "" {
					p.Code = "ERROR"
				}
				c.header.Set("Content-Type", "text/plain; charset=utf-8")
				c.setBody([]byte(stackTrace(goroutine.Add(1), r.Method, c.status, p.Code)))
			}
			c.send(w)
		})
	}
}

// stackTrace renders the synthetic trace of errorsTextPlain.
func stackTrace(goroutine int64, method string, status int, code string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "panic: api: %s %d %s [recovered]\n\tpanic: api: %s\n\n", method, status, code, code)
	fmt.Fprintf(&b, "goroutine %d [running]:\n", goroutine)
	frames := []struct{ fn, file string }{
		{"net/http.(*conn).serve.func1()", "/usr/local/go/src/net/http/server.go:1947 +0xbe"},
		{"panic({0x9c4be0?, 0xc000412a80?})", "/usr/local/go/src/runtime/panic.go:785 +0x132"},
		{"casework/internal/api.(*Router).fail(0xc0001c6000, {0xb31f48, 0xc0003b2000}, 0x" + strconv.FormatInt(int64(status), 16) + ")", "/build/casework/internal/api/router.go:212 +0x1c5"},
		{"casework/internal/api.(*Router).ServeHTTP(0xc0001c6000, {0xb31f48, 0xc0003b2000}, 0xc0004f2240)", "/build/casework/internal/api/router.go:148 +0x4d2"},
		{"net/http.serverHandler.ServeHTTP({0xc0001d4b40?}, {0xb31f48?, 0xc0003b2000?}, 0x6?)", "/usr/local/go/src/net/http/server.go:3210 +0x8e"},
		{"net/http.(*conn).serve(0xc0002e4120, {0xb33a10, 0xc0001d6a50})", "/usr/local/go/src/net/http/server.go:2092 +0x5d0"},
		{"created by net/http.(*Server).Serve in goroutine 1", "/usr/local/go/src/net/http/server.go:3360 +0x485"},
	}
	for _, f := range frames {
		fmt.Fprintf(&b, "%s\n\t%s\n", f.fn, f.file)
	}
	return b.String()
}

// correlationRE is the form of X-Correlation-ID the API echoes (CONTRACT.md).
var correlationRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// shedNoRetryAfter is the shed-no-retry-after quirk: beyond cfg.ShedLimit requests in flight
// (health checks apart) it answers 503 problem+json without Retry-After, and it strips
// Retry-After from the 503s of the handler behind it.
func shedNoRetryAfter(cfg Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		stripped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&noRetryAfter{ResponseWriter: w}, r)
		})
		return reference.Shed(cfg.shedLimit(), stripped, http.HandlerFunc(writeUnavailable))
	}
}

// writeUnavailable writes the shed answer: a well-formed 503 problem, but no Retry-After.
func writeUnavailable(w http.ResponseWriter, r *http.Request) {
	corr := r.Header.Get("X-Correlation-ID")
	if !correlationRE.MatchString(corr) {
		var b [16]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		corr = hex.EncodeToString(b[:])
	}
	body, _ := json.Marshal(map[string]any{
		"type":          "https://icscert.example/problems/service-unavailable",
		"title":         "The service is unavailable",
		"status":        http.StatusServiceUnavailable,
		"code":          "SERVICE_UNAVAILABLE",
		"detail":        "The server is busy.",
		"correlationId": corr,
	})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Correlation-ID", corr)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(body)
}

// noRetryAfter drops Retry-After from the response it writes.
type noRetryAfter struct {
	http.ResponseWriter
	wrote bool
}

func (n *noRetryAfter) WriteHeader(status int) {
	if !n.wrote {
		n.wrote = true
		n.Header().Del("Retry-After")
	}
	n.ResponseWriter.WriteHeader(status)
}

func (n *noRetryAfter) Write(b []byte) (int, error) {
	if !n.wrote {
		n.WriteHeader(http.StatusOK)
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (n *noRetryAfter) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// slow is the slow quirk: every request but /healthz waits cfg.Latency (or until the client
// goes away) before it is served.
func slow(cfg Config) func(http.Handler) http.Handler {
	latency := cfg.latency()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				t := time.NewTimer(latency)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
