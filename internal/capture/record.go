package capture

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/icscert/icscert/internal/fidelity"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// Operations of the peer-to-peer exchanges, as the contract names them.
const (
	opDeliver = "deliverInboundTransfer"
	opOutcome = "reportInboundOutcome"
)

// Unattributed is the Requirement of a finding no rule charges to a requirement.
const Unattributed = "UNATTRIBUTED"

// Requirement returns the requirement a violation v of an exchange of operation op, answered
// with status, is charged to. First match wins:
//
//  1. a response violation on an error answer (status >= 400): ERR-001, as the harness's
//     "problem" fallback rule (steps.FallbackRules) charges it;
//  2. the Idempotency-Key header of a request: XFER-003;
//  3. the peer-to-peer operations: a TransferPackage that breaks its schema is XFER-004 (the
//     package must carry everything, in the contract's shapes), the receiver's answer to a
//     delivery XFER-003 (a delivery, and its repeats, return the one transfer), and either
//     side of an outcome XFER-002 (responsibility moves only on a valid outcome);
//  4. the operation's own x-requirement in the contract;
//  5. else Unattributed.
func Requirement(contract *spec.Contract, op string, v spec.Violation, status int) string {
	switch {
	case v.Where == spec.WhereResponse && status >= 400:
		for _, r := range steps.FallbackRules {
			if r.Name == "problem" {
				return r.Requirement
			}
		}
	case v.Where == spec.WhereRequest && strings.EqualFold(v.Pointer, "header:Idempotency-Key"):
		return "XFER-003"
	}
	switch {
	case op == opDeliver && v.Where == spec.WhereRequest:
		return fidelity.RequirementLossless
	case op == opDeliver:
		return "XFER-003"
	case op == opOutcome:
		return "XFER-002"
	}
	if contract != nil && contract.Doc != nil && op != "" {
		for _, item := range contract.Doc.Paths.Map() {
			for _, o := range item.Operations() {
				if o.OperationID == op {
					if id, ok := o.Extensions[steps.ExtRequirement].(string); ok && id != "" {
						return id
					}
				}
			}
		}
	}
	return Unattributed
}

// finish records c: its evidence, its contract check and the promises kept across attempts.
func (p *Proxy) finish(c *call, start time.Time) {
	c.ex.Duration = time.Since(start)
	if c.status != 0 {
		c.ex.Status = c.status
	}
	c.ex.RequestHeaders = p.red.Headers(c.req.Header)
	c.ex.RequestBody = p.evidence(c.req.Header.Get("Content-Type"), c.body)
	var first *upstreamAnswer
	if len(c.results) > 0 {
		first = &c.results[0]
		if first.err == nil {
			c.ex.UpstreamStatus = first.status
			c.ex.ResponseHeaders = p.red.Headers(first.header)
			c.ex.ResponseBody = p.evidence(first.header.Get("Content-Type"), first.body)
		}
	}
	findings := p.check(c)
	c.ex.TransferID = transferOf(c.ex.Operation, c.req.URL.Path, c.body)
	hash := sha256.Sum256(c.body)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	c.ex.Seq = p.seq
	if k := p.keys[c.ex.IdempotencyKey]; k != nil && c.ex.IdempotencyKey != "" {
		findings = append(findings, p.idempotency(c, k, hash)...)
	}
	for _, f := range findings {
		f.Exchange = c.ex.Seq
		if len(p.findings) >= p.opts.MaxFindings {
			p.findingsCut++
			continue
		}
		p.findings = append(p.findings, f)
	}
	if len(p.exchanges) >= p.opts.MaxRecords {
		p.notKept++
		return
	}
	p.exchanges = append(p.exchanges, c.ex)
}

// evidence redacts a body and bounds it to MaxBody.
func (p *Proxy) evidence(contentType string, body []byte) string {
	return steps.Clip(p.red.Body(contentType, body), p.opts.MaxBody)
}

