// Package bundle writes and checks signed certification bundles: the certificate a run of the
// suite earns, in the ecosystem's standard envelope.
//
// A bundle is a DSSE envelope (payloadType application/vnd.in-toto+json) holding an in-toto
// attestation Statement v1, signed with Ed25519. Its one subject names the product,
// "VENDOR/PRODUCT@VERSION", with the SHA-256 of the embedded report in canonical JSON
// (spec.CanonicalJSON). Its predicate (type PredicateType) holds:
//   - report: the finalised report, as report.json holds it (evidence already redacted);
//   - target: the target file with every secret removed (RedactTarget);
//   - suite: the suite manifest, a digest of every feature file and of the contract files;
//   - evidence: the SHA-256 of every report file the run wrote (never their bodies);
//   - issuedAt and expires: the certificate's validity;
//   - signer: the key id, and whether the key is a generated development key.
//
// Issue builds and signs a bundle; Verify checks one offline and returns a *Problem naming
// the first thing that is wrong. Both are safe for concurrent use.
package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// Identifiers of the envelope and the statement.
const (
	// PayloadType is the DSSE payload type of an in-toto attestation.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto Statement v1 type.
	StatementType = intoto.StatementTypeUri
	// PredicateType identifies an icscert certification predicate, version 1.
	PredicateType = "https://icscert.dev/certification/v1"
	// FileName is the bundle's file name in a run's output folder.
	FileName = "certificate.intoto.json"
	// DefaultValidity is how long a certificate is valid when Input.Validity is zero.
	DefaultValidity = 180 * 24 * time.Hour
	// ClockSkew is how far in the future issuedAt may be before a bundle is "not yet valid".
	ClockSkew = 5 * time.Minute
	// MaxSize bounds a bundle read by Verify: larger input is refused before it is parsed.
	MaxSize = 64 << 20
)

// Statement is an in-toto attestation Statement v1 with a certification predicate, as it is
// serialised in the envelope's payload.
type Statement struct {
	Type          string      `json:"_type"`
	Subject       []Subject   `json:"subject"`
	PredicateType string      `json:"predicateType"`
	Predicate     Certificate `json:"predicate"`
}

// Subject is an in-toto resource descriptor: a name and its digests (algorithm to hex).
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Certificate is the certification predicate.
type Certificate struct {
	IssuedAt time.Time       `json:"issuedAt"`
	Expires  time.Time       `json:"expires"`
	Product  Product         `json:"product"`
	Verdict  reports.Verdict `json:"verdict"`
	// Conformant and FailedRequirements repeat the report's verdict for readers that do not
	// parse the report; Verify checks they agree with it.
	Conformant         bool         `json:"conformant"`
	FailedRequirements []string     `json:"failedRequirements"`
	Suite              Manifest     `json:"suite"`
	Evidence           []FileDigest `json:"evidence"`
	// Target is the target file, secrets removed, as YAML text.
	Target string `json:"target"`
	Signer Signer `json:"signer"`
	// Report is the finalised report.json.
	Report json.RawMessage `json:"report"`
}

// Product names the certified product version.
type Product struct {
	Vendor  string `json:"vendor"`
	Product string `json:"product"`
	Version string `json:"version"`
}

// String is "VENDOR/PRODUCT@VERSION", the subject name.
func (p Product) String() string { return p.Vendor + "/" + p.Product + "@" + p.Version }

// Signer describes the signing key.
type Signer struct {
	KeyID string `json:"keyId"`
	// DevelopmentKey is true when the key was generated for this run because no --sign-key
	// was given: such a certificate is not trustworthy.
	DevelopmentKey bool `json:"developmentKey"`
}

// Input is what Issue needs.
type Input struct {
	// Report is the finalised report of the run.
	Report *reports.Report
	// Target is the raw target file; Issue removes its secrets. Nil for a run without one.
	Target []byte
	// Evidence is the digest of every file the run wrote. It must include report.json.
	Evidence []FileDigest
	// Suite is the suite manifest; the zero value means CurrentSuite.
	Suite Manifest
	// Key signs the bundle; DevelopmentKey marks it as a generated key.
	Key            ed25519.PrivateKey
	DevelopmentKey bool
	// Now is the issue time (zero: time.Now); Validity the lifetime (zero: DefaultValidity).
	Now      time.Time
	Validity time.Duration
}

