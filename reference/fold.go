package reference

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// letterFolds spells letters that do not decompose into a base letter and accents.
var letterFolds = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i",
}

// foldName returns the form in which names are compared by search (SEARCH-003): case and
// accents folded away, and everything but letters and digits (apostrophes, hyphens, spaces)
// dropped. "O'Brien-Núñez" and "obrien nunez" fold alike.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if f, found := letterFolds[r]; found {
			b.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// foldPostcode returns a postcode upper-case without spaces, for comparison.
func foldPostcode(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}
