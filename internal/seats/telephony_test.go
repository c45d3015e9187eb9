package seats_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

func TestPhoneNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK", "MCOEV", "MCOPSTN1")
		f.users(t, licet.User{UPN: "a@fabrikam.com"}, licet.User{UPN: "b@fabrikam.com"})
		if _, err := f.svc.AddNumbers(f.ctx, f.tenant, "US", []string{"+1 425 555 0100", "+33123456789"}); licet.ErrorCode(err) != licet.EInvalid ||
			!strings.Contains(licet.ErrorMessage(err), "is a number of FR") {
			t.Errorf("a French number for the US: %v, want invalid naming FR", err)
		}
		if _, err := f.svc.AddNumbers(f.ctx, f.tenant, "US", []string{"4255550100"}); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("a national number: %v, want invalid", err)
		}
		if ns, _ := f.svc.Numbers(f.ctx, f.tenant, licet.NumberFilter{}); len(ns) != 0 {
			t.Fatalf("a refused request added %v", ns)
		}
		if _, err := f.svc.AddNumbers(f.ctx, f.tenant, "US", []string{"+1 (425) 555-0100", "+14255550101"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddNumbers(f.ctx, f.tenant, "FR", []string{"+33 1 23 45 67 89"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddNumbers(f.ctx, f.tenant, "US", []string{"+14255550102", "+14255550100"}); licet.ErrorCode(err) != licet.EConflict {
			t.Errorf("a number already in the inventory: %v, want conflict", err)
		}
		if ns, _ := f.svc.Numbers(f.ctx, f.tenant, licet.NumberFilter{Country: "US"}); len(ns) != 2 {
			t.Errorf("US numbers = %v, want 2 (nothing of the refused request)", ns)
		}

		_, err := f.svc.AssignNumber(f.ctx, f.tenant, "+14255550100", "a@fabrikam.com")
		if licet.ErrorCode(err) != licet.CodeNumberNeedsCallingPlan || !strings.Contains(licet.ErrorMessage(err), "MCOEV+MCOPSTN1") {
			t.Errorf("a number for a user without a Calling Plan: %v, want NumberNeedsCallingPlan naming the plans", err)
		}
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1")); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.AssignNumber(f.ctx, f.tenant, "+14255550100", "a@fabrikam.com")
		if err != nil || p.User != "a@fabrikam.com" || p.AssignedAt == nil {
			t.Fatalf("assign = %+v, %v", p, err)
		}
		if _, err := f.svc.AssignNumber(f.ctx, f.tenant, "+14255550101", "a@fabrikam.com"); licet.ErrorCode(err) != licet.EConflict {
			t.Errorf("a second number for the user: %v, want conflict", err)
		}
		if u, _ := f.svc.User(f.ctx, f.tenant, "a@fabrikam.com"); u.PhoneNumber != "+14255550100" {
			t.Errorf("user's number = %q", u.PhoneNumber)
		}
		// A user with a number keeps a Calling Plan.
		_, err = f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"MCOPSTN1"}})
		if licet.ErrorCode(err) != licet.CodeNumberNeedsCallingPlan || !strings.Contains(licet.ErrorMessage(err), "licet number unassign +14255550100 --tenant fabrikam") {
			t.Errorf("removing the Calling Plan of a user with a number: %v, want NumberNeedsCallingPlan with the way out", err)
		}
		if err := f.svc.ReleaseNumber(f.ctx, f.tenant, "+14255550100"); licet.ErrorCode(err) != licet.EConflict {
			t.Errorf("releasing an assigned number: %v, want conflict", err)
		}
		if _, err := f.svc.UnassignNumber(f.ctx, f.tenant, "+1 425 555 0100"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"MCOPSTN1"}}); err != nil {
			t.Errorf("removing the Calling Plan once the number is back: %v", err)
		}
		if err := f.svc.ReleaseNumber(f.ctx, f.tenant, "+14255550100"); err != nil {
			t.Fatal(err)
		}
		if ns, _ := f.svc.Numbers(f.ctx, f.tenant, licet.NumberFilter{Free: true}); len(ns) != 2 {
			t.Errorf("free numbers = %v, want 2", ns)
		}

		// A Calling Plan from a group counts too, and the member cannot leave while it has a number.
		f.group(t, "Phones", "b@fabrikam.com")
		if _, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Phones", add("ENTERPRISEPACK", "MCOEV", "MCOPSTN1")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AssignNumber(f.ctx, f.tenant, "+14255550101", "b@fabrikam.com"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RemoveMember(f.ctx, f.tenant, "Phones", "b@fabrikam.com"); licet.ErrorCode(err) != licet.CodeNumberNeedsCallingPlan {
			t.Errorf("leaving the group that gives the Calling Plan: %v, want NumberNeedsCallingPlan", err)
		}
		checkConsumed(t, f)
	})
}

func TestConferencingProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, licet.Tenant{})
		f.buy(t, 5, "ENTERPRISEPACK", "MCOMEETADV")
		f.users(t, licet.User{UPN: "a@fabrikam.com"}, licet.User{UPN: "b@fabrikam.com"}, licet.User{UPN: "bare@fabrikam.com"})
		provider := func(upn string) string {
			t.Helper()
			u, err := f.svc.User(f.ctx, f.tenant, upn)
			if err != nil {
				t.Fatal(err)
			}
			return u.ConferencingProvider
		}
		if _, err := f.svc.SetConferencingProvider(f.ctx, f.tenant, "bare@fabrikam.com", "ACME Conferencing"); licet.ErrorCode(err) != licet.CodeProviderNeedsLicense {
			t.Errorf("third party for a user without SfB Plan 2: %v, want ProviderNeedsLicense", err)
		}
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("ENTERPRISEPACK")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetConferencingProvider(f.ctx, f.tenant, "a@fabrikam.com", "operator"); licet.ErrorCode(err) != licet.CodeProviderNeedsLicense ||
			!strings.Contains(licet.ErrorMessage(err), "--add MCOMEETADV") {
			t.Errorf("operator's bridge without Audio Conferencing: %v, want ProviderNeedsLicense with the way out", err)
		}
		if u, err := f.svc.SetConferencingProvider(f.ctx, f.tenant, "a@fabrikam.com", "ACME Conferencing"); err != nil || u.ConferencingProvider != "ACME Conferencing" {
			t.Fatalf("third party: %+v, %v", u, err)
		}
		// Getting Audio Conferencing switches the user to the operator's bridge.
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", add("MCOMEETADV")); err != nil {
			t.Fatal(err)
		}
		if p := provider("a@fabrikam.com"); p != licet.ProviderOperator {
			t.Errorf("after Audio Conferencing: provider %q, want operator", p)
		}
		// … and the admin may set the third party back.
		if _, err := f.svc.SetConferencingProvider(f.ctx, f.tenant, "a@fabrikam.com", "ACME Conferencing"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "a@fabrikam.com", licet.LicenseChange{RemoveLicenses: []string{"MCOMEETADV"}}); err != nil {
			t.Fatal(err)
		}
		if p := provider("a@fabrikam.com"); p != "ACME Conferencing" {
			t.Errorf("losing Audio Conferencing kept the third party? provider %q", p)
		}
		// Through a group too; losing it clears the operator's bridge.
		f.group(t, "Meetings", "b@fabrikam.com")
		if _, err := f.svc.AssignGroupLicense(f.ctx, f.tenant, "Meetings", add("ENTERPRISEPACK", "MCOMEETADV")); err != nil {
			t.Fatal(err)
		}
		if p := provider("b@fabrikam.com"); p != licet.ProviderOperator {
			t.Errorf("after Audio Conferencing from a group: provider %q, want operator", p)
		}
		if err := f.svc.RemoveMember(f.ctx, f.tenant, "Meetings", "b@fabrikam.com"); err != nil {
			t.Fatal(err)
		}
		if p := provider("b@fabrikam.com"); p != "" {
			t.Errorf("after leaving the group: provider %q, want none", p)
		}
		if _, err := f.svc.SetConferencingProvider(f.ctx, f.tenant, "a@fabrikam.com", "bad\x00name"); licet.ErrorCode(err) != licet.EInvalid {
			t.Errorf("a provider name with a NUL: %v, want invalid", err)
		}
	})
}

