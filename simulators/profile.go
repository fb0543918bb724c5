package simulators

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Profile is one version of one simulated product: who makes it and which quirks it has.
// Every supplier and product is fictional. A Profile is a value; Profiles and Lookup return
// copies.
type Profile struct {
	// Name is the product's stable lower-case id, used on command lines: "tarnline".
	Name string
	// Vendor is the (fictional) supplier.
	Vendor string
	// Product is the product's display name.
	Product string
	// Version is the product version, dotted numbers: "1.1".
	Version string
	// Quirks are the ids of the quirks this version has; none for a conformant version.
	Quirks []string
}

// String returns the profile's NAME@VERSION.
func (p Profile) String() string { return p.Name + "@" + p.Version }

// Breaks returns the requirement ids the suite must fail for this profile: the union of its
// quirks' Breaks, sorted. It is empty for a conformant profile.
func (p Profile) Breaks() []string { return p.union(func(q Quirk) []string { return q.Breaks }) }

// BreaksOn returns the requirement ids broken by the profile's quirks that show on side,
// sorted: the expectations a pairwise run (sender × receiver) charges to this product in
// that part. In the cell where product A sends a transfer to product B, the suite must fail
// exactly A.BreaksOn(SideSender) ∪ B.BreaksOn(SideReceiver), plus each product's
// BreaksOn(SideNotifier) if the cell's scenarios subscribe to its webhooks and BreaksOn(SideOwn)
// if they judge its own API; Breaks is the union over every side (what a single-system run,
// which puts a conforming peer beside the product in both directions, must fail).
func (p Profile) BreaksOn(side Side) []string {
	return p.union(func(q Quirk) []string {
		if q.Side != side {
			return nil
		}
		return q.Breaks
	})
}

// BreaksAsSender returns BreaksOn(SideSender): what the product breaks when it sends a
// transfer package to a conforming receiver, the sender at fault.
func (p Profile) BreaksAsSender() []string { return p.BreaksOn(SideSender) }

// BreaksAsReceiver returns BreaksOn(SideReceiver): what the product breaks when it takes in a
// transfer from a conforming sender, the receiver at fault.
func (p Profile) BreaksAsReceiver() []string { return p.BreaksOn(SideReceiver) }

// PairBreaks returns what a transfer from sender to receiver fails, the sender at fault and
// the receiver at fault, when both are simulated products: each side's BreaksOn, less a
// receiver's defect that the sender's own defect leaves nothing to act on (a receiver that
// ignores the shield shows nothing when the package already came without one: Quirk.MaskedBy).
func PairBreaks(sender, receiver Profile) (asSender, asReceiver []string) {
	var recv []string
	for _, id := range receiver.Quirks {
		q, ok := LookupQuirk(id)
		if !ok || q.Side != SideReceiver {
			continue
		}
		masked := false
		for _, m := range q.MaskedBy {
			if slices.Contains(sender.Quirks, m) {
				masked = true
			}
		}
		if !masked {
			recv = append(recv, q.Breaks...)
		}
	}
	slices.Sort(recv)
	return sender.BreaksAsSender(), slices.Compact(recv)
}

// Conformant reports whether the profile is expected to pass the whole suite.
func (p Profile) Conformant() bool { return len(p.Breaks()) == 0 }

