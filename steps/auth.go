package steps

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
)

// tokenKinds are the bearer tokens the authentication steps present (AUTH-001), by how a
// scenario names them. Each returns the token to send; "" sends none.
var tokenKinds = map[string]func(w *World, a *Actor) (string, error){
	"a valid token": func(w *World, a *Actor) (string, error) { return w.Token(a) },
	"no token":      func(*World, *Actor) (string, error) { return "", nil },
	"an expired token": func(w *World, a *Actor) (string, error) {
		return w.TokenWith(a, func(c *fixtures.Claims) {
			c.IssuedAt, c.TTL = w.Now().Add(-2*tokenTTL), -fixtures.ExpiredTTL
		})
	},
	"a token signed by an unknown key": func(w *World, a *Actor) (string, error) {
		tok, err := w.Issuer().TokenSignedByStranger(w.tokenClaimsOf(a))
		if err != nil {
			return "", Configf("sign a token with a stranger's key: %v", err)
		}
		return tok, nil
	},
	"a token for another audience": func(w *World, a *Actor) (string, error) {
		return w.TokenWith(a, func(c *fixtures.Claims) { c.Audience = "another-api.example" })
	},
	"an unsigned token": func(w *World, a *Actor) (string, error) {
		return w.Issuer().UnsignedToken(w.tokenClaimsOf(a)), nil
	},
	"a token without a role": func(w *World, a *Actor) (string, error) {
		return w.TokenWith(a, func(c *fixtures.Claims) { c.Role = "" })
	},
	"a token with an unknown role": func(w *World, a *Actor) (string, error) {
		return w.TokenWith(a, func(c *fixtures.Claims) { c.Role = "SUPERUSER" })
	},
	"a token that is not a JWT": func(*World, *Actor) (string, error) { return "not-a-signed-token", nil },
}

// tokenKindPattern matches the names of tokenKinds.
var tokenKindPattern = func() string {
	names := make([]string, 0, len(tokenKinds))
	for n := range tokenKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return "(" + strings.Join(names, "|") + ")"
}()

// tokenClaimsOf returns the claims of a's tokens, as World.TokenWith issues them.
func (w *World) tokenClaimsOf(a *Actor) fixtures.Claims {
	return fixtures.Claims{
		Sub: a.Sub, Role: a.Role, Org: a.Org, La: a.Council, Sector: a.Sector,
		Audience: w.suite.audience(), IssuedAt: w.Now(), TTL: tokenTTL,
	}
}

// presentToken sends req as actor with the token of kind; "no token" sends none at all.
func (w *World) presentToken(req Request, actor *Actor, kind string) (*Response, error) {
	tok, err := tokenKinds[kind](w, actor)
	if err != nil {
		return nil, err
	}
	req.As, req.Token = nil, tok
	req.Invalid = kind != "a valid token"
	return w.Send(req)
}

// registerAuth adds the steps of access control (AUTH-001..AUTH-004):
//
//	When "Priya" reads the child "Amara" presenting an expired token
//	Then the request is refused as unauthenticated
//	Given council 202 holds an active, a shielded and an archived child record
//	When "Kim" tries to shield each of those records and an unknown one
//	Then every attempt is refused with 403 FORBIDDEN
//	Then "Sam" is permitted to set a child protection plan on the child "Amara"
//	Given a child "Old" known to council 202 who was archived 2 years ago
//	When "Priya" reads the child "Amara" breaking the glass because "Unconscious in A&E"
func registerAuth(sc glossary) {
	registerAuthentication(sc)
	registerRoleTable(sc)
	registerArchiveAndBreakGlass(sc)
}

