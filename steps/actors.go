package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/icscert/icscert/fixtures"
)

// Actor is a person or system a scenario acts as. The harness's issuer signs its tokens with
// these claims: sub, role, org, la (Council) and sector.
type Actor struct {
	Name    string // the scenario's name for it ("Priya"), "" for an unnamed actor
	Role    string // a spec.Roles value, e.g. PRACTITIONER
	Sector  string // a spec.Sectors value, e.g. HEALTH
	Council string // DfE code of the actor's council
	Org     string // the organisation the actor works for
	Sub     string // the subject id

	token   string
	expires time.Time
}

// tokenTTL is the lifetime of the tokens the harness issues for actors; they are re-issued
// when less than a minute is left.
const tokenTTL = 15 * time.Minute

// rolePhrases maps how scenarios name roles to the API's roles.
var rolePhrases = map[string]string{
	"practitioner":               "PRACTITIONER",
	"social worker":              "SOCIAL_WORKER",
	"unscheduled care clinician": "HEALTH_UNSCHEDULED",
	"council manager":            "LA_MANAGEMENT",
	"auditor":                    "AUDITOR",
	"peer system":                "SYSTEM",
}

// sectorPhrases maps how scenarios name sectors to the API's sectors.
var sectorPhrases = map[string]string{
	"education":     "EDUCATION",
	"health":        "HEALTH",
	"social care":   "SOCIAL_CARE",
	"youth justice": "YOUTH_JUSTICE",
	"police":        "POLICE",
	"voluntary":     "VOLUNTARY",
	"council":       "LA",
}

// defaultSectors is the sector of a role when a scenario names none. A practitioner has no
// default: scenarios must say which sector.
var defaultSectors = map[string]string{
	"SOCIAL_WORKER":      "SOCIAL_CARE",
	"HEALTH_UNSCHEDULED": "HEALTH",
	"LA_MANAGEMENT":      "LA",
	"AUDITOR":            "LA",
	"SYSTEM":             "LA",
}

// defaultPurposes is the X-Purpose-Of-Use a role reads and searches with unless a step says
// otherwise.
var defaultPurposes = map[string]string{
	"PRACTITIONER":       "SERVICE_COORDINATION",
	"SOCIAL_WORKER":      "SAFEGUARDING_CONCERN",
	"HEALTH_UNSCHEDULED": "UNSCHEDULED_CARE",
	"LA_MANAGEMENT":      "SAFEGUARDING_CONCERN",
	"AUDITOR":            "SERVICE_COORDINATION",
	"SYSTEM":             "SERVICE_COORDINATION",
}

// AddActor creates an actor and makes it the current one ("they" in later steps). name may be
// empty. sector "" takes the role's default; org "" means "SYN-<sector>-<council>", so that
// actors of one sector and council work for the same organisation unless a step names one.
func (w *World) AddActor(name, role, sector, council, org string) (*Actor, error) {
	if sector == "" {
		sector = defaultSectors[role]
		if sector == "" {
			return nil, Configf("a %s needs a sector (e.g. \"from the health sector of council %s\")", role, council)
		}
	}
	if name != "" {
		if _, dup := w.actors[name]; dup {
			return nil, Configf("actor %q is introduced twice", name)
		}
	}
	if org == "" {
		org = fmt.Sprintf("SYN-%s-%s", sector, council)
	}
	w.nactors++
	a := &Actor{
		Name:    name,
		Role:    role,
		Sector:  sector,
		Council: council,
		Org:     org,
		Sub:     fmt.Sprintf("icscert-%s-%d", w.tag, w.nactors),
	}
	if name != "" {
		w.actors[name] = a
	}
	w.current = a
	return a, nil
}

// Actor returns the actor named name and makes it current; "" returns the current actor.
// A scenario that names an unknown actor, or says "they" before introducing anyone, is a
// defect of the suite (*ConfigError).
func (w *World) Actor(name string) (*Actor, error) {
	if name == "" {
		if w.current == nil {
			return nil, Configf("no actor yet: introduce one first, e.g. \"Given a practitioner from the health sector of council 202\"")
		}
		return w.current, nil
	}
	a, ok := w.actors[name]
	if !ok {
		return nil, Configf("no actor named %q in this scenario", name)
	}
	w.current = a
	return a, nil
}

// systemActor returns the council manager the harness uses to set up data for council (for
// example to create a child), without changing the scenario's current actor.
func (w *World) systemActor(council string) *Actor {
	key := "\x00setup-" + council
	if a, ok := w.actors[key]; ok {
		return a
	}
	a := &Actor{
		Role:    "LA_MANAGEMENT",
		Sector:  "LA",
		Council: council,
		Org:     "SYN-LA-" + council,
		Sub:     fmt.Sprintf("icscert-%s-setup-%s", w.tag, council),
	}
	w.actors[key] = a
	return a
}

// Token returns a bearer token for a, issued by the harness with the run's audience. Tokens
// are cached until a minute before they expire.
func (w *World) Token(a *Actor) (string, error) {
	now := w.Now()
	if a.token != "" && now.Add(time.Minute).Before(a.expires) {
		return a.token, nil
	}
	tok, err := w.TokenWith(a, nil)
	if err != nil {
		return "", err
	}
	a.token, a.expires = tok, now.Add(tokenTTL)
	return tok, nil
}

// TokenWith issues a token for a after edit has changed its claims, for scenarios about
// authentication (an expired token, another audience, a missing claim). The token is not
// cached. For wrongly signed tokens use World.Issuer().
func (w *World) TokenWith(a *Actor, edit func(*fixtures.Claims)) (string, error) {
	c := fixtures.Claims{
		Sub:      a.Sub,
		Role:     a.Role,
		Org:      a.Org,
		La:       a.Council,
		Sector:   a.Sector,
		Audience: w.suite.audience(),
		IssuedAt: w.Now(),
		TTL:      tokenTTL,
	}
	if edit != nil {
		edit(&c)
	}
	tok, err := w.Issuer().Token(c)
	if err != nil {
		return "", Configf("issue token for %s: %v", a.Role, err)
	}
	return tok, nil
}

// rolePattern and sectorPattern are the regular expression fragments for rolePhrases and
// sectorPhrases.
const (
	rolePattern   = `(practitioner|social worker|unscheduled care clinician|council manager|auditor|peer system)`
	sectorPattern = `(education|health|social care|youth justice|police|voluntary|council)`
)

// registerActors adds the steps that introduce actors:
//
//	Given a practitioner from the health sector of council 202
//	Given a practitioner "Priya" from the education sector of council 202 at "Synthetic Academy"
//	Given a social worker "Sam" from council 202
//	Given a council manager of council 201
//
// Each new actor becomes the current one ("they"). Without "at", actors of one sector and
// council share an organisation.
func registerActors(sc glossary) {
	define(sc, `^an? `+rolePattern+`(?: "([^"]+)")? from the `+sectorPattern+` sector of council (\d{3})(?: at "([^"]+)")?$`,
		func(ctx context.Context, role, name, sector, council, org string) error {
			_, err := WorldFrom(ctx).AddActor(name, rolePhrases[role], sectorPhrases[sector], council, org)
			return err
		})
	define(sc, `^an? `+rolePattern+`(?: "([^"]+)")? (?:from|of) council (\d{3})(?: at "([^"]+)")?$`,
		func(ctx context.Context, role, name, council, org string) error {
			_, err := WorldFrom(ctx).AddActor(name, rolePhrases[role], "", council, org)
			return err
		})
}
