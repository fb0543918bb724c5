package spec

import "strings"

// pointerEscaper escapes a reference token as RFC 6901 §3 says: "~" first, then "/".
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointerUnescaper undoes pointerEscaper: "~1" first, then "~0" (RFC 6901 §4), which a
// strings.Replacer does in one left-to-right pass without re-reading its output.
var pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")

// EscapePointerToken escapes one reference token of an RFC 6901 JSON Pointer ("a/b" becomes
// "a~1b", "m~n" becomes "m~0n"). It is the only escaper of the module: contract findings,
// the reference's field errors and the steps' assertions all name members through it.
func EscapePointerToken(token string) string { return pointerEscaper.Replace(token) }

// UnescapePointerToken is the inverse of EscapePointerToken.
func UnescapePointerToken(token string) string { return pointerUnescaper.Replace(token) }

// AppendPointer appends one reference token, escaped, to the JSON Pointer base.
func AppendPointer(base, token string) string { return base + "/" + EscapePointerToken(token) }
