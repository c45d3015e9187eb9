package console_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

var update = flag.Bool("update", false, "write the console's screenshots to docs/screenshots")

// TestScreenshots takes the main pages from the demo data, with a few days of changes, on a
// laptop and on a phone. With -update it writes them to docs/screenshots for the README;
// otherwise it checks that every page renders to an image.
func TestScreenshots(t *testing.T) {
	ctx := newTab(t)
	clk := newClock()
	clk.Set(time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC))
	s := servertest.Start(t, servertest.Options{Now: clk.Now})
	contoso := screenshotData(t, s, clk)
	dir := t.TempDir()
	if *update {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	shot := func(name string, width, height int64, path string, mobile bool) {
		t.Helper()
		var opts []chromedp.EmulateViewportOption
		if mobile {
			opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		run(t, ctx, "viewport for "+name, chromedp.EmulateViewport(width, height, opts...))
		if path != "" {
			run(t, ctx, "open "+path, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
		}
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(img))
		if err != nil || int64(cfg.Width) < width {
			t.Fatalf("screenshot %s: %v, width %d; want a PNG at least %d wide", name, err, cfg.Width, width)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("signin", 1280, 720, "/signin", false)
	browserSignIn(t, ctx, s, s.Token)
	shot("overview", 1280, 860, "/", false)
	run(t, ctx, "submit a tenant with a bad usage location",
		chromedp.Navigate(s.URL+"/tenants"),
		chromedp.Click(chromedp.CSS("details.create summary")),
		chromedp.SendKeys(chromedp.CSS("#f-slug"), "litware"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Litware, Inc."),
		chromedp.SendKeys(chromedp.CSS("#f-usageLocation"), "UK"),
		chromedp.Click(chromedp.CSS(`form[action="/tenants"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-usageLocation-err")),
	)
	shot("tenants", 1280, 860, "", false)
	shot("audit", 1280, 860, "/audit", false)
	shot("catalog", 1280, 860, "/catalog", false)
	run(t, ctx, "create a token",
		chromedp.Navigate(s.URL+"/tokens"),
		chromedp.Click(chromedp.CSS("details.create summary")),
		chromedp.WaitVisible(chromedp.CSS("#f-label")),
		chromedp.SendKeys(chromedp.CSS("#f-label"), "helpdesk laptop"),
		chromedp.Click(chromedp.CSS(`form[action="/tokens"][method="post"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#secret")),
	)
	shot("tokens", 1280, 860, "", false)
	shot("overview-phone", 390, 844, "/", true)
	shot("licenses", 1280, 860, "/tenants/contoso/licenses", false)
	shot("user", 1280, 860, "/tenants/contoso/users/"+adele, false)
	run(t, ctx, "assign a Calling Plan with no unit left",
		chromedp.Navigate(s.URL+"/tenants/contoso/users/johanna.lorenz@contoso.com"),
		chromedp.WaitVisible(chromedp.CSS("#f-sku")),
		chromedp.SetValue(chromedp.CSS("#f-sku"), "MCOPSTN1"),
		chromedp.Click(chromedp.CSS("#assign")),
		chromedp.WaitVisible(chromedp.CSS("#problem")),
	)
	shot("user-countviolation", 1280, 860, "", false)
	list := filepath.Join(t.TempDir(), "sales.txt")
	if err := os.WriteFile(list, []byte(bulkList), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "dry-run a bulk assignment",
		chromedp.Navigate(s.URL+"/tenants/contoso/bulk"),
		chromedp.WaitVisible(chromedp.CSS("#f-users")),
		chromedp.SetUploadFiles(chromedp.CSS("#f-users"), []string{list}),
		chromedp.Click(chromedp.CSS(`input[name="add"][value="MCOMEETADV"]`)),
		chromedp.Click(chromedp.CSS("#dry-run")),
		chromedp.WaitVisible(chromedp.CSS("#bulk-job")),
	)
	shot("bulk-dry-run", 1280, 860, "", false)
	shot("advisor", 1280, 860, "/advisor?plan=ENTERPRISEPACK&feature=pstn-calling-domestic&country=US", false)
	mak, host := demoKeys(t, s)
	shot("keys", 1280, 860, "/tenants/contoso/keys", false)
	shot("machines", 1280, 1100, "/tenants/contoso/machines", false)
	shot("key", 1280, 860, "/tenants/contoso/keys/"+itoa(host.ID), false)
	run(t, ctx, "answer a phone activation",
		chromedp.Navigate(s.URL+"/offline"),
		chromedp.WaitVisible(chromedp.CSS("#f-installationId")),
		chromedp.SendKeys(chromedp.CSS("#f-installationId"), installationID(t, mak.Key, "contoso-desktop-11", "isolated-lab-07")),
		chromedp.Click(chromedp.CSS("#get-cid")),
		chromedp.WaitVisible(chromedp.CSS("#confirmation-id")),
	)
	shot("offline-activation", 1280, 860, "", false)
	conferencingGroup(t, s)
	shot("group", 1280, 860, "/tenants/contoso/groups/Conferencing", false)

	tenant := newTab(t)
	ctx = tenant
	browserSignIn(t, ctx, s, contoso.Secret)
	shot("tenant-overview", 1280, 860, "/", false)
}

// screenshotData adds tenants and tokens over two weeks, so that the overview has something to
// show; it returns contoso's admin token.
func screenshotData(t *testing.T, s *servertest.Server, clk *servertest.Clock) *licet.Token {
	t.Helper()
	ctx := context.Background()
	day := func(d, hour int) { clk.Set(time.Date(2026, 11, d, hour, 15, 0, 0, time.UTC)) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	token := func(tk licet.Token) *licet.Token {
		t.Helper()
		out, err := s.Operator.CreateToken(ctx, tk)
		must(err)
		return out
	}
	volumeHistory(t, s, clk)
	day(10, 9)
	_, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam, Inc.", UsageLocation: "FR"})
	must(err)
	contoso := token(licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "Contoso IT"})
	token(licet.Token{Role: licet.RoleTenant, Tenant: "fabrikam", Label: "Fabrikam IT"})
	day(12, 14)
	_, err = s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "northwind", Name: "Northwind Traders", OrgType: "nonprofit", UsageLocation: "GB"})
	must(err)
	old := token(licet.Token{Role: licet.RoleTenant, Tenant: "northwind", Label: "migration script"})
	day(15, 11)
	token(licet.Token{Role: licet.RolePartner, Partner: "Adatum Reseller", Label: "order intake"})
	_, err = s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "woodgrove", Name: "Woodgrove Bank", OrgType: "commercial", UsageLocation: "US"})
	must(err)
	day(18, 16)
	token(licet.Token{Role: licet.RoleTenant, Tenant: "woodgrove", Label: "Woodgrove IT"})
	token(licet.Token{Role: licet.RoleTenant, Tenant: "northwind", Label: "Northwind IT"})
	must(s.Operator.RevokeToken(ctx, old.ID))
	day(20, 10)
	_, err = s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "tailspin", Name: "Tailspin Toys", OrgType: "edu", UsageLocation: "DE"})
	must(err)
	token(licet.Token{Role: licet.RoleTenant, Tenant: "tailspin", Label: "Tailspin IT"})
	day(22, 8)
	token(licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "backup job"})
	token(licet.Token{Role: licet.RoleOperator, Label: "second operator"})
	day(22, 9)
	lastCallingPlan(t, s)
	clk.Set(time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC))
	return contoso
}

