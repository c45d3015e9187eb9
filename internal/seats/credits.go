package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

var _ licet.CreditService = (*Service)(nil)

// maxReason bounds the reason of a deposit or a charge.
const maxReason = 200

// SignUpCredits opens the tenant's Communications Credits account. The catalog's purchase rules
// for the credits SKU decide whether the tenant may (for m365-teams: Phone System with a Calling
// Plan, or Audio Conferencing); the SKU is bought, unlimited, when the tenant has not yet.
func (s *Service) SignUpCredits(ctx context.Context, tenant string) (*licet.CreditAccount, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	part := s.creditsSKU(cat)
	if part == "" {
		return nil, licet.Errorf(licet.EUnavailable, "the catalog %s names no communications credits SKU: declare telephony.credits in the catalog (docs/catalog.md)", cat.Name)
	}
	sku, ok := cat.SKU(part)
	if !ok {
		return nil, licet.Errorf(licet.EUnavailable, "the catalog %s has no communications credits SKU %s", cat.Name, part)
	}
	currency := "USD"
	if sku.Price != nil && sku.Price.Currency != "" {
		currency = sku.Price.Currency
	}
	now := s.now()
	var a licet.CreditAccount
	err = s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if _, err := accountTx(ctx, tx, t, false); err == nil {
			return licet.Errorf(licet.EConflict, "tenant %s has signed up for Communications Credits already (licet credits show)", t.Slug)
		} else if licet.ErrorCode(err) != licet.ENotFound {
			return err
		}
		owned, err := ownedPurchases(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		has := slices.ContainsFunc(owned, func(p catalog.Purchase) bool { return p.SKU == part })
		others := slices.DeleteFunc(slices.Clone(owned), func(p catalog.Purchase) bool { return p.SKU == part })
		// The prerequisites are checked even when the SKU was bought before: they may have lapsed.
		if vs := cat.CheckPurchase(org(t), others, catalog.Purchase{SKU: part}); len(vs) > 0 {
			return ViolationError(vs)
		}
		if !has {
			sub := licet.Subscription{SKU: part, Status: licet.SubscriptionEnabled, Term: "annual", Channel: "direct"}
			if err := buyTx(ctx, tx, cat, t, &sub, sku, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit_accounts (tenant_id, currency, created_at, updated_at) VALUES (?, ?, ?, ?)`, t.ID, currency, now, now); err != nil {
			return err
		}
		if _, err := ledger(ctx, tx, t.ID, now, licet.LedgerEntry{Kind: licet.LedgerSignup, Reason: "signed up"}); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "credits.signup", Object: "tenant:" + t.Slug, After: currency}); err != nil {
			return err
		}
		a, err = accountTx(ctx, tx, t, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// accountTx reads the tenant's account, locking it on PostgreSQL when lock is true.
func accountTx(ctx context.Context, tx *store.Tx, t licet.Tenant, lock bool) (licet.CreditAccount, error) {
	a := licet.CreditAccount{Tenant: t.Slug}
	var auto, out int
	var created, updated int64
	q := `SELECT currency, balance, auto_recharge, threshold, recharge_amount, out_of_funds, created_at, updated_at FROM credit_accounts WHERE tenant_id = ?`
	if lock {
		q += tx.ForUpdate()
	}
	err := tx.QueryRow(ctx, q, t.ID).Scan(&a.Currency, &a.Balance, &auto, &a.Threshold, &a.RechargeAmount, &out, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, licet.Errorf(licet.ENotFound, "tenant %s has not signed up for Communications Credits: licet credits signup --tenant %s", t.Slug, t.Slug)
	}
	a.AutoRecharge, a.OutOfFunds = auto == 1, out == 1
	a.CreatedAt, a.UpdatedAt = store.Time(created), store.Time(updated)
	return a, err
}

// ledger appends an entry to the tenant's ledger, as the actor of ctx, and returns its id.
func ledger(ctx context.Context, tx *store.Tx, tenantID, now int64, e licet.LedgerEntry) (int64, error) {
	return tx.Insert(ctx, `INSERT INTO credit_ledger (tenant_id, at, kind, amount, balance, requested, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tenantID, now, e.Kind, e.Amount, e.Balance, e.Requested, e.Reason, licet.ActorFrom(ctx).String())
}

// saveAccount writes the balance and the out-of-funds mark.
func saveAccount(ctx context.Context, tx *store.Tx, tenantID, now int64, a licet.CreditAccount) error {
	_, err := tx.Exec(ctx, `UPDATE credit_accounts SET balance = ?, out_of_funds = ?, updated_at = ? WHERE tenant_id = ?`, a.Balance, store.Bool(a.OutOfFunds), now, tenantID)
	return err
}

// Credits returns the tenant's account.
func (s *Service) Credits(ctx context.Context, tenant string) (*licet.CreditAccount, error) {
	return readTenant(ctx, s, tenant, func(tx *store.Tx, t licet.Tenant) (licet.CreditAccount, error) {
		return accountTx(ctx, tx, t, false)
	})
}

// checkAmount refuses an amount (minor units) that is negative, over MaxAmount, or zero unless
// zero may be.
func checkAmount(field string, v int64, zero bool) error {
	low := int64(1)
	if zero {
		low = 0
	}
	if v < low || v > MaxAmount {
		return licet.Errorf(licet.EInvalid, "%s %d is out of range: give %d to %d minor units (%s to %s)", field, v, low, int64(MaxAmount), FormatAmount(low), FormatAmount(MaxAmount)).
			With("field", field)
	}
	return nil
}

func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case required && reason == "":
		return "", licet.Errorf(licet.EInvalid, "a charge needs a reason: say what the usage was (e.g. \"dial-out minutes, November\")").With("field", "reason")
	case len(reason) > maxReason || strings.ContainsFunc(reason, func(r rune) bool { return !unicode.IsPrint(r) }):
		return "", licet.Errorf(licet.EInvalid, "reason %q is invalid: use up to %d printable characters", listfile.Clip(reason), maxReason).With("field", "reason")
	}
	return reason, nil
}

// AddFunds adds to the balance and clears the out-of-funds mark.
func (s *Service) AddFunds(ctx context.Context, tenant string, in licet.CreditAmount) (*licet.CreditAccount, error) {
	if err := checkAmount("amount", in.Amount, false); err != nil {
		return nil, err
	}
	reason, err := checkReason(in.Reason, false)
	if err != nil {
		return nil, err
	}
	return s.changeAccount(ctx, tenant, "credits.add", func(ctx context.Context, tx *store.Tx, t licet.Tenant, a *licet.CreditAccount, now int64) error {
		if a.Balance+in.Amount > MaxBalance {
			return licet.Errorf(licet.EInvalid, "the balance would be over the limit of %s %s", FormatAmount(MaxBalance), a.Currency)
		}
		a.Balance += in.Amount
		a.OutOfFunds = false
		if err := saveAccount(ctx, tx, t.ID, now, *a); err != nil {
			return err
		}
		_, err := ledger(ctx, tx, t.ID, now, licet.LedgerEntry{Kind: licet.LedgerAdd, Amount: in.Amount, Balance: a.Balance, Reason: reason})
		return err
	})
}

// SetAutoRecharge turns auto-recharge on or off.
func (s *Service) SetAutoRecharge(ctx context.Context, tenant string, r licet.AutoRecharge) (*licet.CreditAccount, error) {
	if r.Enabled {
		if err := checkAmount("threshold", r.Threshold, true); err != nil {
			return nil, err
		}
		if err := checkAmount("amount", r.Amount, false); err != nil {
			return nil, err
		}
	} else if r.Threshold != 0 || r.Amount != 0 {
		return nil, licet.Errorf(licet.EInvalid, "give a threshold and an amount only to turn auto-recharge on")
	}
	return s.changeAccount(ctx, tenant, "credits.auto-recharge", func(ctx context.Context, tx *store.Tx, t licet.Tenant, a *licet.CreditAccount, now int64) error {
		a.AutoRecharge, a.Threshold, a.RechargeAmount = r.Enabled, r.Threshold, r.Amount
		_, err := tx.Exec(ctx, `UPDATE credit_accounts SET auto_recharge = ?, threshold = ?, recharge_amount = ?, updated_at = ? WHERE tenant_id = ?`,
			store.Bool(r.Enabled), r.Threshold, r.Amount, now, t.ID)
		return err
	})
}

// changeAccount runs fn on the tenant's locked account in one transaction, audits it, and
// returns the account after it.
func (s *Service) changeAccount(ctx context.Context, tenant, action string, fn func(ctx context.Context, tx *store.Tx, t licet.Tenant, a *licet.CreditAccount, now int64) error) (*licet.CreditAccount, error) {
	now := s.now()
	var a licet.CreditAccount
	err := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if a, err = accountTx(ctx, tx, t, true); err != nil {
			return err
		}
		before := describeAccount(a)
		if err := fn(ctx, tx, t, &a, now); err != nil {
			return err
		}
		a.UpdatedAt = store.Time(now)
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: action, Object: "tenant:" + t.Slug, Before: before, After: describeAccount(a)})
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func describeAccount(a licet.CreditAccount) string {
	s := fmt.Sprintf("balance %s %s", FormatAmount(a.Balance), a.Currency)
	if a.AutoRecharge {
		s += fmt.Sprintf(", auto-recharge %s below %s", FormatAmount(a.RechargeAmount), FormatAmount(a.Threshold))
	}
	if a.OutOfFunds {
		s += ", out of funds"
	}
	return s
}

