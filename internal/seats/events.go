package seats

import (
	"context"
	"sort"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// PoolEvent is the object of the subscription.fullyAssigned event.
type PoolEvent struct {
	SKU      string `json:"skuPartNumber"`
	Enabled  int    `json:"enabled"`
	Consumed int    `json:"consumed"`
}

// poolEvents emits subscription.fullyAssigned for every pool whose assigned units reached its
// enabled units in this transaction. Call it last in the transaction (it takes the emit lock).
func poolEvents(ctx context.Context, tx *store.Tx, tenantID, now int64, pools map[string]*Pool, start map[string]int) error {
	skus := make([]string, 0, len(pools))
	for sku := range pools {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	for _, sku := range skus {
		p := pools[sku]
		if p.Unlimited || p.Enabled <= 0 || p.Consumed < p.Enabled || start[sku] >= p.Enabled {
			continue
		}
		if _, err := outbox.Emit(ctx, tx, now, outbox.Record{TenantID: tenantID, Type: licet.EventSubscriptionFull,
			Object: PoolEvent{SKU: sku, Enabled: p.Enabled, Consumed: p.Consumed}}); err != nil {
			return err
		}
	}
	return nil
}

// SubscriptionEvent is the object of the subscription.suspended event.
type SubscriptionEvent struct {
	SubscriptionID int64                    `json:"subscriptionId"`
	SKU            string                   `json:"skuPartNumber"`
	Quantity       int                      `json:"quantity"`
	Status         licet.SubscriptionStatus `json:"status"`
}

// GroupErrorsEvent is the object of the group.membersInError event.
type GroupErrorsEvent struct {
	Group          string   `json:"group"`
	MembersInError int      `json:"membersInError"`
	Members        []string `json:"members"` // "upn Code", at most 20
}

// CreditsEvent is the object of the credits.low and credits.autoRechargeFailed events (amounts
// in minor units).
type CreditsEvent struct {
	Currency   string `json:"currency"`
	Balance    int64  `json:"balance"`
	Threshold  int64  `json:"threshold"`
	Requested  int64  `json:"requested,omitempty"`
	OutOfFunds bool   `json:"outOfFunds"`
	Reason     string `json:"reason,omitempty"`
}

// creditsEvent emits one credits event.
func creditsEvent(ctx context.Context, tx *store.Tx, tenantID, now int64, typ string, a licet.CreditAccount, requested int64, reason string) error {
	_, err := outbox.Emit(ctx, tx, now, outbox.Record{TenantID: tenantID, Type: typ, Object: CreditsEvent{
		Currency: a.Currency, Balance: a.Balance, Threshold: a.Threshold, Requested: requested, OutOfFunds: a.OutOfFunds, Reason: reason}})
	return err
}
