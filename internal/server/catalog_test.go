package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/catalogstore/catalogtest"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/server"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/tenancy"
)

// repriced is the default catalog with ENTERPRISEPACK at 23.00 USD instead of 20.00.
func repriced(t *testing.T) []byte {
	return catalogtest.Edit(t, catalogs.M365Teams(), catalogtest.SetPrice("ENTERPRISEPACK", 2300))
}

// withoutE3 is the default catalog with ENTERPRISEPACK renamed, so that the SKU is gone.
func withoutE3(t *testing.T) []byte {
	return catalogtest.Edit(t, catalogs.M365Teams(), catalogtest.RenameSKU("ENTERPRISEPACK", "ENTERPRISEPACKV2"))
}

func served(t *testing.T, s *servertest.Server) httpapi.CatalogVersionBody {
	t.Helper()
	var v httpapi.CatalogVersionBody
	if err := s.Operator.Do(context.Background(), "GET", "/v1/catalog/versions/current", nil, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// eventually waits, up to the deadline, until cond holds; it checks every few milliseconds.
func eventually(t *testing.T, deadline time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > deadline {
			t.Fatalf("%s: not within %s", what, deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestCatalogVersionsAcrossReplicas: two servers on one database. A catalog applied through one
// is served by the other within 5 seconds, without a restart; the diff names the price; a version
// that drops an assigned SKU is refused with the number of users and nothing changes.
func TestCatalogVersionsAcrossReplicas(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dir, dsn string) {
		a := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir, CatalogPoll: 50 * time.Millisecond})
		b := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir, CatalogPoll: 50 * time.Millisecond})
		ctx := context.Background()
		if va, vb := served(t, a), served(t, b); va.Version != 1 || vb.Version != 1 || !va.Current || va.Hash != catalogstore.Hash(catalogs.M365Teams()) {
			t.Fatalf("at start: A serves %d, B serves %d (hash %s), want the default catalog as version 1", va.Version, vb.Version, va.Hash)
		}

		var applied httpapi.CatalogApplied
		if err := a.Operator.Do(ctx, "POST", "/v1/catalog/versions", licet.CatalogUpload{FileName: "m365-teams.yaml", Content: string(repriced(t))}, &applied); err != nil {
			t.Fatal(err)
		}
		if !applied.Applied || applied.Version != 2 {
			t.Fatalf("apply: %+v, want version 2 applied", applied)
		}
		if v := served(t, a); v.Version != 2 {
			t.Errorf("A serves version %d right after applying, want 2", v.Version)
		}
		took := eventually(t, 5*time.Second, "B serves version 2", func() bool { return served(t, b).Version == 2 })
		t.Logf("B served version 2 after %s", took)
		var view catalog.View
		if err := b.Operator.Do(ctx, "GET", "/v1/catalog", nil, &view); err != nil {
			t.Fatal(err)
		}
		for _, s := range view.SKUs {
			if s.Part == "ENTERPRISEPACK" && (s.Price == nil || s.Price.Amount != 2300) {
				t.Errorf("B's catalog prices ENTERPRISEPACK at %+v, want 2300", s.Price)
			}
		}
		var d catalogstore.Diff
		if err := b.Operator.Do(ctx, "GET", "/v1/catalog/diff?from=1&to=2", nil, &d); err != nil {
			t.Fatal(err)
		}
		want := catalogstore.Change{Area: "sku", ID: "ENTERPRISEPACK", Change: "changed", Field: "price", Before: "20.00 USD", After: "23.00 USD"}
		if len(d.Changes) != 1 || d.Changes[0] != want {
			t.Errorf("diff 1 2: %+v, want only %+v", d.Changes, want)
		}

		// The demo tenant holds ENTERPRISEPACK: a version without it is refused.
		skus, err := a.Operator.SubscribedSKUs(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		users := 0
		for _, s := range skus {
			if s.SKU == "ENTERPRISEPACK" {
				users = s.Consumed
			}
		}
		if users == 0 {
			t.Fatal("the demo assigns no ENTERPRISEPACK")
		}
		err = b.Operator.Do(ctx, "POST", "/v1/catalog/versions", licet.CatalogUpload{FileName: "no-e3.yaml", Content: string(withoutE3(t))}, &applied)
		if licet.ErrorCode(err) != licet.CodeCatalogInUse || !strings.Contains(err.Error(), fmt.Sprintf("SKU ENTERPRISEPACK: bought in 1 subscription(s) of 1 tenant(s), assigned to %d user(s)", users)) {
			t.Errorf("a version without ENTERPRISEPACK: %v, want CatalogInUse naming %d users", err, users)
		}
		var hist struct{ Versions []licet.CatalogVersion }
		if err := b.Operator.Do(ctx, "GET", "/v1/catalog/versions", nil, &hist); err != nil {
			t.Fatal(err)
		}
		if len(hist.Versions) != 2 || hist.Versions[0].Version != 2 || hist.Versions[0].CreatedBy == "" {
			t.Errorf("history after the refusal: %+v, want versions 2 and 1", hist.Versions)
		}
	})
}

