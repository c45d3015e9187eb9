// Package audit writes and reads the audit log: one row for every change, written in the
// transaction of the change, so that a change without its audit row cannot exist.
package audit

import (
	"context"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
)

// Record is one change to write.
type Record struct {
	TenantID int64  // 0 when the change concerns no tenant
	Action   string // e.g. "tenant.create", "key.extend"
	Object   string // e.g. "tenant:contoso", "key:42"
	Before   string
	After    string
	Details  string
}

// Write adds the record to the log inside tx, naming the actor of ctx and the time now.
func Write(ctx context.Context, tx *store.Tx, now int64, r Record) error {
	var tenant any
	if r.TenantID != 0 {
		tenant = r.TenantID
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit (at, actor, tenant_id, action, object, before, after, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		now, licet.ActorFrom(ctx).String(), tenant, r.Action, r.Object, r.Before, r.After, r.Details)
	return err
}

// Service reads the log (licet.AuditService).
type Service struct {
	DB *store.DB
}

var _ licet.AuditService = (*Service)(nil)

// Audit lists entries newest first; a tenant admin sees only its tenant's entries.
func (s *Service) Audit(ctx context.Context, f licet.AuditFilter) ([]licet.AuditEntry, error) {
	actor := licet.ActorFrom(ctx)
	if !actor.IsOperator() && actor.Role != licet.RoleTenant {
		return nil, licet.Errorf(licet.EForbidden, "only the operator and tenant admins may read the audit log")
	}
	var err error
	if f.Limit, err = licet.PageLimit(f.Limit, licet.DefaultAuditLimit, licet.MaxAuditLimit); err != nil {
		return nil, err
	}
	q := `SELECT a.id, a.at, a.actor, COALESCE(t.slug, ''), a.action, a.object, a.before, a.after, a.details
	      FROM audit a LEFT JOIN tenants t ON t.id = a.tenant_id WHERE 1=1`
	var args []any
	if actor.Role == licet.RoleTenant {
		q += ` AND a.tenant_id = ?`
		args = append(args, actor.TenantID)
	}
	if f.Tenant != "" {
		q += ` AND t.slug = ?`
		args = append(args, f.Tenant)
	}
	if f.Action != "" {
		q += ` AND a.action LIKE ? ESCAPE '!'`
		args = append(args, store.LikeEscape(f.Action)+"%")
	}
	if f.Before > 0 {
		q += ` AND a.id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY a.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []licet.AuditEntry
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.Collect(ctx, tx, func(r store.Scanner) (licet.AuditEntry, error) {
			var e licet.AuditEntry
			var at int64
			err := r.Scan(&e.ID, &at, &e.Actor, &e.Tenant, &e.Action, &e.Object, &e.Before, &e.After, &e.Details)
			e.At = store.Time(at)
			return e, err
		}, q, args...)
		return err
	})
	return out, err
}
