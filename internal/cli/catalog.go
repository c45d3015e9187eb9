package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet"
	"github.com/licet/licet/client"
	"github.com/licet/licet/internal/catalog"
	"github.com/licet/licet/internal/catalogstore"
	"github.com/licet/licet/internal/httpapi"
)

func (a *app) catalogCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Validate SKU catalogs, apply a new catalog version, show, list and compare versions"}
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a catalog file; errors are printed as file:line:col",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := catalog.LoadFile(args[0])
			if err != nil {
				return a.validationFailed(args[0], err)
			}
			v := c.View()
			fmt.Fprintf(a.stdout, "%s: ok (%d SKUs, %d service plans, %d features)\n", args[0], len(v.SKUs), len(v.Plans), len(v.Features))
			return nil
		},
	}
	cmd.AddCommand(validate, a.catalogApplyCommand(), a.catalogHistoryCommand(), a.catalogShowCommand(), a.catalogDiffCommand())
	return cmd
}

// catalogApplyCommand stores a catalog file as the server's new catalog version.
func (a *app) catalogApplyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "apply FILE",
		Short: "Validate a catalog file and store it as the new catalog version that every replica serves (operator)",
		Long: "Validates FILE, then stores it as a new catalog version (content, hash, who, when; audited). Every\n" +
			"replica serves the newest version within a few seconds. A version that removes an SKU or service plan\n" +
			"that is bought, assigned or disabled somewhere is refused, naming each and how many hold it.\n" +
			"Applying the newest version again changes nothing.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if _, err := catalog.Load(args[0], data); err != nil {
				return a.validationFailed(args[0], err)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var v httpapi.CatalogApplied
			if err := c.Do(cmd.Context(), "POST", "/v1/catalog/versions", licet.CatalogUpload{FileName: filepath.Base(args[0]), Content: string(data)}, &v); err != nil {
				return err
			}
			return a.output(v, func() error {
				if !v.Applied {
					fmt.Fprintf(a.stdout, "%s is catalog version %d already (sha256 %s); nothing changed\n", args[0], v.Version, shortHash(v.Hash))
					return nil
				}
				fmt.Fprintf(a.stdout, "applied %s as catalog version %d (%s, sha256 %s); every replica serves it within %s\n",
					args[0], v.Version, v.Name, shortHash(v.Hash), catalogstore.DefaultPoll+time.Second)
				return nil
			})
		},
	}
}

// catalogHistoryCommand lists the catalog versions.
func (a *app) catalogHistoryCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "List the catalog versions, newest (the one in force) first",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			var out struct {
				Versions []licet.CatalogVersion `json:"versions"`
			}
			if err := c.Do(ctx, "GET", "/v1/catalog/versions", nil, &out); err != nil {
				return err
			}
			return a.output(out, func() error {
				rows := make([][]string, 0, len(out.Versions))
				for i, v := range out.Versions {
					force := ""
					if i == 0 {
						force = "yes"
					}
					rows = append(rows, []string{strconv.FormatInt(v.Version, 10), force, v.Name, v.FileName, v.CreatedBy,
						v.CreatedAt.UTC().Format(time.RFC3339), shortHash(v.Hash)})
				}
				return a.table([]string{"VERSION", "IN FORCE", "NAME", "FILE", "APPLIED BY", "APPLIED AT", "SHA-256"}, rows)
			})
		}),
	}
}

// catalogShowCommand shows the catalog the server serves, or one version.
func (a *app) catalogShowCommand() *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "show [--version N]",
		Short: "Show the server's catalog (or version N): SKUs with their service plans and prices",
		Args:  cobra.NoArgs,
		RunE: a.run(func(ctx context.Context, c *client.Client, args []string) error {
			which := "current"
			if version > 0 {
				which = strconv.FormatInt(version, 10)
			} else if version < 0 {
				return Usagef("--version %d: give a version number from licet catalog history", version)
			}
			var v httpapi.CatalogVersionBody
			if err := c.Do(ctx, "GET", "/v1/catalog/versions/"+which, nil, &v); err != nil {
				return err
			}
			return a.output(v, func() error {
				fmt.Fprintf(a.stdout, "catalog %s, version %d (sha256 %s), applied %s by %s\n\n", v.Name, v.Version, shortHash(v.Hash),
					v.CreatedAt.UTC().Format(time.RFC3339), v.CreatedBy)
				if v.Catalog == nil {
					return fmt.Errorf("catalog version %d does not load with the server's licet; its content is in --json", v.Version)
				}
				rows := make([][]string, 0, len(v.Catalog.SKUs))
				for _, s := range v.Catalog.SKUs {
					units := "counted"
					if s.Unlimited {
						units = "unlimited"
					}
					price := "-"
					if s.Price != nil {
						price = fmt.Sprintf("%d.%02d %s", s.Price.Amount/100, s.Price.Amount%100, s.Price.Currency)
					}
					rows = append(rows, []string{s.Part, s.Name, s.Kind, units, price, strings.Join(s.Plans, ",")})
				}
				return a.table([]string{"PART NUMBER", "NAME", "KIND", "UNITS", "PRICE/MONTH", "SERVICE PLANS"}, rows)
			})
		}),
	}
	cmd.Flags().Int64Var(&version, "version", 0, "show this version (licet catalog history) instead of the one in force")
	return cmd
}

// catalogDiffCommand shows what changed between two catalog versions.
func (a *app) catalogDiffCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed from catalog version A to version B: SKUs, service plans, rules, prices",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, v := range args {
				if n, err := strconv.ParseInt(v, 10, 64); (err != nil || n < 1) && v != "current" {
					return Usagef("%q is not a catalog version: give numbers from licet catalog history", v)
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			var d catalogstore.Diff
			q := url.Values{"from": {args[0]}, "to": {args[1]}}
			if err := c.Do(cmd.Context(), "GET", "/v1/catalog/diff?"+q.Encode(), nil, &d); err != nil {
				return err
			}
			return a.output(d, func() error {
				if len(d.Changes) == 0 {
					fmt.Fprintf(a.stdout, "catalog versions %d and %d do not differ\n", d.From, d.To)
					return nil
				}
				fmt.Fprintf(a.stdout, "catalog version %d → %d: %d change(s)\n", d.From, d.To, len(d.Changes))
				rows := make([][]string, 0, len(d.Changes))
				for _, ch := range d.Changes {
					rows = append(rows, []string{ch.Area, ch.ID, ch.Change, ch.Field, ch.Before, ch.After})
				}
				return a.table([]string{"AREA", "ID", "CHANGE", "FIELD", "BEFORE", "AFTER"}, rows)
			})
		},
	}
}

// validationFailed prints a catalog's validation errors as file:line:col and returns the error
// that ends the command.
func (a *app) validationFailed(name string, err error) error {
	if verrs, ok := catalog.AsValidationErrors(err); ok {
		for _, e := range verrs {
			fmt.Fprintln(a.stderr, e.Error())
		}
		return fmt.Errorf("%s: %d error(s)", name, len(verrs))
	}
	return err
}

func shortHash(h string) string { return h[:min(len(h), 12)] }
