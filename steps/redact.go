package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// Redactor removes personal data from evidence (recorded exchanges and failure values) before
// it goes into a report. Bearer tokens and other credentials are always removed. When Personal
// is true (the default of `icscert run`; --no-redact turns it off for local debugging) it also
// replaces personal data, keeping a hint of its shape:
//
//   - by JSON key in bodies: names (given, family, name of a person, formerNames, familyName,
//     givenName), dates of birth, expected birth and death, NHS numbers, UPNs and identifier
//     values, addresses (address, lines, town, postcode), phones and emails;
//   - by pattern in every other string, in non-JSON bodies and in header values: 10-digit NHS
//     numbers with or without spaces, UPNs and UK postcodes.
//
// Names and addresses become "[redacted:name]" / "[redacted:address]"; values whose format
// matters to a verdict keep a mask of it, digits as 9 and letters as A or a, e.g.
// "[redacted:date 99/99/9999]" for a date of birth sent as dd/mm/yyyy. A Redactor is a value and
// safe for concurrent use.
type Redactor struct {
	Personal bool
	// Known, if set, holds the values the harness generated and sent; with Personal, Text
	// replaces each of them wherever it appears as whole words, whatever the string's source.
	Known *Ledger
}

// Redaction kinds, as they appear in "[redacted:<kind>]".
const (
	kindName       = "name"
	kindDate       = "date"
	kindNHS        = "nhs-number"
	kindUPN        = "upn"
	kindIdentifier = "identifier"
	kindAddress    = "address"
	kindPostcode   = "postcode"
	kindPhone      = "phone"
	kindEmail      = "email"
	kindToken      = "token"
)

// maskedKinds keep a mask of the value's shape in the replacement.
var maskedKinds = map[string]bool{
	kindDate: true, kindNHS: true, kindUPN: true, kindIdentifier: true, kindPostcode: true, kindPhone: true,
}

// keyKinds maps a JSON member name to the kind of personal data it holds, wherever it appears.
var keyKinds = map[string]string{
	"given":               kindName,
	"family":              kindName,
	"formerNames":         kindName,
	"familyName":          kindName,
	"givenName":           kindName,
	"dateOfBirth":         kindDate,
	"expectedDateOfBirth": kindDate,
	"dateOfDeath":         kindDate,
	"dateOfBirthFrom":     kindDate,
	"dateOfBirthTo":       kindDate,
	"nhsNumber":           kindNHS,
	"upn":                 kindUPN,
	"address":             kindAddress,
	"lines":               kindAddress,
	"town":                kindAddress,
	"postcode":            kindPostcode,
	"phone":               kindPhone,
	"email":               kindEmail,
}

// impersonalNameContainers are the members whose objects' "name" names an organisation, a
// council or a code system, not a person. Any other "name" is treated as a person's.
var impersonalNameContainers = map[string]bool{
	"organisation":     true,
	"responsibleLa":    true,
	"codeSystems":      true,
	"localAuthorities": true,
}

// keyKind returns the kind of data under member key of an object that is itself the value of
// member container ("" at the top level).
func keyKind(key, container string) string {
	switch {
	case key == "name":
		if impersonalNameContainers[container] {
			return ""
		}
		return kindName
	case key == "value" && container == "identifiers":
		return kindIdentifier
	}
	return keyKinds[key]
}

var (
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	textRules  = []struct {
		kind string
		re   *regexp.Regexp
	}{
		{kindNHS, regexp.MustCompile(`\b\d{3} ?\d{3} ?\d{4}\b`)},
		{kindUPN, regexp.MustCompile(`(?i)\b[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]\b`)},
		{kindPostcode, regexp.MustCompile(`(?i)\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b`)},
	}
)

// replacement returns the text that stands for value of the given kind.
func replacement(kind, value string) string {
	if !maskedKinds[kind] {
		return "[redacted:" + kind + "]"
	}
	return "[redacted:" + kind + " " + mask(value) + "]"
}

