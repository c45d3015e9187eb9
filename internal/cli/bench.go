package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/catalogs"
	"github.com/licet/licet/internal/seats"
)

// benchCommand groups the load generators; each measures one path of the service end to end.
func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the service end to end (load generators)"}
	cmd.AddCommand(a.benchActivateCommand(), a.benchAssignCommand(), a.benchKMSCommand(), a.benchSeedCommand())
	return cmd
}

// benchSKUs are the SKUs licet bench assign buys and assigns: the seed's bulk script, on the
// demo catalog (a suite, Phone System and a Calling Plan).
var benchSKUs = []string{catalogs.M365Demo.Suite, catalogs.M365Demo.PhoneSystem, catalogs.M365Demo.CallingPlan}

func (a *app) benchAssignCommand() *cobra.Command {
	var n, batch int
	var tenant string
	cmd := &cobra.Command{
		Use:   "assign --users N",
		Short: "Create N users in bulk and assign the demo catalog's suite, Phone System and Calling Plan to all of them the way licet assign does",
		Long: "Creates a fresh tenant (operator token needed), buys N units of " + strings.Join(benchSKUs, ", ") + " (demo catalog), imports N\n" +
			"users in bulk, writes their UPNs to a file, then times licet assign --users FILE --add the three SKUs: the\n" +
			"same code path, from reading the file to the summary. Prints the time of each phase.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().IntVar(&n, "users", 10000, "number of users (1 to 500000)")
	cmd.Flags().IntVar(&batch, "batch-size", defaultBatch, "users per request")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant to create (default: bench-<unix time>)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if n < 1 || n > 500_000 {
			return Usagef("--users must be 1 to 500000")
		}
		if batch < 1 || batch > seats.MaxBatch {
			return Usagef("--batch-size must be 1 to %d", seats.MaxBatch)
		}
		if tenant == "" {
			tenant = "bench-" + strconv.FormatInt(time.Now().Unix(), 10)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		if _, err := c.CreateTenant(ctx, licet.Tenant{Slug: tenant, Name: "Benchmark " + tenant, UsageLocation: "US"}); err != nil {
			return err
		}
		for _, sku := range benchSKUs {
			if _, err := c.BuySubscription(ctx, tenant, licet.Subscription{SKU: sku, Quantity: n}); err != nil {
				return err
			}
		}
		dir, err := os.MkdirTemp("", "licet-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "users.txt")
		users := make([]licet.User, n)
		if err := writeLines(file, n, func(i int) string {
			users[i] = licet.User{UPN: fmt.Sprintf("user%07d@%s.example.com", i+1, tenant)}
			return users[i].UPN
		}); err != nil {
			return err
		}

		t0 := time.Now()
		imported, err := a.importUsers(cmd, c, tenant, users, batch)
		if err != nil {
			return err
		}
		importTime := time.Since(t0)
		for _, r := range imported {
			if r.Outcome != licet.OutcomeCreated {
				return fmt.Errorf("user %s was not created: %s", r.UPN, r.Outcome)
			}
		}

		quiet := *a
		quiet.stdout, quiet.json = io.Discard, false
		o := assignOptions{tenant: tenant, file: file, add: benchSKUs, batch: batch}
		change, err := licenseChange(o.add, nil, nil)
		if err != nil {
			return err
		}
		t1 := time.Now()
		list, err := quiet.readList(file)
		if err == nil {
			err = quiet.runAssign(ctx, c, o, list, change)
		}
		assignTime := time.Since(t1)
		if err != nil {
			return err
		}
		skus, err := c.SubscribedSKUs(ctx, tenant)
		if err != nil {
			return err
		}
		for _, s := range skus {
			if s.Consumed != n {
				return fmt.Errorf("%s: %d units consumed after the benchmark, want %d", s.SKU, s.Consumed, n)
			}
		}
		result := map[string]any{
			"tenant": tenant, "users": n, "skus": len(benchSKUs), "batchSize": batch,
			"importSeconds": importTime.Seconds(), "assignSeconds": assignTime.Seconds(),
			"assignmentsPerSecond": float64(n*len(benchSKUs)) / assignTime.Seconds(),
		}
		return a.output(result, func() error {
			return a.table([]string{"PHASE", "USERS", "SECONDS", "USERS/S", "ASSIGNMENTS/S"}, [][]string{
				{"import users", strconv.Itoa(n), fmt.Sprintf("%.2f", importTime.Seconds()), fmt.Sprintf("%.0f", float64(n)/importTime.Seconds()), "-"},
				{"assign 3 SKUs", strconv.Itoa(n), fmt.Sprintf("%.2f", assignTime.Seconds()), fmt.Sprintf("%.0f", float64(n)/assignTime.Seconds()),
					fmt.Sprintf("%.0f", float64(n*len(benchSKUs))/assignTime.Seconds())},
			})
		})
	}
	return cmd
}

// writeLines writes n lines given by line(i) to a new file.
func writeLines(path string, n int, line func(i int) string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintln(w, line(i))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
