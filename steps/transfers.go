package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

// This file holds the steps of transfers between councils (XFER-*). A run puts a peer system
// beside the target (Options.Peer); the steps act on either through World.Send (Request.Peer),
// and wait for a transfer's state by reading it on a system until it changes (awaitTransfer),
// because the harness sees only HTTP. The harness may also act as the peer system itself and
// deliver packages to the target with a SYSTEM token (XFER-003, XFER-005).

// Systems a transfer step names.
const (
	onTarget = "the target"
	onPeer   = "the peer"
)

// TransferWait bounds how long a step waits for a transfer to reach a state on one system.
const TransferWait = 60 * time.Second

// transferPoll is the first interval between two reads of a transfer; it doubles up to
// transferPollMax. A system usually moves a transfer on within milliseconds, so the first reads
// come soon; the doubling bounds the reads of a slow one (at most about 70 in TransferWait).
const (
	transferPoll    = 25 * time.Millisecond
	transferPollMax = time.Second
)

// transferState is what the transfer steps remember in one scenario.
type transferState struct {
	cases map[string]*transferCase // by child alias
	last  *transferCase            // the case of the latest transfer step
	seq   int                      // ids and keys made so far
}

// transferCase is one child's transfers in the scenario.
type transferCase struct {
	alias   string
	childID string
	// home says where the child was created: onTarget or onPeer.
	home string
	// council is the council responsible for the child when it was created.
	council string
	// consents are the ids of the consents recorded on the child.
	consents []string
	// origin is what the responsible council's management saw of the child before any
	// transfer; nil unless the child was set up with everything a transfer carries.
	origin *holding

	// legs are the child's transfers in this scenario, in the order they were proposed.
	legs []transferLeg

	id        string      // the latest transfer's id
	sender    string      // where it was proposed: onTarget or onPeer
	to        string      // the receiving council of the latest transfer
	key       string      // the Idempotency-Key it was proposed with
	proposals []*Response // every answer to a proposal of the latest transfer with key

	decided     bool   // the receiving council's management decided on the latest transfer
	fault       string // the network fault injected into its delivery, "" for none
	acceptKey   string
	acceptances []*Response

	pkg        map[string]any // the package the harness delivered as the peer system
	deliveries []*Response
}

// transferLeg is one transfer of a child: its id and the system it was proposed on.
type transferLeg struct {
	id, sender string
}

// newTransferState returns the empty state of a scenario.
func newTransferState() *transferState {
	return &transferState{cases: map[string]*transferCase{}}
}

// transferCase returns the transfers of the child alias.
func (w *World) transferCase(alias string) (*transferCase, error) {
	c, ok := w.transfers.cases[alias]
	if !ok {
		child, err := w.Child(alias)
		if err != nil {
			return nil, err
		}
		c = &transferCase{alias: alias, childID: child.ID, home: onTarget, council: child.Council}
		w.transfers.cases[alias] = c
	}
	w.transfers.last = c
	return c, nil
}

// peer returns the run's peer system, or a CONFIG error when it started none.
func (w *World) peer() (*Peer, error) {
	if w.suite.opts.Peer == nil {
		return nil, Configf("the run has no peer system: tag the scenario @peer")
	}
	return w.suite.opts.Peer, nil
}

// councilOf resolves "council NNN" and "the peer's council".
func (w *World) councilOf(phrase string) (string, error) {
	if phrase == "the peer's council" {
		p, err := w.peer()
		if err != nil {
			return "", err
		}
		return p.Council, nil
	}
	return strings.TrimPrefix(phrase, "council "), nil
}

// servedCouncil is the council whose management acts on system (onTarget: 202, the council
// the suite acts for; onPeer: the peer's).
func (w *World) servedCouncil(system string) (string, error) {
	if system == onPeer {
		return w.councilOf("the peer's council")
	}
	return "202", nil
}

// nextID returns a new id for something the harness makes up (transfers and children it
// delivers as the peer system, Idempotency-Keys): unique in the run, valid as an Id.
func (w *World) nextID(kind string) string {
	w.transfers.seq++
	return fmt.Sprintf("%s-icscert-%s-%d", kind, w.tag, w.transfers.seq)
}

// sendTo sends r to system.
func (w *World) sendTo(system string, r Request) (*Response, error) {
	r.Peer = system == onPeer
	return w.Send(r)
}

// expectAnswer fails a set-up request that did not answer want.
func expectAnswer(r *Response, want int, what string) error {
	if r.Status != want {
		return &AssertionError{
			Message: fmt.Sprintf("could not %s to set up the scenario", what), Pointer: "status",
			Expected: strconv.Itoa(want), Actual: fmt.Sprintf("%d%s", r.Status, problemHint(r)),
		}
	}
	return nil
}

