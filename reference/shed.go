package reference

import "net/http"

// Shed bounds the requests next serves at once to limit: a request beyond it is answered by
// busy at once, never queued. Health checks (/healthz) are never shed. It is the one
// load-shedding semaphore of the module, used by the reference (ERR-004) and by the
// simulators' shedding quirks; the returned handler is safe for concurrent use.
func Shed(limit int, next, busy http.Handler) http.Handler {
	slots := make(chan struct{}, limit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			busy.ServeHTTP(w, r)
		}
	})
}
