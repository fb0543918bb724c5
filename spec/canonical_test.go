package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonicalJSON(t *testing.T) {
	cases := []struct{ name, in, want, reason string }{
		{
			name:   "rfc8785 example",
			in:     `{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
			want:   `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
			reason: "the worked example of RFC 8785 section 3.2.4",
		},
		{
			name:   "utf16 member order",
			in:     `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			want:   "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
			reason: "members sort by UTF-16 code units, so the emoji's surrogates come before U+FB33 (RFC 8785 section 3.2.3)",
		},
		{
			name:   "nested objects sorted",
			in:     `{"b":{"z":1,"a":[{"y":2,"x":1}]},"a":{}}`,
			want:   `{"a":{},"b":{"a":[{"x":1,"y":2}],"z":1}}`,
			reason: "objects inside objects and arrays are sorted too; array order is kept",
		},
		{
			name:   "white space and html characters",
			in:     " { \"b\" : [ 1 , 2 ] , \"a\" : \"<&>\" } ",
			want:   `{"a":"<&>","b":[1,2]}`,
			reason: "no insignificant white space, and no HTML escaping",
		},
		{
			name:   "string escaping",
			in:     `["\u001f\u007f\u2028\/\t"]`,
			want:   "[\"\\u001f\u007f\u2028/\\t\"]",
			reason: "only control characters below U+0020 are escaped, in short form where JSON has one; U+2028 and the solidus are not",
		},
		{
			name:   "integers",
			in:     `{"seq":12,"big":9007199254740991,"neg":-0}`,
			want:   `{"big":9007199254740991,"neg":0,"seq":12}`,
			reason: "integers in ES6 form, and minus zero is 0",
		},
		{
			name:   "number forms",
			in:     `[1e21,1e20,0.000001,1e-7,5e-324,1.7976931348623157e308,-1.5E+2,295147905179352830000]`,
			want:   `[1e+21,100000000000000000000,0.000001,1e-7,5e-324,1.7976931348623157e+308,-150,295147905179352830000]`,
			reason: "exponent form from 1e21 and below 1e-6, as Number.prototype.toString (RFC 8785 section 3.2.2.3 and appendix B)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalJSON([]byte(tc.in))
			require.NoError(t, err, tc.reason)
			assert.Equal(t, tc.want, string(got), tc.reason)
		})
	}
}

func TestCanonicalJSONRefuses(t *testing.T) {
	cases := []struct{ name, in, reason string }{
		{"duplicate member", `{"a":1,"a":2}`, "RFC 8785 section 3.1: duplicate names are not I-JSON"},
		{"trailing data", `{"a":1} x`, "one document only"},
		{"out of range number", `[1e400]`, "numbers must be finite doubles"},
		{"truncated", `{`, "invalid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CanonicalJSON([]byte(tc.in))
			require.Error(t, err, tc.reason)
		})
	}
}

func TestAuditEventHash(t *testing.T) {
	sha := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	cases := []struct{ name, raw, canonical, reason string }{
		{
			name:      "hash member left out",
			raw:       `{"seq":2,"prevHash":"ab","hash":"cd","outcome":"SUCCESS"}`,
			canonical: `{"outcome":"SUCCESS","prevHash":"ab","seq":2}`,
			reason:    "the hash covers the canonical event without its hash member",
		},
		{
			name:      "unknown and nested members kept",
			raw:       ` {"x-extra":"<&>","actor":{"hash":"kept","sub":"s"},"seq":1} `,
			canonical: `{"actor":{"hash":"kept","sub":"s"},"seq":1,"x-extra":"<&>"}`,
			reason:    "only the top-level hash is left out; members the reader does not know are hashed as served",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AuditEventHash([]byte(tc.raw))
			require.NoError(t, err, tc.reason)
			assert.Equal(t, sha(tc.canonical), got, tc.reason)
		})
	}
	for _, bad := range []string{`[1,2]`, `"event"`, `{"a":1,"a":2}`} {
		_, err := AuditEventHash([]byte(bad))
		require.Error(t, err, "%s is not an event that can be hashed", bad)
	}
	assert.Len(t, AuditGenesisHash, 64, "the genesis prevHash is 64 zeros")
	assert.Empty(t, strings.Trim(AuditGenesisHash, "0"), "the genesis prevHash is 64 zeros")
}
