// Package advisor answers "what must this organisation buy to get this feature?" from the rules
// of a SKU catalog: the options that satisfy a feature, the SKUs that carry the service plans,
// assignment dependencies, purchase prerequisites (which also order the purchases), add-on bars
// and their switch_to, availability, channel and term rules, and the catalog's example prices.
//
// Nothing about any vendor is written here: every answer is derived from the *catalog.Catalog
// given. The package is pure (no I/O) and safe for concurrent use.
package advisor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// Status of an answer.
const (
	StatusSatisfied   = "satisfied"   // what the user holds (and the alternatives in place) already give the features
	StatusBuy         = "buy"         // buy add-ons on the current plan
	StatusSwitch      = "switch"      // the current plan cannot get there; switch to another
	StatusExternal    = "external"    // only a non-purchase alternative (a third-party provider…) works
	StatusUnavailable = "unavailable" // no option is allowed for this organisation
)

// maxCombinations bounds the options tried when several features are asked for at once.
const maxCombinations = 4096

// Question is what the organisation owns and what it wants.
type Question struct {
	// Org is the organisation: its type, cloud and country (purchase rules use the country).
	Org catalog.Org
	// Owned are the organisation's active purchases; the purchase rules see them all.
	Owned []catalog.Purchase
	// Holds are the SKUs the user (or room) in question holds; empty means every owned SKU (an
	// error when the catalog forbids one user to hold them all).
	Holds []string
	// Externals are the non-purchase alternatives already in place (catalog external ids).
	Externals []string
	// Features are the catalog feature ids wanted, all at once.
	Features []string
	// For is "person" or "room"; empty means the kind the features are meant for.
	For string
}

// ForPlan returns the question "a user holding plan, in org, wants features": the organisation
// owns that one plan, bought annually and directly.
func ForPlan(org catalog.Org, plan string, features ...string) Question {
	return Question{Org: org, Owned: []catalog.Purchase{{SKU: plan}}, Features: features}
}

// Ref names a catalog object.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Step is one purchase, in the order the rules allow.
type Step struct {
	SKU   string   `json:"skuPartNumber"`
	Name  string   `json:"name"`
	Kind  string   `json:"kind"`
	Term  string   `json:"term,omitempty"`  // the commitment term to buy it on (the catalog's term rules)
	Plans []string `json:"plans"`           // the missing service plans this purchase brings
	After []string `json:"after,omitempty"` // earlier steps a purchase rule makes it wait for
	Rule  string   `json:"rule,omitempty"`  // the prerequisite rule that orders it
	Price *Price   `json:"price,omitempty"` // example monthly price per unit
}

// Price is a catalog's example monthly price per unit, in minor units of Currency.
type Price struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Block is a rule that forbids a path, with its way out.
type Block struct {
	Code    string `json:"code"`
	Rule    string `json:"rule,omitempty"`
	SKU     string `json:"skuPartNumber,omitempty"`
	Message string `json:"message"`
	WayOut  string `json:"wayOut,omitempty"`
	Source  string `json:"source,omitempty"`
}

// Switch is the base plan a path moves the user to.
type Switch struct {
	SKU  string `json:"skuPartNumber"`
	Name string `json:"name"`
	Term string `json:"term,omitempty"` // set when the switch is a change of commitment term
	Rule string `json:"rule,omitempty"` // the rule that calls for it; empty for a bundle that carries the plans
}

// External is a non-purchase alternative a path relies on.
type External struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	InPlace bool   `json:"inPlace"`
}

// Path is one way to get the features: optionally a switch of base plan, then purchases in
// order, and the external alternatives it relies on.
type Path struct {
	Options  []int      `json:"options"`            // per feature, the index of its satisfied_by option
	Switch   *Switch    `json:"switchTo,omitempty"` // the base to move to first
	Drop     []string   `json:"drop,omitempty"`     // held SKUs the switch makes unnecessary
	Uses     []string   `json:"uses"`               // held SKUs that provide plans the features need
	Steps    []Step     `json:"buy"`
	External []External `json:"external,omitempty"`
	Blocked  []Block    `json:"blocked,omitempty"`
	Cost     Cost       `json:"monthlyCost"` // per user: everything the user holds afterwards
	Note     string     `json:"note,omitempty"`

	need []string // the plans the user must have enabled
}

