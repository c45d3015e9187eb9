// Package seats sells subscriptions to catalog SKUs, keeps a tenant's users and groups, and
// assigns licenses to users one by one and in bulk, with the catalog's rules and counted units
// that never exceed what was bought. Pure helpers (the per-user planner here; UPN checks and list
// files in package internal/listfile) are separate from the SQL.
package seats

import (
	"context"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// Service implements licet.SeatService on the database.
type Service struct {
	DB *store.DB
	// Catalog returns the SKU catalog in force; nil when none is loaded.
	Catalog func() *catalog.Catalog
	Now     func() time.Time
	// ChunkSize is how many users one transaction of a batch handles; DefaultChunk when 0.
	ChunkSize int
	// CreditsSKU is the catalog SKU whose purchase rules decide who may sign up for
	// communications credits; the catalog's telephony.credits when empty.
	CreditsSKU string
}

var _ licet.SeatService = (*Service)(nil)

// DefaultChunk is how many users of a batch go in one transaction.
const DefaultChunk = 2000

func (s *Service) catalog() (*catalog.Catalog, error) {
	if s.Catalog != nil {
		if c := s.Catalog(); c != nil {
			return c, nil
		}
	}
	return nil, licet.Errorf(licet.EUnavailable, "no SKU catalog version is stored: apply one with licet catalog apply FILE")
}

// loaded is the catalog in force, nil when none is loaded.
func (s *Service) loaded() *catalog.Catalog {
	if s.Catalog == nil {
		return nil
	}
	return s.Catalog()
}

func (s *Service) now() int64 { return s.Now().UnixMilli() }

// lookup reads the tenant inside tx; a tenant admin gets ENotFound for other tenants.
func lookup(ctx context.Context, tx *store.Tx, tenant string) (licet.Tenant, error) {
	return tenancy.Lookup(ctx, tx, tenant)
}

// inRead runs fn in a read transaction with the tenant the actor may see (ENotFound
// otherwise).
func (s *Service) inRead(ctx context.Context, tenant string, fn func(tx *store.Tx, t licet.Tenant) error) error {
	return s.DB.Read(ctx, func(tx *store.Tx) error { return withTenant(ctx, tx, tenant, fn) })
}

// inWrite runs fn in a write transaction with the tenant the actor may see (ENotFound
// otherwise). The transaction may run again, so fn must have no effects outside it.
func (s *Service) inWrite(ctx context.Context, tenant string, fn func(tx *store.Tx, t licet.Tenant) error) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return withTenant(ctx, tx, tenant, fn) })
}

// withTenant looks the tenant up in tx and runs fn with it.
func withTenant(ctx context.Context, tx *store.Tx, tenant string, fn func(tx *store.Tx, t licet.Tenant) error) error {
	t, err := lookup(ctx, tx, tenant)
	if err != nil {
		return err
	}
	return fn(tx, t)
}

// readTenant returns the value get reads in a read transaction with the tenant the actor may
// see (ENotFound otherwise).
func readTenant[T any](ctx context.Context, s *Service, tenant string, get func(tx *store.Tx, t licet.Tenant) (T, error)) (*T, error) {
	var v T
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		v, err = get(tx, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// org is the tenant as the catalog's rules see it.
func org(t licet.Tenant) catalog.Org {
	return catalog.Org{Type: t.OrgType, Cloud: t.Cloud, Country: t.UsageLocation}
}

// chunks calls fn on consecutive slices of at most n elements.
func chunks[T any](list []T, n int, fn func(part []T) error) error {
	for len(list) > 0 {
		k := min(n, len(list))
		if err := fn(list[:k]); err != nil {
			return err
		}
		list = list[k:]
	}
	return nil
}

// creditsSKU is the SKU of communications credits: Service.CreditsSKU, or the one the catalog
// names; "" without either.
func (s *Service) creditsSKU(cat *catalog.Catalog) string {
	if s.CreditsSKU != "" {
		return s.CreditsSKU
	}
	if cat == nil {
		return ""
	}
	return cat.Telephony().CreditsSKU
}

// oneOf returns the condition "col is one of vals" and its arguments. SQLite gets an IN list of
// placeholders. PostgreSQL gets `col = ANY((SELECT ?::bigint[])::bigint[])`, one array whatever its length
// (one statement text, prepared once): the planner cannot see the array's elements through the
// subquery, so it estimates a few rows per chunk and keeps the index even on a table without
// statistics, where an IN list of hundreds of values (or the same array as a plain parameter)
// is estimated to match most of the table and planned as a sequential scan.
func oneOf[T int64 | string](tx *store.Tx, col string, vals []T) (string, []any) {
	if tx.Dialect() != store.Postgres {
		return col + ` IN (` + store.Placeholders(len(vals)) + `)`, store.Args(vals)
	}
	typ := "bigint[]"
	if _, text := any(vals).([]string); text {
		typ = "text[]"
	}
	// The cast outside the subquery makes it a scalar subquery: ANY((SELECT …)) alone would be
	// ANY over the subquery's rows.
	return col + ` = ANY((SELECT ?::` + typ + `)::` + typ + `)`, []any{vals}
}
