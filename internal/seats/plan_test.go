package seats_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/seats"
)

func planner(units map[string]int) *seats.Planner {
	p := &seats.Planner{Catalog: m365, Org: catalog.Org{Country: "US"}, Pools: map[string]*seats.Pool{}}
	for sku, n := range units {
		s, _ := m365.SKU(sku)
		p.Pools[sku] = &seats.Pool{SKU: sku, Enabled: n, Unlimited: s.Unlimited}
		p.Purchased = append(p.Purchased, sku)
	}
	slices.Sort(p.Purchased)
	return p
}

func TestPlannerDecide(t *testing.T) {
	us := catalog.User{UsageLocation: "US"}
	e3 := []catalog.Assigned{{SKU: "ENTERPRISEPACK"}}
	tests := []struct {
		name     string
		current  []catalog.Assigned
		change   catalog.Change
		outcome  licet.Outcome
		code     string
		consumed map[string]int // after
		insert   int
		update   int
		remove   int
	}{
		{name: "add three", change: catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}},
			outcome: licet.OutcomeAssigned, consumed: map[string]int{"ENTERPRISEPACK": 1, "MCOEV": 1, "MCOPSTN1": 1}, insert: 3},
		{name: "already there", current: e3, change: catalog.Change{Add: e3}, outcome: licet.OutcomeAlreadyAssigned, consumed: map[string]int{}},
		{name: "disabled plans change", current: e3, change: catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK", DisabledPlans: []string{"EXCHANGE_S_ENTERPRISE"}}}},
			outcome: licet.OutcomeAssigned, consumed: map[string]int{}, update: 1},
		{name: "remove frees a unit", current: e3, change: catalog.Change{Remove: []string{"ENTERPRISEPACK"}},
			outcome: licet.OutcomeRemoved, consumed: map[string]int{"ENTERPRISEPACK": -1}, remove: 1},
		{name: "remove what is not there", change: catalog.Change{Remove: []string{"ENTERPRISEPACK"}}, outcome: licet.OutcomeAlreadyAssigned, consumed: map[string]int{}},
		{name: "no unit left keeps nothing", change: catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOSTANDARD"}}},
			outcome: licet.OutcomeFailed, code: licet.CodeCountViolation, consumed: map[string]int{}},
		{name: "rule before count", change: catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOPSTN1"}}},
			outcome: licet.OutcomeFailed, code: licet.CodeDependencyViolation, consumed: map[string]int{}},
		{name: "unlimited", current: e3, change: catalog.Change{Add: []catalog.Assigned{{SKU: "MCOPSTNC"}}},
			outcome: licet.OutcomeAssigned, consumed: map[string]int{"MCOPSTNC": 1}, insert: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planner(map[string]int{"ENTERPRISEPACK": 5, "MCOEV": 5, "MCOPSTN1": 5, "MCOSTANDARD": 0, "MCOPSTNC": 0})
			start := map[string]int{}
			for _, a := range tt.current {
				p.Pools[a.SKU].Consumed++
				start[a.SKU]++
			}
			d := p.Decide(seats.Holder{UserID: 1, User: us, Current: tt.current}, tt.change)
			if d.Result.Outcome != tt.outcome {
				t.Fatalf("outcome = %s (%v), want %s", d.Result.Outcome, d.Result.Error, tt.outcome)
			}
			if got := licet.ErrorCode(errOf(d)); got != tt.code {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			for sku, pool := range p.Pools {
				if got := pool.Consumed - start[sku]; got != tt.consumed[sku] {
					t.Errorf("consumed %s changed by %d, want %d", sku, got, tt.consumed[sku])
				}
			}
			if len(d.Insert) != tt.insert || len(d.Update) != tt.update || len(d.Delete) != tt.remove {
				t.Errorf("rows insert %d update %d delete %d, want %d %d %d", len(d.Insert), len(d.Update), len(d.Delete), tt.insert, tt.update, tt.remove)
			}
		})
	}
}

func errOf(d seats.Decision) error {
	if d.Result.Error == nil {
		return nil
	}
	return d.Result.Error
}

// TestPlannerNeverOverbooks hands out a pool of 10 units to 25 users: 10 get it, the rest fail
// with CountViolation naming how many units to buy.
func TestPlannerNeverOverbooks(t *testing.T) {
	p := planner(map[string]int{"ENTERPRISEPACK": 10})
	change := catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}}}
	got := 0
	for i := range 25 {
		d := p.Decide(seats.Holder{UserID: int64(i), User: catalog.User{UsageLocation: "US"}}, change)
		if d.Result.Error == nil {
			got++
			continue
		}
		if want := fmt.Sprintf("buy %d more", 1); d.Result.Error.Code != licet.CodeCountViolation || !contains(d.Result.Error.Message, want) {
			t.Fatalf("user %d: %v, want CountViolation saying %q", i, d.Result.Error, want)
		}
	}
	if got != 10 || p.Pools["ENTERPRISEPACK"].Consumed != 10 {
		t.Errorf("assigned %d, consumed %d; want 10 and 10", got, p.Pools["ENTERPRISEPACK"].Consumed)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// BenchmarkPlannerDecide measures one user's decision in a bulk assignment of the seed's three
// SKUs (the catalog's rules plus the unit count).
func BenchmarkPlannerDecide(b *testing.B) {
	change := catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}}
	p := planner(map[string]int{"ENTERPRISEPACK": 1 << 30, "MCOEV": 1 << 30, "MCOPSTN1": 1 << 30})
	h := seats.Holder{UserID: 1, User: catalog.User{UsageLocation: "US"}}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(h, change); d.Result.Error != nil {
			b.Fatal(d.Result.Error)
		}
	}
}

// BenchmarkPlannerDecideAlreadyAssigned measures a re-run: the user holds the three SKUs already.
func BenchmarkPlannerDecideAlreadyAssigned(b *testing.B) {
	change := catalog.Change{Add: []catalog.Assigned{{SKU: "ENTERPRISEPACK"}, {SKU: "MCOEV"}, {SKU: "MCOPSTN1"}}}
	p := planner(map[string]int{"ENTERPRISEPACK": 1, "MCOEV": 1, "MCOPSTN1": 1})
	h := seats.Holder{UserID: 1, User: catalog.User{UsageLocation: "US"}, Current: change.Add}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Decide(h, change); d.Result.Outcome != licet.OutcomeAlreadyAssigned {
			b.Fatal(d.Result)
		}
	}
}