// mask keeps the shape of s: digits become 9, letters A or a, other characters stay.
func mask(s string) string {
	const limit = 40
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == limit {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte('9')
		case r >= 'A' && r <= 'Z', r >= 'À' && r <= 'Þ':
			b.WriteByte('A')
		case r >= 'a' && r <= 'z', r >= 'ß' && r <= 'ÿ':
			b.WriteByte('a')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Text redacts free text: tokens always, and when Personal the Known values and anything shaped
// like an NHS number, a UPN or a postcode.
func (r Redactor) Text(s string) string {
	s = jwtPattern.ReplaceAllString(s, "[redacted:"+kindToken+"]")
	if !r.Personal {
		return s
	}
	// Text is idempotent: what an earlier pass replaced is left as it is.
	var b strings.Builder
	last := 0
	for _, m := range redactedSpan.FindAllStringIndex(s, -1) {
		b.WriteString(r.personal(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(r.personal(s[last:]))
	return b.String()
}

// redactedSpan matches what a redaction wrote.
var redactedSpan = regexp.MustCompile(`\[redacted:[^\]]*\]`)

// personal replaces the Known values and the identifier- and postcode-shaped text of s.
func (r Redactor) personal(s string) string {
	s = r.Known.Redact(s)
	for _, rule := range textRules {
		s = rule.re.ReplaceAllStringFunc(s, func(m string) string { return replacement(rule.kind, m) })
	}
	return s
}

// Value redacts a single value found at JSON Pointer ptr of a body (for the expected and
// actual values of a failure): by the pointer's last member name, else as free text.
func (r Redactor) Value(ptr, value string) string {
	if !r.Personal {
		return r.Text(value)
	}
	tokens, err := splitPointer(ptr)
	if err == nil {
		container := ""
		kind := ""
		for _, t := range tokens {
			if isIndex(t) {
				continue
			}
			if k := keyKind(t, container); k != "" {
				kind = k
			}
			container = t
		}
		if kind != "" && value != absent {
			return replacement(kind, strings.Trim(value, `"`))
		}
	}
	return r.Text(value)
}

func isIndex(tok string) bool {
	return tok != "" && strings.Trim(tok, "0123456789") == ""
}

// Body redacts a request or response body for evidence. A JSON body (any +json or json media
// type, or a body that parses as JSON) is redacted member by member and re-encoded compactly in
// its original member order; anything else is redacted as text.
func (r Redactor) Body(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		if out, err := r.json(body); err == nil {
			return out
		}
	}
	return r.Text(Clip(string(body), maxEvidence))
}

// Headers flattens h for evidence, joining repeated values with ", ". Authorization keeps
// only its scheme; cookies are dropped; other values are redacted as text. At most maxHeaders
// headers are kept, each value clipped to maxHeaderValue bytes.
func (r Redactor) Headers(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > maxHeaders {
		out["X-Icscert-Not-Kept"] = fmt.Sprintf("%d more headers (the harness keeps %d)", len(names)-maxHeaders, maxHeaders)
		names = names[:maxHeaders]
	}
	for _, name := range names {
		v := Clip(strings.Join(h[name], ", "), maxHeaderValue)
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization":
			scheme, _, _ := strings.Cut(v, " ")
			v = scheme + " [redacted:" + kindToken + "]"
		case "Cookie", "Set-Cookie":
			v = "[redacted:cookie]"
		default:
			v = r.Text(v)
		}
		out[http.CanonicalHeaderKey(name)] = v
	}
	return out
}

// json re-encodes a JSON document with personal data replaced, keeping member order.
func (r Redactor) json(body []byte) (string, error) {
	if jsonDepth(body, MaxJSONDepth) > MaxJSONDepth {
		return "", errTooDeep
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	w := jsonRedactor{r: r, dec: dec, out: &out}
	if err := w.value("", ""); err != nil {
		return "", err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("trailing data after the JSON value")
	}
	return out.String(), nil
}

type jsonRedactor struct {
	r   Redactor
	dec *json.Decoder
	out *bytes.Buffer
}

// value copies one JSON value; kind is the personal-data kind inherited from the enclosing
// members ("" for none) and container the name of the member whose value encloses it.
func (w *jsonRedactor) value(kind, container string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			w.out.WriteByte('{')
			for first := true; w.dec.More(); first = false {
				keyTok, err := w.dec.Token()
				if err != nil {
					return err
				}
				key, _ := keyTok.(string)
				if !first {
					w.out.WriteByte(',')
				}
				writeJSONString(w.out, key)
				w.out.WriteByte(':')
				childKind := kind
				if w.r.Personal {
					if k := keyKind(key, container); k != "" {
						childKind = k
					}
				}
				if err := w.value(childKind, key); err != nil {
					return err
				}
			}
			if _, err := w.dec.Token(); err != nil {
				return err
			}
			w.out.WriteByte('}')
		case '[':
			w.out.WriteByte('[')
			for first := true; w.dec.More(); first = false {
				if !first {
					w.out.WriteByte(',')
				}
				if err := w.value(kind, container); err != nil {
					return err
				}
			}
			if _, err := w.dec.Token(); err != nil {
				return err
			}
			w.out.WriteByte(']')
		}
	case string:
		if kind != "" {
			writeJSONString(w.out, replacement(kind, t))
		} else {
			writeJSONString(w.out, w.r.Text(t))
		}
	case json.Number:
		if kind != "" {
			writeJSONString(w.out, replacement(kind, t.String()))
		} else {
			w.out.WriteString(t.String())
		}
	case bool:
		if t {
			w.out.WriteString("true")
		} else {
			w.out.WriteString("false")
		}
	case nil:
		w.out.WriteString("null")
	}
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping, so evidence stays readable.
func writeJSONString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}
