package store

import (
	"context"
	"database/sql/driver"
	"fmt"

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
	return retry(ctx, func() error { return db.pipelinedOnce(ctx, fn) })
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

// Statement runs one statement on its own, outside an explicit transaction (it is then its own
// transaction: one round trip instead of three), and reads the rows it answers with scan. It is
// retried like Write on a serialization failure or deadlock, so it must be safe to repeat when
// it failed. The query is written for the dialect: '?' is not rewritten.
func Statement[T any](ctx context.Context, db *DB, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := retry(ctx, func() (err error) {
		out, err = statementOnce(ctx, db, scan, query, args)
		return err
	})
	return out, err
}

func statementOnce[T any](ctx context.Context, db *DB, scan func(Scanner) (T, error), query string, args []any) ([]T, error) {
	rows, err := db.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
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
