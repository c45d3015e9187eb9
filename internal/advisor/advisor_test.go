package advisor_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

func errCode(err error) string { return licet.ErrorCode(err) }

// price reads an SKU's example price from the catalog, so that cost tests follow the catalog.
func price(t *testing.T, c *catalog.Catalog, part string) int64 {
	t.Helper()
	s, ok := c.SKU(part)
	if !ok || s.Price == nil {
		t.Fatalf("no price for %s", part)
	}
	return s.Price.Amount
}

func TestCostOfAddOnsAgainstTheBundle(t *testing.T) {
	c := m365(t)
	// E3 + Phone System + Audio Conferencing against E5, which includes both.
	a, err := advisor.Advise(c, advisor.ForPlan(catalog.Org{Country: "US"}, "ENTERPRISEPACK", "phone-system", "audio-conferencing"))
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, a, expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "MCOMEETADV"}, unordered: true,
		switches: map[string][]string{"ENTERPRISEPREMIUM": {}}})
	addOns := price(t, c, "ENTERPRISEPACK") + price(t, c, "MCOEV") + price(t, c, "MCOMEETADV")
	bundle := price(t, c, "ENTERPRISEPREMIUM")
	cmp := a.Comparison
	if cmp == nil || cmp.AddOns.Amount != addOns || cmp.Bundle.Amount != bundle || cmp.BundleSKU != "ENTERPRISEPREMIUM" {
		t.Fatalf("comparison %+v, want add-ons %d against ENTERPRISEPREMIUM %d", cmp, addOns, bundle)
	}
	wantCheaper, diff := "add-ons", bundle-addOns
	if addOns > bundle {
		wantCheaper, diff = "bundle", addOns-bundle
	}
	if cmp.Cheaper != wantCheaper || cmp.Difference != diff || cmp.AddOns.Currency != "USD" {
		t.Errorf("cheaper %q by %d %s, want %q by %d USD", cmp.Cheaper, cmp.Difference, cmp.AddOns.Currency, wantCheaper, diff)
	}
}

