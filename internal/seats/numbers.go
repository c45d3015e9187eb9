package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/listfile"
	"github.com/licet/licet/internal/store"
)

var _ licet.NumberService = (*Service)(nil)

// MaxNumbers bounds the numbers of one request to add numbers, and of one listing.
const MaxNumbers = 10_000

// AddNumbers adds numbers to the tenant's inventory for a country, all or none.
func (s *Service) AddNumbers(ctx context.Context, tenant, country string, numbers []string) ([]licet.PhoneNumber, error) {
	country = strings.ToUpper(strings.TrimSpace(country))
	if err := licet.CheckCountry("country", country); err != nil {
		return nil, err
	}
	if len(numbers) == 0 || len(numbers) > MaxNumbers {
		return nil, licet.Errorf(licet.EInvalid, "give 1 to %d numbers to add", MaxNumbers).With("field", "numbers")
	}
	var bad []string
	seen := map[string]bool{}
	list := make([]string, 0, len(numbers))
	for _, raw := range numbers {
		n, err := ParseE164(raw)
		if err == nil {
			err = CheckNumberCountry(n, country)
		}
		if err == nil && seen[n] {
			err = licet.Errorf(licet.EInvalid, "%s is listed twice", n)
		}
		if err != nil {
			bad = append(bad, licet.ErrorMessage(err))
			continue
		}
		seen[n] = true
		list = append(list, n)
	}
	if len(bad) > 0 {
		const show = 10
		total, more := len(bad), ""
		if total > show {
			more, bad = fmt.Sprintf("; … and %d more", total-show), bad[:show]
		}
		return nil, licet.Errorf(licet.EInvalid, "%d of %d numbers are refused, none was added: %s%s", total, len(numbers), strings.Join(bad, "; "), more).
			With("field", "numbers")
	}
	now := s.now()
	var out []licet.PhoneNumber
	err := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		out = out[:0]
		for _, n := range list {
			_, err := tx.Exec(ctx, `INSERT INTO phone_numbers (tenant_id, number, country, created_at) VALUES (?, ?, ?, ?)`, t.ID, n, country, now)
			if store.IsUnique(err) {
				return licet.Errorf(licet.EConflict, "%s is already in an inventory: none of the numbers was added; leave it out", n).With("number", n)
			}
			if err != nil {
				return err
			}
			out = append(out, licet.PhoneNumber{Number: n, Country: country, CreatedAt: store.Time(now)})
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "number.add", Object: "tenant:" + t.Slug,
			After: fmt.Sprintf("%d %s numbers", len(list), country), Details: strings.Join(list, " ")})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const numberColumns = `n.number, n.country, COALESCE(u.upn, ''), n.created_at, n.assigned_at`

func scanNumber(row store.Scanner) (licet.PhoneNumber, error) {
	var p licet.PhoneNumber
	var created int64
	var assigned sql.NullInt64
	err := row.Scan(&p.Number, &p.Country, &p.User, &created, &assigned)
	p.CreatedAt = store.Time(created)
	if assigned.Valid {
		at := store.Time(assigned.Int64)
		p.AssignedAt = &at
	}
	return p, err
}

// Numbers lists the tenant's numbers by country and number.
func (s *Service) Numbers(ctx context.Context, tenant string, f licet.NumberFilter) ([]licet.PhoneNumber, error) {
	f.Country = strings.ToUpper(strings.TrimSpace(f.Country))
	if f.Country != "" {
		if err := licet.CheckCountry("country", f.Country); err != nil {
			return nil, err
		}
	}
	var out []licet.PhoneNumber
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		out = []licet.PhoneNumber{}
		q := `SELECT ` + numberColumns + ` FROM phone_numbers n LEFT JOIN users u ON u.id = n.user_id WHERE n.tenant_id = ?`
		args := []any{t.ID}
		if f.Country != "" {
			q += ` AND n.country = ?`
			args = append(args, f.Country)
		}
		if f.Free {
			q += ` AND n.user_id IS NULL`
		}
		ns, err := store.Collect(ctx, tx, scanNumber, q+` ORDER BY n.country, n.number LIMIT ?`, append(args, MaxNumbers)...)
		out = append(out, ns...)
		return err
	})
	return out, err
}

