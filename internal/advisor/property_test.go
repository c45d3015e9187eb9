package advisor_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
	"pgregory.net/rapid"
)

// genCatalog draws a random catalog in the documented format: nested bases, add-ons, and any
// of the rules (SKU and plan exclusions, prerequisites on plans or on a base, for the
// organisation or the user, add-on bars, term rules on the SKU or its base, "only for" and
// "not for" availability, acyclic dependencies), with features over its plans.
func genCatalog(t *rapid.T) *catalog.Catalog {
	var b strings.Builder
	b.WriteString("name: random\norg_types: [firm, school, agency]\nclouds: [north, south]\nplans:\n")
	nPlans := rapid.IntRange(3, 7).Draw(t, "plans")
	plan := func(i int) string { return fmt.Sprintf("P%d", i) }
	for i := range nPlans {
		fmt.Fprintf(&b, "  - {id: %s, name: Plan %d}\n", plan(i), i)
	}
	b.WriteString("externals:\n  - {id: outside, name: Something outside the catalog}\nskus:\n")
	planSet := func(label string, min, max int) []string {
		idx := rapid.SliceOfNDistinct(rapid.IntRange(0, nPlans-1), min, max, rapid.ID[int]).Draw(t, label)
		slices.Sort(idx)
		out := make([]string, len(idx))
		for i, x := range idx {
			out[i] = plan(x)
		}
		return out
	}
	list := func(xs []string) string { return "[" + strings.Join(xs, ", ") + "]" }
	var bases, addons []string
	basePlans := map[string][]string{}
	nBases := rapid.IntRange(1, 3).Draw(t, "bases")
	for i := range nBases {
		part := fmt.Sprintf("BASE%d", i)
		ps := planSet(part+" plans", 1, 3)
		if i > 0 && rapid.Bool().Draw(t, part+" nests") { // the plans of the previous edition and more
			ps = append(slices.Clone(basePlans[bases[i-1]]), ps...)
			slices.Sort(ps)
			ps = slices.Compact(ps)
		}
		bases, basePlans[part] = append(bases, part), ps
		fmt.Fprintf(&b, "  - {part: %s, name: Base %d, kind: base, monthly_price: {amount: %d, currency: EUR}, plans: %s}\n",
			part, i, rapid.IntRange(100, 3000).Draw(t, part+" price"), list(ps))
	}
	nAddOns := rapid.IntRange(1, 4).Draw(t, "addons")
	for i := range nAddOns {
		part := fmt.Sprintf("ADD%d", i)
		addons = append(addons, part)
		fmt.Fprintf(&b, "  - {part: %s, name: Add-on %d, kind: addon, monthly_price: {amount: %d, currency: EUR}, plans: %s}\n",
			part, i, rapid.IntRange(0, 1000).Draw(t, part+" price"), list(planSet(part+" plans", 1, 2)))
	}
	b.WriteString("rules:\n")
	n := 0
	id := func() string { n++; return fmt.Sprintf("r%d", n) }
	some := func(label string, from []string, min int) []string {
		return rapid.SliceOfNDistinct(rapid.SampledFrom(from), min, len(from), rapid.ID[string]).Draw(t, label)
	}
	scope := func(label string) string { return rapid.SampledFrom([]string{"organisation", "user"}).Draw(t, label) }
	if len(bases) > 1 && rapid.Bool().Draw(t, "sku exclusion?") {
		fmt.Fprintf(&b, "  exclusions:\n    - {id: %s, skus: %s}\n", id(), list(some("excluded bases", bases, 2)))
		if rapid.Bool().Draw(t, "plan exclusion?") {
			fmt.Fprintf(&b, "    - {id: %s, plans: %s}\n", id(), list(planSet("excluded plans", 2, 2)))
		}
	} else if rapid.Bool().Draw(t, "plan exclusion?") {
		fmt.Fprintf(&b, "  exclusions:\n    - {id: %s, plans: %s}\n", id(), list(planSet("excluded plans", 2, 2)))
	}
	if rapid.Bool().Draw(t, "prerequisites?") {
		b.WriteString("  prerequisites:\n")
		for i := range rapid.IntRange(1, 2).Draw(t, "prerequisite count") {
			skus := list(some(fmt.Sprintf("prerequisite %d skus", i), addons, 1))
			if rapid.Bool().Draw(t, fmt.Sprintf("prerequisite %d on a base?", i)) {
				fmt.Fprintf(&b, "    - {id: %s, skus: %s, bases: %s, scope: %s}\n", id(), skus,
					list(some(fmt.Sprintf("prerequisite %d bases", i), bases, 1)), scope(fmt.Sprintf("prerequisite %d scope", i)))
			} else {
				fmt.Fprintf(&b, "    - {id: %s, skus: %s, any_of: [%s], scope: %s}\n", id(), skus,
					list(planSet(fmt.Sprintf("prerequisite %d plans", i), 1, 2)), scope(fmt.Sprintf("prerequisite %d scope", i)))
			}
		}
	}
	if rapid.Bool().Draw(t, "bar?") {
		barred := some("barred bases", bases, 1)
		var to []string
		for _, x := range bases {
			if !slices.Contains(barred, x) {
				to = append(to, x)
			}
		}
		fmt.Fprintf(&b, "  addon_bars:\n    - {id: %s, bases: %s, addons: %s, switch_to: %s, scope: %s}\n", id(), list(barred),
			list(some("barred add-ons", addons, 1)), list(to), scope("bar scope"))
	}
	if rapid.Bool().Draw(t, "terms?") {
		b.WriteString("  terms:\n")
		if rapid.Bool().Draw(t, "own term?") {
			fmt.Fprintf(&b, "    - {id: %s, skus: %s, terms: [%s]}\n", id(), list(some("term skus", addons, 1)),
				rapid.SampledFrom([]string{"annual", "monthly"}).Draw(t, "own term"))
		} else {
			fmt.Fprintf(&b, "    - {id: %s, skus: %s, base_terms: [annual]}\n", id(), list(some("base term skus", addons, 1)))
		}
	}
	if rapid.Bool().Draw(t, "availability?") {
		b.WriteString("  availability:\n")
		for i := range rapid.IntRange(1, 2).Draw(t, "availability count") {
			field := rapid.SampledFrom([]string{"org_types", "not_org_types", "clouds", "not_clouds", "countries", "not_countries"}).Draw(t, fmt.Sprintf("availability %d field", i))
			values := map[string][]string{"org_types": {"firm", "school", "agency"}, "not_org_types": {"firm", "school", "agency"},
				"clouds": {"north", "south"}, "not_clouds": {"north", "south"}, "countries": {"DE", "US"}, "not_countries": {"DE", "US"}}[field]
			fmt.Fprintf(&b, "    - {id: %s, skus: %s, %s: %s}\n", id(), list(some(fmt.Sprintf("availability %d skus", i), append(slices.Clone(bases), addons...), 1)),
				field, list(some(fmt.Sprintf("availability %d values", i), values, 1)))
		}
	}
	if nPlans > 1 && rapid.Bool().Draw(t, "dependencies?") {
		b.WriteString("  dependencies:\n")
		for i := range rapid.IntRange(1, 2).Draw(t, "dependency count") {
			from := rapid.IntRange(1, nPlans-1).Draw(t, fmt.Sprintf("dependency %d plan", i))
			to := rapid.IntRange(0, from-1).Draw(t, fmt.Sprintf("dependency %d on", i)) // lower ids only: no cycle
			fmt.Fprintf(&b, "    - {id: %s, plans: [%s], any_of: [[%s]]}\n", id(), plan(from), plan(to))
		}
	}
	b.WriteString("features:\n")
	for i := range rapid.IntRange(1, 3).Draw(t, "features") {
		fmt.Fprintf(&b, "  - id: f%d\n    name: Feature %d\n    satisfied_by:\n", i, i)
		for j := range rapid.IntRange(1, 2).Draw(t, fmt.Sprintf("feature %d options", i)) {
			fmt.Fprintf(&b, "      - plans: %s\n", list(planSet(fmt.Sprintf("feature %d option %d", i, j), 1, 2)))
		}
		if rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("feature %d external?", i)) == 0 {
			fmt.Fprintf(&b, "      - {plans: %s, external: [outside]}\n", list(planSet(fmt.Sprintf("feature %d external plans", i), 1, 1)))
		}
	}
	c, err := catalog.Load("random.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("generated catalog does not load: %v\n%s", err, b.String())
	}
	return c
}

