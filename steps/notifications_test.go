package steps

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/icscert/icscert/internal/sink"
)

func TestContainsWord(t *testing.T) {
	cases := []struct {
		s, value string
		want     bool
		reason   string
	}{
		{"Ada Example", "Example", true, "a whole word"},
		{"ADA EXAMPLE", "example", true, "case is ignored"},
		{"Examples", "Example", false, "inside a longer word"},
		{"2026-12-06T00:31:00Z", "2026-12-06", false, "a date inside an instant is followed by a letter"},
		{"9990001234", "9990001234", true, "an NHS number as a number's text"},
		{"c-9990001234x", "9990001234", false, "inside an id"},
		{`{"name":"O'Neill"}`, "O'Neill", true, "between quotes"},
		{"", "Ada", false, "empty text"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, containsWord(tc.s, tc.value), tc.reason)
	}
}

func TestContractBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
		reason  string
	}{
		{1, time.Second, "one second after the first failure"},
		{2, 2 * time.Second, "doubling"},
		{7, 64 * time.Second, "before the eighth attempt"},
		{13, time.Hour, "at most an hour"},
		{40, time.Hour, "no overflow"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, contractBackoff(tc.attempt), tc.reason)
	}
}

func TestEventsAboutGroupsDeliveriesByEventID(t *testing.T) {
	d := func(n int, id, child string, status int) sink.Delivery {
		return sink.Delivery{N: n, Status: status, Notification: sink.Notification{EventID: id, ChildID: child, Seq: 1, HasSeq: true}}
	}
	ds := []sink.Delivery{
		d(1, "e1", "c1", 503), d(2, "e2", "c2", 200), d(3, "e1", "c1", 200), d(4, "e3", "c1", 503),
		{N: 5, ParseError: "not JSON"},
	}
	got := eventsAbout(ds, "c1")
	assert.Len(t, got, 2, "another child's and unreadable deliveries are left out")
	assert.Equal(t, "e1", got[0].id)
	assert.Len(t, got[0].deliveries, 2)
	assert.True(t, got[0].acked, "acknowledged on the retry")
	assert.False(t, got[1].acked, "refused only")
	assert.Len(t, deliveriesAbout(ds, "c1"), 3)
}