// TestWhyNoAddOns covers seed 003 § "Why don't I see the option to buy add-ons?" and the
// availability rules, through the advisor.
func TestWhyNoAddOns(t *testing.T) {
	c := m365(t)
	tests := []struct {
		name      string
		q         advisor.Question
		want      expect
		blockRule string // a rule that must block the current plan
	}{
		{"Business Premium through GoDaddy: switch to E3, then buy", advisor.Question{Org: catalog.Org{Country: "US"},
			Owned: []catalog.Purchase{{SKU: "O365_BUSINESS_PREMIUM", Channel: "reseller:GoDaddy"}}, Features: []string{"audio-conferencing"}},
			expect{status: advisor.StatusSwitch, switches: map[string][]string{"ENTERPRISEPACK": {"MCOMEETADV"}}}, "bar-godaddy-business-premium-addons"},
		{"monthly commitment: the same plan on an annual term", advisor.Question{Org: catalog.Org{Country: "US"},
			Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK", Term: "monthly"}}, Features: []string{"phone-system"}},
			expect{status: advisor.StatusSwitch, switches: map[string][]string{"ENTERPRISEPACK": {"MCOEV"}}}, "term-addons-need-annual-base"},
		{"120-minute plans are not sold in the US", advisor.Question{Org: catalog.Org{Country: "US"},
			Owned: []catalog.Purchase{{SKU: "ENTERPRISEPREMIUM"}}, Features: []string{"pstn-calling-domestic"}},
			expect{status: advisor.StatusBuy, buy: []string{"MCOPSTN1"}}, "avail-small-calling-plans-not-us"},
		// The rule restricts the add-on SKUs; E5 includes Audio Conferencing as a plan of the suite.
		{"21Vianet: no voice add-ons; E5, or a third-party provider", advisor.Question{Org: catalog.Org{Country: "CN", Cloud: "21vianet"},
			Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Features: []string{"audio-conferencing"}},
			expect{status: advisor.StatusSwitch, switches: map[string][]string{"ENTERPRISEPREMIUM": {}}, external: []string{"third-party-audio-conferencing"}}, "avail-voice-global-cloud"},
		{"21Vianet: toll-free numbers need Communications Credits, not sold there", advisor.Question{Org: catalog.Org{Country: "CN", Cloud: "21vianet"},
			Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Features: []string{"toll-free-dial-in"}},
			expect{status: advisor.StatusUnavailable}, "avail-voice-global-cloud"},
		{"tenant owning E3 and Business Premium: a Business Premium user may get Phone System", advisor.Question{Org: catalog.Org{Country: "US"},
			Owned: []catalog.Purchase{{SKU: "O365_BUSINESS_PREMIUM"}, {SKU: "ENTERPRISEPACK"}}, Holds: []string{"O365_BUSINESS_PREMIUM"}, Features: []string{"phone-system"}},
			expect{status: advisor.StatusBuy, buy: []string{"MCOEV"}}, ""},
		{"a third-party provider already in place", advisor.Question{Org: catalog.Org{Country: "US"},
			Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Externals: []string{"third-party-audio-conferencing"}, Features: []string{"audio-conferencing"}},
			expect{status: advisor.StatusSatisfied}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := advisor.Advise(c, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, a, tc.want)
			if tc.blockRule != "" && !strings.Contains(describe(a), tc.blockRule) {
				t.Errorf("no option blocked by %s: %s", tc.blockRule, describe(a))
			}
		})
	}
	// The term switch keeps the plan and changes only the term.
	a, _ := advisor.Advise(c, advisor.Question{Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK", Term: "monthly"}}, Features: []string{"phone-system"}})
	if p := switchTo(a, "ENTERPRISEPACK"); p == nil || p.Switch.Term != "annual" || p.Switch.Rule != "term-addons-need-annual-base" || len(p.Drop) != 0 {
		t.Errorf("term switch %+v, want ENTERPRISEPACK on an annual term, by term-addons-need-annual-base, dropping nothing", p)
	}
}

func TestUnavailableFeature(t *testing.T) {
	c := m365(t)
	a, err := advisor.Advise(c, advisor.ForPlan(catalog.Org{Type: "edu"}, "ENTERPRISEPACK", "meeting-broadcast"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != advisor.StatusUnavailable || !strings.Contains(a.Reason, "edu") {
		t.Errorf("meeting broadcast for edu: %s (%s), want unavailable naming edu", a.Status, a.Reason)
	}
	a, err = advisor.Advise(c, advisor.ForPlan(catalog.Org{Type: "gcc"}, "ENTERPRISEPACK", "meeting-broadcast"))
	if err != nil || a.Status != advisor.StatusSatisfied {
		t.Errorf("meeting broadcast for gcc: %s, %v; want satisfied", a.Status, err)
	}
}

func TestBadQuestions(t *testing.T) {
	c := m365(t)
	tests := []struct {
		name    string
		q       advisor.Question
		code    string
		mention []string // the way out: names the message must contain
	}{
		{"unknown plan", advisor.ForPlan(catalog.Org{}, "E3", "phone-system"), licet.CodeUnknownSKU, []string{`"E3"`, "ENTERPRISEPACK", "MCOEV"}},
		{"unknown feature", advisor.ForPlan(catalog.Org{}, "ENTERPRISEPACK", "fax"), licet.CodeUnknownFeature, []string{`"fax"`, "pstn-calling-domestic", "room-phone-number"}},
		{"no feature", advisor.ForPlan(catalog.Org{}, "ENTERPRISEPACK"), licet.EInvalid, []string{"audio-conferencing"}},
		{"unknown held SKU", advisor.Question{Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Holds: []string{"X"}, Features: []string{"phone-system"}}, licet.CodeUnknownSKU, []string{`"X"`}},
		{"room feature for a person", advisor.Question{Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Features: []string{"room-phone-number"}, For: "person"}, licet.EInvalid, []string{"room"}},
		{"bad kind", advisor.Question{Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Features: []string{"phone-system"}, For: "robot"}, licet.EInvalid, []string{"robot"}},
		{"bad country", advisor.ForPlan(catalog.Org{Country: "usa"}, "ENTERPRISEPACK", "phone-system"), licet.EInvalid, []string{"usa"}},
		{"bad org type", advisor.ForPlan(catalog.Org{Type: "charity"}, "ENTERPRISEPACK", "phone-system"), licet.EInvalid, []string{"nonprofit"}},
		{"bad cloud", advisor.ForPlan(catalog.Org{Cloud: "moon"}, "ENTERPRISEPACK", "phone-system"), licet.EInvalid, []string{"21vianet"}},
		{"unknown alternative", advisor.Question{Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Externals: []string{"pigeons"}, Features: []string{"phone-system"}}, licet.EInvalid, []string{"existing-carrier"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := advisor.Advise(c, tc.q)
			if code := errCode(err); code != tc.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, tc.code)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %s", err, m)
				}
			}
		})
	}
}

func TestRoomQuestionThroughAdvise(t *testing.T) {
	c := m365(t)
	// A room in an enterprise organisation: it holds nothing yet and wants a phone number.
	a, err := advisor.Advise(c, advisor.Question{Org: catalog.Org{Country: "US"}, Owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, Holds: []string{"ENTERPRISEPACK"}, Features: []string{"room-phone-number"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.For != "room" {
		t.Errorf("for %q, want room (the feature's kind)", a.For)
	}
	checkAnswer(t, a, expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "MCOPSTN1"}, external: []string{"sfb-server-standard-cal"}})
}
