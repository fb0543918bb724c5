package steps

import (
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Ledger holds every personal or locating value the harness generated or sent in a run: the
// children's names, dates of birth, identifiers, addresses and contacts, and the schools, GPs
// and practitioners of their involvements. Redact replaces each of them, as a whole word,
// wherever it appears in a string, so that no report shows them whatever the string's source
// (a body that is not JSON, a step's error, a header). A Ledger is safe for concurrent use; the
// zero value is empty and ready.
type Ledger struct {
	mu sync.RWMutex
	// byWord maps the first word of each value (and of its upper-case form) to the values
	// starting with it, longest first.
	byWord map[string][]string
	all    map[string]bool
}

// minLedgerValue is the shortest value kept, in runes: a one-letter "name" would redact words.
const minLedgerValue = 2

// Add records values.
func (l *Ledger) Add(values []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.all == nil {
		l.all, l.byWord = map[string]bool{}, map[string][]string{}
	}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) < minLedgerValue {
			continue
		}
		for _, form := range []string{v, strings.ToUpper(v)} {
			if l.all[form] {
				continue
			}
			first := firstWord(form)
			if first == "" {
				continue
			}
			l.all[form] = true
			list := append(l.byWord[first], form)
			for i := len(list) - 1; i > 0 && len(list[i]) > len(list[i-1]); i-- {
				list[i], list[i-1] = list[i-1], list[i]
			}
			l.byWord[first] = list
		}
	}
}

// Values returns every value recorded (each in its forms as written and in upper case).
func (l *Ledger) Values() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]string, 0, len(l.all))
	for v := range l.all {
		out = append(out, v)
	}
	return out
}

// Len returns the number of values recorded, counting each form.
func (l *Ledger) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.all)
}

// Redact replaces every recorded value that appears in s as whole words with
// "[redacted:personal]". A value inside a longer word is left alone ("Ann" in "Annotation").
func (l *Ledger) Redact(s string) string {
	if l == nil || s == "" {
		return s
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.all) == 0 {
		return s
	}
	var b strings.Builder
	last := 0 // s[last:] is not yet written
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) || (i > 0 && isWordRune(lastRune(s[:i]))) {
			i += size
			continue
		}
		// A word starts at i.
		end := i
		for end < len(s) {
			r2, n := utf8.DecodeRuneInString(s[end:])
			if !isWordRune(r2) {
				break
			}
			end += n
		}
		matched := 0
		for _, v := range l.byWord[s[i:end]] {
			if strings.HasPrefix(s[i:], v) && wordEndsAt(s, i+len(v)) {
				matched = len(v)
				break
			}
		}
		if matched == 0 {
			i = end
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString("[redacted:personal]")
		i += matched
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// wordEndsAt reports whether position i of s is the end of a word.
func wordEndsAt(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r) || !isWordRune(lastRune(s[:i]))
}

// firstWord returns the first run of letters and digits of s, "" if there is none at its start.
func firstWord(s string) string {
	for i, r := range s {
		if !isWordRune(r) {
			return s[:i]
		}
	}
	return s
}

// sentValues returns the personal values in a request the harness sends: the members of a JSON
// body that hold personal data (by the redactor's key rules) and query parameters named like
// them.
func sentValues(path string, body []byte) []string {
	var out []string
	if _, query, ok := strings.Cut(path, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil {
			for key, vs := range q {
				if keyKind(key, "") != "" {
					out = append(out, vs...)
				}
			}
		}
	}
	if len(body) == 0 {
		return out
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return out
	}
	var walk func(v any, kind, container string)
	walk = func(v any, kind, container string) {
		switch t := v.(type) {
		case map[string]any:
			for k, child := range t {
				ck := kind
				if k2 := keyKind(k, container); k2 != "" {
					ck = k2
				}
				walk(child, ck, k)
			}
		case []any:
			for _, child := range t {
				walk(child, kind, container)
			}
		case string:
			if kind != "" {
				out = append(out, t)
			}
		}
	}
	walk(doc, "", "")
	return out
}
