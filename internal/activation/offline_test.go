package activation_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// iidFor returns the installation ID a machine's agent prints for the fixture's MAK.
func (f *fixture) iidFor(machine string) keys.InstallationID {
	k, err := keys.Parse(f.mak.Key)
	if err != nil {
		panic(err)
	}
	return keys.NewInstallationID(k, keys.ProductNumber(f.product), keys.MachineFingerprint(machine))
}

func (f *fixture) used(t *testing.T) int64 {
	t.Helper()
	k, err := f.svc.Key(operator(), f.mak.ID)
	if err != nil {
		t.Fatal(err)
	}
	return k.Used
}

func tenantAdmin(slug string, id int64) context.Context {
	return licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleTenant, Tenant: slug, TenantID: id, TokenID: 2})
}

func partner(name string) context.Context {
	return licet.WithActor(context.Background(), licet.Actor{Role: licet.RolePartner, Partner: name, TokenID: 3})
}

func TestActivateOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		iid := f.iidFor("isolated-1")
		c, err := f.svc.ActivateOffline(operator(), licet.OfflineRequest{InstallationID: iid.String()})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Consumed || c.Product != f.product || c.Tenant != "contoso" {
			t.Errorf("confirmation = %+v; want consumed, product %s, tenant contoso", c, f.product)
		}
		cid, err := keys.ParseConfirmationID(c.ConfirmationID)
		if err != nil {
			t.Fatalf("the confirmation ID does not parse: %v", err)
		}
		if err := cid.Verify(f.pub, iid); err != nil {
			t.Errorf("the confirmation ID does not verify for its installation ID: %v", err)
		}
		if err := cid.Verify(f.pub, f.iidFor("isolated-2")); !errors.Is(err, keys.ErrForeignConfirmation) {
			t.Errorf("verify against another machine's installation ID: %v; want ErrForeignConfirmation", err)
		}
		if got := f.used(t); got != 1 {
			t.Errorf("used = %d after one offline activation; want 1", got)
		}

		// A replayed installation ID (the caller phoned twice) gets the same confirmation ID,
		// and consumes nothing; so does a tenant admin of the key's tenant.
		again, err := f.svc.ActivateOffline(tenantAdmin("contoso", 1), licet.OfflineRequest{InstallationID: iid.String()})
		if err != nil {
			t.Fatal(err)
		}
		if again.Consumed || again.ConfirmationID != c.ConfirmationID || again.Serial != c.Serial {
			t.Errorf("replay: consumed %v, serial %d (first %d), same CID %v; want not consumed, the same serial and CID",
				again.Consumed, again.Serial, c.Serial, again.ConfirmationID == c.ConfirmationID)
		}
		if got := f.used(t); got != 1 {
			t.Errorf("used = %d after a replay; want 1", got)
		}

		// An online activation of the same key counts through the same path.
		noErr(t)(f.activate(machine(1)))
		if got := f.used(t); got != 2 {
			t.Errorf("used = %d after an online activation; want 2", got)
		}
	})
}

func TestActivateOfflineRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		good := f.iidFor("isolated-1").String()
		typo := []byte(good)
		typo[3*8+4] = '0' + (typo[3*8+4]-'0'+1)%10 // a digit of group 4
		other := keys.NewInstallationID(must[keys.Key](t)(keys.New(keys.MAK, 111, nil)), keys.ProductNumber(f.product), keys.MachineFingerprint("x"))
		wrongProduct := keys.NewInstallationID(must[keys.Key](t)(keys.Parse(f.mak.Key)), keys.ProductNumber("desktop-10"), keys.MachineFingerprint("x"))
		tests := []struct {
			name  string
			ctx   context.Context
			iid   string
			code  string
			group int
		}{
			{"one digit mistyped", operator(), string(typo), licet.EInvalid, 4},
			{"a group missing", operator(), good[:len(good)-8], licet.EInvalid, 0},
			{"letters", operator(), "A" + good[1:], licet.EInvalid, 0},
			{"unknown key", operator(), other.String(), licet.CodeInvalidProductKey, 0},
			{"product of another group", operator(), wrongProduct.String(), licet.ENotFound, 0},
			{"another tenant's admin", tenantAdmin("fabrikam", 2), good, licet.CodeInvalidProductKey, 0},
			{"partner", partner("oem"), good, licet.EForbidden, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.ActivateOffline(tt.ctx, licet.OfflineRequest{InstallationID: tt.iid})
				if got := licet.ErrorCode(err); got != tt.code {
					t.Fatalf("code = %q (%v); want %q", got, err, tt.code)
				}
				var le *licet.Error
				if tt.group != 0 && (!errors.As(err, &le) || le.Details["group"] != tt.group) {
					t.Errorf("error %v does not name group %d", err, tt.group)
				}
			})
		}
		if got := f.used(t); got != 0 {
			t.Errorf("used = %d after refused requests; want 0", got)
		}
	})
}

func TestActivateProxyInFileOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 8)
		// Two activations already used: 6 remain.
		noErr(t)(f.activate(machine(1)))
		noErr(t)(f.activate(machine(2)))
		var ms []licet.ProxyMachine
		for i := 1; i <= 10; i++ {
			ms = append(ms, licet.ProxyMachine{InstallationID: f.iidFor(fmt.Sprintf("iso-%02d", i)).String(), Machine: fmt.Sprintf("iso-%02d", i), Hostname: fmt.Sprintf("iso%d", i)})
		}
		// A machine of another key in the middle fails alone and consumes nothing.
		stranger := keys.NewInstallationID(must[keys.Key](t)(keys.New(keys.MAK, 111, nil)), keys.ProductNumber(f.product), keys.MachineFingerprint("x"))
		ms = append(ms[:3], append([]licet.ProxyMachine{{InstallationID: stranger.String()}}, ms[3:]...)...)
		res, err := f.svc.ActivateProxy(context.Background(), licet.ProxyRequest{Key: f.mak.Key, Machines: ms})
		if err != nil {
			t.Fatal(err)
		}
		limit := licet.CodeActivationLimitExceeded
		wantRes := []string{"", "", "", licet.CodeInstallationKeyMismatch, "", "", "", limit, limit, limit, limit}
		if len(res.Results) != len(ms) {
			t.Fatalf("%d results for %d machines", len(res.Results), len(ms))
		}
		for i, r := range res.Results {
			got := ""
			if r.Error != nil {
				got = r.Error.Code
			}
			if got != wantRes[i] {
				t.Errorf("result %d (%s): %q; want %q", i, r.Machine, got, wantRes[i])
			}
			if got == "" {
				cid := must[keys.ConfirmationID](t)(keys.ParseConfirmationID(r.ConfirmationID))
				if err := cid.Verify(f.pub, must[keys.InstallationID](t)(keys.ParseInstallationID(r.InstallationID))); err != nil {
					t.Errorf("result %d: confirmation ID does not verify: %v", i, err)
				}
			}
		}
		if res.Activated != 6 || res.Failed != 5 || res.Remaining != 0 {
			t.Errorf("activated %d, failed %d, remaining %d; want 6, 5, 0", res.Activated, res.Failed, res.Remaining)
		}
		if got := f.used(t); got != 8 {
			t.Errorf("used = %d; want the limit 8", got)
		}
		// The same file again: the 6 get their confirmations again without consuming.
		again, err := f.svc.ActivateProxy(context.Background(), licet.ProxyRequest{Key: f.mak.Key, Machines: ms})
		if err != nil {
			t.Fatal(err)
		}
		if again.Activated != 6 || again.Results[0].Consumed || again.Results[0].ConfirmationID != res.Results[0].ConfirmationID {
			t.Errorf("replayed proxy request: activated %d, first consumed %v; want 6 and no consumption with the same CID", again.Activated, again.Results[0].Consumed)
		}
	})
}

func TestActivateProxyRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 5)
		one := []licet.ProxyMachine{{InstallationID: f.iidFor("a").String()}}
		blocked := must[*licet.ProductKey](t)(f.svc.IssueKey(operator(), licet.KeyRequest{Agreement: "C-1", Group: "desktop-11", Type: "mak", Limit: 5}))
		noErr(t)(f.svc.BlockKey(operator(), blocked.ID, true))
		unknown := must[keys.Key](t)(keys.New(keys.MAK, 111, nil))
		tests := []struct {
			name string
			r    licet.ProxyRequest
			code string
		}{
			{"malformed key", licet.ProxyRequest{Key: "BCDFG", Machines: one}, licet.EInvalid},
			{"no machines", licet.ProxyRequest{Key: f.mak.Key}, licet.EInvalid},
			{"too many machines", licet.ProxyRequest{Key: f.mak.Key, Machines: make([]licet.ProxyMachine, licet.MaxProxyMachines+1)}, licet.EInvalid},
			{"unknown key", licet.ProxyRequest{Key: unknown.String(), Machines: one}, licet.CodeInvalidProductKey},
			{"blocked key", licet.ProxyRequest{Key: blocked.Key, Machines: one}, licet.CodeInvalidProductKey},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := f.svc.ActivateProxy(context.Background(), tt.r); licet.ErrorCode(err) != tt.code {
					t.Fatalf("code = %q (%v); want %q", licet.ErrorCode(err), err, tt.code)
				}
			})
		}
		if got := f.used(t); got != 0 {
			t.Errorf("used = %d; want 0", got)
		}
	})
}

// TestProxyAndOnlineConcurrently: proxy requests and online activations of one key at once,
// through two services on one database (two server processes, each with its worker), never pass
// its limit, and every activation that succeeded was counted.
func TestProxyAndOnlineConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const limit = 40
		f := setup(t, db, limit)
		other, _ := newService(t, db)
		services := []*activation.Service{f.svc, other}
		var mu sync.Mutex
		ok := 0
		var wg sync.WaitGroup
		for p := 0; p < 4; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms []licet.ProxyMachine
				for i := 0; i < 15; i++ {
					ms = append(ms, licet.ProxyMachine{InstallationID: f.iidFor(fmt.Sprintf("proxy-%d-%d", p, i)).String()})
				}
				res, err := services[p%2].ActivateProxy(context.Background(), licet.ProxyRequest{Key: f.mak.Key, Machines: ms})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ok += res.Activated
				mu.Unlock()
			}()
		}
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := services[i%2].Activate(context.Background(), licet.ActivationRequest{Key: f.mak.Key, Product: f.product, Machine: machine(100 + i)})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if licet.ErrorCode(err) != licet.CodeActivationLimitExceeded {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := f.used(t); got != limit || ok != limit {
			t.Errorf("used = %d, successes = %d; want both %d", got, ok, limit)
		}
	})
}

func TestParseInstallationIDNamesGroup(t *testing.T) {
	_, err := activation.ParseInstallationID("1234567")
	if licet.ErrorCode(err) != licet.EInvalid {
		t.Fatalf("code = %q; want invalid", licet.ErrorCode(err))
	}
}
