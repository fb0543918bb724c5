package steps

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompareJSON(t *testing.T) {
	cases := []struct {
		reason    string
		want, got any
		pointers  []string
	}{
		{"equal documents have no difference", map[string]any{"a": "x", "b": []any{"1", "2"}}, map[string]any{"b": []any{"1", "2"}, "a": "x"}, nil},
		{"a lost member is named", map[string]any{"a": "x", "b": "y"}, map[string]any{"a": "x"}, []string{"/b"}},
		{"an added member is named", map[string]any{"a": "x"}, map[string]any{"a": "x", "c": true}, []string{"/c"}},
		{"a changed nested value is named", map[string]any{"s": map[string]any{"shielded": true}}, map[string]any{"s": map[string]any{"shielded": false}}, []string{"/s/shielded"}},
		{"objects with ids match by id, whatever their order", []any{map[string]any{"id": "1", "v": "a"}, map[string]any{"id": "2", "v": "b"}}, []any{map[string]any{"id": "2", "v": "b"}, map[string]any{"id": "1", "v": "a"}}, nil},
		{"an object with an id that did not arrive is lost", []any{map[string]any{"id": "1"}, map[string]any{"id": "2"}}, []any{map[string]any{"id": "2"}}, []string{"/0"}},
		{"an object changed under its id is named at want's index", []any{map[string]any{"id": "1", "v": "a"}}, []any{map[string]any{"id": "1", "v": "b"}}, []string{"/0/v"}},
		{"arrays without ids compare by position", []any{"a", "b"}, []any{"b", "a"}, []string{"/0", "/1"}},
		{"a shorter array loses its tail", []any{"a", "b"}, []any{"a"}, []string{"/1"}},
		{"a type change is one difference", map[string]any{"a": []any{}}, map[string]any{"a": "x"}, []string{"/a"}},
		{"member names are escaped", map[string]any{"a/b~c": 1}, map[string]any{}, []string{"/a~1b~0c"}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			var got []string
			for _, d := range compareJSON("", tc.want, tc.got) {
				got = append(got, d.Pointer)
			}
			assert.Equal(t, tc.pointers, got)
		})
	}
}

func TestExpectSameHoldingNamesPointersNotValues(t *testing.T) {
	want := &holding{doc: map[string]any{"record": map[string]any{"name": map[string]any{"family": "Oyelaran-Whitcombe"}}}}
	got := &holding{doc: map[string]any{"record": map[string]any{"name": map[string]any{"family": "Oyelaran"}}}}
	err := expectSameHolding("Amara", "the target", "the peer", want, got)
	var ae *AssertionError
	if assert.ErrorAs(t, err, &ae) {
		assert.Equal(t, "/record/name/family", ae.Pointer)
		assert.NotContains(t, ae.Message, "Oyelaran", "the message names pointers only; values go through the redactor")
		assert.Contains(t, ae.Message, "/record/name/family (changed)")
	}
	assert.NoError(t, expectSameHolding("Amara", "the target", "the peer", want, want))
}

func TestExpectSameHoldingExcusesContractViolations(t *testing.T) {
	want := &holding{doc: map[string]any{"record": map[string]any{"dateOfBirth": "2016-03-14"}, "involvements": []any{map[string]any{"id": "a", "startDate": "2026-01-02"}}}}
	got := &holding{doc: map[string]any{"record": map[string]any{"dateOfBirth": "14/03/2016"}, "involvements": []any{map[string]any{"id": "a", "startDate": "02/01/2026"}}}}
	cases := []struct {
		reason  string
		excused []string
		fails   bool
	}{
		{"without violations every changed date is a loss", nil, true},
		{"a violation excuses its own pointer only", []string{"/record/dateOfBirth"}, true},
		{"violations at every changed pointer excuse them all", []string{"/record/dateOfBirth", wildcard("/involvements/3/startDate")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got.excused = tc.excused
			err := expectSameHolding("Amara", "the target", "the peer", want, got)
			assert.Equal(t, tc.fails, err != nil, "%v", err)
		})
	}
}
