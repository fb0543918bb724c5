package steps

import (
	"context"
	"strings"

	"github.com/cucumber/godog"
)

// Register adds every step of the suite to sc. Each concern registers its steps from its own
// file through a registerX function; add yours to the list. Suite.InitializeScenario calls
// Register after installing the hooks that the steps rely on.
func Register(sc *godog.ScenarioContext) {
	registerActors(sc)
	registerHTTP(sc)
	registerChildren(sc)
	registerMeta(sc)
	registerIdentity(sc)
	registerSearch(sc)
	registerRead(sc)
	registerRecords(sc)
	registerAudit(sc)
	registerAuth(sc)
	registerErrors(sc)
	registerVersioning(sc)
}

// Subject is the regular expression fragment for who acts in a When step: "they" (the current
// actor), a named actor in quotes, or "an anonymous caller" (no token). Use it with
// World.Subject:
//
//	sc.Step(`^`+steps.Subject+` reads? the child "([^"]+)"$`, func(ctx context.Context, who, child string) error {
//		w := steps.WorldFrom(ctx)
//		actor, err := w.Subject(who)
//		...
//	})
const Subject = `(they|"[^"]+"|an anonymous caller)`

// Subject resolves a match of the Subject fragment: the actor to act as, or nil for an
// anonymous caller. A named actor becomes the current one.
func (w *World) Subject(who string) (*Actor, error) {
	switch who {
	case "an anonymous caller":
		return nil, nil
	case "they":
		return w.Actor("")
	default:
		return w.Actor(strings.Trim(who, `"`))
	}
}

// step adapts a step body that only needs the World.
func step(fn func(w *World) error) func(ctx context.Context) error {
	return func(ctx context.Context) error { return fn(WorldFrom(ctx)) }
}
