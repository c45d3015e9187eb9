package catalog_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/licet/licet/internal/catalog"
)

func codes(vs []catalog.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Code)
	}
	sort.Strings(out)
	return out
}

func ruleIDs(vs []catalog.Violation) []string {
	var out []string
	for _, v := range vs {
		if v.Rule != "" {
			out = append(out, v.Rule)
		}
	}
	sort.Strings(out)
	return out
}

func buy(parts ...string) []catalog.Purchase {
	var out []catalog.Purchase
	for _, p := range parts {
		out = append(out, catalog.Purchase{SKU: p, Term: "annual", Channel: "direct"})
	}
	return out
}

func TestCheckPurchase(t *testing.T) {
	c := loadM365(t)
	us := catalog.Org{Type: "commercial", Cloud: "global", Country: "US"}
	gb := catalog.Org{Type: "commercial", Cloud: "global", Country: "GB"}
	tests := []struct {
		name      string
		org       catalog.Org
		owned     []catalog.Purchase
		p         catalog.Purchase
		wantCodes []string
		wantRules []string
		wayOut    string // fragment of the first violation's WayOut
	}{
		{name: "E3 buys Phone System", org: us, owned: buy("ENTERPRISEPACK"), p: buy("MCOEV")[0]},
		{name: "E3 with Phone System buys a Calling Plan", org: us, owned: buy("ENTERPRISEPACK", "MCOEV"), p: buy("MCOPSTN1")[0]},
		{name: "E5 buys a Calling Plan", org: us, owned: buy("ENTERPRISEPREMIUM"), p: buy("MCOPSTN2")[0]},
		{name: "SfB Plan 2 buys Phone System", org: us, owned: buy("MCOSTANDARD"), p: buy("MCOEV")[0]},
		{name: "E3 buys a Calling Plan before Phone System", org: us, owned: buy("ENTERPRISEPACK"), p: buy("MCOPSTN1")[0],
			wantCodes: []string{"PrerequisiteMissing"}, wantRules: []string{"prereq-calling-plan-needs-phone-system"}, wayOut: "Phone System (MCOEV)"},
		{name: "Business Premium buys Phone System", org: us, owned: buy("O365_BUSINESS_PREMIUM"), p: buy("MCOEV")[0],
			wantCodes: []string{"AddOnNotAllowedForBase"}, wantRules: []string{"bar-business-premium-cloud-voice"},
			wayOut: "switch to Office 365 Enterprise E5 (ENTERPRISEPREMIUM) or Office 365 Enterprise E3 (ENTERPRISEPACK) or Office 365 Enterprise E1 (STANDARDPACK)"},
		{name: "Business Premium and E3 buy Phone System", org: us, owned: buy("O365_BUSINESS_PREMIUM", "ENTERPRISEPACK"), p: buy("MCOEV")[0]},
		{name: "Business Premium and Exchange Plan 2 buy Phone System", org: us, owned: buy("O365_BUSINESS_PREMIUM", "EXCHANGEENTERPRISE"), p: buy("MCOEV")[0],
			wantCodes: []string{"AddOnNotAllowedForBase"}, wantRules: []string{"bar-business-premium-cloud-voice"}},
		{name: "Business Premium buys Audio Conferencing", org: us, owned: buy("O365_BUSINESS_PREMIUM"), p: buy("MCOMEETADV")[0]},
		{name: "ProPlus buys Audio Conferencing", org: us, owned: buy("OFFICESUBSCRIPTION"), p: buy("MCOMEETADV")[0]},
		{name: "ProPlus buys Phone System", org: us, owned: buy("OFFICESUBSCRIPTION"), p: buy("MCOEV")[0],
			wantCodes: []string{"AddOnNotAllowedForBase", "PrerequisiteMissing"}, wantRules: []string{"bar-proplus-cloud-voice", "prereq-phone-system-needs-sfb-plan2"}},
		{name: "E5 without Audio Conferencing buys Audio Conferencing", org: us, owned: buy("ENTERPRISEPREMIUM_NOPSTNCONF"), p: buy("MCOMEETADV")[0],
			wantCodes: []string{"AddOnNotAllowedForBase"}, wantRules: []string{"bar-e5-nopstnconf-audio-conferencing"}, wayOut: "ENTERPRISEPREMIUM"},
		{name: "Business Premium through GoDaddy buys Audio Conferencing", org: us,
			owned: []catalog.Purchase{{SKU: "O365_BUSINESS_PREMIUM", Term: "annual", Channel: "reseller:GoDaddy"}}, p: buy("MCOMEETADV")[0],
			wantCodes: []string{"ChannelRestriction"}, wantRules: []string{"bar-godaddy-business-premium-addons"}, wayOut: "ENTERPRISEPACK"},
		{name: "Business Premium through GoDaddy buys Phone System", org: us,
			owned: []catalog.Purchase{{SKU: "O365_BUSINESS_PREMIUM", Term: "annual", Channel: "reseller:godaddy"}}, p: buy("MCOEV")[0],
			wantCodes: []string{"AddOnNotAllowedForBase", "ChannelRestriction"}, wantRules: []string{"bar-business-premium-cloud-voice", "bar-godaddy-business-premium-addons"}},
		{name: "E3 through GoDaddy", org: us, p: catalog.Purchase{SKU: "ENTERPRISEPACK", Term: "annual", Channel: "reseller:GoDaddy"},
			wantCodes: []string{"ChannelRestriction"}, wantRules: []string{"channel-godaddy-no-e3"}},
		{name: "E3 through another reseller", org: us, p: catalog.Purchase{SKU: "ENTERPRISEPACK", Term: "annual", Channel: "reseller:Contoso"}},
		{name: "monthly E3 buys Phone System", org: us, owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK", Term: "monthly", Channel: "direct"}}, p: buy("MCOEV")[0],
			wantCodes: []string{"TermRestriction"}, wantRules: []string{"term-addons-need-annual-base"}, wayOut: "annual"},
		{name: "US org buys the 120-minute plan", org: us, owned: buy("ENTERPRISEPREMIUM"), p: buy("MCOPSTN5")[0],
			wantCodes: []string{"NotAvailable"}, wantRules: []string{"avail-small-calling-plans-not-us"}},
		{name: "GB org buys the 240-minute plan", org: gb, owned: buy("ENTERPRISEPREMIUM"), p: buy("MCOPSTN6")[0]},
		{name: "21Vianet org buys Phone System", org: catalog.Org{Type: "commercial", Cloud: "21vianet", Country: "CN"}, owned: buy("ENTERPRISEPACK"), p: buy("MCOEV")[0],
			wantCodes: []string{"NotAvailable"}, wantRules: []string{"avail-voice-global-cloud"}},
		{name: "EDU org buys Phone System", org: catalog.Org{Type: "edu", Country: "US"}, owned: buy("ENTERPRISEPACK"), p: buy("MCOEV")[0]},
		{name: "GCC org buys a Calling Plan", org: catalog.Org{Type: "gcc", Country: "US"}, owned: buy("ENTERPRISEPACK", "MCOEV"), p: buy("MCOPSTN1")[0]},
		{name: "unknown org type", org: catalog.Org{Type: "club", Country: "US"}, owned: buy("ENTERPRISEPACK"), p: buy("MCOEV")[0],
			wantCodes: []string{"NotAvailable"}, wantRules: []string{"avail-voice-org-types"}},
		{name: "credits without Audio Conferencing or a Calling Plan", org: us, owned: buy("ENTERPRISEPACK", "MCOEV"), p: buy("MCOPSTNC")[0],
			wantCodes: []string{"PrerequisiteMissing"}, wantRules: []string{"prereq-communications-credits"}},
		{name: "credits with Audio Conferencing", org: us, owned: buy("ENTERPRISEPACK", "MCOMEETADV"), p: buy("MCOPSTNC")[0]},
		{name: "credits with Phone System and a Calling Plan", org: us, owned: buy("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"), p: buy("MCOPSTNC")[0]},
		{name: "credits on E5", org: us, owned: buy("ENTERPRISEPREMIUM"), p: buy("MCOPSTNC")[0]},
		{name: "add-on without a base", org: us, p: buy("MCOMEETADV")[0],
			wantCodes: []string{"PrerequisiteMissing", "PrerequisiteMissing"}, wantRules: []string{"prereq-audio-conferencing-base"}},
		{name: "unknown SKU", org: us, p: buy("NOPE")[0], wantCodes: []string{"UnknownSKU"}},
		{name: "bad term and channel", org: us, owned: buy("ENTERPRISEPACK"), p: catalog.Purchase{SKU: "MCOEV", Term: "weekly", Channel: "friend"},
			wantCodes: []string{"InvalidPurchase", "InvalidPurchase"}},
		{name: "defaults read as annual and direct", org: us, owned: []catalog.Purchase{{SKU: "ENTERPRISEPACK"}}, p: catalog.Purchase{SKU: "MCOEV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := c.CheckPurchase(tt.org, tt.owned, tt.p)
			if got := codes(vs); !reflect.DeepEqual(got, tt.wantCodes) {
				t.Fatalf("codes: got %v, want %v\n%+v", got, tt.wantCodes, vs)
			}
			if tt.wantRules != nil {
				if got := ruleIDs(vs); !reflect.DeepEqual(got, tt.wantRules) {
					t.Errorf("rules: got %v, want %v", got, tt.wantRules)
				}
			}
			for _, v := range vs {
				if v.Message == "" || v.WayOut == "" || v.SKU == "" {
					t.Errorf("incomplete violation %+v", v)
				}
				if v.Rule != "" && v.Source == "" {
					t.Errorf("violation of rule %s without source", v.Rule)
				}
			}
			if tt.wayOut != "" && !strings.Contains(vs[0].WayOut, tt.wayOut) {
				t.Errorf("way out: got %q, want it to contain %q", vs[0].WayOut, tt.wayOut)
			}
		})
	}
}

