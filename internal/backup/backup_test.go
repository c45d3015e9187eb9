package backup

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/filelock"
	"github.com/licet/licet/internal/store"
)

var fixed = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// newDB makes a migrated SQLite database that records signing key pub.
func newDB(t *testing.T, pub ed25519.PublicKey) (string, *store.DB) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "licet.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, func() int64 { return 1 }); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('signing_public_key', ?)`, base64.StdEncoding.EncodeToString(pub))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return path, db
}

func newKey(t *testing.T) ed25519.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestTakeWhileWriting: a backup taken while a writer commits rows holds a prefix of them (a
// consistent snapshot), passes the integrity check and records the signing key and when it was
// taken; the restored database holds exactly the rows of the backup.
func TestTakeWhileWriting(t *testing.T) {
	ctx := context.Background()
	pub := newKey(t)
	path, db := newDB(t, pub)
	const rows = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range rows {
			if err := db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES (?, 'x')`, fmt.Sprintf("row%04d", i))
				return err
			}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "licet-backup.db")
	info, err := Take(ctx, path, out, "v1.0.0", fixed)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if info.Integrity != "ok" || !info.TakenAt.Equal(fixed) || info.LicetVersion != "v1.0.0" || info.SchemaVersion != db.LatestVersion() {
		t.Errorf("Take = %+v; want integrity ok, taken at %v by v1.0.0, schema %d", info, fixed, db.LatestVersion())
	}
	if len(info.SigningKeys) != 1 || info.SigningKeys[0] != base64.StdEncoding.EncodeToString(pub) {
		t.Errorf("backup records keys %v, want the database's", info.SigningKeys)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode = %v, want 0600", st.Mode().Perm())
	}
	// A snapshot: the rows it holds are row0000…rowN-1 with no gap.
	n := countRows(t, out)
	for i := range n {
		var v string
		if err := openRO(t, out).QueryRow(`SELECT value FROM settings WHERE name = ?`, fmt.Sprintf("row%04d", i)).Scan(&v); err != nil {
			t.Fatalf("backup holds %d rows but not row%04d: not a snapshot", n, i)
		}
	}
	restored := filepath.Join(t.TempDir(), "restored.db")
	r, err := Restore(ctx, out, restored, RestoreOptions{SigningKey: pub, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, restored); got != n || r.DB != restored {
		t.Errorf("restored database holds %d rows, want the backup's %d", got, n)
	}
	if st, _ := os.Stat(restored); st.Mode().Perm() != 0o600 {
		t.Errorf("restored file mode = %v, want 0600", st.Mode().Perm())
	}
	if _, err := Take(ctx, path, out, "v1.0.0", fixed); licet.ErrorCode(err) != licet.EConflict {
		t.Errorf("Take onto an existing file = %v, want conflict", err)
	}
	if _, err := Take(ctx, "postgres://x@127.0.0.1/db", out, "", fixed); err == nil || licet.ErrorMessage(err) != PostgresAdvice {
		t.Errorf("Take of PostgreSQL = %v, want the pg_dump advice", err)
	}
}

// TestRestoreRefusals: a server's lock, another signing key, an existing database.
func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	pub := newKey(t)
	path, _ := newDB(t, pub)
	out := filepath.Join(t.TempDir(), "b.db")
	if _, err := Take(ctx, path, out, "v1", fixed); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "licet.db")

	held, err := filelock.TryShared(LockFile(target))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, out, target, RestoreOptions{SigningKey: pub}); licet.ErrorCode(err) != licet.CodeDatabaseInUse {
		t.Errorf("Restore while a server holds the database = %v, want %s", err, licet.CodeDatabaseInUse)
	}
	held.Unlock()

	other := newKey(t)
	if _, err := Restore(ctx, out, target, RestoreOptions{SigningKey: other}); licet.ErrorCode(err) != licet.CodeForeignSigningKey {
		t.Errorf("Restore under another key = %v, want %s", err, licet.CodeForeignSigningKey)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("a refused restore left %s behind", target)
	}
	if _, err := Restore(ctx, out, target, RestoreOptions{SigningKey: other, AllowOtherKey: true}); err != nil {
		t.Errorf("Restore under another key, allowed = %v", err)
	}
	if _, err := Restore(ctx, out, target, RestoreOptions{SigningKey: pub}); licet.ErrorCode(err) != licet.EConflict {
		t.Errorf("Restore onto an existing database = %v, want conflict", err)
	}
	r, err := Restore(ctx, out, target, RestoreOptions{SigningKey: pub, Replace: true, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(r.MovedAside); err != nil {
		t.Errorf("the replaced database was not moved aside to %q: %v", r.MovedAside, err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, []byte("not a database at all, just some text long enough to be a header....................................................................................."), 0o600)
	if _, err := Restore(ctx, garbage, filepath.Join(t.TempDir(), "x.db"), RestoreOptions{}); licet.ErrorCode(err) != licet.EInvalid {
		t.Errorf("Restore of a file that is no database = %v, want invalid", err)
	}
}

func openRO(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t *testing.T, path string) int {
	t.Helper()
	var n int
	if err := openRO(t, path).QueryRow(`SELECT count(*) FROM settings WHERE name LIKE 'row%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKMSState: the copy of a KMS host's state directory is itself a state directory: a
// consistent kms.db and the host key, private to their owner.
func TestKMSState(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	src, err := sql.Open("sqlite", dsn(filepath.Join(state, kmsStateFile), "_pragma=journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Exec(`CREATE TABLE clients (machine_id TEXT PRIMARY KEY); INSERT INTO clients VALUES ('pc-1'), ('pc-2')`); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, kmsHostKey), []byte("host key"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "kms-backup")
	info, err := KMSState(ctx, state, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Integrity != "ok" {
		t.Errorf("integrity = %q, want ok", info.Integrity)
	}
	var n int
	if err := openRO(t, filepath.Join(out, kmsStateFile)).QueryRow(`SELECT count(*) FROM clients`).Scan(&n); err != nil || n != 2 {
		t.Errorf("the copy holds %d clients (%v), want 2", n, err)
	}
	for path, want := range map[string]os.FileMode{out: 0o700, filepath.Join(out, kmsStateFile): 0o600, filepath.Join(out, kmsHostKey): 0o600} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, st.Mode().Perm(), err, want)
		}
	}
	if _, err := KMSState(ctx, state, out); licet.ErrorCode(err) != licet.EConflict {
		t.Errorf("a second backup into the same directory = %v, want conflict", err)
	}
	if _, err := KMSState(ctx, t.TempDir(), filepath.Join(t.TempDir(), "x")); licet.ErrorCode(err) != licet.EInvalid {
		t.Errorf("backup of a directory without kms.db = %v, want invalid", err)
	}
}