// volumeHistory activates two KMS hosts with contoso's kms-host key on the first day (audited, so
// before the other changes) and machines with its MAK over two weeks (not audited), so that the
// key panels and the activations chart have something to show.
func volumeHistory(t *testing.T, s *servertest.Server, clk *servertest.Clock) {
	t.Helper()
	mak, host := demoKeys(t, s)
	clk.Set(time.Date(2026, 11, 9, 11, 0, 0, 0, time.UTC))
	activateHost(t, s, host.Key, "kms01.contoso.local")
	clk.Set(time.Date(2026, 11, 9, 15, 0, 0, 0, time.UTC))
	activateHost(t, s, host.Key, "kms02.contoso.local")
	n := 0
	for _, day := range [][2]int{{10, 2}, {11, 4}, {13, 3}, {14, 6}, {16, 5}, {17, 2}, {18, 7}, {20, 4}, {21, 3}, {22, 1}} {
		d := day[0]
		for range day[1] {
			n++
			clk.Set(time.Date(2026, 11, d, 9+n%8, 5, 0, 0, time.UTC))
			_, err := s.Operator.Activate(context.Background(), licet.ActivationRequest{Key: mak.Key, Product: "contoso-desktop-11",
				Machine: licet.Machine{ID: fmt.Sprintf("contoso-pc-%03d", n), Hostname: fmt.Sprintf("CONTOSO-PC%03d", n), Virtual: n%5 == 0}})
			mustOK(t, err)
		}
		fleetDay(t, s, clk, d)
	}
}

// fleetDay adds the day's agent reports of machines not activated yet (servers in their initial
// grace, one laptop that ran out of it) and records the day's counts for the Machines chart.
func fleetDay(t *testing.T, s *servertest.Server, clk *servertest.Clock, d int) {
	t.Helper()
	now := clk.Now()
	var ms []licet.ReportedMachine
	if d%3 == 1 {
		ends := now.Add(30 * 24 * time.Hour)
		ms = append(ms, licet.ReportedMachine{MachineID: fmt.Sprintf("contoso-srv-%02d", d), Hostname: fmt.Sprintf("CONTOSO-SRV%02d", d),
			Product: "contoso-server-2026", State: licet.StateInitialGrace, StateUntil: &ends, LastSeen: now})
	}
	if d == 18 {
		ms = append(ms, licet.ReportedMachine{MachineID: "contoso-lt-old", Hostname: "CONTOSO-LT-OLD", Product: "contoso-desktop-11", State: licet.StateNotification, LastSeen: now})
	}
	if len(ms) > 0 {
		_, err := s.Operator.ReportMachines(context.Background(), licet.MachineReport{Tenant: "contoso", Machines: ms})
		mustOK(t, err)
	}
	mustOK(t, s.App.Fleet.Snapshot(context.Background()))
}

// conferencingGroup gives contoso a group whose SKUs one member cannot get (no Audio
// Conferencing unit left), for the group page's members in error.
func conferencingGroup(t *testing.T, s *servertest.Server) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Operator.CreateGroup(ctx, "contoso", licet.Group{Name: "Conferencing", Description: "people who run dial-in meetings"})
	mustOK(t, err)
	_, err = s.Operator.AddMembers(ctx, "contoso", "Conferencing", []string{adele, "alex.wilber@contoso.com", "diego.siciliani@contoso.com",
		"grady.archie@contoso.com", "megan.bowen@contoso.com", "miriam.graham@contoso.com"})
	mustOK(t, err)
	_, err = s.Operator.AssignGroupLicense(ctx, "contoso", "Conferencing", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOMEETADV"}}})
	mustOK(t, err)
}
