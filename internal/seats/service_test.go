package seats_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/seats"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
	"github.com/licet/licet/internal/tenancy"
)

var m365 = func() *catalog.Catalog {
	c, err := catalog.Load(catalogs.M365TeamsFile, catalogs.M365Teams())
	if err != nil {
		panic(err)
	}
	return c
}()

// fixture is a seat service on a database with one tenant.
type fixture struct {
	svc    *seats.Service
	ctx    context.Context
	tenant string
}

func setup(t *testing.T, db *store.DB, tenant licet.Tenant) *fixture {
	t.Helper()
	ctx := licet.WithActor(context.Background(), licet.System)
	clock := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	if tenant.Slug == "" {
		tenant = licet.Tenant{Slug: "fabrikam", Name: "Fabrikam", UsageLocation: "US"}
	}
	if _, err := (&tenancy.Service{DB: db, Now: clock}).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	svc := &seats.Service{DB: db, Catalog: func() *catalog.Catalog { return m365 }, Now: clock}
	return &fixture{svc: svc, ctx: ctx, tenant: tenant.Slug}
}

// buy buys n units of each SKU, in order.
func (f *fixture) buy(t *testing.T, n int, skus ...string) {
	t.Helper()
	for _, sku := range skus {
		if _, err := f.svc.BuySubscription(f.ctx, f.tenant, licet.Subscription{SKU: sku, Quantity: n}); err != nil {
			t.Fatalf("buy %s ×%d: %v", sku, n, err)
		}
	}
}

func (f *fixture) users(t *testing.T, users ...licet.User) {
	t.Helper()
	for _, u := range users {
		if _, err := f.svc.CreateUser(f.ctx, f.tenant, u); err != nil {
			t.Fatalf("create %s: %v", u.UPN, err)
		}
	}
}

func (f *fixture) consumed(t *testing.T) map[string]int {
	t.Helper()
	skus, err := f.svc.SubscribedSKUs(f.ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range skus {
		out[s.SKU] = s.Consumed
	}
	return out
}

func (f *fixture) licenses(t *testing.T, upn string) []string {
	t.Helper()
	u, err := f.svc.User(f.ctx, f.tenant, upn)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range u.Licenses {
		out = append(out, l.SKU)
	}
	return out
}

func add(skus ...string) licet.LicenseChange {
	var c licet.LicenseChange
	for _, s := range skus {
		c.AddLicenses = append(c.AddLicenses, licet.LicenseAdd{SKU: s})
	}
	return c
}

func TestBuySubscriptionRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tests := []struct {
			name  string
			owned []licet.Subscription
			buy   licet.Subscription
			code  string
			want  string // fragment of the message
		}{
			{name: "calling plan after phone system", owned: []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 5}, {SKU: "MCOEV", Quantity: 5}},
				buy: licet.Subscription{SKU: "MCOPSTN1", Quantity: 3}},
			{name: "calling plan before phone system", owned: []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 5}},
				buy: licet.Subscription{SKU: "MCOPSTN1", Quantity: 3}, code: "PrerequisiteMissing", want: "Phone System (MCOEV)"},
			{name: "business premium may not add phone system", owned: []licet.Subscription{{SKU: "O365_BUSINESS_PREMIUM", Quantity: 5}},
				buy: licet.Subscription{SKU: "MCOEV", Quantity: 1}, code: "AddOnNotAllowedForBase", want: "switch to"},
			{name: "add-on on a monthly base", owned: []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 5, Term: "monthly"}},
				buy: licet.Subscription{SKU: "MCOEV", Quantity: 1}, code: "TermRestriction", want: "annual"},
			{name: "GoDaddy business premium buys audio conferencing", owned: []licet.Subscription{{SKU: "O365_BUSINESS_PREMIUM", Quantity: 5, Channel: "reseller:GoDaddy"}},
				buy: licet.Subscription{SKU: "MCOMEETADV", Quantity: 1}, code: "ChannelRestriction", want: "ENTERPRISEPACK"},
			{name: "unknown SKU", buy: licet.Subscription{SKU: "NOPE", Quantity: 1}, code: "UnknownSKU"},
			{name: "negative quantity", buy: licet.Subscription{SKU: "ENTERPRISEPACK", Quantity: -1}, code: licet.EInvalid, want: "negative"},
			{name: "zero quantity", buy: licet.Subscription{SKU: "ENTERPRISEPACK"}, code: licet.EInvalid, want: "at least 1"},
			{name: "unlimited needs no quantity", owned: []licet.Subscription{{SKU: "ENTERPRISEPACK", Quantity: 1}, {SKU: "MCOMEETADV", Quantity: 1}},
				buy: licet.Subscription{SKU: "MCOPSTNC"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := setup(t, db, licet.Tenant{Slug: fmt.Sprintf("t%d", i), Name: "T", UsageLocation: "US"})
				for _, o := range tt.owned {
					if _, err := f.svc.BuySubscription(f.ctx, f.tenant, o); err != nil {
						t.Fatalf("buy %s: %v", o.SKU, err)
					}
				}
				_, err := f.svc.BuySubscription(f.ctx, f.tenant, tt.buy)
				if got := licet.ErrorCode(err); got != tt.code {
					t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
				}
				if err != nil && !strings.Contains(err.Error(), tt.want) {
					t.Errorf("message %q does not say %q", err.Error(), tt.want)
				}
				if tt.code != "" && tt.code != licet.EInvalid && tt.code != "UnknownSKU" {
					if rule, _ := licet.AsError(err).Details["rule"].(string); rule == "" {
						t.Errorf("error %v names no rule", err)
					}
				}
			})
		}
	})
}

func TestAssignLicenseErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tests := []struct {
			name    string
			tenant  licet.Tenant
			user    licet.User
			have    []string // assigned first
			change  licet.LicenseChange
			code    string
			want    string
			licence []string // licenses after
		}{
			{name: "all three", change: add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"), licence: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}},
			{name: "calling plan without phone system", have: []string{"ENTERPRISEPACK"}, change: add("MCOPSTN1"),
				code: "DependencyViolation", want: "requires Phone System (MCOEV)", licence: []string{"ENTERPRISEPACK"}},
			{name: "two calling plans", have: []string{"ENTERPRISEPACK", "MCOEV"}, change: add("MCOPSTN1", "MCOPSTN2"),
				code: "MutuallyExclusiveViolation", licence: []string{"ENTERPRISEPACK", "MCOEV"}},
			{name: "no usage location", tenant: licet.Tenant{Slug: "nowhere", Name: "Nowhere"}, change: add("ENTERPRISEPACK"),
				code: "ProhibitedInUsageLocationViolation", want: "usage location"},
			{name: "small calling plan in the US", user: licet.User{UsageLocation: "US"}, have: []string{"ENTERPRISEPACK", "MCOEV"}, change: add("MCOPSTN5"),
				code: "ProhibitedInUsageLocationViolation", want: "US", licence: []string{"ENTERPRISEPACK", "MCOEV"}},
			{name: "hybrid user gets no calling plan", user: licet.User{OnPremisesPSTN: true}, change: add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1"),
				code: "HybridCallingPlanViolation", want: "Phone System only"},
			{name: "hybrid user gets phone system", user: licet.User{OnPremisesPSTN: true}, change: add("ENTERPRISEPACK", "MCOEV"),
				licence: []string{"ENTERPRISEPACK", "MCOEV"}},
			{name: "not purchased", change: add("ENTERPRISEPREMIUM"), code: "NotPurchased", want: "buy"},
			{name: "removal breaks a dependency", have: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"},
				change: licet.LicenseChange{RemoveLicenses: []string{"MCOEV"}}, code: "DependencyViolation", want: "without Phone System",
				licence: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}},
			{name: "removal with its dependent", have: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"},
				change: licet.LicenseChange{RemoveLicenses: []string{"MCOEV", "MCOPSTN1"}}, licence: []string{"ENTERPRISEPACK"}},
			{name: "unknown plan", change: licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPACK", DisabledPlans: []string{"MCOEV"}}}},
				code: "InvalidDisabledPlan"},
			{name: "unknown SKU", change: add("NOPE"), code: "UnknownSKU"},
			{name: "small calling plan in the UK", change: add("ENTERPRISEPACK", "MCOEV", "MCOPSTN5"), licence: []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN5"}},
			{name: "malformed UPN", user: licet.User{UPN: "not a upn"}, change: add("ENTERPRISEPACK"), code: licet.EInvalid},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tn := tt.tenant
				if tn.Slug == "" {
					tn = licet.Tenant{Slug: fmt.Sprintf("a%d", i), Name: "A", UsageLocation: "GB"}
				}
				f := setup(t, db, tn)
				for _, s := range []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1", "MCOPSTN2", "MCOPSTN5"} {
					f.buy(t, 5, s)
				}
				u := tt.user
				u.UPN = "user@fabrikam.com"
				u.Kind = ""
				f.users(t, u)
				if len(tt.have) > 0 {
					if _, err := f.svc.AssignLicense(f.ctx, f.tenant, u.UPN, add(tt.have...)); err != nil {
						t.Fatalf("assign %v: %v", tt.have, err)
					}
				}
				target := u.UPN
				if tt.user.UPN != "" {
					target = tt.user.UPN
				}
				_, err := f.svc.AssignLicense(f.ctx, f.tenant, target, tt.change)
				if got := licet.ErrorCode(err); got != tt.code {
					t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
				}
				if err != nil && !strings.Contains(err.Error(), tt.want) {
					t.Errorf("message %q does not say %q", err.Error(), tt.want)
				}
				if got := f.licenses(t, u.UPN); !slices.Equal(got, sorted(tt.licence)) {
					t.Errorf("licenses after = %v, want %v", got, sorted(tt.licence))
				}
				consumed := f.consumed(t)
				for _, s := range []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"} {
					want := 0
					if slices.Contains(tt.licence, s) {
						want = 1
					}
					if consumed[s] != want {
						t.Errorf("consumed %s = %d, want %d", s, consumed[s], want)
					}
				}
			})
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestCountViolationAndUnlimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 2, "ENTERPRISEPACK", "MCOMEETADV")
		f.buy(t, 0, "MCOPSTNC")
		for i := range 3 {
			f.users(t, licet.User{UPN: fmt.Sprintf("u%d@fabrikam.com", i)})
		}
		for i := range 2 {
			if _, err := f.svc.AssignLicense(f.ctx, f.tenant, fmt.Sprintf("u%d@fabrikam.com", i), add("ENTERPRISEPACK", "MCOPSTNC")); err != nil {
				t.Fatal(err)
			}
		}
		_, err := f.svc.AssignLicense(f.ctx, f.tenant, "u2@fabrikam.com", add("ENTERPRISEPACK", "MCOPSTNC"))
		if got := licet.ErrorCode(err); got != licet.CodeCountViolation {
			t.Fatalf("third E3: code %q (%v), want CountViolation", got, err)
		}
		if !strings.Contains(err.Error(), "buy 1 more") {
			t.Errorf("CountViolation %q does not say how many to buy", err)
		}
		if got := f.licenses(t, "u2@fabrikam.com"); len(got) != 0 {
			t.Errorf("u2 kept %v from a refused change", got)
		}
		// Communications Credits never run out.
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "u2@fabrikam.com", add("MCOPSTNC")); err != nil {
			t.Errorf("unlimited SKU refused: %v", err)
		}
		skus, err := f.svc.SubscribedSKUs(f.ctx, f.tenant)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range skus {
			switch s.SKU {
			case "ENTERPRISEPACK":
				if s.Consumed != 2 || s.Available == nil || *s.Available != 0 || s.PrepaidUnits.Enabled != 2 {
					t.Errorf("E3 = %+v, want 2 enabled, 2 consumed, 0 available", s)
				}
			case "MCOPSTNC":
				if !s.Unlimited || s.Available != nil || s.Consumed != 3 {
					t.Errorf("credits = %+v, want unlimited with 3 consumed", s)
				}
			}
		}
	})
}

