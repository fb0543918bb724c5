package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/simulators/container"
)

// startTimeout bounds starting one container, image build excluded.
const startTimeout = 2 * time.Minute

// resolveImage gives a target that names a container image its Starter: the image runs for the
// run and is removed when the run ends. A run always serves the national directory, so the
// container runs with host networking on a loopback port of its own (container.Options.Exchange)
// and reaches the harness's loopback listeners; the image must accept --addr 127.0.0.1:PORT.
func resolveImage(t *harness.Target) error {
	image := t.Image
	t.Starter = harness.StartFunc(func(ctx context.Context, trust harness.Trust) (string, func(), error) {
		return startInContainer(ctx, trust, func(ctx context.Context, s *container.Session) (*container.Simulator, error) {
			return s.StartImage(ctx, image)
		})
	})
	return nil
}

// Containerised returns simulated product p as a system running in a container of the local
// simulator image (built once per process), exactly as a supplier's own image would run.
func Containerised(p simulators.Profile) System {
	s := Simulated(p)
	s.Kind = "container"
	s.Target.Starter = harness.StartFunc(func(ctx context.Context, trust harness.Trust) (string, func(), error) {
		return startInContainer(ctx, trust, func(ctx context.Context, s *container.Session) (*container.Simulator, error) {
			sims, err := s.Start(ctx, p)
			if err != nil {
				return nil, err
			}
			return sims[0], nil
		})
	})
	return s
}

// startInContainer opens a container session that trusts the run's keys and is handed the
// run's exchange settings (so its container reaches the harness, see container.Options), starts
// one container in it and returns its URL and a stop function that removes the container and
// the network.
func startInContainer(ctx context.Context, trust harness.Trust, start func(context.Context, *container.Session) (*container.Simulator, error)) (string, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	session, err := container.NewSession(ctx, container.Options{JWKS: trust.JWKS, Audience: trust.Audience, Logger: quiet{}, Exchange: trust.Exchange})
	if err != nil {
		return "", nil, fmt.Errorf("start container: %w", err)
	}
	opened.Lock()
	opened.ids = append(opened.ids, session.ID)
	opened.Unlock()
	stop := func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = session.Close(cctx) // Close removes everything it labelled; Sessions lets a caller check
	}
	sim, err := start(ctx, session)
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("start container: %w", err)
	}
	return sim.URL, stop, nil
}

// opened logs the container sessions this process opened.
var opened struct {
	sync.Mutex
	ids []string
}

// Sessions returns the ids of the container sessions this process has opened so far, to check
// with container.Leftovers that each left nothing behind. It is safe for concurrent use.
func Sessions() []string {
	opened.Lock()
	defer opened.Unlock()
	return append([]string(nil), opened.ids...)
}

// quiet discards testcontainers' progress lines: the report says what happened.
type quiet struct{}

// Printf discards its arguments.
func (quiet) Printf(string, ...any) {}