// ledgerSum adds up the tenant's ledger.
func (f *fixture) ledgerSum(t *testing.T) (int64, []licet.LedgerEntry) {
	t.Helper()
	es, err := f.svc.Ledger(f.ctx, f.tenant, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, e := range es {
		sum += e.Amount
		if e.Balance < 0 {
			t.Errorf("ledger entry %d has a negative balance %d", e.ID, e.Balance)
		}
	}
	return sum, es
}

func (f *fixture) checkLedger(t *testing.T) *licet.CreditAccount {
	t.Helper()
	a, err := f.svc.Credits(f.ctx, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	sum, es := f.ledgerSum(t)
	if sum != a.Balance {
		t.Errorf("the ledger sums to %d, the balance is %d", sum, a.Balance)
	}
	if len(es) > 0 && es[0].Balance != a.Balance {
		t.Errorf("the last ledger entry says %d, the balance is %d", es[0].Balance, a.Balance)
	}
	return a
}

func TestCreditsSignUpNeedsPrerequisites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tests := []struct {
			name string
			buy  []string
			code string
		}{
			{"a suite only", []string{"ENTERPRISEPACK"}, licet.CodePrerequisiteMissing},
			{"Phone System without a Calling Plan", []string{"ENTERPRISEPACK", "MCOEV"}, licet.CodePrerequisiteMissing},
			{"Phone System and a Calling Plan", []string{"ENTERPRISEPACK", "MCOEV", "MCOPSTN1"}, ""},
			{"Audio Conferencing", []string{"ENTERPRISEPACK", "MCOMEETADV"}, ""},
			{"E5 includes Audio Conferencing", []string{"ENTERPRISEPREMIUM"}, ""},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := setup(t, db, licet.Tenant{Slug: "t" + string(rune('a'+i)), Name: "T", UsageLocation: "US"})
				f.buy(t, 5, tt.buy...)
				a, err := f.svc.SignUpCredits(f.ctx, f.tenant)
				if licet.ErrorCode(err) != tt.code && !(tt.code == "" && err == nil) {
					t.Fatalf("sign up = %v, want %q", err, tt.code)
				}
				if tt.code != "" {
					if !strings.Contains(licet.ErrorMessage(err), "first") || !strings.Contains(licet.ErrorMessage(err), "Communications Credits") {
						t.Errorf("message %q names neither the rule nor the way out", licet.ErrorMessage(err))
					}
					if _, err := f.svc.Credits(f.ctx, f.tenant); licet.ErrorCode(err) != licet.ENotFound {
						t.Errorf("refused sign-up left an account: %v", err)
					}
					if _, ok := f.consumed(t)["MCOPSTNC"]; ok {
						t.Errorf("refused sign-up bought MCOPSTNC")
					}
					return
				}
				if a.Balance != 0 || a.Currency != "USD" {
					t.Errorf("new account = %+v", a)
				}
				if _, ok := f.consumed(t)["MCOPSTNC"]; !ok {
					t.Errorf("sign-up did not buy the credits SKU")
				}
				if _, err := f.svc.SignUpCredits(f.ctx, f.tenant); licet.ErrorCode(err) != licet.EConflict {
					t.Errorf("second sign-up: %v, want conflict", err)
				}
				f.checkLedger(t)
			})
		}
	})
}

// creditsTenant is a tenant signed up for credits with a user holding the credits license.
func creditsTenant(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := setup(t, db, licet.Tenant{})
	f.buy(t, 5, "ENTERPRISEPACK", "MCOMEETADV")
	if _, err := f.svc.SignUpCredits(f.ctx, f.tenant); err != nil {
		t.Fatal(err)
	}
	f.users(t, licet.User{UPN: "caller@fabrikam.com"})
	if _, err := f.svc.AssignLicense(f.ctx, f.tenant, "caller@fabrikam.com", add("ENTERPRISEPACK", "MCOMEETADV", "MCOPSTNC")); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCreditsAutoRecharge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := creditsTenant(t, db)
		if _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: 1000, Reason: "first funds"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetAutoRecharge(f.ctx, f.tenant, licet.AutoRecharge{Enabled: true, Threshold: 500, Amount: 2000}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			charge, balance int64
			kinds           string
		}{
			{charge: 400, balance: 600, kinds: "charge"},            // 10.00 → 6.00: still above 5.00
			{charge: 200, balance: 2400, kinds: "recharge charge"},  // 6.00 → 4.00 < 5.00: +20.00
			{charge: 6000, balance: 2400, kinds: "recharge charge"}, // 24.00 − 60.00 needs 3 recharges to end ≥ 5.00
			{charge: 1900, balance: 500, kinds: "charge"},           // down to exactly the threshold: no recharge
		}
		for _, tt := range tests {
			res, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: tt.charge, Reason: "dial-out"})
			if err != nil {
				t.Fatalf("charge %d: %v", tt.charge, err)
			}
			var kinds []string
			for _, e := range res.Entries {
				kinds = append(kinds, e.Kind)
			}
			if res.Account.Balance != tt.balance || strings.Join(kinds, " ") != tt.kinds {
				t.Errorf("charge %d: balance %d with %v, want %d with %s", tt.charge, res.Account.Balance, kinds, tt.balance, tt.kinds)
			}
		}
		a := f.checkLedger(t)
		if a.OutOfFunds {
			t.Errorf("out of funds with auto-recharge on")
		}
	})
}

