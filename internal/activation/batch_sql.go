package activation

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/licet/licet/internal/store"
)

func sortByID(ks []*keyState) {
	slices.SortFunc(ks, func(a, b *keyState) int { return cmp.Compare(a.id, b.id) })
}

// checkCount fails the batch when a statement changed other rows than decided: the
// transaction is then rolled back and each job retried alone.
func checkCount(what string, got int64, want int) error {
	if got != int64(want) {
		return fmt.Errorf("batch %s: %d rows changed, %d decided", what, got, want)
	}
	return nil
}

// sqliteBatch runs a batch as one statement per row: SQLite is in the process, so a statement
// costs no round trip, and its single writer serializes batches without row locks.
type sqliteBatch struct{}

const (
	sqliteKey = `SELECT k.id, COALESCE(t.slug, ''), k.blocked, k.activation_limit, k.used
		FROM product_keys k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = ? AND k.type IN ('mak', 'retail')`
	sqliteMachine = `SELECT id, product_id, hardware, virtual FROM activations WHERE key_id = ? AND machine_id = ?`
	sqliteInsert  = `INSERT INTO activations (key_id, product_id, machine_id, hardware, virtual, hostname, method, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, machine_id) DO NOTHING`
	sqliteUpdate  = `UPDATE activations SET product_id = ?, hardware = ?, virtual = ?, hostname = ?, last_seen_at = ? WHERE id = ?`
	sqliteConsume = `UPDATE product_keys SET used = used + ? WHERE id = ? AND used + ? <= activation_limit`
)

// each prepares q and runs it once per element of rows, handing over the statement.
func each[T any](ctx context.Context, tx *store.Tx, q string, rows []T, fn func(run func(args ...any) error, row T) error) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := tx.Prepare(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if err := fn(func(args ...any) error {
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			return checkCount(q[:6], n, 1)
		}, r); err != nil {
			return err
		}
	}
	return nil
}

func (sqliteBatch) apply(ctx context.Context, db *store.DB, jobs []*job, now int64) ([]result, error) {
	var results []result
	err := db.Write(ctx, func(tx *store.Tx) error {
		hashes, pairs := refs(jobs)
		keys, err := sqliteKeys(ctx, tx, hashes)
		if err != nil {
			return err
		}
		machines, err := sqliteMachines(ctx, tx, keys, pairs)
		if err != nil {
			return err
		}
		var w batchWrites
		results, w = decideAll(jobs, keys, machines, now)
		if err := sqliteWrite(ctx, tx, w); err != nil {
			return err
		}
		return recordBatch(ctx, tx, now, jobs, results)
	})
	return results, err
}

