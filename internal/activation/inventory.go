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

// inventory lists the machines a batch activated, for the fleet inventory, which the batch
// writes in its transaction.
func inventory(now int64, jobs []*job, results []result) []fleet.Entry {
	entries := make([]fleet.Entry, 0, len(jobs))
	for i, j := range jobs {
		r := results[i]
		if r.err != nil {
			continue
		}
		entries = append(entries, fleet.Entry{
			MachineID: j.machine.ID, ProductID: j.product.ID, Method: cmp.Or(j.method, licet.MethodOnline), KeyID: r.keyID,
			Hostname: j.machine.Hostname, State: licet.StateLicensed, Seen: now,
		})
	}
	return entries
}

// emitKeyEvents writes, in the batch's transaction, the events of the keys that consumed
// activations in it and crossed 90 % of their limit or ran out.
func emitKeyEvents(ctx context.Context, tx *store.Tx, now int64, consumed []*keyState) error {
	for _, k := range consumed {
		if err := keyEvents(ctx, tx, now, k); err != nil {
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

// keyEvents emits the events of a key that consumed activations in this transaction (k as the
// batch loaded it, locked, plus what it consumed): those of its crossings. Each is written once
// per limit: raising the limit and crossing again reports again.
func keyEvents(ctx context.Context, tx *store.Tx, now int64, k *keyState) error {
	u := KeyUsage{KeyID: k.id, KeyTail: k.tail, Type: k.typ, Tenant: k.tenant, Limit: k.limit, Used: k.used + k.consumed}
	u.Remaining = u.Limit - u.Used
	for _, typ := range k.crossings() {
		if _, err := outbox.Emit(ctx, tx, now, outbox.Record{TenantID: k.tenantID, Type: typ, Object: u, Dedupe: fmt.Sprintf("%s:%d:%d", typ, k.id, u.Limit)}); err != nil {
			return err
		}
	}
	return nil
}

// crossings lists the events a key's consumption in this batch reports: key.usage90 when it
// crossed 90 % of its limit, key.exhausted when it reached the limit.
func (k *keyState) crossings() []string {
	after := k.used + k.consumed
	crossed := func(reached func(used int64) bool) bool { return reached(after) && !reached(k.used) }
	var out []string
	if crossed(func(used int64) bool { return k.limit > 0 && used*10 >= k.limit*9 }) {
		out = append(out, licet.EventKeyUsage90)
	}
	if crossed(func(used int64) bool { return k.limit > 0 && used >= k.limit }) {
		out = append(out, licet.EventKeyExhausted)
	}
	return out
}
