package simulators

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// staleETag is an entity tag no resource ever has (versions start at 1). A PATCH sent with it
// is refused with 412 and the current ETag, which is how the quirks below learn the current
// version without a read (there is no GET of a single involvement or indicator, and a read
// would notify the responsible council).
const staleETag = `"0"`

// maxPatchAttempts bounds how often a last-write-wins PATCH retries after a 412 caused by a
// concurrent writer.
const maxPatchAttempts = 4

// patchLatest sends the PATCH r with body to next with If-Match ifMatch and, while the answer
// is 412 with an ETag, again with that ETag: the update wins whatever version the caller
// named. It returns the last answer.
func patchLatest(next http.Handler, r *http.Request, body []byte, ifMatch string) *capture {
	var c *capture
	for attempt := 0; attempt < maxPatchAttempts; attempt++ {
		req := withBody(r, body)
		req.Header.Set("If-Match", ifMatch)
		c = serveCaptured(next, req)
		etag := c.header.Get("ETag")
		if c.status != http.StatusPreconditionFailed || etag == "" {
			break
		}
		ifMatch = etag
	}
	return c
}

// ifMatchIgnored is the if-match-ignored quirk: a PATCH without If-Match, or with a stale one,
// is applied to the current version.
func ifMatchIgnored(Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPatch {
				next.ServeHTTP(w, r)
				return
			}
			body, whole := readBody(r)
			if !whole {
				next.ServeHTTP(w, r)
				return
			}
			ifMatch := r.Header.Get("If-Match")
			if ifMatch == "" {
				ifMatch = staleETag
			}
			patchLatest(next, r, body, ifMatch).send(w)
		})
	}
}

// endedInvolvementsDeleted is the ended-involvements-deleted quirk: involvement lists leave
// out every involvement with an end date, and DELETE /v1/involvements/{id} ends the
// involvement today (as the caller, so the reference's role and ownership checks still apply)
// and answers 204.
func endedInvolvementsDeleted(cfg Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodGet && matchPath(r.URL.Path, "/v1/children/*/involvements"):
				rewriteResponse(w, r, next, dropEnded)
			case r.Method == http.MethodDelete && matchPath(r.URL.Path, "/v1/involvements/*"):
				deleteAsEnd(w, r, next, cfg.now())
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// dropEnded removes the involvements that have an end date from an involvement list.
func dropEnded(v any) bool {
	list, ok := v.(map[string]any)
	if !ok {
		return false
	}
	invs, ok := list["involvements"].([]any)
	if !ok {
		return false
	}
	kept := make([]any, 0, len(invs))
	for _, inv := range invs {
		if m, ok := inv.(map[string]any); ok {
			if end, _ := m["endDate"].(string); end != "" {
				continue
			}
		}
		kept = append(kept, inv)
	}
	if len(kept) == len(invs) {
		return false
	}
	list["involvements"] = kept
	return true
}

// deleteAsEnd answers a DELETE of an involvement by ending it on today's date.
func deleteAsEnd(w http.ResponseWriter, r *http.Request, next http.Handler, now time.Time) {
	body, _ := json.Marshal(map[string]string{"endDate": now.Format(time.DateOnly)})
	req := r.Clone(r.Context())
	req.Method = http.MethodPatch
	req.Header.Set("Content-Type", "application/json")
	c := patchLatest(next, req, body, staleETag)
	if c.status != http.StatusOK {
		c.send(w)
		return
	}
	if corr := c.header.Get("X-Correlation-ID"); corr != "" {
		w.Header().Set("X-Correlation-ID", corr)
	}
	w.WriteHeader(http.StatusNoContent)
}

// leakedDetails is the state of one sensitive-details-leak quirk: the organisation and
// practitioner of each involvement as last written, by involvement id. It is safe for
// concurrent use.
type leakedDetails struct {
	mu      sync.Mutex
	details map[string]map[string]json.RawMessage
}

// remember records the organisation and practitioner present in body for involvement id.
func (l *leakedDetails) remember(id string, body map[string]json.RawMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.details[id]
	if d == nil {
		d = map[string]json.RawMessage{}
		l.details[id] = d
	}
	for _, k := range []string{"organisation", "practitioner"} {
		if raw, ok := body[k]; ok {
			d[k] = raw
		}
	}
}

// reveal re-inserts the remembered details into every brokered sensitive involvement of v.
func (l *leakedDetails) reveal(v any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return walkObjects(v, func(obj map[string]any) bool {
		id, _ := obj["id"].(string)
		d, known := l.details[id]
		if obj["sensitive"] != true || obj["contactVia"] == nil || !known {
			return false
		}
		delete(obj, "contactVia")
		for k, raw := range d {
			if val, ok := decodeJSON(raw); ok && val != nil {
				obj[k] = val
			}
		}
		return true
	})
}

// sensitiveDetailsLeak is the sensitive-details-leak quirk.
func sensitiveDetailsLeak(Config) func(http.Handler) http.Handler {
	l := &leakedDetails{details: map[string]map[string]json.RawMessage{}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			adds := r.Method == http.MethodPost && matchPath(r.URL.Path, "/v1/children/*/involvements")
			changes := r.Method == http.MethodPatch && matchPath(r.URL.Path, "/v1/involvements/*")
			lists := r.Method == http.MethodGet && matchPath(r.URL.Path, "/v1/children/*/involvements")
			if !adds && !changes && !lists {
				next.ServeHTTP(w, r)
				return
			}
			var sent map[string]json.RawMessage
			if adds || changes {
				body, whole := readBody(r)
				if whole {
					_ = json.Unmarshal(body, &sent)
					r = withBody(r, body)
				}
			}
			c := serveCaptured(next, r)
			if sent != nil && (c.status == http.StatusCreated || c.status == http.StatusOK) {
				var out struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(c.body.Bytes(), &out) == nil && out.ID != "" {
					l.remember(out.ID, sent)
				}
			}
			rewriteCaptured(c, l.reveal)
			c.send(w)
		})
	}
}
