package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/licet/licet/internal/ratelimit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestShared: a bucket in the database refills with the clock; a refused source is refused by
// the process until its bucket has a token again, without asking the database; refilled
// buckets are swept once a minute.
func TestShared(t *testing.T) {
	ctx := context.Background()
	db := storetest.Postgres(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := &ratelimit.Shared{DB: db, Now: func() time.Time { return now }}
	limit := &ratelimit.Limiter{Rate: 1, Burst: 2}
	allow := func(source string) ratelimit.Verdict {
		t.Helper()
		v, err := s.Allow(ctx, ratelimit.Charge{Source: source, Limiter: limit})
		if err != nil {
			t.Fatal(err)
		}
		return v[0]
	}
	rows := func() (n int) {
		t.Helper()
		if err := db.Read(ctx, func(tx *store.Tx) error { return tx.QueryRow(ctx, `SELECT COUNT(*) FROM rate_buckets`).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first, second := allow("a"), allow("a") // the burst: two attempts
	if !first.OK || !second.OK {
		t.Fatal("the burst of 2 was refused")
	}
	if v := allow("a"); v.OK || v.Wait != time.Second {
		t.Fatalf("third attempt: %+v, want refused for 1 s", v)
	}
	// The refusal is remembered: even with the row gone the process refuses until it refills.
	if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, `DELETE FROM rate_buckets`); return err }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(500 * time.Millisecond)
	if v := allow("a"); v.OK || v.Wait != 500*time.Millisecond {
		t.Fatalf("within the wait: %+v, want refused locally for 0.5 s", v)
	}
	if rows() != 0 {
		t.Fatal("a locally refused attempt reached the database")
	}
	now = now.Add(500 * time.Millisecond)
	if !allow("a").OK {
		t.Fatal("after the wait: refused, want allowed")
	}
	// A limiter that is off never touches the database.
	if v, err := s.Allow(ctx, ratelimit.Charge{Source: "off", Limiter: &ratelimit.Limiter{}}); err != nil || !v[0].OK {
		t.Fatalf("limit off: %+v, %v; want allowed", v, err)
	}
	// A minute later "a" has refilled: the sweep deletes its row, "b" (just taken from) is the
	// one left. Taking never sweeps by itself.
	now = now.Add(time.Minute)
	if !allow("b").OK {
		t.Fatal("b refused")
	}
	if rows() != 2 {
		t.Fatalf("%d buckets before the sweep, want a and b", rows())
	}
	if err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := db.Read(ctx, func(tx *store.Tx) (err error) {
		names, err = store.Collect(ctx, tx, func(r store.Scanner) (n string, err error) { return n, r.Scan(&n) }, `SELECT name FROM rate_buckets ORDER BY name`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "b" {
		t.Fatalf("buckets after the sweep: %v, want only b", names)
	}
}

// TestSharedNil: without a shared table the charges take from each limiter's own buckets.
func TestSharedNil(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	limit := &ratelimit.Limiter{Rate: 1, Burst: 1, Now: func() time.Time { return now }}
	var s *ratelimit.Shared
	allow := func() ratelimit.Verdict {
		t.Helper()
		v, err := s.Allow(context.Background(), ratelimit.Charge{Source: "a", Limiter: limit}, ratelimit.Charge{Source: "off"})
		if err != nil {
			t.Fatal(err)
		}
		if !v[1].OK {
			t.Fatalf("a charge without a limiter was refused: %+v", v[1])
		}
		return v[0]
	}
	if !allow().OK {
		t.Fatal("the burst of 1 was refused")
	}
	if v := allow(); v.OK || v.Wait != time.Second {
		t.Fatalf("second attempt: %+v, want refused for 1 s", v)
	}
	now = now.Add(time.Second)
	if !allow().OK {
		t.Fatal("after the wait: refused, want allowed")
	}
}
