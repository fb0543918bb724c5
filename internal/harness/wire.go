package harness

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/icscert/icscert/internal/capture"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// This file puts the neutral capture proxies between the target and the peer (issue 7): one
// in front of each, named in the directory for that system's councils, so that every package
// and outcome one system sends the other passes one. Neither system owns them; the steps read
// what they saw (steps.Wire) to charge a failed transfer to the side at fault, and arm their
// faults to prove an exactly-once outcome.

// faultDelay is how long an injected delay holds a delivery: long enough that a sender with a
// short timeout gives up and retries, short enough to keep scenarios quick.
const faultDelay = 2 * time.Second

// wire is the two proxies of a run and their servers. It implements steps.Wire.
type wire struct {
	toTarget, toPeer *capture.Proxy
	targetURL        string // the system behind toTarget, for evidence
	peerURL          string
	closers          []func()
}

var _ steps.Wire = (*wire)(nil)

// startWire starts a proxy in front of each system, listening beside the national services
// (same host, a free port) and advertised under the host they are advertised at. Close it
// with close.
func startWire(nat *national, contract *spec.Contract, red *steps.Redactor, targetURL, peerURL string) (*wire, map[string]string, error) {
	w := &wire{targetURL: targetURL, peerURL: peerURL}
	urls := map[string]string{}
	for _, side := range []struct {
		name, upstream string
		into           **capture.Proxy
	}{{"target", targetURL, &w.toTarget}, {"peer", peerURL, &w.toPeer}} {
		p, err := capture.New(side.upstream, capture.Options{Name: side.name, Contract: contract, Redactor: red})
		if err != nil {
			w.close()
			return nil, nil, fmt.Errorf("capture proxy: %w", err)
		}
		host, _, err := net.SplitHostPort(nat.listener.Addr().String())
		if err != nil {
			w.close()
			return nil, nil, fmt.Errorf("capture proxy: %w", err)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			w.close()
			return nil, nil, fmt.Errorf("capture proxy: %w", err)
		}
		srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln) //nolint:errcheck // ends with http.ErrServerClosed on close
		w.closers = append(w.closers, func() { _ = srv.Close() })
		*side.into = p
		adv, err := url.Parse(nat.advertise)
		if err != nil {
			w.close()
			return nil, nil, fmt.Errorf("capture proxy: advertise URL: %w", err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		adv.Host = net.JoinHostPort(adv.Hostname(), port)
		adv.Path = ""
		urls[side.name] = adv.String()
	}
	return w, urls, nil
}

func (w *wire) close() {
	for _, c := range w.closers {
		c()
	}
}

func (w *wire) proxy(peer bool) (*capture.Proxy, string) {
	if peer {
		return w.toPeer, w.peerURL
	}
	return w.toTarget, w.targetURL
}

// Exchanges implements steps.Wire.
func (w *wire) Exchanges(peer bool, transferID string) []steps.WireExchange {
	p, base := w.proxy(peer)
	exs, findings := p.About(transferID)
	out := make([]steps.WireExchange, 0, len(exs))
	for _, e := range exs {
		we := steps.WireExchange{
			Operation: e.Operation, Attempt: e.Attempt, Forwarded: e.Forwarded,
			Status: e.Status, UpstreamStatus: e.UpstreamStatus, Fault: string(e.Fault),
			Evidence: reports.Exchange{
				Operation: e.Operation, Method: e.Method, URL: base + e.Path,
				RequestHeaders: e.RequestHeaders, RequestBody: e.RequestBody,
				Status: e.Status, ResponseHeaders: e.ResponseHeaders, ResponseBody: e.ResponseBody,
				DurationMs: e.Duration.Milliseconds(), Error: e.Error,
			},
		}
		if e.Fault != "" {
			we.Evidence.Error = joinNonEmpty(we.Evidence.Error, "injected fault: "+string(e.Fault))
		}
		for _, f := range findings {
			if f.Exchange != e.Seq {
				continue
			}
			if f.Side == "SENDER" {
				we.SenderBroke = append(we.SenderBroke, f.Requirement)
			} else {
				we.ReceiverBroke = append(we.ReceiverBroke, f.Requirement)
			}
			we.Evidence.Violations = append(we.Evidence.Violations, fmt.Sprintf("%s (%s, %s): %s", f.Requirement, f.Side, f.Pointer, f.Message))
		}
		out = append(out, we)
	}
	return out
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Package implements steps.Wire.
func (w *wire) Package(peer bool, transferID string) ([]byte, bool) {
	p, _ := w.proxy(peer)
	return p.Package(transferID)
}

// Inject implements steps.Wire: the fault applies to the next package delivery (POST
// /v1/inbound/transfers) to the system whose body contains match[0]. A reorder holds it
// (hanging up on the sender, capture.Fault.Detach) until the next delivery whose body
// contains any of match has been forwarded (capture.Fault.Overtakers), for at most
// capture.DefaultHold.
func (w *wire) Inject(peer bool, kind string, match ...string) error {
	if len(match) == 0 || match[0] == "" {
		return fmt.Errorf("inject %s: nothing names the delivery", kind)
	}
	p, _ := w.proxy(peer)
	f := capture.Fault{
		Kind: capture.FaultKind(kind), Method: http.MethodPost, Path: "/v1/inbound/transfers",
		Contains: match[0], Times: 1, Delay: faultDelay,
	}
	if f.Kind == capture.Reorder {
		f.Overtakers, f.Delay, f.Detach = match, 0, true
	}
	return p.Inject(f)
}
