package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequirementTag(t *testing.T) {
	cases := []struct {
		reason, tag, want string
	}{
		{"a catalogue id", "@READ-004", "READ-004"},
		{"a long group", "@NOTIF-001", "NOTIF-001"},
		{"no @", "READ-004", ""},
		{"two digits", "@READ-04", ""},
		{"four digits", "@READ-0040", ""},
		{"lower case group", "@read-004", ""},
		{"a convention tag", "@positive", ""},
		{"a capability", "@cap-test-clock", ""},
		{"no group", "@-004", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, RequirementTag(c.tag), c.reason)
	}
}

func TestPointerTokens(t *testing.T) {
	cases := []struct {
		reason, raw, escaped string
	}{
		{"plain", "family", "family"},
		{"a slash", "a/b", "a~1b"},
		{"a tilde", "m~n", "m~0n"},
		{"a tilde before 1 is not a slash", "~1", "~01"},
		{"both", "~/", "~0~1"},
	}
	for _, c := range cases {
		assert.Equal(t, c.escaped, EscapePointerToken(c.raw), c.reason)
		assert.Equal(t, c.raw, UnescapePointerToken(c.escaped), c.reason)
	}
	assert.Equal(t, "/children/a~1b", AppendPointer("/children", "a/b"))
}
