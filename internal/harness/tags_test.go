package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTags(t *testing.T) {
	cases := []struct {
		reason string
		expr   string
		tags   []string
		match  bool
	}{
		{"the empty expression selects everything", "", []string{"@READ-001"}, true},
		{"one tag", "@READ-001", []string{"@READ-001", "@positive"}, true},
		{"one tag, absent", "@READ-001", []string{"@READ-002"}, false},
		{"and-not excludes", "@READ-001 && ~@negative", []string{"@READ-001", "@negative"}, false},
		{"and-not keeps", "@READ-001 && ~@negative", []string{"@READ-001", "@positive"}, true},
		{"or", "@READ-001,@READ-002", []string{"@READ-002"}, true},
		{"or of ands", "@READ-001 && @negative,@VER-003", []string{"@VER-003"}, true},
		{"a bare negation", "~@cap-test-clock", []string{"@READ-001"}, true},
		{"tags are compared without their @", "@READ-001", []string{"READ-001"}, true},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			e, err := ParseTags(c.expr)
			require.NoError(t, err)
			assert.Equal(t, c.match, e.Match(c.tags), c.reason)
			again, err := ParseTags(e.String())
			require.NoError(t, err, "String renders a parsable expression")
			assert.Equal(t, e, again)
		})
	}
}

func TestParseTagsRejects(t *testing.T) {
	cases := []struct{ reason, expr string }{
		{"godog reads 'not' as a tag that matches nothing", "not @wip"},
		{"godog panics on an empty term", "@a && "},
		{"a tag needs its @", "READ-001"},
		{"no parentheses in the old syntax", "(@a,@b) && ~@c"},
		{"no spaces inside a tag", "@a b"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			_, err := ParseTags(c.expr)
			assert.Error(t, err, c.reason)
		})
	}
}

func TestTagsWithout(t *testing.T) {
	cases := []struct {
		reason  string
		expr    string
		without []string
		want    string
	}{
		{"nothing to exclude", "@a", nil, "@a"},
		{"exclusions alone", "", []string{"@cap-x", "@cap-y"}, "~@cap-x && ~@cap-y"},
		{"each or-clause gets the exclusions", "@a,@b && ~@c", []string{"@cap-x"}, "@a && ~@cap-x,@b && ~@c && ~@cap-x"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			e, err := ParseTags(c.expr)
			require.NoError(t, err)
			assert.Equal(t, c.want, e.Without(c.without...).String())
		})
	}
}

func TestTagsWith(t *testing.T) {
	cases := []struct {
		reason string
		expr   string
		with   string
		want   string
	}{
		{"the empty expression becomes the tag", "", "@exclusive", "@exclusive"},
		{"each or-clause gets the tag", "@a,@b && ~@c", "@exclusive", "@a && @exclusive,@b && ~@c && @exclusive"},
		{"the tag may be given without its @", "@a", "exclusive", "@a && @exclusive"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			e, err := ParseTags(c.expr)
			require.NoError(t, err)
			assert.Equal(t, c.want, e.With(c.with).String(), c.reason)
		})
	}
}