// Feasible reports whether no rule forbids the path.
func (p *Path) Feasible() bool { return len(p.Blocked) == 0 }

// SKUs are the part numbers the path buys, in order (the switch first).
func (p *Path) SKUs() []string {
	var out []string
	if p.Switch != nil {
		out = append(out, p.Switch.SKU)
	}
	for _, s := range p.Steps {
		out = append(out, s.SKU)
	}
	return out
}

// Comparison sets the add-ons on the current plan against the cheapest switch to a bundle.
type Comparison struct {
	AddOns     Cost   `json:"addOns"`
	Bundle     Cost   `json:"bundle"`
	BundleSKU  string `json:"bundleSkuPartNumber"`
	Cheaper    string `json:"cheaper"`    // "add-ons", "bundle" or "equal"
	Difference int64  `json:"difference"` // monthly, per user, in minor units
}

// Answer is the advisor's answer to a Question.
type Answer struct {
	Features     []Ref       `json:"features"`
	For          string      `json:"for"`
	Holds        []Ref       `json:"holds"`
	Status       string      `json:"status"`
	Reason       string      `json:"reason,omitempty"`
	Satisfied    *Path       `json:"satisfiedBy,omitempty"`
	Buy          *Path       `json:"buy,omitempty"`          // the recommended purchases on the current plan
	Options      []Path      `json:"options"`                // every purchase-only way on the current plan, feasible first, cheapest first
	Switch       []Path      `json:"switch,omitempty"`       // feasible switches of base plan, cheapest first
	Alternatives []Path      `json:"alternatives,omitempty"` // ways that rely on an external alternative
	Comparison   *Comparison `json:"comparison,omitempty"`
}

// Advise answers q from the rules of c. Errors (a *licet.Error): UnknownFeature, UnknownSKU,
// invalid (no feature, bad org type, cloud or country, a feature for the other kind of user,
// too many combinations of options).
func Advise(c *catalog.Catalog, q Question) (Answer, error) {
	feats, err := checkQuestion(c, &q)
	if err != nil {
		return Answer{}, err
	}
	e := newEngine(c, q.Org)
	a := Answer{For: q.For, Options: []Path{}}
	for _, f := range feats {
		a.Features = append(a.Features, Ref{f.ID, f.Name})
	}
	for _, h := range q.Holds {
		s, _ := c.SKU(h)
		a.Holds = append(a.Holds, Ref{s.Part, s.Name})
	}
	for _, f := range feats {
		if len(f.OrgTypes) > 0 && !contains(f.OrgTypes, q.Org.Type) {
			a.Status, a.Reason = StatusUnavailable, fmt.Sprintf("%s is not available to %s organisations (only %s)", f.Name, q.Org.Type, strings.Join(f.OrgTypes, ", "))
			return a, nil
		}
		if len(f.Clouds) > 0 && !contains(f.Clouds, q.Org.Cloud) {
			a.Status, a.Reason = StatusUnavailable, fmt.Sprintf("%s is not available in the %s cloud (only %s)", f.Name, q.Org.Cloud, strings.Join(f.Clouds, ", "))
			return a, nil
		}
	}
	combos, err := combinations(feats)
	if err != nil {
		return Answer{}, err
	}
	here := situation{owned: q.Owned, holds: q.Holds, ext: q.Externals, barCheck: true, kind: q.For, held: q.Holds}

	var blocked []Block
	for _, cb := range combos {
		p := e.evaluate(here, cb)
		switch {
		case len(p.Steps) == 0 && p.Feasible() && externalsInPlace(p.External):
			if a.Satisfied == nil {
				a.Satisfied = &p
			}
		case len(cb.external) > 0:
			a.Alternatives = append(a.Alternatives, p)
		default:
			a.Options = append(a.Options, p)
			blocked = append(blocked, p.Blocked...)
		}
	}
	sortPaths(a.Options)
	sortPaths(a.Alternatives)
	if a.Satisfied != nil {
		a.Status = StatusSatisfied
		a.Options, a.Alternatives = []Path{}, nil
		return a, nil
	}
	if len(a.Options) > 0 && a.Options[0].Feasible() {
		a.Buy = &a.Options[0]
	}
	a.Switch = e.switches(here, combos, a.Options, blocked)
	switch {
	case a.Buy != nil:
		a.Status = StatusBuy
		a.Comparison = compare(a.Buy, a.Switch)
	case len(a.Switch) > 0:
		a.Status = StatusSwitch
	case anyFeasible(a.Alternatives):
		a.Status = StatusExternal
	default:
		a.Status = StatusUnavailable
		a.Reason = "no option is allowed by the catalog's rules for this organisation"
	}
	return a, nil
}