// setUpChild creates a child on system for council, as that council's management, and with
// full set it also gives it everything a transfer carries: an involvement, a consented
// sensitive-service involvement, a child protection plan, a CAF, a RETAIN_TO_25 consent and a
// shield; then it takes the origin snapshot.
func (w *World) setUpChild(alias, system, council string, full bool) error {
	if _, dup := w.transfers.cases[alias]; dup {
		return Configf("child %q is introduced twice", alias)
	}
	mgmt := w.systemActor(council)
	var id string
	if system == onTarget {
		c, err := w.CreateChild(alias, council, nil)
		if err != nil {
			return err
		}
		id = c.ID
	} else {
		if _, err := w.peer(); err != nil {
			return err
		}
		body, err := w.ChildBody([]fixtures.ChildOption{fixtures.WithCouncil(council)})
		if err != nil {
			return err
		}
		r, err := w.sendTo(onPeer, Request{Method: "POST", Path: "/v1/children", Body: body, As: mgmt})
		if err != nil {
			return err
		}
		if err := expectAnswer(r, http.StatusCreated, "create the child on the peer"); err != nil {
			return err
		}
		v, _ := r.At("/id")
		id, _ = v.(string)
		w.children[alias] = &Child{Alias: alias, ID: id, Council: council, Sent: body, ETag: r.Header.Get("ETag")}
		w.Remember("child", alias, id)
	}
	tc := &transferCase{alias: alias, childID: id, home: system, council: council}
	w.transfers.cases[alias] = tc
	if !full {
		return nil
	}
	if err := w.giveEverything(tc, system, mgmt); err != nil {
		return err
	}
	h, err := w.holdingOf(tc, system, council)
	if err != nil {
		return err
	}
	tc.origin = h
	return nil
}

// giveEverything adds to the child what a transfer carries (see setUpChild).
func (w *World) giveEverything(tc *transferCase, system string, mgmt *Actor) error {
	day := func(daysAgo int) spec.Date {
		return spec.Date(w.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly))
	}
	base := "/v1/children/" + tc.childID
	post := func(path string, body any, what string) (*Response, error) {
		r, err := w.sendTo(system, Request{Method: "POST", Path: path, Body: body, As: mgmt})
		if err != nil {
			return nil, err
		}
		return r, expectAnswer(r, http.StatusCreated, what)
	}
	idOf := func(r *Response) string {
		v, _ := r.At("/id")
		s, _ := v.(string)
		return s
	}
	gp, err := post(base+"/involvements", w.Gen.Involvement("GP", day(200)), "add an involvement")
	if err != nil {
		return err
	}
	con, err := post(base+"/consents", spec.NewConsent{Scope: "SENSITIVE_SERVICE_DISCLOSURE", GivenBy: "YOUNG_PERSON", GivenOn: day(150)}, "record a consent")
	if err != nil {
		return err
	}
	sens := w.Gen.Involvement("SENSITIVE_MENTAL_HEALTH", day(140), fixtures.WithDisclosureBasis("CONSENT"), fixtures.WithConsentRef(idOf(con)))
	if _, err := post(base+"/involvements", sens, "add a sensitive-service involvement"); err != nil {
		return err
	}
	if _, err := post(base+"/indicators", spec.NewIndicator{Type: "CHILD_PROTECTION_PLAN", StartDate: day(100), Category: "NEG"}, "set a child protection plan"); err != nil {
		return err
	}
	if _, err := post(base+"/indicators", spec.NewIndicator{Type: "CAF_UNDERTAKEN", StartDate: day(90), InvolvementID: idOf(gp)}, "record a CAF"); err != nil {
		return err
	}
	retain, err := post(base+"/consents", spec.NewConsent{Scope: "RETAIN_TO_25", GivenBy: "PARENT_WITH_PR", GivenOn: day(80), RetainToAge: 21}, "record a RETAIN_TO_25 consent")
	if err != nil {
		return err
	}
	tc.consents = []string{idOf(con), idOf(retain)}
	review := spec.Date(w.Now().UTC().AddDate(0, 6, 0).Format(time.DateOnly))
	r, err := w.sendTo(system, Request{Method: "PUT", Path: base + "/shield", Body: spec.ShieldRequest{ReasonCode: "DOMESTIC_ABUSE", ReviewDue: review}, As: mgmt})
	if err != nil {
		return err
	}
	return expectAnswer(r, http.StatusOK, "shield the record")
}

// caseSummaryRefs are the references a proposal names: an opaque pointer to a synthetic
// document.
func (w *World) caseSummaryRefs(tc *transferCase) []spec.CaseSummaryRef {
	sum := sha256.Sum256([]byte(w.scope() + tc.alias))
	return []spec.CaseSummaryRef{{
		Type: "CHILD_IN_NEED_PLAN", Title: "Synthetic child in need plan",
		Date: spec.Date(w.Now().UTC().AddDate(0, 0, -30).Format(time.DateOnly)), Sha256: hex.EncodeToString(sum[:]),
	}}
}

