package catalog_test

import (
	"os"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalog"
)

func loadM365(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	c, err := catalog.Load(catalogs.M365TeamsFile, catalogs.M365Teams())
	if err != nil {
		tb.Fatalf("m365-teams.yaml does not load:\n%v", err)
	}
	return c
}

func TestM365CatalogLoads(t *testing.T) {
	c := loadM365(t)
	for _, part := range []string{"ENTERPRISEPREMIUM", "ENTERPRISEPREMIUM_NOPSTNCONF", "ENTERPRISEPACK", "STANDARDPACK",
		"MCOSTANDARD", "MCOEV", "MCOPSTN1", "MCOPSTN2", "MCOPSTN5", "MCOPSTN6", "MCOPSTNC", "MCOMEETADV"} {
		if _, ok := c.SKU(part); !ok {
			t.Errorf("SKU %s missing from the catalog", part)
		}
	}
	if s, _ := c.SKU("MCOPSTNC"); !s.Unlimited {
		t.Errorf("MCOPSTNC: got Unlimited false, want true")
	}
	skus := c.SKUs()
	for i := 1; i < len(skus); i++ {
		if skus[i-1].Part >= skus[i].Part {
			t.Errorf("SKUs not sorted: %s before %s", skus[i-1].Part, skus[i].Part)
		}
	}
	r := c.Rules()
	all := 0
	for _, n := range []int{len(r.Prerequisites), len(r.AddOnBars), len(r.Channels), len(r.Terms), len(r.Availability),
		len(r.Dependencies), len(r.Exclusions), len(r.Hybrid)} {
		if n == 0 {
			t.Errorf("a rule kind is empty: %+v", r)
		}
		all += n
	}
	check := func(id, source string) {
		if source == "" {
			t.Errorf("rule %s has no source", id)
		}
	}
	for _, x := range r.Prerequisites {
		check(x.ID, x.Source)
	}
	for _, x := range r.AddOnBars {
		check(x.ID, x.Source)
	}
	for _, x := range r.Dependencies {
		check(x.ID, x.Source)
	}
	for _, x := range r.Availability {
		check(x.ID, x.Source)
	}
	for _, f := range c.Features() {
		check(f.ID, f.Source)
	}
	if len(c.RoomScenarios()) != 4 {
		t.Errorf("got %d room scenarios, want the 4 rows of the seed's table", len(c.RoomScenarios()))
	}
}

func TestPlanStates(t *testing.T) {
	c := loadM365(t)
	got, ok := c.PlanStates(catalog.Assigned{SKU: "ENTERPRISEPREMIUM", DisabledPlans: []string{"MCOMEETADV"}})
	if !ok {
		t.Fatal("PlanStates: ENTERPRISEPREMIUM unknown")
	}
	disabled := map[string]bool{}
	for _, p := range got {
		disabled[p.Plan] = p.Disabled
	}
	if !disabled["MCOMEETADV"] || disabled["MCOEV"] || len(got) != 4 {
		t.Errorf("PlanStates(E5 without MCOMEETADV) = %+v", got)
	}
	if _, ok := c.PlanStates(catalog.Assigned{SKU: "NOPE"}); ok {
		t.Error("PlanStates(NOPE): got ok, want false")
	}
}

func TestSatisfies(t *testing.T) {
	c := loadM365(t)
	tests := []struct {
		name     string
		feature  string
		plans    []string
		external []string
		want     int
	}{
		{"E5 has audio conferencing", "audio-conferencing", []string{"MCOSTANDARD", "MCOEV", "MCOMEETADV"}, nil, 1},
		{"E3 with third party", "audio-conferencing", []string{"MCOSTANDARD"}, []string{"third-party-audio-conferencing"}, 1},
		{"E3 alone", "audio-conferencing", []string{"MCOSTANDARD"}, nil, 0},
		{"E1 phone system has no voicemail", "phone-system-voicemail", []string{"MCOSTANDARD", "MCOEV", "EXCHANGE_S_STANDARD"}, nil, 0},
		{"E3 phone system has voicemail", "phone-system-voicemail", []string{"MCOSTANDARD", "MCOEV", "EXCHANGE_S_ENTERPRISE"}, nil, 1},
		{"hybrid calling", "pstn-calling-domestic", []string{"MCOSTANDARD", "MCOEV"}, []string{"onprem-pstn"}, 1},
		{"unknown feature", "nope", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Satisfies(tt.feature, tt.plans, tt.external); len(got) != tt.want {
				t.Errorf("Satisfies(%s) = %v, want %d options", tt.feature, got, tt.want)
			}
		})
	}
}

