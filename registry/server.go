// Package registry is the certification registry: an HTTP API (openapi.yaml, embedded) that
// receives signed certificates from suppliers, deployments from councils and pair results,
// checks every submission automatically, keeps all of it append-only in a store (SQLite or
// PostgreSQL, package registry/store) and answers can-i-deploy.
package registry

import (
	"bytes"
	"context"
	_ "embed" // the registry's OpenAPI document
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/registry/store"
	"github.com/icscert/icscert/reports"
)

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPIYAML returns a copy of the registry's OpenAPI 3.0.3 document.
func OpenAPIYAML() []byte { return bytes.Clone(openapiYAML) }

// maxBody bounds a request body.
const maxBody = bundle.MaxSize

// Server serves the registry API. It is safe for concurrent use.
type Server struct {
	cfg      *Config
	st       *store.Store
	now      func() time.Time
	suite    bundle.Manifest
	deadline time.Time
}

// Options configures New. Now defaults to time.Now, Suite to bundle.CurrentSuite, Deadline
// to the configuration's deadline.
//
// Now is the registry's clock: every record is stamped with it and readiness "now" is read
// from it, so a simulated campaign can run weeks against an embedded registry by advancing
// its own clock. The API has no way to backdate a record.
type Options struct {
	Config   *Config
	Store    *store.Store
	Now      func() time.Time
	Suite    bundle.Manifest
	Deadline time.Time
}

// New returns a server over opts.Store; the caller keeps ownership of the store.
func New(opts Options) (*Server, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("new registry: a config and a store are required")
	}
	s := &Server{cfg: opts.Config, st: opts.Store, now: opts.Now, suite: opts.Suite, deadline: opts.Deadline}
	if s.deadline.IsZero() {
		s.deadline = opts.Config.deadline
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.suite.Digest == "" {
		var err error
		if s.suite, err = bundle.CurrentSuite(); err != nil {
			return nil, fmt.Errorf("new registry: %w", err)
		}
	}
	return s, nil
}

// Handler returns the API's handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("POST /v1/certificates", s.auth(s.submitCertificate))
	mux.Handle("GET /v1/certificates", s.auth(s.listCertificates))
	mux.Handle("GET /v1/certificates/{id}", s.auth(s.getCertificate))
	mux.Handle("POST /v1/deployments", s.auth(s.declareDeployment))
	mux.Handle("GET /v1/deployments", s.auth(s.listDeployments))
	mux.Handle("POST /v1/pairs", s.auth(s.submitPair))
	mux.Handle("GET /v1/pairs", s.auth(s.listPairs))
	mux.Handle("GET /v1/can-i-deploy", s.auth(s.canIDeploy))
	mux.Handle("POST /v1/deployment-checks", s.auth(s.recordDeploymentCheck))
	mux.Handle("GET /v1/deployment-checks", s.auth(s.listDeploymentChecks))
	mux.Handle("GET /v1/readiness", s.auth(s.getReadiness))
	mux.HandleFunc("GET /dashboard/", s.serveDashboard) // public, read-only: see dashboard.go
	return mux
}

// Problem is an application/problem+json body.
type Problem struct {
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Status     int               `json:"status"`
	Code       string            `json:"code"`
	Detail     string            `json:"detail"`
	Submission *store.Submission `json:"submission,omitempty"`
}

// Error is "CODE: detail".
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

func writeProblem(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSONAs(w, "application/problem+json", status, &Problem{
		Type: "https://icscert.dev/registry/problems/" + strings.ToLower(code), Title: http.StatusText(status),
		Status: status, Code: code, Detail: fmt.Sprintf(format, args...),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, "application/json", status, v)
}

func writeJSONAs(w http.ResponseWriter, ct string, status int, v any) {
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type handler func(w http.ResponseWriter, r *http.Request, p *Principal)

// auth authenticates the bearer token and passes its principal on.
func (s *Server) auth(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			writeProblem(w, http.StatusUnauthorized, "UNAUTHENTICATED", "a bearer token is required")
			return
		}
		p, err := s.cfg.principal(token)
		if err != nil {
			writeProblem(w, http.StatusUnauthorized, "UNAUTHENTICATED", "the token is not known to this registry")
			return
		}
		h(w, r, p)
	})
}

// decode reads a strict JSON body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "the body does not decode: %v", err)
		return false
	}
	return true
}

