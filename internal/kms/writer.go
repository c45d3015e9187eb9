package kms

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// clientRow is one client's line of the table, as the latest request left it.
type clientRow struct {
	pool, machine, product, kind, hostname, state string
	virtual, activated                            bool
	seen                                          time.Time
}

type rowKey struct{ pool, machine string }

// batch collects the changes of the requests that arrive while the previous batch commits; they
// are written in one transaction (group commit) and the requests wait for it.
type batch struct {
	rows     map[rowKey]clientRow
	counters map[string]int64
	done     chan struct{}
	err      error
}

func newBatch() *batch {
	return &batch{rows: make(map[rowKey]clientRow), counters: make(map[string]int64), done: make(chan struct{})}
}

// Linger is how long the writer waits after the first change of a batch before committing it.
const Linger = 2 * time.Millisecond

// writer persists the client table and the counters with group commit: one goroutine commits a
// batch while the next one fills, so a burst of requests costs one transaction, not one each.
type writer struct {
	db   *sql.DB
	now  func() time.Time
	mu   sync.Mutex
	cur  *batch
	kick chan struct{}
	stop chan struct{}
	gone chan struct{}
	// prunedAt is when rows of clients gone longer than the activation validity were last deleted.
	prunedAt time.Time
	keep     time.Duration
	// Statements prepared once; database/sql re-prepares them on another connection when needed.
	upsert, count *sql.Stmt
}

func startWriter(db *sql.DB, now func() time.Time, keep time.Duration) (*writer, error) {
	w := &writer{db: db, now: now, cur: newBatch(), kick: make(chan struct{}, 1), stop: make(chan struct{}), gone: make(chan struct{}), keep: keep}
	var err error
	if w.upsert, err = db.Prepare(upsertClient); err != nil {
		return nil, err
	}
	if w.count, err = db.Prepare(`INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`); err != nil {
		return nil, err
	}
	go w.loop()
	return w, nil
}

// add queues a row (nil for none) and counter increments, and returns the batch to wait on.
func (w *writer) add(r *clientRow, counters ...string) *batch {
	w.mu.Lock()
	b := w.cur
	if r != nil {
		b.rows[rowKey{r.pool, r.machine}] = *r
	}
	for _, c := range counters {
		b.counters[c]++
	}
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
	return b
}

// wait blocks until the batch is committed and returns its error.
func (b *batch) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer close(w.gone)
	for {
		select {
		case <-w.kick:
		case <-w.stop:
			w.flush()
			return
		}
		// Linger a moment so that the requests arriving together share one commit: without it
		// the writer commits each first arrival alone and the others queue behind it.
		select {
		case <-time.After(Linger):
		case <-w.stop:
		}
		w.flush()
	}
}

func (w *writer) flush() {
	w.mu.Lock()
	b := w.cur
	w.cur = newBatch()
	w.mu.Unlock()
	if len(b.rows) == 0 && len(b.counters) == 0 {
		close(b.done)
		return
	}
	b.err = w.commit(b)
	close(b.done)
}

// close commits what is queued and stops the writer.
func (w *writer) close() {
	close(w.stop)
	<-w.gone
	w.upsert.Close()
	w.count.Close()
}

const upsertClient = `INSERT INTO clients (pool, machine_id, product, kind, virtual, hostname, state, activated, first_seen, last_seen, last_activated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (pool, machine_id) DO UPDATE SET product = excluded.product, kind = excluded.kind, virtual = excluded.virtual,
  hostname = excluded.hostname, state = excluded.state, activated = excluded.activated, last_seen = excluded.last_seen,
  last_activated = CASE WHEN excluded.last_activated > 0 THEN excluded.last_activated ELSE clients.last_activated END`

func (w *writer) commit(b *batch) error {
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if len(b.rows) > 0 {
		st := tx.StmtContext(ctx, w.upsert)
		for _, r := range b.rows {
			ms := r.seen.UnixMilli()
			var activated int64
			if r.activated {
				activated = ms
			}
			if _, err := st.ExecContext(ctx, r.pool, r.machine, r.product, r.kind, boolInt(r.virtual), r.hostname, r.state,
				boolInt(r.activated), ms, ms, activated); err != nil {
				return err
			}
		}
	}
	for name, n := range b.counters {
		if _, err := tx.StmtContext(ctx, w.count).ExecContext(ctx, name, n); err != nil {
			return err
		}
	}
	if now := w.now(); now.Sub(w.prunedAt) > time.Hour {
		// Rows of clients not seen for longer than an activation lasts are of no use any more:
		// this bounds the table on disk.
		if _, err := tx.ExecContext(ctx, `DELETE FROM clients WHERE last_seen < ?`, now.Add(-w.keep).UnixMilli()); err != nil {
			return err
		}
		w.prunedAt = now
	}
	return tx.Commit()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
