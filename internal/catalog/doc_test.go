package catalog_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// TestDocRuleExamples loads every YAML example of docs/catalog.md after the first and checks the
// refusal the page writes under it, so that each rule's example stays true.
func TestDocRuleExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/catalog.md")
	if err != nil {
		t.Fatalf("docs/catalog.md: %v", err)
	}
	examples := map[string]*catalog.Catalog{}
	blocks := strings.Split(string(doc), "```yaml\n")[1:]
	for i, b := range blocks {
		text, _, _ := strings.Cut(b, "```")
		c, err := catalog.Load("catalog.md example", []byte(text))
		if err != nil {
			t.Fatalf("example %d does not load:\n%v", i+1, err)
		}
		examples[c.Name] = c
	}
	user := catalog.User{UsageLocation: "DE"}
	one := func(name string, vs []catalog.Violation, code, says string) {
		t.Helper()
		if len(vs) != 1 || vs[0].Code != code || !strings.Contains(vs[0].Message+" — "+vs[0].WayOut, says) {
			t.Errorf("%s: got %v, want one %s saying %q", name, vs, code, says)
		}
	}
	none := func(name string, vs []catalog.Violation) {
		t.Helper()
		if len(vs) > 0 {
			t.Errorf("%s: refused: %v", name, vs)
		}
	}
	add := func(parts ...string) catalog.Change {
		var ch catalog.Change
		for _, p := range parts {
			ch.Add = append(ch.Add, catalog.Assigned{SKU: p})
		}
		return ch
	}
	held := func(parts ...string) []catalog.Assigned { return add(parts...).Add }
	checks := map[string]func(c *catalog.Catalog){
		"example": func(c *catalog.Catalog) {}, // the small example: TestDocExampleLoads
		"ex-org-types": func(c *catalog.Catalog) {
			one("classroom for a studio", c.CheckPurchase(catalog.Org{Type: "studio"}, buy("STUDIO"), buy("CLASSROOM")[0]), licet.CodeNotAvailable, "available to school organisations")
			none("classroom for a school", c.CheckPurchase(catalog.Org{Type: "school"}, buy("STUDIO"), buy("CLASSROOM")[0]))
			if c.DefaultOrg(catalog.Org{}).Type != "studio" {
				t.Error("ex-org-types: the first org type is not the default")
			}
		},
		"ex-prerequisites": func(c *catalog.Catalog) {
			one("farm without Pro", c.CheckPurchase(catalog.Org{}, buy("STUDIO"), buy("FARM")[0]), licet.CodePrerequisiteMissing, "buy Studio Pro (PRO) first")
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"STUDIO", "PRO", "FARM"}, user, held("STUDIO"), add("FARM"))
			one("farm to a Studio user", vs, licet.CodePrerequisiteMissing, "assign Studio Pro (PRO) to the user first")
		},
		"ex-addon-bars": func(c *catalog.Catalog) {
			one("voice on lite", c.CheckPurchase(catalog.Org{}, buy("LITE"), buy("VOICE")[0]), licet.CodeAddOnNotAllowedForBase, "switch to Studio (STUDIO), then buy Voice (VOICE)")
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"LITE", "STUDIO", "VOICE"}, user, held("LITE"), add("VOICE"))
			one("voice to a lite user", vs, licet.CodeAddOnNotAllowedForBase, "Studio (STUDIO)")
		},
		"ex-channels": func(c *catalog.Catalog) {
			one("studio through Acme", c.CheckPurchase(catalog.Org{}, nil, catalog.Purchase{SKU: "STUDIO", Channel: "reseller:Acme"}), licet.CodeChannelRestriction, "reseller:Acme")
		},
		"ex-terms": func(c *catalog.Catalog) {
			one("vault monthly", c.CheckPurchase(catalog.Org{}, buy("STUDIO"), catalog.Purchase{SKU: "VAULT", Term: "monthly"}), licet.CodeTermRestriction, "licet subscription buy VAULT --term annual")
			one("voice on a monthly base", c.CheckPurchase(catalog.Org{}, []catalog.Purchase{{SKU: "STUDIO", Term: "monthly"}}, buy("VOICE")[0]), licet.CodeTermRestriction, "annual")
		},
		"ex-availability": func(c *catalog.Catalog) {
			one("vault for government", c.CheckPurchase(catalog.Org{Type: "government"}, buy("STUDIO"), buy("VAULT")[0]), licet.CodeNotAvailable, "available to studio, school organisations")
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"STUDIO", "VAULT"}, catalog.User{UsageLocation: "CN"}, held("STUDIO"), add("VAULT"))
			one("vault in CN", vs, licet.CodeProhibitedInUsageLocationViolation, "CN")
		},
		"ex-dependencies": func(c *catalog.Catalog) {
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"STUDIO", "LINE"}, user, held("STUDIO"), add("LINE"))
			one("line without talkback", vs, licet.CodeDependencyViolation, "assign Talkback (TALK) (in TALK) first, or in the same request")
		},
		"ex-exclusions": func(c *catalog.Catalog) {
			ch := catalog.Change{Add: []catalog.Assigned{{SKU: "PRO", DisabledPlans: []string{"MIX", "MASTER"}}}}
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"STUDIO", "PRO"}, user, held("STUDIO"), ch)
			one("Pro on Studio", vs, licet.CodeMutuallyExclusiveViolation, "remove STUDIO in the same request (--remove)")
			_, vs = c.CheckAssignment(catalog.Org{}, []string{"STUDIO", "PRO"}, user, held("STUDIO"), catalog.Change{Add: held("PRO"), Remove: []string{"STUDIO"}})
			none("switch", vs)
		},
		"ex-hybrid": func(c *catalog.Catalog) {
			_, vs := c.CheckAssignment(catalog.Org{}, []string{"STUDIO"}, catalog.User{UsageLocation: "DE", OnPremisesPSTN: true}, nil, add("STUDIO"))
			one("line on-premises", vs, licet.CodeHybridCallingPlanViolation, "keep the on-premises line; disable LINE")
		},
		"ex-telephony": func(c *catalog.Catalog) {
			if tel := c.Telephony(); tel.NumberFeature != "studio-line" || tel.CreditsSKU != "MINUTES" {
				t.Errorf("ex-telephony: %+v", tel)
			}
			if got := c.SKUsFor([]string{"TALK", "DIAL"}); !slices.Equal(got, []string{"TALK", "DIAL"}) {
				t.Errorf("ex-telephony: the way to a line is %v, want TALK, DIAL", got)
			}
			one("minutes before a line", c.CheckPurchase(catalog.Org{}, buy("STUDIO"), buy("MINUTES")[0]), licet.CodePrerequisiteMissing, "Talkback (TALK)")
		},
	}
	for name, c := range examples {
		check, ok := checks[name]
		if !ok {
			t.Errorf("docs/catalog.md example %q has no check here: add one", name)
			continue
		}
		check(c)
	}
	for name := range checks {
		if examples[name] == nil {
			t.Errorf("docs/catalog.md lost its example %q", name)
		}
	}
}
