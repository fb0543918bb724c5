package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// AuditGenesisHash is the prevHash of the first event of an audit log: 64 zeros (CONTRACT.md,
// Audit).
const AuditGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEventHash returns the hash an audit event served as raw must carry (AUDIT-003,
// CONTRACT.md "Audit"): the lowercase hex SHA-256 of the RFC 8785 canonical JSON of the event
// without its top-level hash member. Members it does not know are hashed as served. It is
// pure and safe for concurrent use.
func AuditEventHash(raw []byte) (string, error) {
	v, err := readCanonical(raw)
	if err != nil {
		return "", fmt.Errorf("hash audit event: %w", err)
	}
	obj, ok := v.([]Member)
	if !ok {
		return "", errors.New("hash audit event: the event is not a JSON object")
	}
	kept := make([]Member, 0, len(obj))
	for _, m := range obj {
		if m.Name != "hash" {
			kept = append(kept, m)
		}
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, kept); err != nil {
		return "", fmt.Errorf("hash audit event: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// CanonicalJSON returns the RFC 8785 (JCS) canonical form of the JSON document in doc: object
// members sorted by the UTF-16 code units of their names, no insignificant white space,
// numbers in their ECMAScript form and strings with only the escaping JCS prescribes (no HTML
// escaping). It rejects invalid JSON, duplicate member names and numbers that are not finite
// IEEE 754 doubles. It is pure and safe for concurrent use.
func CanonicalJSON(doc []byte) ([]byte, error) {
	v, err := readCanonical(doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalise JSON: %w", err)
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return nil, fmt.Errorf("canonicalise JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// readCanonical reads one whole JSON document as string, json.Number, bool, nil, []any or
// []Member (an object, members in input order).
func readCanonical(doc []byte) (any, error) {
	return DecodeStrictJSON(doc, 0, func(m []Member) any { return m })
}

// writeCanonical writes v, as readValue produces it, in canonical form.
func writeCanonical(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case string:
		writeString(buf, t)
	case json.Number:
		s, err := formatNumber(t)
		if err != nil {
			return err
		}
		buf.WriteString(s)
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []Member:
		sorted := slices.Clone(t)
		slices.SortFunc(sorted, func(a, b Member) int { return compareUTF16(a.Name, b.Name) })
		buf.WriteByte('{')
		for i, m := range sorted {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, m.Name)
			buf.WriteByte(':')
			if err := writeCanonical(buf, m.Value); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("unexpected value of type %T", v)
	}
	return nil
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 section 3.2.3 requires.
func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// writeString writes s as a JSON string with the escaping of RFC 8785 section 3.2.2.2: only
// the quotation mark, the reverse solidus and control characters are escaped.
func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(buf, `\u%04x`, r)
				continue
			}
			var b [utf8.UTFMax]byte
			n := utf8.EncodeRune(b[:], r)
			buf.Write(b[:n])
		}
	}
	buf.WriteByte('"')
}

// formatNumber renders a JSON number as ECMAScript's Number.prototype.toString does for the
// same IEEE 754 double (RFC 8785 section 3.2.2.3).
func formatNumber(n json.Number) (string, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("number %s is not a finite double", n)
	}
	if f == 0 {
		return "0", nil
	}
	if abs := math.Abs(f); abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mantissa, exp, _ := strings.Cut(s, "e")
	return mantissa + "e" + exp[:1] + strings.TrimLeft(exp[1:], "0"), nil
}
