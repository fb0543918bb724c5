package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/icscert/icscert/spec"
)

// maxJSONDepth bounds the nesting of a request body.
const maxJSONDepth = 32

// textError is the error of a well-formed JSON body whose strings are not valid Unicode text:
// raw bytes that are not UTF-8, or a \u escape of a lone UTF-16 surrogate. encoding/json would
// silently turn either into U+FFFD, so the server would store something other than what was
// sent. fields names every such string by its JSON Pointer.
type textError struct{ fields *fieldErrors }

func (e *textError) Error() string {
	return fmt.Sprintf("request body has %d string(s) that are not valid UTF-8 text", len(e.fields.list))
}

// parseJSON parses a request body into string, json.Number, bool, nil, []any and
// map[string]any values. Unlike encoding/json it rejects duplicate member names, trailing
// data and nesting deeper than maxJSONDepth, so that what is validated is exactly what was
// sent. A well-formed body with a string or member name that is not valid UTF-8 text (see
// textError) fails with a *textError naming each one.
func parseJSON(b []byte) (any, error) {
	v, err := spec.DecodeStrictJSON(b, maxJSONDepth, spec.MembersAsMap)
	if err != nil {
		return nil, err
	}
	if utf8.Valid(b) && !surrogateEscapeRE.Match(b) {
		return v, nil
	}
	fields := &fieldErrors{}
	if err := findBadText(b, fields); err != nil {
		return nil, fmt.Errorf("locate invalid text: %w", err)
	}
	if !fields.empty() {
		return nil, &textError{fields: fields}
	}
	return v, nil
}

// surrogateEscapeRE finds what may be a \u escape of a UTF-16 surrogate (D800..DFFF); only a
// document that has one, or invalid UTF-8, is walked by findBadText.
var surrogateEscapeRE = regexp.MustCompile(`\\u[dD][89a-fA-F]`)

// findBadText walks the well-formed document b and records, at its JSON Pointer, every string
// value that is not valid text, and at the pointer of the enclosing object every member name
// that is not (such a name cannot be written into a pointer faithfully).
func findBadText(b []byte, fields *fieldErrors) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	w := textWalker{dec: dec, doc: b, fields: fields}
	return w.value("")
}

type textWalker struct {
	dec    *json.Decoder
	doc    []byte
	fields *fieldErrors
}

// token reads one token and reports whether its literal, if a string, is valid text.
func (w *textWalker) token() (json.Token, bool, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, false, err
	}
	if _, isString := tok.(string); !isString {
		return tok, true, nil
	}
	// Between start and the end of the token there are only white space, ':' and ',' before
	// the opening quote, all ASCII.
	span := w.doc[start:w.dec.InputOffset()]
	if i := bytes.IndexByte(span, '"'); i >= 0 {
		span = span[i:]
	}
	return tok, validText(span), nil
}

// value reads one value at ptr.
func (w *textWalker) value(ptr string) error {
	tok, good, err := w.token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case string:
		if !good {
			w.fields.add(ptr, feFormat, "must be valid UTF-8 text")
		}
	case json.Delim:
		switch t {
		case '{':
			return w.members(ptr)
		case '[':
			for i := 0; w.dec.More(); i++ {
				if err := w.value(pointer(ptr, strconv.Itoa(i))); err != nil {
					return err
				}
			}
			_, err := w.dec.Token()
			return err
		}
	}
	return nil
}

// members reads the rest of an object at ptr whose "{" has been read.
func (w *textWalker) members(ptr string) error {
	badName := false
	for w.dec.More() {
		tok, good, err := w.token()
		if err != nil {
			return err
		}
		name, ok := tok.(string)
		if !ok {
			return errors.New("object member name is not a string")
		}
		badName = badName || !good
		if err := w.value(pointer(ptr, name)); err != nil {
			return err
		}
	}
	if badName {
		w.fields.add(ptr, feFormat, "has a member name that is not valid UTF-8 text")
	}
	_, err := w.dec.Token()
	return err
}

// validText reports whether a JSON string literal, quotes included, is valid UTF-8 and has no
// \u escape of a lone surrogate.
func validText(lit []byte) bool {
	if !utf8.Valid(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' || i+1 >= len(lit) {
			continue
		}
		if lit[i+1] != 'u' {
			i++ // a one-character escape, such as \\ or \"
			continue
		}
		r, ok := hex4(lit, i+2)
		if !ok {
			return false
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate without a high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(lit) || lit[i+1] != '\\' || lit[i+2] != 'u' {
				return false
			}
			low, ok := hex4(lit, i+3)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads the four hex digits at b[at:].
func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// convert turns a validated JSON value into the typed value dst points to.
func convert(v any, dst any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("convert request body: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("convert request body: %w", err)
	}
	return nil
}
