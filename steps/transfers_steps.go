package steps

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/icscert/icscert/fixtures"
)

// leftEngland are the three intention statements of a child who left England (XFER-006).
var leftEngland = []string{"LEFT_ENGLAND_INTENDS_RETURN", "LEFT_ENGLAND_NOT_RETURNING", "LEFT_ENGLAND_INTENTION_UNKNOWN"}

// Fragments of the transfer steps.
const (
	systemPattern  = `(the target|the peer)`
	councilPattern = `(the peer's council|council \d{3})`
	statePattern   = `(PROPOSED|ACCEPTED|REJECTED|COMPLETED)`
)

// registerTransfers adds the steps of transfers between councils (XFER-*):
//
//	Given a child "Amara" known to council 202 with everything a transfer carries
//	Given a child "Bo" known to the peer's council with everything a transfer carries
//	When council 202's management proposes a transfer of "Amara" to the peer's council
//	When the peer's management proposes a transfer of "Bo" to council 202
//	When the peer has received the transfer of "Amara"
//	Then the target has received the transfer of "Bo"
//	When the peer's management accepts the transfer of "Amara"
//	When council 202's management rejects the transfer of "Bo" on the target
//	Then the transfer of "Amara" becomes COMPLETED on the peer
//	Then the record of "Amara" names the peer's council as responsible on the target
//	Then what the peer holds of "Amara" equals what the target held before the transfer
//	Given the peer system has delivered a transfer package of a new child "Cal" to the target
func registerTransfers(sc glossary) {
	registerTransferSetUp(sc)
	registerTransferFlow(sc)
	registerTransferChecks(sc)
	registerTransferDeliveries(sc)
}

func registerTransferSetUp(sc glossary) {
	define(sc, `^a child "([^"]+)" known to council (\d{3}) with everything a transfer carries$`, func(ctx context.Context, alias, council string) error {
		return WorldFrom(ctx).setUpChild(alias, onTarget, council, true)
	})
	define(sc, `^a child "([^"]+)" known to the peer's council( with everything a transfer carries)?$`, func(ctx context.Context, alias, full string) error {
		w := WorldFrom(ctx)
		council, err := w.councilOf("the peer's council")
		if err != nil {
			return err
		}
		return w.setUpChild(alias, onPeer, council, full != "")
	})
}

func registerTransferFlow(sc glossary) {
	define(sc, `^council (\d{3})'s management proposes a transfer of "([^"]+)" to `+councilPattern+`( with a new Idempotency-Key)?$`,
		func(ctx context.Context, from, alias, to, newKey string) error {
			w := WorldFrom(ctx)
			council, err := w.councilOf(to)
			if err != nil {
				return err
			}
			return w.propose(alias, onTarget, from, council, newKey != "", newKey != "")
		})
	define(sc, `^council (\d{3})'s management proposes the same transfer of "([^"]+)" again$`, func(ctx context.Context, from, alias string) error {
		w := WorldFrom(ctx)
		tc, err := w.transferCase(alias)
		if err != nil {
			return err
		}
		return w.propose(alias, onTarget, from, tc.to, true, false)
	})
	define(sc, `^the peer's management proposes a transfer of "([^"]+)" (?:back )?to council (\d{3})$`, func(ctx context.Context, alias, to string) error {
		w := WorldFrom(ctx)
		from, err := w.councilOf("the peer's council")
		if err != nil {
			return err
		}
		if err := w.propose(alias, onPeer, from, to, false, false); err != nil {
			return err
		}
		tc, _ := w.transferCase(alias)
		r := tc.proposals[len(tc.proposals)-1]
		return expectAnswer(r, http.StatusCreated, "propose the transfer on the peer")
	})
	define(sc, `^the network between the systems (drops the request of|drops the answer to|duplicates|delays) the next delivery of "([^"]+)" to `+systemPattern+`$`,
		func(ctx context.Context, fault, alias, system string) error {
			return WorldFrom(ctx).injectFault(fault, alias, system)
		})
	define(sc, `^the network between the systems holds back the next delivery of "([^"]+)" to `+systemPattern+` until a delivery of "([^"]+)" has overtaken it$`,
		func(ctx context.Context, first, system, second string) error {
			return WorldFrom(ctx).holdBack(first, second, system)
		})
	define(sc, `^`+systemPattern+` has taken in the transfer of "([^"]+)" once, whatever the network did$`, func(ctx context.Context, system, alias string) error {
		return WorldFrom(ctx).expectTakenInOnce(alias, system)
	})
	define(sc, `^`+systemPattern+` has received the transfer of "([^"]+)"$`, func(ctx context.Context, system, alias string) error {
		return WorldFrom(ctx).expectReceived(alias, system)
	})
	define(sc, `^the peer's management (accepts|rejects) the transfer of "([^"]+)"$`, func(ctx context.Context, verb, alias string) error {
		return WorldFrom(ctx).decide(alias, onPeer, decisionOf(verb), false)
	})
	define(sc, `^council 202's management (accepts|rejects) the transfer of "([^"]+)" on the target$`, func(ctx context.Context, verb, alias string) error {
		return WorldFrom(ctx).decide(alias, onTarget, decisionOf(verb), false)
	})
	define(sc, `^council 202's management sends the same acceptance of "([^"]+)" again$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).decide(alias, onTarget, "ACCEPTED", true)
	})
	define(sc, `^the transfer of "([^"]+)" (?:becomes|is) `+statePattern+` on `+systemPattern+`$`, func(ctx context.Context, alias, state, system string) error {
		w := WorldFrom(ctx)
		_, err := w.awaitTransfer(alias, system, state)
		return w.blameState(alias, system, state, err)
	})
}

