package console_test

import (
	"crypto/ed25519"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/licet/licet/client/agent"
	"github.com/licet/licet/internal/server/servertest"
)

// TestBrowserOfflineActivation: a machine without a connection shows its installation ID (the
// agent, with contoso's demo MAK); contoso's admin types it into the offline activation form,
// first with a group mistyped, which the page names, then right; the confirmation ID the page
// shows verifies on the machine, which is then Licensed.
func TestBrowserOfflineActivation(t *testing.T) {
	ctx := newTab(t)
	clk := newClock()
	s := servertest.Start(t, servertest.Options{Now: clk.Now})
	mak, _ := demoKeys(t, s)
	contoso, _ := fabrikam(t, s)
	machine := &agent.Agent{Dir: t.TempDir(), Now: clk.Now}
	machine.Machine.ID, machine.Machine.Hostname = "isolated-lab-07", "lab-07"
	_, err := machine.InstallKey(mak.Key, "contoso-desktop-11")
	mustOK(t, err)
	pm, err := machine.InstallationID()
	mustOK(t, err)
	groups := strings.Split(pm.InstallationID, "-")
	typo := append([]string{}, groups...)
	typo[6] = typo[6][:3] + string('0'+(typo[6][3]-'0'+5)%10) + typo[6][4:]

	browserSignIn(t, ctx, s, contoso.Secret)
	run(t, ctx, "type the installation ID with group 7 mistyped",
		chromedp.Click(chromedp.CSS(`nav a[href="/offline"]`)),
		chromedp.WaitVisible(chromedp.CSS("#f-installationId")),
		chromedp.SendKeys(chromedp.CSS("#f-installationId"), strings.Join(typo, " ")),
		chromedp.Click(chromedp.CSS("#get-cid")),
		chromedp.WaitVisible(chromedp.CSS("#mistyped")),
	)
	wantText(t, text(t, ctx, "#mistyped"), "Group 7 does not match its check digit", "read group 7 again")
	wantText(t, text(t, ctx, ".typed-groups .mistyped"), "7", typo[6])
	if k := keyNow(t, s, mak.ID); k.Used != 0 {
		t.Fatalf("a mistyped installation ID used %d activation(s)", k.Used)
	}
	run(t, ctx, "type it again, right",
		chromedp.SetValue(chromedp.CSS("#f-installationId"), pm.InstallationID),
		chromedp.Click(chromedp.CSS("#get-cid")),
		chromedp.WaitVisible(chromedp.CSS("#confirmation-id")),
	)
	cid := text(t, ctx, "#confirmation-id")
	wantText(t, text(t, ctx, "#confirmation"), "contoso-desktop-11", "one activation of the key used", pm.InstallationID)
	if n := strings.Count(text(t, ctx, ".cid-groups"), "\n") + 1; n != 35 {
		t.Errorf("the confirmation ID is shown in %d groups, want 35", n)
	}
	st, err := machine.Confirm(cid, s.App.Key.Public().(ed25519.PublicKey), "offline")
	if err != nil {
		t.Fatalf("the machine refuses the confirmation ID the page showed: %v", err)
	}
	if st.State != agent.Licensed {
		t.Errorf("the machine is %s after confirming, want Licensed", st.StateText)
	}
	if k := keyNow(t, s, mak.ID); k.Used != 1 {
		t.Errorf("the MAK has %d used after one offline activation, want 1", k.Used)
	}
	run(t, ctx, "open the key's activations from the result",
		chromedp.Navigate(s.URL+"/tenants/contoso/keys"),
		chromedp.WaitVisible(chromedp.CSS("table.keys")),
		chromedp.Click(chromedp.CSS(`#key-`+itoa(mak.ID)+` a`)),
		chromedp.WaitVisible(chromedp.CSS("#activations")),
	)
	wantText(t, text(t, ctx, "#activations"), "offline", "contoso-desktop-11", "iid:")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