func TestCreditsOutOfFunds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := creditsTenant(t, db)
		if _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: 500}); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: 600, Reason: "toll-free minutes"})
		if licet.ErrorCode(err) != licet.CodeInsufficientFunds || !strings.Contains(licet.ErrorMessage(err), "licet credits add") {
			t.Fatalf("charge over the balance: %v, want InsufficientFunds naming the way out", err)
		}
		a := f.checkLedger(t)
		if !a.OutOfFunds || a.Balance != 500 {
			t.Errorf("after a refused charge: %+v, want out of funds with 5.00 left", a)
		}
		if u, _ := f.svc.User(f.ctx, f.tenant, "caller@fabrikam.com"); !u.PaidCallingBlocked {
			t.Errorf("the credits user is not blocked from paid calling")
		}
		if _, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: 100, Reason: "dial-out"}); licet.ErrorCode(err) != licet.CodeInsufficientFunds {
			t.Errorf("a small charge while out of funds: %v, want InsufficientFunds", err)
		}
		if _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: 1000}); err != nil {
			t.Fatal(err)
		}
		if u, _ := f.svc.User(f.ctx, f.tenant, "caller@fabrikam.com"); u.PaidCallingBlocked {
			t.Errorf("still blocked after funds were added")
		}
		res, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: 1500, Reason: "dial-out"})
		if err != nil || res.Account.Balance != 0 {
			t.Fatalf("charge of the whole balance: %+v, %v", res, err)
		}
		_, es := f.ledgerSum(t)
		var kinds []string
		for i := len(es) - 1; i >= 0; i-- {
			kinds = append(kinds, es[i].Kind)
		}
		if got := strings.Join(kinds, " "); got != "signup add refused refused add charge" {
			t.Errorf("ledger kinds = %s", got)
		}
		f.checkLedger(t)
	})
}

func TestCreditsBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := creditsTenant(t, db)
		tenantCtx := licet.WithActor(f.ctx, licet.Actor{Role: licet.RoleTenant, Tenant: f.tenant, TenantID: 1})
		tests := []struct {
			name string
			call func() error
			code string
		}{
			{"add zero", func() error { _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{}); return err }, licet.EInvalid},
			{"add negative", func() error { _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: -100}); return err }, licet.EInvalid},
			{"add over the limit", func() error {
				_, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: 1 << 40})
				return err
			}, licet.EInvalid},
			{"charge without a reason", func() error { _, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: 1}); return err }, licet.EInvalid},
			{"charge negative", func() error {
				_, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: -1, Reason: "x"})
				return err
			}, licet.EInvalid},
			{"a tenant admin charges", func() error {
				_, err := f.svc.Charge(tenantCtx, f.tenant, licet.CreditAmount{Amount: 1, Reason: "x"})
				return err
			}, licet.EForbidden},
			{"auto-recharge of zero", func() error {
				_, err := f.svc.SetAutoRecharge(f.ctx, f.tenant, licet.AutoRecharge{Enabled: true, Threshold: 100})
				return err
			}, licet.EInvalid},
			{"auto-recharge off with values", func() error {
				_, err := f.svc.SetAutoRecharge(f.ctx, f.tenant, licet.AutoRecharge{Threshold: 100, Amount: 100})
				return err
			}, licet.EInvalid},
			{"unknown tenant", func() error { _, err := f.svc.AddFunds(f.ctx, "nobody", licet.CreditAmount{Amount: 1}); return err }, licet.ENotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); licet.ErrorCode(err) != tt.code {
					t.Errorf("err = %v, want %s", err, tt.code)
				}
			})
		}
		if a := f.checkLedger(t); a.Balance != 0 {
			t.Errorf("bad input changed the balance to %d", a.Balance)
		}
		// The CHECK constraint holds even against a direct write.
		err := db.Write(f.ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(f.ctx, `UPDATE credit_accounts SET balance = -1`)
			return err
		})
		if err == nil {
			t.Errorf("the database accepted a negative balance")
		}
	})
}

// Concurrent charges never overdraw: 40 charges of 5.00 race for 100.00, on both databases.
func TestConcurrentChargesNeverOverdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := creditsTenant(t, db)
		if _, err := f.svc.AddFunds(f.ctx, f.tenant, licet.CreditAmount{Amount: 10000}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Charge(f.ctx, f.tenant, licet.CreditAmount{Amount: 500, Reason: "dial-out"})
				mu.Lock()
				defer mu.Unlock()
				switch licet.ErrorCode(err) {
				case "":
					ok++
				case licet.CodeInsufficientFunds:
					refused++
				default:
					t.Errorf("charge: %v", err)
				}
			}()
		}
		wg.Wait()
		a := f.checkLedger(t)
		if ok != 20 || refused != 20 || a.Balance != 0 {
			t.Errorf("%d charges accepted, %d refused, balance %d; want 20, 20 and 0", ok, refused, a.Balance)
		}
	})
}
