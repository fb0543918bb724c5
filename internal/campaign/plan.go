package campaign

import (
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"strings"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/simulators"
)

// Fault is a deployment fault of a council's endpoint: how the council set it up wrong, which
// its deployment check must find. The empty Fault is a correct deployment.
type Fault string

// The deployment faults the campaign plays.
const (
	// FaultStaleKeys: the endpoint trusts a stale key set, not the national identity
	// service's keys.
	FaultStaleKeys Fault = "stale-keys"
	// FaultDirectory: the national directory still lists the council at an old URL.
	FaultDirectory Fault = "directory"
	// FaultUnreachable: the endpoint does not answer (a firewall rule not yet opened).
	FaultUnreachable Fault = "unreachable"
	// FaultOldVersion: the council declared its upgrade before its endpoint runs it, so the
	// endpoint still serves the previous version.
	FaultOldVersion Fault = "old-version"
)

// Release is a product version and the week its supplier releases it.
type Release struct {
	Profile simulators.Profile
	Week    int
}

// CouncilPlan is what one council does in the campaign.
type CouncilPlan struct {
	Code    string
	Product string // the simulated product's id (simulators.Profile.Name)
	// DeployWeek is the week it first deploys: the latest release of its product then.
	DeployWeek int
	// Lag is how many weeks after a release the council upgrades to it.
	Lag int
	// Laggard councils never upgrade from the version they first deploy.
	Laggard bool
	// Fault is the fault of its first deployment (or, for FaultOldVersion, of its first
	// upgrade), lasting FaultWeeks weeks.
	Fault      Fault
	FaultWeeks int
}

// Plan is the programme: the releases and every council's plan.
type Plan struct {
	Weeks    int
	Releases []Release
	Councils []CouncilPlan
}

// market is each product's share of councils, in per cent, in the order of Profiles.
var market = map[string]int{"wrenfold": 25, "kinledger": 22, "tarnline": 18, "quillmere": 15, "thistlegate": 12, "lanternwise": 8}

// NewPlan deterministically plans a campaign of weeks weeks over councils and the product
// versions of profiles (grouped by product, oldest first, as simulators.Profiles gives them):
//   - each product's first version is released in week 0, the others spread evenly over the
//     first three fifths of the programme, staggered by product;
//   - councils are assigned products by market share (a hash of the DfE code, so a council
//     keeps its product whatever else changes), deploy during the first third of the
//     programme, and upgrade to each release 2 to 9 weeks after it, except one in eight,
//     laggards that never upgrade;
//   - about one council in ten deploys with a fault its deployment check must find (stale
//     keys, a stale directory entry, an unreachable endpoint), fixed after 1 to 3 weeks, and
//     one in eight declares its first upgrade a week before its endpoint runs it.
func NewPlan(weeks int, councils []ident.Council, profiles []simulators.Profile) (*Plan, error) {
	if weeks < 1 {
		return nil, fmt.Errorf("plan: %d weeks: want at least 1", weeks)
	}
	if len(profiles) == 0 {
		return nil, fmt.Errorf("plan: no product versions")
	}
	p := &Plan{Weeks: weeks}
	var products []string
	byProduct := map[string][]simulators.Profile{}
	for _, pr := range profiles {
		if _, ok := byProduct[pr.Name]; !ok {
			products = append(products, pr.Name)
		}
		byProduct[pr.Name] = append(byProduct[pr.Name], pr)
	}
	span := max(weeks*3/5, 1)
	for i, name := range products {
		vs := byProduct[name]
		for k, pr := range vs {
			week := 0
			if k > 0 {
				week = min(k*span/len(vs)+i%3, weeks-1)
			}
			p.Releases = append(p.Releases, Release{Profile: pr, Week: week})
		}
	}
	// Market shares over the products present; products without a share get 5.
	shares, total := make([]int, len(products)), 0
	for i, name := range products {
		shares[i] = market[name]
		if shares[i] == 0 {
			shares[i] = 5
		}
		total += shares[i]
	}
	for _, c := range councils {
		h := hash(c.DfeCode, "product") % uint32(total)
		product := products[len(products)-1]
		for i, s := range shares {
			if h < uint32(s) {
				product = products[i]
				break
			}
			h -= uint32(s)
		}
		cp := CouncilPlan{
			Code: c.DfeCode, Product: product,
			DeployWeek: int(hash(c.DfeCode, "deploy") % uint32(max(weeks/3, 1))),
			Lag:        2 + int(hash(c.DfeCode, "lag")%8),
			Laggard:    hash(c.DfeCode, "laggard")%8 == 0,
		}
		switch f := hash(c.DfeCode, "fault") % 40; {
		case f < 2:
			cp.Fault, cp.FaultWeeks = FaultStaleKeys, 3
		case f < 4:
			cp.Fault, cp.FaultWeeks = FaultDirectory, 2
		case f < 5:
			cp.Fault, cp.FaultWeeks = FaultUnreachable, 1
		case f < 10:
			cp.Fault, cp.FaultWeeks = FaultOldVersion, 1
		}
		p.Councils = append(p.Councils, cp)
	}
	return p, nil
}

