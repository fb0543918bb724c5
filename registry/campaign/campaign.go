// Package campaign is a SYNTHETIC readiness campaign, kept only as a fast fixture for the
// registry's and the readiness command's tests: it plays invented products, invented
// certificate verdicts and invented pair results through the registry's API on a simulated
// clock, in milliseconds. Nothing `make demo` shows comes from it: the national campaign on
// real runs (real certification runs, pair runs and deployment checks) is internal/campaign.
// The data is synthetic: invented products and example.invalid URLs, no personal data.
package campaign

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/registry"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
)

// DepartmentToken is the department's bearer token in the campaign's registry.
const DepartmentToken = "tok-dfe"

// product is one simulated supplier's product version and when its certificate arrives.
type product struct {
	supplier, vendor, name, version string
	week                            int      // the week its certificate is submitted
	failed                          []string // requirements its certificate fails
}

var products = []product{
	{"larkspur", "Larkspur", "Wrenfold", "2.0", 0, nil},
	{"mossbank", "Mossbank", "KinLedger", "3.3", 0, nil},
	{"pellow", "Pellow Systems", "Hearthstone", "1.0", 1, []string{"XFER-002"}},
	{"pellow", "Pellow Systems", "Hearthstone", "1.1", 8, nil},
}

// pair is a pair result the department records in a week.
type pair struct {
	week                     int
	sender, receiver         string // PRODUCT@VERSION
	verdict, failed, atFault string
}

var pairs = []pair{
	{2, "Wrenfold@2.0", "KinLedger@3.3", "PASS", "", ""},
	{2, "KinLedger@3.3", "Wrenfold@2.0", "PASS", "", ""},
	{2, "Wrenfold@2.0", "Hearthstone@1.0", "FAIL", "XFER-002", "receiver"},
	{2, "Hearthstone@1.0", "Wrenfold@2.0", "PASS", "", ""},
	{3, "KinLedger@3.3", "Hearthstone@1.0", "PASS", "", ""},
	{3, "Hearthstone@1.0", "KinLedger@3.3", "PASS", "", ""},
	{9, "Wrenfold@2.0", "Hearthstone@1.1", "PASS", "", ""},
	{9, "Hearthstone@1.1", "Wrenfold@2.0", "PASS", "", ""},
	{9, "KinLedger@3.3", "Hearthstone@1.1", "PASS", "", ""},
	{12, "Hearthstone@1.1", "KinLedger@3.3", "PASS", "", ""},
}

// Campaign is an embedded registry and the simulated campaign run against it.
type Campaign struct {
	Server *registry.Server
	Clock  *registry.Clock
	Start  time.Time

	keys    map[string]ed25519.PrivateKey // supplier -> key
	suite   bundle.Manifest
	handler http.Handler
}

