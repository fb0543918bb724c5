package harness

import (
	"fmt"
	"net"

	"github.com/icscert/icscert/internal/sink"
	"github.com/icscert/icscert/reports"
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
