package bundle

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
)

var issued = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// testReport is a finalised conformant report of a small run.
func testReport(tb testing.TB) *reports.Report {
	tb.Helper()
	t := tb
	r := &reports.Report{
		Target:    reports.Target{Name: "sandbox", BaseURL: "https://cre.example", Vendor: "Larkspur Civic Software", Product: "Wrenfold", Version: "2.0"},
		Suite:     reports.Suite{SpecVersion: "1.0.0", SuiteVersion: "0.1.0", SpecDigest: "abc"},
		StartedAt: issued.Add(-time.Minute), FinishedAt: issued,
		Requirements: []reports.Requirement{{ID: "VER-003", Level: reports.LevelMust, Group: "VER", Text: "meta"}},
		Scenarios: []reports.Scenario{{
			ID: "features/meta.feature:3", Name: "Meta", Feature: "Meta", Tags: []string{"@VER-003"}, Requirements: []string{"VER-003"},
			Verdict: reports.Pass, Steps: []reports.Step{{Keyword: "Then", Text: "ok", Status: "passed"}},
		}},
	}
	require.NoError(t, r.Finalise())
	return r
}

// fixture is a signed bundle, its key and the run folder it indexes.
type fixture struct {
	key    ed25519.PrivateKey
	data   []byte
	dir    string
	report *reports.Report
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	t := tb
	key, err := GenerateKey()
	require.NoError(t, err)
	rep := testReport(t)
	dir := t.TempDir()
	require.NoError(t, reports.WriteAll(dir, rep))
	index, err := IndexEvidence(dir)
	require.NoError(t, err)
	target := []byte("name: sandbox\nbaseUrl: https://user:pw@cre.example/?api_key=k1&x=1\nauth:\n  audience: cre\n  clientSecret: s3cret # rotate\ntoken: eyJhbGciOi.eyJzdWIiOi.sig\n")
	data, err := Issue(context.Background(), Input{Report: rep, Target: target, Evidence: index, Key: key, Now: issued, Validity: 30 * 24 * time.Hour})
	require.NoError(t, err)
	return fixture{key: key, data: data, dir: dir, report: rep}
}

func (f fixture) opts() Options {
	return Options{Key: f.key.Public().(ed25519.PublicKey), Now: issued.Add(time.Hour)}
}

func TestIssueThenVerify(t *testing.T) {
	f := newFixture(t)
	opts := f.opts()
	opts.EvidenceDir = f.dir
	v, err := Verify(context.Background(), f.data, opts)
	require.NoError(t, err)
	c := v.Certificate()
	assert.Equal(t, "Larkspur Civic Software/Wrenfold@2.0", v.Statement.Subject[0].Name)
	assert.Equal(t, reports.Pass, c.Verdict)
	assert.True(t, c.Conformant)
	assert.Equal(t, issued.Add(30*24*time.Hour), c.Expires)
	assert.False(t, c.Signer.DevelopmentKey)
	assert.Equal(t, f.report.Target, v.Report.Target)
	for _, secret := range []string{"s3cret", "pw@", "k1", "eyJhbGciOi", "rotate"} {
		assert.NotContains(t, c.Target, secret, "the target file keeps a secret")
	}
	assert.Contains(t, c.Target, "audience: cre", "non-secret settings are kept")
	current, err := CurrentSuite()
	require.NoError(t, err)
	assert.Equal(t, current.Digest, c.Suite.Digest)
	assert.Greater(t, len(current.Files), 10, "every feature file and both contract files")
}

// resign returns the fixture's statement changed by edit and signed again with key, to reach
// the checks that come after the signature.
func resign(t *testing.T, f fixture, key ed25519.PrivateKey, edit func(*Statement)) []byte {
	t.Helper()
	v, err := Open(context.Background(), f.data, f.key.Public().(ed25519.PublicKey))
	require.NoError(t, err)
	st := v.Statement
	edit(&st)
	out, err := Sign(context.Background(), st, key)
	require.NoError(t, err)
	return out
}

