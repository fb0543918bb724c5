package reference

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/spec"
)

// TestEveryAnswerIsAProblem sends raw requests to the reference served as NewHTTPServer on
// Listener, including ones net/http refuses before any handler runs, and checks that every
// refusal is a problem in the contract's form with a correlation id.
func TestEveryAnswerIsAProblem(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := NewHTTPServer(h.srv.Handler(), nil)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(Listener(ln)) }()
	t.Cleanup(func() {
		require.NoError(t, hs.Close())
		require.ErrorIs(t, <-served, http.ErrServerClosed)
	})
	token := "Bearer " + h.mgmt().freshToken(t)
	get := func(target string, headers ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: reference.test\r\n" + strings.Join(headers, "") + "\r\n"
	}
	filler := func(n, size int) []string {
		var out []string
		for i := range n {
			out = append(out, "X-Filler-"+string(rune('a'+i))+": "+strings.Repeat("f", size)+"\r\n")
		}
		return out
	}
	cases := []struct {
		name    string
		raw     string
		code    string
		audited bool // the request reaches the handler under /v1/ and leaves an audit event
	}{
		{"ERR-001/an unclean path is refused, not redirected", get("//v1/meta"), codeNotFound, false},
		{"ERR-001/a dot-dot segment is refused, not redirected", get("/v1/../v1/meta"), codeNotFound, true},
		{"ERR-001/a dot segment is refused, not redirected", get("/v1/./meta"), codeNotFound, true},
		{"ERR-001/an escaped dot-dot segment is refused", get("/v1/children/%2e%2e/search"), codeNotFound, true},
		{"ERR-001/an unknown path", get("/nowhere"), codeNotFound, false},
		{"ERR-001/a method the resource lacks", "DELETE /v1/meta HTTP/1.1\r\nHost: reference.test\r\n\r\n", codeMethodNotAllowed, false},
		{"ERR-001/OPTIONS * reaches the handler", "OPTIONS * HTTP/1.1\r\nHost: reference.test\r\n\r\n", codeNotFound, false},
		{"ERR-001/a query over 8 KiB", get("/v1/audit-events?afterSeq="+strings.Repeat("9", maxTargetBytes), "Authorization: "+token+"\r\n"), codeInvalidParameter, true},
		{"ERR-001/a query over 8 KiB on a public path", get("/v1/meta?x=" + strings.Repeat("9", maxTargetBytes)), codeInvalidParameter, false},
		{"ERR-001/headers over 32 KiB", get("/v1/audit-events", filler(5, 8<<10)...), codeInvalidHeader, true},
		{"ERR-001/headers over net/http's limit", get("/v1/audit-events", filler(10, 8<<10)...), codeInvalidHeader, false},
		{"ERR-001/a request line over net/http's limit", get("/v1/meta?x=" + strings.Repeat("9", MaxHeaderBytes+8<<10)), codeInvalidHeader, false},
		{"ERR-001/a header name with a space", get("/v1/meta", "Bad Name: x\r\n"), codeInvalidHeader, false},
		{"ERR-001/a header value with a control character", get("/v1/meta", "X-Thing: a\x01b\r\n"), codeInvalidParameter, false},
		{"ERR-001/no Host header", "GET /v1/meta HTTP/1.1\r\n\r\n", codeInvalidHeader, false},
		{"ERR-001/two Content-Lengths", "POST /v1/children HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", codeInvalidParameter, false},
		{"ERR-001/an unsupported Transfer-Encoding", "POST /v1/children HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", codeInvalidHeader, false},
		{"ERR-001/an Expect other than 100-continue", "POST /v1/children HTTP/1.1\r\nHost: x\r\nExpect: miracles\r\nContent-Length: 2\r\n\r\n{}", codeInvalidHeader, false},
		{"ERR-001/an unsupported HTTP version", "GET /v1/meta HTTP/2.5\r\nHost: x\r\n\r\n", codeInvalidParameter, false},
		{"ERR-001/a request line that is not HTTP", "GARBAGE\r\n\r\n", codeInvalidParameter, false},
	}
	typeRE := regexp.MustCompile(`^https://icscert\.example/problems/[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, tc := range cases {
		t.Run(covers(tc.name), func(t *testing.T) {
			if tc.audited {
				h.mu.Lock()
				h.requests++
				h.mu.Unlock()
			}
			resp, body := rawExchange(t, ln.Addr().String(), tc.raw) //nolint:bodyclose // rawExchange reads and closes it
			reg, found := spec.LookupError(tc.code)
			require.True(t, found)
			require.Equal(t, reg.Status, resp.StatusCode, "%s", body)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			corr := resp.Header.Get("X-Correlation-ID")
			assert.Regexp(t, `^[A-Za-z0-9._:-]{1,128}$`, corr)
			var p spec.Problem
			require.NoError(t, json.Unmarshal(body, &p), "%s", body)
			assert.Equal(t, tc.code, p.Code)
			assert.Equal(t, reg.Status, p.Status)
			assert.Equal(t, reg.Title, p.Title)
			assert.Regexp(t, typeRE, p.Type)
			assert.NotEmpty(t, p.Detail)
			assert.Equal(t, corr, p.CorrelationID, "the problem carries the correlation id")
			assert.Empty(t, resp.Header.Get("Location"), "nothing is redirected")
		})
	}
	t.Run("a good request on the same listener is served as usual", func(t *testing.T) {
		resp, body := rawExchange(t, ln.Addr().String(), get("/v1/meta")) //nolint:bodyclose // rawExchange reads and closes it
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	})
}

// rawExchange writes raw to a new connection and reads one response.
func rawExchange(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	_, err = io.WriteString(conn, raw)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		// net/http may refuse an oversized request and close before reading all of it.
		t.Logf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// recordingConn keeps what is written to it.
type recordingConn struct {
	net.Conn
	written []byte
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.written = append(c.written, p...)
	return len(p), nil
}

func TestListenerRewritesOnlyNetHTTPsOwnAnswers(t *testing.T) {
	cases := []struct {
		name      string
		write     string
		rewritten bool
	}{
		{"net/http's 431", "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large", true},
		{"net/http's 417", "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Sun, 06 Dec 2026 03:50:52 GMT\r\nContent-Length: 0\r\n\r\n", true},
		{"a handler's sniffed text/plain answer has a Date", "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nDate: Sun, 06 Dec 2026 03:50:52 GMT\r\nContent-Length: 4\r\n\r\noops", false},
		{"a handler's answer with a body on more lines", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nline one\r\nline two", false},
		{"a body chunk", "HTTP/1.1 431 Request Header Fields Too Large is just text here", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingConn{}
			n, err := problemConn{rec}.Write([]byte(tc.write))
			require.NoError(t, err)
			assert.Equal(t, len(tc.write), n)
			if !tc.rewritten {
				assert.Equal(t, tc.write, string(rec.written))
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(string(rec.written))), nil)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			assert.True(t, resp.Close, "the connection closes, as net/http closes it")
		})
	}
}
