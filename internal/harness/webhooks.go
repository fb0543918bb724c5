package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// Webhooks configures the harness's webhook receiver for a target (the optional `webhooks`
// key of a target file):
//
//	webhooks:
//	  listen: 0.0.0.0:8099                          # default 127.0.0.1:0, a free loopback port
//	  advertise: http://host.docker.internal:8099   # default http://<listen address>
//
// Every run starts the receiver (package sink); the notification scenarios subscribe the
// target to URLs under the advertised base URL, so a system in a container or elsewhere must
// be able to reach it there.
type Webhooks struct {
	Listen    string `yaml:"listen"`
	Advertise string `yaml:"advertise"`
}

// validate returns the problems of the webhooks key, each naming its field.
func (w Webhooks) validate() []error {
	var errs []error
	if len(w.Listen) > MaxTargetString {
		errs = append(errs, fmt.Errorf("webhooks.listen: is %d bytes long; at most %d are allowed", len(w.Listen), MaxTargetString))
	} else if w.Listen != "" {
		if _, _, err := net.SplitHostPort(w.Listen); err != nil {
			errs = append(errs, fmt.Errorf("webhooks.listen: %q is not a host:port address", w.Listen))
		}
	}
	if len(w.Advertise) > MaxTargetString {
		errs = append(errs, fmt.Errorf("webhooks.advertise: is %d bytes long; at most %d are allowed", len(w.Advertise), MaxTargetString))
	} else if w.Advertise != "" {
		if err := sink.CheckAdvertise(w.Advertise); err != nil {
			errs = append(errs, fmt.Errorf("webhooks.advertise: %w", err))
		}
	}
	return errs
}

// startSink starts the run's webhook receiver as the target file asks and has the system close
// it when the run ends.
func (r *runner) startSink(in *loaded, sys *system) error {
	s, err := sink.Start(sink.Options{Listen: in.target.Webhooks.Listen, Advertise: in.target.Webhooks.Advertise})
	if err != nil {
		return stopf(reports.Config, "%v", err)
	}
	sys.sink = s
	sys.closers = append(sys.closers, func() { _ = s.Close() })
	r.progressf("harness webhook receiver at %s\n", s.URL())
	return nil
}

// clockTokenTTL is the lifetime of the token that reads a target's test clock: long enough to
// be accepted however far an earlier run moved the target's time.
const clockTokenTTL = 400 * 24 * time.Hour

// clockAhead returns how far the target's test clock is ahead of the harness's, for a target
// that offers the test-clock capability (an earlier run against a persistent target may have
// moved it): the suite's clock then follows the target's, so that its tokens and dates agree.
// Anything that goes wrong gives 0 and a progress warning; the scenarios then show the fault.
func (r *runner) clockAhead(ctx context.Context, in *loaded, sys *system) time.Duration {
	if !in.target.Supports("test-clock") {
		return 0
	}
	council := "202"
	if len(in.target.Councils) > 0 {
		council = in.target.Councils[0]
	}
	tok, err := sys.issuer.Token(fixtures.Claims{
		Sub: "icscert-test-clock", Role: "LA_MANAGEMENT", Org: "SYN-LA-" + council, La: council, Sector: "LA",
		Audience: sys.audience, TTL: clockTokenTTL,
	})
	if err != nil {
		r.progressf("warning: read the target's test clock: %v\n", err)
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, sys.requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sys.baseURL+"/v1/test-clock", nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := sys.client.Do(req)
	if err != nil {
		r.progressf("warning: read the target's test clock: no answer\n")
		return 0
	}
	defer resp.Body.Close()
	var tc spec.TestClock
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(data, &tc) != nil || tc.OffsetSeconds < 0 {
		r.progressf("warning: the target declares test-clock but GET /v1/test-clock answered %d\n", resp.StatusCode)
		return 0
	}
	return time.Duration(tc.OffsetSeconds) * time.Second
}
