package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/server/servertest"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/ticket"
)

// proveLimit issues a MAK with a limit of 50 and sends 200 concurrent activations of distinct
// machines, spread over the servers: exactly 50 tickets, remaining 0; the same 50 machines
// again get tickets and consume nothing.
func proveLimit(t *testing.T, servers ...*servertest.Server) {
	ctx := context.Background()
	op := servers[0].Operator
	k, err := op.IssueKey(ctx, licet.KeyRequest{Agreement: "CONTOSO-OL-0001", Group: "desktop-11", Type: "mak", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := client.New(servers[0].URL, "").SigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	activate := func(i int) (*licet.Activation, error) {
		c := client.New(servers[i%len(servers)].URL, "")
		return c.Activate(ctx, licet.ActivationRequest{Key: k.Key, Product: "contoso-desktop-11", Machine: licet.Machine{ID: fmt.Sprintf("pc-%03d", i)}})
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var winners []int
	codes := map[string]int{}
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := activate(i)
			if err == nil {
				_, err = ticket.Check(pub, a.Ticket, fmt.Sprintf("pc-%03d", i), a.IssuedAt)
			}
			mu.Lock()
			defer mu.Unlock()
			codes[licet.ErrorCode(err)]++
			if err == nil {
				winners = append(winners, i)
			}
		}()
	}
	wg.Wait()
	if codes[""] != 50 || codes[licet.CodeActivationLimitExceeded] != 150 {
		t.Fatalf("outcomes %v, want 50 valid tickets and 150 %s", codes, licet.CodeActivationLimitExceeded)
	}
	got, err := op.Key(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Used != 50 || got.Remaining != 0 {
		t.Fatalf("after 200 activations: used %d remaining %d, want 50 and 0", got.Used, got.Remaining)
	}
	for _, i := range winners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := activate(i)
			if err != nil || a.Consumed {
				t.Errorf("pc-%03d again: %+v, %v; want a ticket without consuming", i, a, err)
			}
		}()
	}
	wg.Wait()
	if got, err = op.Key(ctx, k.ID); err != nil || got.Used != 50 || got.Remaining != 0 {
		t.Fatalf("after reactivations: %+v, %v; want used 50 remaining 0", got, err)
	}
}

func TestMAKLimitSQLite(t *testing.T) {
	proveLimit(t, servertest.Start(t, servertest.Options{}))
}

// TestMAKLimitTwoPostgresServers runs two server instances on one PostgreSQL schema.
func TestMAKLimitTwoPostgresServers(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	dir := t.TempDir()
	a := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir})
	b := servertest.Start(t, servertest.Options{DSN: dsn, DataDir: dir})
	proveLimit(t, a, b)
}

// TestKeysTenantScoped: a tenant token sees its keys and gets 404 for the operator's routes'
// objects of other tenants; machine activation needs no token.
func TestKeysTenantScoped(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: "fabrikam"})
	if err != nil {
		t.Fatal(err)
	}
	fab := client.New(s.URL, tok.Secret)
	ks, err := s.Operator.Keys(ctx, "contoso")
	if err != nil || len(ks) != 2 {
		t.Fatalf("contoso keys %v, %v; want the demo's 2", ks, err)
	}
	if _, err := fab.Key(ctx, ks[0].ID); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("fabrikam reads contoso's key: %v, want NotFound", err)
	}
	if _, err := fab.LookupKey(ctx, ks[0].Key); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("fabrikam looks up contoso's key: %v, want NotFound", err)
	}
	if _, err := fab.Keys(ctx, "contoso"); licet.ErrorCode(err) != licet.ENotFound {
		t.Errorf("fabrikam lists contoso's keys: %v, want NotFound", err)
	}
	if mine, err := fab.Keys(ctx, ""); err != nil || len(mine) != 0 {
		t.Errorf("fabrikam's own keys: %v, %v; want none", mine, err)
	}
	if _, err := fab.ExtendKey(ctx, ks[0].ID, 5); licet.ErrorCode(err) != licet.EForbidden {
		t.Errorf("a tenant extends a key: %v, want forbidden", err)
	}
	gv, err := client.New(s.URL, "").GVLKs(ctx)
	if err != nil || len(gv) != 3 {
		t.Errorf("public GVLK list: %v, %v; want the demo's 3 products", gv, err)
	}
}

// TestKeyActivationsTenantScoped: a key's activations are listed for its tenant's admin and
// answer 404 to another tenant's admin.
func TestKeyActivationsTenantScoped(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	keys, err := s.Operator.Keys(ctx, "contoso")
	if err != nil || len(keys) == 0 {
		t.Fatalf("contoso's keys: %v, %v", keys, err)
	}
	if _, err := s.Operator.CreateTenant(ctx, licet.Tenant{Slug: "fabrikam", Name: "Fabrikam"}); err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string]string{"contoso": "", "fabrikam": licet.ENotFound} {
		tok, err := s.Operator.CreateToken(ctx, licet.Token{Role: licet.RoleTenant, Tenant: tenant})
		if err != nil {
			t.Fatal(err)
		}
		as, total, err := client.New(s.URL, tok.Secret).KeyActivations(ctx, keys[0].ID, 10)
		if licet.ErrorCode(err) != want || (want == "" && (total != 0 || as == nil)) {
			t.Errorf("%s admin: %v activations of %d, error %v; want code %q and an empty list", tenant, as, total, err, want)
		}
	}
}
