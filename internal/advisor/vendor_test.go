package advisor_test

import (
	"testing"

	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// TestVendorEditionsSwitchInsteadOfStacking: on the invented Larkspur catalog, whose Studio and
// Studio Pro editions nest and are exclusive, a Studio user who wants what only Pro has is told
// to switch (Studio dropped), never to buy Pro on top of Studio; a user-scoped prerequisite on
// Pro is met by that switch; an add-on sold on an annual term only is advised on that term.
func TestVendorEditionsSwitchInsteadOfStacking(t *testing.T) {
	c, err := catalog.LoadFile("../catalog/testdata/larkspur.yaml")
	if err != nil {
		t.Fatal(err)
	}
	studio := catalog.Org{Type: "studio", Country: "DE"}
	for _, tt := range []struct {
		feature string
		owned   []catalog.Purchase
		buy     []string
	}{
		{"mastering", []catalog.Purchase{{SKU: "LS-STUDIO"}}, nil},
		{"render-farm", []catalog.Purchase{{SKU: "LS-STUDIO"}}, []string{"LS-FARM"}},
		// The organisation owns Pro too: the farm's purchase is allowed, the user's is not.
		{"render-farm", []catalog.Purchase{{SKU: "LS-STUDIO"}, {SKU: "LS-STUDIO-PRO"}}, []string{"LS-FARM"}},
	} {
		ans, err := advisor.Advise(c, advisor.Question{Org: studio, Owned: tt.owned, Holds: []string{"LS-STUDIO"}, Features: []string{tt.feature}})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status != advisor.StatusSwitch || len(ans.Switch) == 0 {
			t.Fatalf("%s owning %v: status %s, switch %+v, options %+v", tt.feature, tt.owned, ans.Status, ans.Switch, ans.Options)
		}
		sw := ans.Switch[0]
		if sw.Switch.SKU != "LS-STUDIO-PRO" || len(sw.Drop) != 1 || sw.Drop[0] != "LS-STUDIO" {
			t.Errorf("%s: switch %+v dropping %v, want LS-STUDIO-PRO dropping LS-STUDIO", tt.feature, sw.Switch, sw.Drop)
		}
		var bought []string
		for _, s := range sw.Steps {
			bought = append(bought, s.SKU)
		}
		if len(bought) != len(tt.buy) || (len(bought) > 0 && bought[0] != tt.buy[0]) {
			t.Errorf("%s: then buys %v, want %v", tt.feature, bought, tt.buy)
		}
	}
	ans, err := advisor.Advise(c, advisor.Question{Org: studio, Owned: []catalog.Purchase{{SKU: "LS-STUDIO", Term: "monthly"}}, Features: []string{"stem-vault"}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Buy == nil || len(ans.Buy.Steps) != 1 || ans.Buy.Steps[0].SKU != "LS-VAULT" || ans.Buy.Steps[0].Term != "annual" {
		t.Errorf("stem vault: got %+v, want LS-VAULT bought on an annual term", ans.Buy)
	}
	// Owning both editions, the advisor cannot tell which one the user holds.
	if _, err := advisor.Advise(c, advisor.Question{Org: studio, Owned: []catalog.Purchase{{SKU: "LS-STUDIO"}, {SKU: "LS-STUDIO-PRO"}}, Features: []string{"mastering"}}); err == nil {
		t.Error("both editions owned, no holds: got an answer, want an error asking which one the user holds")
	}
}

// TestWholeTenantKeepsItsOwnConflicts: asked about every SKU a tenant owns (no holds), the
// advisor does not blame a path for what those SKUs already break together (two Calling Plans
// no user may hold at once): only what the path adds is checked.
func TestWholeTenantKeepsItsOwnConflicts(t *testing.T) {
	c := m365(t)
	owned := []catalog.Purchase{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}, {SKU: "MCOPSTN2"}}
	ans, err := advisor.Advise(c, advisor.Question{Org: catalog.Org{Country: "US"}, Owned: owned, Features: []string{"audio-conferencing"}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != advisor.StatusBuy || ans.Buy == nil || ans.Buy.Steps[0].SKU != "MCOMEETADV" {
		t.Errorf("got %s %+v, want to buy MCOMEETADV", ans.Status, ans.Buy)
	}
}
