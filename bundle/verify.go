package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/icscert/icscert/reports"
)

// Kind names what is wrong with a bundle.
type Kind string

// Kinds of Problem, in the order Verify checks them.
const (
	KindMalformed       Kind = "malformed"         // not a DSSE envelope or not an in-toto statement
	KindPayloadType     Kind = "payload-type"      // the envelope's payloadType is not PayloadType
	KindWrongKey        Kind = "wrong-key"         // signed by another key than the one given
	KindSignature       Kind = "signature"         // the signature does not verify: something changed
	KindStatementType   Kind = "statement-type"    // _type is not in-toto Statement v1
	KindPredicateType   Kind = "predicate-type"    // predicateType is not PredicateType
	KindSubject         Kind = "subject"           // the subject does not name the certified product
	KindSubjectDigest   Kind = "subject-digest"    // the subject digest is not that of the report
	KindReport          Kind = "report"            // the embedded report is unreadable or disagrees
	KindEvidence        Kind = "evidence"          // the evidence index is incomplete or a file differs
	KindSuiteDigest     Kind = "suite-digest"      // the manifest's digest is not that of its files
	KindSuiteNotCurrent Kind = "suite-not-current" // earned against another suite than this one
	KindNotYetValid     Kind = "not-yet-valid"     // issued in the future
	KindExpired         Kind = "expired"           // past its expiry
)

// Problem is what Verify returns for a bundle it rejects: the kind of fault and a sentence
// naming it.
type Problem struct {
	Kind   Kind
	Detail string
}

// Error is "KIND: DETAIL".
func (p *Problem) Error() string { return string(p.Kind) + ": " + p.Detail }