func (s *Server) submitCertificate(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in struct {
		Product string          `json:"product"`
		Version string          `json:"version"`
		Bundle  json.RawMessage `json:"bundle"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Product == "" || in.Version == "" || len(in.Bundle) == 0 {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "product, version and bundle are required")
		return
	}
	if !p.Owns(in.Product) {
		writeProblem(w, http.StatusForbidden, "PRODUCT_NOT_OWNED", "%s may not submit certificates for product %q", p.Name, in.Product)
		return
	}
	sub, code := s.check(r.Context(), p, in.Product, in.Version, in.Bundle)
	id, err := s.st.AddSubmission(r.Context(), sub)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "store the submission: %v", err)
		return
	}
	sub.ID = id
	if code != "" {
		failedCheck := ""
		for _, c := range sub.Checks {
			if !c.Passed {
				failedCheck = c.Name + ": " + c.Detail
				break
			}
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(&Problem{
			Type: "https://icscert.dev/registry/problems/" + strings.ToLower(code), Title: http.StatusText(http.StatusUnprocessableEntity),
			Status: http.StatusUnprocessableEntity, Code: code,
			Detail:     fmt.Sprintf("submission %d of %s %s is rejected: %s", id, in.Product, in.Version, failedCheck),
			Submission: &sub,
		})
		return
	}
	writeJSON(w, http.StatusCreated, sub)
}

// check runs every automatic check of a submitted bundle and returns the record to store,
// with the problem code of the first failed integrity check ("" when it is accepted).
func (s *Server) check(ctx context.Context, p *Principal, product, version string, raw json.RawMessage) (store.Submission, string) {
	now := s.now().UTC()
	sub := store.Submission{ReceivedAt: now, Supplier: p.Name, Product: product, Version: version, Bundle: raw, FailedRequirements: []string{}}
	add := func(name string, passed bool, format string, args ...any) {
		sub.Checks = append(sub.Checks, store.Check{Name: name, Passed: passed, Detail: fmt.Sprintf(format, args...)})
	}
	var (
		v       *bundle.Verified
		openErr error
	)
	for _, key := range p.trusted {
		if v, openErr = bundle.Open(ctx, raw, key); bundle.KindOf(openErr) != bundle.KindWrongKey {
			break
		}
	}
	if v == nil {
		add("signature", false, "%v", openErr)
		sub.Status = "rejected"
		if bundle.KindOf(openErr) == bundle.KindWrongKey {
			return sub, "UNTRUSTED_KEY"
		}
		return sub, "BUNDLE_TAMPERED"
	}
	c := v.Certificate()
	sub.Verdict, sub.FailedRequirements = string(c.Verdict), c.FailedRequirements
	sub.SuiteDigest, sub.IssuedAt, sub.Expires, sub.KeyID = c.Suite.Digest, c.IssuedAt, c.Expires, v.KeyID
	add("signature", true, "signed by %s's trusted key %s", p.Name, v.KeyID)
	code := ""
	fail := func(c string) {
		if code == "" {
			code = c
		}
	}
	if c.Product.Product == product && c.Product.Version == version {
		add("product", true, "the bundle certifies %s", c.Product)
	} else {
		add("product", false, "declared %s %s, but the bundle certifies %s", product, version, c.Product)
		fail("PRODUCT_MISMATCH")
	}
	add("evidence", true, "%d files indexed, report.json included", len(c.Evidence))
	if err := v.CheckSuite(s.suite); err != nil {
		add("suite", false, "%v", err)
		fail("SUITE_NOT_CURRENT")
	} else {
		add("suite", true, "current suite %s", s.suite.Digest)
	}
	if err := v.CheckTime(now); err != nil {
		add("validity", false, "%v", err)
		fail("CERTIFICATE_EXPIRED")
	} else {
		add("validity", true, "valid until %s", c.Expires.Format(time.RFC3339))
	}
	if c.Signer.DevelopmentKey {
		add("signature", false, "signed with a development key: not trustworthy")
		fail("UNTRUSTED_KEY")
	}
	if c.Conformant {
		add("verdict", true, "%s: conformant", c.Verdict)
	} else if c.Verdict == reports.Incomplete {
		add("verdict", false, "%s: not conformant; MUST requirements were not tested", c.Verdict)
	} else {
		add("verdict", false, "%s: not conformant; failed %s", c.Verdict, strings.Join(c.FailedRequirements, ", "))
	}
	switch {
	case code != "":
		sub.Status = "rejected"
	case c.Conformant:
		sub.Status = "certified"
	default:
		sub.Status = "not-conformant"
	}
	return sub, code
}

func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request, p *Principal) {
	subs, err := s.st.Submissions(r.Context(), r.URL.Query().Get("product"), r.URL.Query().Get("version"))
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	out := []store.Submission{}
	for _, sub := range subs {
		if p.Kind != KindSupplier || p.Owns(sub.Product) {
			out = append(out, sub)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request, p *Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeProblem(w, http.StatusNotFound, "RECORD_NOT_FOUND", "no submission %q", r.PathValue("id"))
		return
	}
	sub, err := s.st.Submission(r.Context(), id)
	if err != nil || (p.Kind == KindSupplier && !p.Owns(sub.Product)) {
		writeProblem(w, http.StatusNotFound, "RECORD_NOT_FOUND", "no submission %d", id)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) declareDeployment(w http.ResponseWriter, r *http.Request, p *Principal) {
	var d store.Deployment
	var in struct {
		Council   string `json:"council"`
		Product   string `json:"product"`
		Version   string `json:"version"`
		BaseURL   string `json:"baseUrl"`
		Withdrawn bool   `json:"withdrawn"`
	}
	if !decode(w, r, &in) {
		return
	}
	if p.Kind != KindCouncil || p.Council != in.Council {
		writeProblem(w, http.StatusForbidden, "COUNCIL_NOT_OWNED", "%s may not declare deployments for council %q", p.Name, in.Council)
		return
	}
	if in.Product == "" || (!in.Withdrawn && (in.Version == "" || in.BaseURL == "")) {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "product, and unless withdrawn version and baseUrl, are required")
		return
	}
	d = store.Deployment{DeclaredAt: s.now().UTC(), Council: in.Council, Product: in.Product, Version: in.Version, BaseURL: in.BaseURL, Withdrawn: in.Withdrawn, DeclaredBy: p.Name}
	id, err := s.st.AddDeployment(r.Context(), d)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	d.ID = id
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request, _ *Principal) {
	deps, err := s.st.Deployments(r.Context())
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	if deps == nil {
		deps = []store.Deployment{}
	}
	writeJSON(w, http.StatusOK, deps)
}

func (s *Server) submitPair(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in store.Pair
	if !decode(w, r, &in) {
		return
	}
	if p.Kind != KindDepartment && !p.Owns(in.SenderProduct) && !p.Owns(in.ReceiverProduct) {
		writeProblem(w, http.StatusForbidden, "NOT_PERMITTED", "%s may not record pair results between %s and %s", p.Name, in.SenderProduct, in.ReceiverProduct)
		return
	}
	if in.SenderProduct == "" || in.SenderVersion == "" || in.ReceiverProduct == "" || in.ReceiverVersion == "" || (in.Verdict != "PASS" && in.Verdict != "FAIL") {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "sender and receiver product and version, and a verdict PASS or FAIL, are required")
		return
	}
	if in.FailedRequirements == nil {
		in.FailedRequirements = []string{}
	}
	in.ReceivedAt, in.SubmittedBy = s.now().UTC(), p.Name
	id, err := s.st.AddPair(r.Context(), in)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	in.ID = id
	writeJSON(w, http.StatusCreated, in)
}

func (s *Server) listPairs(w http.ResponseWriter, r *http.Request, _ *Principal) {
	pairs, err := s.st.Pairs(r.Context())
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	if pairs == nil {
		pairs = []store.Pair{}
	}
	writeJSON(w, http.StatusOK, pairs)
}

func (s *Server) canIDeploy(w http.ResponseWriter, r *http.Request, _ *Principal) {
	q := r.URL.Query()
	product, version, council := q.Get("product"), q.Get("version"), q.Get("council")
	if product == "" || version == "" {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "product and version are required")
		return
	}
	if council != "" {
		if _, ok := ident.Councils().Lookup(council); !ok {
			writeProblem(w, http.StatusBadRequest, "UNKNOWN_COUNCIL", "council %q is not a known DfE council code", council)
			return
		}
	}
	ans, err := s.Decide(r.Context(), product, version, council)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}
