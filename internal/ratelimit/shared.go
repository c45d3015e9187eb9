package ratelimit

import (
	"context"
	"sync"
	"time"

	"github.com/licet/licet/internal/store"
)

// Shared keeps the token buckets in a PostgreSQL database (table rate_buckets), so that every server
// process on one PostgreSQL draws from the same bucket: over any number of replicas a source
// gets at most Burst + Rate × seconds. One statement takes from all the buckets of a request
// in one round trip; the bucket's row lock orders concurrent takers. When the database refuses a
// source, the process remembers until when the bucket stays empty and refuses it locally until
// then: a flood costs the database about one statement per source and per replica every
// 1/Rate seconds, not one per request.
type Shared struct {
	DB  *store.DB
	Now func() time.Time // the clock; time.Now when nil. Replicas should agree to a second.
	// MaxSources bounds the refusals remembered; 100,000 when 0.
	MaxSources int

	mu        sync.Mutex
	emptyTill map[string]time.Time
}

// Charge is one bucket a request takes from: a source under a limiter's rate and burst.
type Charge struct {
	Source  string
	Limiter *Limiter
}

// Verdict is the outcome of one charge: allowed, or refused and how long until a token is back.
type Verdict struct {
	OK   bool
	Wait time.Duration
}

// SweepEvery is how often a server process deletes the buckets that have refilled (Sweep).
const SweepEvery = time.Minute

// takeSQL takes one token from each bucket named, creating it full, in one statement. allowed
// records whether this take found a token.
const takeSQL = `INSERT INTO rate_buckets AS b (name, rate, burst, tokens, at, allowed)
	SELECT u.name, u.rate, u.burst, u.burst - 1, $4, 1 FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(name, rate, burst)
	ON CONFLICT (name) DO UPDATE SET
		allowed = CASE WHEN LEAST(EXCLUDED.burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) * EXCLUDED.rate / 1000) >= 1 THEN 1 ELSE 0 END,
		tokens = LEAST(EXCLUDED.burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) * EXCLUDED.rate / 1000)
			- CASE WHEN LEAST(EXCLUDED.burst, b.tokens + GREATEST(0, EXCLUDED.at - b.at) * EXCLUDED.rate / 1000) >= 1 THEN 1 ELSE 0 END,
		at = GREATEST(b.at, EXCLUDED.at), rate = EXCLUDED.rate, burst = EXCLUDED.burst
	RETURNING name, tokens, allowed, rate`

// Allow takes one token from each charge's bucket (charges whose limiter is off always pass).
// Buckets are taken from in the order given, so callers list them in one order (addresses
// before keys) and concurrent takers never wait on each other in a cycle. A nil Shared (one
// process, no shared table) takes from each limiter's own buckets in memory instead.
func (s *Shared) Allow(ctx context.Context, charges ...Charge) ([]Verdict, error) {
	if s == nil {
		out := make([]Verdict, len(charges))
		for i, c := range charges {
			out[i].OK, out[i].Wait = c.Limiter.Allow(c.Source)
		}
		return out, nil
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	out := make([]Verdict, len(charges))
	var names []string
	var rates, bursts []float64
	index := map[string][]int{}
	s.mu.Lock()
	for i, c := range charges {
		if c.Limiter == nil || c.Limiter.Rate <= 0 {
			out[i].OK = true
			continue
		}
		if till, ok := s.emptyTill[c.Source]; ok && now.Before(till) {
			out[i].Wait = till.Sub(now)
			continue
		}
		if _, dup := index[c.Source]; dup {
			index[c.Source] = append(index[c.Source], i)
			continue
		}
		index[c.Source] = []int{i}
		names, rates, bursts = append(names, c.Source), append(rates, c.Limiter.Rate), append(bursts, c.Limiter.burst())
	}
	s.mu.Unlock()
	if len(names) == 0 {
		return out, nil
	}
	type taken struct {
		name         string
		tokens, rate float64
		allowed      int64
	}
	rows, err := store.Statement(ctx, s.DB, func(r store.Scanner) (taken, error) {
		var t taken
		return t, r.Scan(&t.name, &t.tokens, &t.allowed, &t.rate)
	}, takeSQL, names, rates, bursts, store.Millis(now))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, t := range rows {
		v := Verdict{OK: t.allowed == 1}
		if !v.OK {
			v.Wait = time.Duration((1 - t.tokens) / t.rate * float64(time.Second))
			s.remember(t.name, now.Add(v.Wait), now)
		}
		for _, i := range index[t.name] {
			out[i] = v
		}
	}
	s.mu.Unlock()
	return out, nil
}

// Sweep deletes the buckets that have refilled by now (a full bucket and a missing one allow the
// same), so that the table holds only the sources seen within about Burst / Rate seconds. Server
// processes run it every SweepEvery in the background, never inside a request.
func (s *Shared) Sweep(ctx context.Context) error {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	_, err := store.Statement(ctx, s.DB, func(store.Scanner) (int, error) { return 0, nil },
		`DELETE FROM rate_buckets WHERE at + (burst - tokens) * 1000 / rate <= $1`, store.Millis(now))
	return err
}

// remember records that source's bucket is empty until till, within the memory bound.
func (s *Shared) remember(source string, till, now time.Time) {
	if s.emptyTill == nil {
		s.emptyTill = map[string]time.Time{}
	}
	max := s.MaxSources
	if max <= 0 {
		max = 100_000
	}
	if len(s.emptyTill) >= max {
		for k, t := range s.emptyTill {
			if !now.Before(t) || len(s.emptyTill) >= max {
				delete(s.emptyTill, k)
			}
		}
	}
	s.emptyTill[source] = till
}
