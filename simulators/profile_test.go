package simulators

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference"
)

// realSuppliers are fragments of the names of real suppliers of children's services and
// education software in the UK; no simulated vendor or product may resemble them.
var realSuppliers = []string{
	"liquidlogic", "capita", "servelec", "corelogic", "mosaic", "olm", "eclipse", "carefirst",
	"northgate", "civica", "access group", "system c", "tribal", "arbor", "bromcom", "sims", //nolint:misspell // a supplier's name
	"advanced", "protocol", "frameworki", "emis", "tpp", "idox", "nec",
}

func TestProfileCatalogue(t *testing.T) {
	ps := Profiles()
	vendors := map[string]bool{}
	versions := map[string]int{}
	covered := map[string]bool{}
	conformant := 0
	for _, p := range ps {
		vendors[p.Vendor] = true
		versions[p.Name]++
		for _, id := range p.Quirks {
			_, ok := LookupQuirk(id)
			assert.True(t, ok, "%s names quirk %s, which exists", p, id)
			covered[id] = true
		}
		if len(p.Quirks) == 0 {
			conformant++
			assert.True(t, p.Conformant(), "%s has no quirk", p)
		}
		assert.Equal(t, strings.ToLower(p.Name), p.Name, "names are lower-case")
		for _, real := range realSuppliers {
			for _, s := range []string{p.Vendor, p.Product, p.Name} {
				assert.NotContains(t, " "+strings.ToLower(s)+" ", " "+real+" ", "%s must be invented", s)
			}
		}
	}
	assert.GreaterOrEqual(t, len(vendors), 5, "at least five suppliers")
	for name, n := range versions {
		assert.GreaterOrEqual(t, n, 2, "%s has versions", name)
	}
	assert.GreaterOrEqual(t, conformant, 1, "at least one profile is fully conformant")
	for _, q := range Quirks() {
		assert.True(t, covered[q.ID], "some profile or exchange profile has quirk %s", q.ID)
	}
	slowOnly := slices.ContainsFunc(ps, func(p Profile) bool { return slices.Equal(p.Quirks, []string{QuirkSlow}) })
	assert.True(t, slowOnly, "one otherwise-conformant version is slow")
}

func TestProfileBreaks(t *testing.T) {
	cases := []struct {
		profile string
		breaks  []string
		reason  string
	}{
		{"wrenfold@2.0", nil, "the conformant product breaks nothing"},
		{"kinledger@3.4", nil, "slow breaks nothing"},
		{"kinledger@3.2", []string{"READ-004"}, "dates and gender both break READ-004, once"},
		{"tarnline@1.0", []string{"ID-001"}, "both NHS quirks break ID-001"},
		{"quillmere@4.0", []string{"READ-004", "SEARCH-003", "VER-001", "VER-002"}, "truncation loses long names to search; ignored If-Match loses serialisation"},
		{"thistlegate@2.0", []string{"INV-002", "INV-004", "READ-002", "SENS-002"}, "the leak breaks the tier table too; deletion breaks replacement"},
		{"lanternwise@0.9", []string{"ERR-001", "ERR-004"}, "text errors and shedding without Retry-After"},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			p, ok := Lookup(c.profile, "")
			require.True(t, ok)
			assert.Equal(t, c.breaks, p.Breaks(), c.reason)
			assert.Equal(t, c.breaks == nil, p.Conformant(), c.reason)
		})
	}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		name, version string
		want          string // NAME@VERSION, "" for not found
		reason        string
	}{
		{"kinledger", "", "kinledger@3.6", "no version means the latest"},
		{"kinledger", "3.2", "kinledger@3.2", "an exact version"},
		{"kinledger@3.3", "", "kinledger@3.3", "NAME@VERSION in one string"},
		{"KinLedger", "v3.3", "kinledger@3.3", "names ignore case and versions may start with v"},
		{"kinledger@3.3", "3.3", "kinledger@3.3", "the same version twice is fine"},
		{"kinledger@3.3", "3.2", "", "two different versions are a mistake"},
		{"kinledger", "9.9", "", "an unknown version"},
		{"ledgerly", "", "", "an unknown product"},
		{"kinledger@3.5", "", "kinledger@3.5", "an exchange profile by its exact version"},
		{"KinLedger", "v3.5", "kinledger@3.5", "an exchange profile, name and version apart"},
		{"tarnline", "", "tarnline@1.4", "the latest, the release that fixes the earlier defects"},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.version, func(t *testing.T) {
			p, ok := Lookup(c.name, c.version)
			assert.Equal(t, c.want != "", ok, c.reason)
			if ok {
				assert.Equal(t, c.want, p.String(), c.reason)
			}
		})
	}
	assert.Positive(t, compareVersions("1.10", "1.9"), "versions compare by number")
}

