package console_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/server/servertest"
)

// TestBrowserMachines: contoso's admin opens Machines from the navigation: the counts by state
// and method, the states-over-time chart and the machines (online activations and an agent's
// report); a state filter narrows the list in place; the CSV download holds what the filter
// selects; fabrikam's Machines page is not found for contoso's admin.
func TestBrowserMachines(t *testing.T) {
	ctx := newTab(t)
	clk := newClock()
	s := servertest.Start(t, servertest.Options{Now: clk.Now})
	mak, _ := demoKeys(t, s)
	contoso, _ := fabrikam(t, s)
	bg := context.Background()
	for i := 1; i <= 3; i++ {
		_, err := s.Operator.Activate(bg, licet.ActivationRequest{Key: mak.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: fmt.Sprintf("desk-%d", i)}})
		mustOK(t, err)
	}
	_, err := s.Operator.ReportMachines(bg, licet.MachineReport{Tenant: "contoso", Machines: []licet.ReportedMachine{
		{MachineID: "srv-grace", Product: "contoso-server-2026", State: licet.StateInitialGrace, LastSeen: clk.Now()},
	}})
	mustOK(t, err)
	mustOK(t, s.App.Fleet.Snapshot(bg))

	browserSignIn(t, ctx, s, contoso.Secret)
	run(t, ctx, "open Machines",
		chromedp.Click(chromedp.CSS(`nav a[href="/tenants/contoso/machines"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.machines")),
	)
	wantText(t, strings.ToLower(text(t, ctx, "table.counts")), "licensed\t3\t0\t0\t0\t0\t0\t3", "initialgrace\t0\t0\t0\t0\t0\t1\t1", "online", "agent")
	wantText(t, text(t, ctx, "table.machines"), "desk-1", "desk-3", "srv-grace", "InitialGrace")
	label, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("figure.chart svg"), "aria-label"))
	mustOK(t, err)
	wantText(t, label.Value, "3 Licensed", "1 InitialGrace")

	run(t, ctx, "filter by state",
		chromedp.SetValue(chromedp.CSS("#f-state"), licet.StateInitialGrace),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS("#machine-1")), // desk-1, the first machine recorded
	)
	got := text(t, ctx, "table.machines")
	if !strings.Contains(got, "srv-grace") || strings.Contains(got, "desk-1") {
		t.Errorf("filtered by InitialGrace, the list shows:\n%s", got)
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("a[download]").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	mustOK(t, err)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][2] != "srv-grace" || rows[1][8] != licet.StateInitialGrace {
		t.Fatalf("CSV download %q (%v); want the header and srv-grace", body, err)
	}

	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/tenants/fabrikam/machines").then(r => r.status)`, chromedp.EvalAwaitPromise))
	mustOK(t, err)
	if status != http.StatusNotFound {
		t.Errorf("contoso's admin opens fabrikam's Machines: %d, want 404", status)
	}
}

// TestBrowserWebhookRedeliver: a delivery the receiver refused is listed with its status and
// the receiver's answer; Redeliver queues it again, and the worker delivers it.
func TestBrowserWebhookRedeliver(t *testing.T) {
	ctx := newTab(t)
	clk := newClock()
	s := servertest.Start(t, servertest.Options{Now: clk.Now, WebhookAllowPrivate: true})
	contoso, _ := fabrikam(t, s)
	answer := http.StatusInternalServerError
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(answer) }))
	defer rcv.Close()
	bg := context.Background()
	w, err := s.Operator.AddWebhook(bg, licet.Webhook{URL: rcv.URL, Tenant: "contoso", Events: []string{licet.EventTokenCreated}})
	mustOK(t, err)
	_, err = s.Operator.CreateToken(bg, licet.Token{Role: licet.RoleTenant, Tenant: "contoso", Label: "ci"})
	mustOK(t, err)
	// Refused for 24 hours: the delivery fails for good.
	for range 40 {
		_, err := s.App.Deliveries.Step(bg)
		mustOK(t, err)
		clk.Add(time.Hour)
	}
	browserSignIn(t, ctx, s, contoso.Secret)
	run(t, ctx, "open Webhooks",
		chromedp.Click(chromedp.CSS(`nav a[href="/tenants/contoso/webhooks"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.deliveries")),
	)
	wantText(t, text(t, ctx, "table.deliveries"), "token.created", "failed", "HTTP 500")
	answer = http.StatusNoContent
	run(t, ctx, "redeliver",
		chromedp.Click(chromedp.CSS(`button[aria-label^="Redeliver"]`)),
		chromedp.WaitVisible(chromedp.CSS(".delivery-pending")),
	)
	_, err = s.App.Deliveries.Step(bg)
	mustOK(t, err)
	ds, err := s.Operator.Deliveries(bg, w.ID, 10)
	mustOK(t, err)
	if len(ds) != 2 || ds[0].Status != "delivered" || ds[1].Status != "failed" {
		t.Fatalf("deliveries after redelivering: %+v; want the failed one and a delivered copy", ds)
	}
}
