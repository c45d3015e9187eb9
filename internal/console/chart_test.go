package console

import (
	"testing"
	"time"

	"github.com/licet/licet"
)

func TestDailyChart(t *testing.T) {
	now := t0
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	c := dailyChart("Changes", []time.Time{day(0), day(0), day(1), day(13), day(14), now.AddDate(0, 0, 1)}, now, 14)
	if len(c.Bars) != 14 {
		t.Fatalf("%d bars, want 14", len(c.Bars))
	}
	got := []int{c.Bars[0].Value, c.Bars[12].Value, c.Bars[13].Value, c.Max}
	want := []int{1, 1, 2, 2} // 14 days ago and tomorrow fall outside
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("first, yesterday, today, max = %v, want %v", got, want)
		}
	}
	if c.Bars[13].H <= c.Bars[12].H || c.Bars[13].Y+c.Bars[13].H != c.Base {
		t.Errorf("today's bar (2) is not taller than yesterday's (1) or not on the baseline: %+v", c.Bars[12:])
	}
	if c.Summary != "Changes: 4 over the last 14 days, most on 22 Nov (2)" {
		t.Errorf("summary %q", c.Summary)
	}
}

func TestCountsChart(t *testing.T) {
	day := func(d int) time.Time { return t0.UTC().Truncate(24*time.Hour).AddDate(0, 0, -d) }
	c := countsChart("Activations", []licet.DayCount{{Day: day(20), Count: 9}, {Day: day(13), Count: 3}, {Day: day(0), Count: 5}}, t0, 14)
	if got := []int{c.Bars[0].Value, c.Bars[13].Value, c.Max}; got[0] != 3 || got[1] != 5 || got[2] != 5 {
		t.Errorf("first day, today, max = %v; want [3 5 5] (20 days ago falls outside)", got)
	}
	if c.Summary != "Activations: 8 over the last 14 days, most on 22 Nov (5)" {
		t.Errorf("summary %q", c.Summary)
	}
}

func TestStatesChart(t *testing.T) {
	day := func(d int) time.Time { return t0.UTC().Truncate(24*time.Hour).AddDate(0, 0, -d) }
	c := statesChart([]licet.StateDay{
		{Day: day(20), State: licet.StateLicensed, Machines: 50}, // outside the 14 days
		{Day: day(1), State: licet.StateLicensed, Machines: 2},
		{Day: day(0), State: licet.StateLicensed, Machines: 3},
		{Day: day(0), State: licet.StateInitialGrace, Machines: 1},
	}, t0, 14)
	if len(c.Days) != 14 {
		t.Fatalf("%d days, want 14", len(c.Days))
	}
	today, yesterday := c.Days[13], c.Days[12]
	if today.Total != 4 || yesterday.Total != 2 || c.Days[0].Total != 0 {
		t.Fatalf("totals first, yesterday, today = %d, %d, %d; want 0, 2, 4", c.Days[0].Total, yesterday.Total, today.Total)
	}
	if len(today.Segs) != 2 || today.Segs[0].State != licet.StateLicensed || today.Segs[1].State != licet.StateInitialGrace {
		t.Fatalf("today's segments %+v, want Licensed then InitialGrace", today.Segs)
	}
	if today.Segs[1].Y > chartTop+0.001 || today.Segs[0].Y+today.Segs[0].H != c.Base {
		t.Errorf("the tallest column does not fill the chart or does not stand on the baseline: %+v", today.Segs)
	}
	if want := "Machines by license state over the last 14 days; latest 22 Nov: 3 Licensed, 1 InitialGrace"; c.Summary != want {
		t.Errorf("summary %q, want %q", c.Summary, want)
	}
}
