package server

import (
	"context"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Demo fills an empty installation with the demo tenant contoso and its data, so that the CLI and
// the console show something real on first run. It does nothing when contoso exists already.
func Demo(ctx context.Context, db *store.DB, now func() time.Time) error {
	tenants := &tenancy.Service{DB: db, Now: now}
	if _, err := tenants.Tenant(ctx, "contoso"); err == nil {
		return nil
	} else if licet.ErrorCode(err) != licet.ENotFound {
		return err
	}
	_, err := tenants.CreateTenant(ctx, licet.Tenant{
		Slug: "contoso", Name: "Contoso Ltd.", OrgType: "commercial", Cloud: "global", UsageLocation: "US",
	})
	return err
}
