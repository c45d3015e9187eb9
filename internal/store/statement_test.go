package store_test

import (
	"context"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

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
