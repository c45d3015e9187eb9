package activation

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"
	"unicode"

	"github.com/licet/licet"
	"github.com/licet/licet/hardware"
	"github.com/licet/licet/internal/keys"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/ticket"
)

// job is one activation waiting for the worker.
type job struct {
	hash    string
	product licet.Product
	machine licet.Machine
	method  string      // online, offline or proxy; online when empty
	res     chan result // buffered, capacity 1
	// then holds the further activations of a proxy request: they are decided in this order,
	// right after this one and in the same transaction, so that when the limit runs out the
	// rest of the request fails in the order it was given.
	then []*job
}

// result is the outcome of one job: the key's id and tenant, whether an activation was
// consumed, or the error for this request alone.
type result struct {
	keyID    int64
	tenant   string
	consumed bool
	err      error
}

// CheckMachine returns EInvalid when a machine description is malformed.
func CheckMachine(m licet.Machine) error {
	if err := printable("machine.id", m.ID, 128, true); err != nil {
		return err
	}
	if err := printable("machine.hostname", m.Hostname, 253, false); err != nil {
		return err
	}
	if m.Hardware != "" {
		if _, err := hardware.Parse(m.Hardware); err != nil {
			return licet.Errorf(licet.EInvalid, "machine.hardware: %v", err).With("field", "machine.hardware")
		}
	}
	return nil
}

// printable checks a text field: at most max characters, no control or space characters
// (spaces allowed only inside when !strict).
func printable(field, v string, max int, required bool) error {
	if required && v == "" {
		return licet.Errorf(licet.EInvalid, "%s is required", field).With("field", field)
	}
	if len(v) > max {
		return licet.Errorf(licet.EInvalid, "%s is longer than %d characters", field, max).With("field", field)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) || (required && unicode.IsSpace(r)) {
			return licet.Errorf(licet.EInvalid, "%s holds %q: use printable characters only", field, r).With("field", field)
		}
	}
	return nil
}

// CheckActivatable returns the error for a key type that does not activate online.
func CheckActivatable(t keys.Type) error {
	switch t {
	case keys.MAK, keys.Retail:
		return nil
	case keys.KMSClient:
		return licet.Errorf(licet.CodeKeyTypeNotActivatable, "this is a kms-client key (GVLK): it activates against a KMS host on your network, not online; install a MAK or retail key to activate online").With("type", string(t))
	case keys.KMSHost:
		return licet.Errorf(licet.CodeKeyTypeNotActivatable, "this is a KMS host key: it activates a KMS host (`licet kms`), not a machine; install a MAK or retail key").With("type", string(t))
	}
	return licet.Errorf(licet.CodeKeyTypeNotActivatable, "this is a %s key: it unlocks installation only and never activates; install a MAK or retail key", t).With("type", string(t))
}

// product returns a product, from the cache or the database.
func (s *Service) product(ctx context.Context, slug string) (licet.Product, error) {
	if v, ok := s.products.Load(slug); ok {
		return v.(licet.Product), nil
	}
	var p licet.Product
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p, err = lookupProduct(ctx, tx, slug)
		return err
	})
	if err == nil {
		s.products.Store(slug, p)
	}
	return p, err
}

// Activate activates a machine with a MAK or retail key and returns a signed ticket.
func (s *Service) Activate(ctx context.Context, r licet.ActivationRequest) (*licet.Activation, error) {
	k, err := CheckRequest(r)
	if err != nil {
		return nil, err
	}
	p, err := s.product(ctx, r.Product)
	if err != nil {
		return nil, err
	}
	if p.Group != k.Group {
		return nil, licet.Errorf(licet.CodeProductMismatch, "this key belongs to product group %d, but product %s is in group %d: use a key issued for %s", k.Group, p.Slug, p.Group, p.GroupSlug).
			With("keyGroup", k.Group).With("productGroup", p.Group)
	}
	key, err := s.signer.Active(ctx) // before counting: nothing may fail after
	if err != nil {
		return nil, err
	}
	j := &job{hash: k.Hash(), product: p, machine: r.Machine, res: make(chan result, 1)}
	res, err := s.submit(ctx, j)
	if err != nil {
		return nil, err
	}
	now := s.nowTime()
	signed, err := key.SignTicket(ticket.Ticket{
		Kind: ticket.KindActivation, Serial: serial(), Product: p.Slug, Group: p.Group, KeyID: res.keyID,
		Machine: r.Machine.ID, Hardware: r.Machine.Hardware, Method: "online", Issuer: "operator", Tenant: res.tenant,
		IssuedAt: now,
	})
	if err != nil {
		return nil, err
	}
	return &licet.Activation{Ticket: signed, Product: p.Slug, KeyID: res.keyID, Machine: r.Machine.ID, Consumed: res.consumed, IssuedAt: now}, nil
}

