package reference

import (
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/icscert/icscert/reference/store"
)

// Role sets of the role table (CONTRACT.md, AUTH-002).
var (
	readers  = []string{rolePractitioner, roleSocialWorker, roleHealthUnscheduled, roleLAManagement}
	writers  = []string{rolePractitioner, roleSocialWorker, roleLAManagement}
	managers = []string{roleLAManagement}
)

// resource is one path of the API and its operations by method.
type resource struct {
	path   string
	public bool
	ops    map[string]*op
}

// routes builds the handler of every path; the exchange's paths are in routes_exchange.go.
func (s *Server) routes() http.Handler {
	sc := s.schemas
	involvementChild := func(tx store.Tx, id string) string {
		inv, err := tx.Involvement(id)
		if err != nil {
			return ""
		}
		return inv.ChildID
	}
	indicatorChild := func(tx store.Tx, id string) string {
		ind, err := tx.Indicator(id)
		if err != nil {
			return ""
		}
		return ind.ChildID
	}
	consentChild := func(tx store.Tx, id string) string {
		con, err := tx.Consent(id)
		if err != nil {
			return ""
		}
		return con.ChildID
	}
	resources := []resource{
		{path: "/healthz", public: true, ops: map[string]*op{
			http.MethodGet: {action: "HEALTH", public: true, run: (*call).health},
		}},
		{path: "/v1/meta", public: true, ops: map[string]*op{
			http.MethodGet: {action: "READ_META", public: true, run: (*call).meta},
		}},
		{path: "/v1/reference/local-authorities", public: true, ops: map[string]*op{
			http.MethodGet: {action: "LIST_LOCAL_AUTHORITIES", public: true, run: (*call).localAuthorities},
		}},
		{path: "/v1/children", ops: map[string]*op{
			http.MethodPost: {action: "CREATE_CHILD", roles: writers, body: sc.newChild, idem: true, run: (*call).createChild},
		}},
		{path: "/v1/children/search", ops: map[string]*op{
			http.MethodPost: {action: actionSearch, roles: readers, purpose: true, body: sc.search, run: (*call).search},
		}},
		{path: "/v1/children/{id}", ops: map[string]*op{
			http.MethodGet: {action: actionRead, roles: readers, purpose: true, pathID: true, childPath: true, run: (*call).getChild},
			http.MethodPatch: {
				action: "UPDATE_CHILD", roles: []string{roleSocialWorker, roleLAManagement}, ifMatch: true,
				body: sc.childPatch, patch: true, pathID: true, childPath: true, run: (*call).updateChild,
			},
		}},
		{path: "/v1/children/{id}/involvements", ops: map[string]*op{
			http.MethodGet: {action: actionListInvolvements, roles: readers, purpose: true, pathID: true, childPath: true, run: (*call).listInvolvements},
			http.MethodPost: {
				action: "ADD_INVOLVEMENT", roles: writers, body: sc.newInvolvement, idem: true,
				pathID: true, childPath: true, run: (*call).addInvolvement,
			},
		}},
		{path: "/v1/involvements/{id}", ops: map[string]*op{
			http.MethodPatch: {
				action: "UPDATE_INVOLVEMENT", roles: writers, ifMatch: true, body: sc.invPatch, patch: true,
				pathID: true, childOf: involvementChild, run: (*call).updateInvolvement,
			},
		}},
		{path: "/v1/children/{id}/indicators", ops: map[string]*op{
			http.MethodPost: {
				action: "ADD_INDICATOR", roles: writers, body: sc.newIndicator, idem: true,
				pathID: true, childPath: true, run: (*call).addIndicator,
			},
		}},
		{path: "/v1/indicators/{id}", ops: map[string]*op{
			http.MethodPatch: {
				action: "UPDATE_INDICATOR", roles: writers, ifMatch: true, body: sc.indicatorPatch, patch: true,
				pathID: true, childOf: indicatorChild, run: (*call).updateIndicator,
			},
		}},
		{path: "/v1/children/{id}/shield", ops: map[string]*op{
			http.MethodPut:    {action: "SHIELD", roles: managers, body: sc.shield, pathID: true, childPath: true, run: (*call).shield},
			http.MethodDelete: {action: "UNSHIELD", roles: managers, pathID: true, childPath: true, run: (*call).unshield},
		}},
		{path: "/v1/children/{id}/merge", ops: map[string]*op{
			http.MethodPost: {action: "MERGE", roles: managers, body: sc.merge, idem: true, pathID: true, childPath: true, run: (*call).merge},
		}},
		{path: "/v1/children/{id}/consents", ops: map[string]*op{
			http.MethodPost: {
				action: "RECORD_CONSENT", roles: writers, body: sc.newConsent, idem: true,
				pathID: true, childPath: true, run: (*call).recordConsent,
			},
		}},
		{path: "/v1/consents/{id}", ops: map[string]*op{
			http.MethodGet: {action: "READ_CONSENT", roles: writers, pathID: true, childOf: consentChild, run: (*call).getConsent},
		}},
		{path: "/v1/consents/{id}/withdrawal", ops: map[string]*op{
			http.MethodPost: {
				action: "WITHDRAW_CONSENT", roles: writers, body: sc.withdrawal, idem: true,
				pathID: true, childOf: consentChild, run: (*call).withdrawConsent,
			},
		}},
		{path: "/v1/children/{id}/access-history", ops: map[string]*op{
			http.MethodGet: {action: "READ_ACCESS_HISTORY", roles: managers, pathID: true, childPath: true, run: (*call).accessHistory},
		}},
		{path: "/v1/audit-events", ops: map[string]*op{
			http.MethodGet: {action: "LIST_AUDIT_EVENTS", roles: []string{roleAuditor, roleLAManagement}, run: (*call).auditEvents},
		}},
		// The log is append-only (AUDIT-003): no method changes or removes an event.
		{path: "/v1/audit-events/{seq}", ops: map[string]*op{}},
	}
	resources = append(resources, s.exchangeResources()...)

	mux := http.NewServeMux()
	publicPaths := map[string]bool{}
	for _, res := range resources {
		mux.Handle(res.path, s.resourceHandler(res))
		publicPaths[res.path] = res.public
	}
	// A path outside /v1/ is public; under it, only the public resources' own paths are.
	public := func(p string) bool {
		return publicPaths[p] || (p != "/v1" && !strings.HasPrefix(p, "/v1/"))
	}
	notFoundV1 := &op{action: "UNKNOWN_PATH", refusal: true, run: func(*call) (*result, error) { return notFound(), nil }}
	notFoundPublic := &op{action: "UNKNOWN_PATH", public: true, refusal: true, run: notFoundV1.run}
	unknown := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
			s.serve(w, r, notFoundV1)
			return
		}
		s.serve(w, r, notFoundPublic)
	})
	mux.Handle("/", unknown)
	return s.bound(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isCleanPath(r.URL.Path) {
			unknown.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}), public)
}

