// Package server runs the central service: it opens the database, checks or applies its schema,
// loads the signing key, creates the first operator token, serves the HTTP API, and shuts down in
// order (HTTP, then workers, then the database).
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/activation"
	"github.com/licet/licet/internal/audit"
	"github.com/licet/licet/internal/backup"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/clientaddr"
	"github.com/licet/licet/internal/console"
	"github.com/licet/licet/internal/filelock"
	"github.com/licet/licet/internal/fleet"
	"github.com/licet/licet/internal/httpapi"
	"github.com/licet/licet/internal/kmscentral"
	"github.com/licet/licet/internal/privatefile"
	"github.com/licet/licet/internal/ratelimit"
	"github.com/licet/licet/internal/seats"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/signing/keyring"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
	"github.com/licet/licet/internal/tlsreload"
	"github.com/licet/licet/internal/uploads"
	"github.com/licet/licet/internal/webhooks"
)

// Config is everything `licet serve` takes; main fills it from flags and the environment.
type Config struct {
	Addr        string // listen address; ":0" picks a free port
	DB          string // SQLite path or postgres:// URL
	DataDir     string // where the signing key and token file go; default: beside the SQLite file
	SigningKey  string // path of the signing key file; default DataDir/signing.key
	CatalogFile string // a catalog YAML file, applied as a new version at start when it differs from the newest
	Demo        bool   // seed the demo tenant contoso (only into an empty database or one holding just the demo)
	// CatalogPoll is how often the newest catalog version is looked for; catalogstore.DefaultPoll
	// when 0.
	CatalogPoll time.Duration
	Migrate     bool // apply missing migrations instead of refusing an old schema
	TLSCert     string
	TLSKey      string
	Now         func() time.Time
	Logger      *slog.Logger
	Stdout      io.Writer // where the listen address and the first token are printed
	// Reload, when set, forces a reload of the TLS certificate and key on each value (the
	// command line sends SIGHUP here); changed files are picked up without it too.
	Reload <-chan os.Signal
	// OnListen, when set, is called with the bound address once the server accepts connections.
	OnListen func(addr net.Addr)

	// Rate limits of machine activation, in requests per second with a burst of ten seconds'
	// worth; 0 disables a limit.
	ActivationRatePerAddress float64
	ActivationRatePerKey     float64
	// TrustedProxies are CIDR ranges of reverse proxies whose Forwarded, X-Forwarded-For and
	// X-Forwarded-Proto headers are believed; from any other peer they are ignored.
	TrustedProxies []string

	// WebhookAllowPrivate lets webhooks target private and loopback addresses.
	WebhookAllowPrivate bool
	// WebhookTimeout bounds one webhook delivery (default 10 s).
	WebhookTimeout time.Duration
}

// App is an assembled service, ready to serve.
type App struct {
	cfg Config
	DB  *store.DB
	// Key is the signing key file's key: key 1, and the root that seals every signing key in
	// the database. Keys signs with the active key.
	Key     ed25519.PrivateKey
	Keys    *keyring.Keyring
	Handler http.Handler
	// Catalogs stores the catalog versions; Catalog serves the newest to the services.
	Catalogs *catalogstore.Store
	Catalog  *catalogstore.Provider
	// Volume is the volume activation service; its worker stops with Stop.
	Volume *activation.Service
	// Fleet is the machine inventory; Deliveries sends the outbox's events to webhooks. Serve
	// runs both in the background (Background); tests call their steps on their own clock.
	Fleet      *fleet.Service
	Deliveries *webhooks.Worker
	kms        *kmscentral.Service // certifies KMS hosts; Sweep emits its certificate events
	lock       *filelock.Lock      // held (shared) on a SQLite database's lock file
	// registry holds the metrics /metrics serves; Serve adds the TLS certificate's expiry.
	registry *prometheus.Registry

	stopPoll func() // ends the catalog poll and waits for it
	// rateBuckets are the activation limits' buckets on PostgreSQL (nil on SQLite); Background
	// sweeps them.
	rateBuckets *ratelimit.Shared
}

// Stop ends the background workers; Serve calls it after HTTP has shut down.
func (a *App) Stop() {
	if a.stopPoll != nil {
		a.stopPoll()
		a.stopPoll = nil
	}
	if a.Volume != nil {
		a.Volume.Stop()
	}
}

// dataDir returns the configured data directory or its default.
func (c Config) dataDir() string {
	if c.DataDir != "" {
		return c.DataDir
	}
	if store.IsPostgres(c.DB) {
		return "."
	}
	return filepath.Dir(c.DB)
}

