// Package audit seals and verifies the hash chain of the Child Record Exchange audit log
// (AUDIT-003). An event's hash is the lowercase hex SHA-256 of the RFC 8785 (JCS) canonical
// JSON of the event as served, without its hash member; prevHash links each event to the one
// before it, and the first event's prevHash is 64 zeros. The rule itself lives in the spec
// package (spec.AuditEventHash, spec.CanonicalJSON), which the harness uses too.
//
// The package is pure: it holds no state and is safe for concurrent use. The reference server
// seals events with it, and the harness may use VerifyChain to check a served log.
package audit

import "github.com/icscert/icscert/spec"

// Canonicalize returns the RFC 8785 canonical form of the JSON document in doc, as
// spec.CanonicalJSON does: object members sorted by the UTF-16 code units of their names, no
// insignificant white space, numbers in their ECMAScript form and strings with the minimal
// escaping JCS prescribes. It rejects invalid JSON, duplicate member names and numbers that
// are not finite IEEE 754 doubles.
func Canonicalize(doc []byte) ([]byte, error) {
	return spec.CanonicalJSON(doc)
}
