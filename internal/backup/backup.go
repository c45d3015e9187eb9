// Package backup takes a consistent copy of a SQLite database while licet serves it (SQLite's
// VACUUM INTO: one read transaction, writers go on) and restores such a copy, refusing while a
// server holds the database and refusing a copy made under another signing key unless told.
// PostgreSQL databases are backed up with pg_dump instead (see docs/operations.md).
package backup

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/licet/licet"
	"github.com/licet/licet/internal/filelock"
	"github.com/licet/licet/internal/privatefile"
	"github.com/licet/licet/internal/store"
)

// Info describes a backup file.
type Info struct {
	File          string    `json:"file"`
	Bytes         int64     `json:"bytes"`
	TakenAt       time.Time `json:"takenAt"`
	TakenFrom     string    `json:"takenFrom"`
	LicetVersion  string    `json:"licetVersion"`
	SchemaVersion int       `json:"schemaVersion"`
	// SigningKeys are the public halves (base64 Ed25519) of the signing keys the database
	// records: a restore is checked against them.
	SigningKeys []string `json:"signingKeys"`
	Integrity   string   `json:"integrity"` // "ok", from PRAGMA integrity_check
}

// PostgresAdvice is what `licet backup` answers for a PostgreSQL database.
const PostgresAdvice = "licet backup copies SQLite databases; back up PostgreSQL with pg_dump: " +
	"pg_dump --format=custom --file=licet.dump \"$LICET_DB\", and restore with pg_restore --clean --if-exists --dbname=\"$LICET_DB\" licet.dump " +
	"(see docs/operations.md, Backups); keep the signing key file with the dump"

// LockFile is the lock a server holds (shared) beside its SQLite database, and a restore takes
// (exclusive).
func LockFile(dbPath string) string { return dbPath + ".lock" }

// Take copies the SQLite database at dbPath to out, a new file (mode 0600), while servers may be
// writing to it, and records in the copy when it was taken and by which licet version.
func Take(ctx context.Context, dbPath, out, licetVersion string, now time.Time) (Info, error) {
	if store.IsPostgres(dbPath) {
		return Info{}, licet.Errorf(licet.EInvalid, "%s", PostgresAdvice)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "cannot back up %s: %v (give the database with --db or LICET_DB)", dbPath, pathError(err))
	}
	if err := createPrivate(out); err != nil {
		return Info{}, err
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(out)
		}
	}()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return Info{}, err
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		return Info{}, fmt.Errorf("copy %s to %s: %w", dbPath, out, err)
	}
	if err := stamp(ctx, out, dbPath, licetVersion, now); err != nil {
		return Info{}, err
	}
	info, err := Inspect(ctx, out)
	if err != nil {
		return Info{}, err
	}
	ok = true
	return info, nil
}

// stamp records in the copy when and from where it was taken, and makes it a single file
// (rollback journal, not WAL).
func stamp(ctx context.Context, path, from, version string, now time.Time) error {
	db, err := sql.Open("sqlite", dsn(path, "_pragma=journal_mode(DELETE)"))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, kv := range [][2]string{
		{"backup_taken_at", now.UTC().Format(time.RFC3339)},
		{"backup_taken_from", from},
		{"backup_licet_version", version},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, kv[0], kv[1]); err != nil {
			return fmt.Errorf("record the backup in %s: %w", path, err)
		}
	}
	return db.Close()
}

