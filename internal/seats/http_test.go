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
	"github.com/licet/licet/internal/store/storetest"
)

// raceForUnits buys 10 units of ENTERPRISEPACK for a new tenant and has 100 users ask for them at
// once through the given clients (servers), half of them one by one and half in batches of 5. It
// returns how many users got a license, by the answers and by the database.
func raceForUnits(t *testing.T, db *store.DB, clients ...*client.Client) {
	t.Helper()
	ctx := context.Background()
	op := clients[0]
	if _, err := op.CreateTenant(ctx, licet.Tenant{Slug: "pool", Name: "Pool", UsageLocation: "US"}); err != nil {
		t.Fatal(err)
	}
	if _, err := op.BuySubscription(ctx, "pool", licet.Subscription{SKU: "ENTERPRISEPACK", Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	var users []licet.User
	for i := range 100 {
		users = append(users, licet.User{UPN: fmt.Sprintf("p%03d@pool.example.com", i)})
	}
	if _, err := op.ImportUsers(ctx, "pool", users); err != nil {
		t.Fatal(err)
	}
	change := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK"}}}
	var mu sync.Mutex
	got := map[string]int{}
	count := func(code string) {
		mu.Lock()
		got[code]++
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ { // users 0-49 one by one
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := clients[i%len(clients)].AssignLicense(ctx, "pool", users[i].UPN, change)
			count(licet.ErrorCode(err))
		}(i)
	}
	for i := 50; i < 100; i += 5 { // users 50-99 in batches of 5
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var upns []string
			for _, u := range users[i : i+5] {
				upns = append(upns, u.UPN)
			}
			res, err := clients[i%len(clients)].AssignBatch(ctx, "pool", licet.BatchAssignment{Users: upns, LicenseChange: change})
			if err != nil {
				count(licet.ErrorCode(err))
				return
			}
			for _, r := range res.Results {
				if r.Error != nil {
					count(r.Error.Code)
				} else {
					count("")
				}
			}
		}(i)
	}
	wg.Wait()
	if got[""] != 10 || got[licet.CodeCountViolation] != 90 {
		t.Errorf("answers = %v, want 10 assigned and 90 CountViolation", got)
	}
	skus, err := op.SubscribedSKUs(ctx, "pool")
	if err != nil || len(skus) != 1 || skus[0].Consumed != 10 {
		t.Errorf("skus = %+v, %v; want 10 consumed", skus, err)
	}
	var rows int
	if err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM assignments a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = 'pool'`).Scan(&rows)
	}); err != nil {
		t.Fatal(err)
	}
	if rows != 10 {
		t.Errorf("assignment rows = %d, want 10", rows)
	}
}

// TestTwoServersShareOnePool runs two server processes on one PostgreSQL database.
func TestTwoServersShareOnePool(t *testing.T) {
	a, b := twoServers(t)
	raceForUnits(t, a.App.DB, a.Operator, b.Operator)
}

// twoServers starts two server processes on one PostgreSQL database, sharing the signing key.
func twoServers(t *testing.T) (a, b *servertest.Server) {
	dsn, dir := storetest.PostgresDSN(t), t.TempDir()
	return servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir}), servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir})
}

// otherTenant creates the tenant "other" on s and returns a client with its tenant token.
func otherTenant(t *testing.T, s *servertest.Server) *client.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "other", Name: "Other", UsageLocation: "US"}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "other"})
	if err != nil {
		t.Fatal(err)
	}
	return client.New(s.URL, tok.Secret)
}

// wantNotFound checks that every call of another tenant's objects was answered NotFound.
func wantNotFound(t *testing.T, checks map[string]error) {
	t.Helper()
	for name, err := range checks {
		if licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("%s on another tenant: %v, want NotFound", name, err)
		}
	}
}

// TestOneSQLiteServerSharesOnePool sends the same race to one SQLite server.
func TestOneSQLiteServerSharesOnePool(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	raceForUnits(t, s.App.DB, s.Operator)
}

// TestHTTPTenantIsolation checks that a tenant token gets 404 for another tenant's seats.
func TestHTTPTenantIsolation(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	other := otherTenant(t, s)
	checks := map[string]error{}
	_, checks["skus"] = other.SubscribedSKUs(ctx, "contoso")
	_, checks["user"] = other.User(ctx, "contoso", "adele.vance@contoso.com")
	_, checks["assign"] = other.AssignLicense(ctx, "contoso", "adele.vance@contoso.com", licet.LicenseChange{RemoveLicenses: []string{"ENTERPRISEPACK"}})
	_, checks["batch"] = other.AssignBatch(ctx, "contoso", licet.BatchAssignment{Users: []string{"adele.vance@contoso.com"}, LicenseChange: licet.LicenseChange{RemoveLicenses: []string{"MCOPSTNC"}}})
	_, checks["buy"] = other.BuySubscription(ctx, "contoso", licet.Subscription{SKU: "ENTERPRISEPACK", Quantity: 1})
	wantNotFound(t, checks)
	if _, err := other.SubscribedSKUs(ctx, "other"); err != nil {
		t.Errorf("own tenant: %v", err)
	}
	u, err := s.Operator.User(ctx, "contoso", "adele.vance@contoso.com")
	if err != nil || len(u.Licenses) != 4 {
		t.Errorf("contoso's user after the attempts: %+v, %v; want 4 licenses untouched", u, err)
	}
}
