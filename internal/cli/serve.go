package cli

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet/internal/clientaddr"
	"github.com/licet/licet/internal/server"
	"github.com/licet/licet/internal/store"
)

func (a *app) serveFlags(cmd *cobra.Command, cfg *server.Config) *string {
	f := cmd.Flags()
	f.StringVar(&cfg.DB, "db", "licet.db", "SQLite file, or a postgres:// URL")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory of the signing key and token file (default: beside the SQLite file)")
	f.StringVar(&cfg.SigningKey, "signing-key", "", "signing key file (default: DATA-DIR/signing.key); replicas share one")
	logFormat := new(string)
	f.StringVar(logFormat, "log-format", "text", "log format: text or json")
	return logFormat
}

func (a *app) logger(format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(a.stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.stderr, nil)), nil
	}
	return nil, Usagef("--log-format %q: use text or json", format)
}

func (a *app) serveCommand() *cobra.Command {
	var cfg server.Config
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the central licensing and activation service",
		Args:  cobra.NoArgs,
	}
	logFormat := a.serveFlags(cmd, &cfg)
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8470", "listen address")
	f.StringVar(&cfg.CatalogFile, "catalog", "", "SKU catalog YAML file, applied as a new catalog version at start when it differs from the newest (a new database otherwise starts with the embedded m365-teams catalog)")
	f.BoolVar(&cfg.Demo, "demo", false, "seed the demo tenant contoso (only on an empty database or one holding just the demo)")
	f.BoolVar(&cfg.Migrate, "migrate", false, "apply missing database migrations on start")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.Float64Var(&cfg.ActivationRatePerAddress, "activation-rate-per-address", 10, "machine activations per second per source address (burst: 10 s worth; 0: no limit)")
	f.Float64Var(&cfg.ActivationRatePerKey, "activation-rate-per-key", 50, "machine activations per second per product key (burst: 10 s worth; 0: no limit)")
	f.StringSliceVar(&cfg.TrustedProxies, "trusted-proxy", nil, "CIDR range of a reverse proxy whose X-Forwarded-For/Forwarded/X-Forwarded-Proto are believed (repeatable, or comma-separated)")
	f.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks reach private and loopback addresses (refused by default)")
	f.DurationVar(&cfg.WebhookTimeout, "webhook-timeout", 10*time.Second, "time limit of one webhook delivery")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		log, err := a.logger(*logFormat)
		if err != nil {
			return err
		}
		if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
			return Usagef("--tls-cert and --tls-key go together")
		}
		if _, err := clientaddr.Parse(cfg.TrustedProxies); err != nil {
			return Usagef("--trusted-proxy: %v", err)
		}
		cfg.Logger, cfg.Stdout, cfg.Now = log, a.stdout, time.Now
		reload := make(chan os.Signal, 1)
		signal.Notify(reload, syscall.SIGHUP)
		defer signal.Stop(reload)
		cfg.Reload = reload
		srv, err := server.Open(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		return srv.Serve(cmd.Context())
	}
	return cmd
}

func (a *app) migrateCommand() *cobra.Command {
	var cfg server.Config
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations this licet needs",
		Args:  cobra.NoArgs,
	}
	a.serveFlags(cmd, &cfg)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		db, err := store.Open(cmd.Context(), cfg.DB)
		if err != nil {
			return err
		}
		defer db.Close()
		applied, err := db.Migrate(cmd.Context(), func() int64 { return time.Now().UnixMilli() })
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintf(a.stdout, "schema of %s is current (version %d)\n", db.Source, db.LatestVersion())
			return nil
		}
		fmt.Fprintf(a.stdout, "applied migrations %v to %s; schema at version %d\n", applied, db.Source, db.LatestVersion())
		return nil
	}
	return cmd
}

// pubkeyCommand prints the operator's public key: from the server, for agents to pin.
func (a *app) pubkeyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pubkey",
		Short: "Print the operator's active public signing key (base64 Ed25519) that verifies tickets",
		Long: "Prints the active key. --json adds its id and the signed key set, which an air-gapped machine\n" +
			"learns with `licet client refresh-keys --key-set-file FILE`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			k, err := c.PublishedKeys(cmd.Context())
			if err != nil {
				return err
			}
			if raw, err := base64.StdEncoding.DecodeString(k.PublicKey); err != nil || len(raw) != ed25519.PublicKeySize {
				return fmt.Errorf("the server's public key is malformed")
			}
			return a.output(k, func() error {
				_, err := fmt.Fprintln(a.stdout, k.PublicKey)
				return err
			})
		},
	}
}
