package simulators

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxRewriteBody is the largest request body a quirk reads to rewrite: the reference's own
// limit (1 MiB). A larger body is passed on untouched so that the reference answers 413.
const maxRewriteBody = 1 << 20

// capture is an http.ResponseWriter that keeps a whole response in memory, so that a quirk can
// look at it, change it and send it on (send). It is used by one request's goroutine only.
type capture struct {
	header      http.Header
	status      int
	body        bytes.Buffer
	wroteHeader bool
}

func newCapture() *capture { return &capture{header: http.Header{}, status: http.StatusOK} }

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) {
	if c.wroteHeader {
		return
	}
	c.status, c.wroteHeader = status, true
}

func (c *capture) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}

// setBody replaces the body and its Content-Length.
func (c *capture) setBody(b []byte) {
	c.body.Reset()
	c.body.Write(b)
	c.header.Set("Content-Length", strconv.Itoa(len(b)))
}

// send writes the captured response to w.
func (c *capture) send(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range c.header {
		h[k] = v
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body.Bytes())
}

// serveCaptured runs next on r and returns its whole response.
func serveCaptured(next http.Handler, r *http.Request) *capture {
	c := newCapture()
	next.ServeHTTP(c, r)
	return c
}

// mediaType returns the media type of a Content-Type header, lower-case, without parameters.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// isJSONBody reports whether a request or success response body is JSON that quirks may
// rewrite: application/json (or a merge patch). Problem documents are left alone.
func isJSONBody(h http.Header) bool {
	switch mediaType(h.Get("Content-Type")) {
	case "application/json", "application/merge-patch+json":
		return true
	}
	return false
}

// decodeJSON parses b keeping numbers exact.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// encodeJSON encodes v without HTML escaping, so that names keep their bytes.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// v came from decodeJSON and was changed only by quirks, so it always encodes.
		panic("simulators: encode rewritten JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// readBody reads r's body up to the rewrite limit. It returns the bytes and whether the whole
// body was read; when it was not, r.Body is restored to yield every byte again.
func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRewriteBody+1))
	if err != nil || len(b) > maxRewriteBody {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, false
	}
	_ = r.Body.Close()
	return b, true
}

// readCloser joins a reader to the closer of the body it was read from.
type readCloser struct {
	io.Reader
	io.Closer
}

// withBody returns a shallow clone of r with body b (and its length).
func withBody(r *http.Request, b []byte) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.ContentLength = int64(len(b))
	r2.Header.Del("Content-Length")
	r2.GetBody = nil
	return r2
}

// hasBody reports whether r's method carries a body the API reads.
func hasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// rewriteRequest applies fn to r's JSON body and returns the request to pass on: r itself
// when the body is absent, too large, not JSON or unchanged by fn (so that the reference judges
// exactly what the client sent), else a clone with the rewritten body. fn reports whether it
// changed anything.
func rewriteRequest(r *http.Request, fn func(v any) bool) *http.Request {
	if !hasBody(r) || !isJSONBody(r.Header) {
		return r
	}
	b, whole := readBody(r)
	if !whole {
		return r
	}
	v, ok := decodeJSON(b)
	if !ok || !fn(v) {
		return withBody(r, b)
	}
	return withBody(r, encodeJSON(v))
}

// rewriteResponse serves r with next and applies fn to a JSON success body before sending it
// to w. Error responses, non-JSON bodies and bodies fn leaves unchanged are sent as they came.
func rewriteResponse(w http.ResponseWriter, r *http.Request, next http.Handler, fn func(v any) bool) {
	c := serveCaptured(next, r)
	rewriteCaptured(c, fn)
	c.send(w)
}

// rewriteCaptured applies fn to the JSON success body of c.
func rewriteCaptured(c *capture, fn func(v any) bool) {
	if c.status >= 400 || c.body.Len() == 0 || !isJSONBody(c.header) {
		return
	}
	v, ok := decodeJSON(c.body.Bytes())
	if !ok || !fn(v) {
		return
	}
	c.setBody(encodeJSON(v))
}

// walkObjects calls fn on every JSON object inside v (v included), parents before children,
// and reports whether any call changed something.
func walkObjects(v any, fn func(obj map[string]any) bool) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		if fn(x) {
			changed = true
		}
		for _, child := range x {
			if walkObjects(child, fn) {
				changed = true
			}
		}
	case []any:
		for _, child := range x {
			if walkObjects(child, fn) {
				changed = true
			}
		}
	}
	return changed
}

// segments splits a clean URL path into its segments: "/v1/children/x" → [v1 children x].
func segments(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}

// matchPath reports whether path has the shape of pattern, where a segment "*" matches any
// one non-empty segment: matchPath("/v1/children/abc/involvements", "/v1/children/*/involvements").
func matchPath(path, pattern string) bool {
	ps, ws := segments(path), segments(pattern)
	if len(ps) != len(ws) {
		return false
	}
	for i := range ws {
		if ws[i] == "*" {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != ws[i] {
			return false
		}
	}
	return true
}