// tenant draws an organisation of the catalog, its purchases, and a user who holds licenses the
// engine accepts: a base and some of the add-ons, assigned one at a time as licet would.
func genTenant(t *rapid.T, c *catalog.Catalog) (catalog.Org, []catalog.Purchase, []string) {
	org := catalog.Org{Type: rapid.SampledFrom(c.OrgTypes()).Draw(t, "org type"), Cloud: rapid.SampledFrom(c.Clouds()).Draw(t, "cloud"),
		Country: rapid.SampledFrom([]string{"DE", "US"}).Draw(t, "country")}
	var bases, addons []string
	for _, s := range c.SKUs() {
		if s.Kind == catalog.KindBase {
			bases = append(bases, s.Part)
		} else {
			addons = append(addons, s.Part)
		}
	}
	term := func(label string) string { return rapid.SampledFrom([]string{"annual", "monthly"}).Draw(t, label) }
	base := rapid.SampledFrom(bases).Draw(t, "user's base")
	owned := []catalog.Purchase{{SKU: base, Term: term("base term")}}
	for _, x := range rapid.SliceOfDistinct(rapid.SampledFrom(append(bases, addons...)), rapid.ID[string]).Draw(t, "other purchases") {
		if x != base {
			owned = append(owned, catalog.Purchase{SKU: x, Term: term(x + " term")})
		}
	}
	var purchased []string
	for _, p := range owned {
		purchased = append(purchased, p.SKU)
	}
	user := catalog.User{UsageLocation: org.Country}
	var held []catalog.Assigned
	for _, part := range append([]string{base}, rapid.SliceOfDistinct(rapid.SampledFrom(addons), rapid.ID[string]).Draw(t, "held add-ons")...) {
		if !slices.Contains(purchased, part) {
			continue
		}
		if set, vs := c.CheckAssignment(org, purchased, user, held, catalog.Change{Add: []catalog.Assigned{{SKU: part}}}); len(vs) == 0 {
			held = set
		}
	}
	var holds []string
	for _, a := range held {
		holds = append(holds, a.SKU)
	}
	return org, owned, holds
}

