// Package events lists the events of the outbox (internal/outbox) for the API, the command line
// and the console.
package events

import (
	"context"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Service lists events (licet.EventService).
type Service struct {
	DB *store.DB
}

var _ licet.EventService = (*Service)(nil)

// Events implements licet.EventService.
func (s *Service) Events(ctx context.Context, f licet.EventFilter) ([]licet.Event, error) {
	actor := licet.ActorFrom(ctx)
	if !actor.IsOperator() && actor.Role != licet.RoleTenant {
		return nil, licet.Errorf(licet.EForbidden, "only the operator and tenant admins may read events")
	}
	var err error
	if f.Limit, err = licet.PageLimit(f.Limit, licet.DefaultEventLimit, licet.MaxEventLimit); err != nil {
		return nil, err
	}
	var out []licet.Event
	err = s.DB.Read(ctx, func(tx *store.Tx) error {
		q := `SELECT ` + outbox.Columns + ` FROM events e LEFT JOIN tenants t ON t.id = e.tenant_id WHERE 1=1`
		var args []any
		tenantID, every, err := tenancy.Scope(ctx, tx, f.Tenant)
		if err != nil {
			return err
		}
		if !every {
			q += ` AND e.tenant_id = ?`
			args = append(args, tenantID)
		}
		if f.Type != "" {
			q += ` AND e.type = ?`
			args = append(args, f.Type)
		}
		q += ` ORDER BY e.id DESC LIMIT ?`
		out, err = store.Collect(ctx, tx, outbox.ScanEvent, q, append(args, f.Limit)...)
		return err
	})
	return out, err
}
