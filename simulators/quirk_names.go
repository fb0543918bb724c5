package simulators

import (
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// nameLimit is the column width of the names-truncated-35 quirk, in characters (code points).
const nameLimit = 35

// childWrites reports whether r writes a child's names: POST /v1/children or
// PATCH /v1/children/{id}.
func childWrites(r *http.Request) bool {
	return (r.Method == http.MethodPost && r.URL.Path == "/v1/children") ||
		(r.Method == http.MethodPatch && matchPath(r.URL.Path, "/v1/children/*") && r.URL.Path != "/v1/children/search")
}

// rewriteNames applies fn to every part of every person's name in a child's body: name,
// formerNames[] and parentsCarers[].name (given[] and family of each).
func rewriteNames(v any, fn func(string) string) bool {
	body, ok := v.(map[string]any)
	if !ok {
		return false
	}
	var names []any
	names = append(names, body["name"])
	if former, ok := body["formerNames"].([]any); ok {
		names = append(names, former...)
	}
	if carers, ok := body["parentsCarers"].([]any); ok {
		for _, c := range carers {
			if cm, ok := c.(map[string]any); ok {
				names = append(names, cm["name"])
			}
		}
	}
	changed := false
	set := func(s string, put func(string)) {
		if to := fn(s); to != s {
			put(to)
			changed = true
		}
	}
	for _, n := range names {
		nm, ok := n.(map[string]any)
		if !ok {
			continue
		}
		if family, ok := nm["family"].(string); ok {
			set(family, func(to string) { nm["family"] = to })
		}
		if given, ok := nm["given"].([]any); ok {
			for i, g := range given {
				if gs, ok := g.(string); ok {
					set(gs, func(to string) { given[i] = to })
				}
			}
		}
	}
	return changed
}

// namesMiddleware rewrites the names of child writes with fn.
func namesMiddleware(fn func(string) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if childWrites(r) {
				r = rewriteRequest(r, func(v any) bool { return rewriteNames(v, fn) })
			}
			next.ServeHTTP(w, r)
		})
	}
}

// truncateName cuts s to nameLimit characters.
func truncateName(s string) string {
	runes := []rune(s)
	if len(runes) <= nameLimit {
		return s
	}
	return string(runes[:nameLimit])
}

// namesTruncated35 is the names-truncated-35 quirk.
func namesTruncated35(Config) func(http.Handler) http.Handler {
	return namesMiddleware(truncateName)
}

// asciiLetters spells the letters that do not decompose into a base letter and accents.
var asciiLetters = map[rune]string{
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ø': "o", 'Ø': "O",
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th", 'ı': "i",
}

// isApostrophe reports whether r is an apostrophe or a character commonly typed for one.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´':
		return true
	}
	return false
}

// asciiFold strips diacritics and apostrophes from s: "Zoë O'Neill" → "Zoe ONeill". Letters of
// scripts without an ASCII spelling are kept.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), isApostrophe(r):
			continue
		}
		if f, found := asciiLetters[r]; found {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// namesASCIIFolded is the names-ascii-folded quirk.
func namesASCIIFolded(Config) func(http.Handler) http.Handler {
	return namesMiddleware(asciiFold)
}
