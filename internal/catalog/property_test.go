package catalog_test

import (
	"reflect"
	"testing"

	"github.com/licet/licet/internal/catalog"
	"pgregory.net/rapid"
)

func genAssigned(c *catalog.Catalog) *rapid.Generator[catalog.Assigned] {
	var parts []string
	for _, s := range c.SKUs() {
		parts = append(parts, s.Part)
	}
	parts = append(parts, "NOPE")
	var plans []string
	for _, p := range c.Plans() {
		plans = append(plans, p.ID)
	}
	return rapid.Custom(func(t *rapid.T) catalog.Assigned {
		a := catalog.Assigned{SKU: rapid.SampledFrom(parts).Draw(t, "sku")}
		if s, ok := c.SKU(a.SKU); ok && len(s.Plans) > 0 && rapid.IntRange(0, 3).Draw(t, "disable?") == 0 {
			a.DisabledPlans = rapid.SliceOfNDistinct(rapid.SampledFrom(s.Plans), 1, 2, rapid.ID[string]).Draw(t, "disabled")
		}
		if rapid.IntRange(0, 30).Draw(t, "bad disabled?") == 0 {
			a.DisabledPlans = append(a.DisabledPlans, rapid.SampledFrom(plans).Draw(t, "any plan"))
		}
		return a
	})
}

func genUser() *rapid.Generator[catalog.User] {
	return rapid.Custom(func(t *rapid.T) catalog.User {
		return catalog.User{
			UsageLocation:  rapid.SampledFrom([]string{"US", "GB", "FR", "CN", "", "usa"}).Draw(t, "location"),
			OnPremisesPSTN: rapid.Bool().Draw(t, "hybrid"),
			Kind:           rapid.SampledFrom([]string{"", "person", "room"}).Draw(t, "kind"),
		}
	})
}

func genOrg() *rapid.Generator[catalog.Org] {
	return rapid.Custom(func(t *rapid.T) catalog.Org {
		return catalog.Org{
			Type:    rapid.SampledFrom([]string{"", "commercial", "gcc", "gov", "edu", "nonprofit"}).Draw(t, "type"),
			Cloud:   rapid.SampledFrom([]string{"", "global", "21vianet"}).Draw(t, "cloud"),
			Country: rapid.SampledFrom([]string{"US", "GB", "CN"}).Draw(t, "country"),
		}
	})
}

// TestPropertyResultHonoursRules: whatever the request, a returned set meets every dependency,
// exclusion and hybrid rule, holds every added SKU and no removed one.
func TestPropertyResultHonoursRules(t *testing.T) {
	c := loadM365(t)
	var all []string
	for _, s := range c.SKUs() {
		all = append(all, s.Part)
	}
	rules := c.Rules()
	accepted, total := 0, 0
	defer func() {
		// The property is only worth something if many requests are accepted.
		if total > 0 && accepted*10 < total {
			t.Errorf("only %d of %d generated requests were accepted", accepted, total)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		total++
		org := genOrg().Draw(t, "org")
		user := genUser().Draw(t, "user")
		purchased := rapid.SliceOfDistinct(rapid.SampledFrom(all), rapid.ID[string]).Draw(t, "purchased")
		current := rapid.SliceOfN(genAssigned(c), 0, 5).Draw(t, "current")
		change := catalog.Change{
			Add:    rapid.SliceOfN(genAssigned(c), 0, 4).Draw(t, "add"),
			Remove: rapid.SliceOfN(rapid.SampledFrom(append(all, "NOPE")), 0, 3).Draw(t, "remove"),
		}
		got, vs := c.CheckAssignment(org, purchased, user, current, change)
		if len(vs) > 0 {
			if got != nil {
				t.Fatalf("result %v returned along with violations %v", got, vs)
			}
			for _, v := range vs {
				if v.Code == "" || v.Message == "" {
					t.Fatalf("violation without code or message: %+v", v)
				}
			}
			return
		}
		accepted++
		enabled := map[string]bool{}
		for _, p := range c.EnabledPlans(got) {
			enabled[p] = true
		}
		for _, d := range rules.Dependencies {
			for _, p := range d.Plans {
				if !enabled[p] {
					continue
				}
				met := false
				for _, set := range d.AnyOf {
					ok := true
					for _, q := range set {
						ok = ok && enabled[q]
					}
					met = met || ok
				}
				if !met {
					t.Fatalf("result %v: %s enabled but dependency %s unmet", got, p, d.ID)
				}
			}
		}
		for _, ex := range rules.Exclusions {
			n := 0
			for _, p := range ex.Plans {
				if enabled[p] {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("result %v breaks exclusion %s", got, ex.ID)
			}
		}
		if user.OnPremisesPSTN {
			for _, h := range rules.Hybrid {
				for _, p := range h.Plans {
					if enabled[p] {
						t.Fatalf("hybrid user got %s", p)
					}
				}
			}
		}
		in := map[string]bool{}
		for _, a := range got {
			if in[a.SKU] {
				t.Fatalf("result %v holds %s twice", got, a.SKU)
			}
			in[a.SKU] = true
			if _, ok := c.SKU(a.SKU); !ok && !containsAssigned(current, a.SKU) {
				t.Fatalf("result holds unknown SKU %s", a.SKU)
			}
		}
		for _, a := range change.Add {
			if !in[a.SKU] {
				t.Fatalf("added %s missing from result %v", a.SKU, got)
			}
			if !contains(purchased, a.SKU) {
				t.Fatalf("unpurchased %s assigned", a.SKU)
			}
		}
		for _, r := range change.Remove {
			if in[r] {
				t.Fatalf("removed %s still in result %v", r, got)
			}
		}
		// Applying the same change again changes nothing.
		again, vs := c.CheckAssignment(org, purchased, user, got, change)
		if vs != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("not idempotent: %v then %v (%v)", got, again, vs)
		}
	})
}

// TestPropertyPurchaseTotal: CheckPurchase answers every input, and each violation is complete.
func TestPropertyPurchaseTotal(t *testing.T) {
	c := loadM365(t)
	var parts []string
	for _, s := range c.SKUs() {
		parts = append(parts, s.Part)
	}
	parts = append(parts, "NOPE")
	genP := rapid.Custom(func(t *rapid.T) catalog.Purchase {
		return catalog.Purchase{
			SKU:     rapid.SampledFrom(parts).Draw(t, "sku"),
			Term:    rapid.SampledFrom([]string{"", "annual", "monthly", "weekly"}).Draw(t, "term"),
			Channel: rapid.SampledFrom([]string{"", "direct", "partner", "reseller:GoDaddy", "reseller:", "x"}).Draw(t, "channel"),
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		org := genOrg().Draw(t, "org")
		owned := rapid.SliceOfN(genP, 0, 5).Draw(t, "owned")
		p := genP.Draw(t, "p")
		vs := c.CheckPurchase(org, owned, p)
		for _, v := range vs {
			if v.Code == "" || v.Message == "" || v.WayOut == "" || v.SKU != p.SKU {
				t.Fatalf("incomplete violation %+v", v)
			}
		}
		if !reflect.DeepEqual(vs, c.CheckPurchase(org, owned, p)) {
			t.Fatal("CheckPurchase is not deterministic")
		}
	})
}

func containsAssigned(list []catalog.Assigned, part string) bool {
	for _, a := range list {
		if a.SKU == part {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
