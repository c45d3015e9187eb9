package catalog_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

func loadLarkspur(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	c, err := catalog.LoadFile("testdata/larkspur.yaml")
	if err != nil {
		tb.Fatalf("larkspur.yaml does not load:\n%v", err)
	}
	return c
}

// wantViolation checks that vs is empty when code is, else one violation of code and rule whose
// way out says way.
func wantViolation(t *testing.T, name string, vs []catalog.Violation, code, rule, way string) {
	t.Helper()
	if code == "" {
		if len(vs) > 0 {
			t.Errorf("%s: refused: %v", name, vs)
		}
		return
	}
	if len(vs) != 1 || vs[0].Code != code || vs[0].Rule != rule || !strings.Contains(vs[0].WayOut, way) {
		t.Errorf("%s: got %+v, want one %s of rule %s with a way out saying %q", name, vs, code, rule, way)
	}
}

// TestVendorCatalogRules checks each rule of an invented vendor's catalog, purchase and
// assignment, with its code, its rule id and a way out computed from that catalog.
func TestVendorCatalogRules(t *testing.T) {
	c := loadLarkspur(t)
	if got := c.OrgTypes(); !reflect.DeepEqual(got, []string{"studio", "school", "label", "government"}) {
		t.Errorf("OrgTypes() = %v", got)
	}
	if got := c.DefaultOrg(catalog.Org{}); got.Type != "studio" || got.Cloud != "eu" {
		t.Errorf("DefaultOrg = %+v, want the first declared type and cloud", got)
	}
	if tel := c.Telephony(); tel.CreditsSKU != "LS-MINUTES" || tel.NumberFeature != "studio-line" || tel.ConferencingFeature != "session-bridge" {
		t.Errorf("Telephony() = %+v", tel)
	}
	studio := catalog.Org{Type: "studio", Country: "DE"}
	school := catalog.Org{Type: "school", Country: "DE"}
	gov := catalog.Org{Type: "government", Country: "DE"}
	purchases := []struct {
		name      string
		org       catalog.Org
		owned     []catalog.Purchase
		p         catalog.Purchase
		code      string // "" when allowed
		rule, way string
	}{
		{"classroom for a school", school, buy("LS-STUDIO"), buy("LS-CLASSROOM")[0], "", "", ""},
		{"classroom not for a studio", studio, buy("LS-STUDIO"), buy("LS-CLASSROOM")[0], licet.CodeNotAvailable, "classroom-for-schools", "available to school organisations"},
		{"vault for a label", catalog.Org{Type: "label"}, buy("LS-STUDIO"), buy("LS-VAULT")[0], "", "", ""},
		{"vault not for government", gov, buy("LS-STUDIO"), buy("LS-VAULT")[0], licet.CodeNotAvailable, "vault-not-for-government", "studio, school, label organisations"},
		{"vault monthly", studio, buy("LS-STUDIO"), catalog.Purchase{SKU: "LS-VAULT", Term: "monthly"}, licet.CodeTermRestriction, "vault-annual", "licet subscription buy LS-VAULT --term annual"},
		{"farm when the organisation owns Pro", studio, buy("LS-STUDIO", "LS-STUDIO-PRO"), buy("LS-FARM")[0], "", "", ""},
		{"farm without Pro", studio, buy("LS-STUDIO"), buy("LS-FARM")[0], licet.CodePrerequisiteMissing, "farm-for-pro-users", "buy Studio Pro (LS-STUDIO-PRO) first"},
		{"dial tone before talkback", studio, buy("LS-STUDIO"), buy("LS-DIALTONE")[0], licet.CodePrerequisiteMissing, "dialtone-needs-talkback", "Talkback (LS_TALKBACK) (in LS-TALKBACK)"},
	}
	for _, tt := range purchases {
		vs := c.CheckPurchase(tt.org, tt.owned, tt.p)
		wantViolation(t, tt.name, vs, tt.code, tt.rule, tt.way)
	}

	user := catalog.User{UsageLocation: "DE"}
	all := []string{"LS-STUDIO", "LS-STUDIO-PRO", "LS-FARM", "LS-TALKBACK", "LS-DIALTONE"}
	assigns := []struct {
		name      string
		current   []catalog.Assigned
		change    catalog.Change
		code      string
		rule, way string
	}{
		{"Pro on top of Studio", []catalog.Assigned{{SKU: "LS-STUDIO"}}, catalog.Change{Add: []catalog.Assigned{{SKU: "LS-STUDIO-PRO"}}},
			licet.CodeMutuallyExclusiveViolation, "one-edition", "remove LS-STUDIO in the same request"},
		{"Pro on top of Studio with every plan disabled", []catalog.Assigned{{SKU: "LS-STUDIO"}},
			catalog.Change{Add: []catalog.Assigned{{SKU: "LS-STUDIO-PRO", DisabledPlans: []string{"LS_MIX", "LS_SYNC", "LS_MASTER"}}}},
			licet.CodeMutuallyExclusiveViolation, "one-edition", "remove LS-STUDIO"},
		{"a switch from Studio to Pro", []catalog.Assigned{{SKU: "LS-STUDIO"}}, catalog.Change{Add: []catalog.Assigned{{SKU: "LS-STUDIO-PRO"}}, Remove: []string{"LS-STUDIO"}}, "", "", ""},
		{"farm to a Studio user", []catalog.Assigned{{SKU: "LS-STUDIO"}}, catalog.Change{Add: []catalog.Assigned{{SKU: "LS-FARM"}}},
			licet.CodePrerequisiteMissing, "farm-for-pro-users", "assign Studio Pro (LS-STUDIO-PRO) to the user first"},
		{"farm to a Pro user", []catalog.Assigned{{SKU: "LS-STUDIO-PRO"}}, catalog.Change{Add: []catalog.Assigned{{SKU: "LS-FARM"}}}, "", "", ""},
		{"Pro taken from a farm user", []catalog.Assigned{{SKU: "LS-STUDIO-PRO"}, {SKU: "LS-FARM"}}, catalog.Change{Remove: []string{"LS-STUDIO-PRO"}},
			licet.CodePrerequisiteMissing, "farm-for-pro-users", ""},
	}
	for _, tt := range assigns {
		_, vs := c.CheckAssignment(studio, all, user, tt.current, tt.change)
		wantViolation(t, tt.name, vs, tt.code, tt.rule, tt.way)
	}
	// Availability at assignment reads the organisation's type.
	_, vs := c.CheckAssignment(studio, []string{"LS-STUDIO", "LS-CLASSROOM"}, user, []catalog.Assigned{{SKU: "LS-STUDIO"}},
		catalog.Change{Add: []catalog.Assigned{{SKU: "LS-CLASSROOM"}}})
	if len(vs) != 1 || vs[0].Code != licet.CodeProhibitedInUsageLocationViolation || vs[0].Rule != "classroom-for-schools" {
		t.Errorf("classroom assigned in a studio: got %+v", vs)
	}
}
