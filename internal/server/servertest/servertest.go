// Package servertest starts a whole licet service in-process on 127.0.0.1 for tests: a fresh
// database (SQLite or PostgreSQL), the signing key, the operator token, and an HTTP server.
package servertest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/server"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/store/storetest"
)

// Server is a running test service.
type Server struct {
	URL      string
	Token    string // the operator token
	App      *server.App
	DataDir  string
	DSN      string // the database, for a second server on it
	Operator *client.Client
}

// Options adjust the service; the zero value gives a SQLite service with the demo data.
type Options struct {
	Postgres bool   // use a fresh PostgreSQL schema instead of SQLite
	DSN      string // use this database (several servers on one database)
	DataDir  string // share a data directory (and so a signing key) between servers
	NoDemo   bool   // start without the demo tenant and its data
	// CatalogFile starts the service with this catalog (applied as a catalog version) instead of
	// the demo (no demo data).
	CatalogFile string
	Now         func() time.Time // the clock; time.Now when nil
	// CatalogPoll is how often the server looks for a newer catalog version (the default when 0).
	CatalogPoll time.Duration
	// WebhookAllowPrivate lets webhooks reach 127.0.0.1 (a test receiver).
	WebhookAllowPrivate bool
	// Activation rate limits (0: none) and trusted proxy ranges, as `licet serve` takes them.
	ActivationRatePerAddress, ActivationRatePerKey float64
	TrustedProxies                                 []string
}

// Start starts a service and stops it when t ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	dir := o.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	dsn := o.DSN
	switch {
	case dsn != "":
	case o.Postgres:
		dsn = storetest.PostgresDSN(t)
	default:
		dsn = filepath.Join(dir, "licet.db")
	}
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DB: dsn, DataDir: dir, Demo: !o.NoDemo && o.CatalogFile == "", CatalogFile: o.CatalogFile, Now: o.Now, CatalogPoll: o.CatalogPoll,
		WebhookAllowPrivate:      o.WebhookAllowPrivate,
		ActivationRatePerAddress: o.ActivationRatePerAddress, ActivationRatePerKey: o.ActivationRatePerKey, TrustedProxies: o.TrustedProxies})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts := httptest.NewServer(app.Handler)
	t.Cleanup(func() {
		ts.Close()
		app.Stop()
		app.Close()
	})
	tokenFile := filepath.Join(dir, "licet.token")
	if !store.IsPostgres(dsn) {
		tokenFile = dsn + ".token"
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatalf("read operator token: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	return &Server{URL: ts.URL, Token: tok, App: app, DataDir: dir, DSN: dsn, Operator: client.New(ts.URL, tok)}
}

// Each runs fn against a SQLite service and a PostgreSQL service, as subtests.
func Each(t *testing.T, o Options, fn func(t *testing.T, s *Server)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, Start(t, o)) })
	t.Run("postgres", func(t *testing.T) {
		p := o
		p.Postgres = true
		fn(t, Start(t, p))
	})
}

// Clock is a test clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// EachClocked runs fn against a SQLite and a PostgreSQL service, as subtests, each on its own
// clock starting at the real time.
func EachClocked(t *testing.T, o Options, fn func(t *testing.T, s *Server, clk *Clock)) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			clk := NewClock(time.Now().UTC().Truncate(time.Millisecond))
			o := o
			o.Postgres, o.Now = pg, clk.Now
			fn(t, Start(t, o), clk)
		})
	}
}
