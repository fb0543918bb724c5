package simulators

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
)

// StartOptions configures Start.
type StartOptions struct {
	// Keys verifies bearer tokens (the harness's JWKS). Required.
	Keys reference.KeySource
	// Audience is the token audience; reference.DefaultAudience if empty.
	Audience string
	// Clock tells the reference and the quirks the time; time.Now if nil.
	Clock func() time.Time
	// DBPath is the SQLite database file; "" keeps the records in memory until Close.
	DBPath string
	// Addr is the address to listen on; "" is a free loopback port (127.0.0.1:0).
	Addr string
	// Latency and ShedLimit tune the quirks that take them (see Config).
	Latency   time.Duration
	ShedLimit int
	// Logger receives server faults (never personal data); discarded if nil.
	Logger *slog.Logger
	// Exchange configures transfers to other systems and webhook delivery, as for the
	// reference; the profile's exchange quirks wrap Exchange.Client.
	Exchange reference.ExchangeOptions
	// TestClock offers the optional test-clock capability (POST /v1/test-clock).
	TestClock bool
}

// Instance is a simulated product serving HTTP in this process, like an httptest.Server. Its
// methods are safe for concurrent use. Whoever called Start closes it.
type Instance struct {
	// URL is the base URL, http://host:port with no trailing slash.
	URL string
	// Profile is the product being simulated.
	Profile Profile

	handler http.Handler
	ref     *reference.Server
	server  *http.Server
	served  chan error

	closeOnce sync.Once
	closeErr  error
}

// Start runs profile p over a new reference server (store at opts.DBPath) on a listener at
// opts.Addr and returns once it accepts connections. ctx bounds the start only; the instance
// runs until Close.
func Start(ctx context.Context, p Profile, opts StartOptions) (*Instance, error) {
	if opts.Keys == nil {
		return nil, errors.New("start simulator: no key source")
	}
	path := opts.DBPath
	if path == "" {
		path = sqlite.Memory
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	bound, err := p.Bind(Config{Clock: opts.Clock, Latency: opts.Latency, ShedLimit: opts.ShedLimit})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	exchange := opts.Exchange
	exchange.Client = bound.Client(exchange.Client)
	ref, err := reference.New(reference.Options{
		Store: st, Keys: opts.Keys, Audience: opts.Audience, Clock: opts.Clock, Logger: opts.Logger,
		Exchange: exchange, TestClock: opts.TestClock,
	})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	h := bound.Handler(ref.Handler())
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		_ = ref.Close()
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	in := &Instance{
		URL:     "http://" + ln.Addr().String(),
		Profile: p.clone(),
		handler: h,
		ref:     ref,
		server:  reference.NewHTTPServer(h, opts.Logger),
		served:  make(chan error, 1),
	}
	go func() { in.served <- in.server.Serve(reference.Listener(ln)) }()
	return in, nil
}

// Handler returns the simulated product's handler (the quirks in front of the reference), to
// serve requests without the network. It is safe for concurrent use until Close.
func (in *Instance) Handler() http.Handler { return in.handler }

// Settle sends every delivery of the simulated product that is due now (transfer packages,
// outcomes, webhooks; through its quirks) and returns once none is due or in flight, as
// reference.Server.Settle does. Tests and the harness use it instead of waiting.
func (in *Instance) Settle(ctx context.Context) error {
	if err := in.ref.Settle(ctx); err != nil {
		return fmt.Errorf("settle %s: %w", in.Profile, err)
	}
	return nil
}

// Close stops the listener, waits up to 5 s for requests in flight, and closes the reference
// and its store. Later calls return the first call's result.
func (in *Instance) Close() error {
	in.closeOnce.Do(func() {
		// A graceful shutdown waits for requests in flight; on a busy machine one may outlast
		// the grace, and then the server cuts the remaining connections, which is no fault of
		// the product's.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var errs []error
		if err := in.server.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, in.server.Close())
		} else {
			errs = append(errs, err)
		}
		if err := <-in.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		errs = append(errs, in.ref.Close())
		if err := errors.Join(errs...); err != nil {
			in.closeErr = fmt.Errorf("close simulator %s: %w", in.Profile, err)
		}
	})
	return in.closeErr
}