func TestSubscriptionQuantityBelowConsumed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK")
		subs, err := f.svc.Subscriptions(f.ctx, f.tenant)
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscriptions = %v, %v", subs, err)
		}
		for i := range 3 {
			upn := fmt.Sprintf("u%d@fabrikam.com", i)
			f.users(t, licet.User{UPN: upn})
			if _, err := f.svc.AssignLicense(f.ctx, f.tenant, upn, add("ENTERPRISEPACK")); err != nil {
				t.Fatal(err)
			}
		}
		two, three := 2, 3
		_, err = f.svc.UpdateSubscription(f.ctx, f.tenant, subs[0].ID, licet.SubscriptionUpdate{Quantity: &two})
		if licet.ErrorCode(err) != licet.EConflict || !strings.Contains(err.Error(), "3 are assigned") || !strings.Contains(err.Error(), "remove 1") {
			t.Fatalf("reduce to 2: %v, want conflict naming 3 assigned and 1 to remove", err)
		}
		if got, err := f.svc.UpdateSubscription(f.ctx, f.tenant, subs[0].ID, licet.SubscriptionUpdate{Quantity: &three}); err != nil || got.Quantity != 3 {
			t.Fatalf("reduce to 3: %v, %v", got, err)
		}
		if _, err := f.svc.UpdateSubscription(f.ctx, f.tenant, subs[0].ID, licet.SubscriptionUpdate{Status: licet.SubscriptionSuspended}); err != nil {
			t.Fatal(err)
		}
		skus, _ := f.svc.SubscribedSKUs(f.ctx, f.tenant)
		if len(skus) != 1 || skus[0].PrepaidUnits.Suspended != 3 || skus[0].PrepaidUnits.Enabled != 0 || skus[0].CapabilityStatus != "Suspended" {
			t.Errorf("after suspension: %+v, want 3 suspended, 0 enabled, Suspended", skus)
		}
		f.users(t, licet.User{UPN: "late@fabrikam.com"})
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "late@fabrikam.com", add("ENTERPRISEPACK")); licet.ErrorCode(err) != licet.CodeCountViolation {
			t.Errorf("assign on a suspended subscription: %v, want CountViolation", err)
		}
	})
}

