package server

import (
	"context"
	"sync"
	"time"

	"github.com/licet/licet/internal/events"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/ratelimit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/webhooks"
)

// fleetEvents assembles the machine inventory, the event list and webhooks on the API.
func (a *App) fleetEvents(api *httpapi.Server) error {
	sealer, err := webhooks.NewSealer(a.Key)
	if err != nil {
		return err
	}
	a.Fleet = &fleet.Service{DB: a.DB, Now: a.cfg.Now}
	a.Deliveries = &webhooks.Worker{
		DB: a.DB, Now: a.cfg.Now, Sealer: sealer, Logger: a.cfg.Logger,
		AllowPrivate: a.cfg.WebhookAllowPrivate, Timeout: a.cfg.WebhookTimeout,
	}
	api.Inventory, api.KMSReports = a.Fleet, a.Fleet
	api.KMSReportLimiter = &ratelimit.Limiter{Rate: KMSReportRate, Burst: KMSReportBurst, Now: a.cfg.Now}
	api.Events = &events.Service{DB: a.DB}
	api.Webhooks = &webhooks.Service{DB: a.DB, Now: a.cfg.Now, Sealer: sealer, AllowPrivate: a.cfg.WebhookAllowPrivate}
	return nil
}

// KMS client reports allowed per source address: a burst (a host sending a big table in batches,
// or several hosts behind one address), then one a second.
const (
	KMSReportBurst = 120
	KMSReportRate  = 1.0
)

// SweepInterval is how often the background work records the day's machine counts and looks
// for conditions that come with time (expiring certificates and subscriptions).
const SweepInterval = time.Hour

// Background runs the webhook deliveries, the periodic sweep and, on PostgreSQL, the sweep of the
// rate-limit buckets until ctx ends; the channel it returns closes once all have stopped.
func (a *App) Background(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { a.Deliveries.Run(ctx) })
	wg.Go(func() { a.every(ctx, SweepInterval, "sweep", a.Sweep) })
	if a.rateBuckets != nil {
		wg.Go(func() { a.every(ctx, ratelimit.SweepEvery, "rate-limit sweep", a.rateBuckets.Sweep) })
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// every runs fn now and then every interval until ctx ends, logging its failures.
func (a *App) every(ctx context.Context, interval time.Duration, what string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			a.cfg.Logger.Warn(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep records today's machine counts by state, emits the events of KMS host certificates
// nearing or past their end, and prunes the outbox (outbox.Prune).
func (a *App) Sweep(ctx context.Context) error {
	if err := a.Fleet.Snapshot(ctx); err != nil {
		return err
	}
	if _, err := a.kms.CertificateEvents(ctx); err != nil {
		return err
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := outbox.Prune(ctx, tx, a.cfg.Now())
		return err
	})
}
