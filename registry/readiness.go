package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/icscert/icscert/internal/forecast"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/registry/store"
)

// Readiness answers the department's question at one moment: which live councils can share
// child records with every other council, which cannot and why, and whether they will all be
// ready by the deadline. Its JSON shape is documented by readiness.schema.json.
type Readiness struct {
	AsOf time.Time `json:"asOf"`
	// Suite is the digest of the current suite certificates must be earned against.
	Suite    string `json:"suite"`
	Total    int    `json:"total"`
	Ready    int    `json:"ready"`
	NotReady int    `json:"notReady"`
	// Councils lists every live council, by DfE code.
	Councils []CouncilReadiness `json:"councils"`
	// Versions lists every product version deployed or submitted, by product and version.
	Versions []VersionStatus `json:"versions"`
	// Matrix has a cell for every ordered pair of distinct product versions deployed now.
	Matrix []MatrixCell `json:"matrix"`
	// Series counts the ready councils weekly, ending at AsOf, from the week of the first
	// record (at most SeriesWeeks points).
	Series []forecast.Point `json:"series"`
	// Forecast projects Series to the deadline; nil when no deadline is configured or there is
	// no history.
	Forecast *forecast.Forecast `json:"forecast"`
}

// CouncilReadiness is one council's readiness.
type CouncilReadiness struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	RegionName string `json:"regionName"`
	Ready      bool   `json:"ready"`
	// Deployment is the council's current deployment: its latest declaration that is not
	// withdrawn (a council runs one case-management system); nil when there is none.
	Deployment *store.Deployment `json:"deployment"`
	// Check is the latest deployment check of that deployment's product version; nil if none.
	Check *store.DeploymentCheck `json:"deploymentCheck"`
	// Certificate is the id of the certificate that stands for the deployed version (0: none).
	Certificate int64 `json:"certificate"`
	// Reasons says why the council is not ready; empty when it is.
	Reasons []Reason `json:"reasons"`
	// FailedRequirements joins the requirements named by every reason, sorted.
	FailedRequirements []string `json:"failedRequirements"`
	// BlockingPeers lists the councils it cannot exchange with (a pair result missing or
	// failing in either direction), sorted.
	BlockingPeers []string `json:"blockingPeers"`

	// Weekly tells, for each point of the Readiness Series, whether the council was ready.
	Weekly []bool `json:"-"`
}

// VersionStatus is one product version: its supplier, the certificate that stands for it and
// the councils running it.
type VersionStatus struct {
	Product     string    `json:"product"`
	Version     string    `json:"version"`
	Supplier    string    `json:"supplier"`
	Certificate int64     `json:"certificate"`
	Status      string    `json:"status"` // certified, not-conformant, rejected or none
	Verdict     string    `json:"verdict"`
	Expires     time.Time `json:"expires,omitzero"`
	Valid       bool      `json:"valid"`
	Reasons     []Reason  `json:"reasons"`
	Councils    []string  `json:"councils"`
}

// MatrixCell is the latest pair result from Sender to Receiver ("PRODUCT@VERSION"); Verdict is
// PASS, FAIL or NONE when no result was recorded.
type MatrixCell struct {
	Sender             string   `json:"sender"`
	Receiver           string   `json:"receiver"`
	Verdict            string   `json:"verdict"`
	FailedRequirements []string `json:"failedRequirements"`
	AtFault            string   `json:"atFault,omitempty"`
}

// Readiness reason codes, beside the certificate's (NO_CERTIFICATE, INCOMPLETE,
// NOT_CONFORMANT, EXPIRED, SUITE_NOT_CURRENT) and PAIR_FAILED.
const (
	ReasonNoDeployment = "NO_DEPLOYMENT"
	ReasonNoCheck      = "NO_DEPLOYMENT_CHECK"
	ReasonCheckFailed  = "DEPLOYMENT_CHECK_FAILED"
	ReasonNotPaired    = "NOT_PAIRED"
	ReasonPairFailed   = "PAIR_FAILED"
)

// SeriesWeeks bounds the weekly series (ten years).
const SeriesWeeks = 520

// forecastWindow is the number of latest weekly points the forecast's trend is fitted over.
const forecastWindow = 6

const week = 7 * 24 * time.Hour

// history is the registry's records, all or as recorded at or before one moment.
type history struct {
	subs   []store.Submission
	deps   []store.Deployment
	pairs  []store.Pair
	checks []store.DeploymentCheck
}

