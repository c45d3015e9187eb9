package store_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", "SELECT 1", "SELECT 1"},
		{"two", "SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2"},
		{"quoted", "SELECT '?' WHERE x = ?", "SELECT '?' WHERE x = $1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.Rebind(tt.in); got != tt.want {
				t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMigrateAndSchemaCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
		applied, err := db.Migrate(ctx, func() int64 { return 1 })
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, %v; want nothing", applied, err)
		}
		// Pretend the last migration was never applied: the schema is then too old.
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM schema_migrations WHERE version = ?`, db.LatestVersion())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := licet.ErrorCode(db.CheckSchema(ctx)); got != licet.EStaleSchema {
			t.Fatalf("CheckSchema on an old schema: code %q, want %q", got, licet.EStaleSchema)
		}
		// A gap counts too: a migration numbered below the highest applied one that never ran
		// (branches merged out of order) leaves the schema at the version before the gap.
		err = db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM schema_migrations WHERE version = 2`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != 1 {
			t.Fatalf("SchemaVersion with version 2 missing = %d, %v; want 1", v, err)
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func() error {
			return db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, "k", "v")
				return err
			})
		}
		if err := insert(); err != nil {
			t.Fatal(err)
		}
		if got := licet.ErrorCode(insert()); got != licet.EConflict {
			t.Fatalf("second insert: code %q, want %q", got, licet.EConflict)
		}
	})
}

func TestRollbackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := licet.Errorf(licet.EInvalid, "boom")
		err := db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('x', 'y')`); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Write returned %v, want the function's error", err)
		}
		var n int
		if err := db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM settings WHERE name = 'x'`).Scan(&n)
		}); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rolled-back insert is visible: %d rows", n)
		}
	})
}

// TestConcurrentConditionalIncrement checks the pattern every counter in licet relies on: an
// UPDATE … WHERE used < limit from many goroutines never goes past the limit.
func TestConcurrentConditionalIncrement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('counter', '0')`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		const limit, workers = 10, 40
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.Write(ctx, func(tx *store.Tx) error {
					n, err := tx.Exec(ctx, `UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE name = 'counter' AND CAST(value AS INTEGER) < ?`, limit)
					if err == nil && n == 1 {
						mu.Lock()
						won++
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won != limit {
			t.Fatalf("%d increments succeeded, want %d", won, limit)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte("this is not a database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dsn string }{
		{"missing directory", filepath.Join(dir, "nope", "l.db")},
		{"not a database", notDB},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(ctx, tt.dsn)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			if licet.ErrorCode(err) == licet.EInternal {
				t.Errorf("Open(%q) error %v has no licet code", tt.dsn, err)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var got []string
		err := db.Write(ctx, func(tx *store.Tx) error {
			for _, n := range []string{"b", "a", "c"} {
				if _, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, n, "v-"+n); err != nil {
					return err
				}
			}
			var err error
			got, err = store.Collect(ctx, tx, func(r store.Scanner) (string, error) {
				var v string
				return v, r.Scan(&v)
			}, `SELECT value FROM settings WHERE name IN (?, ?, ?) ORDER BY name`, "a", "b", "c")
			return err
		})
		if err != nil || strings.Join(got, ",") != "v-a,v-b,v-c" {
			t.Fatalf("Collect = %v, %v; want v-a,v-b,v-c", got, err)
		}
	})
}

// TestSQLiteFilesPrivate: a new SQLite database and its -wal and -shm files are readable by their
// owner only, whatever the process's umask.
func TestSQLiteFilesPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "licet.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, func() int64 { return 1 }); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (WAL mode keeps -wal and -shm while the database is open)", filepath.Base(p), err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode of %s = %v, want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
}
