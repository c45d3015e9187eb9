// Package store opens licet's database — SQLite by default, PostgreSQL for several server
// processes — applies its migrations, runs each operation in one transaction, and maps driver
// errors to licet's error codes. Domain packages write their SQL once, with '?' placeholders, and
// run it through Write and Read.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/licet/licet"
	"github.com/licet/licet/internal/privatefile"
)

// Dialect names the SQL database behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is licet's database: a write pool and a read pool (the same pool on PostgreSQL; on SQLite one
// writer connection that takes the lock at BEGIN, so writers queue instead of failing, and several
// readers).
type DB struct {
	Dialect Dialect
	// Source names the database for people: the SQLite path or the PostgreSQL host and database,
	// never a password.
	Source string
	w, r   *sql.DB
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL or a SQLite file path. It checks that
// the database answers; it does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, licet.Errorf(licet.EInvalid, "database URL is malformed: %v", redact(err))
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, licet.Errorf(licet.EUnavailable, "cannot open PostgreSQL at %s: %v", u.Host, err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	// Replicas share the server's max_connections: give idle connections back soon.
	db.SetConnMaxIdleTime(30 * time.Second)
	src := u.Host + u.Path
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, licet.Errorf(licet.EUnavailable, "cannot reach PostgreSQL at %s: %v", src, redact(err))
	}
	return &DB{Dialect: Postgres, Source: src, w: db, r: db}, nil
}

// redact drops anything after a password-bearing URL from an error message.
func redact(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		if j := strings.Index(msg[i:], "@"); j >= 0 {
			msg = msg[:i+3] + "…" + msg[i+j:]
		}
	}
	return msg
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, licet.Errorf(licet.EInvalid, "database path is empty")
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, licet.Errorf(licet.EInvalid, "cannot open database %s: directory %s does not exist", path, dir)
		}
	}
	if err := privatefile.SQLite(path); err != nil {
		return nil, licet.Errorf(licet.EInvalid, "cannot open database %s: %v", path, err)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, licet.Errorf(licet.EUnavailable, "cannot open database %s: %v", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, licet.Errorf(licet.EUnavailable, "cannot open database %s: %v", path, sqliteMessage(err))
	}
	// Make sure the file really is a database (Ping does not read it).
	if _, err := w.ExecContext(ctx, "SELECT count(*) FROM sqlite_master"); err != nil {
		w.Close()
		return nil, licet.Errorf(licet.EUnavailable, "cannot open database %s: %v", path, sqliteMessage(err))
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, licet.Errorf(licet.EUnavailable, "cannot open database %s: %v", path, err)
	}
	r.SetMaxOpenConns(8)
	return &DB{Dialect: SQLite, Source: path, w: w, r: r}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.r.PingContext(ctx)
}

// Stats returns the write pool's statistics (the pool that matters for contention).
func (db *DB) Stats() sql.DBStats { return db.w.Stats() }

// SQL returns the write pool, for metrics collectors and tests that need the raw handle.
func (db *DB) SQL() *sql.DB { return db.w }

// maxAttempts bounds the retries of a transaction that failed on a serialization failure,
// deadlock or busy database.
const maxAttempts = 8

// Write runs fn in a read-write transaction and commits it when fn returns nil. A transaction
// that fails because of a serialization failure, a deadlock or a busy database is retried from
// the start, up to a bound, so fn must have no effect outside the transaction.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, db.w, false, fn)
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, db.r, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) error {
	return retry(ctx, func() error { return db.once(ctx, pool, readOnly, fn) })
}

// retry runs attempt until it succeeds, fails for a reason other than a serialization failure,
// deadlock or busy database, or has been tried maxAttempts times, and maps the last error.
func retry(ctx context.Context, attempt func() error) error {
	var err error
	for n := 1; n <= maxAttempts; n++ {
		err = attempt()
		if err == nil || !retryable(err) || ctx.Err() != nil {
			break
		}
		backoff := time.Duration(n*n) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return mapError(err)
}

func (db *DB) once(ctx context.Context, pool *sql.DB, readOnly bool, fn func(tx *Tx) error) (err error) {
	opts := &sql.TxOptions{ReadOnly: readOnly && db.Dialect == Postgres}
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	tx := &Tx{tx: sqlTx, dialect: db.Dialect}
	if err = fn(tx); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// Tx is one transaction. Queries use '?' placeholders; Tx rewrites them for PostgreSQL.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// Dialect returns the dialect, for the few statements that differ between databases.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Exec runs a statement and returns the number of rows it affected.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, tx.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query runs a query that returns rows.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.rebind(query), args...)
}

// QueryRow runs a query that returns at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.rebind(query), args...)
}

// Insert runs an INSERT … RETURNING id and returns the id.
func (tx *Tx) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, query+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Prepare prepares a statement in the transaction, for loops over many rows.
func (tx *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.tx.PrepareContext(ctx, tx.rebind(query))
}

func (tx *Tx) rebind(query string) string {
	if tx.dialect != Postgres {
		return query
	}
	return Rebind(query)
}

// Rebind turns '?' placeholders into PostgreSQL's $1, $2…, leaving quoted text alone.
func Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Millis converts a time to the integer milliseconds licet stores.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Time converts stored milliseconds back to a UTC time; 0 is the zero time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// NullTime converts nullable stored milliseconds to a time pointer.
func NullTime(ms sql.NullInt64) *time.Time {
	if !ms.Valid || ms.Int64 == 0 {
		return nil
	}
	t := Time(ms.Int64)
	return &t
}

// Bool converts a bool to the 0/1 integer licet stores.
func Bool(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LikeEscape escapes the wildcards of s (and the escape character) for a LIKE pattern written
// with ESCAPE '!', so that s matches only itself: "kms.host_limit" must not match
// "kms.hostXlimit", nor lose its "_".
func LikeEscape(s string) string { return likeEscaper.Replace(s) }

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// Scanner is a row being read: a *sql.Row or *sql.Rows.
type Scanner interface{ Scan(...any) error }

// Collect runs a query in tx and reads every row it answers with scan.
func Collect[T any](ctx context.Context, tx *Tx, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}

// Pair is a row of two columns.
type Pair[A, B any] struct {
	A A
	B B
}

// Pairs runs a query of two columns in tx and returns its rows: a count per value, a key and
// its owner.
func Pairs[A, B any](ctx context.Context, tx *Tx, query string, args ...any) ([]Pair[A, B], error) {
	return Collect(ctx, tx, func(r Scanner) (p Pair[A, B], err error) { return p, r.Scan(&p.A, &p.B) }, query, args...)
}

// Each runs a query in tx and hands every row it answers to fn.
func Each(ctx context.Context, tx *Tx, fn func(Scanner) error, query string, args ...any) error {
	_, err := Collect(ctx, tx, func(r Scanner) (struct{}, error) { return struct{}{}, fn(r) }, query, args...)
	return err
}

// scanAll reads every row of rows with scan, and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Placeholders returns "?, ?, …" with n marks, for IN (…) lists.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// Args converts a slice to query arguments.
func Args[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// ForUpdate is the locking clause of SELECT … FOR UPDATE on PostgreSQL, where several server
// processes may write at once; SQLite has a single writer and needs none.
func (tx *Tx) ForUpdate() string {
	if tx.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
