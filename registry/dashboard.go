package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The national readiness dashboard is one set of pages, rendered by one mechanism for two
// uses: served by the registry under /dashboard/ (public and read-only: it shows council
// names, product versions, certificate status and pair results, which the department
// publishes, and nothing a token guards such as bundles) and written as static files by
// WriteDashboard. Every link is relative, the filter is a small inline script pinned by the
// page's Content-Security-Policy (without script every council is listed), the chart is
// server-side SVG, and nothing is fetched from elsewhere.

//go:embed dashboard
var dashboardFS embed.FS

var (
	dashboardScript = mustRead("dashboard/filter.js")
	dashboardStyle  = mustRead("dashboard/style.css")
	dashboardTmpl   = template.Must(template.New("").Funcs(template.FuncMap{
		"date":    func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"join":    strings.Join,
		"product": func(c CouncilReadiness) string { p, _ := councilVersion(c); return p },
		"version": func(c CouncilReadiness) string { _, v := councilVersion(c); return v },
		"pv": func(c CouncilReadiness) string {
			if c.Deployment == nil {
				return ""
			}
			return pv(c.Deployment.Product, c.Deployment.Version)
		},
	}).ParseFS(dashboardFS, "dashboard/*.tmpl"))
	dashboardCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + scriptHash(dashboardScript) +
		"'; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := dashboardFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func scriptHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// dashboard is the readiness rendered into pages.
type dashboard struct {
	r      *Readiness
	byCode map[string]CouncilReadiness
	// query is appended to every link between pages ("?asOf=..." when the registry serves an
	// earlier moment), so that following a link stays at the same moment.
	query string
}

func (s *Server) dashboard(ctx context.Context, asOf time.Time) (*dashboard, error) {
	r, err := s.Readiness(ctx, asOf)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d := &dashboard{r: r, byCode: map[string]CouncilReadiness{}}
	for _, c := range r.Councils {
		d.byCode[c.Code] = c
	}
	return d, nil
}

// pages lists every page's path relative to the dashboard's root.
func (d *dashboard) pages() []string {
	out := []string{"index.html"}
	for _, c := range d.r.Councils {
		out = append(out, "councils/"+c.Code+".html")
	}
	return out
}

// render renders one page; ok is false for a path that is not a page.
func (d *dashboard) render(page string) ([]byte, bool, error) {
	var b bytes.Buffer
	common := map[string]any{"CSP": dashboardCSP, "Style": template.CSS(dashboardStyle), "AsOf": d.r.AsOf.Format(time.RFC3339), "R": d.r, "Q": d.query}
	if page == "index.html" {
		regions, products, deployed := []string{}, []string{}, []string{}
		cells := map[string]MatrixCell{}
		for _, c := range d.r.Councils {
			if c.RegionName != "" && !slices.Contains(regions, c.RegionName) {
				regions = append(regions, c.RegionName)
			}
			if c.Deployment != nil {
				if !slices.Contains(products, c.Deployment.Product) {
					products = append(products, c.Deployment.Product)
				}
				if k := pv(c.Deployment.Product, c.Deployment.Version); !slices.Contains(deployed, k) {
					deployed = append(deployed, k)
				}
			}
		}
		for _, m := range d.r.Matrix {
			cells[m.Sender+">"+m.Receiver] = m
		}
		slices.Sort(regions)
		slices.Sort(products)
		slices.Sort(deployed)
		common["Regions"], common["Products"], common["Deployed"], common["Cells"] = regions, products, deployed, cells
		common["Chart"] = template.HTML(d.chart()) //nolint:gosec // built from numbers and escaped dates only
		common["Script"] = template.JS(dashboardScript)
		err := dashboardTmpl.ExecuteTemplate(&b, "index.html.tmpl", common)
		return b.Bytes(), true, err
	}
	code, ok := strings.CutPrefix(page, "councils/")
	code, ok2 := strings.CutSuffix(code, ".html")
	c, found := d.byCode[code]
	if !ok || !ok2 || !found {
		return nil, false, nil
	}
	type point struct {
		At    time.Time
		Ready bool
	}
	var history []point
	for i, p := range d.r.Series {
		if i < len(c.Weekly) {
			history = append(history, point{p.At, c.Weekly[i]})
		}
	}
	slices.Reverse(history) // latest first
	var peers []CouncilReadiness
	for _, p := range c.BlockingPeers {
		peers = append(peers, d.byCode[p])
	}
	common["C"], common["History"], common["Peers"] = c, history, peers
	if c.Deployment != nil {
		for _, v := range d.r.Versions {
			if v.Product == c.Deployment.Product && v.Version == c.Deployment.Version {
				common["Version"] = v
			}
		}
	}
	err := dashboardTmpl.ExecuteTemplate(&b, "council.html.tmpl", common)
	return b.Bytes(), true, err
}

// chart draws the weekly series, the deadline and the forecast as SVG.
func (d *dashboard) chart() string {
	const w, h, left, right, top, bottom = 760.0, 260.0, 50.0, 20.0, 20.0, 40.0
	series, f := d.r.Series, d.r.Forecast
	if len(series) == 0 {
		return `<p id="chart">No history yet.</p>`
	}
	t0, t1 := series[0].At, series[len(series)-1].At
	if f != nil && f.Deadline.After(t1) {
		t1 = f.Deadline
	}
	span := t1.Sub(t0).Seconds()
	if span <= 0 {
		span = 1
	}
	total := float64(max(d.r.Total, 1))
	x := func(t time.Time) float64 { return left + (w-left-right)*t.Sub(t0).Seconds()/span }
	y := func(v float64) float64 { return top + (h-top-bottom)*(1-v/total) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="chart" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">Councils ready each week, %d of %d now</title>`, d.r.Ready, d.r.Total)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, left, y(0), w-right, y(0))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, left, y(0), left, y(total))
	for _, v := range []float64{0, total / 2, total} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f</text>`, left-4, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, left, h-bottom+16, html.EscapeString(t0.Format(time.DateOnly)))
	pts := make([]string, len(series))
	for i, p := range series {
		pts[i] = fmt.Sprintf("%.1f,%.1f", x(p.At), y(float64(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline id="chart-series" fill="none" stroke="#1d70b8" stroke-width="2" points="%s"/>`, strings.Join(pts, " "))
	for _, p := range series {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#1d70b8"><title>%s: %d ready</title></circle>`, x(p.At), y(float64(p.Value)), p.At.Format(time.DateOnly), p.Value)
	}
	if f != nil {
		last := series[len(series)-1]
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b00" stroke-dasharray="4 3"/>`, x(f.Deadline), y(0), x(f.Deadline), y(total))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">deadline %s</text>`, x(f.Deadline)-2, h-bottom+16, html.EscapeString(f.Deadline.Format(time.DateOnly)))
		if f.Deadline.After(last.At) {
			fmt.Fprintf(&b, `<line id="chart-forecast" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#1d70b8" stroke-dasharray="6 4"/>`,
				x(last.At), y(float64(last.Value)), x(f.Deadline), y(float64(f.Projected)))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">projected %d, %d miss</text>`, x(f.Deadline)-4, y(float64(f.Projected))-6, f.Projected, f.Miss)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// WriteDashboard writes the dashboard as of asOf (zero: now) into dir as static files:
// index.html and councils/CODE.html for every live council. The pages are the ones the
// registry serves under /dashboard/.
func WriteDashboard(ctx context.Context, s *Server, dir string, asOf time.Time) error {
	d, err := s.dashboard(ctx, asOf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "councils"), 0o755); err != nil {
		return fmt.Errorf("write dashboard: %w", err)
	}
	for _, page := range d.pages() {
		data, _, err := d.render(page)
		if err != nil {
			return fmt.Errorf("write dashboard %s: %w", page, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(page)), data, 0o644); err != nil {
			return fmt.Errorf("write dashboard: %w", err)
		}
	}
	return nil
}

// serveDashboard is GET /dashboard/{page...}: public and read-only; ?asOf=RFC3339 shows an
// earlier moment.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request) {
	page := strings.TrimPrefix(r.URL.Path, "/dashboard/")
	if page == "" {
		page = "index.html"
	}
	asOf, ok := parseAsOf(r)
	if !ok {
		http.Error(w, "asOf is not an RFC 3339 time", http.StatusBadRequest)
		return
	}
	d, err := s.dashboard(r.Context(), asOf)
	if err != nil {
		http.Error(w, "the dashboard could not be built", http.StatusInternalServerError)
		return
	}
	if r.URL.Query().Get("asOf") != "" {
		d.query = "?" + url.Values{"asOf": {d.r.AsOf.Format(time.RFC3339)}}.Encode()
	}
	data, found, err := d.render(page)
	switch {
	case err != nil:
		http.Error(w, "the dashboard could not be built", http.StatusInternalServerError)
		return
	case !found:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", dashboardCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}
