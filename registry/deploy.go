package registry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
)

// Answer is the registry's answer to "may PRODUCT VERSION be deployed (at COUNCIL)?".
type Answer struct {
	Product     string   `json:"product"`
	Version     string   `json:"version"`
	Council     string   `json:"council,omitempty"`
	Deployable  bool     `json:"deployable"`
	Certificate int64    `json:"certificate,omitempty"`
	Reasons     []Reason `json:"reasons"`
	// Unpaired names the deployed product versions with no pair result yet, in either
	// direction; they do not block deployment.
	Unpaired []string `json:"unpaired"`
}

// Reason is one reason the answer is no.
type Reason struct {
	Code         string   `json:"code"`
	Message      string   `json:"message"`
	Requirements []string `json:"requirements,omitempty"`
	Councils     []string `json:"councils,omitempty"`
}

// Decide answers can-i-deploy for product at version:
//   - the latest accepted submission (certified or not-conformant) for that version stands;
//     it must be conformant, unexpired and earned against the current suite;
//   - for every product version currently deployed at a council (the latest declaration per
//     council and product, not withdrawn), the latest pair result in each direction, where one
//     exists, must pass. With council set, that council's own deployment of the same product is
//     the one being replaced, so it is not a peer.
//
// Every failed condition is a Reason naming the requirements and the councils concerned.
func (s *Server) Decide(ctx context.Context, product, version, council string) (*Answer, error) {
	ans := &Answer{Product: product, Version: version, Council: council, Reasons: []Reason{}, Unpaired: []string{}}
	subs, err := s.st.Submissions(ctx, product, version)
	if err != nil {
		return nil, err
	}
	cert := latestAccepted(subs)
	if cert != nil {
		ans.Certificate = cert.ID
	}
	ans.Reasons = append(ans.Reasons, s.certificateReasons(cert, product, version, s.now())...)
	peers, err := s.peers(ctx, product, council)
	if err != nil {
		return nil, err
	}
	pairs, err := s.st.Pairs(ctx)
	if err != nil {
		return nil, err
	}
	latest := map[string]store.Pair{}
	for _, p := range pairs {
		latest[p.SenderProduct+"@"+p.SenderVersion+">"+p.ReceiverProduct+"@"+p.ReceiverVersion] = p
	}
	self := product + "@" + version
	for _, peer := range sortedKeys(peers) {
		councils := peers[peer]
		paired := false
		for _, dir := range [][2]string{{self, peer}, {peer, self}} {
			p, ok := latest[dir[0]+">"+dir[1]]
			if !ok {
				continue
			}
			paired = true
			if p.Verdict == "PASS" {
				continue
			}
			fault := ""
			if p.AtFault != "" {
				fault = " (at fault: " + p.AtFault + ")"
			}
			ans.Reasons = append(ans.Reasons, Reason{
				Code: "PAIR_FAILED", Requirements: p.FailedRequirements, Councils: councils,
				Message: fmt.Sprintf("%s -> %s fails %s%s; %s is deployed at councils %s",
					dir[0], dir[1], strings.Join(p.FailedRequirements, ", "), fault, peer, strings.Join(councils, ", ")),
			})
		}
		if !paired {
			ans.Unpaired = append(ans.Unpaired, peer)
		}
	}
	ans.Deployable = len(ans.Reasons) == 0
	return ans, nil
}

// latestAccepted returns the latest submission of subs (oldest first) that was not rejected,
// or nil: the certificate that stands for its version.
func latestAccepted(subs []store.Submission) *store.Submission {
	for i := len(subs) - 1; i >= 0; i-- {
		if subs[i].Status != "rejected" {
			return &subs[i]
		}
	}
	return nil
}

// certificateReasons lists why cert (nil: none) does not make product at version deployable at
// time at: none, not conformant (or INCOMPLETE), expired, or earned against another suite than
// the current one.
func (s *Server) certificateReasons(cert *store.Submission, product, version string, at time.Time) []Reason {
	if cert == nil {
		return []Reason{{Code: "NO_CERTIFICATE", Message: fmt.Sprintf("%s %s holds no accepted certificate", product, version)}}
	}
	var out []Reason
	switch {
	case cert.Status == "certified":
	case cert.Verdict == string(reports.Incomplete):
		out = append(out, Reason{
			Code:    "INCOMPLETE",
			Message: fmt.Sprintf("certificate %d of %s %s is INCOMPLETE: MUST requirements were not tested (its report lists them)", cert.ID, product, version),
		})
	default:
		out = append(out, Reason{
			Code: "NOT_CONFORMANT", Requirements: cert.FailedRequirements,
			Message: fmt.Sprintf("certificate %d of %s %s is %s: failed %s", cert.ID, product, version, cert.Verdict, strings.Join(cert.FailedRequirements, ", ")),
		})
	}
	if !at.Before(cert.Expires) {
		out = append(out, Reason{Code: "EXPIRED", Message: fmt.Sprintf("certificate %d expired at %s", cert.ID, cert.Expires.Format("2006-01-02"))})
	}
	if cert.SuiteDigest != s.suite.Digest {
		out = append(out, Reason{Code: "SUITE_NOT_CURRENT", Message: fmt.Sprintf("certificate %d was earned against suite %s, not the current %s", cert.ID, cert.SuiteDigest, s.suite.Digest)})
	}
	return out
}

// peers maps each product version deployed now ("PRODUCT@VERSION") to the councils running
// it, leaving out council's own deployment of product.
func (s *Server) peers(ctx context.Context, product, council string) (map[string][]string, error) {
	deps, err := s.st.Deployments(ctx)
	if err != nil {
		return nil, err
	}
	current := map[[2]string]store.Deployment{}
	for _, d := range deps {
		current[[2]string{d.Council, d.Product}] = d
	}
	out := map[string][]string{}
	for k, d := range current {
		if d.Withdrawn || (council != "" && k[0] == council && k[1] == product) {
			continue
		}
		key := d.Product + "@" + d.Version
		out[key] = append(out[key], d.Council)
	}
	for _, cs := range out {
		slices.Sort(cs)
	}
	return out, nil
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
