package activation

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
)

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Limiter is a set of token buckets, one per name (a source address, a key's hash): each holds
// up to Burst tokens and refills at Rate tokens per second; a request takes one. The clock is
// injected, so tests step time instead of sleeping.
type Limiter struct {
	Rate  float64 // tokens per second; 0 or less disables the limiter
	Burst float64 // bucket size; Rate*10 when 0
	Now   func() time.Time
	// MaxEntries bounds memory: when exceeded, full buckets are dropped (default 100,000).
	MaxEntries int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter of rate requests per second with a burst of ten seconds' worth.
func NewLimiter(rate float64, now func() time.Time) *Limiter {
	return &Limiter{Rate: rate, Now: now}
}

func (l *Limiter) burst() float64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return math.Max(1, l.Rate*10)
}

// Allow takes a token from the bucket of name. When none is left it returns how long until one
// is, and false.
func (l *Limiter) Allow(name string) (time.Duration, bool) {
	if l == nil || l.Rate <= 0 {
		return 0, true
	}
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b, ok := l.buckets[name]
	if !ok {
		l.prune(now)
		b = &bucket{tokens: l.burst(), at: now}
		l.buckets[name] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst(), b.tokens+elapsed*l.Rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return wait, false
}

// prune drops the buckets that have refilled completely (they hold no information) once the
// map is over its bound.
func (l *Limiter) prune(now time.Time) {
	max := l.MaxEntries
	if max <= 0 {
		max = 100_000
	}
	if len(l.buckets) < max {
		return
	}
	full := time.Duration(l.burst() / l.Rate * float64(time.Second))
	for name, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, name)
		}
	}
}

// Limits are the rate limits of the public routes that take a product key.
type Limits struct {
	PerAddress *Limiter
	PerKey     *Limiter
}

// Check takes a token for the source address and for the key (by its hash, never the key
// itself; a malformed key by the hash of its text). It returns ERateLimited with
// retry_after_seconds when either bucket is empty. Both buckets are always charged, so that a
// refused request costs the same whatever the key.
func (l Limits) Check(addr, key string) error {
	name := "raw:" + hashText(strings.TrimSpace(key))
	if k, err := keys.Parse(key); err == nil {
		name = KeyHash(k)
	}
	waitA, okA := l.PerAddress.Allow(addr)
	waitK, okK := l.PerKey.Allow(name)
	if okA && okK {
		return nil
	}
	wait := max(waitA, waitK)
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	by := "source address"
	if !okK {
		by = "product key"
	}
	return licet.Errorf(licet.ERateLimited, "too many activation attempts from this %s; retry in %d s", by, secs).
		With("retry_after_seconds", secs).With("limited_by", by)
}
