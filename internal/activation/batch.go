package activation

import (
	"cmp"
	"context"
	"fmt"

	"github.com/licet/licet"
	"github.com/licet/licet/hardware"
	"github.com/licet/licet/internal/store"
)

// A batch is decided in three steps inside one write transaction, so that its cost in round trips
// to the database does not grow with its size:
//
//  1. load: the batch's keys, locked (SELECT … FOR UPDATE on PostgreSQL, so that every process
//     counts a key's activations one batch at a time; SQLite's single writer needs no lock),
//     and the activations already recorded for the machines it names;
//  2. decide: every job in order, in memory, against the key's limit as loaded plus what the
//     batch has consumed so far;
//  3. write: the new activations, the changed ones and each key's new count, each set-based
//     (PostgreSQL: one statement over arrays), every count checked against the decision.
//
// Another record written with each activation (an event, say) belongs in batchWrites and in the
// write step of each dialect, in the same transaction.

// machineRef names one activation row: a key and a machine.
type machineRef struct {
	keyID   int64
	machine string
}

// keyState is what a batch knows of a key: as loaded, and what the batch consumed of it.
type keyState struct {
	id       int64
	tenant   string // the tenant's slug
	tenantID int64  // 0 for a key of no tenant
	tail     string // the key's last group, for events
	typ      string
	blocked  bool
	limit    int64
	used     int64
	consumed int64
}

// take consumes one activation of the key if any remains.
func (k *keyState) take() bool {
	if k.used+k.consumed >= k.limit {
		return false
	}
	k.consumed++
	return true
}

// machineState is an activation row as the batch leaves it.
type machineState struct {
	machineRef
	id        int64 // 0 for a row the batch inserts
	productID int64
	hardware  string
	virtual   int64
	hostname  string
	method    string
	changed   bool // an existing row to write back
}

// batchState holds what a batch loaded and what it decided.
type batchState struct {
	now      int64
	keys     map[string]*keyState // by key hash; nil for an unknown key
	machines map[machineRef]*machineState
	order    []*machineState // machines in the order first decided, for deterministic writes
}

// batchWrites is what a batch writes: rows to insert, rows to update and each key's consumption.
type batchWrites struct {
	now     int64
	insert  []*machineState
	update  []*machineState
	consume []*keyState // keys with consumed > 0, by id
}

// batchIO runs a batch's transaction in one dialect: it loads the keys (locked) and the
// machines the jobs name, has decide choose every outcome, and writes what was decided.
type batchIO interface {
	apply(ctx context.Context, db *store.DB, jobs []*job, now int64) ([]result, error)
}

// io returns the batch statements of the service's dialect.
func (s *Service) io() batchIO {
	if s.db.Dialect == store.Postgres {
		return postgresBatch{}
	}
	return sqliteBatch{}
}

// run applies the jobs in one write transaction and returns their outcomes.
func (s *Service) run(batch []*job) ([]result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	results, err := s.io().apply(ctx, s.db, batch, store.Millis(s.nowTime()))
	if err != nil {
		return nil, fmt.Errorf("activation: %w", err)
	}
	return results, nil
}

// refs lists the distinct key hashes and the distinct key-and-machine pairs of the jobs (the
// loaders skip the pairs of unknown and blocked keys).
func refs(jobs []*job) (hashes []string, pairs []hashMachine) {
	seenKey, seenPair := map[string]bool{}, map[hashMachine]bool{}
	for _, j := range jobs {
		if !seenKey[j.hash] {
			seenKey[j.hash] = true
			hashes = append(hashes, j.hash)
		}
		p := hashMachine{j.hash, j.machine.ID}
		if !seenPair[p] {
			seenPair[p] = true
			pairs = append(pairs, p)
		}
	}
	return hashes, pairs
}

// hashMachine names an activation by its key's hash and its machine.
type hashMachine struct {
	hash    string
	machine string
}

// decideAll decides the jobs in order against the loaded keys and machines and returns their
// outcomes and what to write.
func decideAll(jobs []*job, keys map[string]*keyState, machines []*machineState, now int64) ([]result, batchWrites) {
	b := &batchState{now: now, keys: keys, machines: make(map[machineRef]*machineState, len(jobs))}
	for _, m := range machines {
		b.machines[m.machineRef] = m
	}
	results := make([]result, len(jobs))
	for i, j := range jobs {
		results[i] = b.decide(j)
	}
	return results, b.writes()
}

// invalidKey is the one answer for unknown and blocked keys, so that neither the answer nor
// the work done tells them apart.
var invalidKey = licet.Errorf(licet.CodeInvalidProductKey, "the product key is not valid for activation: it is unknown or has been blocked; check the key, or ask your administrator (`licet key show` tells whether it is blocked)")

// decide records the machine on the key: a known machine within hardware tolerance costs
// nothing; a new machine, or one whose hardware changed beyond tolerance, consumes one
// activation if any remain.
func (b *batchState) decide(j *job) result {
	k := b.keys[j.hash]
	if k == nil || k.blocked {
		return result{err: invalidKey}
	}
	in := j.machine
	ref := machineRef{k.id, in.ID}
	out := result{keyID: k.id, tenant: k.tenant, consumed: true}
	m := b.machines[ref]
	switch {
	case m == nil:
		if !k.take() {
			return k.refusal()
		}
		m = &machineState{machineRef: ref, productID: j.product.ID, hardware: in.Hardware, virtual: int64(store.Bool(in.Virtual)),
			hostname: in.Hostname, method: cmp.Or(j.method, "online")}
		b.machines[ref] = m
		b.order = append(b.order, m)
		return out
	case hardware.Within(m.hardware, in.Hardware):
		out.consumed = false
	default:
		if !k.take() {
			return k.refusal()
		}
		m.hardware, m.virtual, m.productID = in.Hardware, int64(store.Bool(in.Virtual)), j.product.ID
	}
	m.hostname = in.Hostname
	if m.id != 0 && !m.changed {
		m.changed = true
		b.order = append(b.order, m)
	}
	return out
}

// refusal is the answer when no activation of the key remains.
func (k *keyState) refusal() result {
	used := k.used + k.consumed
	return result{err: licet.Errorf(licet.CodeActivationLimitExceeded,
		"MAK has exceeded its limit: all %d activations of this key are used; ask your administrator to raise the limit (`licet key extend`) or use another key", k.limit).
		With("limit", k.limit).With("used", used).With("remaining", 0)}
}

// writes lists what the batch decided to write.
func (b *batchState) writes() batchWrites {
	w := batchWrites{now: b.now}
	for _, m := range b.order {
		if m.id == 0 {
			w.insert = append(w.insert, m)
		} else {
			w.update = append(w.update, m)
		}
	}
	for _, k := range b.keys {
		if k.consumed > 0 {
			w.consume = append(w.consume, k)
		}
	}
	// Map order is random; one order keeps the row locks of every process in step.
	sortByID(w.consume)
	return w
}
