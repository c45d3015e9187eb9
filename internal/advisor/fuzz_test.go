package advisor_test

import (
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/advisor"
	"github.com/licet/licet/internal/catalog"
)

func TestParseSubscriptions(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // SKU:term:channel joined by spaces
		err      string
	}{
		{"array of skuPartNumber", `[{"skuPartNumber":"ENTERPRISEPACK","term":"monthly"},{"skuPartNumber":"MCOEV","channel":"partner","id":7}]`, "ENTERPRISEPACK:monthly: MCOEV::partner", ""},
		{"wrapped", `{"subscriptions":[{"skuPartNumber":"A"}],"next":null}`, "A::", ""},
		{"deleted skipped", `[{"skuPartNumber":"A","capabilityStatus":"Deleted"},{"skuPartNumber":"B","status":"Enabled"}]`, "B::", ""},
		{"empty", `[]`, "", ""},
		{"no sku", `[{"term":"annual"}]`, "", "names no SKU"},
		{"sku not a string", `[{"skuPartNumber":5}]`, "", "subscription 0"},
		{"object without list", `{"items":[]}`, "", "expected a JSON array"},
		{"not json", `<html>`, "", "expected a JSON array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := advisor.ParseSubscriptions([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, p := range got {
				parts = append(parts, p.SKU+":"+p.Term+":"+p.Channel)
			}
			if s := strings.Join(parts, " "); s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func FuzzParseSubscriptions(f *testing.F) {
	for _, s := range []string{`[{"skuPartNumber":"A"}]`, `{"subscriptions":[{"skuPartNumber":"B","term":"monthly"}]}`, `[{"skuPartNumber":null}]`, `{}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := advisor.ParseSubscriptions(data)
		if err == nil {
			for _, p := range ps {
				if p.SKU == "" {
					t.Fatalf("accepted a subscription without SKU from %q", data)
				}
			}
		}
	})
}

// FuzzAdvise asks arbitrary questions of both catalogs: an answer or a clear error, never a panic.
func FuzzAdvise(f *testing.F) {
	f.Add("ENTERPRISEPACK", "annual", "pstn-calling-domestic", "US", "", "", "NW_TEAM")
	f.Add("O365_BUSINESS_PREMIUM", "monthly", "phone-system,audio-conferencing", "FR", "edu", "room", "")
	f.Add("MCOEV", "weekly", "room-phone-number", "", "gcc", "person", "NW_STARTER")
	cats := []*catalog.Catalog{m365(f), northwindCatalog(f)}
	f.Fuzz(func(t *testing.T, plan, term, features, country, orgType, who, second string) {
		for _, c := range cats {
			q := advisor.Question{Org: catalog.Org{Country: country, Type: orgType},
				Owned: []catalog.Purchase{{SKU: plan, Term: term}}, Features: strings.Split(features, ","), For: who}
			if second != "" {
				q.Owned = append(q.Owned, catalog.Purchase{SKU: second})
			}
			a, err := advisor.Advise(c, q)
			if err != nil {
				if errCode(err) == licet.EInternal || err.Error() == "" {
					t.Fatalf("unclear error %v", err)
				}
				continue
			}
			if a.Status == "" || (a.Status == advisor.StatusBuy && (a.Buy == nil || !a.Buy.Feasible())) {
				t.Fatalf("inconsistent answer %+v", a)
			}
			if _, err := advisor.Rooms(c, q.Org, plan); err != nil && errCode(err) == licet.EInternal {
				t.Fatalf("rooms: %v", err)
			}
		}
	})
}