// base is a small valid catalog; the validation cases below edit it. Its lines are numbered
// in the comments of the cases.
const base = `name: t
plans:
  - id: A
    name: Plan A
  - id: B
    name: Plan B
skus:
  - part: BASE
    name: Base
    kind: base
    plans: [A]
  - part: ADD
    name: Add
    kind: addon
    plans: [B]
`

func TestValidBaseLoads(t *testing.T) {
	if _, err := catalog.Load("t.yaml", []byte(base)); err != nil {
		t.Fatalf("base catalog: %v", err)
	}
}

func TestLoadValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "line:col: message fragment"
	}{
		{"unknown plan in a rule", base + `rules:
  dependencies:
    - id: d
      plans: [B]
      any_of: [[A, Z]]
`, []string{`20:20: rule "d": unknown plan "Z"`}},
		{"unknown SKU in a rule", base + `rules:
  prerequisites:
    - id: p
      skus: [ADD, NOPE]
      any_of: [[A]]
`, []string{`19:19: rule "p": unknown SKU "NOPE"`}},
		{"duplicate part number", base + `  - part: BASE
    name: Again
    kind: base
`, []string{`16:11: duplicate part number "BASE"`}},
		{"duplicate plan id", strings.Replace(base, "  - id: B\n", "  - id: A\n", 1),
			[]string{`5:9: duplicate plan id "A"`, `15:13: sku "ADD": unknown plan "B"`}},
		{"cycle in dependencies", base + `rules:
  dependencies:
    - id: a-needs-b
      plans: [A]
      any_of: [[B]]
    - id: b-needs-a
      plans: [B]
      any_of: [[A]]
`, []string{`23:17: cycle in assignment dependencies: A -> B -> A`}},
		{"bad country code", base + `rules:
  availability:
    - id: x
      skus: [ADD]
      not_countries: [us, USA, FR]
`, []string{`20:23: rule "x": country "us" is not an ISO 3166 alpha-2 code`, `20:27: rule "x": country "USA"`}},
		{"undeclared org type", base + `org_types: [edu, gov]
rules:
  availability:
    - id: x
      skus: [ADD]
      org_types: [edu, school]
`, []string{`21:24: rule "x": org type "school" is not declared in org_types (declared: edu, gov)`}},
		{"undeclared cloud", base + `clouds: [global]
rules:
  availability:
    - id: x
      skus: [ADD]
      not_clouds: [mooncake]
`, []string{`21:20: rule "x": cloud "mooncake" is not declared in clouds (declared: global)`}},
		{"org types without a declaration", base + `rules:
  availability:
    - id: x
      skus: [ADD]
      not_org_types: [edu]
`, []string{`20:23: rule "x": names org type "edu" but the catalog declares no org_types`}},
		{"org type declared twice", base + "org_types: [edu, edu]\n", []string{`16:18: org_types: org type "edu" listed twice`}},
		{"exclusion of plans and skus", base + `rules:
  exclusions:
    - id: x
      plans: [A, B]
      skus: [ADD, BASE]
`, []string{`18:7: rule "x": an exclusion gives plans or skus, not both`}},
		{"exclusion of one SKU", base + `rules:
  exclusions:
    - id: x
      skus: [ADD]
`, []string{`18:7: rule "x": an exclusion needs at least two SKUs`}},
		{"term rule without terms", base + `rules:
  terms:
    - id: x
      skus: [ADD]
`, []string{`18:7: rule "x": give terms (of the SKU's own purchase) or base_terms`}},
		{"bad scope", base + `rules:
  prerequisites:
    - id: x
      skus: [ADD]
      bases: [ADD]
      scope: tenant
`, []string{`20:15: rule "x": "ADD" is not a base SKU`, `21:14: rule "x": scope "tenant" is neither organisation nor user`}},
		{"unknown telephony bindings", base + `telephony:
  numbers: calls
  credits: NOPE
`, []string{`17:12: telephony: unknown feature "calls"`, `18:12: telephony: unknown SKU "NOPE"`}},
		{"bad kind", strings.Replace(base, "kind: addon", "kind: plugin", 1),
			[]string{`14:11: sku "ADD": kind "plugin" is neither base nor addon`}},
		{"missing kind", strings.Replace(base, "    kind: addon\n", "", 1),
			[]string{`12:5: sku "ADD": missing field "kind"`}},
		{"negative price", strings.Replace(base, "    kind: base\n", "    kind: base\n    monthly_price: {amount: -5, currency: USD}\n", 1),
			[]string{`11:29: sku "BASE": negative price -5`}},
		{"bad currency", strings.Replace(base, "    kind: base\n", "    kind: base\n    monthly_price: {amount: 5, currency: usd}\n", 1),
			[]string{`11:42: sku "BASE": currency "usd"`}},
		{"unknown field", strings.Replace(base, "    name: Base\n", "    name: Base\n    colour: blue\n", 1),
			[]string{`10:5: unknown field "colour"`}},
		{"unknown top-level field", base + "extra: 1\n", []string{`16:1: unknown field "extra"`}},
		{"list expected", strings.Replace(base, "plans: [A]", "plans: A", 1),
			[]string{`11:12: expected a list, found a scalar`}},
		{"bool expected", strings.Replace(base, "    kind: addon\n", "    kind: addon\n    unlimited: maybe\n", 1),
			[]string{`15:16: expected true or false`}},
		{"bad channel", base + `rules:
  channels:
    - id: c
      skus: [BASE]
      not_through: [GoDaddy]
`, []string{`20:21: rule "c": channel "GoDaddy" is not direct, partner or reseller:NAME`}},
		{"bad term", base + `rules:
  terms:
    - id: t
      skus: [ADD]
      base_terms: [weekly]
`, []string{`20:20: rule "t": unknown term "weekly"`}},
		{"duplicate rule id", base + `rules:
  exclusions:
    - id: e
      plans: [A, B]
  hybrid:
    - id: e
      plans: [B]
`, []string{`21:11: duplicate rule id "e"`}},
		{"unknown plan in a feature", base + `features:
  - id: f
    name: F
    satisfied_by:
      - plans: [A, Q]
        external: [nobody]
`, []string{`20:20: feature "f": unknown plan "Q"`, `21:20: feature "f": unknown external "nobody"`}},
		{"alias", base + "description: &d x\nextra2: *d\n", []string{`17:1: unknown field "extra2"`}},
		{"alias in a value", strings.Replace(base, "name: t", "name: &n t", 1) + "description: *n\n",
			[]string{`16:14: aliases are not supported`}},
		{"empty", "", []string{`1:1: empty catalog`}},
		{"syntax error", "name: [\n", []string{`1:1: YAML syntax`}},
		{"not a mapping", "- a\n- b\n", []string{`1:1: expected a mapping, found a list`}},
		{"all errors at once", strings.Replace(strings.Replace(base, "kind: addon", "kind: plugin", 1), "name: Plan A", "name: Plan A\n    bogus: 1", 1),
			[]string{`5:5: unknown field "bogus"`, `15:11: sku "ADD": kind "plugin"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.Load("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Load: got no error, want %q", tt.want)
			}
			ve, ok := catalog.AsValidationErrors(err)
			if !ok {
				t.Fatalf("Load: got %T, want ValidationErrors", err)
			}
			got := err.Error()
			lines := strings.Split(got, "\n")
			if len(lines) != len(ve) {
				t.Errorf("Error() has %d lines for %d errors", len(lines), len(ve))
			}
			for _, w := range tt.want {
				want := w
				if !strings.HasPrefix(w, "t.yaml") {
					want = "t.yaml:" + w
				}
				if !strings.Contains(got, want) {
					t.Errorf("got errors:\n%s\nwant one containing %q", got, want)
				}
			}
			if strings.HasPrefix(tt.want[0], "t.yaml") {
				return
			}
			if len(ve) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(ve), len(tt.want), got)
			}
		})
	}
}

func TestValidationErrorsSorted(t *testing.T) {
	y := strings.Replace(strings.Replace(base, "kind: addon", "kind: x", 1), "kind: base", "kind: y", 1)
	_, err := catalog.Load("t.yaml", []byte(y))
	ve, _ := catalog.AsValidationErrors(err)
	if len(ve) != 2 || ve[0].Line != 10 || ve[1].Line != 14 || ve[0].File != "t.yaml" {
		t.Errorf("got %+v, want errors at lines 10 and 14", ve)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(catalogs.M365Teams())
	f.Add([]byte(base))
	f.Add([]byte(base + "rules:\n  dependencies:\n    - id: d\n      plans: [B]\n      any_of: [[A]]\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("name: x\nskus: [{part: A, kind: base, monthly_price: {amount: 1, currency: EUR}}]\n"))
	if vendor, err := os.ReadFile("testdata/larkspur.yaml"); err == nil {
		f.Add(vendor)
	}
	f.Add([]byte(base + "org_types: [a, b]\ntelephony: {numbers: f, credits: ADD}\nrules:\n  exclusions:\n    - {id: x, skus: [BASE, ADD]}\n" +
		"  prerequisites:\n    - {id: p, skus: [ADD], bases: [BASE], scope: user}\n  availability:\n    - {id: v, skus: [ADD], not_org_types: [b]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Load("f.yaml", data)
		if err != nil {
			ve, ok := catalog.AsValidationErrors(err)
			if !ok || len(ve) == 0 {
				t.Fatalf("Load error is %T %v, want non-empty ValidationErrors", err, err)
			}
			for _, e := range ve {
				if e.Line < 1 || e.Col < 1 || e.File != "f.yaml" {
					t.Fatalf("bad position in %q", e.Error())
				}
			}
			return
		}
		// A loaded catalog must be usable without panicking.
		c.SKUsFor([]string{"A", "B"})
		for _, s := range c.SKUs() {
			c.AllowedTerms(s.Part)
			c.CheckPurchase(catalog.Org{Country: "US"}, nil, catalog.Purchase{SKU: s.Part})
			c.CheckAssignment(catalog.Org{}, []string{s.Part}, catalog.User{UsageLocation: "US"}, nil,
				catalog.Change{Add: []catalog.Assigned{{SKU: s.Part}}})
		}
	})
}

// TestDocExampleLoads keeps the example of docs/catalog.md valid and meaningful.
func TestDocExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/catalog.md")
	if err != nil {
		t.Fatalf("docs/catalog.md: %v", err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	if !ok {
		t.Fatal("docs/catalog.md has no yaml example")
	}
	example, _, _ := strings.Cut(rest, "```")
	c, err := catalog.Load("catalog.md", []byte(example))
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	_, vs := c.CheckAssignment(catalog.Org{}, []string{"ENTERPRISEPACK", "MCOPSTN1"}, catalog.User{UsageLocation: "FR"}, nil,
		catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOPSTN1"}}})
	if len(vs) != 1 || vs[0].Code != licet.CodeDependencyViolation {
		t.Errorf("got %v, want one DependencyViolation", vs)
	}
}
