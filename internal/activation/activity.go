package activation

import (
	"context"
	"fmt"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
)

var _ licet.KeyActivityService = (*Service)(nil)

// KeyActivations lists the machines a key activated; a kms-host key's are the hosts and
// directories it activated (table kms_hosts).
func (s *Service) KeyActivations(ctx context.Context, keyID int64, limit int) ([]licet.KeyActivation, int, error) {
	limit, err := licet.PageLimit(limit, licet.DefaultActivationsLimit, licet.MaxActivationsLimit)
	if err != nil {
		return nil, 0, err
	}
	var out []licet.KeyActivation
	total := 0
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		k, err := readKey(ctx, tx, "k.id = ?", keyID, fmt.Sprint(keyID))
		if err != nil {
			return err
		}
		table, list := `activations a`, `SELECT a.machine_id, a.hostname, p.slug, a.method, a.virtual, a.created_at, a.last_seen_at, ''
			FROM activations a JOIN products p ON p.id = a.product_id WHERE a.key_id = ? ORDER BY a.created_at DESC, a.id DESC LIMIT ?`
		if k.Type == string(keys.KMSHost) {
			table, list = `kms_hosts a`, `SELECT a.host_id, CASE WHEN a.kind = 'directory' THEN a.directory ELSE a.hostname END, '', a.method, 0, a.created_at, a.last_activated_at, a.kind
			FROM kms_hosts a WHERE a.key_id = ? ORDER BY a.created_at DESC, a.id DESC LIMIT ?`
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE a.key_id = ?`, keyID).Scan(&total); err != nil {
			return err
		}
		out, err = store.Collect(ctx, tx, scanKeyActivation, list, keyID, limit)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func scanKeyActivation(r store.Scanner) (licet.KeyActivation, error) {
	var a licet.KeyActivation
	var virtual, created, seen int64
	err := r.Scan(&a.Machine, &a.Hostname, &a.Product, &a.Method, &virtual, &created, &seen, &a.Kind)
	a.Virtual, a.ActivatedAt, a.LastSeenAt = virtual != 0, store.Time(created), store.Time(seen)
	return a, err
}

// dayMillis is one day in milliseconds.
const dayMillis = int64(24 * time.Hour / time.Millisecond)

// ActivationsPerDay counts first activations per UTC day, for the overview's chart.
func (s *Service) ActivationsPerDay(ctx context.Context, tenant string, since time.Time) ([]licet.DayCount, error) {
	var out []licet.DayCount
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		where, args, err := tenantFilter(ctx, tx, tenant, "k")
		if err != nil {
			return err
		}
		if where == "" {
			where = " WHERE 1 = 1"
		}
		args = append(args, store.Millis(since))
		out, err = store.Collect(ctx, tx, func(r store.Scanner) (licet.DayCount, error) {
			var d licet.DayCount
			var day int64
			err := r.Scan(&day, &d.Count)
			d.Day = store.Time(day * dayMillis).UTC()
			return d, err
		}, `SELECT a.created_at / `+fmt.Sprint(dayMillis)+` AS day, COUNT(*) FROM activations a JOIN product_keys k ON k.id = a.key_id`+where+
			` AND a.created_at >= ? GROUP BY a.created_at / `+fmt.Sprint(dayMillis)+` ORDER BY day`, args...)
		return err
	})
	return out, err
}