// checkQuestion validates q, fills its defaults and returns its features.
func checkQuestion(c *catalog.Catalog, q *Question) ([]*catalog.Feature, error) {
	if len(q.Features) == 0 {
		return nil, licet.Errorf(licet.EInvalid, "name at least one feature; known features: %s", strings.Join(featureIDs(c), ", "))
	}
	q.Org = c.DefaultOrg(q.Org)
	if err := checkOrg(c, q.Org); err != nil {
		return nil, err
	}
	if q.For != "" && !contains(catalog.UserKinds, q.For) {
		return nil, licet.Errorf(licet.EInvalid, "%q is neither person nor room", q.For).With("field", "for")
	}
	for _, p := range q.Owned {
		if _, ok := c.SKU(p.SKU); !ok {
			return nil, unknownSKU(c, p.SKU)
		}
	}
	if len(q.Holds) == 0 {
		for _, p := range q.Owned {
			if !contains(q.Holds, p.SKU) {
				q.Holds = append(q.Holds, p.SKU)
			}
		}
		for _, ex := range c.Rules().Exclusions {
			var both []string
			for _, h := range q.Holds {
				if contains(ex.SKUs, h) {
					both = append(both, h)
				}
			}
			if len(both) > 1 {
				return nil, licet.Errorf(licet.EInvalid, "the organisation owns %s, which no user may hold together (rule %s): say which one the user holds (--plan SKU or --user UPN)",
					strings.Join(both, " and "), ex.ID).With("field", "holds")
			}
		}
	}
	for _, h := range q.Holds {
		if _, ok := c.SKU(h); !ok {
			return nil, unknownSKU(c, h)
		}
	}
	for _, x := range q.Externals {
		if _, ok := c.External(x); !ok {
			var ids []string
			for _, e := range c.Externals() {
				ids = append(ids, e.ID)
			}
			return nil, licet.Errorf(licet.EInvalid, "unknown alternative %q; known: %s", x, strings.Join(ids, ", ")).With("field", "externals")
		}
	}
	var feats []*catalog.Feature
	for _, id := range q.Features {
		f, ok := c.Feature(id)
		if !ok {
			return nil, licet.Errorf(licet.CodeUnknownFeature, "unknown feature %q; known features: %s", id, strings.Join(featureIDs(c), ", ")).
				With("known", featureIDs(c))
		}
		who := q.For
		if who == "" {
			who = f.For[0]
			q.For = who
		}
		if !contains(f.For, who) {
			return nil, licet.Errorf(licet.EInvalid, "feature %q is for %s, not for a %s; ask about a %s instead", id, strings.Join(f.For, " or "), who, f.For[0]).With("field", "for")
		}
		feats = append(feats, f)
	}
	return feats, nil
}

