package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/features"
	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// metaHandler answers GET /v1/meta as a conforming system would.
func metaHandler(w http.ResponseWriter, _ *http.Request) {
	meta := spec.Meta{APIVersion: spec.APIVersion, CodeSystems: []spec.CodeSystem{}, Capabilities: []string{}}
	for _, c := range spec.CodeLists {
		meta.CodeSystems = append(meta.CodeSystems, spec.CodeSystem{Name: c.Name, Version: c.Version})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(meta)
}

// hostile is one kind of misbehaviour: an HTTP handler (behind httptest) or a raw TCP
// behaviour for each connection.
type hostile struct {
	reason string
	// afterPreflight: GET /v1/meta answers correctly and every other request misbehaves.
	afterPreflight bool
	// hangs: the target never finishes answering, so the per-request timeout is what ends each
	// request and the case runs with a short one (hangTimeout). Every other case runs with a
	// timeout no load reaches (answerTimeout): its verdict comes from what the target sent, and
	// a busy machine must not turn it into a timeout.
	hangs   bool
	handler http.HandlerFunc
	raw     func(net.Conn) // instead of handler: what to do with each connection
	target  func(base string) string
	code    int
	verdict reports.Verdict
	message string // in report.json's message, when set
	// seen, when set, collects what the target received; no personal value of it may reach a
	// report.
	seen *received
}

// received collects the personal values in the JSON bodies a hostile target received.
type received struct {
	mu     sync.Mutex
	values []string
}

func (r *received) record(body []byte) {
	var child spec.NewChild
	if json.Unmarshal(body, &child) != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values = append(r.values, fixtures.ChildValues(child)...)
}

func deepJSON(n int) []byte {
	return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...)
}

