package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reports"
)

// Target describes a system under test, as read from a target file (YAML):
//
//	name: Camden sandbox            # required
//	baseUrl: https://cre.example    # the system at a URL; or, instead:
//	profile: wrenfold@2.0           #   a simulated product, run in process; or
//	image: supplier/product:4.2     #   a local container image the harness starts
//	vendor: Example Ltd
//	product: CaseBook
//	version: 4.2.0
//	councils: ["202", "201"]        # DfE codes of live councils the system serves
//	capabilities:
//	  supported: [test-clock]       # optional capabilities (suite tags @cap-<name>)
//	  unsupported: []
//	auth:
//	  audience: child-record-exchange
//	exchange:                       # transfers with the peer system (optional)
//	  advertise: http://host.docker.internal:4000
//	  clientId: target
//	  clientSecret: sandbox-secret
//	webhooks:                       # optional: how the system reaches the harness's
//	  advertise: http://host:8099   #   webhook receiver (see Webhooks)
//
// Unknown keys are an error naming the key and its line.
//
// How the system exchanges transfers: every run serves a national directory and identity
// service on the same listener as the JWKS (GET <listener>/directory/v1/councils/{dfe} gives
// {"dfeCode", "baseUrl"}, 404 for an unlisted council; POST <listener>/oauth2/token with the
// client-credentials grant gives a SYSTEM token signed by the run's issuer) and puts a peer
// system beside the target (the in-process reference unless Config.Peer names another, serving
// a live council that is not the target's). The directory lists the target's councils (and
// 202, for which the suite's scenarios act) at the target's base URL and the peer's council at
// the peer's. exchange.advertise is the base URL at which the system reaches that listener
// when it is not the listener's own address (a container reaches the host as
// http://host.docker.internal:PORT; use a fixed --listen address reachable from it).
// exchange.clientId (default "target") and exchange.clientSecret (default: a fresh secret each
// run, handed to a system the harness starts) are the system's credentials at the token
// endpoint; a system reached by URL must be configured with them, with the directory and token
// URLs the run prints, and must send transfer packages to the base URL the directory names.
//
// How the system trusts the harness's tokens: every run creates a fresh token issuer. For a
// system reached by URL the harness serves the issuer's JWKS on a loopback listener (the
// --listen address, default 127.0.0.1:0) at <issuer>/.well-known/jwks.json, prints that URL and
// signs tokens with iss=<issuer> and aud=auth.audience; the system must accept that issuer and
// fetch keys from that URL (a fixed --listen address keeps the URL stable between runs; the key
// id changes every run, so the system must re-fetch on an unknown kid). A system the harness
// starts itself (Starter) is handed the JWKS directly in a Trust.
//
// A Target is not safe for concurrent mutation; Run only reads it.
type Target struct {
	Name         string       `yaml:"name"`
	BaseURL      string       `yaml:"baseUrl"`
	Vendor       string       `yaml:"vendor"`
	Product      string       `yaml:"product"`
	Version      string       `yaml:"version"`
	Councils     []string     `yaml:"councils"`
	Capabilities Capabilities `yaml:"capabilities"`
	Auth         Auth         `yaml:"auth"`
	Exchange     Exchange     `yaml:"exchange"`
	// Webhooks configures the harness's webhook receiver (see Webhooks); optional.
	Webhooks Webhooks `yaml:"webhooks"`
	// Profile names a simulated product (NAME or NAME@VERSION) to run in process.
	Profile string `yaml:"profile"`
	// Image names a local container image of the system, started for the run. It must serve
	// the API on port 8080 and accept the flag --jwks-inline with the harness's JWKS.
	Image string `yaml:"image"`

	// Starter, when set, starts the system for the run (the in-process reference, a simulated
	// vendor, a container); BaseURL is then taken from what it returns. It is never read from
	// a file.
	Starter Starter `yaml:"-"`
}

// Capabilities lists the optional capabilities a system declares. A scenario tagged
// @cap-<name> runs only when <name> is Supported; otherwise it is NOT_APPLICABLE.
type Capabilities struct {
	Supported   []string `yaml:"supported"`
	Unsupported []string `yaml:"unsupported"`
}