func problem(k Kind, format string, args ...any) *Problem {
	return &Problem{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of the *Problem in err's chain, or "" when there is none.
func KindOf(err error) Kind {
	var p *Problem
	if errors.As(err, &p) {
		return p.Kind
	}
	return ""
}

// Verified is a bundle whose signature and structure Open checked.
type Verified struct {
	Statement Statement
	// Report is the embedded report, decoded.
	Report *reports.Report
	// KeyID is the id of the key that signed it.
	KeyID string
}

// Certificate returns the verified predicate.
func (v *Verified) Certificate() *Certificate { return &v.Statement.Predicate }

// Options configures Verify.
type Options struct {
	// Key is the public key the bundle must be signed with (required).
	Key ed25519.PublicKey
	// Now is the time validity is checked at; zero means time.Now.
	Now time.Time
	// Suite is the current suite; the zero value means CurrentSuite.
	Suite Manifest
	// EvidenceDir, if set, is a folder holding the run's files: each file in the evidence
	// index must be there with the recorded digest.
	EvidenceDir string
}

// Verify checks a bundle offline: the envelope, the signature with opts.Key, the statement
// and predicate types, the subject against the embedded report, the evidence index (and the
// files in opts.EvidenceDir), the suite manifest against the current suite, and the validity
// period. It returns the verified bundle, or a *Problem naming the first fault found.
func Verify(ctx context.Context, data []byte, opts Options) (*Verified, error) {
	v, err := Open(ctx, data, opts.Key)
	if err != nil {
		return nil, err
	}
	if opts.EvidenceDir != "" {
		if err := v.CheckEvidenceFiles(opts.EvidenceDir); err != nil {
			return nil, err
		}
	}
	suite := opts.Suite
	if suite.Digest == "" {
		if suite, err = CurrentSuite(); err != nil {
			return nil, err
		}
	}
	if err := v.CheckSuite(suite); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := v.CheckTime(now); err != nil {
		return nil, err
	}
	return v, nil
}

// Open checks a bundle's envelope, signature and structure (everything Verify checks except
// the suite, the validity period and evidence files) and returns it. Faults are *Problem.
func Open(ctx context.Context, data []byte, key ed25519.PublicKey) (*Verified, error) {
	if len(key) != ed25519.PublicKeySize {
		return nil, errors.New("verify bundle: an Ed25519 public key is required")
	}
	if len(data) > MaxSize {
		return nil, problem(KindMalformed, "the bundle is larger than %d bytes", MaxSize)
	}
	env, err := decodeEnvelope(data)
	if err != nil {
		return nil, problem(KindMalformed, "%v", err)
	}
	if env.PayloadType != PayloadType {
		return nil, problem(KindPayloadType, "the envelope's payloadType is %q, want %q", clip(env.PayloadType), PayloadType)
	}
	if len(env.Signatures) != 1 {
		return nil, problem(KindSignature, "the envelope has %d signatures, want exactly 1", len(env.Signatures))
	}
	want := KeyID(key)
	if got := env.Signatures[0].KeyID; got != want {
		return nil, problem(KindWrongKey, "the bundle was signed by key %s, not by the given key %s", clip(got), want)
	}
	ev, err := dsse.NewEnvelopeVerifier(signer{pub: key})
	if err != nil {
		return nil, fmt.Errorf("verify bundle: %w", err)
	}
	_, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		return nil, problem(KindSignature, "the signature does not verify with key %s: the payload, its type or the signature was changed after signing (%v)", want, err)
	}
	return openPayload(payload, want)
}

// openPayload checks a signed payload's structure and consistency.
func openPayload(payload []byte, keyID string) (*Verified, error) {
	var head struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return nil, problem(KindMalformed, "the payload is not JSON: %v", err)
	}
	if head.Type != StatementType {
		return nil, problem(KindStatementType, "the statement _type is %q, want %q", clip(head.Type), StatementType)
	}
	if err := validateStatement(payload); err != nil {
		if errors.Is(err, intoto.ErrInvalidStatementType) {
			return nil, problem(KindStatementType, "%v", err)
		}
		return nil, problem(KindMalformed, "the payload is not a valid in-toto Statement v1: %v", err)
	}
	if head.PredicateType != PredicateType {
		return nil, problem(KindPredicateType, "the predicateType is %q, want %q", clip(head.PredicateType), PredicateType)
	}
	var st Statement
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, problem(KindMalformed, "the certification predicate does not decode: %v", err)
	}
	c := &st.Predicate
	if len(st.Subject) != 1 {
		return nil, problem(KindSubject, "the statement has %d subjects, want 1 (the product)", len(st.Subject))
	}
	if st.Subject[0].Name != c.Product.String() {
		return nil, problem(KindSubject, "the subject %q does not name the certified product %q", clip(st.Subject[0].Name), clip(c.Product.String()))
	}
	digest, err := reportDigest(c.Report)
	if err != nil {
		return nil, problem(KindReport, "the embedded report is not JSON: %v", err)
	}
	if got := st.Subject[0].Digest["sha256"]; got != digest {
		return nil, problem(KindSubjectDigest, "the subject's sha256 %s is not the digest of the embedded report (%s)", clip(got), digest)
	}
	rep, err := reports.ReadJSON(bytes.NewReader(c.Report))
	if err != nil {
		return nil, problem(KindReport, "the embedded report does not read: %v", err)
	}
	if err := agrees(c, rep); err != nil {
		return nil, err
	}
	if c.Signer.KeyID != keyID {
		return nil, problem(KindWrongKey, "the predicate names signer key %s, but the envelope was signed by %s", clip(c.Signer.KeyID), keyID)
	}
	if err := checkEvidenceIndex(c.Evidence); err != nil {
		return nil, err
	}
	if !c.Expires.After(c.IssuedAt) {
		return nil, problem(KindMalformed, "the certificate expires (%s) before it is issued (%s)", c.Expires.Format(time.RFC3339), c.IssuedAt.Format(time.RFC3339))
	}
	return &Verified{Statement: st, Report: rep, KeyID: keyID}, nil
}

