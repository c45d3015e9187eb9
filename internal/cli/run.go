package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/licet/licet/client"
)

// run wraps a command body that needs the SDK client.
func (a *app) run(fn func(ctx context.Context, c *client.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		return fn(cmd.Context(), c, args)
	}
}

// tenantFlag adds --tenant to cmd and returns a function that reads it, or a usage error when
// it is missing.
func tenantFlag(cmd *cobra.Command) func() (string, error) {
	var tenant string
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant's slug (LICET_TENANT)")
	return func() (string, error) {
		if tenant == "" {
			return "", Usagef("--tenant is required (or set LICET_TENANT)")
		}
		return tenant, nil
	}
}

// tenantRun adds --tenant to cmd and sets its RunE: a missing --tenant is a usage error, checked
// first; then fn runs with the SDK client and the tenant.
func (a *app) tenantRun(cmd *cobra.Command, fn func(ctx context.Context, c *client.Client, tenant string, args []string) error) {
	tenantOf := tenantFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		tenant, err := tenantOf()
		if err != nil {
			return err
		}
		return a.run(func(ctx context.Context, c *client.Client, args []string) error {
			return fn(ctx, c, tenant, args)
		})(cmd, args)
	}
}

// reply prints the answer v of an SDK call (JSON under --json, else text(v)), or returns the
// call's error err.
func reply[T any](a *app, v T, err error, text func(T) error) error {
	if err != nil {
		return err
	}
	return a.output(v, func() error { return text(v) })
}

// single turns a table of many values into the text of one.
func single[T any](table func([]T) error) func(*T) error {
	return func(v *T) error { return table([]T{*v}) }
}