// Charge records usage. With auto-recharge on, a charge that takes the balance under the
// threshold first tops it up by the recharge amount, as many times as it takes to end at or
// above the threshold; without it, a charge over the balance (or any charge while the tenant is
// out of funds) is refused, recorded in the ledger, and the tenant marked out of funds.
func (s *Service) Charge(ctx context.Context, tenant string, in licet.CreditAmount) (*licet.ChargeResult, error) {
	if !licet.ActorFrom(ctx).IsOperator() {
		return nil, licet.Errorf(licet.EForbidden, "only the operator (its billing feed) records charges")
	}
	if err := checkAmount("amount", in.Amount, false); err != nil {
		return nil, err
	}
	reason, err := checkReason(in.Reason, true)
	if err != nil {
		return nil, err
	}
	var res licet.ChargeResult
	var refused error
	var rechargeFailed licet.CreditAccount
	_, err = s.changeAccount(ctx, tenant, "credits.charge", func(ctx context.Context, tx *store.Tx, t licet.Tenant, a *licet.CreditAccount, now int64) error {
		res, refused = licet.ChargeResult{Entries: []licet.LedgerEntry{}}, nil
		add := func(e licet.LedgerEntry) error {
			e.At, e.Actor = store.Time(now), licet.ActorFrom(ctx).String()
			id, err := ledger(ctx, tx, t.ID, now, e)
			e.ID = id
			res.Entries = append(res.Entries, e)
			return err
		}
		if a.AutoRecharge && a.Balance-in.Amount < a.Threshold {
			deficit := a.Threshold - (a.Balance - in.Amount)
			n := (deficit + a.RechargeAmount - 1) / a.RechargeAmount
			if a.Balance+n*a.RechargeAmount > MaxBalance {
				rechargeFailed = *a
				return licet.Errorf(licet.EInvalid, "the recharge this charge needs would take the balance over the limit of %s", FormatAmount(MaxBalance))
			}
			a.Balance += n * a.RechargeAmount
			a.OutOfFunds = false
			if err := add(licet.LedgerEntry{Kind: licet.LedgerRecharge, Amount: n * a.RechargeAmount, Balance: a.Balance,
				Reason: fmt.Sprintf("auto-recharge: %d × %s (balance under %s)", n, FormatAmount(a.RechargeAmount), FormatAmount(a.Threshold))}); err != nil {
				return err
			}
		}
		if a.OutOfFunds || in.Amount > a.Balance {
			why := fmt.Sprintf("the charge of %s %s is over the balance of %s %s", FormatAmount(in.Amount), a.Currency, FormatAmount(a.Balance), a.Currency)
			if a.OutOfFunds {
				why = fmt.Sprintf("tenant %s is out of funds (a charge was refused before)", t.Slug)
			}
			wasOut := a.OutOfFunds
			a.OutOfFunds = true
			if !wasOut {
				if err := creditsEvent(ctx, tx, t.ID, now, licet.EventCreditsLow, *a, in.Amount, "a charge over the balance was refused"); err != nil {
					return err
				}
			}
			refused = licet.Errorf(licet.CodeInsufficientFunds, "%s: the charge is refused and the tenant's users are blocked from paid calling until funds are added — add funds (licet credits add --tenant %s --amount …) or turn on auto-recharge (licet credits auto-recharge --tenant %s --threshold … --amount …)",
				why, t.Slug, t.Slug).With("balance", a.Balance).With("requested", in.Amount)
			if err := saveAccount(ctx, tx, t.ID, now, *a); err != nil {
				return err
			}
			return add(licet.LedgerEntry{Kind: licet.LedgerRefused, Balance: a.Balance, Requested: in.Amount, Reason: reason})
		}
		a.Balance -= in.Amount
		if err := saveAccount(ctx, tx, t.ID, now, *a); err != nil {
			return err
		}
		if a.Threshold > 0 && a.Balance < a.Threshold && a.Balance+in.Amount >= a.Threshold {
			if err := creditsEvent(ctx, tx, t.ID, now, licet.EventCreditsLow, *a, in.Amount, "the balance went under the threshold"); err != nil {
				return err
			}
		}
		return add(licet.LedgerEntry{Kind: licet.LedgerCharge, Amount: -in.Amount, Balance: a.Balance, Reason: reason})
	})
	if err != nil {
		if rechargeFailed.Currency != "" {
			// The charge and its recharge were rolled back; the failure itself is the change.
			if eerr := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
				return creditsEvent(ctx, tx, t.ID, s.now(), licet.EventAutoRechargeFailed, rechargeFailed, in.Amount, licet.AsError(err).Message)
			}); eerr != nil {
				return nil, errors.Join(err, eerr)
			}
		}
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	acct, err := s.Credits(ctx, tenant)
	if err != nil {
		return nil, err
	}
	res.Account = *acct
	return &res, nil
}

