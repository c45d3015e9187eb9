// Package activation is volume activation on the central service: product groups and products,
// agreements, product keys (issued, extended, blocked) and online MAK and retail activation with
// signed tickets. Activations of concurrent requests are committed together by one worker (group
// commit), and a key's limit holds across the batch and across server processes.
package activation

import (
	"context"
	"crypto/ed25519"
	"sync"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
)

// Service implements licet.ProductService, licet.AgreementService, licet.KeyService and
// licet.ActivationService.
type Service struct {
	db     *store.DB
	now    func() time.Time
	signer signing.Source
	sealer *Sealer
	// products caches products by slug: they never change once created.
	products sync.Map

	batchMax int
	jobs     chan *job
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var (
	_ licet.ProductService    = (*Service)(nil)
	_ licet.AgreementService  = (*Service)(nil)
	_ licet.KeyService        = (*Service)(nil)
	_ licet.ActivationService = (*Service)(nil)
)

// Options tune a Service; the zero value is fine.
type Options struct {
	// BatchMax bounds how many activations are committed in one transaction (default 256).
	BatchMax int
	// Signer gives the operator key that signs tickets and confirmation IDs (the central
	// service's keyring); the key passed to New, as key 1, when nil.
	Signer signing.Source
}

// New returns a service over db that signs tickets with the operator's key and encrypts
// product keys under a key derived from it. It starts the activation worker; Stop ends it.
func New(db *store.DB, now func() time.Time, signer ed25519.PrivateKey, o Options) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	sealer, err := NewSealer(signer)
	if err != nil {
		return nil, err
	}
	if o.Signer == nil {
		o.Signer = signing.Fixed{ID: 1, Private: signer}
	}
	if o.BatchMax <= 0 {
		o.BatchMax = 256
	}
	s := &Service{
		db: db, now: now, signer: o.Signer, sealer: sealer,
		batchMax: o.BatchMax,
		jobs:     make(chan *job, 4*o.BatchMax),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.worker()
	return s, nil
}

// Stop ends the activation worker after the batch in progress; later activations answer
// EUnavailable. It is safe to call more than once.
func (s *Service) Stop() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

// nowMillis returns the service's clock truncated to milliseconds, as stored.
func (s *Service) nowTime() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// operatorOnly returns EForbidden unless the actor of ctx is the operator.
func operatorOnly(ctx context.Context, what string) error {
	if !licet.ActorFrom(ctx).IsOperator() {
		return licet.Errorf(licet.EForbidden, "only the operator may %s", what)
	}
	return nil
}

// checkText returns EInvalid when a required text field is empty or longer than max.
func checkText(field, v string, max int) error {
	if v == "" || len(v) > max {
		return licet.Errorf(licet.EInvalid, "%s is required (at most %d characters)", field, max).With("field", field)
	}
	return nil
}

// oneOf returns EInvalid when v is not one of allowed.
func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return licet.Errorf(licet.EInvalid, "%s %q is unknown: use one of %v", field, v, allowed).With("field", field)
}
