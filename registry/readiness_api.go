package registry

import (
	"net/http"
	"time"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/registry/store"
)

// recordDeploymentCheck is POST /v1/deployment-checks: the department records the result of
// a deployment check of a council's endpoint. A PASS names no failed check; a FAIL names at
// least one, each with its reason.
func (s *Server) recordDeploymentCheck(w http.ResponseWriter, r *http.Request, p *Principal) {
	var in struct {
		Council string              `json:"council"`
		Product string              `json:"product"`
		Version string              `json:"version"`
		Verdict string              `json:"verdict"`
		Failed  []store.FailedCheck `json:"failed"`
	}
	if !decode(w, r, &in) {
		return
	}
	if p.Kind != KindDepartment {
		writeProblem(w, http.StatusForbidden, "NOT_PERMITTED", "%s may not record deployment checks: only the department does", p.Name)
		return
	}
	if in.Council == "" || in.Product == "" || in.Version == "" || (in.Verdict != "PASS" && in.Verdict != "FAIL") {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "council, product, version and a verdict PASS or FAIL are required")
		return
	}
	if c, ok := ident.Councils().Lookup(in.Council); !ok || !c.IsLive() {
		writeProblem(w, http.StatusBadRequest, "UNKNOWN_COUNCIL", "council %q is not a live DfE council code", in.Council)
		return
	}
	if in.Failed == nil {
		in.Failed = []store.FailedCheck{}
	}
	switch {
	case in.Verdict == "PASS" && len(in.Failed) > 0:
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "a PASS names no failed check, but failed[0] is %q", in.Failed[0].Check)
		return
	case in.Verdict == "FAIL" && len(in.Failed) == 0:
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "a FAIL names at least one failed check in failed")
		return
	}
	for i, f := range in.Failed {
		if f.Check == "" || f.Reason == "" {
			writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "failed[%d]: check and reason are required", i)
			return
		}
	}
	c := store.DeploymentCheck{
		RecordedAt: s.now().UTC(), Council: in.Council, Product: in.Product, Version: in.Version,
		Verdict: in.Verdict, Failed: in.Failed, RecordedBy: p.Name,
	}
	id, err := s.st.AddDeploymentCheck(r.Context(), c)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	c.ID = id
	writeJSON(w, http.StatusCreated, c)
}

// listDeploymentChecks is GET /v1/deployment-checks: every check, oldest first.
func (s *Server) listDeploymentChecks(w http.ResponseWriter, r *http.Request, _ *Principal) {
	checks, err := s.st.DeploymentChecks(r.Context())
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	if checks == nil {
		checks = []store.DeploymentCheck{}
	}
	writeJSON(w, http.StatusOK, checks)
}

// parseAsOf reads the asOf query parameter (RFC 3339); "" is the zero time (now).
func parseAsOf(r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("asOf")
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// getReadiness is GET /v1/readiness[?asOf=RFC3339].
func (s *Server) getReadiness(w http.ResponseWriter, r *http.Request, _ *Principal) {
	asOf, ok := parseAsOf(r)
	if !ok {
		writeProblem(w, http.StatusBadRequest, "MALFORMED_REQUEST", "asOf %q is not an RFC 3339 time", r.URL.Query().Get("asOf"))
		return
	}
	rd, err := s.Readiness(r.Context(), asOf)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "INTERNAL_ERROR", "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, rd)
}
