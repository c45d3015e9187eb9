package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Step is one statement of a pipelined transaction, with the function that reads each row
// it answers (nil when it answers none, or when they do not matter).
type Step struct {
	SQL  string // with $n placeholders: pipelined statements are PostgreSQL's only
	Args []any
	Row  func(Scanner) error
}

// ErrNotPipelined is Pipelined's answer on SQLite, whose statements cost no round trip.
var ErrNotPipelined = errors.New("store: pipelined transactions are for PostgreSQL only")

// Pipelined runs one transaction on PostgreSQL in two round trips whatever the number of its
// statements: BEGIN and the statements first returns, sent together; then those that then
// returns, sent together with COMMIT. first is called again for each attempt (a retried
// transaction starts its reads afresh); then runs between the two round trips; when it
// returns an error, or a statement fails (PostgreSQL then skips the rest, COMMIT included), the
// transaction is rolled back and the error returned. A statement that must change as many rows
// as its caller decided has to fail by itself otherwise: nothing runs between the last statement
// and COMMIT. Serialization failures and deadlocks are retried as Write retries them.
//
// It exists for the hottest transaction (a batch of activations), where each round trip waits
// for the worker goroutine to be scheduled again behind the requests it serves.
func (db *DB) Pipelined(ctx context.Context, first func() []Step, then func() ([]Step, error)) error {
	if db.Dialect != Postgres {
		return ErrNotPipelined
	}
	return retry(ctx, func() error { return db.pipelinedOnce(ctx, first, then) })
}

func (db *DB) pipelinedOnce(ctx context.Context, first func() []Step, then func() ([]Step, error)) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c := driverConn.(*stdlib.Conn).Conn()
		err := twoTrips(ctx, c, first, then)
		if err == nil {
			return nil
		}
		if rbErr := rollback(c); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	})
}

// twoTrips sends BEGIN with the statements first returns, then those then returns with COMMIT.
func twoTrips(ctx context.Context, c *pgx.Conn, first func() []Step, then func() ([]Step, error)) error {
	if err := send(ctx, c, append([]Step{{SQL: "BEGIN"}}, first()...)); err != nil {
		return err
	}
	next, err := then()
	if err != nil {
		return err
	}
	return send(ctx, c, append(next, Step{SQL: "COMMIT"}))
}

// send sends statements in one round trip and reads their answers.
func send(ctx context.Context, c *pgx.Conn, statements []Step) error {
	b := &pgx.Batch{}
	for _, s := range statements {
		q := b.Queue(s.SQL, s.Args...)
		if s.Row != nil {
			q.Query(func(rows pgx.Rows) error {
				for rows.Next() {
					if err := s.Row(rows); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		}
	}
	return c.SendBatch(ctx, b).Close()
}

// rollbackTimeout bounds the ROLLBACK after a failed pipelined transaction.
const rollbackTimeout = 5 * time.Second

// rollback ends the transaction a failure left open (aborted, or not yet committed); a
// connection that cannot is given up (driver.ErrBadConn makes database/sql close it).
func rollback(c *pgx.Conn) error {
	if c.IsClosed() {
		return driver.ErrBadConn
	}
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
		return driver.ErrBadConn
	}
	return nil
}
