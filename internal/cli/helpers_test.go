package cli_test

import (
	"context"
	"testing"

	"github.com/licet/licet/internal/store"
)

func forgetLastMigration(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM schema_migrations WHERE version = ?`, db.LatestVersion())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
