package activation

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

var licensingIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,39}$`)

// newLicensingID returns a random 8-digit licensing ID.
func newLicensingID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(90_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprint(10_000_000 + n.Int64())
}

// CreateAgreement creates a volume agreement for a tenant.
func (s *Service) CreateAgreement(ctx context.Context, a licet.Agreement) (*licet.Agreement, error) {
	if err := operatorOnly(ctx, "create agreements"); err != nil {
		return nil, err
	}
	a.Level = strings.ToUpper(strings.TrimSpace(a.Level))
	if err := oneOf("program", a.Program, licet.Programs); err != nil {
		return nil, err
	}
	switch {
	case levelPrograms[a.Program] && a.Level == "":
		return nil, licet.Errorf(licet.EInvalid, "program %s is priced by level: give a pricing level A, B, C or D", a.Program).With("field", "level")
	case a.Level != "":
		if err := oneOf("level", a.Level, licet.PricingLevels); err != nil {
			return nil, err
		}
	}
	if a.Quantity < 1 || a.Quantity > licet.MaxAgreementQuantity {
		return nil, licet.Errorf(licet.EInvalid, "quantity must be from 1 to %d licenses", licet.MaxAgreementQuantity).With("field", "quantity")
	}
	if a.LicensingID == "" {
		a.LicensingID = newLicensingID()
	}
	if !licensingIDRE.MatchString(a.LicensingID) {
		return nil, licet.Errorf(licet.EInvalid, "licensing ID %q is invalid: use 1 to 40 letters, digits and dashes", a.LicensingID).With("field", "licensingId")
	}
	now := s.nowTime()
	a.CreatedAt = now
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		t, err := tenancy.Lookup(ctx, tx, a.Tenant)
		if err != nil {
			return err
		}
		var parent any
		if a.Parent != "" {
			p, err := lookupAgreement(ctx, tx, a.Parent)
			if err != nil {
				return err
			}
			parent = p.ID
		}
		a.ID, err = tx.Insert(ctx, `INSERT INTO agreements (tenant_id, licensing_id, program, level, quantity, parent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, a.LicensingID, a.Program, a.Level, a.Quantity, parent, store.Millis(now))
		if store.IsUnique(err) {
			return licet.Errorf(licet.EConflict, "licensing ID %q exists already", a.LicensingID)
		}
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, store.Millis(now), audit.Record{TenantID: t.ID, Action: "agreement.create", Object: "agreement:" + a.LicensingID,
			After: fmt.Sprintf("%s %s %d", a.Program, a.Level, a.Quantity)})
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

const agreementColumns = `a.id, a.tenant_id, t.slug, a.licensing_id, a.program, a.level, a.quantity, COALESCE(p.licensing_id, ''), a.created_at
	FROM agreements a JOIN tenants t ON t.id = a.tenant_id LEFT JOIN agreements p ON p.id = a.parent_id`

type agreementRow struct {
	licet.Agreement
	tenantID int64
}

func scanAgreement(r store.Scanner) (agreementRow, error) {
	var a agreementRow
	var created int64
	err := r.Scan(&a.ID, &a.tenantID, &a.Tenant, &a.LicensingID, &a.Program, &a.Level, &a.Quantity, &a.Parent, &created)
	a.CreatedAt = store.Time(created)
	return a, err
}

// lookupAgreement returns an agreement the actor may see, or ENotFound.
func lookupAgreement(ctx context.Context, tx *store.Tx, licensingID string) (agreementRow, error) {
	a, err := scanAgreement(tx.QueryRow(ctx, `SELECT `+agreementColumns+` WHERE a.licensing_id = ?`, licensingID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !licet.ActorFrom(ctx).CanSeeTenant(a.tenantID)) {
		return a, licet.Errorf(licet.ENotFound, "agreement %q not found (see `licet agreement list`)", licensingID).With("agreement", licensingID)
	}
	return a, err
}

// Agreements lists a tenant's agreements, or all the caller may see.
func (s *Service) Agreements(ctx context.Context, tenant string) ([]licet.Agreement, error) {
	var out []licet.Agreement
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		q, args, err := tenantFilter(ctx, tx, tenant, "a")
		if err != nil {
			return err
		}
		rows, err := store.Collect(ctx, tx, scanAgreement, `SELECT `+agreementColumns+q+` ORDER BY t.slug, a.licensing_id`, args...)
		for _, r := range rows {
			out = append(out, r.Agreement)
		}
		return err
	})
	return out, err
}

// tenantFilter returns the WHERE clause that limits a listing to one tenant, or to the actor's
// tenant for a tenant admin.
func tenantFilter(ctx context.Context, tx *store.Tx, tenant, alias string) (string, []any, error) {
	actor := licet.ActorFrom(ctx)
	switch {
	case tenant != "":
		t, err := tenancy.Lookup(ctx, tx, tenant)
		if err != nil {
			return "", nil, err
		}
		return " WHERE " + alias + ".tenant_id = ?", []any{t.ID}, nil
	case actor.IsOperator():
		return "", nil, nil
	case actor.Role == licet.RoleTenant:
		return " WHERE " + alias + ".tenant_id = ?", []any{actor.TenantID}, nil
	}
	return "", nil, licet.Errorf(licet.EForbidden, "only the operator and tenant admins may list agreements and keys")
}

// Agreement returns one agreement.
func (s *Service) Agreement(ctx context.Context, licensingID string) (*licet.Agreement, error) {
	var a agreementRow
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		a, err = lookupAgreement(ctx, tx, licensingID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a.Agreement, nil
}
