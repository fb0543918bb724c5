package forecast

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var start = time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)

// weekly returns one point a week from start with the given values.
func weekly(values ...int) []Point {
	out := make([]Point, len(values))
	for i, v := range values {
		out[i] = Point{At: start.Add(time.Duration(i) * week), Value: v}
	}
	return out
}

// weeks is start plus n weeks.
func weeks(n int) time.Time { return start.Add(time.Duration(n) * week) }

func TestProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		points    []Point
		total     int
		deadline  time.Time
		window    int
		projected int
		perWeek   float64
		reason    string
	}{
		{"flat", weekly(40, 40, 40, 40), 150, weeks(20), 6, 40, 0, "no progress: the count stays"},
		{"linear", weekly(10, 15, 20, 25), 150, weeks(10), 6, 60, 5, "5 a week from 25 at week 3: 25 + 7*5 at week 10"},
		{"linear clipped to total", weekly(10, 30, 50, 70), 150, weeks(20), 6, 150, 20, "the line passes the total: every council, no more"},
		{"falling clipped to zero", weekly(30, 20, 10), 150, weeks(10), 6, 0, -10, "the line goes below zero: none, not fewer"},
		{"accelerating, all points", weekly(0, 1, 4, 9, 16, 25), 150, weeks(10), 6, 50, 5, "the fitted slope is 5 a week: 25 at week 5 + 5*5 = 50"},
		{"accelerating, last 3", weekly(0, 1, 4, 9, 16, 25), 150, weeks(10), 3, 65, 8, "9, 16, 25: 8 a week: 25 + 5*8 = 65"},
		{"a jump", weekly(0, 0, 0, 0, 134, 134), 153, weeks(6), 6, 153, 536.0 / 17.5, "134 now, 30.6 a week: 164.6 clipped to 153, never below the 134 already ready"},
		{"a jump, deadline at the last point", weekly(0, 0, 0, 0, 134, 134), 153, weeks(5), 6, 134, 536.0 / 17.5, "the deadline is not after the last point: 134 stand"},
		{"already all ready", weekly(150, 150, 150), 150, weeks(10), 6, 150, 0, "everyone is ready and stays so"},
		{"one point", weekly(37), 150, weeks(10), 6, 37, 0, "one point has no trend: flat"},
		{"deadline passed", weekly(10, 20, 30), 150, weeks(1), 6, 30, 10, "a deadline before the last point keeps the last count"},
		{"window larger than history", weekly(10, 20), 150, weeks(3), 50, 40, 10, "all the points there are"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, err := Project(tc.points, tc.total, tc.deadline, tc.window)
			require.NoError(t, err)
			assert.Equal(t, tc.projected, f.Projected, tc.reason)
			assert.Equal(t, tc.total-tc.projected, f.Miss, "the councils projected to miss")
			assert.InDelta(t, tc.perWeek, f.PerWeek, 1e-9, tc.reason)
			assert.Equal(t, tc.total, f.Total)
			assert.True(t, tc.deadline.Equal(f.Deadline))
			assert.NotEmpty(t, f.Method, "the projection explains itself")
		})
	}
}

func TestProjectErrors(t *testing.T) {
	t.Parallel()
	_, err := Project(nil, 150, weeks(10), 6)
	require.ErrorIs(t, err, ErrNoData, "empty history")
	_, err = Project([]Point{{At: weeks(2), Value: 1}, {At: weeks(1), Value: 2}}, 150, weeks(10), 6)
	require.ErrorContains(t, err, "point 2")
	_, err = Project(weekly(1), -1, weeks(10), 6)
	assert.ErrorContains(t, err, "negative")
}
