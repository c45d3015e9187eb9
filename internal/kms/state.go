package kms

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/licet/licet"
	"github.com/licet/licet/internal/privatefile"
	"github.com/licet/licet/internal/signing"
)

// Files of a host's state directory.
const (
	StateFile   = "kms.db"   // SQLite: identity, certificate, client table, counters
	HostKeyFile = "host.key" // the host's Ed25519 signing key (PEM, 0600)
)

const schema = `
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
    pool           TEXT NOT NULL,
    machine_id     TEXT NOT NULL,
    product        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    virtual        INTEGER NOT NULL,
    hostname       TEXT NOT NULL,
    state          TEXT NOT NULL,
    activated      INTEGER NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    last_activated INTEGER NOT NULL,
    PRIMARY KEY (pool, machine_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS clients_seen ON clients (pool, last_seen);
`

// state is a host's state directory: its SQLite database and its key file.
type state struct {
	dir string
	db  *sql.DB
}

// openState opens (creating when needed) the state directory and its database. The database
// runs in WAL mode with synchronous=NORMAL: a commit survives the process crashing; the last
// commits before a power loss may be lost, which costs at most those clients one more request.
func openState(ctx context.Context, dir string) (*state, error) {
	if dir == "" {
		return nil, licet.Errorf(licet.EInvalid, "the state directory is empty: give --state-dir")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot create the state directory %s: %v", dir, err)
	}
	path := filepath.Join(dir, StateFile)
	if err := privatefile.SQLite(path); err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot create the host state %s: %v", path, err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, licet.Errorf(licet.EUnavailable, "cannot open %s: %v", path, err)
	}
	db.SetMaxOpenConns(1) // one connection: the writer's prepared statements stay on it
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, licet.Errorf(licet.EUnavailable, "cannot open the host state %s: %v", path, err)
	}
	return &state{dir: dir, db: db}, nil
}

func (s *state) close() error { return s.db.Close() }

func (s *state) get(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (s *state) set(ctx context.Context, kv ...string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := 0; i+1 < len(kv); i += 2 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// identity returns the host's id and signing key, creating both on first use.
func (s *state) identity(ctx context.Context) (string, ed25519.PrivateKey, error) {
	keyPath := filepath.Join(s.dir, HostKeyFile)
	var key ed25519.PrivateKey
	var err error
	if signing.Exists(keyPath) {
		key, err = signing.Load(keyPath)
	} else {
		key, err = signing.Create(keyPath)
	}
	if err != nil {
		return "", nil, fmt.Errorf("host key %s: %w", keyPath, err)
	}
	id, err := s.get(ctx, "host_id")
	if err != nil {
		return "", nil, err
	}
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = "kms-" + hex.EncodeToString(b[:])
		if err := s.set(ctx, "host_id", id); err != nil {
			return "", nil, err
		}
	}
	return id, key, nil
}

// counters reads the persisted request counters.
func (s *state) counters(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM counters`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var v int64
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, rows.Err()
}