// propose proposes a transfer of the child on system, as the management of fromCouncil, to
// toCouncil, with a new Idempotency-Key (or the last one, with again).
func (w *World) propose(alias, system, fromCouncil, toCouncil string, again, newKey bool) error {
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	if !again {
		tc.decided = false
	}
	if !again || tc.key == "" || newKey {
		tc.key = w.nextID("xfer-key")
		if !again {
			tc.proposals = nil
		}
	}
	tc.to = toCouncil
	body := spec.NewTransfer{
		ChildID: tc.childID, ToLa: spec.LocalAuthorityRef{DfeCode: toCouncil}, Reason: "CHANGE_OF_ADDRESS",
		CaseSummaryRefs: w.caseSummaryRefs(tc),
	}
	r, err := w.sendTo(system, Request{
		Method: "POST", Path: "/v1/transfers", Body: body, As: w.systemActor(fromCouncil),
		Header: http.Header{"Idempotency-Key": {tc.key}},
	})
	if err != nil {
		return err
	}
	if newKey {
		return nil
	}
	tc.proposals = append(tc.proposals, r)
	if r.Status == http.StatusCreated || r.Status == http.StatusOK {
		if v, ok := r.At("/id"); ok {
			tc.id, _ = v.(string)
			tc.sender = system
			if n := len(tc.legs); n == 0 || tc.legs[n-1].id != tc.id {
				tc.legs = append(tc.legs, transferLeg{id: tc.id, sender: system})
			}
		}
	}
	return nil
}

// readTransfer reads the child's latest transfer on system as that system's council's
// management.
func (w *World) readTransfer(tc *transferCase, system string) (*Response, error) {
	if tc.id == "" {
		return nil, Failf("/id", "a transfer id", "none", "no transfer of %q was created", tc.alias)
	}
	council, err := w.servedCouncil(system)
	if err != nil {
		return nil, err
	}
	return w.sendTo(system, Request{Method: "GET", Path: "/v1/transfers/" + tc.id, As: w.systemActor(council)})
}

// awaitTransfer reads the child's latest transfer on system until its state is want (a
// transfer not yet there reads 404), within TransferWait and the scenario's time. On timeout it
// fails naming the last state and delivery seen.
func (w *World) awaitTransfer(alias, system, want string) (*Response, error) {
	tc, err := w.transferCase(alias)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(TransferWait)
	wait := transferPoll
	var last string
	for {
		r, err := w.readTransfer(tc, system)
		if err != nil {
			return nil, err
		}
		if r.Status == http.StatusOK {
			state, _ := r.At("/state")
			if state == want {
				return r, nil
			}
			delivery, _ := r.At("/delivery")
			last = fmt.Sprintf("state %v, delivery %s", state, renderOr(delivery, delivery != nil))
		} else {
			last = fmt.Sprintf("status %d%s", r.Status, problemHint(r))
		}
		if time.Now().Add(wait).After(deadline) {
			return r, Failf("/state", want, last, "the transfer of %q did not become %s on %s within %s", alias, want, system, TransferWait)
		}
		select {
		case <-time.After(wait):
		case <-w.ctx.Done():
			return nil, &TargetError{Op: "wait for the transfer of " + alias, Err: w.stopCause()}
		}
		wait = min(wait*2, transferPollMax)
	}
}

// decide accepts or rejects the child's latest transfer on system as the management of the
// receiving council, with a new Idempotency-Key (or the last one, with again).
func (w *World) decide(alias, system, decision string, again bool) error {
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	council, err := w.servedCouncil(system)
	if err != nil {
		return err
	}
	if !again || tc.acceptKey == "" {
		tc.acceptKey = w.nextID("accept-key")
		tc.acceptances = nil
	}
	body := spec.TransferAcceptance{Decision: decision}
	if decision == "REJECTED" {
		body.RejectionReason = "Synthetic rejection by the icscert suite."
	}
	r, err := w.sendTo(system, Request{
		Method: "POST", Path: "/v1/transfers/" + tc.id + "/acceptance", Body: body, As: w.systemActor(council),
		Header: http.Header{"Idempotency-Key": {tc.acceptKey}},
	})
	if err != nil {
		return err
	}
	tc.acceptances = append(tc.acceptances, r)
	if r.Status != http.StatusOK {
		return w.blameState(alias, system, "", Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "the receiving council's management could not decide on the transfer of %q", alias))
	}
	tc.decided = true
	return nil
}

// expectResponsible reads the child on system as the management of council and fails unless
// the record names council as responsible.
func (w *World) expectResponsible(alias, system, council string) error {
	tc, err := w.transferCase(alias)
	if err != nil {
		return err
	}
	r, err := w.sendTo(system, Request{
		Method: "GET", Path: "/v1/children/" + tc.childID, As: w.systemActor(council), Purpose: defaultPurposes["LA_MANAGEMENT"],
	})
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return Failf("status", "200", fmt.Sprintf("%d%s", r.Status, problemHint(r)), "the management of council %s could not read %q on %s", council, alias, system)
	}
	got, ok := r.At("/responsibleLa/dfeCode")
	if got != council {
		return Failf("/responsibleLa/dfeCode", strconv.Quote(council), renderOr(got, ok), "the record of %q on %s does not name council %s as responsible", alias, system, council)
	}
	return nil
}
