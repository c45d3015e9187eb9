package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/internal/backup"
	"github.com/licet/licet/internal/buildinfo"
	"github.com/licet/licet/internal/signing"
	"github.com/licet/licet/internal/store"
	"github.com/licet/licet/internal/tenancy"
)

// backupCommand copies the SQLite database while the service runs.
func (a *app) backupCommand() *cobra.Command {
	var db, out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Copy the SQLite database consistently while licet serve runs (PostgreSQL: pg_dump)",
		Long: "licet backup writes a consistent copy of the SQLite database (one read transaction; the service\n" +
			"goes on serving) to a new 0600 file that records the signing key's public half. Keep the signing\n" +
			"key file too: without it no ticket the database describes can be verified or renewed.\n" +
			"For PostgreSQL use pg_dump (see docs/operations.md).",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&db, "db", "licet.db", "the SQLite database file (a postgres:// URL is answered with the pg_dump procedure)")
	cmd.Flags().StringVar(&out, "out", "", "the backup file to create (never overwritten)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out == "" {
			return Usagef("--out FILE is required")
		}
		info, err := backup.Take(cmd.Context(), db, out, buildinfo.Get().Version, time.Now())
		if err != nil {
			return err
		}
		return a.output(info, func() error {
			fmt.Fprintf(a.stdout, "backup of %s written to %s (%d bytes, schema version %d, integrity %s)\n", db, out, info.Bytes, info.SchemaVersion, info.Integrity)
			fmt.Fprintf(a.stdout, "signing key (public): %s\nkeep the signing key file with it: the backup holds only its public half\n", strings.Join(info.SigningKeys, ", "))
			return nil
		})
	}
	return cmd
}

// restoreCommand puts a backup in place of a stopped server's database.
func (a *app) restoreCommand() *cobra.Command {
	var from, db, keyFile string
	var o backup.RestoreOptions
	cmd := &cobra.Command{
		Use:   "restore --from FILE --db PATH",
		Short: "Restore a backup of licet backup as the SQLite database PATH (the server must be stopped)",
		Args:  cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the backup file")
	f.StringVar(&db, "db", "", "the database file to restore to")
	f.StringVar(&keyFile, "signing-key", "", "the signing key the restored service will use (default: signing.key beside PATH)")
	f.BoolVar(&o.AllowOtherKey, "allow-other-signing-key", false, "restore a backup made under another signing key")
	f.BoolVar(&o.Replace, "replace", false, "move an existing database at PATH aside (PATH.replaced-UNIXTIME) instead of refusing")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if from == "" || db == "" {
			return Usagef("--from FILE and --db PATH are required")
		}
		if keyFile == "" {
			keyFile = filepath.Join(filepath.Dir(db), "signing.key")
		}
		switch key, err := signing.Load(keyFile); {
		case err == nil:
			o.SigningKey = key.Public().(ed25519.PublicKey)
		case !o.AllowOtherKey:
			return licet.Errorf(licet.EInvalid, "cannot read the signing key %s (%v): the restored service needs the key the backup was made under; give it with --signing-key, or --allow-other-signing-key", keyFile, err)
		}
		o.Now = time.Now()
		r, err := backup.Restore(cmd.Context(), from, db, o)
		if err != nil {
			return err
		}
		return a.output(r, func() error {
			if r.MovedAside != "" {
				fmt.Fprintf(a.stdout, "the previous database was moved to %s\n", r.MovedAside)
			}
			taken := "at an unknown time"
			if !r.TakenAt.IsZero() {
				taken = "at " + r.TakenAt.Format(time.RFC3339)
			}
			fmt.Fprintf(a.stdout, "restored %s (taken %s, schema version %d, integrity %s) to %s\nstart the service with: licet serve --db %s --signing-key %s\n",
				from, taken, r.SchemaVersion, r.Integrity, db, db, keyFile)
			return nil
		})
	}
	return cmd
}

// tokenRecoverCommand creates an operator token straight in the database, for an operator locked
// out of the API.
func (a *app) tokenRecoverCommand() *cobra.Command {
	var db, label string
	cmd := &cobra.Command{
		Use:   "recover --db PATH",
		Short: "Create an operator token directly in the database (run on the server's machine when no operator token works)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&db, "db", "licet.db", "the SQLite file or postgres:// URL of the service")
	cmd.Flags().StringVar(&label, "label", "", "a note saying what the token is for")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		d, err := openCurrent(cmd.Context(), db)
		if err != nil {
			return err
		}
		defer d.Close()
		t, err := (&tenancy.Service{DB: d, Now: time.Now}).Recover(cmd.Context(), label)
		if err != nil {
			return err
		}
		return a.outputf(t, "operator token %d created by recovery (audited as token.recover); its secret is shown only now:\n%s\n", t.ID, t.Secret)
	}
	return cmd
}

// kmsBackupCommand copies a KMS host's state directory while it serves.
func (a *app) kmsBackupCommand() *cobra.Command {
	var stateDir, out string
	cmd := &cobra.Command{
		Use:   "backup --out DIR",
		Short: "Copy the KMS host's state (kms.db and host.key) consistently while it serves",
		Long: "The copy is a state directory: restore by stopping the host and putting it in place of --state-dir.\n" +
			"It holds the host's private key: keep it as private as the state directory.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&stateDir, "state-dir", defaultStateDir, "the host's state directory")
	cmd.Flags().StringVar(&out, "out", "", "the directory to create for the copy")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if out == "" {
			return Usagef("--out DIR is required")
		}
		info, err := backup.KMSState(cmd.Context(), stateDir, out)
		if err != nil {
			return err
		}
		return a.outputf(info, "state of the KMS host in %s copied to %s (kms.db %d bytes, integrity %s; host.key included)\n", stateDir, out, info.Bytes, info.Integrity)
	}
	return cmd
}

// openCurrent opens the service's database straight (not through the API), refusing one whose
// schema is not the one this binary writes.
func openCurrent(ctx context.Context, dsn string) (*store.DB, error) {
	d, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := d.CheckSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}
