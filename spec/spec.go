// Package spec is the contract of the Child Record Exchange API v1, and the only place it lives:
// the OpenAPI 3.0 document (openapi.yaml), the requirement catalogue (requirements.yaml), the
// wire types and code lists, and a validator that checks recorded exchanges against the
// document. Both files are embedded in the binary.
package spec

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed" // for the embedded contract files
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var openapiYAML []byte

//go:embed requirements.yaml
var requirementsYAML []byte

// OpenAPIYAML returns a copy of the embedded OpenAPI 3.0.3 document, byte for byte; its SHA-256
// is Contract.Digest.
func OpenAPIYAML() []byte { return bytes.Clone(openapiYAML) }

// RequirementsYAML returns a copy of the embedded requirement catalogue, byte for byte.
func RequirementsYAML() []byte { return bytes.Clone(requirementsYAML) }

// Requirement levels.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
)

// groups is the catalogue's group order (DOMAIN.md §6).
var groups = []string{
	"ID", "SEARCH", "READ", "INV", "FLAG", "SENS", "XFER", "CONSENT", "AUDIT", "AUTH", "ERR", "VER", "NOTIF",
}

// requirementID is the form of a requirement id: its group, a hyphen and three digits.
var requirementID = regexp.MustCompile(`^(ID|SEARCH|READ|INV|FLAG|SENS|XFER|CONSENT|AUDIT|AUTH|ERR|VER|NOTIF)-\d{3}$`)

// Groups returns the requirement groups in catalogue order, ID to NOTIF. The caller owns the
// returned slice.
func Groups() []string {
	return slices.Clone(groups)
}

// Requirement is one rule of the catalogue. Level is LevelMust or LevelShould; Group is the
// prefix of ID; Text is the full rule; Source says where the rule comes from.
type Requirement struct {
	ID     string `yaml:"id" json:"id"`
	Level  string `yaml:"level" json:"level"`
	Group  string `yaml:"group" json:"group"`
	Title  string `yaml:"title" json:"title"`
	Text   string `yaml:"text" json:"text"`
	Source string `yaml:"source" json:"source"`
}

// Contract is the loaded, validated contract. It is immutable after Load returns and safe for
// concurrent use; callers must treat Doc, Router and Requirements as read-only.
type Contract struct {
	// Doc is the parsed OpenAPI document, with Servers set to the relative URL "/" so that
	// Router matches requests to any host and port.
	Doc *openapi3.T
	// Router finds the operation of a request (gorilla/mux based).
	Router routers.Router
	// Digest is the lowercase hex SHA-256 of the embedded openapi.yaml.
	Digest string
	// Version is the document's info.version; Load checks that it equals APIVersion.
	Version string
	// Requirements is the catalogue in file order.
	Requirements []Requirement

	byID map[string]int
	// bodyOnly maps each operation of Doc to a copy whose responses declare no headers, so
	// that openapi3filter.ValidateResponse validates the body even when a header is wrong
	// (it stops at the first header error); Check validates headers itself.
	bodyOnly map[*openapi3.Operation]*openapi3.Operation
	// methodNotAllowed is a synthetic operation whose only response is a 405 problem, used to
	// check the answer to a method the contract does not define on an existing path.
	methodNotAllowed *openapi3.Operation
}

var (
	loadOnce   sync.Once
	loaded     *Contract
	errLoading error
)

// Load parses and validates the embedded contract once and returns it; every call returns the
// same *Contract (or the same error). It is safe for concurrent use.
func Load() (*Contract, error) {
	loadOnce.Do(func() {
		loaded, errLoading = load(openapiYAML, requirementsYAML)
	})
	return loaded, errLoading
}

