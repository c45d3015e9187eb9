package catalogstore

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/catalog"
)

// DefaultPoll is how often a replica looks for a newer catalog version: well within the 5
// seconds in which every replica must serve a new version.
const DefaultPoll = 2 * time.Second

// Current is the catalog a replica serves: a stored version, loaded.
type Current struct {
	Version licet.CatalogVersion
	Catalog *catalog.Catalog
}

// Provider serves the newest catalog version to the services of one server process. Refresh
// loads a newer version when there is one; Run calls it on every tick. Reading the catalog is a
// pointer load, so services ask for it on every operation.
type Provider struct {
	Store  *Store
	Logger *slog.Logger

	cur    atomic.Pointer[Current]
	mu     sync.Mutex // serializes Refresh
	failed int64      // a newer version that does not load, not retried
}

// Catalog returns the catalog in force, nil before the first Refresh found one.
func (p *Provider) Catalog() *catalog.Catalog {
	if c := p.cur.Load(); c != nil {
		return c.Catalog
	}
	return nil
}

// Current returns the version served and its catalog, nil before the first Refresh found one.
func (p *Provider) Current() *Current { return p.cur.Load() }

// Refresh serves the newest stored version when it is newer than the one served. A version that
// does not load with this binary's loader (a newer format applied by a newer replica) is logged
// once and skipped; the replica keeps the version it serves.
func (p *Provider) Refresh(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.Store.NewestNumber(ctx)
	if err != nil {
		return err
	}
	served := int64(0)
	if c := p.cur.Load(); c != nil {
		served = c.Version.Version
	}
	if n <= served || n == p.failed {
		return nil
	}
	v, err := p.Store.Version(ctx, n)
	if err != nil {
		return err
	}
	cat, err := v.Load()
	if err != nil {
		p.failed = n
		p.logger().Error("catalog version does not load; keeping the version served", "version", n, "served", served, "err", err)
		return nil
	}
	p.cur.Store(&Current{Version: v.CatalogVersion, Catalog: cat})
	if served > 0 {
		p.logger().Info("serving a new catalog version", "version", n, "name", v.Name, "hash", short(v.Hash))
	}
	return nil
}

// Run refreshes on every tick until ctx ends; errors are logged and retried at the next tick.
func (p *Provider) Run(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
				p.logger().Warn("catalog refresh failed", "err", err)
			}
		}
	}
}

func (p *Provider) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