// registerAuthentication adds the steps of AUTH-001.
func registerAuthentication(sc glossary) {
	define(sc, `^"([^"]+)" reads the child "([^"]+)" presenting `+tokenKindPattern+`$`, func(ctx context.Context, name, alias, kind string) error {
		w := WorldFrom(ctx)
		actor, err := w.Actor(name)
		if err != nil {
			return err
		}
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		_, err = w.presentToken(Request{Method: "GET", Path: "/v1/children/" + c.ID, Purpose: defaultPurposes[actor.Role]}, actor, kind)
		return err
	})
	define(sc, `^"([^"]+)" tries to create the child "([^"]+)" presenting `+tokenKindPattern+`$`, func(ctx context.Context, name, alias, kind string) error {
		w := WorldFrom(ctx)
		actor, err := w.Actor(name)
		if err != nil {
			return err
		}
		body, err := w.ChildBody(nil)
		if err != nil {
			return err
		}
		WorldFrom(ctx).lookup.attempts[alias] = createAttempt{body: body, actor: actor}
		_, err = w.presentToken(Request{Method: "POST", Path: "/v1/children", Body: body}, actor, kind)
		return err
	})
	define(sc, `^the request is refused as unauthenticated$`, step(func(w *World) error {
		if err := w.ExpectStatus(401); err != nil {
			return err
		}
		if err := w.ExpectProblem("UNAUTHENTICATED"); err != nil {
			return err
		}
		got := w.Last.Header.Get("WWW-Authenticate")
		if scheme, _, _ := strings.Cut(strings.TrimSpace(got), " "); !strings.EqualFold(scheme, "Bearer") {
			return Failf("header:WWW-Authenticate", `a "Bearer" challenge`, orAbsent(got), "the 401 does not tell the caller to authenticate with a bearer token")
		}
		return nil
	}))
}

// opTarget is the record a role operation is tried on: a child the scenario created, or
// (alias "") an id no record has.
type opTarget struct {
	alias string
	id    string
}

// roleOp builds the request of one operation of the role table on a target.
type roleOp func(w *World, actor *Actor, t opTarget) (Request, error)

// roleOps are the operations of the role table (DOMAIN.md §4, CONTRACT.md), by how a
// scenario names them: "Kim tries to <op> each of those records", "Sam is permitted to <op>
// the child".
var roleOps = map[string]roleOp{
	"read": func(_ *World, a *Actor, t opTarget) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + t.id, Purpose: defaultPurposes[a.Role]}, nil
	},
	"search for": func(w *World, a *Actor, t opTarget) (Request, error) {
		nhs := ""
		if t.alias == "" {
			nhs = identifierValue(normaliseJSON(w.Gen.Child()), "NHS_NUMBER")
		} else if c, err := w.Child(t.alias); err == nil {
			nhs = identifierValue(c.Sent, "NHS_NUMBER")
		}
		return Request{Method: "POST", Path: "/v1/children/search", Body: map[string]any{"nhsNumber": nhs}, Purpose: defaultPurposes[a.Role]}, nil
	},
	"update": func(w *World, _ *Actor, t opTarget) (Request, error) {
		etag, err := w.etagForOp(t)
		if err != nil {
			return Request{}, err
		}
		return Request{
			Method: "PATCH", Path: "/v1/children/" + t.id, Header: http.Header{"If-Match": {etag}},
			Body: map[string]any{"whereabouts": "KNOWN_ADDRESS"},
		}, nil
	},
	"add an involvement to": func(w *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "POST", Path: "/v1/children/" + t.id + "/involvements", Body: w.Gen.Involvement("GP", w.dayOffset(-30))}, nil
	},
	"raise an information-to-share flag on": func(w *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "POST", Path: "/v1/children/" + t.id + "/indicators", Body: map[string]any{
			"type": "HAS_INFORMATION_TO_SHARE", "startDate": w.dayOffset(0),
			"contact": map[string]any{"name": "Synthetic Contact", "organisation": "Synthetic Family Hub (TEST)", "phone": "01632 960100"},
		}}, nil
	},
	"set a child protection plan on": func(w *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "POST", Path: "/v1/children/" + t.id + "/indicators", Body: protectionPlanBody(w)}, nil
	},
	"shield": func(w *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "PUT", Path: "/v1/children/" + t.id + "/shield", Body: shieldRequestBody(w)}, nil
	},
	"unshield": func(_ *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "DELETE", Path: "/v1/children/" + t.id + "/shield"}, nil
	},
	"merge a duplicate record into": func(w *World, a *Actor, t opTarget) (Request, error) {
		const dup = "duplicate record"
		council := a.Council
		if target, err := w.Child(t.alias); err == nil {
			council = target.Council
		}
		c, err := w.Child(dup)
		if err != nil {
			if c, err = w.CreateChild(dup, council, nil); err != nil {
				return Request{}, err
			}
		}
		return Request{Method: "POST", Path: "/v1/children/" + t.id + "/merge", Body: map[string]any{"mergedId": c.ID}}, nil
	},
	"list the access history of": func(_ *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "GET", Path: "/v1/children/" + t.id + "/access-history"}, nil
	},
	"list the audit events of": func(_ *World, _ *Actor, t opTarget) (Request, error) {
		return Request{Method: "GET", Path: "/v1/audit-events?childId=" + t.id}, nil
	},
}

