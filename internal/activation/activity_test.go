package activation_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

func TestKeyActivationsAndPerDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, 10)
		// A second service on the same database, two days earlier, activates one machine.
		_, priv, _ := ed25519.GenerateKey(nil)
		earlier, err := activation.New(db, func() time.Time { return fixedNow().Add(-48 * time.Hour) }, priv, activation.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(earlier.Stop)
		must[*licet.Activation](t)(earlier.Activate(context.Background(), licet.ActivationRequest{Key: f.mak.Key, Product: f.product, Machine: machine(1)}))
		must[*licet.Activation](t)(f.activate(machine(2)))
		must[*licet.Activation](t)(f.activate(machine(1))) // known: counts nothing, refreshes last seen
		must[*licet.Confirmation](t)(f.svc.ActivateOffline(operator(), licet.OfflineRequest{InstallationID: f.iidFor("isolated").String()}))

		list, total, err := f.svc.KeyActivations(operator(), f.mak.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(list) != 2 {
			t.Fatalf("KeyActivations(limit 2) = %d rows of %d; want 2 of 3", len(list), total)
		}
		all := must[[]licet.KeyActivation](t)(func() ([]licet.KeyActivation, error) {
			l, _, err := f.svc.KeyActivations(tenantAdmin("contoso", 1), f.mak.ID, 10)
			return l, err
		}())
		var got []string
		for _, a := range all {
			got = append(got, a.Method+" "+a.Hostname+" "+a.Product)
		}
		want := []string{"offline  desktop-11", "online pc2 desktop-11", "online pc1 desktop-11"}
		if len(got) != len(want) || got[0] != want[0] || got[2] != want[2] {
			t.Errorf("activations = %q; want %q (newest first)", got, want)
		}
		if last := all[len(all)-1]; !last.ActivatedAt.Equal(fixedNow().Add(-48*time.Hour)) || !last.LastSeenAt.Equal(fixedNow()) {
			t.Errorf("pc1 activated %v, last seen %v; want two days earlier and now", last.ActivatedAt, last.LastSeenAt)
		}

		for name, c := range map[string]struct {
			ctx   context.Context
			limit int
			code  string
		}{
			"another tenant's key": {tenantAdmin("fabrikam", 2), 10, licet.ENotFound},
			"limit 0: the default": {operator(), 0, ""},
			"negative limit":       {operator(), -1, licet.EInvalid},
			"limit over the bound": {operator(), licet.MaxActivationsLimit + 1, licet.EInvalid},
		} {
			if _, _, err := f.svc.KeyActivations(c.ctx, f.mak.ID, c.limit); licet.ErrorCode(err) != c.code {
				t.Errorf("%s: error %v; want %s", name, err, c.code)
			}
		}

		days, err := f.svc.ActivationsPerDay(operator(), "", fixedNow().AddDate(0, 0, -13))
		if err != nil {
			t.Fatal(err)
		}
		day := func(d time.Time) time.Time { return d.UTC().Truncate(24 * time.Hour) }
		wantDays := []licet.DayCount{{Day: day(fixedNow().Add(-48 * time.Hour)), Count: 1}, {Day: day(fixedNow()), Count: 2}}
		if len(days) != 2 || days[0] != wantDays[0] || days[1] != wantDays[1] {
			t.Errorf("ActivationsPerDay = %v; want %v", days, wantDays)
		}
		for name, c := range map[string]struct {
			ctx    context.Context
			tenant string
			since  time.Time
			want   int
			code   string
		}{
			"since today":          {operator(), "contoso", day(fixedNow()), 1, ""},
			"fabrikam has none":    {operator(), "fabrikam", time.Time{}, 0, ""},
			"a tenant admin's own": {tenantAdmin("contoso", 1), "", time.Time{}, 2, ""},
			"another tenant":       {tenantAdmin("fabrikam", 2), "contoso", time.Time{}, 0, licet.ENotFound},
			"a partner":            {partner("adatum"), "", time.Time{}, 0, licet.EForbidden},
		} {
			got, err := f.svc.ActivationsPerDay(c.ctx, c.tenant, c.since)
			if licet.ErrorCode(err) != c.code || len(got) != c.want {
				t.Errorf("%s: %d day(s), error %v; want %d, error %q", name, len(got), err, c.want, c.code)
			}
		}
	})
}
