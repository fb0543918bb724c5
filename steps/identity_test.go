package steps

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConsecutiveIDs(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"CH000041", "CH000042", true},
		{"CH000041", "CH000941", true},
		{"41", "1041", true},
		{"CH000041", "CH009041", false},
		{"00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b", true},
		{"00000000-0000-4000-8000-0000000000ff", "00000000-0000-4000-8000-000000000100", true},
		{"3f2a9b1c-5d6e-4f70-8a9b-0c1d2e3f4a5b", "3f2a1234-9abc-4def-8123-456789abcdef", false},
		{"01934f2a-3b10-7abc-8def-0123456789ab", "01934f2a-3b4f-7123-9456-fedcba987654", false},
		{"db0bd148-085d-4433-95d6-f5e78b9f3f46", "db0bd148-085d-4433-95d6-f5e78b9f3f46", false},
		{"2", "1", true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, consecutiveIDs(tc.a, tc.b), "%s vs %s", tc.a, tc.b)
	}
}

func TestCheckOpaqueIDs(t *testing.T) {
	child := func(alias, id, council string) *Child {
		return &Child{Alias: alias, ID: id, Council: council, Sent: map[string]any{
			"name":        map[string]any{"family": "Okonkwo"},
			"dateOfBirth": "2016-03-12",
			"identifiers": []any{
				map[string]any{"system": "NHS_NUMBER", "value": "9990000018"},
				map[string]any{"system": "UPN", "value": "B801200005001"},
			},
		}}
	}
	require.NoError(t, checkOpaqueIDs([]*Child{
		child("a", "3f2a9b1c-5d6e-4f70-8a9b-0c1d2e3f4a5b", "202"),
		child("b", "7c202e11-0a1b-4c2d-9e3f-405162738495", "201"),
	}), "random UUIDs encode nothing, even when one holds 202 by chance")
	for name, ids := range map[string][2]string{
		"council codes": {"LA202-7f3e9a1c", "LA201-0b44c2de"},
		"date of birth": {"C-20160312-a9", "C-7f3e9a1c-b2"},
		"NHS number":    {"N9990000018x", "N7f3e9a1cb2a"},
		"family name":   {"okonkwo-91f3", "c7e2a9b14d0e"},
		"council GSS":   {"e09000007-a1b2", "c7e2a9b14d0e"},
		"a counter":     {"CH000041", "CH000042"},
	} {
		err := checkOpaqueIDs([]*Child{child("a", ids[0], "202"), child("b", ids[1], "201")})
		assert.Error(t, err, name)
	}
}
