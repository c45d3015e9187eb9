// Package uploads keeps the user lists uploaded for a bulk assignment in the console between the
// dry run and the apply, in the database, so that any replica can run either. The console reaches
// it through an interface (console.BulkUploads).
package uploads

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

// The uploaded user lists of bulk assignment, kept between the dry run and the apply. They live
// in the database (table console_uploads), so the dry run may run on one replica and the apply
// on another, or after a restart. The client only ever holds a random id; a list is bound to the
// session that uploaded it and to its tenant, and is forgotten 30 minutes after the upload or
// its last use. The store is bounded: at most maxJobs lists and maxStoredBytes in all (the
// oldest go first), maxJobsPerSession per session (the console bounds each list: maxUpload bytes and
// maxBulkUsers users).

const (
	jobTTL            = 30 * time.Minute
	maxJobs           = 16
	maxJobsPerSession = 2
	maxStoredBytes    = 64 << 20 // uploads, dry runs and apply reports together
	// stepLease is how long a replica holds a job while it applies one chunk; a replica that dies
	// meanwhile leaves the chunk to be applied again after it (assignment is idempotent).
	stepLease = time.Minute
)

// Store keeps the jobs in the database.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// New returns the store of the uploads in db, on the clock now.
func New(db *store.DB, now func() time.Time) *Store {
	return &Store{db: db, now: now}
}

func (st *Store) available() error {
	if st.db == nil {
		return licet.Errorf(licet.EUnavailable, "bulk assignment needs the database, which the console was not given")
	}
	return nil
}

// Put stores a new job and its uploaded file under a random id, making room: expired jobs go
// first, then the session's oldest beyond maxJobsPerSession, then the oldest of all beyond
// maxJobs or maxStoredBytes.
func (st *Store) Put(ctx context.Context, j *listfile.Job, content []byte) error {
	if err := st.available(); err != nil {
		return err
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	j.ID = base64.RawURLEncoding.EncodeToString(b[:])
	change, err := json.Marshal(j.Change)
	if err != nil {
		return err
	}
	dry, err := json.Marshal(j.Dry)
	if err != nil {
		return err
	}
	size := int64(len(content) + len(dry))
	now := st.now().UnixMilli()
	return st.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_uploads WHERE expires_at <= ?`, now); err != nil {
			return err
		}
		mine, err := store.Collect(ctx, tx, func(r store.Scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT id FROM console_uploads WHERE session = ? ORDER BY created_at DESC, id`, j.Session)
		if err != nil {
			return err
		}
		if len(mine) >= maxJobsPerSession {
			if err := drop(ctx, tx, mine[maxJobsPerSession-1:]); err != nil {
				return err
			}
		}
		// The oldest of all go while the store is full by count or by bytes.
		type row struct {
			id   string
			size int64
		}
		rows, err := store.Collect(ctx, tx, func(r store.Scanner) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.size)
		}, `SELECT id, size FROM console_uploads ORDER BY created_at DESC, id`)
		if err != nil {
			return err
		}
		kept, bytes := 0, size
		var evict []string
		for _, x := range rows {
			if kept+1 >= maxJobs || bytes+x.size > maxStoredBytes {
				evict = append(evict, x.id)
				continue
			}
			kept++
			bytes += x.size
		}
		if err := drop(ctx, tx, evict); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO console_uploads (id, session, tenant, file_name, content, change_json, dry_json, size, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.ID, j.Session, j.Tenant, j.FileName, string(content), string(change), string(dry), size, now, now+jobTTL.Milliseconds())
		return err
	})
}

// drop deletes the jobs of ids in one statement.
func drop(ctx context.Context, tx *store.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM console_uploads WHERE id IN (`+store.Placeholders(len(ids))+`)`, store.Args(ids)...)
	return err
}

// errGone is the answer for a job that is not (or no longer) the caller's.
var errGone = licet.Errorf(licet.ENotFound, "this uploaded list is no longer kept (lists are kept 30 minutes, for the session that uploaded them): upload the file again")

// Get returns the job of the session and tenant, extending its life; another session's job, an
// expired one and an unknown id are all ENotFound.
func (st *Store) Get(ctx context.Context, id, session, tenant string) (*listfile.Job, error) {
	if err := st.available(); err != nil {
		return nil, err
	}
	now := st.now().UnixMilli()
	var j *listfile.Job
	err := st.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		j, err = readJob(ctx, tx, id, now)
		if err != nil || j == nil {
			return err
		}
		if j.Session != session || j.Tenant != tenant {
			j = nil
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE console_uploads SET expires_at = ? WHERE id = ?`, now+jobTTL.Milliseconds(), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, errGone
	}
	return j, nil
}

// readJob reads an unexpired job with its list parsed; nil when there is none.
func readJob(ctx context.Context, tx *store.Tx, id string, now int64) (*listfile.Job, error) {
	j := &listfile.Job{ID: id}
	var content, change, dry string
	var applied sql.NullString
	var next, busyUntil int64
	err := tx.QueryRow(ctx, `SELECT session, tenant, file_name, content, change_json, dry_json, applied_json, next_entry, stopped, busy_until
		FROM console_uploads WHERE id = ? AND expires_at > ?`, id, now).
		Scan(&j.Session, &j.Tenant, &j.FileName, &content, &change, &dry, &applied, &next, &j.Stopped, &busyUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j.Next, j.Busy, j.Base = int(next), busyUntil > now, int64(len(content)+len(dry))
	if j.List, err = listfile.ParseList([]byte(content)); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(change), &j.Change); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(dry), &j.Dry); err != nil {
		return nil, err
	}
	if applied.Valid {
		if err := json.Unmarshal([]byte(applied.String), &j.Applied); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// StartApply starts the job's apply report unless it has started.
func (st *Store) StartApply(ctx context.Context, j *listfile.Job) error {
	rep, err := json.Marshal(listfile.NewReport(j.List, false))
	if err != nil {
		return err
	}
	return st.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET applied_json = ?, size = size + ? WHERE id = ? AND applied_json IS NULL`, string(rep), len(rep), j.ID)
		return err
	})
}

// Claim takes the lease of applying the chunk that starts at from: false when the job is at
// another position, or another request holds the lease.
func (st *Store) Claim(ctx context.Context, id string, from int) (bool, error) {
	now := st.now().UnixMilli()
	var n int64
	err := st.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `UPDATE console_uploads SET busy_until = ? WHERE id = ? AND next_entry = ? AND busy_until <= ? AND applied_json IS NOT NULL`,
			now+stepLease.Milliseconds(), id, from, now)
		return err
	})
	return n == 1, err
}

// FinishStep records a chunk's outcome and releases the lease: the apply report with the chunk's
// results and the new position, or why the apply stopped.
func (st *Store) FinishStep(ctx context.Context, j *listfile.Job) error {
	rep, err := json.Marshal(j.Applied)
	if err != nil {
		return err
	}
	return st.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET applied_json = ?, next_entry = ?, stopped = ?, busy_until = 0, size = ? WHERE id = ?`,
			string(rep), j.Next, j.Stopped, j.Base+int64(len(rep)), j.ID)
		return err
	})
}

// Release gives the lease back without recording anything (the chunk failed for a reason that
// may pass: it is applied again by the next step).
func (st *Store) Release(ctx context.Context, id string) error {
	return st.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET busy_until = 0 WHERE id = ?`, id)
		return err
	})
}
