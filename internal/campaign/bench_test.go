package campaign_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/icscert/icscert/internal/campaign"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/simulators"
)

// BenchmarkCampaign is the wall time of the whole campaign in process (DefaultWeeks weeks), by
// the number of councils taking part and of product versions released (the first versions of
// each product, in catalogue order: 10 is the first two or so of each product, 20 all). It
// reports the runs made and the memory: heap-sys-MB is the most heap the process held from the
// system, total-alloc-MB what it allocated in all.
func BenchmarkCampaign(b *testing.B) {
	all := simulators.Profiles()
	for _, versions := range []int{10, len(all)} {
		for _, councils := range []int{50, 100, 150} {
			b.Run(fmt.Sprintf("versions=%d/councils=%d", versions, councils), func(b *testing.B) {
				profiles := firstVersions(all, versions)
				var res *campaign.Result
				for b.Loop() {
					st, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "registry.db"))
					if err != nil {
						b.Fatal(err)
					}
					res, err = campaign.Run(context.Background(), campaign.Options{Store: st, OutDir: b.TempDir(), Councils: councils, Profiles: profiles})
					_ = st.Close()
					if err != nil {
						b.Fatal(err)
					}
				}
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				b.ReportMetric(float64(res.Certified), "certifications")
				b.ReportMetric(float64(res.Pairs), "pairs")
				b.ReportMetric(float64(res.Checks), "checks")
				b.ReportMetric(float64(res.Readiness.Ready), "ready")
				b.ReportMetric(float64(m.HeapSys)/(1<<20), "heap-sys-MB")
				b.ReportMetric(float64(m.TotalAlloc)/(1<<20), "total-alloc-MB")
			})
		}
	}
}

// firstVersions returns n of profiles, taking each product's versions oldest first, round
// robin over the products, so that every product is present.
func firstVersions(profiles []simulators.Profile, n int) []simulators.Profile {
	var products []string
	by := map[string][]simulators.Profile{}
	for _, p := range profiles {
		if _, ok := by[p.Name]; !ok {
			products = append(products, p.Name)
		}
		by[p.Name] = append(by[p.Name], p)
	}
	picked := map[string]int{}
	for len(picked) == 0 || sum(picked) < min(n, len(profiles)) {
		for _, name := range products {
			if picked[name] < len(by[name]) && sum(picked) < n {
				picked[name]++
			}
		}
	}
	var out []simulators.Profile
	for _, name := range products {
		out = append(out, by[name][:picked[name]]...)
	}
	return out
}

func sum(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}
