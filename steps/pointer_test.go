package steps

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPointers(t *testing.T) {
	doc, err := decodeJSON([]byte(`{"a":{"b/c":[1,{"d~e":true}]},"n":null,"x":1.0}`))
	require.NoError(t, err)
	lookups := []struct {
		reason string
		ptr    string
		want   any
		found  bool
	}{
		{"the whole document", "", doc, true},
		{"an escaped slash", "/a/b~1c/0", json.Number("1"), true},
		{"an escaped tilde", "/a/b~1c/1/d~0e", true, true},
		{"null is present", "/n", nil, true},
		{"an index past the end", "/a/b~1c/2", nil, false},
		{"a leading-zero index is not an index", "/a/b~1c/01", nil, false},
		{"inside a scalar", "/x/y", nil, false},
		{"a missing member", "/zz", nil, false},
	}
	for _, c := range lookups {
		t.Run(c.reason, func(t *testing.T) {
			got, found, err := Lookup(doc, c.ptr)
			require.NoError(t, err)
			assert.Equal(t, c.found, found, c.reason)
			if c.found {
				assert.True(t, JSONEqual(c.want, got), c.reason)
			}
		})
	}
	_, _, err = Lookup(doc, "a")
	assert.Error(t, err, "a pointer must start with /")
}

func TestSetAndRemove(t *testing.T) {
	cases := []struct {
		reason string
		doc    string
		set    []Override
		want   string
	}{
		{"replace a member", `{"gender":"FEMALE"}`, []Override{{Pointer: "/gender", Value: "UNICORN"}}, `{"gender":"UNICORN"}`},
		{"create missing objects", `{}`, []Override{{Pointer: "/address/postcode", Value: "ZU1 1AA"}}, `{"address":{"postcode":"ZU1 1AA"}}`},
		{"append to an array", `{"given":["A"]}`, []Override{{Pointer: "/given/-", Value: "B"}}, `{"given":["A","B"]}`},
		{"replace an element", `{"given":["A","B"]}`, []Override{{Pointer: "/given/1", Value: "C"}}, `{"given":["A","C"]}`},
		{"remove a member", `{"a":1,"b":2}`, []Override{{Pointer: "/a", Remove: true}}, `{"b":2}`},
		{"remove an element", `{"a":[1,2,3]}`, []Override{{Pointer: "/a/1", Remove: true}}, `{"a":[1,3]}`},
		{"removing what is not there changes nothing", `{"a":1}`, []Override{{Pointer: "/b/c", Remove: true}}, `{"a":1}`},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			doc, err := decodeJSON([]byte(c.doc))
			require.NoError(t, err)
			got, err := ApplyOverrides(doc, c.set)
			require.NoError(t, err)
			want, err := decodeJSON([]byte(c.want))
			require.NoError(t, err)
			assert.True(t, JSONEqual(want, got), "%s: got %s", c.reason, Render(got))
		})
	}
	_, err := SetAt(map[string]any{"a": "text"}, "/a/b", 1)
	assert.Error(t, err, "cannot set inside a string")
}

func TestParseLiteral(t *testing.T) {
	cases := []struct {
		reason string
		in     string
		want   any
	}{
		{"a JSON string", `"ACTIVE"`, "ACTIVE"},
		{"a bare word is a string", `ACTIVE`, "ACTIVE"},
		{"a number stays exact", `3`, json.Number("3")},
		{"true", `true`, true},
		{"null", `null`, nil},
		{"an array", `["A"]`, []any{"A"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			assert.True(t, JSONEqual(c.want, ParseLiteral(c.in)), c.reason)
		})
	}
	assert.True(t, JSONEqual(json.Number("1"), json.Number("1.0")), "numbers compare by value")
}
