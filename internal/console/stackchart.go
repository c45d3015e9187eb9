package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet"
)

// stackChart is a server-rendered SVG chart of machines per day stacked by license state
// (templates/partials.html "stackchart"), on the geometry of the overview's bar charts.
type stackChart struct {
	Summary string
	Width   int
	Height  int
	Base    float64
	LabelY  float64
	Days    []stackDay
	Legend  []string // the states, bottom of the stack first
}

// stackDay is one day's column.
type stackDay struct {
	Title string // "25 Nov: 12 Licensed, 3 InitialGrace"
	Tick  string
	TickX float64
	Total int
	TopY  float64 // where the total is written
	Segs  []stackSeg
}

// stackSeg is one state's part of a day's column.
type stackSeg struct {
	State      string
	X, Y, W, H float64
}

// statesChart charts the daily counts of machines by state over the days ending today.
func statesChart(history []licet.StateDay, now time.Time, days int) stackChart {
	first := firstDay(now, days)
	per := make([]map[string]int, days)
	totals := make([]int, days) // the height of each day's column, for the scale
	for i := range per {
		per[i] = map[string]int{}
	}
	for _, h := range history {
		if d := dayIndex(first, h.Day); d >= 0 && d < days {
			per[d][h.State] += h.Machines
			totals[d] += h.Machines
		}
	}
	c := stackChart{Width: chartWidth, Height: chartHeight, Base: chartHeight - chartBottom, LabelY: chartHeight - 6, Legend: licet.MachineStates}
	most := 0
	for _, n := range totals {
		most = max(most, n)
	}
	scale := 1.0
	if most > 0 {
		scale = (c.Base - chartTop) / float64(most)
	}
	latest := ""
	for i, p := range per {
		day := first.AddDate(0, 0, i)
		x, w, tick := column(i, days, day)
		col := stackDay{Tick: tick, TickX: x + w/2}
		y := c.Base
		var parts []string
		for _, st := range licet.MachineStates {
			n := p[st]
			if n == 0 {
				continue
			}
			h := float64(n) * scale
			y -= h
			col.Segs = append(col.Segs, stackSeg{State: st, X: x, Y: y, W: w, H: h})
			col.Total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
		col.TopY = y - 3
		col.Title = day.Format("2 Jan") + ": " + strings.Join(parts, ", ")
		if col.Total == 0 {
			col.Title = day.Format("2 Jan") + ": no record"
		} else {
			latest = col.Title
		}
		c.Days = append(c.Days, col)
	}
	c.Summary = fmt.Sprintf("Machines by license state over the last %d days", days)
	if latest != "" {
		c.Summary += "; latest " + latest
	}
	return c
}
