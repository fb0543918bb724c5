package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"github.com/icscert/icscert/spec"
)

// decodeJSON decodes a JSON document keeping numbers exact (json.Number).
func decodeJSON(data []byte) (any, error) {
	if jsonDepth(data, MaxJSONDepth) > MaxJSONDepth {
		return nil, errTooDeep
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// ParseLiteral reads a step's JSON literal: "text", 3, true, null, [..] or {..}. A value that
// is not valid JSON is taken as a bare string, so `is ACTIVE` and `is "ACTIVE"` agree.
func ParseLiteral(s string) any {
	s = strings.TrimSpace(s)
	if v, err := decodeJSON([]byte(s)); err == nil {
		return v
	}
	return s
}

// splitPointer splits an RFC 6901 JSON Pointer into unescaped reference tokens.
func splitPointer(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if ptr[0] != '/' {
		return nil, fmt.Errorf("JSON Pointer %q must be empty or start with /", ptr)
	}
	parts := strings.Split(ptr[1:], "/")
	for i, p := range parts {
		parts[i] = spec.UnescapePointerToken(p)
	}
	return parts, nil
}

// Lookup returns the value at JSON Pointer ptr in doc (a decoded JSON value) and whether it is
// there. A malformed pointer is an error.
func Lookup(doc any, ptr string) (any, bool, error) {
	tokens, err := splitPointer(ptr)
	if err != nil {
		return nil, false, err
	}
	cur := doc
	for _, tok := range tokens {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[tok]
			if !ok {
				return nil, false, nil
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false, nil
			}
			cur = node[i]
		default:
			return nil, false, nil
		}
	}
	return cur, true, nil
}

// SetAt sets the value at JSON Pointer ptr in doc and returns the new document. Missing
// objects on the way are created; "-" appends to an array; the empty pointer replaces doc.
func SetAt(doc any, ptr string, value any) (any, error) {
	tokens, err := splitPointer(ptr)
	if err != nil {
		return nil, err
	}
	return setTokens(doc, tokens, value, ptr)
}

func setTokens(node any, tokens []string, value any, ptr string) (any, error) {
	if len(tokens) == 0 {
		return value, nil
	}
	tok, rest := tokens[0], tokens[1:]
	switch n := node.(type) {
	case nil:
		child, err := setTokens(nil, rest, value, ptr)
		if err != nil {
			return nil, err
		}
		return map[string]any{tok: child}, nil
	case map[string]any:
		child, err := setTokens(n[tok], rest, value, ptr)
		if err != nil {
			return nil, err
		}
		n[tok] = child
		return n, nil
	case []any:
		if tok == "-" {
			child, err := setTokens(nil, rest, value, ptr)
			if err != nil {
				return nil, err
			}
			return append(n, child), nil
		}
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(n) {
			return nil, fmt.Errorf("set %s: no array element %q", ptr, tok)
		}
		child, err := setTokens(n[i], rest, value, ptr)
		if err != nil {
			return nil, err
		}
		n[i] = child
		return n, nil
	default:
		return nil, fmt.Errorf("set %s: %q is inside a %s, not an object or array", ptr, tok, jsonKind(node))
	}
}

// RemoveAt deletes the member or element at ptr from doc, if present, and returns the new doc.
func RemoveAt(doc any, ptr string) (any, error) {
	tokens, err := splitPointer(ptr)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return nil, nil
	}
	parentPtr := ptr[:strings.LastIndexByte(ptr, '/')]
	parent, ok, _ := Lookup(doc, parentPtr)
	if !ok {
		return doc, nil
	}
	last := tokens[len(tokens)-1]
	switch p := parent.(type) {
	case map[string]any:
		delete(p, last)
		return doc, nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			return doc, nil
		}
		return SetAt(doc, parentPtr, append(p[:i:i], p[i+1:]...))
	default:
		return doc, nil
	}
}

// deepCopyJSON returns a deep copy of a decoded JSON document.
func deepCopyJSON(doc any) any {
	switch t := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = deepCopyJSON(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = deepCopyJSON(v)
		}
		return out
	}
	return doc
}

// JSONEqual reports whether two decoded JSON values are equal; numbers compare by value, so 1
// equals 1.0.
func JSONEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		x, okx := new(big.Float).SetString(an.String())
		y, oky := new(big.Float).SetString(bn.String())
		if okx && oky {
			return x.Cmp(y) == 0
		}
		return an == bn
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !JSONEqual(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !JSONEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

// Render returns v as compact JSON text, for expected/actual in failures. A missing value is
// rendered by the caller as "(absent)".
func Render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// absent is how a missing value is shown as the actual value of a failure.
const absent = "(absent)"
