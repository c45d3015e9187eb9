package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/licet/licet"
)

// Normalised driver error classes, decided by the drivers' codes, never by message text.
var (
	// ErrUnique is wrapped by errors for a unique constraint violation.
	ErrUnique = errors.New("unique constraint violated")
	// ErrForeignKey is wrapped by errors for a foreign key violation.
	ErrForeignKey = errors.New("foreign key violated")
)

// retryable reports whether err is a transient conflict after which the whole transaction may
// be run again: a serialization failure or deadlock (PostgreSQL), a busy or locked database (SQLite).
func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		primary := lite.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsUnique reports whether err is a unique constraint violation.
func IsUnique(err error) bool {
	if errors.Is(err, ErrUnique) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		c := lite.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKey reports whether err is a foreign key violation.
func IsForeignKey(err error) bool {
	if errors.Is(err, ErrForeignKey) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// mapError turns driver errors that escaped the domain code into licet errors: constraint
// violations become EConflict/EInvalid, cancellations pass through, sql.ErrNoRows becomes
// ENotFound, a busy or unreachable database EUnavailable; licet errors and everything else are
// returned as they are.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var le *licet.Error
	switch {
	case errors.As(err, &le):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return licet.Errorf(licet.ENotFound, "not found")
	case IsUnique(err):
		return licet.Errorf(licet.EConflict, "already exists")
	case IsForeignKey(err):
		return licet.Errorf(licet.EInvalid, "refers to an object that does not exist or is still in use")
	case retryable(err):
		return licet.Errorf(licet.EUnavailable, "the database is busy; try again")
	case unreachable(err):
		return licet.Errorf(licet.EUnavailable, "the database is unreachable or restarting; try again in a moment")
	}
	return err
}

// unreachable reports whether err says the database could not be reached or went away: a
// connection refused or cut, or PostgreSQL starting up, shutting down or refusing connections
// (SQLSTATE classes 08 and 57P).
func unreachable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "57P")
	}
	var connect *pgconn.ConnectError
	var network *net.OpError
	return errors.As(err, &connect) || errors.As(err, &network) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sqliteMessage gives a short reason for a SQLite open failure.
func sqliteMessage(err error) string {
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return "the file is not a SQLite database"
		case sqlite3.SQLITE_CANTOPEN:
			return "the file cannot be opened (check the path and permissions)"
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return "the file is read-only"
		}
	}
	return err.Error()
}
