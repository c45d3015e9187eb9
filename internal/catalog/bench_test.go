package catalog_test

import (
	"testing"

	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalog"
)

func BenchmarkCheckAssignmentE3PhoneSystemCallingPlan(b *testing.B) {
	c := loadM365(b)
	org := catalog.Org{Type: "commercial", Cloud: "global", Country: "US"}
	purchased := []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}
	user := catalog.User{UsageLocation: "US"}
	change := catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, vs := c.CheckAssignment(org, purchased, user, nil, change); vs != nil {
			b.Fatal(vs)
		}
	}
}

func BenchmarkCheckAssignmentRemoveBreaksDependency(b *testing.B) {
	c := loadM365(b)
	org := catalog.Org{Country: "US"}
	purchased := []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}
	current := []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}
	change := catalog.Change{Remove: []string{"MCOEV"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, vs := c.CheckAssignment(org, purchased, catalog.User{UsageLocation: "US"}, current, change); vs == nil {
			b.Fatal("want a violation")
		}
	}
}

func BenchmarkCheckPurchaseCallingPlan(b *testing.B) {
	c := loadM365(b)
	org := catalog.Org{Country: "US"}
	owned := buy("ENTERPRISEPACK", "MCOEV")
	p := buy("MCOPSTN1")[0]
	b.ReportAllocs()
	for b.Loop() {
		if vs := c.CheckPurchase(org, owned, p); vs != nil {
			b.Fatal(vs)
		}
	}
}

func BenchmarkLoadM365(b *testing.B) {
	data := catalogs.M365Teams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog.Load(catalogs.M365TeamsFile, data); err != nil {
			b.Fatal(err)
		}
	}
}
