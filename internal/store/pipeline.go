package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// WritePipelined runs fn on one PostgreSQL connection of the write pool, for work that sends
// several statements in one round trip (pgx.Batch), which database/sql cannot. fn opens and
// ends its own transaction (queue BEGIN first and COMMIT last); a transaction fn leaves open is
// rolled back. A serialization failure or deadlock reruns fn, like Write.
func (db *DB) WritePipelined(ctx context.Context, fn func(ctx context.Context, c *pgx.Conn) error) error {
	if db.Dialect != Postgres {
		return fmt.Errorf("store: pipelined transactions need PostgreSQL, not %s", db.Dialect)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.pipelinedOnce(ctx, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * time.Millisecond):
		}
	}
	return mapError(err)
}

func (db *DB) pipelinedOnce(ctx context.Context, fn func(ctx context.Context, c *pgx.Conn) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var fnErr error
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		fnErr = fn(ctx, c)
		if c.PgConn().TxStatus() == 'I' {
			return nil
		}
		if fnErr == nil {
			fnErr = fmt.Errorf("store: a pipelined transaction was left open; it is rolled back")
		}
		if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
			return driver.ErrBadConn // the pool drops this connection
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}