func hijack(w http.ResponseWriter, do func(net.Conn)) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	do(c)
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// chunkedForever streams a chunked body until the client goes away.
func chunkedForever(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func hostileCases() []hostile {
	huge := strings.Repeat("x", 4<<20)
	echoed := &received{}
	return []hostile{
		// Before preflight: GET /v1/meta itself misbehaves.
		{reason: "garbage instead of HTTP", raw: func(c net.Conn) {
			_, _ = c.Write(bytes.Repeat([]byte("\x00\xffgarbage"), 1000))
			_ = c.Close()
		}, code: exitUntestable, verdict: reports.Error, message: "not HTTP"},
		{reason: "the connection closes without an answer", raw: func(c net.Conn) { _ = c.Close() }, code: exitUntestable, verdict: reports.Error, message: "closed the connection"},
		{reason: "the connection is reset", raw: reset, code: exitUntestable, verdict: reports.Error},
		{reason: "no answer at all (slowloris)", hangs: true, raw: func(c net.Conn) {
			_, _ = io.Copy(io.Discard, c) // until the harness gives up and closes
			_ = c.Close()
		}, code: exitUntestable, verdict: reports.Error, message: "not answering"},
		{reason: "headers trickle in forever", hangs: true, raw: func(c net.Conn) {
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			for i := 0; i < 100; i++ {
				if _, err := fmt.Fprintf(c, "X-Slow-%d: y\r\n", i); err != nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			_ = c.Close()
		}, code: exitUntestable, verdict: reports.Error},
		{reason: "a 4 MB response header", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Huge", huge)
			metaHandler(w, nil)
		}, code: exitUntestable, verdict: reports.Error, message: "response headers are larger than"},
		{reason: "a chunked body that never ends", handler: chunkedForever, code: exitUntestable, verdict: reports.Error, message: "larger than"},
		{reason: "10 MB of nested arrays", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(deepJSON(5 << 20))
		}, code: exitUntestable, verdict: reports.Error, message: "larger than"},
		{reason: "a body that is not JSON", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"apiVersion": "1.0.0",`))
		}, code: exitUntestable, verdict: reports.Error, message: "not a Meta document"},
		{reason: "an HTML page", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Welcome</body></html>"))
		}, code: exitUntestable, verdict: reports.Error, message: "text/html"},
		{reason: "a redirect loop", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, code: exitUntestable, verdict: reports.Error, message: "a redirect"},
		{reason: "an undeclared status", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}, code: exitUntestable, verdict: reports.Error, message: "answered 418"},
		{reason: "a body shorter than its Content-Length", raw: func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096))
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\""))
			_ = c.Close()
		}, code: exitUntestable, verdict: reports.Error, message: "broke off"},
		{reason: "a URL that is not the API", handler: http.NotFound, code: exitUsage, verdict: reports.Config, message: "answered 404"},
		{reason: "a port over 65535", target: func(string) string {
			return "name: x\nbaseUrl: http://127.0.0.1:99999\n"
		}, code: exitUsage, verdict: reports.Config, message: "65535"},

		// After preflight: the metadata is right, everything else misbehaves.
		{reason: "a 4 MB header after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Huge", huge)
			w.WriteHeader(http.StatusCreated)
		}, code: exitUntestable, verdict: reports.Error},
		{reason: "10 MB of nested arrays after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(deepJSON(5 << 20))
		}, code: exitFail, verdict: reports.Fail},
		{reason: "invalid UTF-8 in JSON after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("{\"id\":\"\xff\xfe\",\"version\":1}"))
		}, code: exitFail, verdict: reports.Fail},
		{reason: "no answer after preflight", afterPreflight: true, hangs: true, handler: func(_ http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the client giving up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
		}, code: exitUntestable, verdict: reports.Error},
		{reason: "connection reset after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			hijack(w, reset)
		}, code: exitUntestable, verdict: reports.Error},
		{reason: "a chunked body that never ends after preflight", afterPreflight: true, handler: chunkedForever, code: exitUntestable, verdict: reports.Error},
		{reason: "garbage after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, _ *http.Request) {
			hijack(w, func(c net.Conn) {
				_, _ = c.Write([]byte("\x00\x01 not http at all\r\n\r\n"))
				_ = c.Close()
			})
		}, code: exitUntestable, verdict: reports.Error},
		{reason: "a redirect loop after preflight", afterPreflight: true, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusTemporaryRedirect)
		}, code: exitFail, verdict: reports.Fail},
		{reason: "an HTML page echoing the request after preflight", afterPreflight: true, seen: echoed, handler: func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			echoed.record(body)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(append([]byte("<html><pre>"), body...))
		}, code: exitFail, verdict: reports.Fail},
	}
}

// serveHostile starts h on loopback and returns its base URL; it stops when the test ends.
func serveHostile(t *testing.T, h hostile) string {
	t.Helper()
	if h.raw != nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		var wg sync.WaitGroup
		t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				wg.Add(1)
				go func() { defer wg.Done(); h.raw(c) }()
			}
		}()
		return "http://" + ln.Addr().String()
	}
	handler := http.Handler(h.handler)
	if h.afterPreflight {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/meta", metaHandler)
		mux.Handle("/", h.handler)
		handler = mux
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv.URL
}

// peakHeap samples the heap in use until stop is called and returns the largest sample.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// The per-request timeouts of TestHostileTargets: short for a target that hangs, so that the
// case ends soon, and far beyond any load for a target that answers.
const (
	hangTimeout   = "1s"
	answerTimeout = "30s"
)

// TestHostileTargets points the real CLI at targets that misbehave before and after preflight.
// Whatever they do, the run ends (each request bounded by the per-request timeout, the run by
// the breaker) within bounded memory, with the right verdict and exit code, and writes every
// report, each of bounded size. The bounds are generous: they catch a harness that hangs or
// balloons, not a slow machine.
func TestHostileTargets(t *testing.T) {
	const (
		maxHeap   = 1 << 30
		maxReport = 32 << 20
	)
	for _, h := range hostileCases() {
		t.Run(h.reason, func(t *testing.T) {
			dir := t.TempDir()
			var body string
			if h.target != nil {
				body = h.target("")
			} else {
				body = "name: hostile\nbaseUrl: " + serveHostile(t, h) + "\n"
			}
			targetFile := filepath.Join(dir, "target.yaml")
			require.NoError(t, os.WriteFile(targetFile, []byte(body), 0o644))
			out := filepath.Join(dir, "out")
			timeout := answerTimeout
			if h.hangs {
				timeout = hangTimeout
			}
			args := []string{"run", "--target", targetFile, "--out", out, "--timeout", timeout, "--tags", "@ID-001"}

			stop := peakHeap()
			start := time.Now()
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), args, &stdout, &stderr), &stderr)
			wall := time.Since(start)
			peak := stop()

			assert.Equal(t, h.code, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
			// The wall time is logged, not judged: a busy machine stretches it past any fixed
			// bound. What ends a hostile run is judged instead: the per-request timeout and the
			// breaker (the verdict and message of each case), and go test's own timeout.
			t.Logf("wall time %s", wall.Round(time.Millisecond))
			assert.Less(t, peak, uint64(maxHeap), "peak heap in use")
			for _, name := range []string{reports.JSONFile, reports.JUnitFile, reports.CucumberFile, reports.MessagesFile, reports.MarkdownFile, reports.HTMLFile} {
				st, err := os.Stat(filepath.Join(out, name))
				if assert.NoError(t, err, "report %s is written", name) {
					assert.Less(t, st.Size(), int64(maxReport), "%s is bounded", name)
				}
			}
			data, err := os.ReadFile(filepath.Join(out, reports.JSONFile))
			require.NoError(t, err)
			assert.NoError(t, reports.ValidateJSON(data), "report.json of a hostile target against its published schema")
			rep, err := reports.ReadJSON(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, h.verdict, rep.Verdict, "%s", rep.Message)
			if h.message != "" {
				assert.Contains(t, rep.Message, h.message)
			}
			if h.seen != nil {
				h.seen.mu.Lock()
				defer h.seen.mu.Unlock()
				require.NotEmpty(t, h.seen.values, "the target received children")
				for _, name := range []string{reports.JSONFile, reports.JUnitFile, reports.CucumberFile, reports.MessagesFile, reports.MarkdownFile, reports.HTMLFile} {
					data, err := os.ReadFile(filepath.Join(out, name))
					require.NoError(t, err)
					for _, v := range h.seen.values {
						if suiteWords(t, v) {
							continue // the scenario's own words (an Examples table), not generated data
						}
						assert.NotContains(t, string(data), v, "%s shows %q, a personal value the target echoed", name, v)
					}
				}
			}
		})
	}
}

// suiteWords reports whether v appears in the text of the embedded feature files.
func suiteWords(t *testing.T, v string) bool {
	t.Helper()
	found := false
	err := fs.WalkDir(features.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		data, err := fs.ReadFile(features.FS, path)
		if err != nil {
			return err
		}
		found = bytes.Contains(data, []byte(v))
		return nil
	})
	require.NoError(t, err)
	return found
}

// TestBreakerStopsARunThatStopsAnswering: a target that passes preflight and then never
// answers costs BreakerThreshold timeouts, not one per scenario of the whole suite.
func TestBreakerStopsARunThatStopsAnswering(t *testing.T) {
	base := serveHostile(t, hostile{afterPreflight: true, handler: func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}})
	dir := t.TempDir()
	targetFile := filepath.Join(dir, "target.yaml")
	require.NoError(t, os.WriteFile(targetFile, []byte("name: mute\nbaseUrl: "+base+"\n"), 0o644))
	out := filepath.Join(dir, "out")
	start := time.Now()
	var stdout, stderr bytes.Buffer
	code := exitCode(run(context.Background(), []string{"run", "--target", targetFile, "--out", out, "--timeout", "300ms"}, &stdout, &stderr), &stderr)
	assert.Equal(t, exitUntestable, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	assert.Less(t, time.Since(start), 2*time.Minute, "the whole suite ends soon after the breaker opens")
	f, err := os.Open(filepath.Join(out, reports.JSONFile))
	require.NoError(t, err)
	defer f.Close()
	rep, err := reports.ReadJSON(f)
	require.NoError(t, err)
	assert.Equal(t, reports.Error, rep.Verdict)
	assert.Contains(t, rep.Message, "consecutive exchanges failed in transport")
	assert.Contains(t, rep.Message, "no response within 300ms")
}

// TestRunVerbBoundsItsInputs: target files that are endless or huge, and out folders that
// cannot be written, are usage errors (2) that name the problem; nothing claims reports exist.
func TestRunVerbBoundsItsInputs(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, append([]byte("name: "), bytes.Repeat([]byte("x"), 50<<20)...), 0o644))
	long := filepath.Join(dir, "long.yaml")
	require.NoError(t, os.WriteFile(long, []byte("name: "+strings.Repeat("x", 1000)+"\nbaseUrl: http://127.0.0.1:1\n"), 0o644))
	ok := filepath.Join(dir, "ok.yaml")
	require.NoError(t, os.WriteFile(ok, []byte("name: x\nbaseUrl: http://127.0.0.1:1\n"), 0o644))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))

	cases := []struct {
		reason  string
		args    []string
		says    string
		written bool // a CONFIG report is written
	}{
		{"an endless target file is cut at its bound", []string{"run", "--target", "/dev/zero", "--out", filepath.Join(dir, "o1")}, "larger than 64 KiB", true},
		{"a 50 MB target file is refused", []string{"run", "--target", big, "--out", filepath.Join(dir, "o2")}, "larger than 64 KiB", true},
		{"a 1000-byte name is refused", []string{"run", "--target", long, "--out", filepath.Join(dir, "o3")}, "at most 200", true},
		{"an --out that cannot be created", []string{"run", "--target", ok, "--out", filepath.Join(file, "sub")}, "--out", false},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitCode(run(context.Background(), c.args, &stdout, &stderr), &stderr)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stdout.String()+stderr.String(), c.says)
			assert.Equal(t, c.written, strings.Contains(stdout.String(), "reports in"), "the summary claims reports only when they exist")
			if c.written {
				assert.FileExists(t, filepath.Join(c.args[4], reports.JSONFile))
			}
			assert.Less(t, stdout.Len()+stderr.Len(), 8<<10, "nothing of the input is copied out whole")
		})
	}
}

// TestRunVerbStartsAProfile: a target file naming a simulated product runs from `icscert run`.
func TestRunVerbStartsAProfile(t *testing.T) {
	dir := t.TempDir()
	targetFile := filepath.Join(dir, "target.yaml")
	require.NoError(t, os.WriteFile(targetFile, []byte("name: sim\nprofile: wrenfold@2.0\n"), 0o644))
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := exitCode(run(context.Background(), []string{"run", "--target", targetFile, "--out", out, "--tags", "@VER-003"}, &stdout, &stderr), &stderr)
	// A run narrowed to one requirement is partial, so incomplete: it ran, and nothing failed.
	assert.Equal(t, exitIncomplete, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	assert.FileExists(t, filepath.Join(out, reports.JSONFile))
	assert.NotContains(t, stdout.String(), "nothing was set up to start it")
	assert.Contains(t, stdout.String(), "requirements: 1 PASS", "the profile was started and tested")
}
