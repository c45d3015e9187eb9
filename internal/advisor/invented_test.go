package advisor_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// northwind is an invented vendor with its own plans, prerequisites, bars, availability, terms
// and prices — nothing like Microsoft's. The SKUs are listed in an order that is NOT the order
// the prerequisites ask for, and here the bundle is cheaper than the add-ons: the advisor's
// answers below can only come from these rules.
const northwind = `
name: northwind-cloud
description: Northwind Cloud workspace, voice and meeting licensing (invented for tests).
org_types: [business, edu]
families:
  - id: starter
    name: Northwind Starter
  - id: team
    name: Northwind Team
plans:
  - {id: NW_TALK, name: Talk (chat only)}
  - {id: NW_CORE, name: Workspace core}
  - {id: NW_VOICE, name: Cloud voice}
  - {id: NW_LINES, name: Phone lines}
  - {id: NW_RECORD, name: Call recording}
  - {id: NW_BRIDGE, name: Dial-in bridge}
externals:
  - {id: sip-trunk, name: Your own SIP trunk}
skus:
  - {part: NW_RECORD, name: Call Recording, kind: addon, monthly_price: {amount: 200, currency: EUR}, plans: [NW_RECORD]}
  - {part: NW_LINES_WORLD, name: Phone Lines World, kind: addon, monthly_price: {amount: 900, currency: EUR}, plans: [NW_LINES]}
  - {part: NW_LINES_EU, name: Phone Lines EU, kind: addon, monthly_price: {amount: 300, currency: EUR}, plans: [NW_LINES]}
  - {part: NW_VOICE, name: Cloud Voice, kind: addon, monthly_price: {amount: 700, currency: EUR}, plans: [NW_VOICE]}
  - {part: NW_BRIDGE, name: Dial-in Bridge, kind: addon, monthly_price: {amount: 400, currency: EUR}, plans: [NW_BRIDGE]}
  - {part: NW_STARTER, name: Northwind Starter, kind: base, family: starter, monthly_price: {amount: 300, currency: EUR}, plans: [NW_TALK]}
  - {part: NW_TEAM, name: Northwind Team, kind: base, family: team, monthly_price: {amount: 1000, currency: EUR}, plans: [NW_CORE]}
  - {part: NW_TEAM_PLUS, name: Northwind Team Plus, kind: base, family: team, monthly_price: {amount: 1500, currency: EUR}, plans: [NW_CORE, NW_VOICE, NW_BRIDGE]}
rules:
  prerequisites:
    - {id: nw-record-needs-lines, skus: [NW_RECORD], any_of: [[NW_LINES]]}
    - {id: nw-lines-need-voice, skus: [NW_LINES_EU, NW_LINES_WORLD], any_of: [[NW_VOICE]]}
    - {id: nw-voice-needs-core, skus: [NW_VOICE], any_of: [[NW_CORE]]}
  addon_bars:
    - id: nw-starter-no-addons
      bases: [NW_STARTER]
      addons: [NW_VOICE, NW_BRIDGE, NW_LINES_EU, NW_LINES_WORLD, NW_RECORD]
      switch_to: [NW_TEAM_PLUS, NW_TEAM]
  terms:
    - {id: nw-bridge-annual, skus: [NW_BRIDGE], base_terms: [annual]}
  availability:
    - {id: nw-lines-eu-only, skus: [NW_LINES_EU], countries: [DE, FR, NL]}
    - {id: nw-lines-world-not-cn, skus: [NW_LINES_WORLD], not_countries: [CN]}
  dependencies:
    - {id: nw-dep-lines-voice, plans: [NW_LINES], any_of: [[NW_VOICE]]}
    - {id: nw-dep-record-lines, plans: [NW_RECORD], any_of: [[NW_LINES]]}
    - {id: nw-dep-voice-core, plans: [NW_VOICE], any_of: [[NW_CORE]]}
features:
  - id: chat
    name: Chat
    satisfied_by: [{plans: [NW_CORE]}, {plans: [NW_TALK]}]
  - id: call-recording
    name: Recorded phone calls
    satisfied_by: [{plans: [NW_RECORD]}]
  - id: phone-calls
    name: Phone calls
    satisfied_by: [{plans: [NW_VOICE, NW_LINES]}, {plans: [NW_VOICE], external: [sip-trunk]}]
  - id: dial-in
    name: Dial in to meetings
    satisfied_by: [{plans: [NW_CORE, NW_BRIDGE]}]
  - id: school-broadcast
    name: School broadcast
    org_types: [edu]
    satisfied_by: [{plans: [NW_CORE]}]
  - id: room-calls
    name: Room with a phone line
    for: [room]
    satisfied_by: [{plans: [NW_VOICE, NW_LINES]}]
room_scenarios:
  - id: room-calls
    name: A meeting room that places calls
    feature: room-calls
    columns:
      - have: [starter]
        options:
          - skus: [NW_TEAM, NW_VOICE, NW_LINES_EU]
      - have: [team]
        options:
          - skus: [NW_TEAM_PLUS]
`

func northwindCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load("northwind.yaml", []byte(northwind))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInventedCatalogFollowsItsOwnRules(t *testing.T) {
	c := northwindCatalog(t)
	de := catalog.Org{Country: "DE"}
	tests := []struct {
		name string
		q    advisor.Question
		want expect
		cost int64  // the recommended path's monthly cost, 0 to skip
		cmp  string // which is cheaper: add-ons or bundle; "" to skip
	}{
		// Three prerequisites chain Voice → Lines → Recording, against the catalog's listing order.
		{"chain of prerequisites, in Germany", advisor.ForPlan(de, "NW_TEAM", "call-recording"),
			expect{status: advisor.StatusBuy, buy: []string{"NW_VOICE", "NW_LINES_EU", "NW_RECORD"},
				after:    map[string]string{"NW_LINES_EU": "NW_VOICE", "NW_RECORD": "NW_LINES_EU"},
				switches: map[string][]string{"NW_TEAM_PLUS": {"NW_LINES_EU", "NW_RECORD"}}},
			1000 + 700 + 300 + 200, "bundle"},
		{"the EU lines are not sold in the US: the world lines instead", advisor.ForPlan(catalog.Org{Country: "US"}, "NW_TEAM", "call-recording"),
			expect{status: advisor.StatusBuy, buy: []string{"NW_VOICE", "NW_LINES_WORLD", "NW_RECORD"}},
			1000 + 700 + 900 + 200, "bundle"},
		{"no lines are sold in China: no recording", advisor.ForPlan(catalog.Org{Country: "CN"}, "NW_TEAM", "call-recording"),
			expect{status: advisor.StatusUnavailable}, 0, ""},
		{"no lines in China: your own SIP trunk", advisor.ForPlan(catalog.Org{Country: "CN"}, "NW_TEAM", "phone-calls"),
			expect{status: advisor.StatusExternal, external: []string{"sip-trunk"}}, 0, ""},
		{"phone calls: the bundle is cheaper here", advisor.ForPlan(de, "NW_TEAM", "phone-calls"),
			expect{status: advisor.StatusBuy, buy: []string{"NW_VOICE", "NW_LINES_EU"}, external: []string{"sip-trunk"},
				switches: map[string][]string{"NW_TEAM_PLUS": {"NW_LINES_EU"}}},
			1000 + 700 + 300, "bundle"},
		{"Starter is barred: switch to what the bar names", advisor.ForPlan(de, "NW_STARTER", "dial-in"),
			expect{status: advisor.StatusSwitch, switches: map[string][]string{"NW_TEAM_PLUS": {}, "NW_TEAM": {"NW_BRIDGE"}}}, 0, ""},
		{"monthly Team: the bridge needs an annual base", advisor.Question{Org: de, Owned: []catalog.Purchase{{SKU: "NW_TEAM", Term: "monthly"}}, Features: []string{"dial-in"}},
			expect{status: advisor.StatusSwitch, switches: map[string][]string{"NW_TEAM": {"NW_BRIDGE"}, "NW_TEAM_PLUS": {}}}, 0, ""},
		{"Team Plus has chat", advisor.ForPlan(de, "NW_TEAM_PLUS", "chat"), expect{status: advisor.StatusSatisfied}, 0, ""},
		{"Starter has chat through another option", advisor.ForPlan(de, "NW_STARTER", "chat"), expect{status: advisor.StatusSatisfied}, 0, ""},
		{"school broadcast is for edu only", advisor.ForPlan(de, "NW_TEAM", "school-broadcast"), expect{status: advisor.StatusUnavailable}, 0, ""},
		{"school broadcast for a school", advisor.ForPlan(catalog.Org{Type: "edu"}, "NW_TEAM", "school-broadcast"), expect{status: advisor.StatusSatisfied}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := advisor.Advise(c, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, a, tc.want)
			if tc.cost != 0 && (a.Buy == nil || a.Buy.Cost.Amount != tc.cost || a.Buy.Cost.Currency != "EUR") {
				t.Errorf("cost %+v, want %d EUR", a.Buy, tc.cost)
			}
			if tc.cmp != "" && (a.Comparison == nil || a.Comparison.Cheaper != tc.cmp || a.Comparison.BundleSKU != "NW_TEAM_PLUS") {
				t.Errorf("comparison %+v, want %s cheaper, against NW_TEAM_PLUS", a.Comparison, tc.cmp)
			}
		})
	}
}