// Ledger lists the account's entries, newest first.
func (s *Service) Ledger(ctx context.Context, tenant string, before int64, limit int) ([]licet.LedgerEntry, error) {
	limit, err := licet.PageLimit(limit, licet.DefaultLedgerLimit, licet.MaxLedgerLimit)
	if err != nil {
		return nil, err
	}
	if before < 0 {
		return nil, licet.Errorf(licet.EInvalid, "before %d is out of range: use an entry id, or none", before).With("field", "before")
	}
	var out []licet.LedgerEntry
	err = s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		out = []licet.LedgerEntry{}
		if _, err := accountTx(ctx, tx, t, false); err != nil {
			return err
		}
		q := `SELECT id, at, kind, amount, balance, requested, reason, actor FROM credit_ledger WHERE tenant_id = ?`
		args := []any{t.ID}
		if before > 0 {
			q += ` AND id < ?`
			args = append(args, before)
		}
		es, err := store.Collect(ctx, tx, func(row store.Scanner) (e licet.LedgerEntry, err error) {
			var at int64
			err = row.Scan(&e.ID, &at, &e.Kind, &e.Amount, &e.Balance, &e.Requested, &e.Reason, &e.Actor)
			e.At = store.Time(at)
			return e, err
		}, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
		out = append(out, es...)
		return err
	})
	return out, err
}
