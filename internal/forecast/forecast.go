// Package forecast projects a count (councils ready) to a deadline from its recent history by
// a straight-line trend: an ordinary least-squares fit over the last few points, evaluated at
// the deadline and clipped to [0, total].
package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrNoData is returned when there is no point to project from.
var ErrNoData = errors.New("forecast: no readiness history to project from")

// Point is the count observed at one moment.
type Point struct {
	At    time.Time `json:"at"`
	Value int       `json:"value"`
}

// Forecast is the projection of a count to a deadline.
type Forecast struct {
	Deadline time.Time `json:"deadline"`
	// Window is the number of points the trend was fitted over (the last ones).
	Window int `json:"window"`
	// PerWeek is the fitted trend's slope: councils gained per week (negative when losing).
	PerWeek float64 `json:"perWeek"`
	// Projected is the count projected at the deadline, rounded down and clipped to [0, Total].
	Projected int `json:"projected"`
	// Total is the most the count can be; Miss is Total - Projected, the councils projected to
	// miss the deadline.
	Total int `json:"total"`
	Miss  int `json:"miss"`
	// Method explains the projection in one sentence.
	Method string `json:"method"`
}

const week = 7 * 24 * time.Hour

// Project fits a least-squares line to the last window points (all when window < 1 or there are
// fewer) and evaluates it at deadline: the count projected to be reached then, rounded down
// (part of a council is not ready) and clipped to [0, total]. One point, or points all at one
// moment, give a flat trend. A deadline at or before the last point projects the last value.
// points must be in time order; Project returns ErrNoData for none and an error for points out
// of order or a negative total.
func Project(points []Point, total int, deadline time.Time, window int) (Forecast, error) {
	if len(points) == 0 {
		return Forecast{}, ErrNoData
	}
	if total < 0 {
		return Forecast{}, fmt.Errorf("forecast: total %d is negative", total)
	}
	for i := 1; i < len(points); i++ {
		if points[i].At.Before(points[i-1].At) {
			return Forecast{}, fmt.Errorf("forecast: point %d (%s) is before point %d", i+1, points[i].At.Format(time.RFC3339), i)
		}
	}
	if window < 1 || window > len(points) {
		window = len(points)
	}
	pts := points[len(points)-window:]
	last := pts[len(pts)-1]
	// x is in weeks since the last point, so the slope reads as councils per week.
	var sx, sy float64
	for _, p := range pts {
		sx += p.At.Sub(last.At).Hours() / week.Hours()
		sy += float64(p.Value)
	}
	n := float64(len(pts))
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for _, p := range pts {
		x := p.At.Sub(last.At).Hours()/week.Hours() - mx
		sxy += x * (float64(p.Value) - my)
		sxx += x * x
	}
	slope := 0.0
	if sxx > 0 {
		slope = sxy / sxx
	}
	f := Forecast{Deadline: deadline, Window: len(pts), PerWeek: slope, Total: total}
	if !deadline.After(last.At) {
		f.Projected = min(max(last.Value, 0), total)
		f.Method = fmt.Sprintf("the deadline is not after the last point (%s): its count stands", last.At.Format(time.DateOnly))
	} else {
		// From the last count, at the trend's rate: a forecast never starts below where the
		// programme already is (a fitted line's own value at the last point may be far from
		// it after a jump).
		at := float64(last.Value) + slope*deadline.Sub(last.At).Hours()/week.Hours()
		f.Projected = int(math.Max(0, math.Min(float64(total), math.Floor(at+1e-9))))
		f.Method = fmt.Sprintf("the last count (%d) plus the least-squares trend over the last %d weekly points (%+.2f councils a week) until the deadline, rounded down and clipped to [0, %d]", last.Value, len(pts), slope, total)
	}
	f.Miss = total - f.Projected
	return f, nil
}
