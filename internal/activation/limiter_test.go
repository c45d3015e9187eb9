package activation_test

import (
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/keys"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func TestLimiter(t *testing.T) {
	c := &fakeClock{fixedNow()}
	l := &activation.Limiter{Rate: 2, Burst: 3, Now: c.Now}
	for i := range 3 {
		if _, ok := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	wait, ok := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth request: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if _, ok := l.Allow("b"); !ok {
		t.Fatal("another name shares the bucket")
	}
	c.t = c.t.Add(500 * time.Millisecond)
	if _, ok := l.Allow("a"); !ok {
		t.Fatal("refused after the refill time")
	}
	if _, ok := (&activation.Limiter{Rate: 0, Now: c.Now}).Allow("a"); !ok {
		t.Fatal("rate 0 must disable the limiter")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	c := &fakeClock{fixedNow()}
	l := &activation.Limiter{Rate: 1, Burst: 1, Now: c.Now, MaxEntries: 10}
	for i := range 10 {
		l.Allow(string(rune('a' + i)))
	}
	c.t = c.t.Add(time.Second) // every bucket has refilled: they carry no information
	l.Allow("new")
	if _, ok := l.Allow("a"); !ok {
		t.Fatal("a pruned bucket must start full")
	}
}

func TestLimitsCheck(t *testing.T) {
	c := &fakeClock{fixedNow()}
	k, _ := keys.New(keys.MAK, 1, nil)
	tests := []struct {
		name      string
		perAddr   float64
		perKey    float64
		limitedBy string
	}{
		{"by address", 0.1, 0, "source address"},
		{"by key", 0, 0.1, "product key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := activation.Limits{
				PerAddress: &activation.Limiter{Rate: tt.perAddr, Burst: 1, Now: c.Now},
				PerKey:     &activation.Limiter{Rate: tt.perKey, Burst: 1, Now: c.Now},
			}
			if err := l.Check("127.0.0.1", k.String()); err != nil {
				t.Fatalf("first request: %v", err)
			}
			// The same key spelled differently is the same bucket.
			err := l.Check("127.0.0.1", " "+k.String()[:5]+k.String()[6:])
			e := licet.AsError(err)
			if e.Code != licet.ERateLimited || e.Details["retry_after_seconds"] != int64(10) || e.Details["limited_by"] != tt.limitedBy {
				t.Fatalf("second request: %v %v, want rate_limited by %s retry after 10 s", err, e.Details, tt.limitedBy)
			}
		})
	}
}