// CheckRequest checks an activation request without the database: the key's form and type,
// the product's presence and the machine. It returns the parsed key.
func CheckRequest(r licet.ActivationRequest) (keys.Key, error) {
	k, err := keys.Parse(r.Key)
	if err != nil {
		return k, licet.Errorf(licet.EInvalid, "%v", err).With("field", "key")
	}
	if err := CheckActivatable(k.Type); err != nil {
		return k, err
	}
	if r.Product == "" || len(r.Product) > 63 {
		return k, licet.Errorf(licet.EInvalid, "product is required (see `licet product list`)").With("field", "product")
	}
	return k, CheckMachine(r.Machine)
}

// serial returns a random ticket serial.
func serial() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// submit queues a job for the worker and waits for its result.
func (s *Service) submit(ctx context.Context, j *job) (result, error) {
	unavailable := licet.Errorf(licet.EUnavailable, "the activation service is shutting down; try again")
	select {
	case s.jobs <- j:
	case <-s.stop:
		return result{}, unavailable
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	select {
	case r := <-j.res:
		return r, r.err
	case <-s.done:
		select {
		case r := <-j.res:
			return r, r.err
		default:
			return result{}, unavailable
		}
	case <-ctx.Done():
		// The worker may still commit this activation; the machine gets its ticket on its
		// next attempt without consuming another.
		return result{}, ctx.Err()
	}
}

// worker takes the queued jobs, as many as are waiting up to batchMax, and commits them in one
// transaction, until Stop.
func (s *Service) worker() {
	defer close(s.done)
	batch := make([]*job, 0, s.batchMax)
	for {
		select {
		case j := <-s.jobs:
			batch = append(batch[:0], j)
		case <-s.stop:
			s.drain()
			return
		}
	fill:
		for len(batch) < s.batchMax {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// drain answers the jobs still queued at Stop.
func (s *Service) drain() {
	for {
		select {
		case j := <-s.jobs:
			answer(flatten([]*job{j}), nil, licet.Errorf(licet.EUnavailable, "the activation service is shutting down; try again"))
		default:
			return
		}
	}
}

// batchTimeout bounds one batch transaction.
const batchTimeout = 30 * time.Second

// commit runs a batch in one transaction and answers every job. Each job's outcome is decided
// inside the transaction without failing it; should the transaction fail for another reason
// (a database error), each job is retried alone, so that one bad request never fails the others.
func (s *Service) commit(batch []*job) {
	// One lock order for every process: keys by hash, then machines.
	slices.SortFunc(batch, func(a, b *job) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.machine.ID, b.machine.ID))
	})
	all := flatten(batch)
	results, err := s.run(all)
	if err != nil && len(batch) > 1 {
		for _, j := range batch {
			one := flatten([]*job{j})
			rs, err := s.run(one)
			answer(one, rs, err)
		}
		return
	}
	answer(all, results, err)
}

// flatten lists the jobs of a batch with the activations of each proxy request after its first.
func flatten(batch []*job) []*job {
	out := make([]*job, 0, len(batch))
	for _, j := range batch {
		out = append(append(out, j), j.then...)
	}
	return out
}

// answer sends every job its result, or err to all of them when the transaction failed.
func answer(jobs []*job, results []result, err error) {
	for i, j := range jobs {
		if err != nil {
			j.res <- result{err: err}
			continue
		}
		j.res <- results[i]
	}
}
