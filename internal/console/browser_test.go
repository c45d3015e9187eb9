package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licet/licet/internal/server/servertest"
)

// One headless Chromium serves every browser test of the package; each test gets its own browser
// context (its own cookies) and a bounded time.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// chromePath finds Chromium: CHROME_PATH, else Debian's /usr/bin/chromium.
func chromePath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// browserTimeout bounds each browser test.
const browserTimeout = 45 * time.Second

// newTab returns a tab in a fresh browser context. Without a browser the test is skipped, or
// fails under CI=true, where .ci/run installs Chromium.
func newTab(t *testing.T) context.Context {
	t.Helper()
	path := chromePath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium at /usr/bin/chromium and CHROME_PATH is unset: CI must run the browser tests (.ci/run installs the chromium package)")
		}
		t.Skip("browser tests skipped: no Chromium at /usr/bin/chromium and CHROME_PATH is unset (install it with apt-get install chromium)")
	}
	browser.once.Do(func() {
		browser.dir, browser.err = os.MkdirTemp("", "licet-chromium-")
		if browser.err != nil {
			return
		}
		alloc, _ := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.UserDataDir(browser.dir),
			chromedp.WindowSize(1280, 860),
		)
		browser.ctx, browser.cancel = chromedp.NewContext(alloc)
		// The browser lives as long as the context of its first run: this one, not a child
		// with a timeout. A browser that cannot start makes this run fail, not hang.
		browser.err = chromedp.Do(browser.ctx)
	})
	if browser.err != nil {
		t.Fatalf("start Chromium %s: %v", path, browser.err)
	}
	tab, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	return ctx
}

// run runs browser steps, failing the test with the page's text on error.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// text returns the visible text of the first element matching a CSS selector. It reads the
// text in one script rather than through a node id, so an htmx swap that replaces the element
// between the lookup and the read cannot fail it.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	query, _ := json.Marshal(css)
	s, err := chromedp.Run(ctx, chromedp.Evaluate[*string](fmt.Sprintf(`(e => e ? e.innerText : null)(document.querySelector(%s))`, query)))
	if err != nil || s == nil {
		t.Fatalf("text of %s: %v (no such element)", css, err)
	}
	return *s
}

// browserSignIn opens the console, which sends the browser to the sign-in page, and signs in.
func browserSignIn(t *testing.T, ctx context.Context, s *servertest.Server, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)),
	)
}

func wantText(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("page lacks %q; text:\n%s", w, got)
		}
	}
}

func TestBrowserSignInOverviewSignOut(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	browserSignIn(t, ctx, s, s.Token)
	wantText(t, text(t, ctx, "main"), "Overview", "Tenants", "Contoso Ltd.", "Changes per day", "Recent changes", "Full audit log")
	if cur := text(t, ctx, `nav a[aria-current="page"]`); cur != "Overview" {
		t.Errorf("current navigation entry %q, want Overview", cur)
	}
	// Navigation through htmx (hx-boost) keeps the session and swaps the page.
	run(t, ctx, "open the catalog",
		chromedp.Click(chromedp.CSS(`nav a[href="/catalog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("main h1").textContent === "Catalog"`),
	)
	wantText(t, text(t, ctx, "main"), "ENTERPRISEPACK", "MCOEV")
	run(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#token")),
	)
	wantText(t, text(t, ctx, "main"), "You are signed out.")
	run(t, ctx, "open the overview again",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
	)
}

func TestBrowserWrongToken(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	run(t, ctx, "sign in with a wrong token",
		chromedp.Navigate(s.URL+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), "licet_notarealtoken"),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
	)
	wantText(t, text(t, ctx, "#signin-error"), "That token is unknown or revoked")
	if inv, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#token"), "aria-invalid")); inv.Value != "true" {
		t.Errorf("the token field is not marked aria-invalid")
	}
}

func TestBrowserTenantAdminCannotOpenOtherTenants(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	contoso, _ := fabrikam(t, s)
	browserSignIn(t, ctx, s, contoso.Secret)
	main := text(t, ctx, "main")
	wantText(t, main, "Contoso Ltd.", "Active tokens")
	if strings.Contains(main, "Fabrikam") {
		t.Errorf("contoso's overview shows fabrikam:\n%s", main)
	}
	nav := text(t, ctx, `nav[aria-label="Main"]`)
	if strings.Contains(nav, "Tenants") {
		t.Errorf("a tenant admin's navigation offers the tenant list: %q", nav)
	}
	for _, path := range []string{"/tenants/fabrikam", "/tenants", "/audit?tenant=fabrikam", "/tokens?tenant=fabrikam"} {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.URL+path))
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		if resp.Status != 404 {
			t.Errorf("%s: status %d, want 404", path, resp.Status)
		}
		wantText(t, text(t, ctx, "main h1"), "Not found")
	}
}

// TestBrowserCreateTenant: the form shows its error beside the field (an htmx swap of a 400
// answer), then creates the tenant and lands on its page.
func TestBrowserCreateTenant(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	browserSignIn(t, ctx, s, s.Token)
	run(t, ctx, "submit a bad slug",
		chromedp.Navigate(s.URL+"/tenants"),
		chromedp.Click(chromedp.CSS("details.create summary")),
		chromedp.WaitVisible(chromedp.CSS("#f-slug")),
		chromedp.SendKeys(chromedp.CSS("#f-slug"), "Not A Slug"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Northwind Traders"),
		chromedp.Click(chromedp.CSS(`form[action="/tenants"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-slug-err")),
	)
	wantText(t, text(t, ctx, "#f-slug-err"), "lowercase letters, digits and dashes")
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-name"))); v != "Northwind Traders" {
		t.Errorf("name field %q after the error, want what was typed", v)
	}
	run(t, ctx, "fix the slug",
		chromedp.SetValue(chromedp.CSS("#f-slug"), "northwind"),
		chromedp.Click(chromedp.CSS(`form[action="/tenants"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice.ok`)),
	)
	wantText(t, text(t, ctx, "main"), "Tenant Northwind Traders (northwind) created.", "Tenant northwind · created")
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/tenants/northwind") {
		t.Errorf("location %q, want the new tenant's page", loc)
	}
}

// TestBrowserAuditFilter: typing an action prefix narrows the audit log in place (htmx), and the
// URL follows, so the filtered view can be shared.
func TestBrowserAuditFilter(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	fabrikam(t, s)
	browserSignIn(t, ctx, s, s.Token)
	run(t, ctx, "filter the audit log",
		chromedp.Navigate(s.URL+"/audit"),
		chromedp.WaitVisible(chromedp.CSS("#filter-action")),
		chromedp.SendKeys(chromedp.CSS("#filter-action"), "tenant."),
		chromedp.Poll[chromedp.Void](`!document.querySelector("#audit-results").textContent.includes("token.create")`),
	)
	wantText(t, text(t, ctx, "#audit-results"), "tenant.create", "tenant:fabrikam", "tenant:contoso")
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/audit?tenant=&action=tenant.") {
		t.Errorf("location %q, want the filter in the URL", loc)
	}
}