func TestInventedCatalogSwitchDetails(t *testing.T) {
	c := northwindCatalog(t)
	a, err := advisor.Advise(c, advisor.ForPlan(catalog.Org{Country: "DE"}, "NW_STARTER", "dial-in"))
	if err != nil {
		t.Fatal(err)
	}
	// Cheapest first: Team + Bridge (1400) before Team Plus (1500); both named by the bar.
	if len(a.Switch) != 2 || a.Switch[0].Switch.SKU != "NW_TEAM" || a.Switch[0].Cost.Amount != 1400 || a.Switch[1].Cost.Amount != 1500 {
		t.Fatalf("switches %s, want NW_TEAM (14.00 EUR) then NW_TEAM_PLUS (15.00 EUR)", describe(a))
	}
	for _, p := range a.Switch {
		if p.Switch.Rule != "nw-starter-no-addons" || len(p.Drop) != 1 || p.Drop[0] != "NW_STARTER" {
			t.Errorf("switch %+v drop %v, want named by nw-starter-no-addons, dropping NW_STARTER", p.Switch, p.Drop)
		}
	}
	// The current plan's block names the bar and its way out.
	if len(a.Options) == 0 || len(a.Options[0].Blocked) == 0 || !strings.Contains(describe(a), "nw-starter-no-addons") {
		t.Errorf("no block by the bar: %s", describe(a))
	}
	// Errors name this catalog's features and plans, not anyone else's.
	_, err = advisor.Advise(c, advisor.ForPlan(catalog.Org{}, "ENTERPRISEPACK", "chat"))
	if err == nil || !strings.Contains(err.Error(), "NW_TEAM") || strings.Contains(err.Error(), "MCO") {
		t.Errorf("unknown plan: %v, want the Northwind plans named", err)
	}
	_, err = advisor.Advise(c, advisor.ForPlan(catalog.Org{}, "NW_TEAM", "audio-conferencing"))
	if err == nil || !strings.Contains(err.Error(), "call-recording") {
		t.Errorf("unknown feature: %v, want the Northwind features named", err)
	}
}

func TestInventedCatalogRooms(t *testing.T) {
	c := northwindCatalog(t)
	rooms, err := advisor.Rooms(c, catalog.Org{Country: "DE"}, "NW_STARTER")
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 1 || len(rooms[0].Columns) != 1 {
		t.Fatalf("rooms %+v, want the starter column of room-calls", rooms)
	}
	o := rooms[0].Columns[0].Options[0]
	var bought []string
	for _, s := range o.Buy {
		bought = append(bought, s.SKU)
	}
	if strings.Join(bought, ",") != "NW_TEAM,NW_VOICE,NW_LINES_EU" || !o.Checked || o.Cost.Amount != 2000 {
		t.Errorf("starter room: buy %v, satisfies %v, cost %v; want NW_TEAM,NW_VOICE,NW_LINES_EU satisfying, 20.00 EUR", bought, o.Checked, o.Cost)
	}
	// Team Plus has no phone lines: the rules add them.
	rooms, _ = advisor.Rooms(c, catalog.Org{Country: "DE"}, "team")
	o = rooms[0].Columns[0].Options[0]
	if o.Checked || len(o.RulesAdd) != 1 || o.RulesAdd[0].SKU != "NW_LINES_EU" {
		t.Errorf("team room: satisfies %v, rules add %+v; want NW_LINES_EU added", o.Checked, o.RulesAdd)
	}
	// In the US the EU lines are not sold: the table's option is blocked by that rule.
	rooms, _ = advisor.Rooms(c, catalog.Org{Country: "US"}, "starter")
	o = rooms[0].Columns[0].Options[0]
	if len(o.Blocked) == 0 || o.Blocked[0].Rule != "nw-lines-eu-only" {
		t.Errorf("US starter room: blocked %+v, want nw-lines-eu-only", o.Blocked)
	}
}
