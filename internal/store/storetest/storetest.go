// Package storetest opens throwaway migrated databases for tests: a SQLite file in t.TempDir()
// and, when LICET_TEST_POSTGRES holds a DSN, a fresh PostgreSQL schema dropped at the end.
// With LICET_TEST_POSTGRES_REQUIRED=1 a missing PostgreSQL fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/licet/licet/internal/store"
)

// Each runs fn once per database: as subtest "sqlite", then as subtest "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDSN runs fn once per database, for tests that start servers on one database: as subtest
// "sqlite" with dsn a file in dir, then as subtest "postgres" with dsn a fresh schema
// (PostgresDSN). dir is a fresh temporary directory in both.
func EachDSN(t *testing.T, fn func(t *testing.T, dir, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, dir, filepath.Join(dir, "licet.db"))
	})
	t.Run("postgres", func(t *testing.T) { fn(t, t.TempDir(), PostgresDSN(t)) })
}

// SQLite returns a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "licet.db"))
}

// Postgres returns a migrated database in a fresh PostgreSQL schema, or skips the test (fails
// it under LICET_TEST_POSTGRES_REQUIRED=1) when LICET_TEST_POSTGRES is unset.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, PostgresDSN(t))
}

// PostgresDSN creates a fresh schema and returns a DSN whose search_path points at it, for tests
// that start several server processes on one database. The schema is dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("LICET_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("LICET_TEST_POSTGRES_REQUIRED") == "1" {
			t.Fatal("LICET_TEST_POSTGRES is not set but LICET_TEST_POSTGRES_REQUIRED=1")
		}
		t.Skip("LICET_TEST_POSTGRES is not set; PostgreSQL tests skipped")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "licet_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema on LICET_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, func() int64 { return time.Now().UnixMilli() }); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
