package fleet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/client/kmsclient"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// CountEvent is the object of the kms.countBelowThreshold event.
type CountEvent struct {
	HostID    string `json:"hostId"`
	Product   string `json:"product"`
	Pool      string `json:"pool"`
	Count     int    `json:"count"`
	Threshold int    `json:"threshold"`
}

// defaultThreshold is the activation threshold of a product kind on a host with the default
// settings (the central service does not know a host's own settings).
func defaultThreshold(kind licet.ProductKind) int {
	switch kind {
	case licet.ProductServer:
		return licet.KMSThresholdServer
	case licet.ProductApplication:
		return licet.KMSThresholdApplication
	}
	return licet.KMSThresholdClient
}

// countEvents emits kms.countBelowThreshold for each known product of a host's report (products:
// slug → kind) whose pool, as the host's reports show it (distinct machines seen in the last 30
// days), is below the product's threshold: its clients are not activated. At most once a day per
// host and product while it lasts. Call it last in the transaction (it may emit).
func countEvents(ctx context.Context, tx *store.Tx, tenantID int64, hostID string, now time.Time, products map[string]licet.ProductKind) error {
	since := store.Millis(now.Add(-licet.KMSCountWindow))
	counts := map[string]int{} // pool → machines
	rows, err := store.Pairs[licet.ProductKind, int](ctx, tx, `SELECT p.kind, count(DISTINCT m.machine_id) FROM machines m JOIN products p ON p.id = m.product_id
		WHERE m.tenant_id = ? AND m.method = 'kms' AND m.host_id = ? AND m.last_seen_at > ? GROUP BY p.kind`, tenantID, hostID, since)
	if err != nil {
		return err
	}
	for _, r := range rows { // kind, machines
		counts[kmsclient.PoolOf(r.A)] += r.B
	}
	for _, slug := range slices.Sorted(maps.Keys(products)) {
		kind := products[slug]
		pool, threshold := kmsclient.PoolOf(kind), defaultThreshold(kind)
		if counts[pool] >= threshold {
			continue
		}
		if _, err := outbox.Emit(ctx, tx, store.Millis(now), outbox.Record{TenantID: tenantID, Type: licet.EventKMSCountBelow,
			Object: CountEvent{HostID: hostID, Product: slug, Pool: pool, Count: counts[pool], Threshold: threshold},
			Dedupe: fmt.Sprintf("%s:%s:%s:%s", licet.EventKMSCountBelow, hostID, slug, now.UTC().Format(time.DateOnly))}); err != nil {
			return err
		}
	}
	return nil
}
