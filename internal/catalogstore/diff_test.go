package catalogstore_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/catalogstore/catalogtest"
)

func load(t testing.TB, content []byte) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load("test.yaml", content)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCompare names each kind of change: an SKU's price and plans, an SKU added, a plan renamed,
// a rule removed; the same catalog gives no change.
func TestCompare(t *testing.T) {
	a := catalogs.M365Teams()
	b := catalogtest.Edit(t, a, catalogtest.SetPrice("ENTERPRISEPACK", 2300), catalogtest.AddPlan("ENTERPRISEPACK", "MCOEV"),
		catalogtest.RenamePlan("MCOEV", "Phone System (Cloud PBX)"), catalogtest.RemoveRule("channel-godaddy-no-e3"),
		catalogtest.AddSKU("NEWSKU", "New", "MCOSTANDARD"))
	d := catalogstore.Compare(load(t, a), load(t, b))
	want := []catalogstore.Change{
		{Area: "sku", ID: "ENTERPRISEPACK", Change: "changed", Field: "price", Before: "20.00 USD", After: "23.00 USD"},
		{Area: "sku", ID: "ENTERPRISEPACK", Change: "changed", Field: "servicePlans", Before: "MCOSTANDARD,EXCHANGE_S_ENTERPRISE", After: "MCOSTANDARD,EXCHANGE_S_ENTERPRISE,MCOEV"},
		{Area: "sku", ID: "NEWSKU", Change: "added"},
		{Area: "plan", ID: "MCOEV", Change: "changed", Field: "name", Before: "Phone System", After: "Phone System (Cloud PBX)"},
		{Area: "rule", ID: "…/channel-godaddy-no-e3", Change: "removed"}, // the path depends on the rule's kind
	}
	if len(d.Changes) != len(want) {
		t.Fatalf("changes:\n%+v\nwant:\n%+v", d.Changes, want)
	}
	for i, w := range want {
		got := d.Changes[i]
		if rest, ok := strings.CutPrefix(w.ID, "…"); ok && strings.HasSuffix(got.ID, rest) {
			got.ID = w.ID
		}
		if got != w {
			t.Errorf("change %d: %+v, want %+v", i, d.Changes[i], w)
		}
	}
	if same := catalogstore.Compare(load(t, a), load(t, a)); len(same.Changes) != 0 || same.Summary() != "no change" {
		t.Errorf("a catalog against itself: %+v", same.Changes)
	}
}

// FuzzCompare: any two catalogs that load compare without a panic, and a catalog against itself
// shows no change.
func FuzzCompare(f *testing.F) {
	f.Add(catalogs.M365Teams(), []byte("name: x\nskus: []\n"))
	f.Add([]byte("name: a\n"), []byte("name: b\nrules: {channels: [{id: r}]}\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ca, errA := catalog.Load("a.yaml", a)
		cb, errB := catalog.Load("b.yaml", b)
		if errA != nil || errB != nil {
			return
		}
		_ = catalogstore.Compare(ca, cb).Summary()
		if d := catalogstore.Compare(ca, ca); len(d.Changes) != 0 {
			t.Errorf("a catalog against itself: %+v", d.Changes)
		}
	})
}
