// Package reference is the reference implementation of the Child Record Exchange API v1: a
// correct, durable and secure server for the requirement groups ID, SEARCH, READ, INV, FLAG,
// SENS, CONSENT, AUDIT, AUTH, ERR and VER of DOMAIN.md, as decided in spec/CONTRACT.md.
//
// Every request under /v1/ runs in one store transaction: its writes, the notifications it
// raises and the audit event that describes it commit together, and a refused request rolls
// back everything but its audit event. What a caller sees of a record is decided by one
// projection per caller (see access.go and project.go), applied before a body is built.
package reference

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reference/store"
)

// DefaultAudience is the token audience the server accepts unless Options.Audience says
// otherwise.
const DefaultAudience = "child-record-exchange"

// DefaultMaxInFlight is the number of requests served at once unless Options.MaxInFlight says
// otherwise; more get 503 SERVICE_UNAVAILABLE with Retry-After (ERR-004).
const DefaultMaxInFlight = 256

// Options configures a Server.
type Options struct {
	// Store keeps the records. Required. The Server owns it from New on and closes it in
	// Close.
	Store store.Store
	// Keys verifies bearer tokens. Required.
	Keys KeySource
	// Audience is the token audience the server accepts; DefaultAudience if empty.
	Audience string
	// Clock tells the time; time.Now if nil. Every date rule ("today", ages, the 12-month
	// and archive windows, token expiry) uses it. Today is the calendar date of the time it
	// returns, in that time's location.
	Clock func() time.Time
	// MaxInFlight bounds the requests served at once; DefaultMaxInFlight if zero or less.
	MaxInFlight int
	// Logger receives server faults (never personal data); discarded if nil.
	Logger *slog.Logger
	// Councils is the council reference list; ident.Councils() if nil.
	Councils *ident.Registry
	// Exchange configures transfers to other councils' systems and webhook delivery.
	Exchange ExchangeOptions
	// TestClock offers the optional test-clock capability: POST /v1/test-clock moves the
	// server's time forward. Never set it in production.
	TestClock bool
}

// Server is the reference server. Its Handler is safe for concurrent use. Close it once the
// HTTP server in front of it has shut down.
type Server struct {
	store    store.Store
	keys     KeySource
	audience string
	clock    func() time.Time
	log      *slog.Logger
	councils *ident.Registry
	schemas  *schemas
	handler  http.Handler
	exchange *exchange
	offset   *clockOffset // the test clock's offset; nil without the capability
}

// New returns a Server over opts.Store. It fails if a required option is missing or if a
// file or in-memory key source holds no usable key.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("new reference server: no store")
	}
	if opts.Keys == nil {
		return nil, errors.New("new reference server: no key source")
	}
	if l, ok := opts.Keys.(interface{ setLogger(*slog.Logger) }); ok && opts.Logger != nil {
		l.setLogger(opts.Logger)
	}
	if p, ok := opts.Keys.(interface{ preload(context.Context) error }); ok {
		if err := p.preload(context.Background()); err != nil {
			return nil, fmt.Errorf("new reference server: %w", err)
		}
	}
	s := &Server{
		store:    opts.Store,
		keys:     opts.Keys,
		audience: opts.Audience,
		clock:    opts.Clock,
		log:      opts.Logger,
		councils: opts.Councils,
	}
	if s.audience == "" {
		s.audience = DefaultAudience
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.councils == nil {
		s.councils = ident.Councils()
	}
	if opts.TestClock {
		s.offset = &clockOffset{}
		base := s.clock
		s.clock = func() time.Time { return base().Add(s.offset.get()) }
	}
	ex, err := newExchange(s, opts.Exchange)
	if err != nil {
		return nil, fmt.Errorf("new reference server: %w", err)
	}
	s.exchange = ex
	s.schemas = newSchemas(s.councils)
	maxInFlight := opts.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	s.handler = s.shed(maxInFlight, s.recoverPanics(s.routes()))
	s.exchange.start()
	return s, nil
}

// Handler returns the HTTP handler of the API. It is safe for concurrent use.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the deliveries in flight (they are retried when a server opens the store
// again) and closes the store. Call it after the last request has finished.
func (s *Server) Close() error {
	s.exchange.stop()
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("close reference server: %w", err)
	}
	return nil
}