// Auth configures the tokens the harness issues for the system.
type Auth struct {
	// Audience is the aud claim the system expects; empty means fixtures.DefaultAudience.
	Audience string `yaml:"audience"`
}

// Exchange says how the system reaches the run's national directory and identity service
// (see Target).
type Exchange struct {
	// Advertise is the base URL of the harness's listener as the system reaches it; empty
	// means the listener's own address.
	Advertise string `yaml:"advertise"`
	// ClientID is the system's client id at the token endpoint; empty means "target".
	ClientID string `yaml:"clientId"`
	// ClientSecret is its secret; empty means a fresh one for each run.
	ClientSecret string `yaml:"clientSecret"`
}

// Trust is what a started system needs to accept the harness's tokens and to exchange
// transfers with the peer system.
type Trust struct {
	JWKS     []byte // the issuer's public keys, as a JWK Set document
	JWKSURL  string // where the harness serves the same document
	Issuer   string // the iss claim of every token
	Audience string // the aud claim of every token
	// Exchange names the directory, the token endpoint, the system's client credentials and
	// its own councils; Exchange.Options gives the reference.ExchangeOptions to start a
	// reference-based system with.
	Exchange directory.Settings
}

// Starter is implemented by systems the harness starts and stops itself. Start is called once
// per run, after the token issuer exists and before preflight; it returns the system's base URL
// and a stop function that Run calls exactly once when the run ends. The context is the run's:
// Start must not keep using it after returning.
type Starter interface {
	Start(ctx context.Context, trust Trust) (baseURL string, stop func(), err error)
}

// StartFunc adapts a function to Starter.
type StartFunc func(ctx context.Context, trust Trust) (baseURL string, stop func(), err error)

// Start calls f.
func (f StartFunc) Start(ctx context.Context, trust Trust) (string, func(), error) {
	return f(ctx, trust)
}

// Start starts the system if t has a Starter and returns its base URL and a stop function to
// call once; for a system reached by URL it returns t.BaseURL and a no-op stop.
func (t *Target) Start(ctx context.Context, trust Trust) (baseURL string, stop func(), err error) {
	if t.Starter == nil {
		if t.Profile != "" || t.Image != "" {
			return "", nil, fmt.Errorf("start target %q: it names a profile or an image, but nothing was set up to start it", t.Name)
		}
		return t.BaseURL, func() {}, nil
	}
	baseURL, stop, err = t.Starter.Start(ctx, trust)
	if err != nil {
		return "", nil, fmt.Errorf("start target %q: %w", t.Name, err)
	}
	if err := checkBaseURL(baseURL); err != nil {
		stop()
		return "", nil, fmt.Errorf("start target %q: %w", t.Name, err)
	}
	return strings.TrimRight(baseURL, "/"), stop, nil
}

// Bounds on a target file: its size, each string in it and each list.
const (
	MaxTargetFile   = 64 << 10
	MaxTargetString = 200
	MaxTargetList   = 50
)

// LoadTarget reads (at most MaxTargetFile bytes) and validates a target file. Errors name the file, and the key and line or
// the field at fault.
func LoadTarget(path string) (*Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load target: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTargetFile+1))
	if err != nil {
		return nil, fmt.Errorf("load target: %w", err)
	}
	if len(data) > MaxTargetFile {
		return nil, fmt.Errorf("load target %s: the file is larger than %d KiB", path, MaxTargetFile>>10)
	}
	t, err := ParseTarget(data)
	if err != nil {
		return nil, fmt.Errorf("load target %s: %w", path, err)
	}
	return t, nil
}

var yamlUnknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// ParseTarget decodes and validates a target file's contents.
func ParseTarget(data []byte) (*Target, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var t Target
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				if g := yamlUnknownField.FindStringSubmatch(m); g != nil {
					m = fmt.Sprintf("line %s: unknown key %q", g[1], g[2])
				}
				msgs[i] = m
			}
			return nil, errors.New(strings.Join(msgs, "; "))
		}
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