// roleOpPattern matches the names of roleOps.
var roleOpPattern = func() string {
	names := make([]string, 0, len(roleOps))
	for n := range roleOps {
		names = append(names, n)
	}
	sort.Strings(names)
	return "(" + strings.Join(names, "|") + ")"
}()

// dayOffset returns today's date on the harness clock moved by days, as YYYY-MM-DD.
func (w *World) dayOffset(days int) string {
	return w.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly)
}

// protectionPlanBody is a child protection plan that started a week ago.
func protectionPlanBody(w *World) map[string]any {
	return map[string]any{"type": "CHILD_PROTECTION_PLAN", "startDate": w.dayOffset(-7), "category": "NEG"}
}

// shieldRequestBody shields a record for domestic abuse, to be reviewed in six months.
func shieldRequestBody(w *World) map[string]any {
	return map[string]any{"reasonCode": "DOMESTIC_ABUSE", "reviewDue": w.Now().UTC().AddDate(0, 6, 0).Format(time.DateOnly)}
}

// etagForOp returns the ETag of a target as its council's management reads it, or `"1"`
// for an unknown record.
func (w *World) etagForOp(t opTarget) (string, error) {
	if t.alias == "" {
		return `"1"`, nil
	}
	c, err := w.Child(t.alias)
	if err != nil {
		return "", err
	}
	r, err := w.ReadChild(w.systemActor(c.Council), t.alias, "")
	if err != nil {
		return "", err
	}
	if etag := r.Header.Get("ETag"); etag != "" {
		return etag, nil
	}
	if v, ok := r.At("/version"); ok {
		return strconv.Quote(Render(v)), nil
	}
	return `"1"`, nil
}

