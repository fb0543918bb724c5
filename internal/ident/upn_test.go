package ident

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustCompose builds a UPN with a correct check letter for the test tables.
func mustCompose(t *testing.T, dfe string, establishment, year int, serial string) string {
	t.Helper()
	u, err := ComposeUPN(dfe, establishment, year, serial)
	require.NoError(t, err)
	return u
}

func TestCheckUPN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		valid      bool
		wantReason string // a fragment of the reason when invalid
		reason     string
	}{
		{"B801200005001", true, "", "DOMAIN §2 valid example (801 Bristol)"},
		{"P207000016049", true, "", "DOMAIN §2 valid example (207 Kensington and Chelsea)"},
		{"R20299992500A", true, "", "DOMAIN §2 valid temporary UPN (202 Camden)"},
		{"Q207000016049", false, "check letter", "DOMAIN §2: the widely copied example has the wrong check letter"},
		{"b801200005001", true, "", "lower case is normalised"},
		{"r20299992500a", true, "", "lower-case temporary UPN is normalised"},
		{"  P207000016049\n", true, "", "surrounding white space is trimmed"},
		{"", false, "empty", "empty input"},
		{"B80120000500", false, "has 12 characters", "one character short"},
		{"B8012000050011", false, "has 14 characters", "one character too many"},
		{"B 801200005001", false, "has 14 characters", "inner spaces are not dropped"},
		{"B80120000500é", false, "not an ASCII letter or digit", "13 characters but one is not ASCII"},
		{"B8012000A5001", false, "characters 2–12", "a letter among characters 2–12"},
		{"B80120000500-", false, "character 13", "punctuation in position 13"},
		{"X20299992500I", false, "character 13", "I is never used in position 13"},
		{"X20299992500O", false, "character 13", "O is never used in position 13"},
		{"X20299992500S", false, "character 13", "S is never used in position 13"},
		{"1801200005001", false, "character 1", "a digit where the check letter goes"},
		{"I801200005001", false, "character 1", "I is never a check letter"},
		{"C801200005001", false, "check letter", "a wrong check letter"},
		{"A801200005001", false, "check letter", "another wrong check letter"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			assertUPN(t, tc.in, tc.valid, tc.wantReason, tc.reason)
		})
	}
}

func TestCheckUPNCouncilCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dfe    string
		valid  bool
		reason string
	}{
		{"202", true, "202 Camden is live"},
		{"909", true, "909 Cumbria was terminated in 2023 but its UPNs stay valid"},
		{"820", true, "820 Bedfordshire was terminated in 2009 but its UPNs stay valid"},
		{"929", true, "929 Northumberland changed GSS code and is live"},
		{"100", false, "100 is no council's DfE code"},
		{"999", false, "999 is no council's DfE code"},
		{"702", false, "702 (BFPO) is dropped from the list"},
		{"000", false, "000 is no council's DfE code"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			for _, serial := range []string{"123", "45A"} {
				u := mustCompose(t, tc.dfe, 9123, 24, serial)
				assertUPN(t, u, tc.valid, "characters 2–4", tc.reason)
			}
		})
	}
}

func assertUPN(t *testing.T, in string, valid bool, wantReason, reason string) {
	t.Helper()
	err := CheckUPN(in, nil)
	if valid {
		assert.NoError(t, err, reason)
		return
	}
	require.Error(t, err, reason)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeInvalidUPN, e.Code, reason)
	require.ErrorIs(t, err, ErrInvalidUPN)
	assert.Contains(t, e.Reason, wantReason, reason)
	if n := NormaliseUPN(in); len(n) >= 4 {
		assert.NotContains(t, e.Error(), n, "the reason must not repeat the UPN")
	}
}

func TestCheckUPNWithOwnRegistry(t *testing.T) {
	t.Parallel()
	reg, err := LoadRegistry(stringsReader(csvHeader + "E09000007,Camden,01/01/2009,,E12000007,E09,London Boroughs,live,202\n"))
	require.NoError(t, err)
	assert.NoError(t, CheckUPN("R20299992500A", reg), "202 is in the registry")
	assert.ErrorIs(t, CheckUPN("B801200005001", reg), ErrInvalidUPN, "801 is not in this registry")
}

func TestUPNCheckLetter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		want   byte
		ok     bool
		reason string
	}{
		{"801200005001", 'B', true, "S = 93, 93 mod 23 = 1 → B"},
		{"207000016049", 'P', true, "S = 266, 266 mod 23 = 13 → P"},
		{"20299992500A", 'R', true, "temporary: A is worth 0; S = 314 → R"},
		{"20299992500Z", 'C', true, "temporary: Z is worth 22; S = 314 + 13·22 = 600, 600 mod 23 = 2 → C"},
		{"80120000500", 0, false, "11 characters"},
		{"8012000050011", 0, false, "13 characters"},
		{"8012000A5001", 0, false, "a letter before position 13"},
		{"80120000500I", 0, false, "I in position 13"},
		{"80120000500a", 0, false, "lower case is not normalised here"},
	}
	for _, tc := range tests {
		got, err := UPNCheckLetter(tc.body)
		if !tc.ok {
			require.ErrorIs(t, err, ErrInvalidUPN, tc.reason)
			continue
		}
		require.NoError(t, err, tc.reason)
		assert.Equal(t, string(tc.want), string(got), tc.reason)
	}
}

func TestComposeUPN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dfe           string
		establishment int
		year          int
		serial        string
		want          string
		reason        string
	}{
		{"801", 2000, 5, "001", "B801200005001", "DOMAIN §2 example rebuilt"},
		{"207", 0, 2016, "049", "P207000016049", "a four-digit year keeps its last two digits"},
		{"202", 9999, 25, "00A", "R20299992500A", "temporary serial"},
		{"20", 1, 1, "001", "", "council code too short"},
		{"2a2", 1, 1, "001", "", "council code not digits"},
		{"202", 10000, 1, "001", "", "establishment too large"},
		{"202", -1, 1, "001", "", "establishment negative"},
		{"202", 1, -1, "001", "", "year negative"},
		{"202", 1, 1, "01", "", "serial too short"},
		{"202", 1, 1, "0001", "", "serial too long"},
		{"202", 1, 1, "0A1", "", "letter in the wrong place of the serial"},
		{"202", 1, 1, "00O", "", "O is never used"},
	}
	for _, tc := range tests {
		got, err := ComposeUPN(tc.dfe, tc.establishment, tc.year, tc.serial)
		if tc.want == "" {
			require.ErrorIs(t, err, ErrInvalidUPN, tc.reason)
			continue
		}
		require.NoError(t, err, tc.reason)
		assert.Equal(t, tc.want, got, tc.reason)
	}
}

func TestNormaliseUPN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, reason string }{
		{"r20299992500a", "R20299992500A", "ASCII letters upper-cased"},
		{"\t B801200005001 \r\n", "B801200005001", "white space trimmed"},
		{"ſ80120000500ı", "ſ80120000500ı", "non-ASCII letters are not folded into I or S"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, NormaliseUPN(tc.in), tc.reason)
	}
}
