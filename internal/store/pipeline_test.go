package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestPipelined: a pipelined transaction commits its two groups of statements together, hands
// the first group's rows to then, and leaves nothing behind when then fails, when a statement of
// the second group fails, or when licet_assert does not hold. SQLite refuses it.
func TestPipelined(t *testing.T) {
	ctx := context.Background()
	if err := storetest.SQLite(t).Pipelined(ctx, func() []store.Step { return nil }, nil); !errors.Is(err, store.ErrNotPipelined) {
		t.Fatalf("Pipelined on SQLite: %v, want ErrNotPipelined", err)
	}
	db := storetest.Postgres(t)
	count := func(prefix string) (n int) {
		err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM settings WHERE name LIKE ?`, prefix+"%").Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(name string) store.Step {
		return store.Step{SQL: `INSERT INTO settings (name, value) VALUES ($1, 'v')`, Args: []any{name}}
	}

	steps := func(s ...store.Step) func() []store.Step { return func() []store.Step { return s } }
	var seen []string
	err := db.Pipelined(ctx, steps(insert("ok-1"), store.Step{SQL: `SELECT name FROM settings WHERE name LIKE 'ok-%'`, Row: func(r store.Scanner) error {
		var name string
		err := r.Scan(&name)
		seen = append(seen, name)
		return err
	}}), func() ([]store.Step, error) {
		return []store.Step{insert("ok-2"), {SQL: `SELECT licet_assert(true, 'holds')`}}, nil
	})
	if err != nil || len(seen) != 1 || seen[0] != "ok-1" || count("ok-") != 2 {
		t.Fatalf("committed pipeline: %v, first group read %v, %d rows; want nil, [ok-1], 2 rows", err, seen, count("ok-"))
	}

	refused := errors.New("decided against it")
	if err := db.Pipelined(ctx, steps(insert("then-1")), func() ([]store.Step, error) { return nil, refused }); !errors.Is(err, refused) || count("then-") != 0 {
		t.Fatalf("then failed: %v, %d rows; want its error and no row", err, count("then-"))
	}
	err = db.Pipelined(ctx, steps(insert("dup-1")), func() ([]store.Step, error) {
		return []store.Step{insert("dup-2"), insert("dup-2"), insert("dup-3")}, nil
	})
	if err == nil || count("dup-") != 0 {
		t.Fatalf("a statement of the second group failed: %v, %d rows; want an error and no row", err, count("dup-"))
	}
	err = db.Pipelined(ctx, steps(insert("assert-1")), func() ([]store.Step, error) {
		return []store.Step{{SQL: `SELECT licet_assert((SELECT count(*) FROM settings WHERE name LIKE 'assert-%') = 2, 'two rows expected')`}}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "two rows expected") || count("assert-") != 0 {
		t.Fatalf("licet_assert failed: %v, %d rows; want its message and no row", err, count("assert-"))
	}
	// The connection went back to the pool outside any transaction: the next one works.
	if err := db.Pipelined(ctx, steps(insert("after-1")), func() ([]store.Step, error) { return nil, nil }); err != nil || count("after-") != 1 {
		t.Fatalf("pipeline after failures: %v, %d rows; want nil, 1 row", err, count("after-"))
	}
}