// tokenFile is where the first operator token is written: beside the SQLite file, or in the data
// directory for PostgreSQL.
func (c Config) tokenFile() string {
	if store.IsPostgres(c.DB) {
		return filepath.Join(c.dataDir(), "licet.token")
	}
	return c.DB + ".token"
}

// KMS host activations allowed per source address: a burst, then one every 6 seconds.
const (
	KMSHostBurst = 10
	KMSHostRate  = 1.0 / 6
)

// Open assembles the service: database, schema, signing key, first token, catalog, demo data.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	var lock *filelock.Lock
	if !store.IsPostgres(cfg.DB) {
		// A shared lock beside the SQLite file: `licet restore` takes it exclusively, so it
		// cannot replace the database under a running server.
		if lock, err = filelock.TryShared(backup.LockFile(cfg.DB)); err != nil {
			db.Close()
			if errors.Is(err, filelock.ErrLocked) {
				return nil, licet.Errorf(licet.CodeDatabaseInUse, "%s is being restored (licet restore holds %s): start the server when the restore has finished", cfg.DB, backup.LockFile(cfg.DB))
			}
			return nil, licet.Errorf(licet.EInvalid, "cannot lock database %s: %v", cfg.DB, err)
		}
	}
	app := &App{cfg: cfg, DB: db, lock: lock}
	if err := app.prepare(ctx); err != nil {
		app.Stop()
		app.Close()
		return nil, err
	}
	return app, nil
}

// Close closes the database and releases the database's lock file; Serve calls it on return.
func (a *App) Close() error {
	err := a.DB.Close()
	a.lock.Unlock()
	return err
}

func (a *App) prepare(ctx context.Context) error {
	cfg := a.cfg
	now := func() int64 { return cfg.Now().UnixMilli() }
	have, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have == 0 || cfg.Migrate {
		applied, err := a.DB.Migrate(ctx, now)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			cfg.Logger.Info("database migrated", "database", a.DB.Source, "versions", applied)
		}
	} else if err := a.DB.CheckSchema(ctx); err != nil {
		return err
	}
	if cfg.Demo {
		if err := demoAllowed(ctx, a.DB); err != nil {
			return err
		}
	}
	if err := a.loadSigningKey(ctx); err != nil {
		return err
	}
	if a.Keys, err = keyring.OpenKeyring(ctx, a.DB, a.Key, cfg.Now); err != nil {
		return err
	}
	tenants := &tenancy.Service{DB: a.DB, Now: cfg.Now, Kinds: func() ([]string, []string) {
		if a.Catalog == nil || a.Catalog.Catalog() == nil {
			return nil, nil
		}
		c := a.Catalog.Catalog()
		return c.OrgTypes(), c.Clouds()
	}}
	secret, err := tenants.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if secret != "" {
		if err := writeTokenFile(cfg.tokenFile(), secret); err != nil {
			return err
		}
		fmt.Fprintf(cfg.Stdout, "licet: first start: operator token (shown once, also written to %s):\n  %s\n", cfg.tokenFile(), secret)
	}
	if err := a.loadCatalog(ctx); err != nil {
		return err
	}
	if a.Volume, err = activation.New(a.DB, cfg.Now, a.Key, activation.Options{Signer: a.Keys}); err != nil {
		return err
	}
	if cfg.Demo {
		if err := Demo(licet.WithActor(ctx, licet.System), a.DB, cfg.Now); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if err := demoSeats(licet.WithActor(ctx, licet.System), a.DB, a.Catalog.Catalog(), cfg.Now); err != nil {
			return fmt.Errorf("demo seats: %w", err)
		}
		if err := demoVolume(licet.WithActor(ctx, licet.System), a.Volume); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if err := demoTelephony(licet.WithActor(ctx, licet.System), a.DB, a.Catalog.Catalog(), cfg.Now); err != nil {
			return fmt.Errorf("demo telephony: %w", err)
		}
	}
	proxies, err := clientaddr.Parse(cfg.TrustedProxies)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "%v", err).With("field", "trusted-proxy")
	}
	limits := activation.Limits{
		PerAddress: &ratelimit.Limiter{Rate: cfg.ActivationRatePerAddress, Now: cfg.Now},
		PerKey:     &ratelimit.Limiter{Rate: cfg.ActivationRatePerKey, Now: cfg.Now},
	}
	if a.DB.Dialect == store.Postgres {
		// Replicas share one PostgreSQL: the buckets live there, so the limits hold for the
		// whole service. A SQLite service is one process; its buckets stay in memory.
		a.rateBuckets = &ratelimit.Shared{DB: a.DB, Now: cfg.Now}
		limits.Shared = a.rateBuckets
	}
	seatService := &seats.Service{DB: a.DB, Catalog: a.Catalog.Catalog, Now: cfg.Now}
	api := &httpapi.Server{
		DB: a.DB, Tenants: tenants, Tokens: tenants, Audit: &audit.Service{DB: a.DB},
		Catalog:  a.Catalog.Catalog,
		Catalogs: a.Catalogs, CatalogVersion: a.currentVersion,
		Seats: seatService, Numbers: seatService, Credits: seatService,
		SigningKey: a.Key.Public().(ed25519.PublicKey), SigningKeys: a.Keys,
		Logger:   cfg.Logger,
		Products: a.Volume, Agreements: a.Volume, Keys: a.Volume, Activations: a.Volume, KeyActivity: a.Volume,
		ActivationLimiter: limits, Proxies: proxies,
	}
	api.Offline, api.MAKRequests = a.Volume, a.Volume
	if err := a.fleetEvents(api); err != nil {
		return err
	}
	a.kms = &kmscentral.Service{DB: a.DB, Keys: a.Keys, Now: cfg.Now}
	api.KMS = a.kms
	api.KMSLimiter = &ratelimit.Limiter{Rate: KMSHostRate, Burst: KMSHostBurst, Now: cfg.Now}
	api.RateBuckets = a.rateBuckets
	if api.Console, err = a.console(api, tenants); err != nil {
		return err
	}
	a.registry = prometheus.NewRegistry()
	api.Registry = a.registry
	a.Handler = api.Handler()
	return nil
}

