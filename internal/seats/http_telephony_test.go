package seats_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store"
)

// raceThroughServers has the clients (servers) race for one tenant's credits and seats at once:
// 40 charges of 5.00 against 100.00 of funds, and two overlapping groups and a direct batch
// against 10 units. Nothing is overdrawn, and the counts match the rows.
func raceThroughServers(t *testing.T, db *store.DB, clients ...*client.Client) {
	t.Helper()
	ctx := context.Background()
	op := clients[0]
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(op.CreateTenant(ctx, licet.Tenant{Slug: "race", Name: "Race", UsageLocation: "US"}))
	for _, s := range []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 10}, {SKU: "MCOMEETADV", Quantity: 10}} {
		must(op.BuySubscription(ctx, "race", s))
	}
	must(op.SignUpCredits(ctx, "race"))
	must(op.AddFunds(ctx, "race", licet.CreditAmount{Amount: 10000}))
	var users []licet.User
	var upns []string
	for i := range 30 {
		u := fmt.Sprintf("r%02d@race.example.com", i)
		users, upns = append(users, licet.User{UPN: u}), append(upns, u)
	}
	must(op.ImportUsers(ctx, "race", users))
	for _, g := range []struct {
		name    string
		members []string
	}{{"A", upns[:15]}, {"B", upns[10:25]}} {
		must(op.CreateGroup(ctx, "race", licet.Group{Name: g.name}))
		must(op.AddMembers(ctx, "race", g.name, g.members))
	}

	var mu sync.Mutex
	charges := map[string]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := clients[i%len(clients)].Charge(ctx, "race", licet.CreditAmount{Amount: 500, Reason: "dial-out"})
			mu.Lock()
			charges[licet.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	e3 := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}}}
	errs := make(chan error, 3)
	for i, fn := range []func(c *client.Client) error{
		func(c *client.Client) error { _, err := c.AssignGroupLicense(ctx, "race", "A", e3); return err },
		func(c *client.Client) error { _, err := c.AssignGroupLicense(ctx, "race", "B", e3); return err },
		func(c *client.Client) error {
			_, err := c.AssignBatch(ctx, "race", licet.BatchAssignment{Users: upns[20:], LicenseChange: e3})
			return err
		},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- fn(clients[i%len(clients)]) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if charges[""] != 20 || charges[licet.CodeInsufficientFunds] != 20 {
		t.Errorf("charges = %v, want 20 accepted and 20 InsufficientFunds", charges)
	}
	acct, err := op.Credits(ctx, "race")
	if err != nil || acct.Balance != 0 {
		t.Errorf("account = %+v, %v; want a balance of 0", acct, err)
	}
	ledger, err := op.Ledger(ctx, "race", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range ledger {
		sum += e.Amount
	}
	if sum != 0 {
		t.Errorf("the ledger sums to %d, the balance is 0", sum)
	}
	skus, err := op.SubscribedSKUs(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	var holders int
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(DISTINCT a.user_id) FROM assignments a JOIN tenants t ON t.id = a.tenant_id
			WHERE t.slug = 'race' AND a.sku = 'ENTERPRISEPACK' AND a.state = 'Active'`).Scan(&holders)
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range skus {
		if s.SKU == "ENTERPRISEPACK" && (s.Consumed != 10 || holders != 10) {
			t.Errorf("ENTERPRISEPACK: %d consumed, %d users hold it; want 10 and 10", s.Consumed, holders)
		}
	}
}

// TestTwoServersRaceForCreditsAndGroups runs two server processes on one PostgreSQL database.
func TestTwoServersRaceForCreditsAndGroups(t *testing.T) {
	a, b := twoServers(t)
	raceThroughServers(t, a.App.DB, a.Operator, b.Operator)
}

// TestOneSQLiteServerRacesForCreditsAndGroups sends the same race to one SQLite server.
func TestOneSQLiteServerRacesForCreditsAndGroups(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	raceThroughServers(t, s.App.DB, s.Operator)
}

// TestHTTPTelephonyTenantIsolation checks that a tenant token gets 404 for another tenant's
// groups, numbers and credits, and may not record charges even on its own tenant.
func TestHTTPTelephonyTenantIsolation(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	other := otherTenant(t, s)
	checks := map[string]error{}
	_, checks["group assign"] = other.AssignGroupLicense(ctx, "contoso", "Sales", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}})
	_, checks["reprocess"] = other.ReprocessGroup(ctx, "contoso", "Sales")
	_, checks["numbers"] = other.Numbers(ctx, "contoso", licet.NumberFilter{})
	_, checks["add numbers"] = other.AddNumbers(ctx, "contoso", "US", []string{"+12065550199"})
	_, checks["unassign"] = other.UnassignNumber(ctx, "contoso", "+14255550100")
	_, checks["provider"] = other.SetConferencingProvider(ctx, "contoso", "isaiah.langer@contoso.com", "ACME")
	_, checks["credits"] = other.Credits(ctx, "contoso")
	_, checks["ledger"] = other.Ledger(ctx, "contoso", 0, 10)
	_, checks["funds"] = other.AddFunds(ctx, "contoso", licet.CreditAmount{Amount: 100})
	wantNotFound(t, checks)
	if _, err := other.Charge(ctx, "other", licet.CreditAmount{Amount: 1, Reason: "x"}); licet.ErrorCode(err) != licet.EForbidden {
		t.Errorf("a tenant token charging: %v, want forbidden", err)
	}
	// The demo's state is untouched: the number is still Adele's, the balance as the demo left it.
	ns, err := s.Operator.Numbers(ctx, "contoso", licet.NumberFilter{})
	if err != nil || len(ns) != 3 || ns[0].User != "adele.vance@contoso.com" {
		t.Errorf("contoso's numbers = %+v, %v", ns, err)
	}
	acct, err := s.Operator.Credits(ctx, "contoso")
	if err != nil || acct.Balance != 100_00-12_34 {
		t.Errorf("contoso's credits = %+v, %v; want 87.66", acct, err)
	}
	g, err := s.Operator.Group(ctx, "contoso", "Meeting hosts")
	if err != nil || g.Members != 4 || g.MemberErrors != 0 {
		t.Errorf("the demo group = %+v, %v", g, err)
	}
}