// TestExchangeProfiles checks the versions with exchange defects: new versions of the
// catalogue's products with only exchange quirks, and what each breaks on
// each side.
func TestExchangeProfiles(t *testing.T) {
	cases := []struct {
		profile                    string
		sender, receiver, notifier []string
	}{
		{"wrenfold@2.0", nil, nil, nil},
		{"thistlegate@2.0", nil, nil, nil},
		{"kinledger@3.5", nil, nil, []string{"NOTIF-002"}},
		{"tarnline@1.2", []string{"SENS-005", "XFER-004"}, nil, nil},
		{"tarnline@1.3", nil, []string{"SENS-005", "XFER-004"}, nil},
		{"quillmere@4.2", []string{"XFER-004"}, []string{"XFER-004"}, nil},
		{"thistlegate@2.2", nil, []string{"XFER-003"}, nil},
		{"lanternwise@1.1", nil, nil, []string{"NOTIF-003"}},
		{"lanternwise@1.2", nil, nil, []string{"NOTIF-003"}},
	}
	for _, c := range cases {
		p, ok := Lookup(c.profile, "")
		require.True(t, ok, c.profile)
		assert.Equal(t, c.sender, p.BreaksAsSender(), "%s as sender", p)
		assert.Equal(t, c.receiver, p.BreaksAsReceiver(), "%s as receiver", p)
		assert.Equal(t, c.notifier, p.BreaksOn(SideNotifier), "%s as notifier", p)
		var all []string
		for _, side := range []Side{SideOwn, SideSender, SideReceiver, SideNotifier} {
			all = append(all, p.BreaksOn(side)...)
		}
		slices.Sort(all)
		assert.Equal(t, p.Breaks(), slices.Compact(all), "%s: Breaks is the union over the sides", p)
	}
}

// TestBoundClient checks what Bound.Client makes of the client it is given.
func TestBoundClient(t *testing.T) {
	base := &http.Client{Timeout: 3 * time.Second}
	plain, err := conformantProfile().Bind(Config{})
	require.NoError(t, err)
	assert.Same(t, base, plain.Client(base), "no quirk of outgoing traffic: the client itself")
	assert.Nil(t, plain.Client(nil), "nil stays nil, for the reference's default")

	b, err := probeProfile(QuirkWebhookUnsigned).Bind(Config{})
	require.NoError(t, err)
	wrapped := b.Client(base)
	require.NotSame(t, base, wrapped)
	assert.Equal(t, base.Timeout, wrapped.Timeout, "the client's settings are kept")
	assert.Nil(t, base.Transport, "the given client is not changed")
	assert.NotNil(t, wrapped.Transport)
	assert.Equal(t, 10*time.Second, b.Client(nil).Timeout, "a nil client stands for the reference's default")

	_, err = probeProfile("webhook-unsinged").Bind(Config{})
	assert.ErrorContains(t, err, `unknown quirk "webhook-unsinged"`)
}

// conformantProfile is the fully conformant catalogue version.
func conformantProfile() Profile {
	p, _ := Lookup("wrenfold@2.0", "")
	return p
}

func TestProfilesAreCopies(t *testing.T) {
	ps := Profiles()
	ps[0].Quirks = append(ps[0].Quirks[:0], QuirkSlow)
	again := Profiles()
	assert.NotEqual(t, ps[0].Quirks, again[0].Quirks, "changing a returned profile changes nothing inside")
}

func TestInstanceNamesProductAndKeepsRecordsInFile(t *testing.T) {
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(t, err)
	p, ok := Lookup("tarnline@1.1", "")
	require.True(t, ok)
	opts := StartOptions{
		Keys: reference.JWKSFromBytes(issuer.JWKS()), Clock: func() time.Time { return testStart },
		DBPath: filepath.Join(t.TempDir(), "tarnline.db"),
	}
	start := func() *rig {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in, err := Start(ctx, p, opts)
		require.NoError(t, err)
		gen := fixtures.NewGenerator(11)
		gen.Today = testStart
		return &rig{t: t, in: in, issuer: issuer, gen: gen, client: &http.Client{Timeout: 10 * time.Second}}
	}

	r := start()
	meta := r.do(http.MethodGet, "/v1/meta", fixtures.Claims{}, nil).json(t)
	assert.Equal(t, "Tarnline 1.1 (Tarnwick Records; simulated by icscert)", meta["product"], "the product names itself")
	assert.Equal(t, "1.0.0", meta["apiVersion"], "and still publishes the API version (VER-003)")
	id, _ := r.createChild(r.gen.Child())
	require.NoError(t, r.in.Close())
	require.NoError(t, r.in.Close(), "Close twice is fine")

	r = start()
	defer func() { require.NoError(t, r.in.Close()) }()
	assert.Equal(t, id, r.readChild(id)["id"], "a file store keeps records across restarts")
	rec := httptest.NewRecorder()
	r.in.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/meta", nil))
	assert.Contains(t, rec.Body.String(), "Tarnline 1.1", "Handler serves the same product without the network")
}

func TestStartNeedsKeys(t *testing.T) {
	_, err := Start(context.Background(), Profile{Name: "x"}, StartOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "start simulator: no key source")
}