func TestCheckAssignment(t *testing.T) {
	c := loadM365(t)
	org := catalog.Org{Type: "commercial", Cloud: "global", Country: "US"}
	all := []string{}
	for _, s := range c.SKUs() {
		all = append(all, s.Part)
	}
	person := catalog.User{UsageLocation: "US"}
	add := func(parts ...string) catalog.Change {
		var ch catalog.Change
		for _, p := range parts {
			ch.Add = append(ch.Add, catalog.Assigned{SKU: p})
		}
		return ch
	}
	lic := func(parts ...string) []catalog.Assigned {
		return add(parts...).Add
	}
	tests := []struct {
		name      string
		org       catalog.Org
		purchased []string
		user      catalog.User
		current   []catalog.Assigned
		change    catalog.Change
		want      []string // SKUs of the result, in order, when no violation
		wantCodes []string
		wantRules []string
		message   string
	}{
		{name: "E3, Phone System and a Calling Plan in one request", user: person,
			change: add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"), want: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}},
		{name: "Calling Plan after Phone System", user: person, current: lic("ENTERPRISEPACK", "MCOEV"),
			change: add("MCOPSTN2"), want: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN2"}},
		{name: "adding an SKU the user has is idempotent", user: person, current: lic("ENTERPRISEPACK"),
			change: add("ENTERPRISEPACK"), want: []string{"ENTERPRISEPACK"}},
		{name: "removing an SKU the user lacks is a no-op", user: person, current: lic("ENTERPRISEPACK"),
			change: catalog.Change{Remove: []string{"MCOEV"}}, want: []string{"ENTERPRISEPACK"}},
		{name: "removing everything", user: person, current: lic("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"),
			change: catalog.Change{Remove: []string{"MCOPSTN1", "MCOEV", "ENTERPRISEPACK"}}, want: []string{}},
		{name: "hybrid user gets Phone System only", user: catalog.User{UsageLocation: "US", OnPremisesPSTN: true},
			change: add("ENTERPRISEPACK", "MCOEV"), want: []string{"ENTERPRISEPACK", "MCOEV"}},
		{name: "room gets SfB Plan 1", user: catalog.User{UsageLocation: "FR", Kind: "room"},
			change: add("MCOIMP"), want: []string{"MCOIMP"}},
		{name: "120-minute plan outside the US", user: catalog.User{UsageLocation: "GB"}, current: lic("ENTERPRISEPREMIUM"),
			change: add("MCOPSTN5"), want: []string{"ENTERPRISEPREMIUM", "MCOPSTN5"}},

		{name: "Calling Plan without Phone System", user: person, current: lic("ENTERPRISEPACK"), change: add("MCOPSTN1"),
			wantCodes: []string{"DependencyViolation"}, wantRules: []string{"dep-calling-plan-needs-phone-system"},
			message: "Domestic Calling Plan (MCOPSTN1) requires Phone System (MCOEV)"},
		{name: "Audio Conferencing without SfB Plan 2", user: person, current: lic("OFFICESUBSCRIPTION"), change: add("MCOMEETADV"),
			wantCodes: []string{"DependencyViolation"}, wantRules: []string{"dep-audio-conferencing-needs-sfb-plan2"}},
		{name: "Calling Plan on E5 with Phone System disabled", user: person,
			change:    catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPREMIUM", DisabledPlans: []string{"MCOEV"}}, {SKU: "MCOPSTN1"}}},
			wantCodes: []string{"DependencyViolation"}},
		{name: "removing Phone System under a Calling Plan", user: person, current: lic("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"),
			change: catalog.Change{Remove: []string{"MCOEV"}}, wantCodes: []string{"DependencyViolation"}, message: "would leave"},
		{name: "disabling SfB on E5 breaks Phone System and Audio Conferencing", user: person, current: lic("ENTERPRISEPREMIUM"),
			change:    catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPREMIUM", DisabledPlans: []string{"MCOSTANDARD"}}}},
			wantCodes: []string{"DependencyViolation", "DependencyViolation"}},
		{name: "two Calling Plans", user: person, current: lic("ENTERPRISEPREMIUM", "MCOPSTN1"), change: add("MCOPSTN2"),
			wantCodes: []string{"MutuallyExclusiveViolation"}, wantRules: []string{"excl-one-calling-plan"}},
		{name: "hybrid user gets a Calling Plan", user: catalog.User{UsageLocation: "US", OnPremisesPSTN: true},
			current: lic("ENTERPRISEPACK", "MCOEV"), change: add("MCOPSTN1"),
			wantCodes: []string{"HybridCallingPlanViolation"}, wantRules: []string{"hybrid-no-calling-plan"}},
		{name: "no usage location", user: catalog.User{}, change: add("ENTERPRISEPACK"),
			wantCodes: []string{"ProhibitedInUsageLocationViolation"}, message: "a user needs a usage location before any license"},
		{name: "malformed usage location", user: catalog.User{UsageLocation: "usa"}, change: add("ENTERPRISEPACK"),
			wantCodes: []string{"ProhibitedInUsageLocationViolation"}},
		{name: "120-minute plan in the US", user: person, current: lic("ENTERPRISEPREMIUM"), change: add("MCOPSTN5"),
			wantCodes: []string{"ProhibitedInUsageLocationViolation"}, wantRules: []string{"avail-small-calling-plans-not-us"}},
		{name: "Phone System in the 21Vianet cloud", org: catalog.Org{Cloud: "21vianet", Country: "CN"}, user: catalog.User{UsageLocation: "CN"},
			current: lic("ENTERPRISEPACK"), change: add("MCOEV"),
			wantCodes: []string{"ProhibitedInUsageLocationViolation"}, wantRules: []string{"avail-voice-global-cloud"}},
		{name: "not purchased", purchased: []string{"ENTERPRISEPACK"}, user: person, current: lic("ENTERPRISEPACK"), change: add("MCOEV"),
			wantCodes: []string{"NotPurchased"}},
		{name: "disabling a plan the SKU lacks", user: person,
			change:    catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK", DisabledPlans: []string{"MCOEV"}}}},
			wantCodes: []string{"InvalidDisabledPlan"}},
		{name: "unknown SKU", user: person, change: add("NOPE"), wantCodes: []string{"UnknownSKU"}},
		{name: "added and removed at once", user: person, current: lic("ENTERPRISEPACK"),
			change: catalog.Change{Add: lic("ENTERPRISEPACK"), Remove: []string{"ENTERPRISEPACK"}}, wantCodes: []string{"InvalidChange"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.org == (catalog.Org{}) {
				tt.org = org
			}
			if tt.purchased == nil {
				tt.purchased = all
			}
			got, vs := c.CheckAssignment(tt.org, tt.purchased, tt.user, tt.current, tt.change)
			if gotCodes := codes(vs); !reflect.DeepEqual(gotCodes, tt.wantCodes) {
				t.Fatalf("codes: got %v, want %v\n%+v", gotCodes, tt.wantCodes, vs)
			}
			if tt.wantCodes != nil {
				if got != nil {
					t.Errorf("got a result %v along with violations", got)
				}
				if tt.wantRules != nil {
					if r := ruleIDs(vs); !reflect.DeepEqual(r, tt.wantRules) {
						t.Errorf("rules: got %v, want %v", r, tt.wantRules)
					}
				}
				if tt.message != "" && !strings.Contains(vs[0].Message, tt.message) {
					t.Errorf("message: got %q, want it to contain %q", vs[0].Message, tt.message)
				}
				for _, v := range vs {
					if v.Message == "" || v.WayOut == "" {
						t.Errorf("incomplete violation %+v", v)
					}
				}
				return
			}
			var parts []string
			for _, a := range got {
				parts = append(parts, a.SKU)
			}
			if parts == nil {
				parts = []string{}
			}
			if !reflect.DeepEqual(parts, tt.want) {
				t.Errorf("result: got %v, want %v", parts, tt.want)
			}
		})
	}
}

func TestCheckAssignmentDoesNotAlias(t *testing.T) {
	c := loadM365(t)
	disabled := []string{"MCOMEETADV"}
	change := catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPREMIUM", DisabledPlans: disabled}}}
	got, vs := c.CheckAssignment(catalog.Org{}, []string{"ENTERPRISEPREMIUM"}, catalog.User{UsageLocation: "DE"}, nil, change)
	if vs != nil {
		t.Fatal(vs)
	}
	got[0].DisabledPlans[0] = "changed"
	if disabled[0] != "MCOMEETADV" {
		t.Error("the result shares DisabledPlans with the request")
	}
}