// MustLoad is Load for tests and main: it panics if the embedded contract is invalid, which is
// a programming error.
func MustLoad() *Contract {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// load builds a Contract from an OpenAPI document and a requirement catalogue.
func load(docYAML, catalogueYAML []byte) (*Contract, error) {
	c, err := LoadDocument(docYAML)
	if err != nil {
		return nil, err
	}
	if c.Version != APIVersion {
		return nil, fmt.Errorf("load spec: openapi.yaml info.version is not %s", APIVersion)
	}
	reqs, err := parseRequirements(catalogueYAML)
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	c.Requirements = reqs
	c.byID = make(map[string]int, len(reqs))
	for i, r := range reqs {
		c.byID[r.ID] = i
	}
	return c, nil
}

// LoadDocument parses and validates an OpenAPI 3.0 document that has a components response
// named Problem, and returns a Contract whose Check validates exchanges against it; it has no
// requirement catalogue. The main contract is Load; other APIs of the project (the
// certification registry) use LoadDocument to be checked the same way.
func LoadDocument(docYAML []byte) (*Contract, error) {
	ctx := context.Background()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(docYAML)
	if err != nil {
		return nil, fmt.Errorf("load spec: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.EnableMultiError()); err != nil {
		return nil, fmt.Errorf("load spec: validate openapi.yaml: %w", err)
	}
	if doc.Info == nil {
		return nil, errors.New("load spec: openapi.yaml has no info")
	}
	// Route on the path alone, whatever host and port the system under test listens on.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("load spec: build router: %w", err)
	}
	sum := sha256.Sum256(docYAML)
	c := &Contract{
		Doc:      doc,
		Router:   router,
		Digest:   hex.EncodeToString(sum[:]),
		Version:  doc.Info.Version,
		bodyOnly: make(map[*openapi3.Operation]*openapi3.Operation),
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			c.bodyOnly[op] = withoutResponseHeaders(op)
		}
	}
	problem := doc.Components.Responses["Problem"]
	if problem == nil || problem.Value == nil {
		return nil, errors.New("load spec: openapi.yaml has no Problem response")
	}
	c.methodNotAllowed = &openapi3.Operation{
		Responses: openapi3.NewResponses(openapi3.WithName("405", problem.Value)),
	}
	c.bodyOnly[c.methodNotAllowed] = withoutResponseHeaders(c.methodNotAllowed)
	return c, nil
}

// withoutResponseHeaders returns a shallow copy of op whose responses declare no headers.
func withoutResponseHeaders(op *openapi3.Operation) *openapi3.Operation {
	cp := *op
	cp.Responses = openapi3.NewResponsesWithCapacity(op.Responses.Len())
	for code, ref := range op.Responses.Map() {
		if ref == nil || ref.Value == nil {
			cp.Responses.Set(code, ref)
			continue
		}
		r := *ref.Value
		r.Headers = nil
		cp.Responses.Set(code, &openapi3.ResponseRef{Value: &r})
	}
	return &cp
}

// parseRequirements decodes and checks the requirement catalogue.
func parseRequirements(data []byte) ([]Requirement, error) {
	var file struct {
		Requirements []Requirement `yaml:"requirements"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("parse requirements.yaml: %w", err)
	}
	if len(file.Requirements) == 0 {
		return nil, errors.New("parse requirements.yaml: no requirements")
	}
	seen := make(map[string]bool, len(file.Requirements))
	var errs []error
	for i, r := range file.Requirements {
		switch {
		case !requirementID.MatchString(r.ID):
			errs = append(errs, fmt.Errorf("requirement %d: malformed id %q", i+1, r.ID))
		case seen[r.ID]:
			errs = append(errs, fmt.Errorf("requirement %s: duplicate id", r.ID))
		case r.Group != r.ID[:strings.LastIndexByte(r.ID, '-')]:
			errs = append(errs, fmt.Errorf("requirement %s: group %q is not the id's prefix", r.ID, r.Group))
		case r.Level != LevelMust && r.Level != LevelShould:
			errs = append(errs, fmt.Errorf("requirement %s: level %q is not MUST or SHOULD", r.ID, r.Level))
		case strings.TrimSpace(r.Title) == "" || strings.TrimSpace(r.Text) == "" || strings.TrimSpace(r.Source) == "":
			errs = append(errs, fmt.Errorf("requirement %s: title, text and source are required", r.ID))
		}
		seen[r.ID] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("check requirements.yaml: %w", err)
	}
	return file.Requirements, nil
}

// Requirement returns the catalogue entry with the given id, and whether there is one.
func (c *Contract) Requirement(id string) (Requirement, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Requirement{}, false
	}
	return c.Requirements[i], true
}
