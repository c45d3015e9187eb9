package console

import (
	"fmt"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

// Advisor: pick a plan and a feature from the catalog's lists and see what to buy, in which
// order, or what to switch to, with the cost comparison; then the room-system table. The answers
// come from package advisor, as `licet advise` prints them. The form is a GET: asking changes
// nothing, and an answer has a URL to share.

func init() {
	register(&page{ID: "advisor", Title: "Advisor", Path: "/advisor", Nav: 60, Load: loadAdvisor})
}

// advisorData is the advisor page.
type advisorData struct {
	Plans    []skuChoice
	Features []skuChoice
	Plan     string
	Feature  string
	Country  string
	Answer   *advisor.Answer
	Status   string // the answer in words
	Error    string
	Problem  *problem
	Blocked  []advisor.Block // the rules that forbid paths on the current plan, once each
	Compare  string          // the cost comparison in words
	Rooms    []roomRow
}

// roomRow is one way to license a room in one scenario and column of the room table.
type roomRow struct {
	Scenario, Name string
	First          bool // the first row of its scenario
	Have           string
	With           string
	Optional       string
	Cost           string
	Rules          string
	OK             bool
}

// answerStatus is each advisor status in words.
var answerStatus = map[string]string{
	advisor.StatusSatisfied:   "Already satisfied: nothing to buy.",
	advisor.StatusBuy:         "Buy add-ons on the current plan.",
	advisor.StatusSwitch:      "The current plan cannot get there: switch to another plan.",
	advisor.StatusExternal:    "Only an alternative outside the catalog works.",
	advisor.StatusUnavailable: "Not available to this organisation.",
}

func loadAdvisor(s *Server, c *reqCtx) (any, error) {
	cat, err := c.catalog()
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	d := advisorData{Plan: strings.TrimSpace(q.Get("plan")), Feature: strings.TrimSpace(q.Get("feature")), Country: strings.ToUpper(strings.TrimSpace(q.Get("country")))}
	for _, k := range cat.SKUs() {
		if k.Kind == catalog.KindBase {
			d.Plans = append(d.Plans, skuChoice{Part: k.Part, Label: k.Label()})
		}
	}
	for _, f := range cat.Features() {
		d.Features = append(d.Features, skuChoice{Part: f.ID, Label: f.Name})
	}
	if _, asked := q["plan"]; !asked && c.home != nil {
		d.Country = c.home.UsageLocation // a tenant admin asks for its own country
	}
	org := catalog.Org{Country: d.Country}
	if c.home != nil {
		org.Type, org.Cloud = c.home.OrgType, c.home.Cloud
	}
	if d.Plan != "" && d.Feature != "" {
		ans, err := advisor.Advise(cat, advisor.ForPlan(org, d.Plan, d.Feature))
		if err != nil {
			e := licet.AsError(err)
			if e.Code == licet.EInternal {
				return nil, err
			}
			if d.Problem = explain(e); d.Problem == nil {
				d.Error = e.Message
			}
		} else {
			d.Answer, d.Status = &ans, answerStatus[ans.Status]
			d.Blocked = blockedOnce(ans.Options)
			d.Compare = comparison(ans.Comparison)
		}
	}
	rooms, err := advisor.Rooms(cat, org, "")
	if err != nil {
		return nil, err
	}
	d.Rooms = roomRows(rooms)
	return d, nil
}

// blockedOnce lists the rules that block the options on the current plan, each once.
func blockedOnce(paths []advisor.Path) []advisor.Block {
	var out []advisor.Block
	seen := map[string]bool{}
	for _, p := range paths {
		for _, b := range p.Blocked {
			if k := b.Code + b.Rule + b.SKU; !seen[k] {
				seen[k] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// comparison says which is cheaper, the add-ons or the cheapest switch, and by how much.
func comparison(cmp *advisor.Comparison) string {
	if cmp == nil {
		return ""
	}
	switch cmp.Cheaper {
	case "equal":
		return fmt.Sprintf("The add-ons (%s) cost the same as switching to %s.", cmp.AddOns, cmp.BundleSKU)
	case "add-ons":
		return fmt.Sprintf("Cheaper: the add-ons on the current plan, %s against %s for %s (%s less per user and month).",
			cmp.AddOns, cmp.Bundle, cmp.BundleSKU, advisor.Money(cmp.Difference, cmp.AddOns.Currency))
	}
	return fmt.Sprintf("Cheaper: switching to %s, %s against %s for the add-ons (%s less per user and month).",
		cmp.BundleSKU, cmp.Bundle, cmp.AddOns, advisor.Money(cmp.Difference, cmp.AddOns.Currency))
}

// roomRows flattens the room scenarios into table rows, as licet advise rooms prints them.
func roomRows(rs []advisor.RoomScenario) []roomRow {
	var out []roomRow
	for _, r := range rs {
		first := true
		for _, col := range r.Columns {
			var have []string
			for _, h := range col.Have {
				have = append(have, h.Name)
			}
			for _, o := range col.Options {
				row := roomRow{Scenario: r.ID, Name: r.Name, First: first, Have: strings.Join(have, ", "), OK: true, Rules: "ok"}
				first = false
				var with, opt []string
				for _, st := range o.Buy {
					with = append(with, st.SKU)
				}
				for _, x := range o.External {
					with = append(with, x.Name)
				}
				for _, x := range o.Optional {
					opt = append(opt, x.ID)
				}
				row.With, row.Optional = strings.Join(with, " + "), strings.Join(opt, ", ")
				row.Cost = "—"
				if len(o.Buy) > 0 {
					row.Cost = o.Cost.String()
				}
				switch {
				case len(o.Blocked) > 0:
					row.OK, row.Rules = false, "not allowed: "+o.Blocked[0].Code+" "+o.Blocked[0].Rule
				case !o.Checked && len(o.RulesAdd) > 0:
					var add []string
					for _, st := range o.RulesAdd {
						add = append(add, st.SKU)
					}
					row.OK, row.Rules = false, "the rules add "+strings.Join(add, ", ")
				case !o.Checked:
					row.OK, row.Rules = false, "does not give the feature"
				}
				out = append(out, row)
			}
		}
	}
	return out
}