// checkOrg validates the organisation's type and cloud against those the catalog declares (any,
// when it declares none: no rule can name them), and its country.
func checkOrg(c *catalog.Catalog, o catalog.Org) error {
	if o.Type != "" && len(c.OrgTypes()) > 0 && !contains(c.OrgTypes(), o.Type) {
		return licet.Errorf(licet.EInvalid, "org type %q is not one the catalog %s declares (%s)", o.Type, c.Name, strings.Join(c.OrgTypes(), ", ")).With("field", "orgType")
	}
	if o.Cloud != "" && len(c.Clouds()) > 0 && !contains(c.Clouds(), o.Cloud) {
		return licet.Errorf(licet.EInvalid, "cloud %q is not one the catalog %s declares (%s)", o.Cloud, c.Name, strings.Join(c.Clouds(), ", ")).With("field", "cloud")
	}
	if o.Country != "" {
		return licet.CheckCountry("country", o.Country)
	}
	return nil
}

func unknownSKU(c *catalog.Catalog, part string) error {
	var bases, addons []string
	for _, s := range c.SKUs() {
		if s.Kind == catalog.KindBase {
			bases = append(bases, s.Part)
		} else {
			addons = append(addons, s.Part)
		}
	}
	return licet.Errorf(licet.CodeUnknownSKU, "unknown SKU %q; known plans: %s; add-ons: %s", part, strings.Join(bases, ", "), strings.Join(addons, ", ")).
		With("known", append(bases, addons...))
}

func featureIDs(c *catalog.Catalog) []string {
	var ids []string
	for _, f := range c.Features() {
		ids = append(ids, f.ID)
	}
	return ids
}

// combo is one choice of option per feature, merged.
type combo struct {
	options  []int
	plans    []string
	external []string
	note     string
}

// combinations lists every choice of one option per feature, merging their plans and
// alternatives; choices that need the same plans and alternatives are kept once.
func combinations(feats []*catalog.Feature) ([]combo, error) {
	n := 1
	for _, f := range feats {
		n *= len(f.SatisfiedBy)
		if n > maxCombinations {
			return nil, licet.Errorf(licet.EInvalid, "these features have more than %d combinations of options; ask about fewer at once", maxCombinations)
		}
	}
	out := []combo{{}}
	for _, f := range feats {
		var next []combo
		for _, cb := range out {
			for i, o := range f.SatisfiedBy {
				nc := combo{options: append(append([]int{}, cb.options...), i), note: cb.note}
				nc.plans = union(cb.plans, o.Plans)
				nc.external = union(cb.external, o.External)
				if o.Note != "" {
					nc.note = strings.TrimSpace(nc.note + " " + o.Note)
				}
				next = append(next, nc)
			}
		}
		out = next
	}
	seen := map[string]bool{}
	var uniq []combo
	for _, cb := range out {
		key := strings.Join(sortedCopy(cb.plans), ",") + "|" + strings.Join(sortedCopy(cb.external), ",")
		if !seen[key] {
			seen[key] = true
			uniq = append(uniq, cb)
		}
	}
	return uniq, nil
}

func externalsInPlace(xs []External) bool {
	for _, x := range xs {
		if !x.InPlace {
			return false
		}
	}
	return true
}

func anyFeasible(ps []Path) bool {
	for i := range ps {
		if ps[i].Feasible() {
			return true
		}
	}
	return false
}

// sortPaths puts feasible paths first, then comparable costs cheapest first, keeping the
// catalog's order otherwise.
func sortPaths(ps []Path) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := &ps[i], &ps[j]
		if a.Feasible() != b.Feasible() {
			return a.Feasible()
		}
		return a.Cost.less(b.Cost)
	})
}

// compare sets the add-on path against the cheapest switch whose cost is comparable.
func compare(buy *Path, sw []Path) *Comparison {
	for i := range sw {
		if !buy.Cost.comparable(sw[i].Cost) {
			continue
		}
		cmp := &Comparison{AddOns: buy.Cost, Bundle: sw[i].Cost, BundleSKU: sw[i].Switch.SKU}
		d := sw[i].Cost.Amount - buy.Cost.Amount
		switch {
		case d > 0:
			cmp.Cheaper, cmp.Difference = "add-ons", d
		case d < 0:
			cmp.Cheaper, cmp.Difference = "bundle", -d
		default:
			cmp.Cheaper = "equal"
		}
		return cmp
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// union appends the elements of b missing from a, keeping the order.
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedCopy(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}