func decisionOf(verb string) string {
	if verb == "rejects" {
		return "REJECTED"
	}
	return "ACCEPTED"
}

func registerTransferChecks(sc glossary) {
	define(sc, `^the record of "([^"]+)" names `+councilPattern+` as responsible on `+systemPattern+`$`, func(ctx context.Context, alias, council, system string) error {
		w := WorldFrom(ctx)
		code, err := w.councilOf(council)
		if err != nil {
			return err
		}
		return w.blameState(alias, system, "", w.expectResponsible(alias, system, code))
	})
	define(sc, `^what `+systemPattern+` holds of "([^"]+)" equals what `+systemPattern+` held before the (?:first )?transfer$`,
		func(ctx context.Context, system, alias, origin string) error {
			w := WorldFrom(ctx)
			tc, err := w.transferCase(alias)
			if err != nil {
				return err
			}
			if tc.origin == nil || tc.home != origin {
				return Configf("the child %q was not set up on %s with everything a transfer carries", alias, origin)
			}
			council, err := w.servedCouncil(system)
			if err != nil {
				return err
			}
			got, err := w.holdingOf(tc, system, council)
			if err != nil {
				return w.blameState(alias, system, "", err)
			}
			return w.expectUnchanged(tc, system, got)
		})
	define(sc, `^both proposals name the same transfer$`, func(ctx context.Context) error {
		return WorldFrom(ctx).expectOneTransfer("proposals", func(tc *transferCase) []*Response { return tc.proposals })
	})
	define(sc, `^both deliveries name the same transfer$`, func(ctx context.Context) error {
		return WorldFrom(ctx).expectOneTransfer("deliveries", func(tc *transferCase) []*Response { return tc.deliveries })
	})
	define(sc, `^both acceptances answer alike$`, func(ctx context.Context) error {
		w := WorldFrom(ctx)
		tc, err := w.lastCase()
		if err != nil {
			return err
		}
		if len(tc.acceptances) < 2 {
			return Configf("fewer than two acceptances were sent")
		}
		first := tc.acceptances[0]
		s0, _ := first.At("/state")
		for _, r := range tc.acceptances[1:] {
			s, ok := r.At("/state")
			if r.Status != first.Status || s != s0 {
				return &AssertionError{
					Message:  "a repeated acceptance with the same Idempotency-Key did not answer as the first",
					Pointer:  "/state",
					Expected: fmt.Sprintf("%d with state %v", first.Status, s0),
					Actual:   fmt.Sprintf("%d with state %s%s", r.Status, renderOr(s, ok), problemHint(r)),
					Evidence: []*Response{first, r},
				}
			}
		}
		return nil
	})
	define(sc, `^council (\d{3})'s management tries to make council (\d{3}) responsible for "([^"]+)" by editing the record$`,
		func(ctx context.Context, council, other, alias string) error {
			_, err := WorldFrom(ctx).patchRecord(alias, council, map[string]any{"responsibleLa": map[string]any{"dfeCode": other}}, true)
			return err
		})
	define(sc, `^the edit is refused$`, func(ctx context.Context) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		if r.Status < 400 || r.Status > 499 || r.Status == http.StatusNotFound {
			return Failf("status", "a refusal (4xx)", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "the record was edited to name another responsible council")
		}
		return nil
	})
	define(sc, `^council (\d{3})'s management records that "([^"]+)" has left England: ([A-Z_]+)$`, func(ctx context.Context, council, alias, where string) error {
		_, err := WorldFrom(ctx).patchRecord(alias, council, map[string]any{"whereabouts": where}, !slices.Contains(leftEngland, where))
		return err
	})
	define(sc, `^the record of "([^"]+)" shows the whereabouts ([A-Z_]+)$`, func(ctx context.Context, alias, where string) error {
		w := WorldFrom(ctx)
		r, err := w.readAsManagement(alias)
		if err != nil {
			return err
		}
		if r.Status != http.StatusOK {
			return Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "the record of %q is no longer kept", alias)
		}
		if err := w.ExpectField("/status", "ACTIVE"); err != nil {
			return err
		}
		return w.ExpectField("/whereabouts", where)
	})
	define(sc, `^a practitioner of council (\d{3}) sees "([^"]+)" on the target as shielded, without its address$`, func(ctx context.Context, council, alias string) error {
		w := WorldFrom(ctx)
		actor, err := w.AddActor("", "PRACTITIONER", "HEALTH", council, "")
		if err != nil {
			return err
		}
		r, err := w.ReadChild(actor, alias, "")
		if err != nil {
			return err
		}
		if r.Status != http.StatusOK {
			return Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "a practitioner could not read %q", alias)
		}
		if err := w.ExpectField("/shielding/shielded", true); err != nil {
			return err
		}
		return w.ExpectNoField("/address")
	})
}

