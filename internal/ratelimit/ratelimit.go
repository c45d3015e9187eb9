// Package ratelimit limits how often one source (an IP address, a product key's hash) may do
// something: a token bucket per source, with an injected clock and a bounded number of tracked
// sources.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limiter allows Burst attempts at once per source and refills Rate attempts per second. A nil
// Limiter, or one whose Rate is 0 or less, allows everything (benchmarks turn limits off so).
// Its memory is bounded by MaxSources: when that many sources are tracked, sources whose bucket
// has refilled are forgotten, and if none has, the oldest-refilled half is dropped (they get a
// full bucket next time, which only ever errs towards allowing).
type Limiter struct {
	Rate       float64          // attempts refilled per second
	Burst      int              // attempts allowed at once; ten seconds' worth (at least 1) when 0
	MaxSources int              // sources tracked at most; 100,000 when 0
	Now        func() time.Time // the clock; time.Now when nil

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter allowing burst attempts at once and rate per second after that.
func New(rate float64, burst int) *Limiter {
	return &Limiter{Rate: rate, Burst: burst}
}

// Allow takes one attempt from source's bucket. When the bucket is empty it returns false and how
// long until the next attempt is allowed.
func (l *Limiter) Allow(source string) (bool, time.Duration) {
	if l == nil || l.Rate <= 0 {
		return true, 0
	}
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = make(map[string]*bucket)
	}
	b, ok := l.buckets[source]
	if !ok {
		l.makeRoom(now)
		b = &bucket{tokens: l.burst(), at: now}
		l.buckets[source] = b
	}
	b.tokens = l.refill(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return false, wait
}

func (l *Limiter) refill(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return math.Min(l.burst(), b.tokens+elapsed*l.Rate)
}

func (l *Limiter) burst() float64 {
	if l.Burst > 0 {
		return float64(l.Burst)
	}
	return math.Max(1, math.Round(l.Rate*10))
}

// makeRoom forgets sources when the map is full.
func (l *Limiter) makeRoom(now time.Time) {
	max := l.MaxSources
	if max <= 0 {
		max = 100_000
	}
	if len(l.buckets) < max {
		return
	}
	for k, b := range l.buckets {
		if l.refill(b, now) >= l.burst() {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < max/2+1 {
			break
		}
		delete(l.buckets, k)
	}
}

// Len returns how many sources are tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