func sqliteKeys(ctx context.Context, tx *store.Tx, hashes []string) (map[string]*keyState, error) {
	st, err := tx.Prepare(ctx, sqliteKey)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := map[string]*keyState{}
	for _, h := range hashes {
		k := &keyState{}
		var blocked int64
		switch err := st.QueryRowContext(ctx, h).Scan(&k.id, &k.tenant, &blocked, &k.limit, &k.used); {
		case err == nil:
			k.blocked = blocked != 0
			out[h] = k
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	return out, nil
}

func sqliteMachines(ctx context.Context, tx *store.Tx, keys map[string]*keyState, pairs []hashMachine) ([]*machineState, error) {
	st, err := tx.Prepare(ctx, sqliteMachine)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []*machineState
	for _, p := range pairs {
		k := keys[p.hash]
		if k == nil || k.blocked {
			continue
		}
		m := &machineState{machineRef: machineRef{k.id, p.machine}}
		switch err := st.QueryRowContext(ctx, k.id, p.machine).Scan(&m.id, &m.productID, &m.hardware, &m.virtual); {
		case err == nil:
			out = append(out, m)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	return out, nil
}

func sqliteWrite(ctx context.Context, tx *store.Tx, w batchWrites) error {
	if err := each(ctx, tx, sqliteInsert, w.insert, func(run func(...any) error, m *machineState) error {
		return run(m.keyID, m.productID, m.machine, m.hardware, m.virtual, m.hostname, m.method, w.now, w.now)
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, sqliteUpdate, w.update, func(run func(...any) error, m *machineState) error {
		return run(m.productID, m.hardware, m.virtual, m.hostname, w.now, m.id)
	}); err != nil {
		return err
	}
	return each(ctx, tx, sqliteConsume, w.consume, func(run func(...any) error, k *keyState) error {
		return run(k.consumed, k.id, k.consumed)
	})
}

// postgresBatch runs a batch in a constant number of round trips whatever its size: BEGIN, one
// statement that locks and reads the keys, one that reads the machines, one that writes
// everything (data-modifying CTEs over arrays), the inventory, COMMIT. The table's constraints
// are the last guard: the unique (key_id, machine_id) and CHECK (used <= activation_limit) fail
// the whole batch rather than let a count drift, and the batch is then retried job by job.
type postgresBatch struct{}

const (
	postgresKeys = `SELECT k.key_hash, k.id, COALESCE(t.slug, ''), k.blocked, k.activation_limit, k.used
		FROM product_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
		WHERE k.key_hash = ANY($1) AND k.type IN ('mak', 'retail') ORDER BY k.id FOR UPDATE OF k`
	postgresMachines = `SELECT a.key_id, a.machine_id, a.id, a.product_id, a.hardware, a.virtual
		FROM unnest($1::text[], $2::text[]) AS u(key_hash, machine_id)
		JOIN product_keys k ON k.key_hash = u.key_hash AND k.type IN ('mak', 'retail') AND k.blocked = 0
		JOIN activations a ON a.key_id = k.id AND a.machine_id = u.machine_id`
	postgresWrite = `WITH ins AS (
		INSERT INTO activations (key_id, product_id, machine_id, hardware, virtual, hostname, method, created_at, last_seen_at)
		SELECT u.*, $1::bigint, $1::bigint FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[]) AS u
	), upd AS (
		UPDATE activations a SET product_id = u.product_id, hardware = u.hardware, virtual = u.virtual, hostname = u.hostname, last_seen_at = $1
		FROM unnest($9::bigint[], $10::bigint[], $11::text[], $12::bigint[], $13::text[]) AS u(id, product_id, hardware, virtual, hostname)
		WHERE a.id = u.id
	)
	UPDATE product_keys k SET used = k.used + u.n FROM unnest($14::bigint[], $15::bigint[]) AS u(id, n) WHERE k.id = u.id`
)

func (postgresBatch) apply(ctx context.Context, db *store.DB, jobs []*job, now int64) ([]result, error) {
	hashes, pairs := refs(jobs)
	pairHash, pairMachine := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		pairHash[i], pairMachine[i] = p.hash, p.machine
	}
	var results []result
	err := db.Write(ctx, func(tx *store.Tx) error {
		keys, err := postgresKeysOf(ctx, tx, hashes)
		if err != nil {
			return err
		}
		machines, err := store.Collect(ctx, tx, func(r store.Scanner) (*machineState, error) {
			m := &machineState{}
			return m, r.Scan(&m.keyID, &m.machine, &m.id, &m.productID, &m.hardware, &m.virtual)
		}, postgresMachines, pairHash, pairMachine)
		if err != nil {
			return err
		}
		var w batchWrites
		results, w = decideAll(jobs, keys, machines, now)
		if len(w.insert)+len(w.update)+len(w.consume) > 0 {
			if _, err := tx.Exec(ctx, postgresWrite, postgresWriteArgs(w)...); err != nil {
				return err
			}
		}
		return recordBatch(ctx, tx, now, jobs, results)
	})
	return results, err
}

// postgresKeysOf reads and locks the MAK and retail keys of hashes, by hash.
func postgresKeysOf(ctx context.Context, tx *store.Tx, hashes []string) (map[string]*keyState, error) {
	type row struct {
		hash string
		key  *keyState
	}
	rows, err := store.Collect(ctx, tx, func(r store.Scanner) (row, error) {
		k := &keyState{}
		var hash string
		var blocked int64
		err := r.Scan(&hash, &k.id, &k.tenant, &blocked, &k.limit, &k.used)
		k.blocked = blocked != 0
		return row{hash, k}, err
	}, postgresKeys, hashes)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*keyState, len(rows))
	for _, r := range rows {
		out[r.hash] = r.key
	}
	return out, nil
}

// postgresWriteArgs lays out a batch's writes as the arrays of postgresWrite.
func postgresWriteArgs(w batchWrites) []any {
	n := len(w.insert)
	iKey, iProduct, iMachine, iHardware, iVirtual, iHost, iMethod := make([]int64, n), make([]int64, n), make([]string, n), make([]string, n), make([]int64, n), make([]string, n), make([]string, n)
	for i, m := range w.insert {
		iKey[i], iProduct[i], iMachine[i], iHardware[i], iVirtual[i], iHost[i], iMethod[i] = m.keyID, m.productID, m.machine, m.hardware, m.virtual, m.hostname, m.method
	}
	n = len(w.update)
	uID, uProduct, uHardware, uVirtual, uHost := make([]int64, n), make([]int64, n), make([]string, n), make([]int64, n), make([]string, n)
	for i, m := range w.update {
		uID[i], uProduct[i], uHardware[i], uVirtual[i], uHost[i] = m.id, m.productID, m.hardware, m.virtual, m.hostname
	}
	n = len(w.consume)
	kID, kN := make([]int64, n), make([]int64, n)
	for i, k := range w.consume {
		kID[i], kN[i] = k.id, k.consumed
	}
	return []any{w.now, iKey, iProduct, iMachine, iHardware, iVirtual, iHost, iMethod, uID, uProduct, uHardware, uVirtual, uHost, kID, kN}
}
