package ident

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// UPNLetters is the check-letter table of DOMAIN.md §2: the letter at index k has value k
// (A0 B1 … Z22). I, O and S are never used.
const UPNLetters = "ABCDEFGHJKLMNPQRTUVWXYZ"

// NormaliseUPN returns s with leading and trailing white space removed and ASCII letters
// upper-cased, the form in which UPNs are stored and compared. Other characters are left as
// they are (so a non-ASCII look-alike never turns into a valid UPN). It does not check the
// result.
func NormaliseUPN(s string) string {
	s = strings.TrimSpace(s)
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// CheckUPN reports whether s, after NormaliseUPN, is a valid Unique Pupil Number, enforcing
// every clause of ID-002 in this order: it is 13 characters long; character 1 is a letter of
// UPNLetters; characters 2–12 are digits; character 13 is a digit or a letter other than I, O
// and S (a temporary UPN); characters 2–4 are the DfE code of a council in reg, of any status
// (a UPN issued by a council that was later terminated stays valid); and character 1 equals
// UPNCheckLetter of characters 2–13. A nil reg means Councils(). It returns nil or an *Error
// with Code INVALID_UPN.
func CheckUPN(s string, reg *Registry) error {
	u := NormaliseUPN(s)
	if n := utf8.RuneCountInString(u); n != 13 || len(u) != 13 {
		if u == "" {
			return upnError("is empty")
		}
		if n == 13 {
			return upnError("contains a character that is not an ASCII letter or digit")
		}
		return upnError(fmt.Sprintf("has %d characters; a UPN has 13", n))
	}
	if strings.IndexByte(UPNLetters, u[0]) < 0 {
		return upnError("character 1 is not a check letter (A–Z without I, O and S)")
	}
	for i := 1; i < 12; i++ {
		if !isDigit(u[i]) {
			return upnError("characters 2–12 must all be digits")
		}
	}
	if _, ok := upnValue(u[12]); !ok {
		return upnError("character 13 must be a digit or a letter other than I, O and S")
	}
	if reg == nil {
		reg = Councils()
	}
	if _, ok := reg.Lookup(u[1:4]); !ok {
		return upnError("characters 2–4 are not the DfE code of a known council")
	}
	want, err := UPNCheckLetter(u[1:])
	if err != nil {
		return err
	}
	if u[0] != want {
		return upnError("the check letter (character 1) does not match the mod-23 check")
	}
	return nil
}

// UPNCheckLetter returns the check letter for body12, the twelve characters 2–13 of a UPN:
// with S = Σ i·v(i) for i = 2..13, where v of a digit is its value and v of a letter in
// position 13 is its value in UPNLetters, the letter is UPNLetters[S mod 23]. It returns an
// *Error with Code INVALID_UPN when body12 is not eleven digits followed by a digit or a
// letter of UPNLetters. It does not check the council code.
func UPNCheckLetter(body12 string) (byte, error) {
	if len(body12) != 12 {
		return 0, upnError("the body (characters 2–13) must be 12 characters")
	}
	s := 0
	for k := 0; k < 12; k++ {
		c := body12[k]
		v, ok := upnValue(c)
		if !ok || (k < 11 && !isDigit(c)) {
			return 0, upnError("the body (characters 2–13) must be 11 digits and then a digit or a letter other than I, O and S")
		}
		s += (k + 2) * v
	}
	return UPNLetters[s%23], nil
}

// ComposeUPN builds a UPN from its parts and prepends the check letter: dfe is a 3-digit council
// code (not looked up), establishment is 0..9999, year is a calendar or two-digit year of which
// the last two digits are used, and serial is three digits, or two digits and a letter of
// UPNLetters for a temporary UPN. It returns an *Error with Code INVALID_UPN when a part is out
// of range.
func ComposeUPN(dfe string, establishment, year int, serial string) (string, error) {
	if len(dfe) != 3 || !isDigit(dfe[0]) || !isDigit(dfe[1]) || !isDigit(dfe[2]) {
		return "", upnError("the council code must be 3 digits")
	}
	if establishment < 0 || establishment > 9999 {
		return "", upnError("the establishment number must be 0..9999")
	}
	if year < 0 {
		return "", upnError("the year must not be negative")
	}
	if len(serial) != 3 {
		return "", upnError("the serial must be 3 characters")
	}
	body := fmt.Sprintf("%s%04d%02d%s", dfe, establishment, year%100, serial)
	letter, err := UPNCheckLetter(body)
	if err != nil {
		return "", err
	}
	return string(letter) + body, nil
}

// upnValue returns v(c): a digit's value, or a check-table letter's index.
func upnValue(c byte) (int, bool) {
	if isDigit(c) {
		return int(c - '0'), true
	}
	if i := strings.IndexByte(UPNLetters, c); i >= 0 {
		return i, true
	}
	return 0, false
}

func upnError(reason string) error {
	return &Error{Code: CodeInvalidUPN, Reason: "the UPN " + reason}
}
