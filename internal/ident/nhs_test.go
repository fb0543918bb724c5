package ident

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckNHS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		valid      bool
		wantReason string // a fragment of the reason when invalid
		reason     string
	}{
		{"9434765919", true, "", "DOMAIN §2 worked example (S = 299, C = 9)"},
		{"943 476 5919", true, "", "the worked example as written, with spaces"},
		{"987 654 4321", false, "check digit", "the common format example fails the check"},
		{"9876544321", false, "check digit", "the format example without spaces fails too"},
		{"9990000018", true, "", "DOMAIN §2: valid test-range example"},
		{"9990000026", true, "", "DOMAIN §2: valid test-range example"},
		{"9990000034", true, "", "DOMAIN §2: valid test-range example"},
		{"9990000050", true, "", "C = 11 means the check digit is 0"},
		{"9990000019", false, "check digit", "wrong check digit"},
		{" 999 000 0018 ", true, "", "leading, trailing and inner ASCII spaces are ignored"},
		{"999  0000018", true, "", "repeated spaces are ignored"},
		{"", false, "empty", "empty input"},
		{"   ", false, "empty", "only spaces"},
		{"999000001", false, "has 9 digits", "nine digits is too short"},
		{"99900000188", false, "has 11 digits", "eleven digits is too long"},
		{"99900000A8", false, "other than a digit", "a letter"},
		{"999-000-0018", false, "other than a digit", "hyphens are not spaces"},
		{"999\t000\t0018", false, "other than a digit", "tabs are not ASCII spaces"},
		{"999\u00a0000\u00a00018", false, "other than a digit", "no-break spaces are not ASCII spaces"},
		{"９９９００００００１８", false, "other than a digit", "full-width digits are not ASCII digits"},
		{"+449990000018", false, "other than a digit", "no country code"},
	}
	for i := range 10 {
		tests = append(tests, struct {
			in         string
			valid      bool
			wantReason string
			reason     string
		}{fmt.Sprintf("999123456%d", i), false, "11 − S mod 11 = 10", "DOMAIN §2: every 999123456x is invalid because C = 10"})
	}
	for _, tc := range tests {
		t.Run(tc.reason+"/"+tc.in, func(t *testing.T) {
			t.Parallel()
			err := CheckNHS(tc.in)
			if tc.valid {
				assert.NoError(t, err, tc.reason)
				return
			}
			require.Error(t, err, tc.reason)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, CodeInvalidNHS, e.Code)
			require.ErrorIs(t, err, ErrInvalidNHS)
			assert.Contains(t, e.Reason, tc.wantReason, tc.reason)
			if n := NormaliseNHS(tc.in); len(n) >= 4 {
				assert.NotContains(t, e.Error(), n, "the reason must not repeat the number")
			}
		})
	}
}

func TestNHSWorkedExampleSum(t *testing.T) {
	t.Parallel()
	s, ok := nhsSum("943476591")
	require.True(t, ok)
	assert.Equal(t, 299, s, "DOMAIN §2 gives S = 299 for 943 476 5919")
	d, ok := NHSCheckDigit("943476591")
	require.True(t, ok)
	assert.Equal(t, 9, d)
}

func TestNHSCheckDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		first9 string
		digit  int
		ok     bool
		reason string
	}{
		{"999000001", 8, true, "9990000018"},
		{"999000002", 6, true, "9990000026"},
		{"999000003", 4, true, "9990000034"},
		{"999000005", 0, true, "C = 11 gives 0"},
		{"999123456", 0, false, "C = 10: no valid number"},
		{"99900000", 0, false, "eight digits is malformed"},
		{"9990000010", 0, false, "ten digits is malformed"},
		{"99900000x", 0, false, "a letter is malformed"},
		{"", 0, false, "empty is malformed"},
	}
	for _, tc := range tests {
		d, ok := NHSCheckDigit(tc.first9)
		assert.Equal(t, tc.ok, ok, tc.reason)
		assert.Equal(t, tc.digit, d, tc.reason)
	}
}

func TestNormaliseNHS(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, reason string }{
		{"943 476 5919", "9434765919", "spaces dropped"},
		{" 9434765919 ", "9434765919", "outer spaces dropped"},
		{"943\t476", "943\t476", "tabs kept: only ASCII spaces are dropped"},
		{"943-476", "943-476", "hyphens kept"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, NormaliseNHS(tc.in), tc.reason)
	}
}

func TestCheckNHSExhaustiveTestRangeSample(t *testing.T) {
	t.Parallel()
	// Every prefix has exactly one valid number, or none when C = 10.
	for p := 999000000; p < 999002000; p++ {
		first9 := fmt.Sprint(p)
		valid := 0
		for d := range 10 {
			if CheckNHS(first9+fmt.Sprint(d)) == nil {
				valid++
			}
		}
		_, ok := NHSCheckDigit(first9)
		if ok {
			assert.Equal(t, 1, valid, "prefix %s", first9)
		} else {
			assert.Equal(t, 0, valid, "prefix %s", first9)
		}
		if t.Failed() {
			return
		}
	}
}
