package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/icscert/icscert/bundle"
	"github.com/icscert/icscert/internal/ident"
)

// Kinds of principal.
const (
	KindSupplier   = "supplier"
	KindCouncil    = "council"
	KindDepartment = "department"
)

// Config is the registry configuration file (YAML):
//
//	principals:
//	  - name: larkspur                  # a supplier: submits certificates for its products
//	    kind: supplier
//	    tokenSha256: 9f86d0...          # hex SHA-256 of its bearer token (or token: for tests)
//	    products: [Wrenfold]            # the products it owns (the report's target.product)
//	    keys: [keys/larkspur.pub]       # public keys (PEM files, relative to this file) trusted
//	                                    # for its products' certificates
//	  - name: camden
//	    kind: council                   # declares deployments for its own council only
//	    council: "202"                  # DfE code (internal/ident's council list)
//	    tokenSha256: ...
//	  - name: dfe
//	    kind: department                # reads everything, records pair results and
//	    tokenSha256: ...                # deployment checks
//	deadline: 2027-03-31                # optional: the readiness deadline (a date, or RFC 3339)
//
// Unknown keys, a duplicate name or token, a council code that is not a known council and a
// key file that is not an Ed25519 public key are errors.
type Config struct {
	Principals []Principal `yaml:"principals"`
	Deadline   string      `yaml:"deadline"`

	deadline time.Time
}

// Principal is one holder of a token.
type Principal struct {
	Name        string   `yaml:"name"`
	Kind        string   `yaml:"kind"`
	Token       string   `yaml:"token"`
	TokenSHA256 string   `yaml:"tokenSha256"`
	Products    []string `yaml:"products"`
	Council     string   `yaml:"council"`
	Keys        []string `yaml:"keys"`

	trusted []ed25519.PublicKey
	digest  []byte
}

// Owns reports whether the principal is a supplier owning product.
func (p *Principal) Owns(product string) bool {
	return p.Kind == KindSupplier && slices.Contains(p.Products, product)
}

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load registry config: %w", err)
	}
	c, err := ParseConfig(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load registry config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses a configuration; key file paths are relative to dir, and a key entry
// that holds a PEM block itself is read as is.
func ParseConfig(data []byte, dir string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c.Deadline != "" {
		var err error
		if c.deadline, err = time.Parse(time.DateOnly, c.Deadline); err != nil {
			if c.deadline, err = time.Parse(time.RFC3339, c.Deadline); err != nil {
				return nil, fmt.Errorf("deadline %q: want a date (2027-03-31) or an RFC 3339 time", c.Deadline)
			}
		}
		if len(c.Deadline) == len(time.DateOnly) {
			c.deadline = c.deadline.Add(24*time.Hour - time.Second) // the end of that day, UTC
		}
	}
	names, tokens := map[string]bool{}, map[string]bool{}
	for i := range c.Principals {
		p := &c.Principals[i]
		where := fmt.Sprintf("principal %d (%s)", i+1, p.Name)
		switch {
		case p.Name == "" || names[p.Name]:
			return nil, fmt.Errorf("%s: a unique name is required", where)
		case (p.Token == "") == (p.TokenSHA256 == ""):
			return nil, fmt.Errorf("%s: give exactly one of token and tokenSha256", where)
		}
		names[p.Name] = true
		if p.Token != "" {
			sum := sha256.Sum256([]byte(p.Token))
			p.digest = sum[:]
		} else if p.digest, _ = hex.DecodeString(p.TokenSHA256); len(p.digest) != sha256.Size {
			return nil, fmt.Errorf("%s: tokenSha256 is not 64 hex digits", where)
		}
		if tokens[string(p.digest)] {
			return nil, fmt.Errorf("%s: the same token as another principal", where)
		}
		tokens[string(p.digest)] = true
		switch p.Kind {
		case KindSupplier:
			if len(p.Products) == 0 || len(p.Keys) == 0 {
				return nil, fmt.Errorf("%s: a supplier needs products and keys", where)
			}
			for _, k := range p.Keys {
				pem := []byte(k)
				if !bytes.Contains(pem, []byte("-----BEGIN")) {
					var err error
					if pem, err = os.ReadFile(filepath.Join(dir, k)); err != nil {
						return nil, fmt.Errorf("%s: %w", where, err)
					}
				}
				pub, err := bundle.ParsePublicKey(pem)
				if err != nil {
					return nil, fmt.Errorf("%s: key %q: %w", where, k, err)
				}
				p.trusted = append(p.trusted, pub)
			}
		case KindCouncil:
			if _, ok := ident.Councils().Lookup(p.Council); !ok {
				return nil, fmt.Errorf("%s: council %q is not a known DfE council code", where, p.Council)
			}
		case KindDepartment:
		default:
			return nil, fmt.Errorf("%s: kind %q: want supplier, council or department", where, p.Kind)
		}
	}
	return &c, nil
}

// principal returns the principal whose token is token, comparing digests in constant time.
func (c *Config) principal(token string) (*Principal, error) {
	sum := sha256.Sum256([]byte(token))
	for i := range c.Principals {
		if subtle.ConstantTimeCompare(sum[:], c.Principals[i].digest) == 1 {
			return &c.Principals[i], nil
		}
	}
	return nil, errors.New("unknown token")
}
