package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Member is one name/value pair of a JSON object, in the order the document has it.
type Member struct {
	Name  string
	Value any
}

// DecodeStrictJSON reads exactly one JSON document from doc into string, json.Number, bool,
// nil and []any values, handing each object's members, in document order, to object and
// using what it returns as the object's value. Unlike encoding/json it rejects duplicate
// member names and trailing data, and, when maxDepth > 0, nesting deeper than maxDepth, so
// that what a caller checks or hashes is exactly what was sent. It is the one strict reader
// of the module (the reference's request bodies, RFC 8785 canonical JSON) and is safe for
// concurrent use if object is.
func DecodeStrictJSON(doc []byte, maxDepth int, object func([]Member) any) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	r := strictReader{dec: dec, maxDepth: maxDepth, object: object}
	v, err := r.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

// MembersAsMap is an object function for DecodeStrictJSON that builds a map[string]any.
func MembersAsMap(members []Member) any {
	m := make(map[string]any, len(members))
	for _, mb := range members {
		m[mb.Name] = mb.Value
	}
	return m
}

type strictReader struct {
	dec      *json.Decoder
	maxDepth int
	object   func([]Member) any
}

// value reads one value at nesting depth.
func (r *strictReader) value(depth int) (any, error) {
	if r.maxDepth > 0 && depth > r.maxDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil
	}
	switch d {
	case '{':
		return r.members(depth)
	case '[':
		arr := []any{}
		for r.dec.More() {
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := r.dec.Token(); err != nil {
			return nil, err
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unexpected delimiter %q", d)
}

// members reads the rest of an object whose "{" has been read.
func (r *strictReader) members(depth int) (any, error) {
	obj := []Member{}
	seen := map[string]bool{}
	for r.dec.More() {
		nameTok, err := r.dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := nameTok.(string)
		if !ok {
			return nil, errors.New("object member name is not a string")
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate member name at depth %d", depth)
		}
		seen[name] = true
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj = append(obj, Member{name, v})
	}
	if _, err := r.dec.Token(); err != nil {
		return nil, err
	}
	return r.object(obj), nil
}
