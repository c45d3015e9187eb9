package seats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// MaxQuantity bounds the units of one subscription.
const MaxQuantity = 10_000_000

// BuySubscription buys units of a catalog SKU after the catalog's purchase rules allow it.
func (s *Service) BuySubscription(ctx context.Context, tenant string, sub licet.Subscription) (*licet.Subscription, error) {
	cat, err := s.catalog()
	if err != nil {
		return nil, err
	}
	sub.SKU = strings.TrimSpace(sub.SKU)
	if sub.Term == "" {
		sub.Term = "annual"
	}
	if sub.Channel == "" {
		sub.Channel = "direct"
	}
	sku, known := cat.SKU(sub.SKU)
	if err := checkQuantity(sub.Quantity, known && sku.Unlimited); err != nil {
		return nil, err
	}
	if sub.Status != "" && sub.Status != licet.SubscriptionEnabled {
		return nil, licet.Errorf(licet.EInvalid, "a new subscription is enabled; change its status afterwards").With("field", "status")
	}
	sub.Status = licet.SubscriptionEnabled
	now := s.now()
	err = s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		return buyTx(ctx, tx, cat, t, &sub, sku, now)
	})
	if err != nil {
		return nil, err
	}
	return &sub, nil
}

// buyTx buys sub for tenant t inside tx, after the catalog's purchase rules allow it, and
// fills in its id, tenant and times.
func buyTx(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, t licet.Tenant, sub *licet.Subscription, sku *catalog.SKU, now int64) error {
	owned, err := ownedPurchases(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	if vs := cat.CheckPurchase(org(t), owned, catalog.Purchase{SKU: sub.SKU, Term: sub.Term, Channel: sub.Channel}); len(vs) > 0 {
		return ViolationError(vs)
	}
	id, err := tx.Insert(ctx, `INSERT INTO subscriptions (tenant_id, sku, quantity, status, term, channel, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, sub.SKU, sub.Quantity, sub.Status, sub.Term, sub.Channel, now, now)
	if err != nil {
		return err
	}
	sub.ID, sub.Tenant = id, t.Slug
	sub.CreatedAt, sub.UpdatedAt = store.Time(now), store.Time(now)
	if _, err := tx.Exec(ctx, `INSERT INTO seat_pools (tenant_id, sku, unlimited) VALUES (?, ?, ?) ON CONFLICT (tenant_id, sku) DO NOTHING`,
		t.ID, sub.SKU, store.Bool(sku.Unlimited)); err != nil {
		return err
	}
	if _, err := recomputePool(ctx, tx, t.ID, sub.SKU); err != nil {
		return err
	}
	return audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "subscription.buy", Object: fmt.Sprintf("subscription:%d", id),
		After: fmt.Sprintf("%s ×%d %s %s", sub.SKU, sub.Quantity, sub.Term, sub.Channel)})
}

func checkQuantity(q int, unlimited bool) error {
	switch {
	case q < 0:
		return licet.Errorf(licet.EInvalid, "quantity %d is negative: give the number of units to buy", q).With("field", "quantity")
	case q == 0 && !unlimited:
		return licet.Errorf(licet.EInvalid, "quantity is 0: buy at least 1 unit").With("field", "quantity")
	case q > MaxQuantity:
		return licet.Errorf(licet.EInvalid, "quantity %d is over the limit of %d units per subscription", q, MaxQuantity).With("field", "quantity")
	}
	return nil
}

// ownedPurchases lists the tenant's subscriptions in force (enabled or warning) for the
// purchase rules.
func ownedPurchases(ctx context.Context, tx *store.Tx, tenantID int64) ([]catalog.Purchase, error) {
	return store.Collect(ctx, tx, func(row store.Scanner) (p catalog.Purchase, err error) {
		return p, row.Scan(&p.SKU, &p.Term, &p.Channel)
	}, `SELECT sku, term, channel FROM subscriptions WHERE tenant_id = ? AND status IN ('enabled', 'warning') ORDER BY id`, tenantID)
}

// recomputePool sets a pool's units from its subscriptions (taking the pool row's lock) and
// returns the pool.
func recomputePool(ctx context.Context, tx *store.Tx, tenantID int64, sku string) (Pool, error) {
	units := map[licet.SubscriptionStatus]int{}
	rows, err := tx.Query(ctx, `SELECT status, COALESCE(SUM(quantity), 0) FROM subscriptions WHERE tenant_id = ? AND sku = ? GROUP BY status`, tenantID, sku)
	if err != nil {
		return Pool{}, err
	}
	for rows.Next() {
		var st licet.SubscriptionStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return Pool{}, err
		}
		units[st] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Pool{}, err
	}
	p := Pool{SKU: sku}
	var unlimited int
	err = tx.QueryRow(ctx, `UPDATE seat_pools SET enabled = ?, warning = ?, suspended = ?, locked_out = ? WHERE tenant_id = ? AND sku = ? RETURNING enabled, consumed, unlimited`,
		units[licet.SubscriptionEnabled], units[licet.SubscriptionWarning], units[licet.SubscriptionSuspended], units[licet.SubscriptionLockedOut], tenantID, sku).
		Scan(&p.Enabled, &p.Consumed, &unlimited)
	p.Unlimited = unlimited == 1
	return p, err
}

const subscriptionColumns = `id, sku, quantity, status, term, channel, created_at, updated_at`

func scanSubscription(row store.Scanner, slug string) (licet.Subscription, error) {
	var s licet.Subscription
	var created, updated int64
	err := row.Scan(&s.ID, &s.SKU, &s.Quantity, &s.Status, &s.Term, &s.Channel, &created, &updated)
	s.Tenant, s.CreatedAt, s.UpdatedAt = slug, store.Time(created), store.Time(updated)
	return s, err
}

// Subscriptions lists the tenant's subscriptions, oldest first.
func (s *Service) Subscriptions(ctx context.Context, tenant string) ([]licet.Subscription, error) {
	var out []licet.Subscription
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) (err error) {
		out, err = store.Collect(ctx, tx, func(row store.Scanner) (licet.Subscription, error) { return scanSubscription(row, t.Slug) },
			`SELECT `+subscriptionColumns+` FROM subscriptions WHERE tenant_id = ? ORDER BY id`, t.ID)
		return err
	})
	return out, err
}

// UpdateSubscription changes a subscription's quantity or status. A reduction that would leave
// fewer enabled units than are assigned is refused with the count; a status change is not (the
// licenses stay, and no new ones can be assigned until units are enabled again).
func (s *Service) UpdateSubscription(ctx context.Context, tenant string, id int64, u licet.SubscriptionUpdate) (*licet.Subscription, error) {
	if u.Quantity == nil && u.Status == "" {
		return nil, licet.Errorf(licet.EInvalid, "give a quantity, a status or both")
	}
	if err := u.Status.Check(); err != nil {
		return nil, err
	}
	var out licet.Subscription
	now := s.now()
	err := s.inWrite(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		before, err := scanSubscription(tx.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = ? AND tenant_id = ?`, id, t.ID), t.Slug)
		if errors.Is(err, sql.ErrNoRows) {
			return licet.Errorf(licet.ENotFound, "subscription %d not found in tenant %s (see `licet subscription list`)", id, t.Slug)
		}
		if err != nil {
			return err
		}
		var unlimited int
		if err := tx.QueryRow(ctx, `SELECT unlimited FROM seat_pools WHERE tenant_id = ? AND sku = ?`, t.ID, before.SKU).Scan(&unlimited); err != nil {
			return err
		}
		out = before
		if u.Quantity != nil {
			if err := checkQuantity(*u.Quantity, unlimited == 1); err != nil {
				return err
			}
			out.Quantity = *u.Quantity
		}
		if u.Status != "" {
			out.Status = u.Status
		}
		out.UpdatedAt = store.Time(now)
		if _, err := tx.Exec(ctx, `UPDATE subscriptions SET quantity = ?, status = ?, updated_at = ? WHERE id = ?`, out.Quantity, out.Status, now, id); err != nil {
			return err
		}
		oldPool, err := poolOf(ctx, tx, t.ID, before.SKU)
		if err != nil {
			return err
		}
		pool, err := recomputePool(ctx, tx, t.ID, before.SKU)
		if err != nil {
			return err
		}
		if !pool.Unlimited && u.Quantity != nil && pool.Enabled < pool.Consumed && pool.Enabled < oldPool.Enabled {
			return licet.Errorf(licet.EConflict, "cannot reduce subscription %d to %d units: %s would have %d enabled units but %d are assigned; remove %d license(s) first",
				id, out.Quantity, before.SKU, pool.Enabled, pool.Consumed, pool.Consumed-pool.Enabled).
				With("consumed", pool.Consumed).With("enabled", pool.Enabled).With("skuPartNumber", before.SKU)
		}
		if err := audit.Write(ctx, tx, now, audit.Record{TenantID: t.ID, Action: "subscription.update", Object: fmt.Sprintf("subscription:%d", id),
			Before: fmt.Sprintf("%s ×%d %s", before.SKU, before.Quantity, before.Status), After: fmt.Sprintf("%s ×%d %s", out.SKU, out.Quantity, out.Status)}); err != nil {
			return err
		}
		if typ, ok := statusEvents[out.Status]; ok && before.Status != out.Status {
			_, err = outbox.Emit(ctx, tx, now, outbox.Record{TenantID: t.ID, Type: typ,
				Object: SubscriptionEvent{SubscriptionID: id, SKU: out.SKU, Quantity: out.Quantity, Status: out.Status}})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// statusEvents names the event written when a subscription moves into a status: warning is the
// subscription's expiry grace (its units still work until it is suspended), so it is reported as
// expiring.
var statusEvents = map[licet.SubscriptionStatus]string{
	licet.SubscriptionWarning:   licet.EventSubscriptionExpiring,
	licet.SubscriptionSuspended: licet.EventSubscriptionSuspend,
}

// poolOf reads one pool; on PostgreSQL it locks the row.
func poolOf(ctx context.Context, tx *store.Tx, tenantID int64, sku string) (Pool, error) {
	p := Pool{SKU: sku}
	var unlimited int
	err := tx.QueryRow(ctx, `SELECT enabled, consumed, unlimited FROM seat_pools WHERE tenant_id = ? AND sku = ?`+tx.ForUpdate(), tenantID, sku).
		Scan(&p.Enabled, &p.Consumed, &unlimited)
	p.Unlimited = unlimited == 1
	return p, err
}

// statusRank orders subscription statuses from the most to the least usable.
var statusRank = map[licet.SubscriptionStatus]int{licet.SubscriptionEnabled: 0, licet.SubscriptionWarning: 1, licet.SubscriptionSuspended: 2, licet.SubscriptionLockedOut: 3}

// capability names Graph's capabilityStatus for a subscription status.
var capability = map[licet.SubscriptionStatus]string{licet.SubscriptionEnabled: "Enabled", licet.SubscriptionWarning: "Warning", licet.SubscriptionSuspended: "Suspended", licet.SubscriptionLockedOut: "LockedOut"}

// SubscribedSKUs lists the tenant's SKUs with their units by status, consumed and available.
func (s *Service) SubscribedSKUs(ctx context.Context, tenant string) ([]licet.SubscribedSKU, error) {
	cat := (*catalog.Catalog)(nil)
	if s.Catalog != nil {
		cat = s.Catalog()
	}
	var out []licet.SubscribedSKU
	err := s.inRead(ctx, tenant, func(tx *store.Tx, t licet.Tenant) error {
		out = nil
		best := map[string]licet.SubscriptionStatus{}
		rows, err := tx.Query(ctx, `SELECT DISTINCT sku, status FROM subscriptions WHERE tenant_id = ?`, t.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sku string
			var st licet.SubscriptionStatus
			if err := rows.Scan(&sku, &st); err != nil {
				rows.Close()
				return err
			}
			if cur, ok := best[sku]; !ok || statusRank[st] < statusRank[cur] {
				best[sku] = st
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT sku, unlimited, enabled, warning, suspended, locked_out, consumed FROM seat_pools WHERE tenant_id = ? ORDER BY sku`, t.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v licet.SubscribedSKU
			var unlimited int
			u := &v.PrepaidUnits
			if err := rows.Scan(&v.SKU, &unlimited, &u.Enabled, &u.Warning, &u.Suspended, &u.LockedOut, &v.Consumed); err != nil {
				return err
			}
			v.Unlimited = unlimited == 1
			v.Name, v.ServicePlans = v.SKU, []string{}
			if cat != nil {
				if sku, ok := cat.SKU(v.SKU); ok {
					v.Name, v.ServicePlans = sku.Name, append([]string{}, sku.Plans...)
				}
			}
			v.CapabilityStatus = capability[best[v.SKU]]
			if !v.Unlimited {
				avail := max(0, u.Enabled-v.Consumed)
				v.Available = &avail
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}
