package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/steps"
)

// This file holds what a run puts beside the target so that transfers can be certified in
// both directions (issue 7): the national directory and identity service the harness serves,
// and a peer system, the in-process reference unless Config.Peer names another.

// tagPeer marks a scenario that needs the peer system; the peer is started only when such a
// scenario runs.
const tagPeer = "@peer"

// suiteCouncil is the council the suite's scenarios act for on the target ("council 202"); it
// is always listed in the directory as served by the target.
const suiteCouncil = "202"

// reservedCouncils are the councils the suite's scenarios name for the target itself; the
// peer's council is never one of them.
var reservedCouncils = []string{"201", "202", "203", "909", "942", "943"}

// Client ids of the two systems of a run at the identity service.
const (
	targetClientID = "target"
	peerClientID   = "peer"
)

// national is the run's national services: the token issuer (JWKS), the directory and the
// token endpoint, served on one loopback listener.
type national struct {
	issuer    *fixtures.Issuer
	directory *directory.Service
	listener  net.Listener
	// advertise is the base URL at which started systems reach the listener.
	advertise string
}

// serveNational creates the run's token issuer and directory service and serves them on
// cfg.Listen: the JWKS and discovery document at their well-known paths, the directory at
// directory.CouncilsPath and the token endpoint at directory.TokenPath. The caller closes the
// listener, which stops the server.
func (r *runner) serveNational(audience, advertise string) (*national, error) {
	addr := r.cfg.Listen
	if addr == "" {
		addr = DefaultListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve token issuer: %w", err)
	}
	self := "http://" + ln.Addr().String()
	issuer, err := fixtures.NewIssuer(self)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("serve token issuer: %w", err)
	}
	dir := directory.New(issuer, audience, r.now)
	mux := http.NewServeMux()
	mux.Handle("/", issuer.Handler())
	mux.Handle("/directory/", dir.Handler())
	mux.Handle(directory.TokenPath, dir.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with net.ErrClosed when the caller closes ln
	if advertise == "" {
		advertise = self
	}
	return &national{issuer: issuer, directory: dir, listener: ln, advertise: strings.TrimRight(advertise, "/")}, nil
}

// settings registers a system with the identity service and returns the exchange settings it
// is started with: a fresh secret unless secret is given, and councils as its own.
func (n *national) settings(clientID, secret string, councils []string) (directory.Settings, error) {
	if secret == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return directory.Settings{}, fmt.Errorf("make client secret: %w", err)
		}
		secret = hex.EncodeToString(b)
	}
	n.directory.Register(directory.System{ID: clientID, Secret: secret, Council: councils[0]})
	return directory.Settings{
		DirectoryURL: n.advertise + "/directory/v1",
		TokenURL:     n.advertise + directory.TokenPath,
		ClientID:     clientID,
		ClientSecret: secret,
		Councils:     slices.Clone(councils),
	}, nil
}

// targetCouncils are the councils the directory names the target for: those of its target
// file and suiteCouncil.
func targetCouncils(t *Target) []string {
	out := []string{suiteCouncil}
	for _, c := range t.Councils {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// peerCouncil chooses the peer's council: the first live council, by DfE code, that is
// neither one of the target's nor one the suite names for the target.
func peerCouncil(target []string) (string, error) {
	live := ident.Councils().Live()
	codes := make([]string, 0, len(live))
	for _, c := range live {
		codes = append(codes, c.DfeCode)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if !slices.Contains(target, c) && !slices.Contains(reservedCouncils, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("choose the peer's council: every live council is the target's")
}

// DefaultPeer returns the peer a run puts beside the target unless Config.Peer names another:
// the reference implementation, in process, on an in-memory SQLite store, trusting the run's
// issuer and exchanging through its directory.
func DefaultPeer() *Target {
	return &Target{
		Name: "peer (reference)", Vendor: "icscert", Product: "reference implementation", Version: "dev",
		Starter: StartFunc(func(_ context.Context, trust Trust) (string, func(), error) {
			st, err := sqlite.Open(sqlite.Memory)
			if err != nil {
				return "", nil, fmt.Errorf("start peer: %w", err)
			}
			srv, err := reference.New(reference.Options{
				Store: st, Keys: reference.JWKSFromBytes(trust.JWKS), Audience: trust.Audience,
				Exchange: trust.Exchange.Options(nil),
			})
			if err != nil {
				_ = st.Close()
				return "", nil, fmt.Errorf("start peer: %w", err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				_ = srv.Close()
				return "", nil, fmt.Errorf("start peer: %w", err)
			}
			hs := reference.NewHTTPServer(srv.Handler(), nil)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = hs.Serve(reference.Listener(ln))
			}()
			return "http://" + ln.Addr().String(), func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = hs.Shutdown(ctx)
				<-done
				_ = srv.Close()
			}, nil
		}),
	}
}

// peer is the started peer system of a run.
type peer struct {
	baseURL string
	council string
}

// startPeer starts the peer beside the target (whose councils are given) and returns it with
// a stop function to call once. The directory entries are left to the caller.
func (r *runner) startPeer(ctx context.Context, nat *national, trust Trust, target []string) (*peer, func(), error) {
	t := r.cfg.Peer
	if t == nil {
		t = DefaultPeer()
	} else if err := t.Validate(); err != nil {
		return nil, nil, fmt.Errorf("peer: %w", err)
	}
	council, err := peerCouncil(target)
	if err != nil {
		return nil, nil, err
	}
	if len(t.Councils) > 0 {
		council = t.Councils[0]
		if slices.Contains(target, council) {
			return nil, nil, fmt.Errorf("peer: council %s is also the target's", council)
		}
	}
	trust.Exchange, err = nat.settings(peerClientID, t.Exchange.ClientSecret, []string{council})
	if err != nil {
		return nil, nil, err
	}
	baseURL, stop, err := t.Start(ctx, trust)
	if err != nil {
		return nil, nil, fmt.Errorf("peer: %w", err)
	}
	return &peer{baseURL: baseURL, council: council}, stop, nil
}

// needsPeer reports whether any scenario that will run needs the peer system.
func needsPeer(in *loaded, sel selection) bool {
	for _, sc := range in.suite.scenarios {
		if sel.verdicts[sc.ID] == "" && slices.Contains(sc.Tags, tagPeer) {
			return true
		}
	}
	return false
}

// stepsPeer is the peer as the steps see it; nil when no peer was started.
func (s *system) stepsPeer() *steps.Peer {
	if s.peer == nil {
		return nil
	}
	return &steps.Peer{BaseURL: s.peer.baseURL, Council: s.peer.council, Wire: s.wire}
}