// check validates the request once and each upstream answer, and charges each violation.
func (p *Proxy) check(c *call) []Finding {
	var out []Finding
	add := func(v spec.Violation, status int, op string) {
		side, system := fidelity.Receiver, p.opts.Name
		if v.Where == spec.WhereRequest {
			side, system = fidelity.Sender, c.ex.From
		}
		out = append(out, Finding{
			Requirement: Requirement(p.opts.Contract, op, v, status), Side: side, System: system, Operation: op,
			Pointer: v.Pointer, Expected: v.Expected, Actual: p.red.Value(v.Pointer, v.Actual),
			Message: p.red.Text(steps.ClipError(v.Message)),
		})
	}
	checked := false
	for _, a := range c.results {
		if a.err != nil {
			continue
		}
		res := p.opts.Contract.Check(c.req, c.body, a.status, a.header, a.body)
		c.ex.Operation = res.Operation
		for _, v := range res.Violations {
			if v.Where == spec.WhereRequest && checked {
				continue
			}
			add(v, a.status, res.Operation)
		}
		checked = true
	}
	if !checked {
		// No answer came: the request is still the sender's to answer for.
		res := p.opts.Contract.Check(c.req, c.body, http.StatusOK, nil, nil)
		c.ex.Operation = res.Operation
		for _, v := range res.RequestViolations() {
			add(v, 0, res.Operation)
		}
	}
	return out
}

// idempotency checks the promises of XFER-003 across the attempts of one key: the sender
// repeats the same body under a key, and a receiver that once accepted a delivery accepts its
// repeats (429 and 503 excepted: overload may be answered at any time, ERR-004). Called with
// p.mu held.
func (p *Proxy) idempotency(c *call, k *keyState, hash [sha256.Size]byte) []Finding {
	var out []Finding
	if k.body == ([sha256.Size]byte{}) {
		k.body = hash
	} else if k.body != hash {
		out = append(out, Finding{
			Requirement: "XFER-003", Side: fidelity.Sender, System: c.ex.From, Operation: c.ex.Operation,
			Pointer: "header:Idempotency-Key", Message: "the Idempotency-Key was reused for a different body",
		})
		return out
	}
	for _, a := range c.results {
		switch {
		case a.err != nil:
		case a.status >= 200 && a.status < 300:
			id := answerID(a.body)
			if k.okStatus == 0 {
				k.okStatus, k.okID = a.status, id
				continue
			}
			if id != k.okID {
				out = append(out, Finding{
					Requirement: "XFER-003", Side: fidelity.Receiver, System: p.opts.Name, Operation: c.ex.Operation,
					Pointer: "/id", Expected: steps.Clip(k.okID, maxIDBytes), Actual: steps.Clip(id, maxIDBytes),
					Message: "a repeated delivery under the same Idempotency-Key was answered with another transfer: it was taken in twice",
				})
			}
		case k.okStatus != 0 && a.status != http.StatusTooManyRequests && a.status != http.StatusServiceUnavailable:
			out = append(out, Finding{
				Requirement: "XFER-003", Side: fidelity.Receiver, System: p.opts.Name, Operation: c.ex.Operation,
				Pointer: "", Expected: fmt.Sprint(k.okStatus), Actual: fmt.Sprint(a.status),
				Message: "a repeated delivery under the same Idempotency-Key was refused after an earlier one was accepted",
			})
		}
	}
	return out
}

// keepPackage keeps the package body by its transferId, bounded by MaxRecords packages.
// Called with p.mu held.
func (p *Proxy) keepPackage(body []byte) {
	var head struct {
		TransferID string `json:"transferId"`
	}
	if json.Unmarshal(body, &head) != nil || head.TransferID == "" {
		return
	}
	if _, ok := p.packages[head.TransferID]; !ok && len(p.packages) >= p.opts.MaxRecords {
		return
	}
	p.packages[head.TransferID] = bytes.Clone(body)
}

// answerID returns the id an answer names (a Transfer's "id"), "" if none.
func answerID(body []byte) string {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &head) != nil {
		return ""
	}
	return head.ID
}

// transferOf returns the transfer an exchange of operation op is about: the transferId of a
// delivered package, the {id} of an outcome's path; "" otherwise.
func transferOf(op, urlPath string, body []byte) string {
	switch op {
	case opDeliver:
		var head struct {
			TransferID string `json:"transferId"`
		}
		if json.Unmarshal(body, &head) == nil {
			return steps.Clip(head.TransferID, maxIDBytes)
		}
	case opOutcome:
		id, ok := strings.CutPrefix(urlPath, "/v1/inbound/transfers/")
		if id, ok2 := strings.CutSuffix(id, "/outcome"); ok && ok2 && !strings.Contains(id, "/") {
			return steps.Clip(id, maxIDBytes)
		}
	}
	return ""
}

// maxIDBytes bounds a transfer id kept from what a system sent.
const maxIDBytes = 128

func sortBySeq(ex []Exchange) {
	sort.Slice(ex, func(i, j int) bool { return ex[i].Seq < ex[j].Seq })
}
