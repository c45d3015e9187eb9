package advisor

import (
	"fmt"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// engine derives paths from one catalog for one organisation.
type engine struct {
	c       *catalog.Catalog
	org     catalog.Org
	rules   catalog.Rules
	bars    map[string]*catalog.AddOnBar
	terms   map[string]*catalog.TermRule
	prereqs map[string]*catalog.Prerequisite
}

func newEngine(c *catalog.Catalog, org catalog.Org) *engine {
	e := &engine{c: c, org: org, rules: c.Rules(), bars: map[string]*catalog.AddOnBar{}, terms: map[string]*catalog.TermRule{}}
	for i := range e.rules.AddOnBars {
		e.bars[e.rules.AddOnBars[i].ID] = &e.rules.AddOnBars[i]
	}
	for i := range e.rules.Terms {
		e.terms[e.rules.Terms[i].ID] = &e.rules.Terms[i]
	}
	e.prereqs = map[string]*catalog.Prerequisite{}
	for i := range e.rules.Prerequisites {
		e.prereqs[e.rules.Prerequisites[i].ID] = &e.rules.Prerequisites[i]
	}
	return e
}

// situation is where a path starts: the organisation's purchases, what the user holds, the
// alternatives in place. barCheck keeps an add-on bar on the held plan in force even when a
// purchase on the path (a second base) would lift it: a person is not advised to buy a second
// base to get around a bar. A room gets its own licenses, so Rooms turns it off.
type situation struct {
	owned    []catalog.Purchase
	holds    []string
	ext      []string
	barCheck bool
	kind     string   // person or room
	drop     []string // SKUs a switch takes from the user: never bought back on the same path
	held     []string // what the user held before the path (before a switch)
}

// purchase is how the path buys part: on the first term the catalog's term rules allow.
func (e *engine) purchase(part string) catalog.Purchase {
	p := catalog.Purchase{SKU: part}
	if ts := e.c.AllowedTerms(part); len(ts) > 0 {
		p.Term = ts[0]
	}
	return p
}

func (e *engine) sku(part string) *catalog.SKU {
	s, _ := e.c.SKU(part)
	return s
}

// plansOf lists the plans of the SKUs, in order of first appearance.
func (e *engine) plansOf(skus []string) []string {
	var out []string
	for _, part := range skus {
		if s := e.sku(part); s != nil {
			out = union(out, s.Plans)
		}
	}
	return out
}

func parts(ps []catalog.Purchase) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.SKU)
	}
	return out
}

// evaluate builds the path that gives the user the plans and alternatives of cb: the plans
// missing from what the user holds, closed over assignment dependencies and purchase
// prerequisites, each bought through the SKU pick chooses, in the order the purchase rules allow.
func (e *engine) evaluate(s situation, cb combo) Path {
	have := e.plansOf(s.holds)
	ownedPlans := union(e.plansOf(parts(s.owned)), have)
	need := append([]string(nil), cb.plans...) // plans the user must have enabled
	var orgNeed []string                       // plans the organisation must own among its purchases
	var toBuy []string
	var blocks []Block
	noSKU := map[string]bool{}

	for range len(e.c.Plans()) + len(e.c.SKUs()) + 1 { // each round adds a plan or an SKU, or stops
		changed := false
		will := union(union(have, need), e.plansOf(toBuy))
		for _, d := range e.rules.Dependencies {
			if anyIn(d.Plans, will) && !catalog.AnySetIn(d.AnyOf, will) {
				need = union(need, fewestMissing(d.AnyOf, will))
				will = union(will, need)
				changed = true
			}
		}
		avail := union(ownedPlans, e.plansOf(toBuy))
		for _, part := range toBuy {
			for _, pr := range e.rules.Prerequisites {
				if contains(pr.SKUs, part) && len(pr.AnyOf) > 0 && !catalog.AnySetIn(pr.AnyOf, avail) {
					orgNeed = union(orgNeed, fewestMissing(pr.AnyOf, avail))
					avail = union(avail, orgNeed)
					changed = true
				}
			}
		}
		for _, want := range []struct {
			plans, have []string
		}{{need, have}, {orgNeed, ownedPlans}} {
			for _, p := range want.plans {
				if contains(want.have, p) || contains(e.plansOf(toBuy), p) || noSKU[p] {
					continue
				}
				part := e.pick(p, append(append(append([]string(nil), s.holds...), toBuy...), s.drop...))
				if part == "" {
					noSKU[p] = true
					blocks = append(blocks, Block{Code: licet.CodeNoSKUCarriesPlan, Message: fmt.Sprintf("no SKU of the catalog carries %s", e.planLabel(p)),
						WayOut: "choose another option of the feature"})
					continue
				}
				toBuy = append(toBuy, part)
				changed = true
			}
		}
		if !changed {
			break
		}
	}

	p := Path{Options: cb.options, Uses: []string{}, Note: cb.note}
	p.Steps, p.Blocked = e.order(s, toBuy, union(need, orgNeed))
	p.Blocked = append(blocks, p.Blocked...)
	for _, b := range e.assignBlocks(s, toBuy) {
		p.Blocked = appendBlock(p.Blocked, b)
	}
	p.need = need
	for _, h := range s.holds {
		if anyIn(e.sku(h).Plans, need) {
			p.Uses = append(p.Uses, h)
		}
	}
	for _, x := range cb.external {
		ext, _ := e.c.External(x)
		p.External = append(p.External, External{ID: x, Name: ext.Name, InPlace: contains(s.ext, x)})
	}
	all := append([]string(nil), s.holds...)
	for _, st := range p.Steps {
		all = union(all, []string{st.SKU})
	}
	p.Cost = costOf(e.c, all)
	return p
}