func (s *Server) loadHistory(ctx context.Context) (*history, error) {
	var h history
	var err error
	if h.subs, err = s.st.Submissions(ctx, "", ""); err != nil {
		return nil, err
	}
	for i := range h.subs {
		h.subs[i].Bundle = nil // readiness needs the checked fields, not the envelope
	}
	if h.deps, err = s.st.Deployments(ctx); err != nil {
		return nil, err
	}
	if h.pairs, err = s.st.Pairs(ctx); err != nil {
		return nil, err
	}
	if h.checks, err = s.st.DeploymentChecks(ctx); err != nil {
		return nil, err
	}
	return &h, nil
}

func upTo[T any](recs []T, t time.Time, at func(*T) time.Time) []T {
	var out []T
	for i := range recs {
		if !at(&recs[i]).After(t) {
			out = append(out, recs[i])
		}
	}
	return out
}

// at returns the records recorded at or before t.
func (h *history) at(t time.Time) *history {
	return &history{
		subs:   upTo(h.subs, t, func(r *store.Submission) time.Time { return r.ReceivedAt }),
		deps:   upTo(h.deps, t, func(r *store.Deployment) time.Time { return r.DeclaredAt }),
		pairs:  upTo(h.pairs, t, func(r *store.Pair) time.Time { return r.ReceivedAt }),
		checks: upTo(h.checks, t, func(r *store.DeploymentCheck) time.Time { return r.RecordedAt }),
	}
}

// first returns the time of the earliest record, or false when there is none.
func (h *history) first() (time.Time, bool) {
	var ts []time.Time
	for _, r := range h.subs {
		ts = append(ts, r.ReceivedAt)
	}
	for _, r := range h.deps {
		ts = append(ts, r.DeclaredAt)
	}
	for _, r := range h.pairs {
		ts = append(ts, r.ReceivedAt)
	}
	for _, r := range h.checks {
		ts = append(ts, r.RecordedAt)
	}
	if len(ts) == 0 {
		return time.Time{}, false
	}
	return slices.MinFunc(ts, func(a, b time.Time) int { return a.Compare(b) }), true
}

// Readiness computes the national readiness as of asOf (the zero time means the server's
// now) from the records recorded at or before it, with the weekly series ending at asOf and,
// when the server has a deadline, the forecast. A council is ready when its current
// deployment's latest deployment check passed, its product version's standing certificate is
// conformant, unexpired at asOf and of the current suite, and the latest pair results in both
// directions between its version and every other product version deployed at another council
// are PASS (its own version at other councils is covered by its certificate).
func (s *Server) Readiness(ctx context.Context, asOf time.Time) (*Readiness, error) {
	if asOf.IsZero() {
		asOf = s.now()
	}
	asOf = asOf.UTC()
	all, err := s.loadHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("readiness: %w", err)
	}
	r := s.readinessAt(all.at(asOf), asOf)
	r.Series = []forecast.Point{}
	if first, ok := all.first(); ok && !first.After(asOf) {
		var times []time.Time
		for t := asOf; !t.Before(first) && len(times) < SeriesWeeks; t = t.Add(-week) {
			times = append(times, t)
		}
		slices.Reverse(times)
		index := map[string]int{}
		for i, c := range r.Councils {
			index[c.Code] = i
			r.Councils[i].Weekly = make([]bool, len(times))
		}
		for k, t := range times {
			point := r
			if !t.Equal(asOf) {
				point = s.readinessAt(all.at(t), t)
			}
			r.Series = append(r.Series, forecast.Point{At: t, Value: point.Ready})
			for _, c := range point.Councils {
				r.Councils[index[c.Code]].Weekly[k] = c.Ready
			}
		}
	}
	if !s.deadline.IsZero() {
		f, err := forecast.Project(r.Series, r.Total, s.deadline, forecastWindow)
		switch {
		case errors.Is(err, forecast.ErrNoData):
		case err != nil:
			return nil, fmt.Errorf("readiness: %w", err)
		default:
			r.Forecast = &f
		}
	}
	return r, nil
}

// Deadline returns the readiness deadline (zero: none configured).
func (s *Server) Deadline() time.Time { return s.deadline }

func pv(product, version string) string { return product + "@" + version }

