// Package steps holds the godog step definitions of the conformance suite and the framework
// they stand on: the per-scenario World, the one instrumented HTTP client, contract checking
// of every exchange, attribution of failures to requirements, and redaction of evidence.
//
// # Writing steps
//
// Each concern (search, involvements, transfers, …) gets its own file with an unexported
// registerX(sc *godog.ScenarioContext) that Register calls; add yours to Register. A step
// gets the scenario's state with WorldFrom(ctx) and must never keep state in globals:
// scenarios run concurrently.
//
//	func registerSearch(sc *godog.ScenarioContext) {
//		define(sc, `^`+Subject+` searche?s? by NHS number for the child "([^"]+)"$`, searchByNHS)
//	}
//
//	func searchByNHS(ctx context.Context, who, alias string) error {
//		w := WorldFrom(ctx)
//		actor, err := w.Subject(who) // "they", "Priya" (quoted) or "an anonymous caller"
//		if err != nil {
//			return err
//		}
//		c, err := w.Child(alias)
//		if err != nil {
//			return err
//		}
//		nhs, _, _ := Lookup(c.Sent, "/identifiers/0/value")
//		_, err = w.Send(Request{
//			Method: "POST", Path: "/v1/children/search", As: actor,
//			Purpose: "SAFEGUARDING_CONCERN", // "" sends no X-Purpose-Of-Use
//			Body: map[string]any{"nhsNumber": nhs},
//		})
//		return err // only *TargetError (ERROR) or *ConfigError (CONFIG); never a FAIL
//	}
//
// Phrase steps for people ("When they read the child "Amara""), not for HTTP. Name actors
// with AddActor or the generic Given steps ("Given a practitioner "Priya" from the health
// sector of council 202"); the latest introduced or named one is "they".
//
// # Requests
//
// Every request goes through World.Send: it attaches the actor's token (World.Token, or
// Request.Token for a hand-made one, TokenWith for edited claims), an X-Correlation-ID and the
// purpose, bounds the request by the run's timeout, records the exchange as evidence and checks
// request and response against the contract. Paths and bodies may refer to remembered ids as
// "{kind:name}" ("/v1/children/{child:Amara}"); remember your own with World.Remember.
//
// A request a scenario breaks on purpose (a negative test: an unknown code, a missing field)
// must set Request.Invalid; otherwise a request that breaks the contract is a harness defect
// and the scenario is CONFIG.
//
// # Children
//
// World.CreateChild(alias, council, opts, overrides...) creates a child through the API as
// that council's management (not the current actor) from the scenario's seeded generator
// (World.Gen, deterministic per scenario): fixtures.ChildOption values shape it, Override
// values patch the generated JSON at a pointer. CreateChildAs creates it as a given actor;
// ChildBody builds a body without sending it (for deliberately invalid creates). A created
// child is World.Child(alias) and "{child:<alias>}" in paths.
//
// # Assertions and requirements
//
// Assert on World.Last with the Expect helpers (ExpectStatus, ExpectField, ExpectNoField,
// ExpectNoMemberAnywhere, ExpectHeader, ExpectETagMatchesVersion, ExpectProblem), or read it
// with Response.At(pointer) / Response.Decode and return Failf(pointer, expected, actual,
// format, …). JSON Pointers are RFC 6901 ("/parentsCarers/0/name/family").
//
// A failed assertion counts against the scenario's requirement tags. When a step checks a
// rule of a different or narrower requirement than the scenario's tags, say so:
//
//	return Attribute(w.ExpectNoField("/address"), "SENS-004")
//
// A check that must not stop the scenario records a Finding with World.Record instead of
// returning an error. Contract violations in responses are recorded that way by Send and are
// charged to the requirement the contract names (see attribution.go): a system that sends
// dates as dd/mm/yyyy fails READ-004, not every requirement whose scenario read a child.
//
// # Adding a requirement (checklist)
//
//  1. spec/requirements.yaml: the id, level, group, text and source.
//  2. spec/openapi.yaml: the operation, schemas, parameters and headers; mark with
//     x-requirement the parts the requirement owns (see attribution.go for what cannot).
//  3. features/<group>.feature (features/interop/ for two systems): at least one scenario
//     tagged @positive (a conforming system is seen doing what the requirement asks) and one
//     tagged @negative (the scenario provokes what the requirement forbids), both tagged with
//     the id (@XFER-001) and with @cap-<name> for an optional capability. The tag, not the
//     scenario's shape, decides which is which; the suite loader insists on exactly one.
//  4. steps/<group>.go: the new phrases, registered by a registerX of that file (add it to
//     Register); per-scenario state goes in a typed field of World, built in newWorld.
//  5. reference/: the behaviour, so that the reference passes; a simulator quirk in
//     simulators/ if a known vendor defect breaks it, with its expected failure in the profile.
//  6. Run go test ./internal/harness/ -run TestEveryMustRequirementHasBothScenarios (remove
//     the id from its pending list), go test ./steps/ -run TestStepGlossary -update (and
//     review the diff of steps/testdata/glossary.golden), and the calibration in internal/fleet.
//
// # Verdicts of a scenario
//
// A step's error is classified when the step ends: *TargetError (no response, a timeout) is
// ERROR; *ConfigError, an undefined, pending or ambiguous step is CONFIG; anything else
// (an *AssertionError, a testify failure through godog.T(ctx), a plain error) is FAIL. The
// Outcome of each scenario goes to Options.OnScenarioEnd; the harness turns it into the
// report.
package steps