// pick chooses the SKU to buy for a missing plan: an add-on before a base, one sold to the
// organisation before one that is not, priced before unpriced, then the cheapest, then the one
// with the fewest plans; "" when no SKU outside exclude carries the plan.
func (e *engine) pick(plan string, exclude []string) string {
	var best *catalog.SKU
	rank := func(s *catalog.SKU) [4]int64 {
		var r [4]int64
		if s.Kind != catalog.KindAddOn {
			r[0] = 1
		}
		for _, v := range e.c.CheckPurchase(e.org, nil, catalog.Purchase{SKU: s.Part}) {
			if v.Code == licet.CodeNotAvailable {
				r[1] = 1
			}
		}
		if s.Price == nil {
			r[2] = 1
		} else {
			r[2] = 0
			r[3] = s.Price.Amount
		}
		return r
	}
	var bestRank [4]int64
	for _, s := range e.c.SKUsWithPlan(plan) {
		if contains(exclude, s.Part) {
			continue
		}
		r := rank(s)
		if best == nil || less4(r, bestRank) || (r == bestRank && len(s.Plans) < len(best.Plans)) {
			best, bestRank = s, r
		}
	}
	if best == nil {
		return ""
	}
	return best.Part
}

func less4(a, b [4]int64) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// order buys toBuy one at a time, each time the first SKU the purchase rules allow given what
// was bought before it, so that every SKU comes after what it needs. SKUs no order allows are
// appended at the end and their violations returned.
func (e *engine) order(s situation, toBuy, want []string) ([]Step, []Block) {
	owned := append([]catalog.Purchase(nil), s.owned...)
	remaining := append([]string(nil), toBuy...)
	steps := []Step{}
	var bought []string
	for len(remaining) > 0 {
		next := -1
		for i, part := range remaining {
			if len(e.purchaseBlocks(s, owned, part)) == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			// Report, for each SKU left, what forbids it even once the others are bought, so
			// that a prerequisite met by another blocked SKU is not reported twice.
			var blocks []Block
			for i, part := range remaining {
				others := append([]catalog.Purchase(nil), owned...)
				for j, o := range remaining {
					if j != i {
						others = append(others, e.purchase(o))
					}
				}
				for _, b := range e.purchaseBlocks(s, others, part) {
					blocks = appendBlock(blocks, b)
				}
				steps = append(steps, e.step(s, part, owned, bought, want))
			}
			if len(blocks) == 0 { // they wait for each other: report what forbids each now
				for _, part := range remaining {
					for _, b := range e.purchaseBlocks(s, owned, part) {
						blocks = appendBlock(blocks, b)
					}
				}
			}
			return steps, blocks
		}
		part := remaining[next]
		steps = append(steps, e.step(s, part, owned, bought, want))
		owned = append(owned, e.purchase(part))
		bought = append(bought, part)
		remaining = append(remaining[:next], remaining[next+1:]...)
	}
	return steps, nil
}

