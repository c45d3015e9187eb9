package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// TestWritePipelined: statements queued in one pgx batch commit together; a transaction left
// open is rolled back and reported; SQLite refuses.
func TestWritePipelined(t *testing.T) {
	ctx := context.Background()
	if err := storetest.SQLite(t).WritePipelined(ctx, func(context.Context, *pgx.Conn) error { return nil }); err == nil {
		t.Fatal("WritePipelined on SQLite succeeded, want an error naming PostgreSQL")
	}
	db := storetest.Postgres(t)
	count := func() (n int) {
		t.Helper()
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM settings WHERE name LIKE 'pipeline-%'`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := db.WritePipelined(ctx, func(ctx context.Context, c *pgx.Conn) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(`INSERT INTO settings (name, value) VALUES ('pipeline-1', 'a')`)
		b.Queue(`INSERT INTO settings (name, value) VALUES ('pipeline-2', 'b')`)
		b.Queue("COMMIT")
		return c.SendBatch(ctx, b).Close()
	})
	if err != nil || count() != 2 {
		t.Fatalf("pipelined commit: %v, %d rows; want both rows", err, count())
	}
	err = db.WritePipelined(ctx, func(ctx context.Context, c *pgx.Conn) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(`INSERT INTO settings (name, value) VALUES ('pipeline-3', 'c')`)
		return c.SendBatch(ctx, b).Close()
	})
	if err == nil || !strings.Contains(err.Error(), "left open") || count() != 2 {
		t.Fatalf("transaction left open: %v, %d rows; want an error and nothing written", err, count())
	}
	err = db.WritePipelined(ctx, func(ctx context.Context, c *pgx.Conn) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(`INSERT INTO settings (name, value) VALUES ('pipeline-4', 'd')`)
		b.Queue(`INSERT INTO settings (name, value) VALUES ('pipeline-1', 'again')`) // duplicate key
		b.Queue("COMMIT")
		return c.SendBatch(ctx, b).Close()
	})
	if licet.ErrorCode(err) != licet.EConflict || count() != 2 {
		t.Fatalf("failing statement: %v, %d rows; want a conflict (duplicate key) and nothing written", err, count())
	}
}

// TestStatement runs one statement as its own transaction on both databases.
func TestStatement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := `INSERT INTO settings (name, value) VALUES ('statement', 'x') RETURNING value`
		got, err := store.Statement(ctx, db, func(r store.Scanner) (v string, err error) { return v, r.Scan(&v) }, q)
		if err != nil || len(got) != 1 || got[0] != "x" {
			t.Fatalf("Statement: %v, %v; want [x]", got, err)
		}
		if _, err := store.Statement(ctx, db, func(r store.Scanner) (v string, err error) { return v, r.Scan(&v) }, q); licet.ErrorCode(err) != licet.EConflict {
			t.Fatalf("the same insert again: %v, want a conflict (duplicate key)", err)
		}
	})
}