// readinessAt computes readiness from h, the records as of t, without the series.
func (s *Server) readinessAt(h *history, t time.Time) *Readiness {
	r := &Readiness{AsOf: t, Suite: s.suite.Digest, Councils: []CouncilReadiness{}, Versions: []VersionStatus{}, Matrix: []MatrixCell{}}
	m := s.momentOf(h, t)
	r.Matrix = m.matrix()
	for _, c := range m.live {
		cr := m.council(c)
		if cr.Ready {
			r.Ready++
		}
		r.Councils = append(r.Councils, cr)
	}
	r.Total = len(r.Councils)
	r.NotReady = r.Total - r.Ready
	for _, v := range m.versions {
		r.Versions = append(r.Versions, *v)
	}
	slices.SortFunc(r.Versions, func(a, b VersionStatus) int {
		return cmp.Or(cmp.Compare(a.Product, b.Product), cmp.Compare(a.Version, b.Version))
	})
	return r
}

// moment is what the history says at one time: each council's current deployment, where
// each product version is deployed, each version's certificate status, and the latest pair
// result and deployment check.
type moment struct {
	s           *Server
	t           time.Time
	live        []ident.Council
	current     map[string]store.Deployment // council -> its current deployment
	deployedAt  map[string][]string         // product version -> councils, sorted
	deployed    []string                    // product versions deployed at live councils, sorted
	byVersion   map[string][]store.Submission
	versions    map[string]*VersionStatus
	latestPair  map[string]store.Pair            // "sender>receiver" -> the latest result
	latestCheck map[string]store.DeploymentCheck // "council/product@version" -> the latest check
}

// momentOf builds the moment of h at t.
func (s *Server) momentOf(h *history, t time.Time) *moment {
	m := &moment{
		s: s, t: t, live: ident.Councils().Live(), current: map[string]store.Deployment{}, deployedAt: map[string][]string{},
		byVersion: map[string][]store.Submission{}, versions: map[string]*VersionStatus{},
		latestPair: map[string]store.Pair{}, latestCheck: map[string]store.DeploymentCheck{},
	}
	// Each council's current deployment: its latest declaration per product not withdrawn,
	// and of those the latest.
	latestPerProduct := map[[2]string]store.Deployment{}
	for _, d := range h.deps {
		latestPerProduct[[2]string{d.Council, d.Product}] = d
	}
	for _, d := range latestPerProduct {
		if d.Withdrawn {
			continue
		}
		if prev, ok := m.current[d.Council]; !ok || d.ID > prev.ID {
			m.current[d.Council] = d
		}
	}
	isLive := map[string]bool{}
	for _, c := range m.live {
		isLive[c.DfeCode] = true
	}
	for code, d := range m.current {
		if isLive[code] {
			m.deployedAt[pv(d.Product, d.Version)] = append(m.deployedAt[pv(d.Product, d.Version)], code)
		}
	}
	for k, cs := range m.deployedAt {
		slices.Sort(cs)
		m.deployed = append(m.deployed, k)
	}
	slices.Sort(m.deployed)
	for _, sub := range h.subs {
		m.byVersion[pv(sub.Product, sub.Version)] = append(m.byVersion[pv(sub.Product, sub.Version)], sub)
	}
	for _, sub := range h.subs {
		m.version(sub.Product, sub.Version)
	}
	for _, d := range m.current {
		m.version(d.Product, d.Version)
	}
	for _, p := range h.pairs {
		m.latestPair[pv(p.SenderProduct, p.SenderVersion)+">"+pv(p.ReceiverProduct, p.ReceiverVersion)] = p
	}
	for _, c := range h.checks {
		m.latestCheck[c.Council+"/"+pv(c.Product, c.Version)] = c
	}
	return m
}

// version returns the status of a product version's certificate at the moment.
func (m *moment) version(product, version string) *VersionStatus {
	key := pv(product, version)
	if v, ok := m.versions[key]; ok {
		return v
	}
	v := &VersionStatus{Product: product, Version: version, Status: "none", Councils: []string{}}
	subs := m.byVersion[key]
	if len(subs) > 0 {
		v.Supplier = subs[len(subs)-1].Supplier
	}
	cert := latestAccepted(subs)
	if cert != nil {
		v.Certificate, v.Status, v.Verdict, v.Expires = cert.ID, cert.Status, cert.Verdict, cert.Expires
	} else if len(subs) > 0 {
		v.Status = subs[len(subs)-1].Status
	}
	v.Reasons = m.s.certificateReasons(cert, product, version, m.t)
	if v.Reasons == nil {
		v.Reasons = []Reason{}
	}
	v.Valid = len(v.Reasons) == 0
	if cs, ok := m.deployedAt[key]; ok {
		v.Councils = cs
	}
	m.versions[key] = v
	return v
}