func registerTransferDeliveries(sc glossary) {
	deliver := func(ctx context.Context, alias, to string, must bool) error {
		w := WorldFrom(ctx)
		if to == "" {
			to = "202"
		}
		r, err := w.deliverPackage(alias, to)
		if err != nil || !must {
			return err
		}
		return expectAnswer(r, http.StatusCreated, "deliver a transfer package to the target")
	}
	define(sc, `^the peer system has delivered a transfer package of a new child "([^"]+)" to the target$`, func(ctx context.Context, alias string) error {
		return deliver(ctx, alias, "", true)
	})
	define(sc, `^the peer system delivers a transfer package of a new child "([^"]+)" to the target(?: for council (\d{3}))?$`, func(ctx context.Context, alias, to string) error {
		return deliver(ctx, alias, to, false)
	})
	define(sc, `^the peer system delivers the same package again$`, func(ctx context.Context) error {
		return WorldFrom(ctx).redeliver(false)
	})
	define(sc, `^the peer system delivers a different package under the same transfer id$`, func(ctx context.Context) error {
		return WorldFrom(ctx).redeliver(true)
	})
	define(sc, `^the target holds the transfer of "([^"]+)" once, PROPOSED and INBOUND$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		tc, err := w.transferCase(alias)
		if err != nil {
			return err
		}
		r, err := w.readTransfer(tc, onTarget)
		if err != nil {
			return err
		}
		if r.Status != http.StatusOK {
			return Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "the target does not hold the delivered transfer")
		}
		for ptr, want := range map[string]any{"/id": tc.id, "/state": "PROPOSED", "/direction": "INBOUND"} {
			if err := w.ExpectField(ptr, want); err != nil {
				return err
			}
		}
		return nil
	})
}

// expectReceived waits until the child's latest transfer is PROPOSED on system (the receiver)
// and checks that it is INBOUND from the sender's council to the receiver's.
func (w *World) expectReceived(alias, system string) error {
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	if _, err := w.awaitTransfer(alias, system, "PROPOSED"); err != nil {
		return w.blameDelivery(tc, err)
	}
	if err := w.ExpectField("/direction", "INBOUND"); err != nil {
		return err
	}
	if err := w.ExpectField("/childId", tc.childID); err != nil {
		return err
	}
	return w.ExpectField("/toLa/dfeCode", tc.to)
}

// expectOneTransfer checks that at least two answers were sent and all are 2xx naming one
// transfer (XFER-003).
func (w *World) expectOneTransfer(what string, answers func(*transferCase) []*Response) error {
	tc, err := w.lastCase()
	if err != nil {
		return err
	}
	rs := answers(tc)
	if len(rs) < 2 {
		return Configf("fewer than two %s were sent", what)
	}
	var first any
	for i, r := range rs {
		id, ok := r.At("/id")
		if r.Status < 200 || r.Status > 299 || !ok {
			return &AssertionError{
				Message: fmt.Sprintf("a repeated submission with the same Idempotency-Key was not answered as the first (%s %d of %d)", what, i+1, len(rs)),
				Pointer: "status", Expected: "2xx naming the transfer", Actual: fmt.Sprintf("%d%s", r.Status, problemHint(r)),
				Evidence: rs,
			}
		}
		if i == 0 {
			first = id
			continue
		}
		if id != first {
			return &AssertionError{
				Message: fmt.Sprintf("repeated %s with the same Idempotency-Key made another transfer", what),
				Pointer: "/id", Expected: fmt.Sprint(first), Actual: fmt.Sprint(id), Evidence: rs,
			}
		}
	}
	return nil
}

// lastCase returns the transfer case a step about "both …" refers to: the latest one.
func (w *World) lastCase() (*transferCase, error) {
	if w.transfers.last == nil {
		return nil, Configf("no transfer yet in this scenario")
	}
	return w.transfers.last, nil
}

// patchRecord reads the child as the management of council for its ETag, then PATCHes body
// with If-Match. invalid marks a body the scenario breaks on purpose.
func (w *World) patchRecord(alias, council string, body map[string]any, invalid bool) (*Response, error) {
	c, err := w.Child(alias)
	if err != nil {
		return nil, err
	}
	mgmt := w.systemActor(council)
	r, err := w.ReadChild(mgmt, alias, "")
	if err != nil {
		return nil, err
	}
	if err := expectAnswer(r, http.StatusOK, "read the record for its ETag"); err != nil {
		return nil, err
	}
	return w.Send(Request{
		Method: "PATCH", Path: "/v1/children/" + c.ID, Body: body, As: mgmt, Invalid: invalid,
		Header: http.Header{"If-Match": {r.Header.Get("ETag")}},
	})
}

// peerSystemActor is the harness acting as the peer system: role SYSTEM for the peer's council.
func (w *World) peerSystemActor() (*Actor, error) {
	p, err := w.peer()
	if err != nil {
		return nil, err
	}
	const key = "\x00peer-system"
	if a, ok := w.actors[key]; ok {
		return a, nil
	}
	a := &Actor{Role: "SYSTEM", Sector: "LA", Council: p.Council, Org: "icscert-peer-system", Sub: "system:icscert-peer-" + w.tag}
	w.actors[key] = a
	return a, nil
}

// deliverPackage builds a transfer package of a new synthetic child from the peer's council to
// council to and delivers it to the target as the peer system, with the transfer id as its
// Idempotency-Key.
func (w *World) deliverPackage(alias, to string) (*Response, error) {
	sys, err := w.peerSystemActor()
	if err != nil {
		return nil, err
	}
	if _, dup := w.transfers.cases[alias]; dup {
		return nil, Configf("child %q is introduced twice", alias)
	}
	body, err := w.ChildBody([]fixtures.ChildOption{fixtures.WithCouncil(sys.Council)})
	if err != nil {
		return nil, err
	}
	rec, err := bodyObject(body)
	if err != nil {
		return nil, err
	}
	childID, transferID := w.nextID("c"), w.nextID("t")
	rec["id"], rec["version"], rec["status"] = childID, 1, "ACTIVE"
	rec["responsibleLa"] = map[string]any{"dfeCode": sys.Council}
	pkg := map[string]any{
		"transferId": transferID, "childId": childID,
		"fromLa": map[string]any{"dfeCode": sys.Council}, "toLa": map[string]any{"dfeCode": to},
		"reason": "CHANGE_OF_ADDRESS", "proposedAt": w.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"record": rec, "involvements": []any{}, "indicators": []any{}, "consents": []any{},
		"shielding": map[string]any{"shielded": false}, "caseSummaryRefs": []any{},
	}
	tc := &transferCase{alias: alias, childID: childID, home: "the harness", council: sys.Council, id: transferID, to: to, pkg: pkg}
	w.transfers.cases[alias] = tc
	w.transfers.last = tc
	w.Remember("child", alias, childID)
	return w.sendPackage(tc, pkg, transferID)
}

// sendPackage delivers pkg for tc to the target as the peer system with Idempotency-Key key.
func (w *World) sendPackage(tc *transferCase, pkg map[string]any, key string) (*Response, error) {
	sys, err := w.peerSystemActor()
	if err != nil {
		return nil, err
	}
	r, err := w.Send(Request{
		Method: "POST", Path: "/v1/inbound/transfers", Body: pkg, As: sys,
		Header: http.Header{"Idempotency-Key": {key}},
	})
	if err != nil {
		return nil, err
	}
	tc.deliveries = append(tc.deliveries, r)
	return r, nil
}

// redeliver delivers the last package again with the same Idempotency-Key, or with changed a
// different package under the same transfer id (and another key, so that the transfer id is
// what the target must recognise).
func (w *World) redeliver(changed bool) error {
	tc, err := w.lastCase()
	if err != nil {
		return err
	}
	if tc.pkg == nil {
		return Configf("no package was delivered by the harness in this scenario")
	}
	pkg, key := tc.pkg, tc.id
	if changed {
		key = w.nextID("changed")
		pkg = map[string]any{}
		for k, v := range tc.pkg {
			pkg[k] = v
		}
		pkg["reason"] = "PLACED_OUT_OF_AREA"
		tc.deliveries = tc.deliveries[:0:0]
	}
	_, err = w.sendPackage(tc, pkg, key)
	return err
}
