// Package audit seals and verifies the hash chain of the Child Record Exchange audit log
// (AUDIT-003). An event's hash is the lowercase hex SHA-256 of the RFC 8785 (JCS) canonical
// JSON of the event as served, without its hash member; prevHash links each event to the one
// before it, and the first event's prevHash is 64 zeros.
//
// The package is pure: it holds no state and is safe for concurrent use. The reference server
// seals events with it, and the harness may use VerifyChain to check a served log.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonicalize returns the RFC 8785 canonical form of the JSON document in doc: object
// members sorted by the UTF-16 code units of their names, no insignificant white space,
// numbers in their ECMAScript form and strings with the minimal escaping JCS prescribes.
// It rejects invalid JSON, duplicate member names and numbers that are not finite IEEE 754
// doubles.
func Canonicalize(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("canonicalize: trailing data after the document")
	}
	var buf bytes.Buffer
	if err := writeValue(&buf, v); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return buf.Bytes(), nil
}

// member is one name/value pair of an object, kept in input order until it is written.
type member struct {
	name  string
	value any
}

// readValue reads one JSON value from dec as string, json.Number, bool, nil, []any or
// []member (an object).
func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj []member
			seen := map[string]bool{}
			for dec.More() {
				nameTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, ok := nameTok.(string)
				if !ok {
					return nil, errors.New("object member name is not a string")
				}
				if seen[name] {
					return nil, fmt.Errorf("duplicate member name %q", name)
				}
				seen[name] = true
				val, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{name, val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = []member{}
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				val, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %q", t)
	default:
		return tok, nil
	}
}

// writeValue writes v, as produced by readValue, in canonical form.
func writeValue(buf *bytes.Buffer, v any) error {
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
			if err := writeValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []member:
		sorted := slices.Clone(t)
		slices.SortFunc(sorted, func(a, b member) int { return compareUTF16(a.name, b.name) })
		buf.WriteByte('{')
		for i, m := range sorted {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, m.name)
			buf.WriteByte(':')
			if err := writeValue(buf, m.value); err != nil {
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
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mantissa, exp, _ := strings.Cut(s, "e")
	sign, digits := exp[:1], strings.TrimLeft(exp[1:], "0")
	return mantissa + "e" + sign + digits, nil
}