// matrix is the latest pair result between every two product versions deployed.
func (m *moment) matrix() []MatrixCell {
	out := []MatrixCell{}
	for _, sender := range m.deployed {
		for _, receiver := range m.deployed {
			if sender == receiver {
				continue
			}
			cell := MatrixCell{Sender: sender, Receiver: receiver, Verdict: "NONE", FailedRequirements: []string{}}
			if p, ok := m.latestPair[sender+">"+receiver]; ok {
				cell.Verdict, cell.AtFault = p.Verdict, p.AtFault
				if p.FailedRequirements != nil {
					cell.FailedRequirements = p.FailedRequirements
				}
			}
			out = append(out, cell)
		}
	}
	return out
}

// council judges one live council at the moment.
func (m *moment) council(c ident.Council) CouncilReadiness {
	cr := CouncilReadiness{
		Code: c.DfeCode, Name: c.Name, Region: c.Region, RegionName: ident.RegionName(c.Region),
		Reasons: []Reason{}, FailedRequirements: []string{}, BlockingPeers: []string{},
	}
	d, ok := m.current[c.DfeCode]
	if !ok {
		cr.Reasons = append(cr.Reasons, Reason{Code: ReasonNoDeployment, Message: fmt.Sprintf("council %s %s declares no deployment", c.DfeCode, c.Name)})
		return cr
	}
	cr.Deployment = &d
	self := pv(d.Product, d.Version)
	if chk, ok := m.latestCheck[c.DfeCode+"/"+self]; ok {
		cr.Check = &chk
		if chk.Verdict != "PASS" {
			var what []string
			for _, f := range chk.Failed {
				what = append(what, f.Check+": "+f.Reason)
			}
			cr.Reasons = append(cr.Reasons, Reason{Code: ReasonCheckFailed, Message: fmt.Sprintf("the deployment check of %s at %s on %s failed: %s",
				self, d.BaseURL, chk.RecordedAt.Format(time.DateOnly), strings.Join(what, "; "))})
		}
	} else {
		cr.Reasons = append(cr.Reasons, Reason{Code: ReasonNoCheck, Message: fmt.Sprintf("no deployment check of %s at %s has been recorded", self, d.BaseURL)})
	}
	v := m.version(d.Product, d.Version)
	cr.Certificate = v.Certificate
	cr.Reasons = append(cr.Reasons, v.Reasons...)
	blocking := map[string]bool{}
	for _, peer := range m.deployed {
		if peer != self {
			cr.Reasons = append(cr.Reasons, m.peerReasons(c.DfeCode, self, peer, blocking)...)
		}
	}
	req := map[string]bool{}
	for _, reason := range cr.Reasons {
		for _, id := range reason.Requirements {
			req[id] = true
		}
	}
	cr.FailedRequirements = sortedSet(req)
	cr.BlockingPeers = sortedSet(blocking)
	cr.Ready = len(cr.Reasons) == 0
	return cr
}

// peerReasons returns why council code, running product version self, cannot exchange with
// the councils running peer: a failed or missing pair result in either direction. Those
// councils are added to blocking.
func (m *moment) peerReasons(code, self, peer string, blocking map[string]bool) []Reason {
	var councils []string
	for _, pc := range m.deployedAt[peer] {
		if pc != code {
			councils = append(councils, pc)
		}
	}
	if len(councils) == 0 {
		return nil // only this council runs it (under another product): not a peer elsewhere
	}
	var reasons []Reason
	var missing []string
	for _, dir := range [][2]string{{self, peer}, {peer, self}} {
		p, ok := m.latestPair[dir[0]+">"+dir[1]]
		switch {
		case !ok:
			missing = append(missing, dir[0]+" -> "+dir[1])
		case p.Verdict != "PASS":
			fault := ""
			if p.AtFault != "" {
				fault = " (at fault: " + p.AtFault + ")"
			}
			reasons = append(reasons, Reason{
				Code: ReasonPairFailed, Requirements: p.FailedRequirements, Councils: councils,
				Message: fmt.Sprintf("%s -> %s fails %s%s; %s is deployed at councils %s",
					dir[0], dir[1], strings.Join(p.FailedRequirements, ", "), fault, peer, strings.Join(councils, ", ")),
			})
			for _, pc := range councils {
				blocking[pc] = true
			}
		}
	}
	if len(missing) > 0 {
		reasons = append(reasons, Reason{
			Code: ReasonNotPaired, Councils: councils,
			Message: fmt.Sprintf("no pair result for %s; %s is deployed at councils %s", strings.Join(missing, " nor "), peer, strings.Join(councils, ", ")),
		})
		for _, pc := range councils {
			blocking[pc] = true
		}
	}
	return reasons
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
