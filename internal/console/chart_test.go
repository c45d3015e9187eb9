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
