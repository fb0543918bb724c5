package steps

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/cucumber/godog"
)

// Register adds every step of the suite to sc. Each concern registers its steps from its own
// file through a registerX function; add yours to the list. Suite.InitializeScenario calls
// Register after installing the hooks that the steps rely on.
func Register(sc *godog.ScenarioContext) { register(sc) }

// glossary is where a registerX adds its steps: a *godog.ScenarioContext in a run, a recorder
// in TestStepGlossary.
type glossary interface {
	Step(expr, stepFunc any)
}

// register adds every step of the suite to sc, one concern after another.
func register(sc glossary) {
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
	registerTransfers(sc)
	registerNotifications(sc)
}

// patterns caches the compiled step patterns. godog calls the scenario initializer, and so
// Register, once per scenario; compiling some 200 patterns each time would cost more than
// the requests the scenario sends.
var patterns sync.Map // pattern string -> *regexp.Regexp

// define registers fn as the step matching pattern, compiling each pattern once per process.
// It panics, as godog does, if the pattern is not a regular expression.
func define(sc glossary, pattern string, fn any) {
	re, ok := patterns.Load(pattern)
	if !ok {
		re, _ = patterns.LoadOrStore(pattern, regexp.MustCompile(pattern))
	}
	sc.Step(re.(*regexp.Regexp), fn)
}

// Subject is the regular expression fragment for who acts in a When step: "they" (the current
// actor), a named actor in quotes, or "an anonymous caller" (no token). Use it with
// World.Subject:
//
//	define(sc, `^`+Subject+` reads? the child "([^"]+)"$`, func(ctx context.Context, who, child string) error {
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
