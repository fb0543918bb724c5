package ident

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateNHS(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 2000 {
		n := GenerateNHS(r)
		require.NoError(t, CheckNHS(n))
		require.Len(t, n, 10)
		require.True(t, strings.HasPrefix(n, "999"), "DOMAIN §8: fixtures use only the 999 range: %s", n)
		seen[n] = true
	}
	assert.Greater(t, len(seen), 1900, "numbers are spread over the range")

	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for range 50 {
		assert.Equal(t, GenerateNHS(a), GenerateNHS(b), "same seed, same numbers")
	}
}

func TestGenerateUPN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		temporary bool
		reason    string
	}{
		{false, "permanent UPNs end in three digits"},
		{true, "temporary UPNs end in two digits and a letter"},
	}
	for _, tc := range tests {
		r := rand.New(rand.NewPCG(3, 4))
		councils := map[string]bool{}
		for range 1000 {
			u := GenerateUPN(r, nil, tc.temporary)
			assertGeneratedUPN(t, u, tc.temporary)
			councils[u[1:4]] = true
		}
		assert.Greater(t, len(councils), 100, "%s: councils are spread over the list", tc.reason)
	}
}

func assertGeneratedUPN(t *testing.T, u string, temporary bool) {
	t.Helper()
	require.NoError(t, CheckUPN(u, nil), u)
	c, ok := Councils().Lookup(u[1:4])
	require.True(t, ok)
	assert.True(t, c.IsLive(), "generated UPNs come from live councils: %s", u)
	est, err := strconv.Atoi(u[4:8])
	require.NoError(t, err)
	assert.True(t, est >= 9000 && est <= 9999, "DOMAIN §8: establishment 9000–9999: %s", u)
	last := u[12]
	assert.Equal(t, temporary, last < '0' || last > '9', "temporary UPNs end in a letter: %s", u)
}

func TestGenerateUPNFor(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	u := GenerateUPNFor(r, "909", 2019, false)
	require.NoError(t, CheckUPN(u, nil), "a terminated council's UPN is valid")
	assert.Equal(t, "909", u[1:4])
	assert.Equal(t, "19", u[8:10])
	assert.Panics(t, func() { GenerateUPNFor(r, "9x9", 19, false) }, "a malformed council code is misuse")
}