func TestBatchAtomicPerUserAndRerun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.svc.ChunkSize = 2 // several transactions for five users
		f.buy(t, 5, "ENTERPRISEPACK", "MCOEV")
		f.buy(t, 3, "MCOPSTN1")
		var upns []string
		for i := range 5 {
			upns = append(upns, fmt.Sprintf("user%d@fabrikam.com", i+1))
			f.users(t, licet.User{UPN: upns[i]})
		}
		batch := licet.BatchAssignment{Users: upns, LicenseChange: add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1")}

		dry := batch
		dry.DryRun = true
		res, err := f.svc.AssignBatch(f.ctx, f.tenant, dry)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); got != "assigned:3 failed:2" {
			t.Errorf("dry run outcomes = %s, want assigned:3 failed:2", got)
		}
		if got := f.consumed(t); got["ENTERPRISEPACK"] != 0 || got["MCOPSTN1"] != 0 {
			t.Errorf("dry run consumed units: %v", got)
		}
		for _, sc := range res.Seats {
			if sc.Delta != 3 || sc.Consumed != 3 {
				t.Errorf("dry run seat change %+v, want delta 3 consumed 3", sc)
			}
		}

		res, err = f.svc.AssignBatch(f.ctx, f.tenant, batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); got != "assigned:3 failed:2" {
			t.Errorf("outcomes = %s, want assigned:3 failed:2", got)
		}
		for _, r := range res.Results {
			if r.Outcome != licet.OutcomeFailed {
				continue
			}
			if r.Error.Code != licet.CodeCountViolation || r.Error.Details["skuPartNumber"] != "MCOPSTN1" {
				t.Errorf("%s failed with %v, want CountViolation on MCOPSTN1", r.UPN, r.Error)
			}
			if got := f.licenses(t, r.UPN); len(got) != 0 {
				t.Errorf("%s kept %v from a refused batch", r.UPN, got)
			}
		}
		for sku, n := range f.consumed(t) {
			if n != 3 {
				t.Errorf("consumed %s = %d, want 3", sku, n)
			}
		}

		// Re-running for the users who got everything changes nothing.
		again := batch
		again.Users = upns[:3]
		res, err = f.svc.AssignBatch(f.ctx, f.tenant, again)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); got != "already_assigned:3" {
			t.Errorf("rerun outcomes = %s, want already_assigned:3", got)
		}
		for _, sc := range res.Seats {
			if sc.Delta != 0 {
				t.Errorf("rerun changed seats: %+v", sc)
			}
		}
	})
}

