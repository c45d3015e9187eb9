package server

import (
	"context"
	"strings"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
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

// demoVolume adds contoso's volume licensing: product groups, one product of each kind with its
// GVLK, an Open License agreement for 25 licenses, a MAK (limit 50, the default of that
// agreement) and a KMS host key. It does nothing when the agreement exists already.
func demoVolume(ctx context.Context, svc *activation.Service) error {
	const agreement = "CONTOSO-OL-0001"
	if _, err := svc.Agreement(ctx, agreement); err == nil {
		return nil
	} else if licet.ErrorCode(err) != licet.ENotFound {
		return err
	}
	for _, g := range []licet.ProductGroup{
		{ID: 110, Slug: "desktop-10", Name: "Contoso Desktop 10"},
		{ID: 111, Slug: "desktop-11", Name: "Contoso Desktop 11", Covers: []uint16{110}},
		{ID: 201, Slug: "server-2026", Name: "Contoso Server 2026", Covers: []uint16{111}},
		{ID: 301, Slug: "studio-2026", Name: "Contoso Studio 2026"},
	} {
		if _, err := svc.CreateProductGroup(ctx, g); err != nil && licet.ErrorCode(err) != licet.EConflict {
			return err
		}
	}
	for _, p := range []licet.Product{
		{Slug: "contoso-desktop-11", Name: "Contoso Desktop 11 Pro", Version: "11", Kind: "client", Group: 111},
		{Slug: "contoso-server-2026", Name: "Contoso Server 2026 Standard", Version: "2026", Kind: "server", Group: 201},
		{Slug: "contoso-studio-2026", Name: "Contoso Studio 2026", Version: "2026", Kind: "application", Group: 301},
	} {
		if _, err := svc.CreateProduct(ctx, p); err != nil && licet.ErrorCode(err) != licet.EConflict {
			return err
		}
	}
	if _, err := svc.CreateAgreement(ctx, licet.Agreement{Tenant: "contoso", LicensingID: agreement, Program: "open-license", Quantity: 25}); err != nil {
		return err
	}
	for _, k := range []licet.KeyRequest{
		{Agreement: agreement, Group: "desktop-11", Type: "mak"},
		{Agreement: agreement, Group: "server-2026", Type: "kms-host"},
	} {
		if _, err := svc.IssueKey(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// demoAllowed refuses --demo on a database that holds a tenant other than the demo's: the demo
// data goes only into an empty installation or one that holds nothing but the demo.
func demoAllowed(ctx context.Context, db *store.DB) error {
	var others []string
	if err := db.Read(ctx, func(tx *store.Tx) error {
		var err error
		others, err = store.Collect(ctx, tx, func(r store.Scanner) (string, error) {
			var s string
			return s, r.Scan(&s)
		}, `SELECT slug FROM tenants WHERE slug <> 'contoso' ORDER BY slug LIMIT 6`)
		return err
	}); err != nil {
		return err
	}
	if len(others) == 0 {
		return nil
	}
	names := strings.Join(others[:min(len(others), 5)], ", ")
	if len(others) > 5 {
		names += ", …"
	}
	return licet.Errorf(licet.EInvalid, "--demo adds the demo tenant contoso and its data, which it does only on an empty database or one holding just the demo, but %s holds other tenants (%s): start without --demo, or give --db a new database to try the demo", db.Source, names)
}