func hash(parts ...string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.Join(parts, "\x00")))
	return h.Sum32()
}

// latest returns the latest release of product released at or before week, and false if
// there is none.
func (p *Plan) latest(product string, week int) (simulators.Profile, bool) {
	var best simulators.Profile
	found := false
	for _, r := range p.Releases {
		if r.Profile.Name == product && r.Week <= week {
			best, found = r.Profile, true // releases are oldest first per product
		}
	}
	return best, found
}

// releaseWeek returns the week profile pr is released.
func (p *Plan) releaseWeek(pr simulators.Profile) int {
	for _, r := range p.Releases {
		if r.Profile.String() == pr.String() {
			return r.Week
		}
	}
	return -1
}

// deployment is a council's deployment in one week: the version it declares, the version its
// endpoint runs and its fault.
type deployment struct {
	declared, runs simulators.Profile
	fault          Fault
	upgrades       int // how many upgrades it has made (0: its first deployment)
	since          int // the week of its latest declaration
}

// at returns council cp's deployment in week w; ok is false before it deploys.
func (p *Plan) at(cp CouncilPlan, w int) (deployment, bool) {
	if w < cp.DeployWeek {
		return deployment{}, false
	}
	first, ok := p.latest(cp.Product, cp.DeployWeek)
	if !ok {
		return deployment{}, false
	}
	d := deployment{declared: first, runs: first, since: cp.DeployWeek}
	if cp.Fault != FaultOldVersion && w < cp.DeployWeek+cp.FaultWeeks {
		d.fault = cp.Fault
	}
	if cp.Laggard {
		return d, true
	}
	// Upgrades: the latest release at least Lag weeks old, never older than the current one.
	prev := first
	for week := cp.DeployWeek + 1; week <= w; week++ {
		next, ok := p.latest(cp.Product, week-cp.Lag)
		if !ok || p.releaseWeek(next) <= p.releaseWeek(d.declared) {
			continue
		}
		prev, d.declared, d.since = d.declared, next, week
		d.upgrades++
	}
	d.runs = d.declared
	if cp.Fault == FaultOldVersion && d.upgrades == 1 && w < d.since+cp.FaultWeeks {
		d.runs, d.fault = prev, FaultOldVersion
	}
	return d, true
}

// BaseURL is the base URL council code declares for its deployment.
func BaseURL(code string) string { return "https://cre.council-" + code + ".example.invalid" }

// staleURL is the old URL a stale directory entry names.
func staleURL(code string) string { return "https://cre-old.council-" + code + ".example.invalid" }

// endpoint returns the council's system as deployed: the product version it runs (as system
// starts it) with its fault, if any.
func endpoint(system *harness.Target, fault Fault) *harness.Target {
	t := *system
	inner := system.Starter
	switch fault {
	case FaultStaleKeys:
		t.Starter = harness.StartFunc(func(ctx context.Context, trust harness.Trust) (string, func(), error) {
			stale, err := fixtures.NewIssuer("https://stale-idp.example.invalid")
			if err != nil {
				return "", nil, err
			}
			trust.JWKS = stale.JWKS()
			return inner.Start(ctx, trust)
		})
	case FaultUnreachable:
		t.Starter = harness.StartFunc(func(ctx context.Context, _ harness.Trust) (string, func(), error) {
			// A loopback port that was just closed: connections are refused.
			var lc net.ListenConfig
			ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
			if err != nil {
				return "", nil, err
			}
			url := "http://" + ln.Addr().String()
			_ = ln.Close()
			return url, func() {}, nil
		})
	}
	return &t
}
