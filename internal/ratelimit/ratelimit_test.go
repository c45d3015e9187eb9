package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	l := &Limiter{Rate: 1, Burst: 3, Now: func() time.Time { return now }}
	for i := 1; i <= 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused, want allowed (burst 3)", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok {
		t.Fatal("4th attempt allowed, want refused")
	}
	if wait <= 0 || wait > 1100*time.Millisecond {
		t.Fatalf("wait = %v, want about 1s", wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another source was refused: buckets must be per source")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("after 1s one attempt should be allowed again")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("only one token refilled in 1s")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	l := &Limiter{Rate: 0.001, Burst: 2, MaxSources: 100, Now: func() time.Time { return now }}
	for i := 0; i < 10_000; i++ {
		l.Allow(fmt.Sprint("10.0.", i/256, ".", i%256))
		if n := l.Len(); n > 100 {
			t.Fatalf("after %d sources the limiter tracks %d, want at most 100", i+1, n)
		}
	}
}

func TestLimiterRefillAndDisable(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	l := &Limiter{Rate: 2, Burst: 3, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	if ok, wait := l.Allow("a"); ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth request: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another source shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after the refill time")
	}
	var nilLimiter *Limiter
	for _, off := range []*Limiter{nilLimiter, {Rate: 0}} {
		if ok, _ := off.Allow("a"); !ok {
			t.Fatal("a nil limiter or rate 0 must allow everything")
		}
	}
	if got := (&Limiter{Rate: 5}).burst(); got != 50 {
		t.Fatalf("default burst for rate 5 = %v, want 50", got)
	}
}