// Inspect checks a backup file's integrity and reads what it records.
func Inspect(ctx context.Context, path string) (Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "cannot read the backup %s: %v", path, pathError(err))
	}
	db, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		return Info{}, err
	}
	defer db.Close()
	info := Info{File: path, Bytes: st.Size()}
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&info.Integrity); err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "%s is not a licet backup (not a SQLite database: %v)", path, err)
	}
	if info.Integrity != "ok" {
		return info, licet.Errorf(licet.EInvalid, "the backup %s is damaged: integrity check says %q", path, info.Integrity)
	}
	settings := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM settings`)
	if err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "%s is not a licet backup (no settings table: %v)", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return Info{}, err
		}
		settings[k] = v
	}
	if err := rows.Err(); err != nil {
		return Info{}, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&info.SchemaVersion); err != nil {
		return Info{}, licet.Errorf(licet.EInvalid, "%s is not a licet backup (no schema version: %v)", path, err)
	}
	info.TakenAt, _ = time.Parse(time.RFC3339, settings["backup_taken_at"])
	info.TakenFrom, info.LicetVersion = settings["backup_taken_from"], settings["backup_licet_version"]
	info.SigningKeys = recordedKeys(settings)
	return info, nil
}

// recordedKeys returns the public signing keys a database records.
func recordedKeys(settings map[string]string) []string {
	if k := settings["signing_public_key"]; k != "" {
		return []string{k}
	}
	return nil
}

// CheckSigningKey returns nil when pub is one of the signing keys the backup records (or the
// backup records none), and a CodeForeignSigningKey error otherwise: tickets and certificates the
// restored database describes would not verify under pub.
func CheckSigningKey(info Info, pub ed25519.PublicKey) error {
	mine := base64.StdEncoding.EncodeToString(pub)
	if len(info.SigningKeys) == 0 || slices.Contains(info.SigningKeys, mine) {
		return nil
	}
	return licet.Errorf(licet.CodeForeignSigningKey,
		"the backup %s was made under signing key %s, not under %s (the key file given): restore it with its own signing key file (--signing-key), or give --allow-other-signing-key to restore it anyway (the server will then refuse to start until the key matches)",
		info.File, short(info.SigningKeys[0]), short(mine)).With("backupKeys", info.SigningKeys).With("givenKey", mine)
}

func short(k string) string {
	if len(k) > 12 {
		return k[:12] + "…"
	}
	return k
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// SigningKey is the public half of the signing key the restored database will serve with;
	// nil skips the check (the key file is missing and AllowOtherKey is set).
	SigningKey ed25519.PublicKey
	// AllowOtherKey restores a backup made under another signing key.
	AllowOtherKey bool
	// Replace moves an existing database (and its -wal and -shm files) aside to
	// DB.replaced-TIMESTAMP instead of refusing.
	Replace bool
	Now     time.Time
}

// Restored says what Restore did.
type Restored struct {
	Info
	DB         string `json:"db"`
	MovedAside string `json:"movedAside,omitempty"`
}

// Restore replaces the SQLite database dbPath with the backup from. It refuses while a server
// holds the database (CodeDatabaseInUse), a damaged backup, a backup made under another signing
// key unless opts.AllowOtherKey, and an existing database unless opts.Replace.
func Restore(ctx context.Context, from, dbPath string, opts RestoreOptions) (Restored, error) {
	if store.IsPostgres(dbPath) {
		return Restored{}, licet.Errorf(licet.EInvalid, "licet restore restores SQLite databases; restore PostgreSQL with pg_restore (see docs/operations.md, Backups)")
	}
	dir := filepath.Dir(dbPath) // never empty: "." for a bare file name
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return Restored{}, licet.Errorf(licet.EInvalid, "cannot restore to %s: directory %s does not exist", dbPath, dir)
	}
	lock, err := filelock.TryExclusive(LockFile(dbPath))
	if errors.Is(err, filelock.ErrLocked) {
		return Restored{}, licet.Errorf(licet.CodeDatabaseInUse,
			"a running licet server holds %s: stop it first (systemctl stop licet, or end licet serve), then restore", dbPath).With("db", dbPath)
	}
	if err != nil {
		return Restored{}, fmt.Errorf("lock %s: %w", LockFile(dbPath), err)
	}
	defer lock.Unlock()
	info, err := Inspect(ctx, from)
	if err != nil {
		return Restored{}, err
	}
	if opts.SigningKey != nil && !opts.AllowOtherKey {
		if err := CheckSigningKey(info, opts.SigningKey); err != nil {
			return Restored{}, err
		}
	}
	out := Restored{Info: info, DB: dbPath}
	_, err = os.Stat(dbPath)
	exists := err == nil
	if exists && !opts.Replace {
		return Restored{}, licet.Errorf(licet.EConflict, "%s exists: give --replace to move it (and its -wal and -shm files) aside, or restore to a new path", dbPath)
	}
	// The copy comes first: a copy that fails leaves the database where it was.
	tmp := dbPath + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return Restored{}, err
	}
	if exists {
		out.MovedAside = dbPath + ".replaced-" + strconv.FormatInt(opts.Now.Unix(), 10)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, out.MovedAside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				os.Remove(tmp)
				return Restored{}, fmt.Errorf("move %s aside: %w", dbPath+suffix, err)
			}
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		os.Remove(tmp)
		return Restored{}, err
	}
	return out, privatefile.SQLite(dbPath)
}

// copyFile copies from to a new 0600 file to, synced to disk.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func dsn(path, params string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params
}

// pathError drops the operation from a *fs.PathError: the message names the path already.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