// purchaseBlocks are the rules that forbid buying part now.
func (e *engine) purchaseBlocks(s situation, owned []catalog.Purchase, part string) []Block {
	var out []Block
	p := e.purchase(part)
	for _, v := range e.c.CheckPurchase(e.org, owned, p) {
		out = appendBlock(out, blockOf(v))
	}
	if s.barCheck && e.sku(part).Kind == catalog.KindAddOn {
		for _, v := range e.c.CheckPurchase(e.org, s.owned, p) {
			if _, bar := e.bars[v.Rule]; bar {
				out = appendBlock(out, blockOf(v))
			}
		}
	}
	return out
}

// assignBlocks are the assignment rules that refuse the user's licenses once the path is
// followed: what the user holds and what the path buys, as the assignment engine checks them
// (exclusions of SKUs and plans, dependencies, rules scoped to the user). Availability is left to
// the purchase rules, which read the organisation's country; the user's usage location is not
// known here.
func (e *engine) assignBlocks(s situation, toBuy []string) []Block {
	var set []catalog.Assigned
	purchased := parts(s.owned)
	for _, part := range append(append([]string(nil), s.holds...), toBuy...) {
		set = append(set, catalog.Assigned{SKU: part})
		purchased = append(purchased, part)
	}
	if len(set) == 0 {
		return nil
	}
	user := catalog.User{UsageLocation: "ZZ", Kind: s.kind}
	// What the user holds already breaks is not the path's doing (a question about every SKU the
	// organisation owns may hold two that no user holds together): only new refusals count.
	key := func(v catalog.Violation) string { return v.Code + "|" + v.Rule + "|" + v.SKU + "|" + v.Plan }
	before := map[string]bool{}
	if len(s.held) > 0 {
		var held []catalog.Assigned
		for _, h := range s.held {
			held = append(held, catalog.Assigned{SKU: h})
		}
		_, vs := e.c.CheckAssignment(e.org, append(purchased, s.held...), user, nil, catalog.Change{Add: held})
		for _, v := range vs {
			before[key(v)] = true
		}
	}
	_, vs := e.c.CheckAssignment(e.org, purchased, user, nil, catalog.Change{Add: set})
	var out []Block
	for _, v := range vs {
		if v.Code != licet.CodeProhibitedInUsageLocationViolation && !before[key(v)] {
			out = appendBlock(out, blockOf(v))
		}
	}
	return out
}

// step describes buying part after owned, of which bought were bought on this path.
func (e *engine) step(s situation, part string, owned []catalog.Purchase, bought, want []string) Step {
	sku := e.sku(part)
	st := Step{SKU: part, Name: sku.Name, Kind: sku.Kind, Term: e.purchase(part).Term, Plans: []string{}}
	if sku.Price != nil {
		st.Price = &Price{Amount: sku.Price.Amount, Currency: sku.Price.Currency}
	}
	before := e.plansOf(parts(owned))
	for _, p := range sku.Plans {
		if contains(want, p) && !contains(before, p) {
			st.Plans = append(st.Plans, p)
		}
	}
	start := union(e.plansOf(parts(s.owned)), e.plansOf(s.holds))
	for _, pr := range e.rules.Prerequisites {
		if !contains(pr.SKUs, part) || catalog.AnySetIn(pr.AnyOf, start) {
			continue
		}
		for _, set := range pr.AnyOf {
			if !catalog.AllIn(set, before) {
				continue
			}
			for _, b := range bought {
				if anyIn(e.sku(b).Plans, set) && !contains(st.After, b) {
					st.After = append(st.After, b)
				}
			}
			if len(st.After) > 0 && st.Rule == "" {
				st.Rule = pr.ID
			}
			break
		}
	}
	return st
}