var capabilityRe = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Validate checks every field and returns all the problems at once, each naming its field.
func (t *Target) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(t.Name) == "" {
		bad("name", "is required")
	}
	for _, f := range []struct{ field, value string }{
		{"name", t.Name},
		{"baseUrl", t.BaseURL},
		{"vendor", t.Vendor},
		{"product", t.Product},
		{"version", t.Version},
		{"profile", t.Profile},
		{"image", t.Image},
		{"auth.audience", t.Auth.Audience},
		{"exchange.advertise", t.Exchange.Advertise},
		{"exchange.clientId", t.Exchange.ClientID},
		{"exchange.clientSecret", t.Exchange.ClientSecret},
	} {
		if len(f.value) > MaxTargetString {
			bad(f.field, "is %d bytes long; at most %d are allowed", len(f.value), MaxTargetString)
		}
	}
	for _, l := range []struct {
		field string
		n     int
	}{{"councils", len(t.Councils)}, {"capabilities.supported", len(t.Capabilities.Supported)}, {"capabilities.unsupported", len(t.Capabilities.Unsupported)}} {
		if l.n > MaxTargetList {
			bad(l.field, "lists %d entries; at most %d are allowed", l.n, MaxTargetList)
			return errors.Join(errs...)
		}
	}
	given := 0
	for _, v := range []string{t.BaseURL, t.Profile, t.Image} {
		if v != "" {
			given++
		}
	}
	switch {
	case given > 1:
		bad("baseUrl", "baseUrl, profile and image are alternatives: give one")
	case given == 0 && t.Starter == nil:
		bad("baseUrl", "is required (or profile, or image)")
	case t.BaseURL != "":
		if err := checkBaseURL(t.BaseURL); err != nil {
			bad("baseUrl", "%v", err)
		}
	}
	if t.Exchange.Advertise != "" {
		if err := checkBaseURL(t.Exchange.Advertise); err != nil {
			bad("exchange.advertise", "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, c := range t.Councils {
		field := fmt.Sprintf("councils[%d]", i)
		switch {
		case seen[c]:
			bad(field, "%q is listed twice", c)
		case len(c) != 3 || strings.Trim(c, "0123456789") != "":
			bad(field, "%q is not a 3-digit DfE council code", c)
		default:
			if err := ident.Councils().CheckNewResponsibility(c); err != nil {
				bad(field, "%q: %v", c, err)
			}
		}
		seen[c] = true
	}
	declared := map[string]string{}
	for _, l := range []struct {
		field string
		names []string
	}{{"capabilities.supported", t.Capabilities.Supported}, {"capabilities.unsupported", t.Capabilities.Unsupported}} {
		for i, c := range l.names {
			field := fmt.Sprintf("%s[%d]", l.field, i)
			if !capabilityRe.MatchString(c) {
				bad(field, "%q is not a capability name (lower-case letters, digits and hyphens)", c)
				continue
			}
			if prev, ok := declared[c]; ok {
				bad(field, "%q is already declared in %s", c, prev)
				continue
			}
			declared[c] = l.field
		}
	}
	errs = append(errs, t.Webhooks.validate()...)
	return errors.Join(errs...)
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must be an http or https URL", s)
	case u.Host == "":
		return fmt.Errorf("%q has no host", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %s is not between 1 and 65535", s, p)
		}
	}
	return nil
}

// Supports reports whether the target declares capability name supported.
func (t *Target) Supports(name string) bool {
	for _, c := range t.Capabilities.Supported {
		if c == name {
			return true
		}
	}
	return false
}

// report returns the target as the report names it.
func (t *Target) report(baseURL string) reports.Target {
	return reports.Target{
		Name:         t.Name,
		BaseURL:      baseURL,
		Vendor:       t.Vendor,
		Product:      t.Product,
		Version:      t.Version,
		Councils:     t.Councils,
		Capabilities: t.Capabilities.Supported,
	}
}
