package advisor_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

func m365(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(catalogs.M365TeamsFile, catalogs.M365Teams())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// expect is an answer as a test states it.
type expect struct {
	status    string
	buy       []string            // purchases on the current plan, in order
	unordered bool                // the source gives no order for buy
	after     map[string]string   // SKU → the earlier purchase a purchase rule makes it wait for
	switches  map[string][]string // plan to switch to → the purchases still needed on it, in order
	external  []string            // non-purchase alternatives that must be offered (feasible)
}

// addOnCase is one row of one table of seed 003, "Which add-on licenses do I need to buy to get
// more features?", asked for one plan of the table's family. want is the seed's cell; where the
// catalog's rules answer otherwise, differs says why and got is the advisor's answer then.
type addOnCase struct {
	table, plan, row string
	features         []string
	want             expect
	differs          string
	got              *expect
}

const (
	tablePremium = "Business Premium, ProPlus, or SfB Online Plan 2"
	tableE1E3E4  = "Enterprise E1, E3 and E4"
	tableE5NoAC  = "Enterprise E5 (without Audio Conferencing)"
	tableE5      = "Enterprise E5"
	guidanceBP   = "Guidance for Business Premium customers"
)

// seedAddOnCases encodes seed 003's tables cell by cell, for every plan each table names.
func seedAddOnCases() []addOnCase {
	var cases []addOnCase
	// Table 1: Business Premium, ProPlus, SfB Online Plan 2.
	// "Audio Conferencing: the Audio Conferencing add-on; Microsoft becomes your provider."
	// "Toll-free numbers ... and dial-out from a conference: Communications Credits" — which,
	// per "How to set up Communications Credits", need Audio Conferencing first.
	// "Phone System: 1. switch to another plan (with ProPlus or SfB Plan 2 we recommend E5; on E1
	// or E3 you will see the Phone System add-on) 2. Phone System 3. Calling Plans, or your
	// existing carrier."
	// "Calling Plans: 1. switch 2. Phone System 3. a Calling Plan, only after Phone System."
	switchVoice := map[string][]string{"ENTERPRISEPREMIUM": {}, "ENTERPRISEPACK": {"MCOEV"}, "STANDARDPACK": {"MCOEV"}}
	switchCalling := map[string][]string{"ENTERPRISEPREMIUM": {"MCOPSTN1"}, "ENTERPRISEPACK": {"MCOEV", "MCOPSTN1"}, "STANDARDPACK": {"MCOEV", "MCOPSTN1"}}
	for _, plan := range []string{"O365_BUSINESS_PREMIUM", "OFFICESUBSCRIPTION", "MCOSTANDARD"} {
		ac := addOnCase{table: tablePremium, plan: plan, row: "Audio Conferencing", features: []string{"audio-conferencing"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOMEETADV"}}}
		tf := addOnCase{table: tablePremium, plan: plan, row: "Toll-free numbers and dial-out", features: []string{"toll-free-dial-in", "meeting-dial-out"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOMEETADV", "MCOPSTNC"}, after: map[string]string{"MCOPSTNC": "MCOMEETADV"}}}
		ps := addOnCase{table: tablePremium, plan: plan, row: "Phone System", features: []string{"phone-system"},
			want: expect{status: advisor.StatusSwitch, switches: switchVoice}}
		psc := addOnCase{table: tablePremium, plan: plan, row: "Phone System, with its Calling Plan or carrier", features: []string{"pstn-calling-domestic"},
			want: expect{status: advisor.StatusSwitch, switches: switchCalling}}
		cp := addOnCase{table: tablePremium, plan: plan, row: "Calling Plans", features: []string{"pstn-calling-domestic"},
			want: expect{status: advisor.StatusSwitch, switches: switchCalling}}
		switch plan {
		case "MCOSTANDARD":
			// The note under the table: with SfB Online Plan 2, a third-party provider instead.
			ac.want.external = []string{"third-party-audio-conferencing"}
			why := "the same section's IMPORTANT note says Phone System and Calling Plans can be bought with SfB Online Plan 2 (and the room table pairs SfB Plan 2 with Phone System); the catalog follows the note, so the add-ons are offered and E5 is the bundle to compare with"
			ps.differs, ps.got = why, &expect{status: advisor.StatusBuy, buy: []string{"MCOEV"}, switches: map[string][]string{"ENTERPRISEPREMIUM": {}}}
			psc.differs, psc.got = why, &expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "MCOPSTN1"}, after: map[string]string{"MCOPSTN1": "MCOEV"},
				switches: map[string][]string{"ENTERPRISEPREMIUM": {"MCOPSTN1"}}, external: []string{"existing-carrier"}}
			cp.differs, cp.got = why, psc.got
		case "OFFICESUBSCRIPTION":
			why := "the catalog's ProPlus SKU has no Skype for Business Online plan, and Audio Conferencing depends on SfB Online Plan 2 on the user (reference: \"Audio Conferencing needs the Skype plan\"), so SfB Online Plan 2 is bought first"
			ac.differs, ac.got = why, &expect{status: advisor.StatusBuy, buy: []string{"MCOSTANDARD", "MCOMEETADV"}, unordered: true}
			tf.differs, tf.got = why, &expect{status: advisor.StatusBuy, buy: []string{"MCOSTANDARD", "MCOMEETADV", "MCOPSTNC"}, after: map[string]string{"MCOPSTNC": "MCOMEETADV"}}
		}
		cases = append(cases, ac, tf, ps, psc, cp)
	}

	// Table 2: Enterprise E1, E3 and E4.
	// "Phone System: 1. the Phone System add-on 2. Calling Plans: buy a Calling Plan, or use your
	// existing carrier." "Phone System voicemail: for E1 and E4, buy Exchange Online Plan 2, or
	// choose a suite that comes with it, such as E3." "Calling Plans: 1. Phone System 2. a
	// Calling Plan, only after Phone System." Note: a third-party audio conferencing provider.
	for _, plan := range []string{"STANDARDPACK", "ENTERPRISEPACK", "ENTERPRISEWITHSCAL"} {
		vm := addOnCase{table: tableE1E3E4, plan: plan, row: "Phone System voicemail", features: []string{"phone-system-voicemail"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOEV"}}}
		if plan != "ENTERPRISEPACK" {
			vm.want = expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "EXCHANGEENTERPRISE"}, unordered: true,
				switches: map[string][]string{"ENTERPRISEPACK": {"MCOEV"}}}
		}
		cases = append(cases,
			addOnCase{table: tableE1E3E4, plan: plan, row: "Audio Conferencing", features: []string{"audio-conferencing"},
				want: expect{status: advisor.StatusBuy, buy: []string{"MCOMEETADV"}, external: []string{"third-party-audio-conferencing"}}},
			addOnCase{table: tableE1E3E4, plan: plan, row: "Toll-free numbers and dial-out", features: []string{"toll-free-dial-in", "meeting-dial-out"},
				want: expect{status: advisor.StatusBuy, buy: []string{"MCOMEETADV", "MCOPSTNC"}, after: map[string]string{"MCOPSTNC": "MCOMEETADV"}}},
			addOnCase{table: tableE1E3E4, plan: plan, row: "Phone System", features: []string{"phone-system"},
				want: expect{status: advisor.StatusBuy, buy: []string{"MCOEV"}}},
			addOnCase{table: tableE1E3E4, plan: plan, row: "Phone System, with its Calling Plan or carrier", features: []string{"pstn-calling-domestic"},
				want: expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "MCOPSTN1"}, external: []string{"existing-carrier"}}},
			vm,
			addOnCase{table: tableE1E3E4, plan: plan, row: "Calling Plans", features: []string{"pstn-calling-domestic"},
				want: expect{status: advisor.StatusBuy, buy: []string{"MCOEV", "MCOPSTN1"}, after: map[string]string{"MCOPSTN1": "MCOEV"}}},
		)
	}

	// Table 3: E5 without Audio Conferencing.
	// "Audio Conferencing: where it is not available, a third-party provider; where it is, the
	// switch plans button to the E5 that includes it." "Phone System is included! Calling
	// Plans: buy a Calling Plan, or your existing carrier." "Phone System voicemail is included."
	e5nc := "ENTERPRISEPREMIUM_NOPSTNCONF"
	cases = append(cases,
		addOnCase{table: tableE5NoAC, plan: e5nc, row: "Audio Conferencing", features: []string{"audio-conferencing"},
			want: expect{status: advisor.StatusSwitch, switches: map[string][]string{"ENTERPRISEPREMIUM": {}}, external: []string{"third-party-audio-conferencing"}}},
		addOnCase{table: tableE5NoAC, plan: e5nc, row: "Phone System is included", features: []string{"phone-system"},
			want: expect{status: advisor.StatusSatisfied}},
		addOnCase{table: tableE5NoAC, plan: e5nc, row: "Phone System is included: Calling Plans", features: []string{"pstn-calling-domestic"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOPSTN1"}, external: []string{"existing-carrier"}}},
		addOnCase{table: tableE5NoAC, plan: e5nc, row: "Phone System voicemail is included", features: []string{"phone-system-voicemail"},
			want: expect{status: advisor.StatusSatisfied}},
	)

	// Table 4: E5. "Audio Conferencing is included!" "Toll-free numbers and dial-out:
	// Communications Credits." "Phone System and voicemail are included! Calling Plans: buy a
	// Calling Plan, or your existing carrier."
	e5 := "ENTERPRISEPREMIUM"
	cases = append(cases,
		addOnCase{table: tableE5, plan: e5, row: "Audio Conferencing is included", features: []string{"audio-conferencing"},
			want: expect{status: advisor.StatusSatisfied}},
		addOnCase{table: tableE5, plan: e5, row: "Toll-free numbers and dial-out", features: []string{"toll-free-dial-in", "meeting-dial-out"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOPSTNC"}}},
		addOnCase{table: tableE5, plan: e5, row: "Phone System and voicemail are included", features: []string{"phone-system", "phone-system-voicemail"},
			want: expect{status: advisor.StatusSatisfied}},
		addOnCase{table: tableE5, plan: e5, row: "Phone System and voicemail are included: Calling Plans", features: []string{"pstn-calling-domestic"},
			want: expect{status: advisor.StatusBuy, buy: []string{"MCOPSTN1"}, external: []string{"existing-carrier"}}},
	)

	// "Guidance for Office 365 Business Premium plan customers": option 1, the free Skype app;
	// option 2, switch (evaluate E5, or E3), buy Phone System, then a Calling Plan.
	cases = append(cases, addOnCase{table: guidanceBP, plan: "O365_BUSINESS_PREMIUM", row: "Calls with people outside the business", features: []string{"pstn-calling-domestic"},
		want: expect{status: advisor.StatusSwitch, switches: switchCalling, external: []string{"skype-app"}}})
	return cases
}

func TestSeed003AddOnTables(t *testing.T) {
	c := m365(t)
	org := catalog.Org{Country: "US"}
	cases := seedAddOnCases()
	if len(cases) != 42 {
		t.Fatalf("%d cases; the seed's tables give 42 (plan × row) questions", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.table+"/"+tc.plan+"/"+tc.row, func(t *testing.T) {
			a, err := advisor.Advise(c, advisor.ForPlan(org, tc.plan, tc.features...))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if tc.differs != "" {
				t.Logf("seed: %+v; the catalog answers otherwise: %s", tc.want, tc.differs)
				want = *tc.got
			}
			checkAnswer(t, a, want)
		})
	}
}

// checkAnswer compares an answer with what a test expects of it.
func checkAnswer(t *testing.T, a advisor.Answer, want expect) {
	t.Helper()
	if a.Status != want.status {
		t.Fatalf("status %q (%s), want %q; answer: %s", a.Status, a.Reason, want.status, describe(a))
	}
	if want.status == advisor.StatusSatisfied && (a.Satisfied == nil || len(a.Satisfied.Uses) == 0) {
		t.Errorf("satisfied without naming what satisfies it: %+v", a.Satisfied)
	}
	var got []string
	if a.Buy != nil {
		got = a.Buy.SKUs()
	}
	if !sameSKUs(got, want.buy, want.unordered) {
		t.Errorf("buy %v, want %v (ordered: %v)", got, want.buy, !want.unordered)
	}
	for sku, before := range want.after {
		st := step(a.Buy, sku)
		if st == nil || !slices.Contains(st.After, before) || st.Rule == "" {
			t.Errorf("%s should wait for %s by a prerequisite rule; step: %+v", sku, before, st)
		}
	}
	for to, buys := range want.switches {
		p := switchTo(a, to)
		if p == nil {
			t.Errorf("no switch to %s; answer: %s", to, describe(a))
			continue
		}
		var steps []string
		for _, s := range p.Steps {
			steps = append(steps, s.SKU)
		}
		if !sameSKUs(steps, buys, false) {
			t.Errorf("after switching to %s, buy %v, want %v", to, steps, buys)
		}
	}
	for _, x := range want.external {
		found := false
		for _, p := range a.Alternatives {
			for _, e := range p.External {
				if e.ID == x && p.Feasible() {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("alternative %s not offered; answer: %s", x, describe(a))
		}
	}
}

func sameSKUs(got, want []string, unordered bool) bool {
	if unordered {
		got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	}
	return slices.Equal(got, want)
}

func step(p *advisor.Path, sku string) *advisor.Step {
	if p == nil {
		return nil
	}
	for i := range p.Steps {
		if p.Steps[i].SKU == sku {
			return &p.Steps[i]
		}
	}
	return nil
}

func switchTo(a advisor.Answer, sku string) *advisor.Path {
	for i := range a.Switch {
		if a.Switch[i].Switch.SKU == sku {
			return &a.Switch[i]
		}
	}
	return nil
}

// describe renders an answer on one line for failure messages.
func describe(a advisor.Answer) string {
	var b strings.Builder
	b.WriteString(a.Status)
	if a.Buy != nil {
		b.WriteString(" buy=" + strings.Join(a.Buy.SKUs(), ",") + " " + a.Buy.Cost.String())
	}
	for _, p := range a.Switch {
		b.WriteString("; switch " + strings.Join(p.SKUs(), ",") + " " + p.Cost.String())
	}
	for _, p := range a.Options {
		for _, bl := range p.Blocked {
			b.WriteString("; blocked " + bl.Code + " " + bl.Rule + " " + bl.SKU)
		}
	}
	for _, p := range a.Alternatives {
		for _, e := range p.External {
			b.WriteString("; alt " + e.ID)
		}
	}
	return b.String()
}
