package advisor_test

import (
	"slices"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// roomCell is one cell of seed 003's "Licensing for Skype Room Systems v2" table: a scenario
// (row) and what the organisation has (column, as a plan family), with the options the cell
// lists, written from the seed's words.
type roomCell struct {
	scenario, family string
	seed             string     // the cell, as the seed words it
	skus             [][]string // per option, the SKUs to buy for the room, in order
	external         [][]string // per option, the alternatives (on-premises licenses)
	optional         []string   // SKUs the cell calls optional
	rulesAdd         [][]string // per option, what the catalog's rules add; nil when the option suffices
	differs          string
}

var e1345 = [][]string{{"STANDARDPACK"}, {"ENTERPRISEPACK"}, {"ENTERPRISEWITHSCAL"}, {"ENTERPRISEPREMIUM"}}

var seedRoomCells = []roomCell{
	{scenario: "room-join-scheduled-meeting", family: "business", seed: "SfB standalone Plan 1", skus: [][]string{{"MCOIMP"}}},
	{scenario: "room-join-scheduled-meeting", family: "enterprise", seed: "E1, 3, 4 or 5", skus: e1345},
	{scenario: "room-join-scheduled-meeting", family: "sfb-server", seed: "SfB Server Standard CAL", external: [][]string{{"sfb-server-standard-cal"}}},
	{scenario: "room-ad-hoc-meeting", family: "proplus", seed: "SfB standalone Plan 2", skus: [][]string{{"MCOSTANDARD"}}},
	{scenario: "room-ad-hoc-meeting", family: "enterprise", seed: "E1, 3, 4 or 5", skus: e1345},
	{scenario: "room-ad-hoc-meeting", family: "sfb-server", seed: "SfB Server Standard CAL, SfB Server Enterprise CAL",
		external: [][]string{{"sfb-server-standard-cal", "sfb-server-enterprise-cal"}}},
	{scenario: "room-meeting-dial-out", family: "sfb", seed: "SfB standalone Plan 2 with Audio Conferencing; Communications Credits are optional",
		skus: [][]string{{"MCOSTANDARD", "MCOMEETADV"}}, optional: []string{"MCOPSTNC"}},
	{scenario: "room-meeting-dial-out", family: "enterprise", seed: "E1 or E3 with Audio Conferencing, OR E5",
		skus: [][]string{{"STANDARDPACK", "MCOMEETADV"}, {"ENTERPRISEPACK", "MCOMEETADV"}, {"ENTERPRISEPREMIUM"}}},
	{scenario: "room-meeting-dial-out", family: "sfb-server", seed: "SfB Standard CAL, SfB Server Enterprise CAL",
		external: [][]string{{"sfb-server-standard-cal", "sfb-server-enterprise-cal"}}},
	{scenario: "room-phone-number", family: "business", seed: "SfB standalone Plan 2 with Office 365 Phone System and a Calling Plan; Communications Credits are optional",
		skus: [][]string{{"MCOSTANDARD", "MCOEV", "MCOPSTN1"}}, optional: []string{"MCOPSTNC"}},
	{scenario: "room-phone-number", family: "enterprise", seed: "E1 or E3 with Office 365 Phone System and an Office 365 Calling Plan, OR E5",
		skus:     [][]string{{"STANDARDPACK", "MCOEV", "MCOPSTN1"}, {"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}, {"ENTERPRISEPREMIUM"}},
		rulesAdd: [][]string{nil, nil, {"MCOPSTN1"}},
		differs:  "the seed lists E5 alone; E5 includes Phone System but no Calling Plan (seed 003 § E5: \"Calling Plans: buy a Calling Plan\"), so the rules add one"},
	{scenario: "room-phone-number", family: "sfb-server", seed: "SfB Server Standard CAL, SfB Server Plus CAL",
		external: [][]string{{"sfb-server-standard-cal", "sfb-server-plus-cal"}}},
}

func TestSeed003RoomSystemsTable(t *testing.T) {
	c := m365(t)
	if len(seedRoomCells) != 12 {
		t.Fatalf("%d cells; the seed's table has 4 scenarios × 3 columns", len(seedRoomCells))
	}
	for _, cell := range seedRoomCells {
		t.Run(cell.scenario+"/"+cell.family, func(t *testing.T) {
			rooms, err := advisor.Rooms(c, catalog.Org{Country: "US"}, cell.family)
			if err != nil {
				t.Fatal(err)
			}
			var col *advisor.RoomColumn
			for _, r := range rooms {
				if r.ID == cell.scenario {
					if len(r.Columns) != 1 {
						t.Fatalf("%d columns for family %s, want 1", len(r.Columns), cell.family)
					}
					col = &r.Columns[0]
				}
			}
			if col == nil {
				t.Fatalf("scenario %s missing", cell.scenario)
			}
			n := max(len(cell.skus), len(cell.external))
			if len(col.Options) != n {
				t.Fatalf("%d options, want %d (%s)", len(col.Options), n, cell.seed)
			}
			if cell.differs != "" {
				t.Logf("seed: %s; %s", cell.seed, cell.differs)
			}
			for i, o := range col.Options {
				var want, ext, bought, added, opt []string
				if i < len(cell.skus) {
					want = cell.skus[i]
				}
				if i < len(cell.external) {
					ext = cell.external[i]
				}
				for _, s := range o.Buy {
					bought = append(bought, s.SKU)
				}
				if !slices.Equal(bought, want) || len(o.Blocked) > 0 {
					t.Errorf("option %d: buy %v (blocked %v), want %v in that order (%s)", i, bought, o.Blocked, want, cell.seed)
				}
				if got := ids(o.External); !slices.Equal(got, ext) {
					t.Errorf("option %d: alternatives %v, want %v", i, got, ext)
				}
				for _, r := range o.Optional {
					opt = append(opt, r.ID)
				}
				if !slices.Equal(opt, cell.optional) {
					t.Errorf("option %d: optional %v, want %v", i, opt, cell.optional)
				}
				var wantAdd []string
				if i < len(cell.rulesAdd) {
					wantAdd = cell.rulesAdd[i]
				}
				for _, s := range o.RulesAdd {
					added = append(added, s.SKU)
				}
				if o.Checked != (wantAdd == nil) || !slices.Equal(added, wantAdd) {
					t.Errorf("option %d: satisfies feature %v, rules add %v; want %v", i, o.Checked, added, wantAdd)
				}
			}
		})
	}
}

func ids(refs []advisor.Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.ID)
	}
	return out
}

func TestRoomsByPlanAndErrors(t *testing.T) {
	c := m365(t)
	rooms, err := advisor.Rooms(c, catalog.Org{}, "ENTERPRISEPACK")
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 4 {
		t.Fatalf("%d scenarios for E3, want 4", len(rooms))
	}
	for _, r := range rooms {
		if len(r.Columns) != 1 || r.Columns[0].Have[0].ID != "enterprise" {
			t.Errorf("%s: columns %+v, want only the enterprise column", r.ID, r.Columns)
		}
	}
	all, err := advisor.Rooms(c, catalog.Org{}, "")
	if err != nil || len(all) != 4 || len(all[0].Columns) != 3 {
		t.Fatalf("all rooms: %d scenarios (err %v), want 4 with 3 columns", len(all), err)
	}
	for _, tc := range []struct{ which, code string }{
		{"NOPE", licet.CodeUnknownFamily},
		{"MCOEV", ""}, // an add-on of the voice family: no column has it, so nothing is listed
	} {
		rs, err := advisor.Rooms(c, catalog.Org{}, tc.which)
		if tc.code == "" {
			if err != nil || len(rs) != 0 {
				t.Errorf("%s: %d scenarios, %v; want none and no error", tc.which, len(rs), err)
			}
			continue
		}
		if code := errCode(err); code != tc.code {
			t.Errorf("%s: error %v (code %q), want code %q", tc.which, err, code, tc.code)
		}
	}
	if _, err := advisor.Rooms(c, catalog.Org{Country: "XX"}, ""); errCode(err) != licet.EInvalid {
		t.Errorf("bad country: %v, want invalid", err)
	}
}
