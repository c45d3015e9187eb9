package console

import (
	"testing"
	"time"
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