// New returns a campaign over st (which the caller closes) starting at start, with the
// readiness deadline deadline. The registry's principals are the three suppliers, every live
// council (token "tok-council-CODE") and the department (DepartmentToken).
func New(st *store.Store, start, deadline time.Time) (*Campaign, error) {
	c := &Campaign{Clock: registry.NewClock(start), Start: start, keys: map[string]ed25519.PrivateKey{}}
	var cfg strings.Builder
	cfg.WriteString("principals:\n")
	owned := map[string][]string{}
	order := []string{}
	for _, p := range products {
		if _, ok := c.keys[p.supplier]; !ok {
			k, err := bundle.GenerateKey()
			if err != nil {
				return nil, fmt.Errorf("campaign: %w", err)
			}
			c.keys[p.supplier] = k
			order = append(order, p.supplier)
		}
		if len(owned[p.supplier]) == 0 || owned[p.supplier][len(owned[p.supplier])-1] != p.name {
			owned[p.supplier] = append(owned[p.supplier], p.name)
		}
	}
	for _, s := range order {
		pem, err := bundle.EncodePublicKey(c.keys[s].Public().(ed25519.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("campaign: %w", err)
		}
		fmt.Fprintf(&cfg, "  - {name: %s, kind: supplier, token: tok-%s, products: [%s], keys: [%q]}\n", s, s, strings.Join(owned[s], ", "), pem)
	}
	for _, lc := range ident.Councils().Live() {
		fmt.Fprintf(&cfg, "  - {name: council-%[1]s, kind: council, council: %[1]q, token: tok-council-%[1]s}\n", lc.DfeCode)
	}
	fmt.Fprintf(&cfg, "  - {name: dfe, kind: department, token: %s}\n", DepartmentToken)
	conf, err := registry.ParseConfig([]byte(cfg.String()), ".")
	if err != nil {
		return nil, fmt.Errorf("campaign: config: %w", err)
	}
	if c.suite, err = bundle.CurrentSuite(); err != nil {
		return nil, fmt.Errorf("campaign: %w", err)
	}
	c.Server, err = registry.New(registry.Options{Config: conf, Store: st, Now: c.Clock.Now, Suite: c.suite, Deadline: deadline})
	if err != nil {
		return nil, fmt.Errorf("campaign: %w", err)
	}
	c.handler = c.Server.Handler()
	return c, nil
}

// Week returns the moment events of week w happen: Start plus w weeks.
func (c *Campaign) Week(w int) time.Time { return c.Start.Add(time.Duration(w) * 7 * 24 * time.Hour) }

// Client returns an API client holding token that calls the embedded registry in process.
func (c *Campaign) Client(token string) *registry.Client {
	return &registry.Client{BaseURL: "http://registry.invalid", Token: token, HTTP: &http.Client{Transport: handlerTransport{c.handler}}}
}

// handlerTransport answers requests with a handler, without a network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// councilPlan is what one council does in the campaign.
type councilPlan struct {
	code          string
	product       product
	deployWeek    int
	upgradeWeek   int  // Hearthstone 1.0 councils move to 1.1 (0: no upgrade)
	checkFails    bool // its first deployment check fails
	checkRecovers bool // and a later one passes
}

// plans spreads the live councils over the three products and twelve weeks of deployment.
func plans() []councilPlan {
	live := ident.Councils().Live()
	out := make([]councilPlan, len(live))
	for i, lc := range live {
		p := councilPlan{code: lc.DfeCode, product: products[i%3], deployWeek: i * 12 / len(live)}
		if p.product.name == "Hearthstone" {
			if p.deployWeek >= 8 {
				p.product = products[3]
			} else {
				p.upgradeWeek = 9
			}
		}
		p.checkFails = i%7 == 0
		p.checkRecovers = i%14 == 0
		out[i] = p
	}
	return out
}

// Run plays weeks 0 to weeks-1 of the campaign, each week's events through the API at the
// week's moment (plus a minute per event, to keep them in order). Certificates arrive as
// listed; each council deploys in its week; the department checks a deployment the week after
// (one council in seven fails the national-keys check, half of those pass a re-check three
// weeks later); pair results are recorded as listed. Hearthstone 1.0 is not conformant
// (XFER-002) and fails to receive from Wrenfold 2.0; its councils upgrade to 1.1 in week 9.
func (c *Campaign) Run(ctx context.Context, weeks int) error {
	dept := c.Client(DepartmentToken)
	for w := range weeks {
		at := c.Week(w)
		step := func() { at = at.Add(time.Minute); c.Clock.Set(at) }
		for _, p := range products {
			if p.week != w {
				continue
			}
			step()
			if err := c.certify(ctx, p); err != nil {
				return err
			}
		}
		for _, cp := range plans() {
			council := c.Client("tok-council-" + cp.code)
			declare := func(p product) error {
				step()
				return council.Post(ctx, "/v1/deployments", map[string]any{
					"council": cp.code, "product": p.name, "version": p.version,
					"baseUrl": fmt.Sprintf("https://cre.council-%s.example.invalid", cp.code),
				}, &store.Deployment{})
			}
			check := func(p product, fail bool) error {
				step()
				body := map[string]any{"council": cp.code, "product": p.name, "version": p.version, "verdict": "PASS"}
				if fail {
					body["verdict"] = "FAIL"
					body["failed"] = []store.FailedCheck{{Check: "national-keys", Reason: "the endpoint does not trust the national signing key"}}
				}
				return dept.Post(ctx, "/v1/deployment-checks", body, &store.DeploymentCheck{})
			}
			var err error
			switch {
			case w == cp.deployWeek:
				err = declare(cp.product)
			case w == cp.deployWeek+1:
				err = check(cp.product, cp.checkFails)
			case w == cp.deployWeek+4 && cp.checkFails && cp.checkRecovers:
				err = check(cp.product, false)
			}
			if err == nil && cp.upgradeWeek > 0 && w >= cp.upgradeWeek && w > cp.deployWeek {
				switch w - cp.upgradeWeek {
				case 0:
					err = declare(products[3])
				case 1:
					err = check(products[3], cp.checkFails && !cp.checkRecovers)
				}
			}
			if err != nil {
				return fmt.Errorf("campaign week %d council %s: %w", w, cp.code, err)
			}
		}
		for _, p := range pairs {
			if p.week != w {
				continue
			}
			step()
			sp, sv, _ := strings.Cut(p.sender, "@")
			rp, rv, _ := strings.Cut(p.receiver, "@")
			body := map[string]any{"senderProduct": sp, "senderVersion": sv, "receiverProduct": rp, "receiverVersion": rv, "verdict": p.verdict, "atFault": p.atFault}
			if p.failed != "" {
				body["failedRequirements"] = []string{p.failed}
			}
			if err := dept.Post(ctx, "/v1/pairs", body, &store.Pair{}); err != nil {
				return fmt.Errorf("campaign week %d pair %s -> %s: %w", w, p.sender, p.receiver, err)
			}
		}
	}
	return nil
}

// certify issues and submits p's certificate, signed with its supplier's key.
func (c *Campaign) certify(ctx context.Context, p product) error {
	now := c.Clock.Now()
	rep := &reports.Report{
		Target:    reports.Target{Name: p.name, Vendor: p.vendor, Product: p.name, Version: p.version},
		Suite:     reports.Suite{SpecVersion: "1.0.0", SuiteVersion: "0.1.0", SpecDigest: "campaign"},
		StartedAt: now.Add(-time.Minute), FinishedAt: now,
	}
	for _, id := range []string{"VER-003", "ID-001", "XFER-002"} {
		v, step := reports.Pass, reports.Step{Keyword: "Then", Text: "it holds", Status: "passed"}
		sc := reports.Scenario{ID: "features/campaign.feature:" + id, Name: id, Feature: "campaign", Tags: []string{"@" + id}, Requirements: []string{id}}
		for _, f := range p.failed {
			if f == id {
				v, step.Status = reports.Fail, "failed"
				sc.Failure = &reports.Failure{Requirement: id, Message: "the simulated product breaks it"}
			}
		}
		sc.Verdict, sc.Steps = v, []reports.Step{step}
		rep.Requirements = append(rep.Requirements, reports.Requirement{ID: id, Level: reports.LevelMust, Group: strings.Split(id, "-")[0], Text: id})
		rep.Scenarios = append(rep.Scenarios, sc)
	}
	if err := rep.Finalise(); err != nil {
		return fmt.Errorf("campaign: certify %s %s: %w", p.name, p.version, err)
	}
	env, err := bundle.Issue(ctx, bundle.Input{
		Report: rep, Key: c.keys[p.supplier], Now: now, Suite: c.suite,
		Evidence: []bundle.FileDigest{{Path: reports.JSONFile, SHA256: strings.Repeat("0", 64)}},
	})
	if err != nil {
		return fmt.Errorf("campaign: certify %s %s: %w", p.name, p.version, err)
	}
	if _, err := c.Client("tok-"+p.supplier).Submit(ctx, p.name, p.version, env); err != nil {
		return fmt.Errorf("campaign: certify %s %s: %w", p.name, p.version, err)
	}
	return nil
}