var _ console.BulkUploads = (*uploads.Store)(nil)

// console assembles the web console on the services of the API.
func (a *App) console(api *httpapi.Server, sessions console.Sessions) (http.Handler, error) {
	c := &console.Server{
		Tenants: api.Tenants, Tokens: api.Tokens, Audit: api.Audit, Sessions: sessions, Seats: api.Seats,
		Keys: a.Volume, Products: a.Volume, Offline: a.Volume, Activity: a.Volume,
		Inventory: api.Inventory, Events: api.Events, Webhooks: api.Webhooks,
		Catalog: api.Catalog, Catalogs: a.Catalogs, CatalogVersion: api.CatalogVersion,
		Uploads:    uploads.New(a.DB, a.cfg.Now),
		SigningKey: a.Key, Now: a.cfg.Now, Logger: a.cfg.Logger, Proxies: api.Proxies,
	}
	return c.Handler()
}

// loadCatalog stores the first catalog version on a database that has none (the --catalog file,
// else the embedded default), applies the --catalog file when it differs from the newest version,
// serves the newest version, and starts polling for newer ones.
func (a *App) loadCatalog(ctx context.Context) error {
	a.Catalogs = &catalogstore.Store{DB: a.DB, Now: a.cfg.Now}
	a.Catalog = &catalogstore.Provider{Store: a.Catalogs, Logger: a.cfg.Logger}
	a.Catalogs.Applied = func(ctx context.Context) {
		if err := a.Catalog.Refresh(ctx); err != nil {
			a.cfg.Logger.Warn("catalog refresh failed", "err", err)
		}
	}
	name, content := DefaultCatalogFile, catalogs.M365Teams()
	if a.cfg.CatalogFile != "" {
		data, err := os.ReadFile(a.cfg.CatalogFile)
		if err != nil {
			return licet.Errorf(licet.EInvalid, "cannot read the catalog: %v", err)
		}
		name, content = a.cfg.CatalogFile, data
	}
	first, err := a.Catalogs.EnsureInitial(ctx, filepath.Base(name), content)
	if licet.ErrorCode(err) == licet.CodeCatalogInUse && a.cfg.CatalogFile == "" {
		return licet.Errorf(licet.CodeCatalogInUse, "this database has no catalog version yet, and the default catalog %s lacks what it holds: start licet serve once with --catalog FILE, the catalog this database was used with\n%s", name, licet.ErrorMessage(err))
	}
	if err != nil {
		return fmt.Errorf("catalog %s: %w", name, err)
	}
	if first {
		a.cfg.Logger.Info("stored the first catalog version", "file", name)
	}
	if a.cfg.CatalogFile != "" && !first {
		v, applied, err := a.Catalogs.ApplyCatalog(licet.WithActor(ctx, licet.System), licet.CatalogUpload{FileName: filepath.Base(name), Content: string(content)})
		if err != nil {
			return fmt.Errorf("--catalog %s: %w", name, err)
		}
		if applied {
			a.cfg.Logger.Info("applied the catalog as a new version", "file", name, "version", v.Version)
		}
	}
	if err := a.Catalog.Refresh(ctx); err != nil {
		return err
	}
	cur := a.Catalog.Current()
	if cur == nil {
		return licet.Errorf(licet.EUnavailable, "the newest catalog version does not load with this licet (see the log): upgrade licet, or apply a catalog it reads with licet catalog apply")
	}
	a.cfg.Logger.Info("serving catalog", "version", cur.Version.Version, "name", cur.Version.Name, "hash", cur.Version.Hash)
	interval := a.cfg.CatalogPoll
	if interval <= 0 {
		interval = catalogstore.DefaultPoll
	}
	pollCtx, cancel := context.WithCancel(context.Background())
	ticker := time.NewTicker(interval)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Catalog.Run(pollCtx, ticker.C)
	}()
	a.stopPoll = func() {
		cancel()
		ticker.Stop()
		<-done
	}
	return nil
}

