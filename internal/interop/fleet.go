package interop

import (
	"strings"

	"github.com/icscert/icscert/internal/fleet"
	"github.com/icscert/icscert/simulators"
)

// FromFleet turns fleet systems (the reference, simulated products, in process or in
// containers) into matrix systems. A simulated product's expectation comes from its quirks'
// sides (simulators.Profile.BreaksAsSender, BreaksAsReceiver, Breaks); the reference and
// any other system without quirks is expected to pass with every conforming peer. Each
// system's target names no council of its own, so that as a receiver it serves the council
// the run chooses for the peer.
func FromFleet(in []fleet.System) []System {
	out := make([]System, 0, len(in))
	for _, s := range in {
		t := *s.Target
		t.Councils = nil
		sys := System{Name: s.Name, Target: &t, Expect: &Expectation{Breaks: s.Expected}}
		if name, version, ok := strings.Cut(s.Name, "@"); ok {
			if p, found := simulators.Lookup(name, version); found {
				sys.Expect = &Expectation{AsSender: p.BreaksAsSender(), AsReceiver: p.BreaksAsReceiver(), Breaks: p.Breaks(), Profile: &p}
			}
		}
		out = append(out, sys)
	}
	return out
}
