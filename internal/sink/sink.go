// Package sink is the harness's webhook receiver (NOTIF-001..NOTIF-004, SENS-006): an HTTP
// server on which each subscription a scenario makes gets its own path and secret. It checks
// the signature of every delivery exactly as the contract defines it (spec.VerifyWebhook over
// the X-Webhook-Timestamp header, a full stop and the exact body), records every delivery with
// its headers clipped and its body bounded, and can be told to refuse the next deliveries of a
// child to prove retries and dead letters. Scenarios wait for deliveries by condition, with a
// deadline, never by sleeping.
//
// Everything a target sends is bounded before it is kept: the header block (MaxHeaderBytes),
// the number and size of the headers kept, the body (Options.MaxBody), the JSON nesting depth
// (MaxDepth) and the number of deliveries a hook keeps (Options.MaxDeliveries).
package sink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults and bounds.
const (
	// DefaultListen is a free port on the loopback interface.
	DefaultListen = "127.0.0.1:0"
	// DefaultMaxBody is how much of a delivery's body is read and kept.
	DefaultMaxBody = 64 << 10
	// DefaultMaxDeliveries is how many deliveries one hook keeps; later ones are counted only.
	DefaultMaxDeliveries = 1000
	// MaxHeaderBytes bounds the header block of a delivery.
	MaxHeaderBytes = 16 << 10
	// MaxHeaders is how many header fields of a delivery are kept.
	MaxHeaders = 32
	// MaxHeaderValue is how many bytes of each kept header value are kept.
	MaxHeaderValue = 512
	// MaxDepth bounds the nesting of a delivery's JSON body.
	MaxDepth = 16
	// hookPrefix starts every hook's path.
	hookPrefix = "/hooks/"
)

// Options configures Start. The zero value listens on a free loopback port and advertises it.
type Options struct {
	// Listen is the address to listen on; DefaultListen if empty.
	Listen string
	// Advertise is the base URL the target is told to deliver to (a container or a remote
	// system may reach the harness by another name); "http://" and the listener's address if
	// empty. It must be an http or https URL without a query or fragment.
	Advertise string
	// MaxBody bounds each delivery's body; DefaultMaxBody if zero or less.
	MaxBody int
	// MaxDeliveries bounds the deliveries each hook keeps; DefaultMaxDeliveries if zero or less.
	MaxDeliveries int
	// Clock stamps each delivery's arrival; time.Now if nil.
	Clock func() time.Time
}

// Sink is a running webhook receiver. Its methods are safe for concurrent use. Whoever called
// Start closes it.
type Sink struct {
	opts      Options
	advertise string
	ln        net.Listener
	srv       *http.Server
	served    chan error

	mu    sync.Mutex
	hooks map[string]*Hook // by path token

	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts.Listen and serves deliveries until Close.
func Start(opts Options) (*Sink, error) {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxDeliveries <= 0 {
		opts.MaxDeliveries = DefaultMaxDeliveries
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Advertise != "" {
		if err := CheckAdvertise(opts.Advertise); err != nil {
			return nil, fmt.Errorf("start webhook sink: %w", err)
		}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("start webhook sink: %w", err)
	}
	s := &Sink{opts: opts, ln: ln, hooks: map[string]*Hook{}, served: make(chan error, 1)}
	s.advertise = strings.TrimRight(opts.Advertise, "/")
	if s.advertise == "" {
		s.advertise = "http://" + ln.Addr().String()
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// CheckAdvertise reports whether u can be advertised as a sink's base URL.
func CheckAdvertise(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Errorf("advertised URL %q: %w", u, err)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("advertised URL %q must be an http or https URL", u)
	case p.Host == "":
		return fmt.Errorf("advertised URL %q has no host", u)
	case p.RawQuery != "" || p.Fragment != "" || p.User != nil:
		return fmt.Errorf("advertised URL %q must have no query, fragment or credentials", u)
	}
	return nil
}

// URL returns the advertised base URL, without a trailing slash.
func (s *Sink) URL() string { return s.advertise }

// Addr returns the address the sink listens on.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to five seconds for deliveries in flight. Later calls
// return the first call's result.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("close webhook sink: %w", err)
		}
	})
	return s.closeErr
}

// NewHook creates a hook with a fresh random path and a fresh random secret (32 bytes, hex).
// label names it in messages; it never reaches the target.
func (s *Sink) NewHook(label string) (*Hook, error) {
	token, err := randomHex(16)
	if err != nil {
		return nil, fmt.Errorf("new webhook hook: %w", err)
	}
	secret, err := randomHex(32)
	if err != nil {
		return nil, fmt.Errorf("new webhook hook: %w", err)
	}
	h := &Hook{
		Label: label, URL: s.advertise + hookPrefix + token, Secret: secret,
		max: s.opts.MaxDeliveries, changed: make(chan struct{}),
	}
	s.mu.Lock()
	s.hooks[token] = h
	s.mu.Unlock()
	return h, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// serve answers one request: 404 for a path that names no hook, 405 for anything but POST,
// else the hook's answer (2xx unless told to refuse).
func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, hookPrefix)
	s.mu.Lock()
	h := s.hooks[token]
	s.mu.Unlock()
	if !ok || h == nil {
		http.Error(w, "no such hook", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	at := s.opts.Clock()
	body, truncated, readErr := readBounded(r.Body, s.opts.MaxBody)
	d := newDelivery(at, r.Header, body, truncated, h.Secret)
	if readErr != nil {
		d.ReadError = "the body could not be read"
	}
	d.Status = h.accept(&d)
	w.WriteHeader(d.Status)
}

// readBounded reads at most limit bytes of body and reports whether there was more.
func readBounded(body io.Reader, limit int) ([]byte, bool, error) {
	data, err := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if len(data) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}
