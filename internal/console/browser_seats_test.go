package console_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// lastCallingPlan leaves the demo tenant's Domestic Calling Plan with no unit left and gives
// Johanna Phone System, so that a Calling Plan for her is refused for the count alone.
func lastCallingPlan(t *testing.T, s *servertest.Server) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Operator.AssignBatch(ctx, "contoso", licet.BatchAssignment{Users: []string{"isaiah.langer@contoso.com", "johanna.lorenz@contoso.com"},
		LicenseChange: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "MCOEV"}}}})
	mustOK(t, err)
	_, err = s.Operator.AssignLicense(ctx, "contoso", "isaiah.langer@contoso.com", licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "MCOPSTN1"}}})
	mustOK(t, err)
}

// TestBrowserAssignCountViolation: a tenant admin finds a user, assigns a license that has no
// unit left and reads CountViolation explained on the page; the user keeps its licenses.
func TestBrowserAssignCountViolation(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	lastCallingPlan(t, s)
	contoso, _ := fabrikam(t, s)
	browserSignIn(t, ctx, s, contoso.Secret)
	run(t, ctx, "find Johanna",
		chromedp.Click(chromedp.CSS(`nav a[href="/tenants/contoso/users"]`)),
		chromedp.WaitVisible(chromedp.CSS("#user-q")),
		chromedp.SendKeys(chromedp.CSS("#user-q"), "johanna"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#user-results tbody tr").length === 1`),
		chromedp.Click(chromedp.CSS(`#user-results a[href="/tenants/contoso/users/johanna.lorenz@contoso.com"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-sku")),
	)
	wantText(t, text(t, ctx, "#user-licenses"), "MCOEV", "Phone System", "Success", "direct")
	run(t, ctx, "assign the Calling Plan",
		chromedp.SetValue(chromedp.CSS("#f-sku"), "MCOPSTN1"),
		chromedp.Click(chromedp.CSS("#assign")),
		chromedp.WaitVisible(chromedp.CSS("#problem")),
	)
	wantText(t, text(t, ctx, "#problem"), "CountViolation", "No units left", "nothing was changed",
		"no units of Domestic Calling Plan", "5 of 5 enabled units are assigned", "Way out: buy 1 more unit(s) of MCOPSTN1",
		"What to do: Buy more units on the Licenses page")
	if got := text(t, ctx, "#user-licenses"); strings.Contains(got, "MCOPSTN1") {
		t.Errorf("the refused license shows among Johanna's:\n%s", got)
	}
	u, err := s.Operator.User(context.Background(), "contoso", "johanna.lorenz@contoso.com")
	mustOK(t, err)
	if got := strings.Join(skusOf(u), " "); got != "ENTERPRISEPACK MCOEV MCOMEETADV" {
		t.Errorf("Johanna's licenses %q after the refusal, want them unchanged", got)
	}
}

// bulkList is the file of the bulk assignment tests: seven users without Audio Conferencing
// (five units are left), a duplicate, a comment and a user that does not exist.
const bulkList = `# Audio Conferencing for the sales floor
adele.vance@contoso.com
alex.wilber@contoso.com
diego.siciliani@contoso.com
grady.archie@contoso.com
megan.bowen@contoso.com
miriam.graham@contoso.com
nestor.wilke@contoso.com
alex.wilber@contoso.com
pat.nobody@contoso.com
`

// TestBrowserBulkAssignment: upload a file, read the dry run, apply it (htmx steps with a
// progress bar), and download the per-user report.
func TestBrowserBulkAssignment(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "sales.txt")
	mustOK(t, os.WriteFile(file, []byte(bulkList), 0o644))
	browserSignIn(t, ctx, s, s.Token)
	run(t, ctx, "dry run",
		chromedp.Navigate(s.URL+"/tenants/contoso/bulk"),
		chromedp.WaitVisible(chromedp.CSS("#f-users")),
		chromedp.SetUploadFiles(chromedp.CSS("#f-users"), []string{file}),
		chromedp.Click(chromedp.CSS(`input[name="add"][value="MCOMEETADV"]`)),
		chromedp.Click(chromedp.CSS("#dry-run")),
		chromedp.WaitVisible(chromedp.CSS("#bulk-job")),
	)
	job := text(t, ctx, "#bulk-job")
	wantText(t, job, "Dry run: sales.txt, 8 user(s)", "1 duplicate line(s) skipped", "Dry run: nothing was changed",
		"5 assigned", "3 failed", "CountViolation", "No units left", "Buy 2 more unit(s) of MCOMEETADV", "NotFound",
		"MCOMEETADV", "+5", "10", "Apply to 8 user(s)")
	if skus, _ := s.Operator.SubscribedSKUs(context.Background(), "contoso"); consumedOf(skus, "MCOMEETADV") != 5 {
		t.Fatalf("the dry run changed the count: %d consumed", consumedOf(skus, "MCOMEETADV"))
	}
	run(t, ctx, "apply",
		chromedp.Click(chromedp.CSS("#apply")),
		chromedp.WaitVisible(chromedp.CSS("#bulk-progress")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#bulk-progress-text").textContent.includes("done")`),
	)
	wantText(t, text(t, ctx, "#bulk-job"), "Applied: sales.txt", "8 of 8 users handled — done", "5 assigned", "3 failed")
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#bulk-progress").value`)); v != 8 {
		t.Errorf("progress value %v, want 8", v)
	}
	if skus, _ := s.Operator.SubscribedSKUs(context.Background(), "contoso"); consumedOf(skus, "MCOMEETADV") != 10 {
		t.Errorf("after the apply: %d consumed, want 10", consumedOf(skus, "MCOMEETADV"))
	}

	downloads := filepath.Join(dir, "downloads")
	mustOK(t, os.Mkdir(downloads, 0o755))
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	run(t, ctx, "download the report",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true),
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
			return err
		}),
		chromedp.Click(chromedp.CSS("#report-csv")),
	)
	var got string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			got = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	data, err := os.ReadFile(got)
	mustOK(t, err)
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	mustOK(t, err)
	if len(rows) != 10 || strings.Join(rows[0], ",") != "line,upn,outcome,added,updated,removed,error_code,error_rule,error_sku,error_message" {
		t.Fatalf("report: %d rows, header %v:\n%s", len(rows), rows[0], data)
	}
	for _, want := range [][]string{
		{"2", "adele.vance@contoso.com", "assigned", "MCOMEETADV"},
		{"7", "miriam.graham@contoso.com", "failed", "", "", "", "CountViolation"},
		{"10", "pat.nobody@contoso.com", "failed", "", "", "", "NotFound"},
		{"9", "alex.wilber@contoso.com", "duplicate"},
	} {
		found := false
		for _, r := range rows {
			if strings.Join(r[:len(want)], ",") == strings.Join(want, ",") {
				found = true
			}
		}
		if !found {
			t.Errorf("the report lacks the row %v:\n%s", want, data)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestBrowserPhoneFits: on a phone, no page is wider than the screen; wide tables scroll inside
// their own region.
func TestBrowserPhoneFits(t *testing.T) {
	ctx := newTab(t)
	s := servertest.Start(t, servertest.Options{})
	browserSignIn(t, ctx, s, s.Token)
	run(t, ctx, "a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range []string{"/", "/tenants", "/tokens", "/audit", "/catalog", "/advisor?plan=ENTERPRISEPACK&feature=pstn-calling-domestic",
		"/tenants/contoso/licenses", "/tenants/contoso/users", "/tenants/contoso/users/" + adele, "/tenants/contoso/groups/Sales", "/tenants/contoso/bulk",
		"/tenants/contoso/groups/Meeting%20hosts", "/tenants/contoso/keys", "/tenants/contoso/keys/1", "/offline"} {
		run(t, ctx, "open "+p, chromedp.Navigate(s.URL+p), chromedp.WaitVisible(chromedp.CSS("main")))
		w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if w[0] > w[1] {
			t.Errorf("%s is %d px wide on a %d px screen", p, w[0], w[1])
		}
	}
}
