package store

import "context"

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
	return scanAll(rows, scan)
}