func outcomes(r *licet.BatchResult) string {
	n := map[licet.Outcome]int{}
	for _, x := range r.Results {
		n[x.Outcome]++
	}
	var parts []string
	for _, k := range []licet.Outcome{licet.OutcomeAssigned, licet.OutcomeRemoved, licet.OutcomeAlreadyAssigned, licet.OutcomeFailed} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", k, n[k]))
		}
	}
	return strings.Join(parts, " ")
}

func TestUserLicenseDetails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 1, "ENTERPRISEPREMIUM")
		f.users(t, licet.User{UPN: "Room1@Fabrikam.com", Kind: licet.UserRoom, UsageLocation: "fr"})
		change := licet.LicenseChange{AddLicenses: []licet.LicenseAdd{{SKU: "ENTERPRISEPREMIUM", DisabledPlans: []string{"MCOMEETADV"}}}}
		u, err := f.svc.AssignLicense(f.ctx, f.tenant, "room1@fabrikam.com", change)
		if err != nil {
			t.Fatal(err)
		}
		if u.UPN != "room1@fabrikam.com" || u.Kind != "room" || u.UsageLocation != "FR" {
			t.Errorf("user = %+v", u)
		}
		if len(u.Licenses) != 1 {
			t.Fatalf("licenses = %+v", u.Licenses)
		}
		status := map[string]string{}
		for _, p := range u.Licenses[0].ServicePlans {
			status[p.Plan] = p.ProvisioningStatus
		}
		if status["MCOMEETADV"] != "Disabled" || status["MCOEV"] != "Success" {
			t.Errorf("plan statuses = %v, want MCOMEETADV Disabled and MCOEV Success", status)
		}
		// Changing only the disabled plans updates the license and consumes no unit.
		res, err := f.svc.AssignBatch(f.ctx, f.tenant, licet.BatchAssignment{Users: []string{"room1@fabrikam.com"}, LicenseChange: add("ENTERPRISEPREMIUM")})
		if err != nil || res.Results[0].Outcome != licet.OutcomeAssigned || !slices.Equal(res.Results[0].Updated, []string{"ENTERPRISEPREMIUM"}) {
			t.Fatalf("update disabled plans: %+v, %v", res, err)
		}
		if got := f.consumed(t)["ENTERPRISEPREMIUM"]; got != 1 {
			t.Errorf("consumed = %d, want 1", got)
		}
	})
}

// TestConcurrentAssignmentNeverOverbooks assigns one SKU with 10 units to 100 users from 20
// goroutines, one user per request: exactly 10 get it, on both databases.
func TestConcurrentAssignmentNeverOverbooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 10, "ENTERPRISEPACK")
		var users []licet.User
		for i := range 100 {
			users = append(users, licet.User{UPN: fmt.Sprintf("c%03d@fabrikam.com", i)})
		}
		if _, err := f.svc.ImportUsers(f.ctx, f.tenant, users); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		next := make(chan string)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for upn := range next {
					_, err := f.svc.AssignLicense(f.ctx, f.tenant, upn, add("ENTERPRISEPACK"))
					mu.Lock()
					codes[licet.ErrorCode(err)]++
					mu.Unlock()
				}
			}()
		}
		for _, u := range users {
			next <- u.UPN
		}
		close(next)
		wg.Wait()
		if codes[""] != 10 || codes[licet.CodeCountViolation] != 90 {
			t.Errorf("outcomes = %v, want 10 assigned and 90 CountViolation", codes)
		}
		if got := f.consumed(t)["ENTERPRISEPACK"]; got != 10 {
			t.Errorf("consumed = %d, want 10", got)
		}
		var rows int
		if err := db.Read(f.ctx, func(tx *store.Tx) error {
			return tx.QueryRow(f.ctx, `SELECT count(*) FROM assignments WHERE sku = 'ENTERPRISEPACK'`).Scan(&rows)
		}); err != nil {
			t.Fatal(err)
		}
		if rows != 10 {
			t.Errorf("assignment rows = %d, want 10", rows)
		}
	})
}

func TestImportUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.svc.ChunkSize = 3
		users := []licet.User{{UPN: "a@fabrikam.com"}, {UPN: "B@fabrikam.com", UsageLocation: "DE"}, {UPN: "bad"}, {UPN: "a@fabrikam.com"},
			{UPN: "c@fabrikam.com", UsageLocation: "XX"}, {UPN: "d@fabrikam.com", Kind: "robot"}, {UPN: "e@fabrikam.com"}}
		res, err := f.svc.ImportUsers(f.ctx, f.tenant, users)
		if err != nil {
			t.Fatal(err)
		}
		want := []licet.Outcome{"created", "created", "failed", "failed", "failed", "failed", "created"}
		for i, r := range res {
			if r.Outcome != want[i] {
				t.Errorf("entry %d (%s): outcome %s (%v), want %s", i, r.UPN, r.Outcome, r.Error, want[i])
			}
		}
		res, err = f.svc.ImportUsers(f.ctx, f.tenant, []licet.User{{UPN: "a@fabrikam.com"}, {UPN: "f@fabrikam.com"}})
		if err != nil || res[0].Outcome != "exists" || res[1].Outcome != "created" {
			t.Fatalf("second import: %+v, %v", res, err)
		}
		list, err := f.svc.Users(f.ctx, f.tenant, licet.UserFilter{Limit: 2, After: "a@fabrikam.com"})
		if err != nil || len(list) != 2 || list[0].UPN != "b@fabrikam.com" || list[0].UsageLocation != "DE" || list[1].UsageLocation != "US" {
			t.Errorf("page after a: %+v, %v", list, err)
		}
	})
}

func TestGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.users(t, licet.User{UPN: "a@fabrikam.com"}, licet.User{UPN: "b@fabrikam.com"})
		if _, err := f.svc.CreateGroup(f.ctx, f.tenant, licet.Group{Name: "Sales"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateGroup(f.ctx, f.tenant, licet.Group{Name: "Sales"}); licet.ErrorCode(err) != licet.EConflict {
			t.Errorf("duplicate group: %v, want conflict", err)
		}
		if _, err := f.svc.AddMembers(f.ctx, f.tenant, "Sales", []string{"a@fabrikam.com", "nobody@fabrikam.com"}); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("add an unknown user: %v, want NotFound", err)
		}
		g, err := f.svc.AddMembers(f.ctx, f.tenant, "Sales", []string{"a@fabrikam.com", "B@fabrikam.com", "a@fabrikam.com"})
		if err != nil || !slices.Equal(g.MemberUPNs, []string{"a@fabrikam.com", "b@fabrikam.com"}) {
			t.Fatalf("members = %+v, %v", g, err)
		}
		if err := f.svc.RemoveMember(f.ctx, f.tenant, "Sales", "a@fabrikam.com"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RemoveMember(f.ctx, f.tenant, "Sales", "a@fabrikam.com"); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("remove twice: %v, want NotFound", err)
		}
		gs, err := f.svc.Groups(f.ctx, f.tenant)
		if err != nil || len(gs) != 1 || gs[0].Members != 1 {
			t.Errorf("groups = %+v, %v", gs, err)
		}
		u, err := f.svc.User(f.ctx, f.tenant, "b@fabrikam.com")
		if err != nil || !slices.Equal(u.Groups, []string{"Sales"}) {
			t.Errorf("b's groups = %+v, %v", u, err)
		}
	})
}

func TestTenantAdminSeesOnlyItsTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		other := setup(t, db, licet.Tenant{Slug: "other", Name: "Other", UsageLocation: "US"})
		f.buy(t, 1, "ENTERPRISEPACK")
		f.users(t, licet.User{UPN: "a@fabrikam.com"})
		var otherID int64
		_ = db.Read(f.ctx, func(tx *store.Tx) error {
			return tx.QueryRow(f.ctx, `SELECT id FROM tenants WHERE slug = 'other'`).Scan(&otherID)
		})
		ctx := licet.WithActor(context.Background(), licet.Actor{Role: licet.RoleTenant, TenantID: otherID, Tenant: "other"})
		if _, err := other.svc.SubscribedSKUs(ctx, "fabrikam"); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("skus of another tenant: %v, want NotFound", err)
		}
		if _, err := other.svc.AssignLicense(ctx, "fabrikam", "a@fabrikam.com", add("ENTERPRISEPACK")); licet.ErrorCode(err) != licet.ENotFound {
			t.Errorf("assign in another tenant: %v, want NotFound", err)
		}
		if _, err := other.svc.SubscribedSKUs(ctx, "other"); err != nil {
			t.Errorf("own tenant: %v", err)
		}
	})
}