// follow buys what the path says, in its order and on its terms, then assigns it to the user as
// `licet assign` would; it fails the test on any refusal, and returns the user's licenses.
func follow(t *rapid.T, c *catalog.Catalog, q advisor.Question, p advisor.Path) []catalog.Assigned {
	owned := slices.Clone(q.Owned)
	var current []catalog.Assigned
	for _, h := range q.Holds {
		current = append(current, catalog.Assigned{SKU: h})
	}
	var change catalog.Change
	buy := func(what catalog.Purchase) {
		if vs := c.CheckPurchase(q.Org, owned, what); len(vs) > 0 {
			t.Fatalf("the advisor recommends buying %s (%s), the engine refuses it: %v\npath: %+v", what.SKU, what.Term, vs, p)
		}
		owned = append(owned, what)
		change.Add = append(change.Add, catalog.Assigned{SKU: what.SKU})
	}
	var heldBases []string
	for _, h := range q.Holds {
		if s, _ := c.SKU(h); s.Kind == catalog.KindBase {
			heldBases = append(heldBases, h)
		}
	}
	if p.Switch != nil {
		// The organisation moves from the user's base to the new one.
		owned = slices.DeleteFunc(owned, func(o catalog.Purchase) bool {
			return slices.Contains(heldBases, o.SKU) || o.SKU == p.Switch.SKU
		})
		buy(catalog.Purchase{SKU: p.Switch.SKU, Term: p.Switch.Term})
		change.Remove = p.Drop
	}
	for _, st := range p.Steps {
		buy(catalog.Purchase{SKU: st.SKU, Term: st.Term})
	}
	var purchased []string
	for _, o := range append(slices.Clone(q.Owned), owned...) {
		purchased = append(purchased, o.SKU)
	}
	set, vs := c.CheckAssignment(q.Org, purchased, catalog.User{UsageLocation: q.Org.Country}, current, change)
	if len(vs) > 0 {
		t.Fatalf("the advisor recommends %v, the assignment engine refuses it: %v\nholds %v, path %+v", p.SKUs(), vs, q.Holds, p)
	}
	if p.Switch != nil {
		for _, a := range set {
			if slices.Contains(heldBases, a.SKU) && a.SKU != p.Switch.SKU {
				t.Fatalf("the switch to %s stacks it on the user's base %s instead of replacing it: %v", p.Switch.SKU, a.SKU, set)
			}
		}
	}
	return set
}