// resourceHandler dispatches a resource's requests by method; other methods get 405
// METHOD_NOT_ALLOWED with Allow.
func (s *Server) resourceHandler(res resource) http.Handler {
	methods := make([]string, 0, len(res.ops))
	for m := range res.ops {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	allow := strings.Join(methods, ", ")
	notAllowed := &op{action: "METHOD_NOT_ALLOWED", public: res.public, refusal: true, run: func(*call) (*result, error) {
		r := problem(codeMethodNotAllowed, "The method is not allowed on this resource; see Allow.")
		r.header = map[string][]string{"Allow": {allow}}
		return r, nil
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o, found := res.ops[r.Method]; found {
			s.serve(w, r, o)
			return
		}
		s.serve(w, r, notAllowed)
	})
}

// isCleanPath reports whether p is a canonical path, which ServeMux would otherwise redirect.
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	clean := path.Clean(p)
	return clean == p || (clean != "/" && clean+"/" == p)
}

// shed bounds the requests served at once; the rest get 503 with Retry-After (ERR-004).
// Health checks are never shed.
func (s *Server) shed(limit int, next http.Handler) http.Handler {
	return Shed(limit, next, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		corr, _ := correlationID(r.Header.Get("X-Correlation-ID"))
		s.write(&call{w: w, r: r, corrID: corr}, unavailable())
	}))
}

// recoverPanics turns a panic outside an operation into a 500 problem without a stack trace.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, not an error chain
				panic(p)
			}
			s.log.Error("handler panicked", "panic", p)
			corr, _ := correlationID(r.Header.Get("X-Correlation-ID"))
			s.write(&call{w: w, r: r, corrID: corr}, internalError())
		}()
		next.ServeHTTP(w, r)
	})
}