// DefaultCatalogFile is the embedded catalog a new database starts with.
const DefaultCatalogFile = "catalogs/" + catalogs.M365TeamsFile

// currentVersion is the catalog version this replica serves.
func (a *App) currentVersion() *licet.CatalogVersion {
	if c := a.Catalog.Current(); c != nil {
		return &c.Version
	}
	return nil
}

// loadSigningKey loads the key file, or creates it on a database that has none yet, and checks
// that it is the key the database was created with.
func (a *App) loadSigningKey(ctx context.Context) error {
	path := a.cfg.SigningKey
	if path == "" {
		path = filepath.Join(a.cfg.dataDir(), "signing.key")
	}
	var recorded string
	if err := a.DB.Read(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'signing_public_key'`).Scan(&recorded)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	var key ed25519.PrivateKey
	var err error
	switch {
	case signing.Exists(path):
		key, err = signing.Load(path)
	case recorded == "":
		key, err = signing.Create(path)
		if err == nil {
			a.cfg.Logger.Info("created the operator's signing key", "file", path)
		}
	default:
		return licet.Errorf(licet.EInvalid, "signing key %s is missing, but this database already signs with a key: give the original file with --signing-key (replicas share one file)", path)
	}
	if err != nil {
		return err
	}
	pub := base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	if recorded != "" && recorded != pub {
		return licet.Errorf(licet.EInvalid, "signing key %s is not the key this database was created with: give the original file with --signing-key", path)
	}
	if recorded == "" {
		if err := a.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('signing_public_key', ?) ON CONFLICT (name) DO NOTHING`, pub)
			return err
		}); err != nil {
			return err
		}
	}
	a.Key = key
	return nil
}

// writeTokenFile writes the operator token to path, mode 0600.
func writeTokenFile(path, secret string) error {
	if err := privatefile.Write(path, []byte(secret+"\n")); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// Serve listens and serves until ctx ends, then shuts down: HTTP first (in-flight requests
// finish), then background workers, then the database.
func (a *App) Serve(ctx context.Context) error {
	defer a.Close()
	defer a.Stop()
	cfg := a.cfg
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return licet.Errorf(licet.EInvalid, "cannot listen on %s: %v", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tlsreload.Load(cfg.TLSCert, cfg.TLSKey, cfg.Logger)
		if err != nil {
			ln.Close()
			return licet.Errorf(licet.EInvalid, "cannot load TLS certificate and key: %v", err)
		}
		srv.TLSConfig = cert.Config()
		if a.registry != nil {
			a.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "licet_tls_certificate_expiry_timestamp_seconds",
				Help: "When the TLS certificate in service expires (it is reloaded when its file changes).",
			}, func() float64 { return float64(cert.Expires().Unix()) }))
		}
		srv.Handler = hsts(srv.Handler)
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
		go reloadOnSignal(ctx, cfg.Reload, cert, cfg.Logger)
	}
	fmt.Fprintf(cfg.Stdout, "licet: listening on %s://%s (database %s)\n", scheme, ln.Addr(), a.DB.Source)
	cfg.Logger.Info("listening", "addr", ln.Addr().String(), "database", a.DB.Source, "dialect", a.DB.Dialect)
	if cfg.OnListen != nil {
		cfg.OnListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	bg, stopBackground := context.WithCancel(ctx)
	background := a.Background(bg)
	defer func() { stopBackground(); <-background }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cfg.Logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// hsts tells browsers to come back over HTTPS only, for a year: set when licet serves TLS itself
// (behind a TLS-terminating proxy, the proxy sets it).
func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// reloadOnSignal reloads the TLS pair on each signal until ctx ends (a reload that succeeds is
// logged by tlsreload).
func reloadOnSignal(ctx context.Context, signals <-chan os.Signal, cert *tlsreload.Certificate, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			if err := cert.Reload(); err != nil {
				log.Warn("TLS reload on signal failed; serving the previous certificate", "err", err)
			}
		}
	}
}
