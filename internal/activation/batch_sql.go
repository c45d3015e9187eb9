package activation

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/licet/licet/internal/fleet"
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
	sqliteKey = `SELECT k.id, COALESCE(t.slug, ''), COALESCE(k.tenant_id, 0), k.key_tail, k.type, k.blocked, k.activation_limit, k.used
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
		if err := fleet.RecordAll(ctx, tx, inventory(now, jobs, results)); err != nil {
			return err
		}
		return emitKeyEvents(ctx, tx, now, w.consume)
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
		switch err := st.QueryRowContext(ctx, h).Scan(&k.id, &k.tenant, &k.tenantID, &k.tail, &k.typ, &blocked, &k.limit, &k.used); {
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

// postgresBatch runs a batch under its keys' row locks (SELECT … FOR UPDATE, in id order for
// every process), in two round trips whatever its size (store.Pipelined): BEGIN, the lock that
// reads the keys and the read of the machines, sent together; the decision in memory; then one
// statement that writes the activations, the keys' counts and the inventory (data-modifying CTEs
// over arrays), sent together with COMMIT. The machines are read by a statement of their own,
// after the lock, so they include everything committed before it.
//
// Nothing runs between the write and COMMIT, so the write checks itself: it fails, and the
// transaction with it, unless each part changed the rows decided (licet_assert). The unique
// (key_id, machine_id) and CHECK (used <= activation_limit) are the last guards. A batch whose
// keys cross 90 % of their limit or run out, whose events outbox.Emit writes, or whose pipelined
// transaction failed, runs again as an ordinary transaction; should that fail too, the worker
// retries its jobs one by one.
type postgresBatch struct{}

const (
	// postgresKeys reads and locks the batch's keys.
	postgresKeys = `SELECT k.key_hash, k.id, COALESCE(t.slug, ''), COALESCE(k.tenant_id, 0), k.key_tail, k.type, k.blocked, k.activation_limit, k.used
		FROM product_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
		WHERE k.key_hash = ANY($1) AND k.type IN ('mak', 'retail') ORDER BY k.id FOR UPDATE OF k`
	// postgresMachines reads the activations recorded for the batch's pairs of key hash and
	// machine, one index probe per pair (LIMIT 1 keeps the subquery from being flattened into a
	// join the planner could turn into a scan of every activation).
	postgresMachines = `SELECT a.key_id, a.machine_id, a.id, a.product_id, a.hardware, a.virtual
		FROM unnest($1::text[], $2::text[]) AS u(key_hash, machine_id)
		JOIN product_keys k ON k.key_hash = u.key_hash AND k.type IN ('mak', 'retail') AND k.blocked = 0
		CROSS JOIN LATERAL (SELECT a.key_id, a.machine_id, a.id, a.product_id, a.hardware, a.virtual FROM activations a
			WHERE a.key_id = k.id AND a.machine_id = u.machine_id LIMIT 1) a`
	// postgresWriteParams is the number of parameters postgresWriteWith binds before the WITH
	// items it is given.
	postgresWriteParams = 18
)

// postgresWriteWith returns the statement that writes a batch: the activations, the keys' counts
// and the WITH items more (the inventory's). It fails unless it inserted $16 activations, updated
// $17 and raised the counts of $18 keys.
func postgresWriteWith(more string) string {
	return `WITH ins AS (
		INSERT INTO activations (key_id, product_id, machine_id, hardware, virtual, hostname, method, created_at, last_seen_at)
		SELECT u.*, $1::bigint, $1::bigint FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[]) AS u
		RETURNING 1
	), upd AS (
		UPDATE activations a SET product_id = u.product_id, hardware = u.hardware, virtual = u.virtual, hostname = u.hostname, last_seen_at = $1
		FROM unnest($9::bigint[], $10::bigint[], $11::text[], $12::bigint[], $13::text[]) AS u(id, product_id, hardware, virtual, hostname)
		WHERE a.id = u.id
		RETURNING 1
	), used AS (
		UPDATE product_keys k SET used = k.used + u.n FROM unnest($14::bigint[], $15::bigint[]) AS u(id, n)
		WHERE k.id = u.id AND k.used + u.n <= k.activation_limit
		RETURNING 1
	), ` + more + `
	SELECT licet_assert((SELECT count(*) FROM ins) = $16 AND (SELECT count(*) FROM upd) = $17 AND (SELECT count(*) FROM used) = $18,
		'activation batch: the rows written differ from the rows decided')`
}

// errKeyEvents sends a batch whose keys emit events from the pipelined transaction to an
// ordinary one.
var errKeyEvents = errors.New("activation batch: keys cross a threshold")

func (postgresBatch) apply(ctx context.Context, db *store.DB, jobs []*job, now int64) ([]result, error) {
	hashes, pairs := refs(jobs)
	pairHash, pairMachine := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		pairHash[i], pairMachine[i] = p.hash, p.machine
	}
	var keys map[string]*keyState
	var machines []*machineState
	var results []result
	// decide decides the jobs on what was loaded and returns the write statement.
	decide := func() (string, []any, []*keyState) {
		var w batchWrites
		results, w = decideAll(jobs, keys, machines, now)
		if len(w.insert)+len(w.update)+len(w.consume) == 0 {
			return "", nil, nil
		}
		cte, recordArgs := fleet.RecordCTE("recorded", postgresWriteParams+1, inventory(now, jobs, results))
		return postgresWriteWith(cte), append(postgresWriteArgs(w), recordArgs...), w.consume
	}
	// load returns the statements that lock the keys and read the machines, into keys and
	// machines emptied for this attempt.
	load := func() []store.Step {
		keys, machines = map[string]*keyState{}, nil
		return []store.Step{
			{SQL: postgresKeys, Args: []any{hashes}, Row: func(r store.Scanner) error { return scanBatchKey(r, keys) }},
			{SQL: postgresMachines, Args: []any{pairHash, pairMachine}, Row: func(r store.Scanner) error { return scanMachine(r, &machines) }},
		}
	}

	err := db.Pipelined(ctx, load, func() ([]store.Step, error) {
		write, args, consumed := decide()
		for _, k := range consumed {
			if len(k.crossings()) > 0 {
				return nil, errKeyEvents
			}
		}
		if write == "" {
			return nil, nil
		}
		return []store.Step{{SQL: write, Args: args}}, nil
	})
	if err == nil || ctx.Err() != nil {
		return results, err
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		for _, step := range load() {
			if err := store.Each(ctx, tx, step.Row, step.SQL, step.Args...); err != nil {
				return err
			}
		}
		write, args, consumed := decide()
		if write != "" {
			if _, err := tx.Exec(ctx, write, args...); err != nil {
				return err
			}
		}
		return emitKeyEvents(ctx, tx, now, consumed)
	})
	return results, err
}

// scanBatchKey reads a row of postgresKeys into keys, by hash.
func scanBatchKey(r store.Scanner, keys map[string]*keyState) error {
	k := &keyState{}
	var hash string
	var blocked int64
	if err := r.Scan(&hash, &k.id, &k.tenant, &k.tenantID, &k.tail, &k.typ, &blocked, &k.limit, &k.used); err != nil {
		return err
	}
	k.blocked = blocked != 0
	keys[hash] = k
	return nil
}

// scanMachine reads a row of postgresMachines.
func scanMachine(r store.Scanner, machines *[]*machineState) error {
	m := &machineState{}
	if err := r.Scan(&m.keyID, &m.machine, &m.id, &m.productID, &m.hardware, &m.virtual); err != nil {
		return err
	}
	*machines = append(*machines, m)
	return nil
}

// postgresWriteArgs lays out a batch's writes as the first postgresWriteParams parameters of
// postgresWriteWith.
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
	return []any{w.now, iKey, iProduct, iMachine, iHardware, iVirtual, iHost, iMethod, uID, uProduct, uHardware, uVirtual, uHost, kID, kN,
		len(w.insert), len(w.update), len(w.consume)}
}
