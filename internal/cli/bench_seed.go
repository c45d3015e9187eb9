package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/store"
)

// seedChunk is how many rows one seeding transaction writes.
const seedChunk = 50_000

// seedMax bounds what one seed run writes.
const seedMax = 100_000_000

// benchSeedCommand fills a database with history so that benchmarks can show what it costs.
func (a *app) benchSeedCommand() *cobra.Command {
	var db string
	var activations, users, nkeys int
	cmd := &cobra.Command{
		Use:   "seed --db DSN --activations N --users M",
		Short: "Fill a database with N stored activations and M users, to measure with history",
		Long: "Issues --keys MAKs of the benchmark product (through the server, with the operator token) and writes\n" +
			"N activation rows spread over them, each key's used count raised to match, and M users of the bench\n" +
			"tenant, straight into the database (--db, the server's database) in transactions of 50,000 rows.\n" +
			"Counts stay exact: each chunk's rows and the key's count change in one transaction.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&db, "db", "", "the server's database: SQLite file or postgres:// URL")
	cmd.Flags().IntVar(&activations, "activations", 10_000, "activation rows to add (0 to 100000000)")
	cmd.Flags().IntVar(&users, "users", 0, "users to add to the bench tenant (0 to 100000000)")
	cmd.Flags().IntVar(&nkeys, "keys", 100, "MAKs the activations are spread over (1 to 10000)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case db == "":
			return Usagef("--db is required: the database the server uses")
		case activations < 0 || activations > seedMax || users < 0 || users > seedMax:
			return Usagef("--activations and --users must be from 0 to %d", seedMax)
		case nkeys < 1 || nkeys > 10_000:
			return Usagef("--keys must be from 1 to 10000")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		d, err := openCurrent(ctx, db)
		if err != nil {
			return err
		}
		defer d.Close()
		ag, err := benchAgreement(ctx, c)
		if err != nil {
			return err
		}
		run := strconv.FormatInt(time.Now().UnixNano(), 36)
		t0 := time.Now()
		if activations > 0 {
			if err := a.seedActivations(ctx, c, d, ag, run, activations, nkeys); err != nil {
				return err
			}
		}
		t1 := time.Now()
		if users > 0 {
			if err := a.seedUsers(ctx, d, run, users); err != nil {
				return err
			}
		}
		t2 := time.Now()
		var total int64
		if err := d.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM activations`).Scan(&total)
		}); err != nil {
			return err
		}
		result := map[string]any{"activations": activations, "users": users, "keys": nkeys, "storedActivations": total,
			"activationSeconds": t1.Sub(t0).Seconds(), "userSeconds": t2.Sub(t1).Seconds()}
		return a.output(result, func() error {
			return a.table([]string{"ADDED", "ROWS", "SECONDS"}, [][]string{
				{"activations", strconv.Itoa(activations), fmt.Sprintf("%.1f", t1.Sub(t0).Seconds())},
				{"users", strconv.Itoa(users), fmt.Sprintf("%.1f", t2.Sub(t1).Seconds())},
				{"stored activations", strconv.FormatInt(total, 10), "-"},
			})
		})
	}
	return cmd
}

// seedSeries is the row numbers from 1 to ? as a recursive CTE: the same text on SQLite and
// PostgreSQL.
const seedSeries = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) `

// seedActivations issues nkeys MAKs under agreement ag and writes n activations over them.
func (a *app) seedActivations(ctx context.Context, c *client.Client, d *store.DB, ag, run string, n, nkeys int) error {
	var product int64
	if err := d.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM products WHERE slug = ?`, benchProduct).Scan(&product)
	}); err != nil {
		return fmt.Errorf("the benchmark product %s is not in %s: is --db the server's database? (%w)", benchProduct, d.Source, err)
	}
	bar := a.progress(n, "seeding activations")
	defer bar.done()
	now := time.Now().UnixMilli()
	for k := range nkeys {
		rows := n / nkeys
		if k < n%nkeys {
			rows++
		}
		if rows == 0 {
			continue
		}
		key, err := c.IssueKey(ctx, licet.KeyRequest{Agreement: ag, Group: strconv.Itoa(benchGroup), Type: "mak", Limit: int64(rows)})
		if err != nil {
			return err
		}
		for done := 0; done < rows; done += seedChunk {
			size := min(seedChunk, rows-done)
			prefix := fmt.Sprintf("seed-%s-%d-", run, key.ID)
			if err := d.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, seedSeries+`INSERT INTO activations (key_id, product_id, machine_id, hardware, virtual, hostname, method, created_at, last_seen_at)
					SELECT ?, ?, CAST(? AS TEXT) || CAST(i + ? AS TEXT), '', 0, '', 'online', ?, ? FROM s`,
					size, key.ID, product, prefix, done, now, now); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `UPDATE product_keys SET used = used + ? WHERE id = ?`, size, key.ID)
				return err
			}); err != nil {
				return err
			}
			bar.add(size)
		}
	}
	return nil
}

// seedUsers writes n users of the bench tenant.
func (a *app) seedUsers(ctx context.Context, d *store.DB, run string, n int) error {
	bar := a.progress(n, "seeding users")
	defer bar.done()
	now := time.Now().UnixMilli()
	for done := 0; done < n; done += seedChunk {
		size := min(seedChunk, n-done)
		if err := d.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, seedSeries+`INSERT INTO users (tenant_id, upn, display_name, usage_location, created_at)
				SELECT t.id, 'seed-' || CAST(? AS TEXT) || '-' || CAST(i + ? AS TEXT) || '@bench.example.com', 'Seeded user', 'US', ?
				FROM s CROSS JOIN tenants t WHERE t.slug = 'bench'`, size, run, done, now)
			return err
		}); err != nil {
			return err
		}
		bar.add(size)
	}
	return nil
}