// unusedChildID returns an id in the contract's form that no record of the target has: a UUID
// derived from the scenario.
func (w *World) unusedChildID() string {
	h := fnv.New128a()
	_, _ = h.Write([]byte("unknown record " + w.ScenarioID))
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// tryRoleOp sends operation op on target t as actor.
func (w *World) tryRoleOp(actor *Actor, op string, t opTarget) (*Response, error) {
	build, ok := roleOps[op]
	if !ok {
		return nil, Configf("unknown operation %q", op)
	}
	req, err := build(w, actor, t)
	if err != nil {
		return nil, err
	}
	req.As = actor
	return w.Send(req)
}

// heldRecordAliases are the aliases of the records "council … holds an active, a shielded and an
// archived child record" creates.
var heldRecordAliases = []string{"active record", "shielded record", "archived record"}

// registerRoleTable adds the steps of AUTH-002.
func registerRoleTable(sc glossary) {
	define(sc, `^council (\d{3}) holds an active, a shielded and an archived child record$`, func(ctx context.Context, council string) error {
		w := WorldFrom(ctx)
		if _, err := w.CreateChild(heldRecordAliases[0], council, nil); err != nil {
			return err
		}
		shielded, err := w.CreateChild(heldRecordAliases[1], council, nil)
		if err != nil {
			return err
		}
		if err := w.setUpOrFail(Request{Method: "PUT", Path: "/v1/children/" + shielded.ID + "/shield", Body: shieldRequestBody(w), As: w.systemActor(council)},
			"shield the record %q", heldRecordAliases[1]); err != nil {
			return err
		}
		_, err = w.CreateChild(heldRecordAliases[2], council, []fixtures.ChildOption{fixtures.WithDateOfBirth(w.archivedSince(0, 6))})
		return err
	})
	define(sc, `^`+Subject+` tr(?:y|ies) to `+roleOpPattern+` each of those records and an unknown one$`, func(ctx context.Context, who, op string) error {
		w := WorldFrom(ctx)
		n := WorldFrom(ctx).notes
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		if actor == nil {
			return Configf("an anonymous caller has no role: use a named actor")
		}
		targets := make([]opTarget, 0, len(heldRecordAliases)+1)
		for _, alias := range heldRecordAliases {
			c, err := w.Child(alias)
			if err != nil {
				return err
			}
			targets = append(targets, opTarget{alias: alias, id: c.ID})
		}
		targets = append(targets, opTarget{id: w.unusedChildID()})
		for _, t := range targets {
			r, err := w.tryRoleOp(actor, op, t)
			if err != nil {
				return err
			}
			name := t.alias
			if name == "" {
				name = "unknown record"
			}
			n.attempts = append(n.attempts, recordAttempt{record: name, resp: r})
		}
		return nil
	})
	define(sc, `^every attempt is refused with 403 FORBIDDEN$`, func(ctx context.Context) error {
		n := WorldFrom(ctx).notes
		if len(n.attempts) == 0 {
			return Configf("no attempts to check")
		}
		var evidence []*Response
		for _, a := range n.attempts {
			evidence = append(evidence, a.resp)
		}
		for _, a := range n.attempts {
			code := ""
			if a.resp.Status == 403 {
				var err error
				if code, err = problemCode(a.resp); err != nil {
					return err
				}
			}
			if a.resp.Status != 403 || code != "FORBIDDEN" {
				return &AssertionError{
					Message:  fmt.Sprintf("the attempt on the %s was not refused like the others: a forbidden operation must get 403 FORBIDDEN whatever the record, so that the answer never reveals whether a record exists", a.record),
					Pointer:  "status",
					Expected: "403 FORBIDDEN",
					Actual:   strconv.Itoa(a.resp.Status) + problemHint(a.resp),
					Evidence: evidence,
				}
			}
		}
		return nil
	})
	define(sc, `^`+Subject+` is permitted to `+roleOpPattern+` the child "([^"]+)"$`, func(ctx context.Context, who, op, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.actorAndChild(who, alias)
		if err != nil {
			return err
		}
		r, err := w.tryRoleOp(actor, op, opTarget{alias: alias, id: c.ID})
		if err != nil {
			return err
		}
		if r.Status < 200 || r.Status > 299 {
			return Failf("status", "a success (2xx)", strconv.Itoa(r.Status)+problemHint(r),
				"the role table lets a %s %s a child, but the request was refused", actor.Role, op)
		}
		return nil
	})
	define(sc, `^`+Subject+` is refused permission to `+roleOpPattern+` the child "([^"]+)"$`, func(ctx context.Context, who, op, alias string) error {
		w := WorldFrom(ctx)
		actor, c, err := w.actorAndChild(who, alias)
		if err != nil {
			return err
		}
		if _, err := w.tryRoleOp(actor, op, opTarget{alias: alias, id: c.ID}); err != nil {
			return err
		}
		if err := w.ExpectStatus(403); err != nil {
			return err
		}
		return w.ExpectProblem("FORBIDDEN")
	})
}

// actorAndChild resolves a named actor and a child of the scenario.
func (w *World) actorAndChild(who, alias string) (*Actor, *Child, error) {
	actor, err := w.Subject(who)
	if err != nil {
		return nil, nil, err
	}
	if actor == nil {
		return nil, nil, Configf("an anonymous caller has no role: use a named actor")
	}
	c, err := w.Child(alias)
	if err != nil {
		return nil, nil, err
	}
	return actor, c, nil
}

// setUpOrFail sends a request that sets up the scenario; anything but a 2xx is a failure of set-up.
func (w *World) setUpOrFail(req Request, what string, args ...any) error {
	r, err := w.Send(req)
	if err != nil {
		return err
	}
	if r.Status < 200 || r.Status > 299 {
		return &AssertionError{
			Message:  "could not " + fmt.Sprintf(what, args...) + " to set up the scenario",
			Pointer:  "status",
			Expected: "a success (2xx)",
			Actual:   strconv.Itoa(r.Status) + problemHint(r),
		}
	}
	return nil
}

// archivedSince returns the date of birth of a child archived at 18 the given years and
// months ago, as YYYY-MM-DD.
func (w *World) archivedSince(years, months int) string {
	return w.Now().UTC().AddDate(-18-years, -months, 0).Format(time.DateOnly)
}

// registerArchiveAndBreakGlass adds the steps of AUTH-003 and AUTH-004.
func registerArchiveAndBreakGlass(sc glossary) {
	define(sc, `^a child "([^"]+)" known to council (\d{3}) who was archived (\d+) (months?|years?) ago$`,
		func(ctx context.Context, alias, council string, n int, unit string) error {
			w := WorldFrom(ctx)
			dob := w.archivedSince(n, 0)
			if strings.HasPrefix(unit, "month") {
				dob = w.archivedSince(0, n)
			}
			_, err := w.CreateChild(alias, council, []fixtures.ChildOption{fixtures.WithDateOfBirth(dob)})
			return err
		})
	define(sc, `^the child "([^"]+)" is subject to a child protection plan set by its council$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, err := w.Child(alias)
		if err != nil {
			return err
		}
		return w.setUpOrFail(Request{Method: "POST", Path: "/v1/children/" + c.ID + "/indicators", Body: protectionPlanBody(w), As: w.systemActor(c.Council)},
			"set a child protection plan on %q", alias)
	})
	define(sc, `^`+Subject+` reads? the child "([^"]+)" breaking the glass because "([^"]+)"$`, func(ctx context.Context, who, alias, reason string) error {
		return breakGlassRead(ctx, who, alias, http.Header{"X-Break-Glass-Reason": {reason}})
	})
	define(sc, `^`+Subject+` reads? the child "([^"]+)" breaking the glass without giving a reason$`, func(ctx context.Context, who, alias string) error {
		return breakGlassRead(ctx, who, alias, nil)
	})
	define(sc, `^`+Subject+` reads? the child "([^"]+)" breaking the glass with a blank reason$`, func(ctx context.Context, who, alias string) error {
		return breakGlassRead(ctx, who, alias, http.Header{"X-Break-Glass-Reason": {"   "}})
	})
	define(sc, `^the response shows the child protection plan$`, step(func(w *World) error {
		if err := w.ExpectStatus(200); err != nil {
			return err
		}
		if !slices.Contains(tiersInResponse(w.Last), "T5") {
			return Failf("/indicators", "the CHILD_PROTECTION_PLAN indicator", absent, "the record does not show the child protection plan")
		}
		return nil
	}))
}

