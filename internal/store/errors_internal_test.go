package store

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/licet/licet"
)

// TestUnreachableIsUnavailable: a database that is restarting, refuses connections or cut one
// answers EUnavailable (503, try again), not an internal error; a constraint stays a conflict.
func TestUnreachableIsUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		code string
	}{
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, licet.EUnavailable},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, licet.EUnavailable},
		{&pgconn.PgError{Code: "08006"}, licet.EUnavailable},
		{fmt.Errorf("batch: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), licet.EUnavailable},
		{driver.ErrBadConn, licet.EUnavailable},
		{&pgconn.PgError{Code: "23505"}, licet.EConflict},
		{errors.New("something else"), licet.EInternal},
	} {
		if got := licet.ErrorCode(mapError(c.err)); got != c.code {
			t.Errorf("mapError(%v): code %q, want %q", c.err, got, c.code)
		}
	}
}