func (p Profile) union(of func(Quirk) []string) []string {
	var ids []string
	for _, id := range p.Quirks {
		if q, ok := LookupQuirk(id); ok {
			ids = append(ids, of(q)...)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Handler returns next (normally a reference.Server's handler) behind the profile's quirks,
// configured by cfg, with GET /v1/meta naming the simulated product. It fails if the profile
// names an unknown quirk. The handler is safe for concurrent use if next is.
// It is Bind(cfg) and its Handler: a profile with quirks of outgoing deliveries needs Bind,
// so that its deliveries go through the same Bound's Client.
func (p Profile) Handler(next http.Handler, cfg Config) (http.Handler, error) {
	b, err := p.Bind(cfg)
	if err != nil {
		return nil, err
	}
	return b.Handler(next), nil
}

// identify makes GET /v1/meta name the simulated product instead of the reference.
func (p Profile) identify(next http.Handler) http.Handler {
	product := fmt.Sprintf("%s %s (%s; simulated by icscert)", p.Product, p.Version, p.Vendor)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/meta" {
			next.ServeHTTP(w, r)
			return
		}
		rewriteResponse(w, r, next, func(v any) bool {
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			m["product"] = product
			return true
		})
	})
}

func (p Profile) clone() Profile {
	p.Quirks = slices.Clone(p.Quirks)
	return p
}

// profiles is the catalogue of simulated products, each product's versions in release order.
// Between them the non-conformant versions have every quirk; wrenfold@2.0 is fully conformant
// and kinledger@3.4 is conformant but slow. Each product's last version fixes every quirk its
// earlier ones had (the releases a national campaign waits for: internal/campaign).
var profiles = []Profile{
	{Name: "wrenfold", Vendor: "Larkspur Civic Software", Product: "Wrenfold", Version: "1.4", Quirks: []string{QuirkErrorsTextPlain}},
	{Name: "wrenfold", Vendor: "Larkspur Civic Software", Product: "Wrenfold", Version: "2.0"},
	{Name: "kinledger", Vendor: "Mossbank Informatics", Product: "KinLedger", Version: "3.2", Quirks: []string{QuirkDatesDDMMYYYY, QuirkGenderMFU}},
	{Name: "kinledger", Vendor: "Mossbank Informatics", Product: "KinLedger", Version: "3.3", Quirks: []string{QuirkDatesDDMMYYYY}},
	{Name: "kinledger", Vendor: "Mossbank Informatics", Product: "KinLedger", Version: "3.4", Quirks: []string{QuirkSlow}},
	{Name: "kinledger", Vendor: "Mossbank Informatics", Product: "KinLedger", Version: "3.5", Quirks: []string{QuirkWebhookNoSeq, QuirkWebhookDuplicated}},
	{Name: "kinledger", Vendor: "Mossbank Informatics", Product: "KinLedger", Version: "3.6"},
	{Name: "tarnline", Vendor: "Tarnwick Records", Product: "Tarnline", Version: "1.0", Quirks: []string{QuirkNHSNoChecksum, QuirkNHSWithSpaces}},
	{Name: "tarnline", Vendor: "Tarnwick Records", Product: "Tarnline", Version: "1.1", Quirks: []string{QuirkNHSWithSpaces}},
	{Name: "tarnline", Vendor: "Tarnwick Records", Product: "Tarnline", Version: "1.2", Quirks: []string{QuirkTransferShieldDropped}},
	{Name: "tarnline", Vendor: "Tarnwick Records", Product: "Tarnline", Version: "1.3", Quirks: []string{QuirkInboundShieldIgnored}},
	{Name: "tarnline", Vendor: "Tarnwick Records", Product: "Tarnline", Version: "1.4"},
	{Name: "quillmere", Vendor: "Quillmere Systems", Product: "Quillmere Case", Version: "4.0", Quirks: []string{QuirkNamesTruncated35, QuirkNamesASCIIFolded, QuirkIfMatchIgnored}},
	{Name: "quillmere", Vendor: "Quillmere Systems", Product: "Quillmere Case", Version: "4.1", Quirks: []string{QuirkNamesTruncated35}},
	{Name: "quillmere", Vendor: "Quillmere Systems", Product: "Quillmere Case", Version: "4.2", Quirks: []string{QuirkInboundConsentsDropped, QuirkTransferCaseRefsDropped}},
	{Name: "quillmere", Vendor: "Quillmere Systems", Product: "Quillmere Case", Version: "4.3"},
	{Name: "thistlegate", Vendor: "Brackenfold Technologies", Product: "Thistlegate", Version: "2.0", Quirks: []string{QuirkSensitiveDetailsLeak, QuirkEndedInvolvementsDeleted}},
	{Name: "thistlegate", Vendor: "Brackenfold Technologies", Product: "Thistlegate", Version: "2.1", Quirks: []string{QuirkEndedInvolvementsDeleted}},
	{Name: "thistlegate", Vendor: "Brackenfold Technologies", Product: "Thistlegate", Version: "2.2", Quirks: []string{QuirkInboundRedeliveryDuplicates}},
	{Name: "thistlegate", Vendor: "Brackenfold Technologies", Product: "Thistlegate", Version: "2.3"},
	{Name: "lanternwise", Vendor: "Orrery Northern", Product: "Lanternwise", Version: "0.9", Quirks: []string{QuirkErrorsTextPlain, QuirkShedNoRetryAfter}},
	{Name: "lanternwise", Vendor: "Orrery Northern", Product: "Lanternwise", Version: "1.0", Quirks: []string{QuirkShedNoRetryAfter}},
	{Name: "lanternwise", Vendor: "Orrery Northern", Product: "Lanternwise", Version: "1.1", Quirks: []string{QuirkWebhookUnsigned}},
	{Name: "lanternwise", Vendor: "Orrery Northern", Product: "Lanternwise", Version: "1.2", Quirks: []string{QuirkWebhookSignedBodyOnly}},
	{Name: "lanternwise", Vendor: "Orrery Northern", Product: "Lanternwise", Version: "1.3"},
}

// Profiles returns every simulated product version, grouped by product, oldest version first.
// The slice and its contents are the caller's.
func Profiles() []Profile {
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		out[i] = p.clone()
	}
	return out
}

// Lookup returns the profile of product name at version, from Profiles.
// name may carry the version itself, as NAME@VERSION (then version must be empty or the same).
// An empty version means the latest version. Names are case-insensitive, and a version may be written with a
// leading "v".
func Lookup(name, version string) (Profile, bool) {
	if n, v, found := strings.Cut(name, "@"); found {
		if version != "" && normaliseVersion(version) != normaliseVersion(v) {
			return Profile{}, false
		}
		name, version = n, v
	}
	name, version = strings.ToLower(strings.TrimSpace(name)), normaliseVersion(version)
	var best Profile
	found := false
	for _, p := range profiles {
		if p.Name != name {
			continue
		}
		if version != "" {
			if p.Version == version {
				return p.clone(), true
			}
			continue
		}
		if !found || compareVersions(p.Version, best.Version) > 0 {
			best, found = p, true
		}
	}
	if !found {
		return Profile{}, false
	}
	return best.clone(), true
}

func normaliseVersion(v string) string {
	return strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(v), "v"), "V")
}

// compareVersions compares dotted numeric versions: "1.10" is after "1.9".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
