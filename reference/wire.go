package reference

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bounds of what precedes a request's body. Requests within MaxHeaderBytes but over these get
// a problem from the handler; net/http itself refuses requests over MaxHeaderBytes, and
// Listener turns that refusal into a problem too.
const (
	// MaxHeaderBytes bounds the request line and headers that net/http reads (its
	// http.Server.MaxHeaderBytes; net/http allows 4 KiB more).
	MaxHeaderBytes = 64 << 10
	// maxTargetBytes bounds the request target (path and query): 400 INVALID_PARAMETER.
	maxTargetBytes = 8 << 10
	// maxHeaderListBytes bounds the header names and values of a request together:
	// 400 INVALID_HEADER. A bearer token alone may take 16 KiB.
	maxHeaderListBytes = 32 << 10
)

// NewHTTPServer returns the http.Server to serve h, a Server's Handler, with the bounds the
// API needs: MaxHeaderBytes, a 10 s limit on reading the headers, net/http's own OPTIONS *
// answer turned off (such a request reaches h, which refuses it with 404), and net/http's
// error log sent to log at level Warn (discarded if log is nil). Serve it on Listener(ln), so
// that net/http's own refusals are problems too.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:                      h,
		ReadHeaderTimeout:            10 * time.Second,
		MaxHeaderBytes:               MaxHeaderBytes,
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Listener wraps ln so that the answers net/http writes itself, before any handler runs, are
// problems in the contract's form (application/problem+json with a fresh correlation id, also
// in X-Correlation-ID) instead of plain text:
//   - 431 Request Header Fields Too Large (over MaxHeaderBytes) becomes 400 INVALID_HEADER;
//   - 400 Bad Request for a malformed request line, URI, header or Host header, or a repeated
//     Content-Length, becomes 400 INVALID_HEADER when net/http blames a header, else 400
//     INVALID_PARAMETER;
//   - 501 for a Transfer-Encoding other than chunked becomes 400 INVALID_HEADER;
//   - 505 for an HTTP version other than 1.x becomes 400 INVALID_PARAMETER;
//   - 417 Expectation Failed for an Expect header other than 100-continue becomes 400
//     INVALID_HEADER.
//
// The contract registers no code for 417, 431, 501 or 505, so the status becomes 400. These
// requests leave no audit event: net/http never parsed them into a request. What remains
// outside the contract's form: a client that sends TLS to this plain listener, or HTTP/2
// prior knowledge, gets whatever net/http answers to those (it is not HTTP/1.x, so no
// problem body can be read by it anyway), and a connection closed or timed out while the
// headers are read gets no answer at all. Listener serves plain HTTP; under TLS the bytes it
// sees are encrypted and pass through unchanged.
func Listener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err //nolint:wrapcheck // net/http inspects the listener's errors (net.ErrClosed, temporary errors)
	}
	return problemConn{c}, nil
}

// problemConn rewrites net/http's own answers, recognised by their exact form: net/http
// writes each in one Write holding the whole response, with no Date header and a one-line
// text/plain body, or (417) no body. A handler's answer always has a Date header, and the
// API's handler never answers text/plain or 417.
type problemConn struct{ net.Conn }

var (
	plainErrorRE  = regexp.MustCompile(`^HTTP/1\.1 ([0-9]{3}) ([^\r\n]*)\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n[^\r\n]*$`)
	expectationRE = regexp.MustCompile(`^HTTP/1\.1 417 Expectation Failed\r\n(?:[^\r\n]+\r\n)*\r\n`)
)

func (c problemConn) Write(p []byte) (int, error) {
	var out []byte
	if m := plainErrorRE.FindSubmatch(p); m != nil {
		status, _ := strconv.Atoi(string(m[1]))
		out = transportProblem(status, string(m[2]))
	} else if expectationRE.Match(p) && bytes.HasSuffix(p, []byte("\r\n\r\n")) {
		out = transportProblem(http.StatusExpectationFailed, "")
	}
	if out == nil {
		return c.Conn.Write(p) //nolint:wrapcheck // a net.Conn's errors go to net/http as they are
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err //nolint:wrapcheck // as above
	}
	return len(p), nil
}

// transportProblem is the whole HTTP response that replaces one of net/http's answers, given
// its status and reason line.
func transportProblem(status int, reason string) []byte {
	res := problem(codeInvalidParameter, "The request line is malformed or uses an unsupported HTTP version.")
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		res = problem(codeInvalidHeader, fmt.Sprintf("The request line and headers exceed %d KiB.", MaxHeaderBytes>>10))
	case status == http.StatusNotImplemented:
		res = problem(codeInvalidHeader, "Transfer-Encoding must be chunked or absent.")
	case status == http.StatusExpectationFailed:
		res = problem(codeInvalidHeader, "Expect must be 100-continue or absent.")
	case status == http.StatusBadRequest && (strings.Contains(reason, "header") || strings.Contains(reason, "Host")):
		res = problem(codeInvalidHeader, "A request header is malformed, repeated or missing (net/http: "+strings.TrimPrefix(reason, "Bad Request: ")+").")
	case status == http.StatusBadRequest:
		res = problem(codeInvalidParameter, "The request line, its target or its headers are malformed.")
	}
	corr := newID()
	res.problem.CorrelationID = corr
	body, err := encodeJSON(res.problem)
	if err != nil {
		body = []byte(`{}`)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", res.status, http.StatusText(res.status))
	fmt.Fprintf(&b, "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n", len(body))
	fmt.Fprintf(&b, "Content-Type: application/problem+json\r\nX-Content-Type-Options: nosniff\r\nX-Correlation-Id: %s\r\n\r\n", corr)
	b.Write(body)
	return b.Bytes()
}

// bound refuses, before routing, a request whose target or headers exceed maxTargetBytes or
// maxHeaderListBytes. The refusal is audited like any other, except on the paths for which
// public reports true.
func (s *Server) bound(next http.Handler, public func(path string) bool) http.Handler {
	refuse := func(code, detail string) (v1, public *op) {
		run := func(*call) (*result, error) { return problem(code, detail), nil }
		return &op{action: "BAD_REQUEST", refusal: true, run: run},
			&op{action: "BAD_REQUEST", public: true, refusal: true, run: run}
	}
	longTarget, longTargetPublic := refuse(codeInvalidParameter, fmt.Sprintf("The path and query exceed %d KiB.", maxTargetBytes>>10))
	bigHeaders, bigHeadersPublic := refuse(codeInvalidHeader, fmt.Sprintf("The request headers exceed %d KiB.", maxHeaderListBytes>>10))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var audited, unaudited *op
		switch {
		case len(r.RequestURI) > maxTargetBytes:
			audited, unaudited = longTarget, longTargetPublic
		case headerBytes(r.Header) > maxHeaderListBytes:
			audited, unaudited = bigHeaders, bigHeadersPublic
		default:
			next.ServeHTTP(w, r)
			return
		}
		if public(r.URL.Path) {
			audited = unaudited
		}
		s.serve(w, r, audited)
	})
}

// headerBytes counts the names and values of h.
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}