// breakGlassRead reads a child with the purpose BREAK_GLASS and the headers h.
func breakGlassRead(ctx context.Context, who, alias string, h http.Header) error {
	w := WorldFrom(ctx)
	actor, c, err := w.subjectAndChild(who, alias)
	if err != nil {
		return err
	}
	blank := h == nil || slices.ContainsFunc(h.Values("X-Break-Glass-Reason"), func(v string) bool { return strings.TrimSpace(v) == "" })
	_, err = w.Send(Request{Method: "GET", Path: "/v1/children/" + c.ID, As: actor, Purpose: "BREAK_GLASS", Header: h, Invalid: blank})
	return err
}

// problemCode returns the code of the problem document r. A response that is not a problem
// document with a code is a failure of ERR-001 alone: whether the refusal was the right one
// cannot be told, and the scenario's requirement must not fail for an error format it does
// not govern.
func problemCode(r *Response) (string, error) {
	if mt := r.MediaType(); mt != "application/problem+json" {
		return "", Attribute(&AssertionError{
			Message: "the error response is not a problem document", Pointer: "header:Content-Type",
			Expected: "application/problem+json", Actual: orAbsent(r.Header.Get("Content-Type")), Evidence: []*Response{r},
		}, ErrorFormatRequirement)
	}
	code, _ := r.At("/code")
	s, _ := code.(string)
	if s == "" {
		return "", Attribute(&AssertionError{
			Message: "the problem document has no code", Pointer: "/code",
			Expected: "a code", Actual: absent, Evidence: []*Response{r},
		}, ErrorFormatRequirement)
	}
	return s, nil
}