// TestPropertyAdvisedPathsAreAccepted: on random catalogs and tenants, every path the advisor
// recommends (the purchases on the current plan, every feasible option, every switch, every
// feasible alternative) is accepted by the purchase and assignment engine when followed, gives
// the features it claims, and a switch replaces the user's base.
func TestPropertyAdvisedPathsAreAccepted(t *testing.T) {
	var answered, followed, switches int
	rapid.Check(t, func(t *rapid.T) {
		c := genCatalog(t)
		org, owned, holds := genTenant(t, c)
		if len(holds) == 0 {
			return // the engine lets this user hold nothing: no question to ask
		}
		var ids []string
		for _, f := range c.Features() {
			ids = append(ids, f.ID)
		}
		q := advisor.Question{Org: org, Owned: owned, Holds: holds,
			Features: rapid.SliceOfNDistinct(rapid.SampledFrom(ids), 1, 2, rapid.ID[string]).Draw(t, "features")}
		ans, err := advisor.Advise(c, q)
		if err != nil {
			t.Fatalf("Advise: %v", err)
		}
		answered++
		var paths []advisor.Path
		if ans.Buy != nil {
			paths = append(paths, *ans.Buy)
		}
		for _, list := range [][]advisor.Path{ans.Options, ans.Switch, ans.Alternatives} {
			for _, p := range list {
				if p.Feasible() {
					paths = append(paths, p)
				}
			}
		}
		if ans.Status == advisor.StatusSwitch && len(ans.Switch) == 0 {
			t.Fatalf("status switch without a switch")
		}
		for _, p := range paths {
			set := follow(t, c, q, p)
			followed++
			if p.Switch != nil {
				switches++
			}
			plans := c.EnabledPlans(set)
			var ext []string
			for _, x := range p.External {
				ext = append(ext, x.ID)
			}
			for i, f := range q.Features {
				if !slices.Contains(c.Satisfies(f, plans, ext), p.Options[i]) {
					t.Fatalf("the path %v does not give %s option %d: the user ends with plans %v", p.SKUs(), f, p.Options[i], plans)
				}
			}
		}
	})
	t.Logf("%d answers, %d paths followed, %d of them switches", answered, followed, switches)
	// About a third of the answers give paths to follow; a few percent of them are switches
	// (TestVendorEditionsSwitchInsteadOfStacking covers a switch on every run).
	if followed == 0 {
		t.Errorf("the generator never produced a path to follow: the property checked nothing")
	}
}
