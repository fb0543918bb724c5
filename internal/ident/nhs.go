package ident

import (
	"fmt"
	"strings"
)

// NormaliseNHS returns s without its ASCII spaces (U+0020), the form in which NHS numbers are
// stored and compared. It drops nothing else and does not check the result.
func NormaliseNHS(s string) string {
	return strings.ReplaceAll(s, " ", "")
}

// CheckNHS reports whether s is a valid NHS number (ID-001, DOMAIN.md §2): after dropping ASCII
// spaces it must be exactly 10 ASCII digits whose tenth digit is the modulus 11 check digit of
// the first nine. It returns nil or an *Error with Code INVALID_NHS_NUMBER.
func CheckNHS(s string) error {
	n := NormaliseNHS(s)
	if n == "" {
		return nhsError("is empty")
	}
	for i := 0; i < len(n); i++ {
		if !isDigit(n[i]) {
			return nhsError("contains a character other than a digit or a space")
		}
	}
	if len(n) != 10 {
		return nhsError(fmt.Sprintf("has %d digits; an NHS number has 10", len(n)))
	}
	want, ok := NHSCheckDigit(n[:9])
	if !ok {
		return nhsError("no number with these first nine digits is valid (11 − S mod 11 = 10)")
	}
	if int(n[9]-'0') != want {
		return nhsError("the check digit (digit 10) does not match modulus 11")
	}
	return nil
}

// NHSCheckDigit returns the modulus 11 check digit for the first nine digits of an NHS number:
// S = 10·d1 + 9·d2 + … + 2·d9, C = 11 − (S mod 11), and the digit is C, or 0 when C = 11. ok is
// false when C = 10 (no NHS number starts with these nine digits) and when first9 is not
// exactly nine ASCII digits.
func NHSCheckDigit(first9 string) (digit int, ok bool) {
	s, ok := nhsSum(first9)
	if !ok {
		return 0, false
	}
	c := 11 - s%11
	switch c {
	case 11:
		return 0, true
	case 10:
		return 0, false
	default:
		return c, true
	}
}

// nhsSum returns S = Σ (11−i)·di for i = 1..9, and false when first9 is not nine ASCII digits.
func nhsSum(first9 string) (int, bool) {
	if len(first9) != 9 {
		return 0, false
	}
	s := 0
	for i := 0; i < 9; i++ {
		c := first9[i]
		if !isDigit(c) {
			return 0, false
		}
		s += (10 - i) * int(c-'0')
	}
	return s, true
}

func nhsError(reason string) error {
	return &Error{Code: CodeInvalidNHS, Reason: "the NHS number " + reason}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