// numberTx reads a number of the tenant inside tx.
func numberTx(ctx context.Context, tx *store.Tx, t licet.Tenant, raw string) (licet.PhoneNumber, error) {
	n, err := ParseE164(raw)
	if err != nil {
		return licet.PhoneNumber{}, err
	}
	p, err := scanNumber(tx.QueryRow(ctx, `SELECT `+numberColumns+` FROM phone_numbers n LEFT JOIN users u ON u.id = n.user_id WHERE n.tenant_id = ? AND n.number = ?`, t.ID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return p, licet.Errorf(licet.ENotFound, "%s is not in the inventory of tenant %s (see licet number list; add it with licet number add)", n, t.Slug).With("number", n)
	}
	return p, err
}

// ReleaseNumber removes an unassigned number from the inventory.
func (s *Service) ReleaseNumber(ctx context.Context, tenant, number string) error {
	now := s.now()
	return s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		p, err := numberTx(ctx, tx, t, number)
		if err != nil {
			return err
		}
		if p.User != "" {
			return licet.Errorf(licet.EConflict, "%s is assigned to %s: take it back first (licet number unassign %s)", p.Number, p.User, p.Number)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM phone_numbers WHERE tenant_id = ? AND number = ? AND user_id IS NULL`, t.ID, p.Number); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "number.release", Object: "number:" + p.Number, Before: p.Country})
	})
}

// holderTx reads a user with its licenses, with the tenant's pools locked so that no license
// change runs between the check and the write.
func holderTx(ctx context.Context, tx *store.Tx, t licet.Tenant, upn string) (*Holder, error) {
	if _, err := lockPools(ctx, tx, t.ID); err != nil {
		return nil, err
	}
	u, err := userByUPN(ctx, tx, t, upn)
	if err != nil {
		return nil, err
	}
	hs, err := holdersByID(ctx, tx, []int64{u.ID})
	if err != nil {
		return nil, err
	}
	return hs[0], nil
}

// AssignNumber gives a free number of the inventory to a user who holds a Calling Plan.
func (s *Service) AssignNumber(ctx context.Context, tenant, number, upn string) (*licet.PhoneNumber, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	now := s.now()
	var p licet.PhoneNumber
	err = s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if p, err = numberTx(ctx, tx, t, number); err != nil {
			return err
		}
		h, err := holderTx(ctx, tx, t, upn)
		if err != nil {
			return err
		}
		switch {
		case p.User == h.UPN:
			return nil
		case p.User != "":
			return licet.Errorf(licet.EConflict, "%s is assigned to %s already: take it back first (licet number unassign %s) or pick a free one (licet number list --free)", p.Number, p.User, p.Number)
		case h.Number != "":
			return licet.Errorf(licet.EConflict, "%s has the number %s already: take it back first (licet number unassign %s)", h.UPN, h.Number, h.Number)
		case !CanHoldNumber(cat, h.Effective()):
			return ViolationError([]catalog.Violation{{Code: licet.CodeNumberNeedsCallingPlan,
				Message: fmt.Sprintf("%s cannot hold a phone number: a number from the inventory needs %s", h.UPN, numberPlans(cat)),
				WayOut:  "assign them first (" + assignHint(cat, t.Slug, h.UPN, wayTo(cat, cat.Telephony().NumberFeature, h.Effective(), false)) + "), then the number"}})
		}
		if _, err := tx.Exec(ctx, `UPDATE phone_numbers SET user_id = ?, assigned_at = ? WHERE tenant_id = ? AND number = ? AND user_id IS NULL`, h.UserID, now, t.ID, p.Number); err != nil {
			return err
		}
		p.User = h.UPN
		at := store.Time(now)
		p.AssignedAt = &at
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "number.assign", Object: "number:" + p.Number, After: h.UPN})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// numberPlans describes the plans the catalog's number feature asks for.
func numberPlans(cat *catalog.Catalog) string {
	return featurePlans(cat, cat.Telephony().NumberFeature, false)
}

// featurePlans describes the options of a catalog feature that need an external alternative
// (external true) or none: "the plans A+B or A+C".
func featurePlans(cat *catalog.Catalog, feature string, external bool) string {
	opts, ok := planOptions(cat, feature, external)
	if !ok {
		return "plans the catalog " + cat.Name + " does not name (it binds no feature to this service: see telephony in docs/catalog.md)"
	}
	alts := make([]string, len(opts))
	for i, o := range opts {
		alts[i] = strings.Join(o.Plans, "+")
	}
	return "the plans " + strings.Join(alts, " or ")
}

// UnassignNumber takes a number back from its user.
func (s *Service) UnassignNumber(ctx context.Context, tenant, number string) (*licet.PhoneNumber, error) {
	now := s.now()
	var p licet.PhoneNumber
	err := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		if p, err = numberTx(ctx, tx, t, number); err != nil {
			return err
		}
		if p.User == "" {
			return licet.Errorf(licet.EConflict, "%s is not assigned to anyone", p.Number)
		}
		if _, err := tx.Exec(ctx, `UPDATE phone_numbers SET user_id = NULL, assigned_at = NULL WHERE tenant_id = ? AND number = ?`, t.ID, p.Number); err != nil {
			return err
		}
		before := p.User
		p.User, p.AssignedAt = "", nil
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "number.unassign", Object: "number:" + p.Number, Before: before})
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// maxProvider bounds the name of a third-party audio conferencing provider.
const maxProvider = 100

// SetConferencingProvider sets a user's audio conferencing provider.
func (s *Service) SetConferencingProvider(ctx context.Context, tenant, upn, provider string) (*licet.User, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	provider = strings.TrimSpace(provider)
	if len(provider) > maxProvider || strings.ContainsFunc(provider, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return nil, licet.Errorf(licet.EInvalid, "provider %q is invalid: use up to %d printable characters", listfile.Clip(provider), maxProvider).With("field", "provider")
	}
	if strings.EqualFold(provider, licet.ProviderOperator) {
		provider = licet.ProviderOperator
	}
	now := s.now()
	var name string
	err = s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		h, err := holderTx(ctx, tx, t, upn)
		if err != nil {
			return err
		}
		name = h.UPN
		set := h.Effective()
		conferencing := cat.Telephony().ConferencingFeature
		switch {
		case provider == licet.ProviderOperator && !HasBridge(cat, set):
			return ViolationError([]catalog.Violation{{Code: licet.CodeProviderNeedsLicense,
				Message: fmt.Sprintf("%s lacks the operator's conference bridge: it needs %s", h.UPN, featurePlans(cat, conferencing, false)),
				WayOut:  "assign them first (" + assignHint(cat, t.Slug, h.UPN, wayTo(cat, conferencing, set, false)) + "): the user then moves to the operator's bridge"}})
		case provider != "" && provider != licet.ProviderOperator && !ThirdPartyAllowed(cat, set):
			return ViolationError([]catalog.Violation{{Code: licet.CodeProviderNeedsLicense,
				Message: fmt.Sprintf("%s lacks what a third-party conferencing provider needs: %s", h.UPN, featurePlans(cat, conferencing, true)),
				WayOut:  "assign them first (" + assignHint(cat, t.Slug, h.UPN, wayTo(cat, conferencing, set, true)) + ")"}})
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET conferencing_provider = ? WHERE id = ?`, provider, h.UserID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "user.conferencing", Object: "user:" + h.UPN, After: provider})
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, tenant, name)
}
