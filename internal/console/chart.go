package console

import (
	"fmt"
	"time"

	"github.com/licet/licet"
)

// chart is a server-rendered SVG bar chart of counts per day (templates/partials.html "chart"):
// the overview's changes per day and activations per day.
type chart struct {
	Title   string // for the figure caption
	Summary string // what a screen reader hears instead of the bars
	Width   int
	Height  int
	Base    float64 // y of the baseline
	LabelY  float64 // y of the day labels
	Bars    []bar
	Max     int
}

// bar is one day of a chart.
type bar struct {
	X, Y, W, H float64
	Value      int
	Day        string  // "22 Nov"
	Tick       string  // the axis label, on some bars only
	TickX      float64 // the middle of the bar
	ValueY     float64 // where the count is written above the bar
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 560
	chartHeight = 160
	chartTop    = 16 // room for the count above the tallest bar
	chartBottom = 24 // room for the day labels
)

// firstDay is the first UTC day of a chart of days ending today.
func firstDay(now time.Time, days int) time.Time {
	return now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
}

// dayIndex is the bar of t in a chart starting on first: from 0, or out of range.
func dayIndex(first, t time.Time) int {
	return int(t.UTC().Truncate(24*time.Hour).Sub(first) / (24 * time.Hour))
}

// column places day i of a chart of days columns: its left x, its width and its axis label
// (every other day, always today; "" on the others).
func column(i, days int, day time.Time) (x, w float64, tick string) {
	slot := float64(chartWidth) / float64(days)
	w = slot * 0.7
	x = float64(i)*slot + (slot-w)/2
	if i%2 == (days-1)%2 {
		tick = day.Format("2 Jan")
	}
	return x, w, tick
}

// dailyChart counts the times per UTC day over the days ending today.
func dailyChart(title string, times []time.Time, now time.Time, days int) chart {
	first := firstDay(now, days)
	counts := make([]int, days)
	for _, t := range times {
		if d := dayIndex(first, t); d >= 0 && d < days {
			counts[d]++
		}
	}
	return barChart(title, counts, first)
}

// countsChart charts counts already made per day (days missing from them are 0) over the days
// ending today.
func countsChart(title string, counts []licet.DayCount, now time.Time, days int) chart {
	first := firstDay(now, days)
	per := make([]int, days)
	for _, c := range counts {
		if d := dayIndex(first, c.Day); d >= 0 && d < days {
			per[d] += c.Count
		}
	}
	return barChart(title, per, first)
}

// barChart lays out one bar per day from first.
func barChart(title string, counts []int, first time.Time) chart {
	days := len(counts)
	c := chart{Title: title, Width: chartWidth, Height: chartHeight, Base: chartHeight - chartBottom, LabelY: chartHeight - 6}
	total, busiest := 0, 0
	for i, n := range counts {
		total += n
		if n > c.Max {
			c.Max, busiest = n, i
		}
	}
	scale := 1.0
	if c.Max > 0 {
		scale = (c.Base - chartTop) / float64(c.Max)
	}
	for i, n := range counts {
		day := first.AddDate(0, 0, i)
		b := bar{Value: n, Day: day.Format("2 Jan")}
		b.X, b.W, b.Tick = column(i, days, day)
		b.H = max(float64(n)*scale, 1.5) // an empty day still shows a sliver on the axis
		b.Y = c.Base - b.H
		b.ValueY = b.Y - 3
		b.TickX = b.X + b.W/2
		c.Bars = append(c.Bars, b)
	}
	c.Summary = fmt.Sprintf("%s: %d over the last %d days", title, total, days)
	if c.Max > 0 {
		c.Summary += fmt.Sprintf(", most on %s (%d)", c.Bars[busiest].Day, c.Max)
	}
	return c
}