// editEnvelope decodes the fixture's envelope, applies edit and encodes it again.
func editEnvelope(t *testing.T, data []byte, edit func(*dsse.Envelope)) []byte {
	t.Helper()
	var env dsse.Envelope
	require.NoError(t, json.Unmarshal(data, &env))
	edit(&env)
	out, err := json.Marshal(env)
	require.NoError(t, err)
	return out
}

// flipB64 changes one byte in the middle of the base64 text s (after decoding).
func flipB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func TestVerifyRejectsTampering(t *testing.T) {
	f := newFixture(t)
	other, err := GenerateKey()
	require.NoError(t, err)
	oldSuite := Manifest{Files: []FileDigest{{Path: "features/meta.feature", SHA256: strings.Repeat("0", 64)}}}
	oldSuite.Digest = ManifestDigest(oldSuite.Files)

	cases := []struct {
		name, reason string
		data         []byte
		now          time.Time
		kind         Kind
		says         string
	}{
		{
			name: "payload byte", reason: "one changed byte of the signed statement breaks the signature",
			data: editEnvelope(t, f.data, func(e *dsse.Envelope) { e.Payload = flipB64(t, e.Payload) }),
			kind: KindSignature, says: "signature does not verify",
		},
		{
			name: "signature byte", reason: "one changed byte of the signature itself",
			data: editEnvelope(t, f.data, func(e *dsse.Envelope) { e.Signatures[0].Sig = flipB64(t, e.Signatures[0].Sig) }),
			kind: KindSignature, says: "signature does not verify",
		},
		{
			name: "payloadType byte", reason: "the payload type is part of what is signed and must be in-toto's",
			data: editEnvelope(t, f.data, func(e *dsse.Envelope) { e.PayloadType = strings.Replace(e.PayloadType, "json", "jsoN", 1) }),
			kind: KindPayloadType, says: "payloadType",
		},
		{
			name: "signature removed", reason: "an unsigned envelope proves nothing",
			data: editEnvelope(t, f.data, func(e *dsse.Envelope) { e.Signatures = nil }),
			kind: KindSignature, says: "0 signatures",
		},
		{
			name: "wrong key", reason: "a bundle signed by someone else's key is refused",
			data: resign(t, f, other, func(*Statement) {}),
			kind: KindWrongKey, says: "not by the given key",
		},
		{
			name: "expired", reason: "a certificate past its expiry is not valid",
			data: f.data, now: issued.Add(31 * 24 * time.Hour),
			kind: KindExpired, says: "expired at 2026-12-02",
		},
		{
			name: "not yet valid", reason: "a certificate issued in the future (a wrong clock or a forged date)",
			data: f.data, now: issued.Add(-time.Hour),
			kind: KindNotYetValid, says: "in the future",
		},
		{
			name: "suite not current", reason: "a certificate earned against another suite does not certify against this one",
			data: resign(t, f, f.key, func(s *Statement) { s.Predicate.Suite = oldSuite }),
			kind: KindSuiteNotCurrent, says: "features/meta.feature",
		},
		{
			name: "suite manifest digest", reason: "a manifest whose digest is not that of its files was edited",
			data: resign(t, f, f.key, func(s *Statement) { s.Predicate.Suite.Files[0].SHA256 = strings.Repeat("1", 64) }),
			kind: KindSuiteDigest, says: "not the digest of its files",
		},
		{
			name: "predicate type", reason: "only icscert certification predicates are certificates",
			data: resign(t, f, f.key, func(s *Statement) { s.PredicateType = "https://slsa.dev/provenance/v1" }),
			kind: KindPredicateType, says: "slsa.dev",
		},
		{
			name: "statement type", reason: "only in-toto Statement v1 is accepted",
			data: resign(t, f, f.key, func(s *Statement) { s.Type = "https://in-toto.io/Statement/v0.1" }),
			kind: KindStatementType, says: "v0.1",
		},
		{
			name: "subject digest", reason: "the subject digest must be the embedded report's",
			data: resign(t, f, f.key, func(s *Statement) { s.Subject[0].Digest["sha256"] = strings.Repeat("a", 64) }),
			kind: KindSubjectDigest, says: "not the digest of the embedded report",
		},
		{
			name: "subject name", reason: "the subject must name the certified product",
			data: resign(t, f, f.key, func(s *Statement) { s.Subject[0].Name = "Other/Product@9" }),
			kind: KindSubject, says: "Other/Product@9",
		},
		{
			name: "verdict", reason: "the predicate's verdict must be the report's",
			data: resign(t, f, f.key, func(s *Statement) { s.Predicate.Verdict = reports.Fail }),
			kind: KindReport, says: "verdict FAIL",
		},
		{
			name: "missing evidence entry", reason: "the index must name report.json",
			data: resign(t, f, f.key, func(s *Statement) {
				var kept []FileDigest
				for _, e := range s.Predicate.Evidence {
					if e.Path != reports.JSONFile {
						kept = append(kept, e)
					}
				}
				s.Predicate.Evidence = kept
			}),
			kind: KindEvidence, says: "no entry for report.json",
		},
		{
			name: "evidence path escapes", reason: "an index entry must stay inside the run's folder",
			data: resign(t, f, f.key, func(s *Statement) { s.Predicate.Evidence[0].Path = "../etc/passwd" }),
			kind: KindEvidence, says: "../etc/passwd",
		},
		{
			name: "truncated file", reason: "half a bundle is not a bundle",
			data: f.data[:len(f.data)/2], kind: KindMalformed, says: "not a DSSE envelope",
		},
		{
			name: "garbage", reason: "a file that is not JSON at all",
			data: []byte("\x00\x01PK garbage"), kind: KindMalformed, says: "not a DSSE envelope",
		},
		{
			name: "unknown envelope field", reason: "fields DSSE does not define are refused, not ignored",
			data: []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[],"extra":1}`),
			kind: KindMalformed, says: "extra",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := f.opts()
			if !tc.now.IsZero() {
				opts.Now = tc.now
			}
			_, err := Verify(context.Background(), tc.data, opts)
			require.Error(t, err, tc.reason)
			assert.Equal(t, tc.kind, KindOf(err), "%s: %v", tc.reason, err)
			assert.Contains(t, err.Error(), tc.says, tc.reason)
		})
	}
}

func TestVerifyEvidenceFiles(t *testing.T) {
	f := newFixture(t)
	opts := f.opts()
	opts.EvidenceDir = f.dir
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, reports.HTMLFile), []byte("<p>edited</p>"), 0o644))
	_, err := Verify(context.Background(), f.data, opts)
	require.Error(t, err)
	assert.Equal(t, KindEvidence, KindOf(err))
	assert.Contains(t, err.Error(), "report.html has sha256")
}

func TestKeyFilesRoundTrip(t *testing.T) {
	key, err := GenerateKey()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteKeyPair(dir, "k", key))
	priv, err := LoadPrivateKey(filepath.Join(dir, "k.pem"))
	require.NoError(t, err)
	pub, err := LoadPublicKey(filepath.Join(dir, "k.pub"))
	require.NoError(t, err)
	assert.True(t, key.Equal(priv))
	assert.Equal(t, KeyID(key.Public().(ed25519.PublicKey)), KeyID(pub))
	_, err = LoadPublicKey(filepath.Join(dir, "k.pem"))
	assert.ErrorContains(t, err, `PEM block "PRIVATE KEY"`, "a private key given as the public key is named")
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	opts := f.opts()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(context.Background(), f.data, opts); err != nil {
			b.Fatal(err)
		}
	}
}
