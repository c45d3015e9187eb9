package server

import (
	"context"
	"sync"
	"time"

	"github.com/licet/licet/internal/events"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/outbox"
	"github.com/licet/licet/internal/ratelimit"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/webhooks"
)

// fleetEvents assembles the machine inventory, the event list and webhooks on the API.
func (a *App) fleetEvents(api *httpapi.Server) error {
	a.api = api
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
	a.kms = &kmscentral.Service{DB: a.DB, Keys: a.Keys, Now: a.cfg.Now}
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

// Background runs the webhook deliveries and the periodic sweep until ctx ends; the channel it
// returns closes once both have stopped.
func (a *App) Background(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Deliveries.Run(ctx) }()
	go func() {
		defer wg.Done()
		t := time.NewTicker(SweepInterval)
		defer t.Stop()
		for {
			if err := a.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.cfg.Logger.Warn("sweep", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	return done
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
