package activation

import (
	"cmp"
	"context"
	"fmt"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/store"
)

// recordBatch writes, in the batch's transaction, what a batch of activations changes beyond the
// keys: every activated machine in the inventory, and the events of keys that crossed 90 % of
// their limit or ran out. It is the one call the worker makes for them, after deciding every job.
func recordBatch(ctx context.Context, tx *store.Tx, now int64, jobs []*job, results []result) error {
	entries := make([]fleet.Entry, 0, len(jobs))
	consumed := map[int64]int64{} // key id → activations consumed in this batch
	var order []int64
	for i, j := range jobs {
		r := results[i]
		if r.err != nil {
			continue
		}
		entries = append(entries, fleet.Entry{
			MachineID: j.machine.ID, ProductID: j.product.ID, Method: cmp.Or(j.method, licet.MethodOnline), KeyID: r.keyID,
			Hostname: j.machine.Hostname, State: licet.StateLicensed, Seen: now,
		})
		if r.consumed {
			if consumed[r.keyID] == 0 {
				order = append(order, r.keyID)
			}
			consumed[r.keyID]++
		}
	}
	if err := fleet.RecordAll(ctx, tx, entries); err != nil {
		return err
	}
	for _, id := range order {
		if err := keyEvents(ctx, tx, now, id, consumed[id]); err != nil {
			return err
		}
	}
	return nil
}

// KeyUsage is the object of the key.usage90 and key.exhausted events.
type KeyUsage struct {
	KeyID     int64  `json:"keyId"`
	KeyTail   string `json:"keyTail"`
	Type      string `json:"type"`
	Tenant    string `json:"tenant"`
	Limit     int64  `json:"limit"`
	Used      int64  `json:"used"`
	Remaining int64  `json:"remaining"`
}

// keyEvents emits the events of a key that consumed n activations in this transaction and so
// may have crossed 90 % of its limit or reached it. Each is written once per limit: raising the
// limit and crossing again reports again.
func keyEvents(ctx context.Context, tx *store.Tx, now int64, keyID, n int64) error {
	u := KeyUsage{KeyID: keyID}
	var tenantID int64
	err := tx.QueryRow(ctx, `SELECT k.key_tail, k.type, COALESCE(t.slug, ''), COALESCE(k.tenant_id, 0), k.activation_limit, k.used
		FROM product_keys k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?`, keyID).
		Scan(&u.KeyTail, &u.Type, &u.Tenant, &tenantID, &u.Limit, &u.Used)
	if err != nil {
		return err
	}
	u.Remaining = u.Limit - u.Used
	before := u.Used - n
	crossed := func(threshold func(used int64) bool) bool { return threshold(u.Used) && !threshold(before) }
	emit := func(typ string) error {
		_, err := outbox.Emit(ctx, tx, now, outbox.Record{TenantID: tenantID, Type: typ, Object: u, Dedupe: fmt.Sprintf("%s:%d:%d", typ, keyID, u.Limit)})
		return err
	}
	if crossed(func(used int64) bool { return u.Limit > 0 && used*10 >= u.Limit*9 }) {
		if err := emit(licet.EventKeyUsage90); err != nil {
			return err
		}
	}
	if crossed(func(used int64) bool { return u.Limit > 0 && used >= u.Limit }) {
		return emit(licet.EventKeyExhausted)
	}
	return nil
}