// Issue builds the statement for in, signs it and returns the DSSE envelope as indented
// JSON. It returns an error for an unfinalised report, a report without product, an evidence
// index without report.json, or a target file that cannot be redacted.
func Issue(ctx context.Context, in Input) ([]byte, error) {
	if in.Report == nil || len(in.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("issue bundle: a report and an Ed25519 key are required")
	}
	var rep bytes.Buffer
	if err := reports.WriteJSON(&rep, in.Report); err != nil {
		return nil, fmt.Errorf("issue bundle: %w", err)
	}
	digest, err := reportDigest(rep.Bytes())
	if err != nil {
		return nil, fmt.Errorf("issue bundle: %w", err)
	}
	t := in.Report.Target
	product := Product{Vendor: t.Vendor, Product: t.Product, Version: t.Version}
	if product.Product == "" || product.Version == "" {
		return nil, errors.New("issue bundle: the target names no product and version")
	}
	if !hasEvidence(in.Evidence, reports.JSONFile) {
		return nil, fmt.Errorf("issue bundle: the evidence index has no %s", reports.JSONFile)
	}
	suite := in.Suite
	if suite.Digest == "" {
		if suite, err = CurrentSuite(); err != nil {
			return nil, fmt.Errorf("issue bundle: %w", err)
		}
	}
	var target string
	if in.Target != nil {
		red, err := RedactTarget(in.Target)
		if err != nil {
			return nil, fmt.Errorf("issue bundle: %w", err)
		}
		target = string(red)
	}
	now, validity := in.Now, in.Validity
	if now.IsZero() {
		now = time.Now()
	}
	if validity <= 0 {
		validity = DefaultValidity
	}
	pub, _ := in.Key.Public().(ed25519.PublicKey)
	st := Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: product.String(), Digest: map[string]string{"sha256": digest}}},
		PredicateType: PredicateType,
		Predicate: Certificate{
			IssuedAt:           now.UTC().Truncate(time.Second),
			Expires:            now.UTC().Add(validity).Truncate(time.Second),
			Product:            product,
			Verdict:            in.Report.Verdict,
			Conformant:         in.Report.Conformant,
			FailedRequirements: failed(in.Report),
			Suite:              suite,
			Evidence:           in.Evidence,
			Target:             target,
			Signer:             Signer{KeyID: KeyID(pub), DevelopmentKey: in.DevelopmentKey},
			Report:             rep.Bytes(),
		},
	}
	return Sign(ctx, st, in.Key)
}

// Sign serialises st as the payload, signs it with key and returns the envelope as indented
// JSON. It does not check st: Issue builds valid statements, and tests sign invalid ones.
func Sign(ctx context.Context, st Statement, key ed25519.PrivateKey) ([]byte, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("sign bundle: %w", err)
	}
	pub, _ := key.Public().(ed25519.PublicKey)
	es, err := dsse.NewEnvelopeSigner(signer{priv: key, pub: pub})
	if err != nil {
		return nil, fmt.Errorf("sign bundle: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign bundle: %w", err)
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sign bundle: %w", err)
	}
	return append(out, '\n'), nil
}

// reportDigest is the SHA-256 of a report in canonical JSON.
func reportDigest(report []byte) (string, error) {
	canon, err := spec.CanonicalJSON(report)
	if err != nil {
		return "", fmt.Errorf("report digest: %w", err)
	}
	return sha256Hex(canon), nil
}

func failed(r *reports.Report) []string {
	out := []string{}
	for _, req := range r.Requirements {
		if req.Verdict == reports.Fail {
			out = append(out, req.ID)
		}
	}
	return out
}

func hasEvidence(index []FileDigest, name string) bool {
	for _, f := range index {
		if f.Path == name {
			return true
		}
	}
	return false
}

// ReadEnvelope decodes a DSSE envelope from at most MaxSize bytes of r, strictly: unknown
// fields and trailing data are errors.
func ReadEnvelope(r io.Reader) (*dsse.Envelope, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("read bundle: larger than %d bytes", MaxSize)
	}
	return decodeEnvelope(data)
}

func decodeEnvelope(data []byte) (*dsse.Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var env dsse.Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a DSSE envelope: data after the envelope")
	}
	return &env, nil
}

// validateStatement checks payload against the in-toto library's own Statement v1 rules.
func validateStatement(payload []byte) error {
	var st intoto.Statement
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(payload, &st); err != nil {
		return err
	}
	return st.Validate()
}

// joinIDs lists ids for a message.
func joinIDs(ids []string) string { return strings.Join(ids, ", ") }