// switches lists the feasible ways to move the user to another base: the switch_to of the add-on
// bars and the terms of the term rules that block the current plan, and the bundles — bases that
// carry a missing plan and can replace the held base (same family, or every plan it has). Each
// is followed by the purchases it still needs; cheapest first.
func (e *engine) switches(here situation, combos []combo, options []Path, blocked []Block) []Path {
	var heldBases []*catalog.SKU
	for _, h := range here.holds {
		if s := e.sku(h); s.Kind == catalog.KindBase {
			heldBases = append(heldBases, s)
		}
	}
	var cands []Switch
	add := func(sw Switch) {
		for _, c := range cands {
			if c.SKU == sw.SKU && c.Term == sw.Term {
				return
			}
		}
		cands = append(cands, sw)
	}
	for _, b := range blocked {
		if bar, ok := e.bars[b.Rule]; ok {
			for _, to := range bar.SwitchTo {
				add(Switch{SKU: to, Name: e.sku(to).Name, Rule: bar.ID})
			}
		}
		if pr, ok := e.prereqs[b.Rule]; ok {
			for _, to := range pr.Bases {
				add(Switch{SKU: to, Name: e.sku(to).Name, Rule: pr.ID})
			}
		}
		if tr, ok := e.terms[b.Rule]; ok && len(tr.BaseTerms) > 0 {
			for _, hb := range heldBases {
				add(Switch{SKU: hb.Part, Name: hb.Name, Term: tr.BaseTerms[0], Rule: tr.ID})
			}
		}
	}
	var missing []string
	have := e.plansOf(here.holds)
	for i := range options {
		for _, p := range options[i].need {
			if !contains(have, p) {
				missing = union(missing, []string{p})
			}
		}
	}
	if len(heldBases) > 0 {
		for _, b := range e.c.SKUs() {
			if b.Kind != catalog.KindBase || contains(here.holds, b.Part) || !anyIn(b.Plans, missing) {
				continue
			}
			replaces := true
			for _, hb := range heldBases {
				if !(hb.Family != "" && hb.Family == b.Family) && !catalog.AllIn(hb.Plans, b.Plans) {
					replaces = false
				}
			}
			if replaces {
				add(Switch{SKU: b.Part, Name: b.Name})
			}
		}
	}
	var out []Path
	for _, sw := range cands {
		if p, ok := e.evaluateSwitch(here, heldBases, sw, combos); ok {
			out = append(out, p)
		}
	}
	sortPaths(out)
	return out
}

// evaluateSwitch is the cheapest feasible path after moving the user from its held bases to sw.
func (e *engine) evaluateSwitch(here situation, heldBases []*catalog.SKU, sw Switch, combos []combo) (Path, bool) {
	to := e.sku(sw.SKU)
	isHeldBase := func(part string) bool {
		for _, hb := range heldBases {
			if hb.Part == part {
				return true
			}
		}
		return false
	}
	var owned []catalog.Purchase
	for _, p := range here.owned {
		if !isHeldBase(p.SKU) && p.SKU != to.Part {
			owned = append(owned, p)
		}
	}
	var pre []Block
	newBase := catalog.Purchase{SKU: to.Part, Term: sw.Term}
	for _, v := range e.c.CheckPurchase(e.org, owned, newBase) {
		pre = appendBlock(pre, blockOf(v))
	}
	owned = append(owned, newBase)
	holds := []string{to.Part}
	var drop []string
	for _, h := range here.holds {
		switch {
		case h == to.Part:
		case isHeldBase(h) || catalog.AllIn(e.sku(h).Plans, to.Plans):
			drop = append(drop, h)
		default:
			holds = append(holds, h)
		}
	}
	s := situation{owned: owned, holds: holds, ext: here.ext, barCheck: here.barCheck, kind: here.kind, drop: drop, held: here.held}
	var paths []Path
	for _, cb := range combos {
		if len(cb.external) > 0 {
			continue
		}
		p := e.evaluate(s, cb)
		p.Blocked = append(append([]Block(nil), pre...), p.Blocked...)
		sw := sw
		p.Switch, p.Drop = &sw, drop
		paths = append(paths, p)
	}
	sortPaths(paths)
	if len(paths) == 0 || !paths[0].Feasible() {
		return Path{}, false
	}
	return paths[0], true
}

func (e *engine) planLabel(id string) string {
	if p, ok := e.c.Plan(id); ok {
		return p.Label()
	}
	return id
}

func blockOf(v catalog.Violation) Block {
	return Block{Code: v.Code, Rule: v.Rule, SKU: v.SKU, Message: v.Message, WayOut: v.WayOut, Source: v.Source}
}

func appendBlock(bs []Block, b Block) []Block {
	for _, x := range bs {
		if x.Code == b.Code && x.Rule == b.Rule && x.SKU == b.SKU && x.Message == b.Message {
			return bs
		}
	}
	return append(bs, b)
}

// fewestMissing returns the plans of the set of anyOf that misses the fewest from have (the
// first such set on a tie).
func fewestMissing(anyOf [][]string, have []string) []string {
	var best []string
	bestN := -1
	for _, set := range anyOf {
		var miss []string
		for _, p := range set {
			if !contains(have, p) {
				miss = append(miss, p)
			}
		}
		if bestN < 0 || len(miss) < bestN {
			best, bestN = miss, len(miss)
		}
	}
	return best
}

func anyIn(set, have []string) bool {
	for _, p := range set {
		if contains(have, p) {
			return true
		}
	}
	return false
}