// TestCatalogSurvivesRestart: a database remembers its catalog version; restarting without flags
// serves it; --catalog with the same file stores nothing, with another file a new version.
func TestCatalogSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := server.Config{DB: filepath.Join(dir, "licet.db"), DataDir: dir}
	ctx := context.Background()
	open := func(cfg server.Config) *server.App {
		t.Helper()
		app, err := server.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Stop(); app.Close() })
		return app
	}
	stop := func(app *server.App) { app.Stop(); app.Close() }
	app := open(cfg)
	op := licet.WithActor(ctx, licet.Actor{Role: licet.RoleOperator})
	if _, _, err := app.Catalogs.ApplyCatalog(op, licet.CatalogUpload{FileName: "v2.yaml", Content: string(repriced(t))}); err != nil {
		t.Fatal(err)
	}
	stop(app)

	app = open(cfg)
	if cur := app.Catalog.Current(); cur == nil || cur.Version.Version != 2 {
		t.Fatalf("after a restart without flags: serving %+v, want version 2", cur)
	}
	if sku, ok := app.Catalog.Catalog().SKU("ENTERPRISEPACK"); !ok || sku.Price.Amount != 2300 {
		t.Errorf("after a restart: ENTERPRISEPACK %+v", sku)
	}
	stop(app)

	file := filepath.Join(dir, "v2.yaml")
	mustWrite(t, file, repriced(t))
	withFile := cfg
	withFile.CatalogFile = file
	app = open(withFile)
	if cur := app.Catalog.Current(); cur.Version.Version != 2 {
		t.Errorf("--catalog with the newest version's content: serving %d, want 2 (nothing new)", cur.Version.Version)
	}
	stop(app)

	mustWrite(t, file, catalogs.M365Teams())
	app = open(withFile)
	if cur := app.Catalog.Current(); cur.Version.Version != 3 || cur.Version.CreatedBy != "system" {
		t.Errorf("--catalog with another content: serving %+v, want version 3 applied by the system", cur.Version)
	}
}

// TestDemoOnlyOnEmptyOrDemoDatabase: --demo seeds a new database and starts again on it, but
// refuses a database holding another tenant, naming it.
func TestDemoOnlyOnEmptyOrDemoDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := server.Config{DB: filepath.Join(dir, "licet.db"), DataDir: dir, Demo: true}
	ctx := context.Background()
	for range 2 {
		app, err := server.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("--demo on a new or demo-only database: %v", err)
		}
		app.Stop()
		app.Close()
	}
	plain := cfg
	plain.Demo = false
	app, err := server.Open(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	tenants := &tenancy.Service{DB: app.DB, Now: time.Now}
	if _, err := tenants.CreateTenant(licet.WithActor(ctx, licet.System), licet.Tenant{Slug: "fabrikam", Name: "Fabrikam", OrgType: "commercial", Cloud: "global", UsageLocation: "US"}); err != nil {
		t.Fatal(err)
	}
	app.Stop()
	app.Close()
	_, err = server.Open(ctx, cfg)
	if licet.ErrorCode(err) != licet.EInvalid || !strings.Contains(err.Error(), "holds other tenants (fabrikam)") || !strings.Contains(err.Error(), "start without --demo") {
		t.Fatalf("--demo on a database with fabrikam: %v", err)
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogRoutesRefuse: a tenant admin reads the versions but may not apply one; bad version
// numbers and a diff without its versions are invalid; an unknown version is not found.
func TestCatalogRoutesRefuse(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "contoso"})
	if err != nil {
		t.Fatal(err)
	}
	admin := client.New(s.URL, tok.Secret)
	var hist struct{ Versions []licet.CatalogVersion }
	if err := admin.Do(ctx, "GET", "/v1/catalog/versions", nil, &hist); err != nil || len(hist.Versions) != 1 {
		t.Errorf("a tenant admin reading the history: %v, %d versions", err, len(hist.Versions))
	}
	tests := []struct {
		name         string
		c            *client.Client
		method, path string
		body         any
		want         string
	}{
		{"tenant admin applies", admin, "POST", "/v1/catalog/versions", licet.CatalogUpload{Content: string(repriced(t))}, licet.EForbidden},
		{"not a catalog", s.Operator, "POST", "/v1/catalog/versions", licet.CatalogUpload{FileName: "x.yaml", Content: "name: ["}, licet.EInvalid},
		{"empty body", s.Operator, "POST", "/v1/catalog/versions", nil, licet.EInvalid},
		{"version zero", s.Operator, "GET", "/v1/catalog/versions/0", nil, licet.EInvalid},
		{"version word", s.Operator, "GET", "/v1/catalog/versions/latest", nil, licet.EInvalid},
		{"unknown version", s.Operator, "GET", "/v1/catalog/versions/9", nil, licet.ENotFound},
		{"diff without to", s.Operator, "GET", "/v1/catalog/diff?from=1", nil, licet.EInvalid},
		{"diff to an unknown version", s.Operator, "GET", "/v1/catalog/diff?from=1&to=9", nil, licet.ENotFound},
	}
	for _, tt := range tests {
		err := tt.c.Do(ctx, tt.method, tt.path, tt.body, &struct{}{})
		if licet.ErrorCode(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	if err := admin.Do(ctx, "GET", "/v1/catalog/versions", nil, &hist); err != nil || len(hist.Versions) != 1 {
		t.Errorf("after the refusals: %v, %d versions, want 1", err, len(hist.Versions))
	}
}
