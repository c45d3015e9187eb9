// Package uploaddb keeps the console's uploaded lists (uploads.Store) in the database, table
// console_uploads, so that every replica sees them.
package uploaddb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/uploads"
)

// Store is uploads.Store on the database.
type Store struct {
	DB  *store.DB
	Now func() time.Time
}

var _ uploads.Store = (*Store)(nil)

func (s *Store) now() int64 { return s.Now().UnixMilli() }

// Put stores a new upload (see uploads.Store).
func (s *Store) Put(ctx context.Context, u *uploads.Upload) error {
	var b [18]byte
	_, _ = rand.Read(b[:])
	u.ID = base64.RawURLEncoding.EncodeToString(b[:])
	size := int64(len(u.Content) + len(u.DryRun))
	now := s.now()
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_uploads WHERE expires_at <= ?`, now); err != nil {
			return err
		}
		mine, err := store.Collect(ctx, tx, func(r store.Scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT id FROM console_uploads WHERE session = ? ORDER BY created_at DESC, id`, u.Session)
		if err != nil {
			return err
		}
		if len(mine) >= uploads.MaxPerSession {
			drop := mine[uploads.MaxPerSession-1:]
			if _, err := tx.Exec(ctx, `DELETE FROM console_uploads WHERE id IN (`+store.Placeholders(len(drop))+`)`, store.Args(drop)...); err != nil {
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
		for _, x := range rows {
			if kept+1 >= uploads.MaxUploads || bytes+x.size > uploads.MaxStoredBytes {
				if _, err := tx.Exec(ctx, `DELETE FROM console_uploads WHERE id = ?`, x.id); err != nil {
					return err
				}
				continue
			}
			kept++
			bytes += x.size
		}
		_, err = tx.Exec(ctx, `INSERT INTO console_uploads (id, session, tenant, file_name, content, change_json, dry_json, size, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Session, u.Tenant, u.FileName, string(u.Content), string(u.Change), string(u.DryRun), size, now, now+uploads.TTL.Milliseconds())
		return err
	})
}

// Get returns the session's upload and extends its life (see uploads.Store).
func (s *Store) Get(ctx context.Context, id, session, tenant string) (*uploads.Upload, error) {
	now := s.now()
	var out *uploads.Upload
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		u := &uploads.Upload{ID: id}
		var content, change, dry string
		var applied sql.NullString
		var next, busyUntil int64
		err := tx.QueryRow(ctx, `SELECT session, tenant, file_name, content, change_json, dry_json, applied_json, next_entry, stopped, busy_until
			FROM console_uploads WHERE id = ? AND expires_at > ?`, id, now).
			Scan(&u.Session, &u.Tenant, &u.FileName, &content, &change, &dry, &applied, &next, &u.Stopped, &busyUntil)
		if errors.Is(err, sql.ErrNoRows) {
			out = nil
			return nil
		}
		if err != nil {
			return err
		}
		if u.Session != session || u.Tenant != tenant {
			out = nil
			return nil
		}
		u.Content, u.Change, u.DryRun = []byte(content), []byte(change), []byte(dry)
		if applied.Valid {
			u.Applied = []byte(applied.String)
		}
		u.Next, u.Busy = int(next), busyUntil > now
		out = u
		_, err = tx.Exec(ctx, `UPDATE console_uploads SET expires_at = ? WHERE id = ?`, now+uploads.TTL.Milliseconds(), id)
		return err
	})
	return out, err
}

// StartApply sets the apply's first report (see uploads.Store).
func (s *Store) StartApply(ctx context.Context, id string, report []byte) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET applied_json = ?, size = size + ? WHERE id = ? AND applied_json IS NULL`, string(report), len(report), id)
		return err
	})
}

// Claim takes the step lease (see uploads.Store).
func (s *Store) Claim(ctx context.Context, id string, from int) (bool, error) {
	now := s.now()
	var n int64
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.Exec(ctx, `UPDATE console_uploads SET busy_until = ? WHERE id = ? AND next_entry = ? AND busy_until <= ? AND applied_json IS NOT NULL`,
			now+uploads.StepLease.Milliseconds(), id, from, now)
		return err
	})
	return n == 1, err
}

// Finish records a chunk's outcome and releases the lease (see uploads.Store).
func (s *Store) Finish(ctx context.Context, id string, applied []byte, next int, stopped string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET applied_json = ?, next_entry = ?, stopped = ?, busy_until = 0,
			size = LENGTH(content) + LENGTH(dry_json) + ? WHERE id = ?`, string(applied), next, stopped, len(applied), id)
		return err
	})
}

// Release gives the lease back (see uploads.Store).
func (s *Store) Release(ctx context.Context, id string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE console_uploads SET busy_until = 0 WHERE id = ?`, id)
		return err
	})
}