// agrees checks that the predicate's summary fields are those of the embedded report.
func agrees(c *Certificate, rep *reports.Report) error {
	t := rep.Target
	if (Product{Vendor: t.Vendor, Product: t.Product, Version: t.Version}) != c.Product {
		return problem(KindReport, "the predicate's product %s is not the report's %s/%s@%s", c.Product, t.Vendor, t.Product, t.Version)
	}
	if c.Verdict != rep.Verdict || c.Conformant != rep.Conformant {
		return problem(KindReport, "the predicate's verdict %s (conformant %t) is not the report's %s (conformant %t)", c.Verdict, c.Conformant, rep.Verdict, rep.Conformant)
	}
	if f := failed(rep); !slices.Equal(f, c.FailedRequirements) {
		return problem(KindReport, "the predicate's failed requirements [%s] are not the report's [%s]", joinIDs(c.FailedRequirements), joinIDs(f))
	}
	return nil
}

// checkEvidenceIndex checks the index is well formed and names report.json.
func checkEvidenceIndex(index []FileDigest) error {
	seen := map[string]bool{}
	for i, f := range index {
		if f.Path == "" || filepath.IsAbs(f.Path) || !filepath.IsLocal(f.Path) {
			return problem(KindEvidence, "evidence entry %d has path %q, want a relative path inside the run's folder", i, clip(f.Path))
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 {
			return problem(KindEvidence, "evidence entry %s has sha256 %q, want 64 hex digits", f.Path, clip(f.SHA256))
		}
		if seen[f.Path] {
			return problem(KindEvidence, "evidence entry %s appears twice", f.Path)
		}
		seen[f.Path] = true
	}
	if !seen[reports.JSONFile] {
		return problem(KindEvidence, "the evidence index has no entry for %s", reports.JSONFile)
	}
	return nil
}

// CheckEvidenceFiles checks that every file of the evidence index is in dir with the recorded
// digest, and that report.json there is the embedded report.
func (v *Verified) CheckEvidenceFiles(dir string) error {
	for _, f := range v.Certificate().Evidence {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return problem(KindEvidence, "evidence file %s: %v", f.Path, err)
		}
		if got := sha256Hex(data); got != f.SHA256 {
			return problem(KindEvidence, "evidence file %s has sha256 %s, but the index records %s: it changed after signing", f.Path, got, f.SHA256)
		}
		if f.Path == reports.JSONFile {
			d, err := reportDigest(data)
			if err != nil || d != v.Statement.Subject[0].Digest["sha256"] {
				return problem(KindEvidence, "evidence file %s is not the embedded report", f.Path)
			}
		}
	}
	return nil
}

// CheckSuite checks the manifest's digest against its files and against current's digest;
// a suite that is not current names the files that differ.
func (v *Verified) CheckSuite(current Manifest) error {
	m := v.Certificate().Suite
	if got := ManifestDigest(m.Files); got != m.Digest {
		return problem(KindSuiteDigest, "the suite manifest's digest %s is not the digest of its files (%s)", clip(m.Digest), got)
	}
	if m.Digest != current.Digest {
		return problem(KindSuiteNotCurrent, "the certificate was earned against suite %s, but the current suite is %s (differs in: %s)",
			m.Digest, current.Digest, joinIDs(diffFiles(m.Files, current.Files)))
	}
	return nil
}

// diffFiles names the paths whose digests differ between a and b, or that only one has.
func diffFiles(a, b []FileDigest) []string {
	am, bm := map[string]string{}, map[string]string{}
	for _, f := range a {
		am[f.Path] = f.SHA256
	}
	for _, f := range b {
		bm[f.Path] = f.SHA256
	}
	var out []string
	for p, d := range am {
		if bm[p] != d {
			out = append(out, p)
		}
	}
	for p := range bm {
		if _, ok := am[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// CheckTime checks that the certificate is valid at now: issued no later than now plus
// ClockSkew and not expired.
func (v *Verified) CheckTime(now time.Time) error {
	c := v.Certificate()
	if c.IssuedAt.After(now.Add(ClockSkew)) {
		return problem(KindNotYetValid, "the certificate is issued at %s, in the future (now %s)", c.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(c.Expires) {
		return problem(KindExpired, "the certificate expired at %s (now %s)", c.Expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// clip shortens a value taken from an untrusted bundle for a message.
func clip(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
